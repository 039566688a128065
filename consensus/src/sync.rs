//! Catch-up: asking peers for missing blocks, and answering them.
//!
//! When a proposal or certificate references a block this node does not have, the core emits
//! [`crate::Output::RequestSync`] for it. The answer ([`crate::types::SyncResponse`]) carries
//!
//! 1. committed blocks from the requested height, each with its commit certificate, which the
//!    requester verifies against its validator set (following epoch changes) and commits in order;
//! 2. the uncommitted chain from the responder's committed tip to the target. It is accepted only
//!    when its last block is a target whose certificate the requester verified itself, so the hash
//!    chain authenticates every block in it.
//!
//! Responses are bounded ([`crate::Config::sync_max_blocks_per_response`]); a requester still
//! behind asks again from its new height. Unanswered requests are retried, each time with another
//! validator, after [`crate::Config::sync_retry_ms`].
//!
//! Requests are answered by the host (it holds committed history in its store), with
//! [`respond`], which also reads the core's uncommitted blocks.

use std::collections::BTreeMap;

use crate::crypto::PublicKey;
use crate::driver::Core;
use crate::types::{BlockId, CommittedBlock, SyncRequest, SyncResponse};

/// A block being fetched.
#[derive(Clone, Debug)]
pub(crate) struct SyncTarget {
    pub(crate) height: u64,
    /// True when the target's id came from a certificate verified here.
    pub(crate) authenticated: bool,
    pub(crate) attempts: u64,
    pub(crate) last_request_ms: u64,
}

/// Blocks being fetched, bounded by [`crate::Config::sync_max_targets`].
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncTracker {
    pub(crate) targets: BTreeMap<BlockId, SyncTarget>,
}

impl SyncTracker {
    /// Start tracking `target`; false when already tracked or full.
    pub(crate) fn track(
        &mut self,
        target: BlockId,
        height: u64,
        authenticated: bool,
        now_ms: u64,
        limit: usize,
    ) -> bool {
        if let Some(existing) = self.targets.get_mut(&target) {
            existing.authenticated |= authenticated;
            return false;
        }
        if self.targets.len() >= limit {
            return false;
        }
        self.targets.insert(
            target,
            SyncTarget {
                height,
                authenticated,
                attempts: 0,
                last_request_ms: now_ms,
            },
        );
        true
    }

    /// Targets whose last request is older than `retry_ms`, marked as re-requested now.
    pub(crate) fn due(&mut self, now_ms: u64, retry_ms: u64) -> Vec<(BlockId, SyncTarget)> {
        let mut due = Vec::new();
        for (id, target) in self.targets.iter_mut() {
            if now_ms.saturating_sub(target.last_request_ms) >= retry_ms {
                target.attempts = target.attempts.saturating_add(1);
                target.last_request_ms = now_ms;
                due.push((*id, target.clone()));
            }
        }
        due
    }

    /// Stop tracking targets for which `done` holds.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&BlockId, &SyncTarget) -> bool) {
        self.targets.retain(|id, t| keep(id, t));
    }

    pub(crate) fn is_authenticated(&self, id: &BlockId) -> bool {
        self.targets.get(id).is_some_and(|t| t.authenticated)
    }
}

/// Bytes of a sync response besides its blocks (message tag, list lengths), rounded up.
pub const SYNC_RESPONSE_OVERHEAD_BYTES: usize = 64;

/// Answer `request` from the host's committed store (`committed_at(height)`) and the core's
/// uncommitted blocks, with at most `max_blocks` blocks whose encoding takes at most `max_bytes`
/// (the transport's message limit: a response over it could never be delivered, and the
/// requester would ask again forever). A block that alone exceeds `max_bytes` ends the response;
/// the host's configuration keeps `max_payload_bytes` well inside it.
pub fn respond(
    request: &SyncRequest,
    committed_at: impl Fn(u64) -> Option<CommittedBlock>,
    core: &Core,
    max_blocks: usize,
    max_bytes: usize,
) -> SyncResponse {
    let mut committed = Vec::new();
    let mut bytes = SYNC_RESPONSE_OVERHEAD_BYTES;
    let committed_height = core.committed_height();
    let last = committed_height.min(request.target_height);
    let mut height = request.from_height.max(1);
    while height <= last && committed.len() < max_blocks {
        let Some(block) = committed_at(height) else {
            break;
        };
        let size = crate::codec::encoded_len(&block);
        if bytes.saturating_add(size) > max_bytes {
            break;
        }
        bytes = bytes.saturating_add(size);
        committed.push(block);
        height = height.saturating_add(1);
    }
    let reached_tip = height > committed_height;
    let mut uncommitted = Vec::new();
    if reached_tip
        && let Some(chain) = core.uncommitted_chain(&request.target)
        && committed.len().saturating_add(chain.len()) <= max_blocks
        && chain
            .iter()
            .map(crate::codec::encoded_len)
            .fold(bytes, usize::saturating_add)
            <= max_bytes
    {
        uncommitted = chain;
    }
    SyncResponse {
        committed,
        uncommitted,
    }
}

/// Pick the validator to ask on attempt `attempt`, starting with `preferred`, never `me`.
pub(crate) fn pick_peer(
    validators: &[PublicKey],
    preferred: Option<PublicKey>,
    attempt: u64,
    me: &PublicKey,
) -> Option<PublicKey> {
    if attempt == 0
        && let Some(peer) = preferred.filter(|p| p != me)
    {
        return Some(peer);
    }
    let others: Vec<&PublicKey> = validators.iter().filter(|k| *k != me).collect();
    if others.is_empty() {
        return None;
    }
    let index = (attempt as usize) % others.len();
    others.get(index).map(|k| **k)
}
