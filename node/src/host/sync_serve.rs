//! Serving block sync to peers, off the consensus loop.
//!
//! The host loop only decodes a request, takes a snapshot of what the answer needs from the
//! consensus core (its committed height and, when the request reaches the tip, the uncommitted
//! chain to the target — both in memory) and queues the job; reading, decoding and encoding up to
//! `sync_max_response_bytes` of committed blocks happens in this task, one job at a time. The
//! queue holds `[consensus] sync_serve_queue` jobs, at most `sync_serve_queue_per_peer` of them
//! from one peer: a request beyond either is dropped and counted, and the requester, seeing no
//! answer, asks another validator. Each peer is served within its byte budget
//! ([`super::sync_budget`]); a request past it is refused (dropped) and counted.
//!
//! A store read that fails is never served as a shorter answer (which a requester would take for
//! the responder's whole chain): it is logged, counted, and the request gets no answer.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use yrd_consensus::codec::encoded_len;
use yrd_consensus::sync::SYNC_RESPONSE_OVERHEAD_BYTES;
use yrd_consensus::types::{Block, CommittedBlock, ConsensusMessage, SyncRequest, SyncResponse};

use super::shared::Shared;
use super::sync_budget::ByteBudgets;

/// How this node serves block sync to its peers (`[consensus] sync_serve_queue`,
/// `sync_peer_bytes_per_sec`, `sync_peer_burst_bytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncServeConfig {
    /// Sync requests waiting to be served; more are dropped (and counted) until the server
    /// catches up.
    pub serve_queue: usize,
    /// Of those, most from one peer, so one peer cannot fill the queue for the others.
    pub serve_queue_per_peer: usize,
    /// Bytes of sync answers each peer earns per second.
    pub peer_bytes_per_sec: u64,
    /// Most bytes of sync answers a peer may take in a burst (at least one full answer, so a
    /// peer far behind is never stuck).
    pub peer_burst_bytes: u64,
}

