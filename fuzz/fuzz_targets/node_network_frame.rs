//! NODE TARGET (feature `node`): raw bytes as one inbound `/yrd/direct/1` stream, read by the
//! node's own frame codec both as a request and as a response: never a panic or an allocation
//! past the limit, a refusal is a frame error or a truncated stream, and an accepted frame
//! encodes back to exactly the input. The first input byte picks the payload limit (0–255 bytes,
//! so the length check is reached often); the rest is the stream.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_node::network::check_frame_bytes;

fuzz_target!(|data: &[u8]| {
    let Some((limit, stream)) = data.split_first() else {
        return;
    };
    check_frame_bytes(stream, usize::from(*limit));
});
