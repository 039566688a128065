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
//! Which blocks are being fetched is kept in [`targets`]: a target comes from a certificate
//! verified here, or is a low-priority hint from an unverified message of a later epoch, bounded
//! per peer; targets are dropped after a bounded number of requests.
//!
//! Requests are answered by the host (it holds committed history in its store), with
//! [`respond`], which also reads the core's uncommitted blocks.

mod targets;

pub(crate) use targets::{SyncLimits, SyncTracker, TargetSource};

use crate::crypto::PublicKey;
use crate::driver::Core;
use crate::types::{CommittedBlock, SyncRequest, SyncResponse};

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
        uncommitted = chain.into_iter().cloned().collect();
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
