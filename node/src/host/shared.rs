//! What the host loop shares with the RPC server and the transaction ingress: the store, the
//! mempool, the chain head and recent submission outcomes.
//!
//! The host loop is the only writer of chain state; everything here is read-mostly and each lock is
//! held for a short, bounded piece of work (never across an await or a disk write of a block).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use tokio::sync::{broadcast, watch};
use yrd_consensus::types::ValidatorSet;
use yrd_contracts::state::State;
use yrd_contracts::{SignedTx, StateReader};
use yrd_verifier::chain_spec::ChainSpec;

use crate::clock::{Clock, SystemClock};
use crate::mempool::{EvictReason, Mempool, MempoolError, PoolTx};
use crate::rpc::views::{HeadInfo, LicenceStatusChange};
use crate::storage::{RocksTreeStore, Store};

/// A transaction waiting in the mempool, with the bytes it arrived as.
#[derive(Debug, Clone)]
pub struct PendingTx {
    /// The decoded transaction.
    pub tx: SignedTx,
    /// Its canonical bytes (what goes into a payload).
    pub bytes: Vec<u8>,
    /// Its hash.
    pub hash: [u8; 32],
}

impl PoolTx for PendingTx {
    fn hash(&self) -> [u8; 32] {
        self.hash
    }
    fn signer(&self) -> [u8; 32] {
        self.tx.body.signer
    }
    fn nonce(&self) -> u64 {
        self.tx.body.nonce
    }
    fn expiry_height(&self) -> u64 {
        self.tx.body.expiry_height
    }
    fn encoded_len(&self) -> usize {
        self.bytes.len()
    }
}

/// A refused transaction remembered for `tx_getStatus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable error code.
    pub code: u32,
    /// What was wrong.
    pub message: String,
}

/// Refusals by hash, and their hashes oldest first (for eviction).
type RefusalLog = (BTreeMap<[u8; 32], Refusal>, VecDeque<[u8; 32]>);

/// How many refusals are remembered for status queries (oldest forgotten first).
pub const MAX_REMEMBERED_REFUSALS: usize = 10_000;

/// `TxError::Expired`'s code, for a transaction evicted on expiry.
const EXPIRED_CODE: u32 = 104;
/// `TxError::BadNonce`'s code, for a transaction evicted because its nonce was spent.
const BAD_NONCE_CODE: u32 = 105;

/// Counters the node exports.
#[derive(Debug, Default)]
pub struct NodeCounters {
    /// Transactions admitted to the mempool.
    pub txs_admitted: std::sync::atomic::AtomicU64,
    /// Transactions refused at admission (any reason).
    pub txs_refused: std::sync::atomic::AtomicU64,
    /// The same, by reason (indexed as [`super::ingress::REFUSAL_REASONS`]).
    pub txs_refused_by_reason:
        [std::sync::atomic::AtomicU64; super::ingress::REFUSAL_REASONS.len()],
    /// Consensus messages that failed to decode.
    pub consensus_messages_malformed: std::sync::atomic::AtomicU64,
    /// Blocks executed.
    pub blocks_executed: std::sync::atomic::AtomicU64,
    /// Committed blocks whose payload was malformed (executed as empty).
    pub payloads_malformed: std::sync::atomic::AtomicU64,
    /// Gossip messages (transaction batches) dropped because the gossip ingress queue was full.
    pub gossip_txs_dropped: std::sync::atomic::AtomicU64,
    /// Gossip messages refused whole because they were not a well-formed transaction batch.
    pub gossip_batches_malformed: std::sync::atomic::AtomicU64,
    /// Sync requests answered.
    pub sync_served: std::sync::atomic::AtomicU64,
    /// Bytes of sync answers sent.
    pub sync_bytes_served: std::sync::atomic::AtomicU64,
    /// Sync requests dropped because the serve queue (or the peer's share of it) was full.
    pub sync_dropped_queue_full: std::sync::atomic::AtomicU64,
    /// Sync requests refused because the peer's byte budget was exhausted.
    pub sync_refused_budget: std::sync::atomic::AtomicU64,
    /// Sync requests left unanswered because a store read failed.
    pub sync_read_faults: std::sync::atomic::AtomicU64,
    /// State-sync requests answered (manifests and chunks, including "unavailable").
    pub snapshot_requests_served: std::sync::atomic::AtomicU64,
    /// State-sync requests dropped (server busy, or the peer over its byte budget).
    pub snapshot_requests_dropped: std::sync::atomic::AtomicU64,
}

