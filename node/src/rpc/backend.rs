//! [`RpcBackend`]: everything the RPC server needs from the node, as one trait.
//!
//! The node's host loop (consensus, mempool, storage, execution) implements it; tests implement
//! it over an in-memory state. Every method is synchronous and must return promptly: it may read
//! storage or take a short lock, but it must never wait on consensus progress, the network or a
//! lock held across consensus work. The RPC server calls the state-reading and submitting methods
//! from tokio's blocking pool, bounded by [`super::RpcConfig::max_concurrent_backend_calls`], so a
//! flood of RPC work queues up or is refused instead of starving the runtime consensus runs on.

use tokio::sync::broadcast;
use yrd_consensus::CommitCertificate;
use yrd_consensus::types::BlockHeader;
use yrd_contracts::TxError;
use yrd_contracts::batch::{BatchError, BatchProof};
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::state::BlockError;
use yrd_contracts::tree::StateProof;
use yrd_contracts::types::TxHash;
use yrd_contracts::{ReadError, StateReader};

pub use super::batch_leaves::LeavesSubmission;

use crate::storage::StorageError;

use super::views::{
    BlockRef, BlockView, HeadInfo, LicenceStatusChange, NodeStatus, PeerView, StoredTx, TxStatus,
};

/// A state reader pinned to one version. Queries read through it on the blocking pool.
pub type StateHandle = Box<dyn StateReader + Send + Sync>;

/// Reads of one state version, each with its proof against that version's root.
pub type ProverHandle =
    Box<dyn Fn(&[u8]) -> Result<(Option<Vec<u8>>, StateProof), ReadError> + Send + Sync>;

/// The committed header verifiable answers are anchored at, and what proves it committed.
#[derive(Debug, Clone)]
pub struct ProofAnchor {
    /// A committed header; its `executed` names the state version and root answers are read at.
    pub header: BlockHeader,
    /// Its commit certificate; `None` only for the genesis header.
    pub certificate: Option<CommitCertificate>,
    /// Commit certificates of every reconfiguration block from the genesis epoch to the
    /// header's, oldest first.
    pub epoch_changes: Vec<CommitCertificate>,
}

/// Where a commitment sits in a batch whose leaves an issuer left with this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInclusion {
    /// The anchored root.
    pub root: [u8; 32],
    /// Inclusion proof of the commitment.
    pub proof: BatchProof,
}

