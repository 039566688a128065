//! Fetching a snapshot from several peers at once. The key-hash space left to restore is split
//! into ranges (one per peer, at most [`MAX_PARALLEL_RANGES`]); a task per range asks its peer
//! for the range's chunks in order (`ChunkRange`) and holds at most [`RANGE_BUFFER_CHUNKS`]
//! ahead of the restore. The restore still takes every chunk in key order and checks each
//! against the certified root as it arrives, so nothing is trusted that a single-peer sync would
//! not have checked:
//!
//! - a chunk that does not prove is refused and its peer reported, as in the one-peer sync;
//! - a range's end is the server's word ("no more leaves before `end`"): a false one leaves a
//!   gap that the next range's first chunk cannot prove. That chunk's refusal cannot say which
//!   of the two peers lied, so nobody is reported;
//! - either way the parallel phase stops and the sync goes on one chunk at a time from where the
//!   restore stands (`client::state_sync`), with the peers in turn. A lying peer can cost the
//!   speed of fetching in parallel, never a wrong or missing leaf.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::wire::{SnapshotRequest, SnapshotResponse};
use crate::network::NetworkHandle;
use crate::storage::{Hash32, SnapshotChunk, key_after};

/// Most ranges fetched at once.
pub const MAX_PARALLEL_RANGES: usize = 4;
/// Chunks a range's task may hold ahead of the restore (with the default chunk size, 8 MiB per
/// range at most).
pub const RANGE_BUFFER_CHUNKS: usize = 2;
/// Failed requests (timeouts, "unavailable") a range's task tolerates before it gives up.
const MAX_RANGE_FAILURES: u32 = 8;

/// What a range's task hands the restore.
#[derive(Debug)]
pub enum RangeItem {
    /// The range's next chunk, and the peer that served it.
    Chunk {
        /// The leaves.
        chunk: SnapshotChunk,
        /// Who served it.
        peer: [u8; 32],
    },
    /// The range holds nothing more (its peer says).
    Done,
    /// The task gave up: the peer broke the protocol (reported by the caller), or no peer served.
    Failed {
        /// The peer at fault, if one is.
        peer: Option<[u8; 32]>,
        /// Why.
        reason: String,
    },
}

/// `[from, 2^256)` split into `count` ranges at equal first-byte boundaries (the first range
/// starting at `from`, ranges wholly below `from` dropped): `(start, end)`, `end` exclusive,
/// `None` for the last.
pub fn split_ranges(from: Hash32, count: usize) -> Vec<(Hash32, Option<Hash32>)> {
    let count = count.clamp(1, MAX_PARALLEL_RANGES);
    let boundary = |index: usize| -> Hash32 {
        let mut key = [0u8; 32];
        key[0] = u8::try_from(index * 256 / count).unwrap_or(u8::MAX);
        key
    };
    (0..count)
        .filter_map(|index| {
            let end = (index + 1 < count).then(|| boundary(index + 1));
            if end.is_some_and(|end| end <= from) {
                return None;
            }
            Some((boundary(index).max(from), end))
        })
        .collect()
}

/// Starts the task fetching `[start, end)` of `version`, asking `peers` in turn (the first
/// first).
pub fn spawn_range(
    network: NetworkHandle,
    peers: Vec<[u8; 32]>,
    version: u64,
    range: (Hash32, Option<Hash32>),
    chunk_bytes: u32,
    items: mpsc::Sender<RangeItem>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let item = fetch_range(&network, &peers, version, range, chunk_bytes, &items).await;
        let _ = items.send(item).await;
    })
}

/// Fetches the range; returns its last item (`Done` or `Failed`) after sending its chunks.
async fn fetch_range(
    network: &NetworkHandle,
    peers: &[[u8; 32]],
    version: u64,
    (mut start, end): (Hash32, Option<Hash32>),
    chunk_bytes: u32,
    items: &mpsc::Sender<RangeItem>,
) -> RangeItem {
    let mut turn = 0usize;
    let mut failures = 0u32;
    loop {
        let Some(peer) = peers.get(turn % peers.len().max(1)).copied() else {
            return failed(None, "no peer to ask");
        };
        let request = SnapshotRequest::ChunkRange {
            version,
            start,
            end,
            max_bytes: chunk_bytes,
        };
        let answer = match network.request(peer, request.encode()).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::debug!(peer = %hex::encode(peer), %error, "state sync: range request failed");
                turn = turn.wrapping_add(1);
                failures += 1;
                if failures > MAX_RANGE_FAILURES {
                    return failed(None, "range requests kept failing");
                }
                continue;
            }
        };
        let range = match SnapshotResponse::decode(&answer) {
            Ok(SnapshotResponse::Range(range)) => range,
            Ok(SnapshotResponse::Unavailable(reason)) => {
                tracing::debug!(peer = %hex::encode(peer), %reason, "state sync: peer cannot serve the range");
                turn = turn.wrapping_add(1);
                failures += 1;
                if failures > MAX_RANGE_FAILURES {
                    return failed(None, "no peer serves the range");
                }
                continue;
            }
            Ok(_) | Err(_) => return failed(Some(peer), "malformed state-sync answer"),
        };
        let Some(chunk) = range.chunk else {
            if range.range_done {
                return RangeItem::Done;
            }
            return failed(
                Some(peer),
                "an empty range chunk that does not end its range",
            );
        };
        // Every leaf inside the range asked for, in order: anything else is the server's fault.
        let inside = chunk
            .leaves
            .first()
            .is_some_and(|(first, _)| *first >= start)
            && chunk
                .leaves
                .last()
                .is_some_and(|(last, _)| end.is_none_or(|end| *last < end))
            && chunk.leaves.windows(2).all(|pair| pair[0].0 < pair[1].0);
        if !inside {
            return failed(Some(peer), "a range chunk with leaves outside its range");
        }
        let next = chunk.leaves.last().and_then(|(last, _)| key_after(last));
        let ended = range.range_done || chunk.last;
        if items.send(RangeItem::Chunk { chunk, peer }).await.is_err() {
            // The restore stopped taking this range.
            return RangeItem::Done;
        }
        match next {
            Some(next) if !ended => start = next,
            _ => return RangeItem::Done,
        }
    }
}

fn failed(peer: Option<[u8; 32]>, reason: &str) -> RangeItem {
    RangeItem::Failed {
        peer,
        reason: reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(first: u8) -> Hash32 {
        let mut key = [0u8; 32];
        key[0] = first;
        key
    }

    #[test]
    fn ranges_cover_what_is_left_without_overlap() {
        assert_eq!(
            split_ranges([0; 32], 4),
            vec![
                (key(0), Some(key(64))),
                (key(64), Some(key(128))),
                (key(128), Some(key(192))),
                (key(192), None),
            ]
        );
        assert_eq!(
            split_ranges([0; 32], 3),
            vec![
                (key(0), Some(key(85))),
                (key(85), Some(key(170))),
                (key(170), None),
            ]
        );
        // A resumed restore: ranges below the restore point are dropped, the first one starts
        // at it.
        let mut from = key(100);
        from[5] = 7;
        assert_eq!(
            split_ranges(from, 4),
            vec![
                (from, Some(key(128))),
                (key(128), Some(key(192))),
                (key(192), None),
            ]
        );
        assert_eq!(split_ranges([0xFF; 32], 4), vec![([0xFF; 32], None)]);
        assert_eq!(split_ranges([0; 32], 1), vec![([0; 32], None)]);
        assert_eq!(split_ranges([0; 32], 99).len(), MAX_PARALLEL_RANGES);
    }
}