impl Default for SyncServeConfig {
    fn default() -> Self {
        Self {
            serve_queue: 16,
            serve_queue_per_peer: 2,
            peer_bytes_per_sec: 16 * 1024 * 1024,
            peer_burst_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Ceiling of `serve_queue`.
pub const MAX_SERVE_QUEUE: usize = 4_096;
/// Ceiling of `peer_bytes_per_sec` and `peer_burst_bytes` (1 GiB).
pub const MAX_PEER_BYTES: u64 = 1024 * 1024 * 1024;

/// Why sync serving settings are refused at startup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("consensus.{key} = {value} is out of range (must be between {min} and {max})")]
pub struct SyncConfigError {
    /// The key.
    pub key: &'static str,
    /// Its value.
    pub value: u64,
    /// The smallest allowed.
    pub min: u64,
    /// The largest allowed.
    pub max: u64,
}

impl SyncServeConfig {
    /// Refuse zero and absurd values, and a burst smaller than one answer of
    /// `max_response_bytes`.
    pub fn validate(&self, max_response_bytes: usize) -> Result<(), SyncConfigError> {
        let one_answer = max_response_bytes as u64;
        for (key, value, min, max) in [
            (
                "sync_serve_queue",
                self.serve_queue as u64,
                1,
                MAX_SERVE_QUEUE as u64,
            ),
            (
                "sync_serve_queue_per_peer",
                self.serve_queue_per_peer as u64,
                1,
                self.serve_queue as u64,
            ),
            (
                "sync_peer_bytes_per_sec",
                self.peer_bytes_per_sec,
                1,
                MAX_PEER_BYTES,
            ),
            (
                "sync_peer_burst_bytes",
                self.peer_burst_bytes,
                one_answer,
                MAX_PEER_BYTES,
            ),
        ] {
            if value < min || value > max {
                return Err(SyncConfigError {
                    key,
                    value,
                    min,
                    max,
                });
            }
        }
        Ok(())
    }
}

/// What the answer needs from the consensus core, taken on the host loop.
#[derive(Debug, Clone)]
pub struct TipSnapshot {
    /// The core's committed height.
    pub committed_height: u64,
    /// The uncommitted chain from the committed block's child to the request's target, if the
    /// core has it.
    pub uncommitted: Option<Vec<Block>>,
}

/// A queued request.
#[derive(Debug)]
pub struct SyncJob {
    /// The requesting member.
    pub from: [u8; 32],
    /// The request.
    pub request: SyncRequest,
    /// What the core knew when it arrived.
    pub tip: TipSnapshot,
    /// When it arrived (ms, the host's clock).
    pub now_ms: u64,
    /// Where the encoded answer goes; dropped unanswered on refusal or fault.
    pub respond: oneshot::Sender<Vec<u8>>,
}

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SyncServeError {
    /// Reading a committed block failed.
    #[error("reading committed block {height}: {reason}")]
    Read {
        /// The height.
        height: u64,
        /// The fault.
        reason: String,
    },
}

/// Limits of one answer.
#[derive(Debug, Clone, Copy)]
pub struct AnswerLimits {
    /// Most blocks.
    pub max_blocks: usize,
    /// Most bytes.
    pub max_bytes: usize,
}

/// Whether an answer starting at `from_height` could reach the tip (and so needs the uncommitted
/// chain): only if the committed blocks to send fit the block limit.
pub fn may_reach_tip(request: &SyncRequest, committed_height: u64, max_blocks: usize) -> bool {
    let from = request.from_height.max(1);
    let remaining = committed_height.saturating_add(1).saturating_sub(from);
    remaining <= max_blocks as u64 && request.target_height > committed_height
}

/// The answer to `request`, as `consensus::sync::respond` builds it, reading committed blocks
/// with `read`. A read fault is an error, never a shorter answer.
pub fn answer(
    request: &SyncRequest,
    tip: &TipSnapshot,
    limits: AnswerLimits,
    read: impl Fn(u64) -> Result<Option<CommittedBlock>, String>,
) -> Result<SyncResponse, SyncServeError> {
    let mut committed = Vec::new();
    let mut bytes = SYNC_RESPONSE_OVERHEAD_BYTES;
    let last = tip.committed_height.min(request.target_height);
    let mut height = request.from_height.max(1);
    while height <= last && committed.len() < limits.max_blocks {
        // A block the store does not hold (not yet written there) ends the answer, as in
        // `consensus::sync::respond`; a failed read is an error.
        let Some(block) = read(height).map_err(|reason| SyncServeError::Read { height, reason })?
        else {
            break;
        };
        let size = encoded_len(&block);
        if bytes.saturating_add(size) > limits.max_bytes {
            break;
        }
        bytes = bytes.saturating_add(size);
        committed.push(block);
        height = height.saturating_add(1);
    }
    let reached_tip = height > tip.committed_height;
    let mut uncommitted = Vec::new();
    if reached_tip
        && let Some(chain) = &tip.uncommitted
        && committed.len().saturating_add(chain.len()) <= limits.max_blocks
        && chain
            .iter()
            .map(encoded_len)
            .fold(bytes, usize::saturating_add)
            <= limits.max_bytes
    {
        uncommitted = chain.clone();
    }
    Ok(SyncResponse {
        committed,
        uncommitted,
    })
}

/// Start the sync server; the host queues jobs with [`SyncServer::queue`].
pub fn spawn_sync_server(
    shared: Arc<Shared>,
    config: SyncServeConfig,
    limits: AnswerLimits,
) -> SyncServer {
    let (tx, rx) = mpsc::channel(config.serve_queue.max(1));
    let shares = Arc::new(QueueShares::new(config.serve_queue_per_peer));
    tokio::spawn(run(shared.clone(), config, limits, Arc::clone(&shares), rx));
    SyncServer { tx, shared, shares }
}

/// Jobs of each peer waiting in the serve queue, bounded per peer.
#[derive(Debug)]
pub struct QueueShares {
    per_peer: usize,
    queued: Mutex<BTreeMap<[u8; 32], usize>>,
}

impl QueueShares {
    /// At most `per_peer` queued jobs of one peer.
    pub fn new(per_peer: usize) -> Self {
        Self {
            per_peer,
            queued: Mutex::new(BTreeMap::new()),
        }
    }

    /// Take a place for `peer`; `false` if it already holds its share (or the lock is poisoned,
    /// which refuses rather than serves without a bound).
    pub fn take(&self, peer: [u8; 32]) -> bool {
        let Ok(mut queued) = self.queued.lock() else {
            return false;
        };
        let held = queued.entry(peer).or_default();
        if *held >= self.per_peer {
            return false;
        }
        *held += 1;
        true
    }

    /// Give back a place of `peer` (its job left the queue).
    pub fn release(&self, peer: [u8; 32]) {
        if let Ok(mut queued) = self.queued.lock()
            && let Some(held) = queued.get_mut(&peer)
        {
            *held = held.saturating_sub(1);
            if *held == 0 {
                queued.remove(&peer);
            }
        }
    }

    /// Peers holding a place.
    pub fn peers(&self) -> usize {
        self.queued.lock().map(|q| q.len()).unwrap_or(0)
    }
}

/// The host's end of the sync server's queue.
#[derive(Debug, Clone)]
pub struct SyncServer {
    tx: mpsc::Sender<SyncJob>,
    shared: Arc<Shared>,
    shares: Arc<QueueShares>,
}

impl SyncServer {
    /// Queue a job; a full queue, or a peer already holding its share of it, drops the job
    /// (counted), and the requester gets no answer.
    pub fn queue(&self, job: SyncJob) {
        let from = job.from;
        if !self.shares.take(from) {
            self.dropped(from, "the peer's share of the serve queue is taken");
            return;
        }
        if self.tx.try_send(job).is_err() {
            self.shares.release(from);
            self.dropped(from, "serve queue full");
        }
    }

    fn dropped(&self, from: [u8; 32], reason: &'static str) {
        self.shared
            .counters
            .sync_dropped_queue_full
            .fetch_add(1, Relaxed);
        tracing::warn!(peer = %hex::encode(from), reason, "sync request dropped");
    }
}

async fn run(
    shared: Arc<Shared>,
    config: SyncServeConfig,
    limits: AnswerLimits,
    shares: Arc<QueueShares>,
    mut rx: mpsc::Receiver<SyncJob>,
) {
    let mut budgets = ByteBudgets::new(config.peer_bytes_per_sec, config.peer_burst_bytes);
    while let Some(job) = rx.recv().await {
        shares.release(job.from);
        budgets.forget_idle(job.now_ms);
        if let Err(exhausted) = budgets.check(job.from, job.now_ms) {
            shared.counters.sync_refused_budget.fetch_add(1, Relaxed);
            tracing::warn!(peer = %hex::encode(job.from), balance = exhausted.balance, "sync request refused: byte budget exhausted");
            continue;
        }
        let from = job.from;
        let now_ms = job.now_ms;
        let worker = Arc::clone(&shared);
        let served = tokio::task::spawn_blocking(move || serve_one(&worker, job, limits)).await;
        match served {
            Ok(Some(bytes)) => budgets.charge(from, bytes, now_ms),
            Ok(None) => {}
            Err(error) => {
                shared.counters.sync_read_faults.fetch_add(1, Relaxed);
                tracing::error!(peer = %hex::encode(from), %error, "sync serving task failed");
            }
        }
    }
}

/// Answer one job; the bytes sent, or `None` if nothing was.
fn serve_one(shared: &Shared, job: SyncJob, limits: AnswerLimits) -> Option<usize> {
    let store = &shared.store;
    let read = |height| super::restart::committed_block(store, height).map_err(|e| e.to_string());
    match answer(&job.request, &job.tip, limits, read) {
        Ok(response) => {
            let bytes = ConsensusMessage::SyncResponse(Box::new(response)).encode();
            let len = bytes.len();
            shared.counters.sync_served.fetch_add(1, Relaxed);
            shared
                .counters
                .sync_bytes_served
                .fetch_add(len as u64, Relaxed);
            let _ = job.respond.send(bytes);
            Some(len)
        }
        Err(error) => {
            shared.counters.sync_read_faults.fetch_add(1, Relaxed);
            tracing::error!(
                peer = %hex::encode(job.from),
                from_height = job.request.from_height,
                target_height = job.request.target_height,
                %error,
                "sync request not answered: store read fault"
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use yrd_consensus::types::{BlockId, Genesis, ValidatorSet};
    use yrd_consensus::{CommitCertificate, PublicKey};

    use super::*;

    fn block_at(height: u64) -> CommittedBlock {
        let genesis = Genesis {
            validator_set: ValidatorSet::equal_power(0, &[PublicKey([1; 32])]).unwrap(),
            state_root: [0; 32],
            timestamp_ms: height,
        };
        let mut header = genesis.header();
        header.height = height;
        CommittedBlock {
            block: Block {
                header: header.clone(),
                payload: vec![0; 100],
            },
            certificate: CommitCertificate {
                headers: vec![header],
                qc: genesis.qc(),
            },
        }
    }

    fn request(from_height: u64, target_height: u64) -> SyncRequest {
        SyncRequest {
            from_height,
            target: BlockId([9; 32]),
            target_height,
        }
    }

    const LIMITS: AnswerLimits = AnswerLimits {
        max_blocks: 256,
        max_bytes: 8 * 1024 * 1024,
    };

    #[test]
    fn healthy_store_answers_every_committed_block_then_the_uncommitted_chain() {
        let tip = TipSnapshot {
            committed_height: 3,
            uncommitted: Some(vec![block_at(4).block]),
        };
        let response = answer(&request(1, 4), &tip, LIMITS, |h| Ok(Some(block_at(h)))).unwrap();
        let heights: Vec<u64> = response
            .committed
            .iter()
            .map(|b| b.block.header.height)
            .collect();
        assert_eq!(heights, vec![1, 2, 3]);
        assert_eq!(response.uncommitted.len(), 1);
    }

    #[test]
    fn a_store_read_fault_is_an_error_never_a_shorter_answer() {
        let tip = TipSnapshot {
            committed_height: 5,
            uncommitted: None,
        };
        let faulty = |h: u64| {
            if h == 3 {
                Err("injected read fault".to_owned())
            } else {
                Ok(Some(block_at(h)))
            }
        };
        match answer(&request(1, 5), &tip, LIMITS, faulty) {
            Err(SyncServeError::Read { height: 3, reason }) => {
                assert!(reason.contains("injected"), "{reason}");
            }
            other => panic!("expected a read error at height 3, got {other:?}"),
        }
        // The old responder (`consensus::sync::respond` fed `.ok().flatten()`) turned the same
        // fault into a two-block answer; a block the store does not hold still ends the answer.
        let absent = |h: u64| Ok((h < 3).then(|| block_at(h)));
        let response = answer(&request(1, 5), &tip, LIMITS, absent).unwrap();
        assert_eq!(response.committed.len(), 2);
    }

    #[test]
    fn answers_respect_block_and_byte_limits() {
        let tip = TipSnapshot {
            committed_height: 10,
            uncommitted: Some(vec![block_at(11).block]),
        };
        let two = AnswerLimits {
            max_blocks: 2,
            max_bytes: LIMITS.max_bytes,
        };
        let response = answer(&request(1, 11), &tip, two, |h| Ok(Some(block_at(h)))).unwrap();
        assert_eq!(response.committed.len(), 2);
        assert!(response.uncommitted.is_empty(), "the tip was not reached");
        let one_block = SYNC_RESPONSE_OVERHEAD_BYTES + encoded_len(&block_at(1));
        let tight = AnswerLimits {
            max_blocks: 256,
            max_bytes: one_block,
        };
        let response = answer(&request(1, 11), &tip, tight, |h| Ok(Some(block_at(h)))).unwrap();
        assert_eq!(response.committed.len(), 1);
    }

    #[test]
    fn uncommitted_chain_taken_only_when_the_answer_can_reach_the_tip() {
        assert!(may_reach_tip(&request(1, 11), 10, 10));
        assert!(!may_reach_tip(&request(1, 11), 10, 9));
        assert!(
            !may_reach_tip(&request(1, 10), 10, 256),
            "target already committed"
        );
    }

    #[test]
    fn one_peer_cannot_fill_the_serve_queue() {
        let shares = QueueShares::new(2);
        let flooder = [1; 32];
        let honest = [2; 32];
        assert!(shares.take(flooder));
        assert!(shares.take(flooder));
        assert!(!shares.take(flooder), "its third queued request is dropped");
        assert!(shares.take(honest), "another peer still gets a place");
        // A served job gives its place back.
        shares.release(flooder);
        assert!(shares.take(flooder));
        shares.release(honest);
        assert_eq!(shares.peers(), 1, "a peer with nothing queued is forgotten");
    }

    #[test]
    fn settings_validated_at_the_edge() {
        let base = SyncServeConfig::default();
        assert_eq!(base.validate(8 * 1024 * 1024), Ok(()));
        let zero = SyncServeConfig {
            serve_queue: 0,
            ..base
        };
        assert_eq!(zero.validate(1).unwrap_err().key, "sync_serve_queue");
        let share_beyond_queue = SyncServeConfig {
            serve_queue_per_peer: base.serve_queue + 1,
            ..base
        };
        assert_eq!(
            share_beyond_queue.validate(1_024).unwrap_err().key,
            "sync_serve_queue_per_peer"
        );
        let no_share = SyncServeConfig {
            serve_queue_per_peer: 0,
            ..base
        };
        assert!(no_share.validate(1_024).is_err());
        let burst_below_one_answer = SyncServeConfig {
            peer_burst_bytes: 1_023,
            ..base
        };
        assert!(burst_below_one_answer.validate(1_024).is_err());
        let burst_one_answer = SyncServeConfig {
            peer_burst_bytes: 1_024,
            ..base
        };
        assert_eq!(burst_one_answer.validate(1_024), Ok(()));
    }
}
