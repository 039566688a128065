//! [`RpcBackend`]: everything the RPC server needs from the node, as one trait.
//!
//! The node's host loop (consensus, mempool, storage, execution) implements it; tests implement
//! it over an in-memory state. Every method is synchronous and must return promptly: it may read
//! storage or take a short lock, but it must never wait on consensus progress, the network or a
//! lock held across consensus work. The RPC server calls the state-reading and submitting methods
//! from tokio's blocking pool, bounded by [`super::RpcConfig::max_concurrent_backend_calls`], so a
//! flood of RPC work queues up or is refused instead of starving the runtime consensus runs on.

use tokio::sync::broadcast;
use yrd_contracts::StateReader;
use yrd_contracts::TxError;
use yrd_contracts::types::TxHash;

use super::views::{
    BlockRef, BlockView, HeadInfo, LicenceStatusChange, NodeStatus, PeerView, StoredTx, TxStatus,
};

/// A state reader pinned to one version. Queries read through it on the blocking pool.
pub type StateHandle = Box<dyn StateReader + Send + Sync>;

/// Why the node refused a submitted transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The transaction is invalid: not canonical bytes, too large, bad signature, wrong chain,
    /// expired, stale nonce — the same `TxError` a block would record for it.
    #[error("transaction invalid: {0}")]
    Invalid(TxError),
    /// The same transaction is already pending or committed.
    #[error("transaction {} is already known", hex::encode(.hash))]
    Duplicate {
        /// Its hash.
        hash: TxHash,
    },
    /// The mempool has no room.
    #[error("mempool full: {reason}")]
    MempoolFull {
        /// The mempool's message (which limit).
        reason: String,
    },
    /// The mempool's admission policy refused it (signer quota, nonce too far ahead, nonce
    /// already taken by another waiting transaction).
    #[error("not admitted: {reason}")]
    NotAdmitted {
        /// The mempool's message.
        reason: String,
    },
    /// The node does not take transactions now (syncing, shutting down).
    #[error("node not accepting transactions: {reason}")]
    NotAccepting {
        /// Why.
        reason: String,
    },
}

/// Why the backend could not answer a read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The asked state version is pruned or not yet written.
    #[error("state version {version} unavailable (kept: {oldest_kept}..={latest})")]
    VersionUnavailable {
        /// Asked for.
        version: u64,
        /// Oldest kept version.
        oldest_kept: u64,
        /// Latest version.
        latest: u64,
    },
    /// The node is not ready (starting, no genesis yet).
    #[error("node not ready: {0}")]
    NotReady(String),
    /// A storage or internal fault.
    #[error("internal: {0}")]
    Internal(String),
}

/// What the RPC server needs from the node. See the module doc for the blocking rules.
pub trait RpcBackend: Send + Sync + 'static {
    /// Checks and admits a transaction given its canonical bytes; returns its hash.
    fn submit_tx(&self, tx_bytes: Vec<u8>) -> Result<TxHash, SubmitError>;

    /// Where a transaction stands.
    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, BackendError>;

    /// A committed transaction, `None` if unknown.
    fn tx(&self, hash: &TxHash) -> Result<Option<StoredTx>, BackendError>;

    /// The latest committed block.
    fn head(&self) -> Result<HeadInfo, BackendError>;

    /// A committed block, `None` if there is none at that height or with that id.
    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, BackendError>;

    /// A reader of the state at `version` (the latest committed when `None`).
    fn state_at(&self, version: Option<u64>) -> Result<StateHandle, BackendError>;

    /// This node's status.
    fn node_status(&self) -> Result<NodeStatus, BackendError>;

    /// Known peers.
    fn peers(&self) -> Result<Vec<PeerView>, BackendError>;

    /// New heads, one per committed block, sent after the block's state is readable.
    fn subscribe_heads(&self) -> broadcast::Receiver<HeadInfo>;

    /// Licence status changes (anchor, suspend, revoke, reinstate, renew, batch import), sent
    /// after the block's state is readable. The RPC filters them per subscriber and re-reads the
    /// licence under the subscriber's data-class rights; the event itself is never forwarded.
    fn subscribe_licence_status(&self) -> broadcast::Receiver<LicenceStatusChange>;
}