/// State shared between the host loop, the ingress and the RPC server.
#[derive(Debug)]
pub struct Shared {
    /// The chain this node runs.
    pub chain: ChainSpec,
    /// The database.
    pub store: Store,
    /// Waiting transactions.
    pub mempool: Mutex<Mempool<PendingTx>>,
    /// The latest committed head.
    pub head: watch::Sender<HeadInfo>,
    /// The validator set of the committed tip's epoch (the genesis set until the host starts;
    /// then the start state's, rebuilt from the stored epoch changes, and each new epoch's).
    pub validators: watch::Sender<ValidatorSet>,
    /// The registered observers' node keys in the committed state (kept by the host).
    pub observers: watch::Sender<Vec<[u8; 32]>>,
    /// New heads, for subscriptions (lagging receivers skip).
    pub heads: broadcast::Sender<HeadInfo>,
    /// Licence status changes (commitment, new status code, height), for subscriptions.
    pub licence_events: broadcast::Sender<LicenceStatusChange>,
    /// Recently refused transactions.
    refusals: Mutex<RefusalLog>,
    /// Counters.
    pub counters: NodeCounters,
    /// Members currently connected (kept by the host from network events).
    pub connected_peers: Mutex<std::collections::BTreeSet<[u8; 32]>>,
    /// The remote address of each connected member, as its connection reported it.
    pub peer_addresses: Mutex<std::collections::BTreeMap<[u8; 32], String>>,
    /// Signalled whenever a transaction enters the mempool (ends an empty-block wait).
    pub tx_arrived: tokio::sync::Notify,
    /// Set while a state-tree pruning runs.
    pub pruning: std::sync::atomic::AtomicBool,
    /// Seconds from a block's timestamp (its proposer's clock) to its commit here.
    pub commit_latency: prometheus_client::metrics::histogram::Histogram,
    /// Seconds between consecutive commits here.
    pub block_interval: prometheus_client::metrics::histogram::Histogram,
    /// Seconds of each committed block's RocksDB write (`yrd_db_commit_write_seconds`).
    pub db_commit_write: prometheus_client::metrics::histogram::Histogram,
    /// The consensus core's counters as of the last round change or commit (published by the
    /// host).
    pub consensus: Mutex<yrd_consensus::Metrics>,
    /// The validators leader reputation passes over in the current round (published with
    /// [`Shared::consensus`]).
    pub leaders_excluded: Mutex<Vec<[u8; 32]>>,
    /// The consensus core's current round (set by the host after each step).
    pub consensus_round: std::sync::atomic::AtomicU64,
    /// Where "now" is read ([`Shared::now_ms`]).
    clock: Arc<dyn Clock>,
    /// The highest certified height this node has learnt of ([`Shared::note_known_height`]).
    highest_known: std::sync::atomic::AtomicU64,
    /// What each member last reported of its progress ([`super::peer_progress`]).
    pub peer_progress: Mutex<super::peer_progress::PeerProgressTable>,
}

/// A node whose committed head is more than this many blocks below the highest certified
/// height it knows of reports itself as syncing. In steady operation the highest certificate is
/// one or two blocks above the committed head (a block commits once a child of it is certified).
pub const SYNCING_LAG_BLOCKS: u64 = 3;

/// Capacity of the subscription broadcast channels.
pub const SUBSCRIPTION_CHANNEL_CAPACITY: usize = 1_024;

impl Shared {
    /// Shared state around an opened store, reading the wall clock.
    pub fn new(
        chain: ChainSpec,
        store: Store,
        mempool: Mempool<PendingTx>,
        head: HeadInfo,
    ) -> Self {
        Self::with_clock(chain, store, mempool, head, Arc::new(SystemClock))
    }

