//! A block payload as a proposal carries it (`yrd_contracts::payload`): never a panic; a payload
//! that decodes re-encodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_contracts::SignedTx;
use yrd_contracts::payload::{decode_payload, encode_payload};

fuzz_target!(|data: &[u8]| {
    if let Ok(txs) = decode_payload(data)
        && !data.is_empty()
    {
        let entries: Vec<Vec<u8>> = txs.iter().map(SignedTx::to_bytes).collect();
        assert_eq!(encode_payload(&entries), data);
    }
});
