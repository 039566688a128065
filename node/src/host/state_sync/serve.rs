//! Serving state sync to peers, off the consensus loop: at most [`MAX_CONCURRENT_SERVES`]
//! answers are built at once (on the blocking pool), each peer within the same per-peer byte
//! budget as block sync. A request beyond either is dropped and counted; the requester, seeing no
//! answer, asks another peer.

use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, oneshot};

use super::manifest::{ServeError, build_manifest};
use super::wire::{SnapshotRequest, SnapshotResponse};
use crate::host::shared::Shared;
use crate::host::sync_budget::ByteBudgets;
use crate::storage::{MAX_CHUNK_BYTES, Store};
use yrd_verifier::chain_spec::ChainSpec;

/// Most state-sync answers built at the same time.
pub const MAX_CONCURRENT_SERVES: usize = 2;
/// Most leaves in one served chunk.
pub const SERVED_CHUNK_LEAVES: usize = 16_384;

/// The serving side of state sync.
#[derive(Debug, Clone)]
pub struct SnapshotServer {
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    budgets: Arc<Mutex<ByteBudgets>>,
}

impl SnapshotServer {
    /// A server answering from the node's store, each peer within `peer_bytes_per_sec` and
    /// `peer_burst_bytes`.
    pub fn new(shared: Arc<Shared>, peer_bytes_per_sec: u64, peer_burst_bytes: u64) -> Self {
        Self {
            shared,
            permits: Arc::new(Semaphore::new(MAX_CONCURRENT_SERVES)),
            budgets: Arc::new(Mutex::new(ByteBudgets::new(
                peer_bytes_per_sec,
                peer_burst_bytes,
            ))),
        }
    }

    /// Answer `request` from `from` (already decoded), or drop it when busy or over budget.
    pub fn serve(
        &self,
        from: [u8; 32],
        request: SnapshotRequest,
        respond: oneshot::Sender<Vec<u8>>,
    ) {
        let counters = &self.shared.counters;
        let now_ms = self.shared.now_ms();
        {
            let mut budgets = self.budgets.lock().unwrap_or_else(PoisonError::into_inner);
            budgets.forget_idle(now_ms);
            if budgets.check(from, now_ms).is_err() {
                counters.snapshot_requests_dropped.fetch_add(1, Relaxed);
                tracing::debug!(peer = %hex::encode(from), "state-sync request over the peer's byte budget dropped");
                return;
            }
        }
        let Ok(permit) = Arc::clone(&self.permits).try_acquire_owned() else {
            counters.snapshot_requests_dropped.fetch_add(1, Relaxed);
            tracing::debug!(peer = %hex::encode(from), "state-sync server busy, request dropped");
            return;
        };
        let shared = Arc::clone(&self.shared);
        let budgets = Arc::clone(&self.budgets);
        tokio::task::spawn_blocking(move || {
            let answer = answer(&shared.store, &shared.chain, &request);
            if let SnapshotResponse::Unavailable(reason) = &answer {
                tracing::debug!(peer = %hex::encode(from), %reason, "state-sync request not served");
            }
            let bytes = answer.encode();
            budgets
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .charge(from, bytes.len(), shared.now_ms());
            shared
                .counters
                .snapshot_requests_served
                .fetch_add(1, Relaxed);
            let _ = respond.send(bytes);
            drop(permit);
        });
    }
}

/// The answer to one request, from `store` (a node of `chain`).
pub fn answer(store: &Store, chain: &ChainSpec, request: &SnapshotRequest) -> SnapshotResponse {
    match request {
        SnapshotRequest::Manifest { version } => match build_manifest(store, chain, *version) {
            Ok(manifest) => SnapshotResponse::Manifest(Box::new(manifest)),
            Err(ServeError::Unavailable(reason)) => SnapshotResponse::unavailable(reason),
            Err(ServeError::Storage(error)) => {
                tracing::warn!(%error, "reading a snapshot manifest failed");
                SnapshotResponse::unavailable(error)
            }
        },
        SnapshotRequest::Chunk {
            version,
            start,
            max_bytes,
        } => {
            let max_bytes = (*max_bytes as usize).min(MAX_CHUNK_BYTES);
            match store.snapshot_chunk(*version, *start, SERVED_CHUNK_LEAVES, max_bytes) {
                Ok(Some(chunk)) => SnapshotResponse::Chunk(chunk),
                Ok(None) => SnapshotResponse::unavailable("no leaf at or after that key"),
                Err(error) => SnapshotResponse::unavailable(error),
            }
        }
        SnapshotRequest::ChunkRange {
            version,
            start,
            end,
            max_bytes,
        } => {
            let max_bytes = (*max_bytes as usize).min(MAX_CHUNK_BYTES);
            match store.snapshot_chunk_range(*version, *start, *end, SERVED_CHUNK_LEAVES, max_bytes)
            {
                Ok(range) => SnapshotResponse::Range(range),
                Err(error) => SnapshotResponse::unavailable(error),
            }
        }
    }
}