    /// Shared state reading `clock` (the simulator passes a virtual one).
    pub fn with_clock(
        chain: ChainSpec,
        store: Store,
        mempool: Mempool<PendingTx>,
        head: HeadInfo,
        clock: Arc<dyn Clock>,
    ) -> Self {
        let (head_tx, _) = watch::channel(head);
        let (validators, _) = watch::channel(chain.consensus.validator_set.clone());
        let (observers, _) = watch::channel(Vec::new());
        let (heads, _) = broadcast::channel(SUBSCRIPTION_CHANNEL_CAPACITY);
        let (licence_events, _) = broadcast::channel(SUBSCRIPTION_CHANNEL_CAPACITY);
        Self {
            chain,
            store,
            mempool: Mutex::new(mempool),
            head: head_tx,
            validators,
            observers,
            heads,
            licence_events,
            refusals: Mutex::new((BTreeMap::new(), VecDeque::new())),
            counters: NodeCounters::default(),
            connected_peers: Mutex::new(std::collections::BTreeSet::new()),
            peer_addresses: Mutex::new(std::collections::BTreeMap::new()),
            tx_arrived: tokio::sync::Notify::new(),
            pruning: std::sync::atomic::AtomicBool::new(false),
            consensus: Mutex::new(yrd_consensus::Metrics::default()),
            leaders_excluded: Mutex::new(Vec::new()),
            consensus_round: std::sync::atomic::AtomicU64::new(0),
            commit_latency: super::metrics::timing_histogram(),
            block_interval: super::metrics::timing_histogram(),
            db_commit_write: super::metrics::storage_histogram(),
            clock,
            highest_known: std::sync::atomic::AtomicU64::new(0),
            peer_progress: Mutex::new(Default::default()),
        }
    }

    /// Records that a block at `height` is certified (the host passes its core's
    /// `highest_certified_height` after every step); the highest known height only grows.
    pub fn note_known_height(&self, height: u64) {
        self.highest_known
            .fetch_max(height, std::sync::atomic::Ordering::Relaxed);
    }

    /// The highest certified height known: at least the committed head's.
    pub fn highest_known_height(&self) -> u64 {
        self.highest_known
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(self.head().height)
    }

    /// Whether the node is catching up: its head is more than [`SYNCING_LAG_BLOCKS`] below the
    /// highest certified height it knows of.
    pub fn is_syncing(&self) -> bool {
        self.highest_known_height() > self.head().height.saturating_add(SYNCING_LAG_BLOCKS)
    }

    /// Now, in ms since the Unix epoch: the node's one reading of the clock.
    pub fn now_ms(&self) -> u64 {
        self.clock.unix_ms()
    }

    /// The latest committed head.
    pub fn head(&self) -> HeadInfo {
        *self.head.borrow()
    }

    /// The keys of the current validator set.
    pub fn validator_keys(&self) -> Vec<[u8; 32]> {
        self.validators
            .borrow()
            .validators
            .iter()
            .map(|validator| validator.public_key.0)
            .collect()
    }

    /// Run `f` over the state at the latest committed height.
    pub fn with_state<R>(
        &self,
        f: impl FnOnce(&dyn StateReaderDyn) -> R,
    ) -> Result<R, yrd_contracts::BlockError> {
        let height = self.head().height;
        self.with_state_at(height, f)
    }

    /// Run `f` over the state at `height` (which must be committed and not pruned).
    pub fn with_state_at<R>(
        &self,
        height: u64,
        f: impl FnOnce(&dyn StateReaderDyn) -> R,
    ) -> Result<R, yrd_contracts::BlockError> {
        let state: State<RocksTreeStore> = State::open(self.store.tree_store())?;
        let snapshot = state.snapshot_at(height);
        Ok(f(&snapshot))
    }