/// Why the node refused an issuer's batch leaves.
#[derive(Debug, thiserror::Error)]
pub enum BatchLeavesError {
    /// No batch with this root is anchored (at the latest committed height).
    #[error("no batch with root {} is anchored", hex::encode(.root))]
    NotAnchored {
        /// The root the leaves hash to.
        root: [u8; 32],
    },
    /// The batch was issued in another province: its leaves belong with that province's node.
    #[error("batch issued in province {issuing}; this node keeps leaves for province {local} only")]
    OtherProvince {
        /// The batch's issuing province.
        issuing: u32,
        /// This node's province.
        local: u32,
    },
    /// The signature does not verify with the key that anchored the batch.
    #[error("leaves of batch {} are not signed by the issuer that anchored it", hex::encode(.root))]
    NotSignedByIssuer {
        /// The root the leaves hash to.
        root: [u8; 32],
    },
    /// Keeping them would take the issuer over `[rpc] max_batch_leaves_per_issuer`.
    #[error(
        "issuer keeps {kept} leaves with this node; {submitted} more would exceed its limit of {max}"
    )]
    IssuerQuota {
        /// Leaves the issuer already keeps here.
        kept: u64,
        /// Leaves submitted.
        submitted: u64,
        /// The limit.
        max: u64,
    },
    /// More leaves than this node keeps for one batch.
    #[error("{leaves} leaves; this node keeps batches of at most {max}")]
    TooManyLeaves {
        /// Leaves submitted.
        leaves: usize,
        /// The most this node keeps per batch.
        max: usize,
    },
    /// The leaves do not form a batch (empty, for one).
    #[error("{0}")]
    Invalid(#[source] BatchError),
    /// The latest state could not be read to check the anchoring.
    #[error(transparent)]
    State(BackendError),
    /// A node fault while checking or keeping the leaves.
    #[error("internal: {0}")]
    Internal(#[from] BackendFault),
}

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
#[derive(Debug, thiserror::Error)]
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
    /// The node is not ready (starting, no genesis yet). A string: the message is composed for
    /// the client (it is what `-33003` says), and there is no underlying error to carry.
    #[error("node not ready: {0}")]
    NotReady(String),
    /// A node fault: the client sees only "internal error", the node's log sees this.
    #[error("internal: {0}")]
    Internal(#[from] BackendFault),
}

impl From<StorageError> for BackendError {
    fn from(error: StorageError) -> Self {
        BackendError::Internal(BackendFault::Storage(error))
    }
}

impl From<ReadError> for BackendError {
    fn from(error: ReadError) -> Self {
        BackendError::Internal(BackendFault::Read(error))
    }
}

impl From<StorageError> for BatchLeavesError {
    fn from(error: StorageError) -> Self {
        BatchLeavesError::Internal(BackendFault::Storage(error))
    }
}

impl From<ReadError> for BatchLeavesError {
    fn from(error: ReadError) -> Self {
        BatchLeavesError::Internal(BackendFault::Read(error))
    }
}

/// A node fault behind a backend answer: the store failed, or holds something it should not.
/// Never the client's doing; it maps to the `internal` code (-33099) and its details stay in the
/// node's log.
#[derive(Debug, thiserror::Error)]
pub enum BackendFault {
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Reading the state failed.
    #[error("reading the state: {0}")]
    Read(#[from] ReadError),
    /// The state could not be opened.
    #[error("opening the state: {0}")]
    OpenState(#[from] BlockError),
    /// A record every committed chain has is not in the store.
    #[error("no {what} {at} in the store")]
    Missing {
        /// What was being read (`"state root of committed height"`, ...).
        what: &'static str,
        /// The height or epoch it was read at.
        at: u64,
    },
    /// Leaves this node keeps for a batch do not match the batch.
    #[error("kept leaves of batch {}: {problem}", hex::encode(.root))]
    KeptLeaves {
        /// The batch root.
        root: [u8; 32],
        /// What is wrong with them.
        problem: &'static str,
    },
    /// Leaves this node keeps for a batch do not build a tree.
    #[error("kept leaves of batch {} do not build a tree: {source}", hex::encode(.root))]
    KeptTree {
        /// The batch root.
        root: [u8; 32],
        /// Why the tree was refused.
        source: BatchError,
    },
    /// A rebuilt batch tree refused an inclusion proof of one of its leaves.
    #[error("inclusion proof: {0}")]
    InclusionProof(#[source] BatchError),
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

    /// The latest committed header with a certificate, to anchor verifiable answers at.
    fn proof_anchor(&self) -> Result<ProofAnchor, BackendError>;

    /// Reads of the state at `version` with proofs.
    fn prover_at(&self, version: u64) -> Result<ProverHandle, BackendError>;

    /// Keep an issuer's batch leaves (commitments, in batch order) locally so holders can fetch
    /// inclusion proofs; the batch must be anchored under `submission.issuer` and the submission
    /// signed by the key that anchored it (`super::batch_leaves`), and the issuer's kept leaves
    /// stay within `max_leaves_per_issuer`. Never replicated. Returns the root.
    fn store_batch_leaves(
        &self,
        submission: LeavesSubmission,
        max_leaves_per_issuer: u64,
    ) -> Result<[u8; 32], BatchLeavesError>;

    /// The inclusion proof of `commitment` in a batch whose leaves this node keeps.
    fn batch_inclusion(
        &self,
        issuer: &Uscc,
        commitment: &[u8; 32],
    ) -> Result<Option<BatchInclusion>, BackendError>;

    /// This node's network key (`node_getStatus.nodeKey`), which verifier signatures name.
    fn node_key(&self) -> [u8; 32];

    /// The key this node signs status-list credentials with (its node key, whose public half is
    /// [`RpcBackend::node_key`]); `None` when it has none to sign with, and then
    /// `GET /status/…` answers 503.
    fn status_list_signer(&self) -> Option<&ed25519_dalek::SigningKey> {
        None
    }

    /// The genesis this node runs, which the web console serves (`GET /console/genesis.json`);
    /// `None` by default, and then that path answers 404.
    fn genesis(&self) -> Option<&yrd_contracts::Genesis> {
        None
    }

    /// This node's status.
    fn node_status(&self) -> Result<NodeStatus, BackendError>;

    /// Puts more series for one `/metrics` scrape in `registry` (the node's timing histograms,
    /// consensus, storage and network figures); nothing by default. Called on a blocking thread,
    /// once per scrape: values read here are that scrape's.
    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        let _ = registry;
    }

    /// Known peers.
    fn peers(&self) -> Result<Vec<PeerView>, BackendError>;

    /// New heads, one per committed block, sent after the block's state is readable.
    fn subscribe_heads(&self) -> broadcast::Receiver<HeadInfo>;

    /// Licence status changes (anchor, suspend, revoke, reinstate, renew, batch import), sent
    /// after the block's state is readable. The RPC filters them per subscriber and re-reads the
    /// licence under the subscriber's data-class rights; the event itself is never forwarded.
    fn subscribe_licence_status(&self) -> broadcast::Receiver<LicenceStatusChange>;
}