    /// Remember a refused transaction for status queries.
    pub fn remember_refusal(&self, hash: [u8; 32], refusal: Refusal) {
        let mut guard = self
            .refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (map, order) = &mut *guard;
        if map.insert(hash, refusal).is_none() {
            order.push_back(hash);
        }
        while order.len() > MAX_REMEMBERED_REFUSALS {
            if let Some(old) = order.pop_front() {
                map.remove(&old);
            }
        }
    }

    /// A remembered refusal.
    pub fn refusal(&self, hash: &[u8; 32]) -> Option<Refusal> {
        let guard = self
            .refusals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        guard.0.get(hash).cloned()
    }

    /// Lock the mempool (poisoning is survived: the pool's invariants hold between calls).
    pub fn mempool(&self) -> std::sync::MutexGuard<'_, Mempool<PendingTx>> {
        self.mempool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a mempool error is the pool being full (the submitter should retry later).
    pub fn is_full(error: &MempoolError) -> bool {
        error.is_full()
    }

    /// Remember transactions the mempool evicted, so `tx_getStatus` says `rejected` and why.
    /// Publishes a stored block's head and forgets its settled transactions from the pool: the
    /// one place the commit side of the mempool/commit race is handled.
    ///
    /// The invariant: *a committed transaction never stays in the pool.* Admission
    /// (`ingress::admit`) checks a transaction against the store and the head's state and
    /// inserts it under the pool's lock; here the head is published and the block's transactions
    /// removed under that same lock, after the block is in the store. Whichever side takes the
    /// lock first, a transaction committed while it was being admitted is either refused by
    /// admission (already in the store, or below the new head's next nonce) or inserted before
    /// this removal runs. `next_nonce` reads the state at the new head (for the signers whose
    /// held transactions the block made stale).
    pub fn publish_commit(
        &self,
        head: HeadInfo,
        settled: &[[u8; 32]],
        signers: &[[u8; 32]],
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) {
        let mut pool = self.mempool();
        self.head.send_replace(head);
        let commit = crate::mempool::Commit {
            included: settled,
            signers,
            height: head.height,
            now_ms: self.now_ms(),
        };
        pool.remove_committed(commit, next_nonce);
        self.remember_evictions(pool.take_evicted());
    }

    pub fn remember_evictions(&self, evicted: Vec<([u8; 32], EvictReason)>) {
        for (hash, reason) in evicted {
            let code = match reason {
                EvictReason::Expired => EXPIRED_CODE,
                EvictReason::StaleNonce => BAD_NONCE_CODE,
                _ => 0,
            };
            self.remember_refusal(
                hash,
                Refusal {
                    code,
                    message: format!("evicted from the mempool: {}", reason.label()),
                },
            );
        }
    }
}

/// Object-safe view of a state reader (the contracts' queries take `&impl StateReader`).
pub trait StateReaderDyn {
    /// Read one key.
    fn get_dyn(&self, key: &[u8]) -> Result<Option<Vec<u8>>, yrd_contracts::ReadError>;
}

impl<T: StateReader> StateReaderDyn for T {
    fn get_dyn(&self, key: &[u8]) -> Result<Option<Vec<u8>>, yrd_contracts::ReadError> {
        self.get(key)
    }
}

/// Adapter back from the object-safe view to [`StateReader`].
pub struct DynReader<'a>(pub &'a dyn StateReaderDyn);

impl StateReader for DynReader<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, yrd_contracts::ReadError> {
        self.0.get_dyn(key)
    }
}

/// Shared state behind an `Arc`.
pub type SharedRef = Arc<Shared>;

impl Shared {
    /// The set of connected members.
    pub fn connected_peers(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::BTreeSet<[u8; 32]>> {
        self.connected_peers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use yrd_contracts::TxError;

    #[test]
    fn eviction_codes_are_the_ledgers() {
        let expired = TxError::Expired {
            expiry_height: 1,
            height: 2,
        };
        let stale = TxError::BadNonce {
            expected: 1,
            actual: 0,
        };
        assert_eq!(expired.code(), super::EXPIRED_CODE);
        assert_eq!(stale.code(), super::BAD_NONCE_CODE);
    }
}
