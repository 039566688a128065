//! Transaction ingress: the one path by which a transaction enters the mempool, whether it came
//! from a client (`tx_submit`) or from a peer's gossip.
//!
//! Checks, cheapest first: size and canonical decoding, chain id, expiry, signature
//! (`verify_strict`, the ledger's rule — see docs/adr/004), the signer's role in the latest
//! committed state (`yrd_contracts::query::signer_may_submit`: a key with no role is refused before
//! the mempool, so an anonymous caller creates nothing), then the mempool's own limits and nonce
//! window against the latest committed state. Whether the transaction is *authorised* is decided
//! only by execution; admission only keeps out what can never succeed or was not signed.

use std::sync::Arc;

use tokio::sync::mpsc;
use yrd_contracts::{SignedTx, TxError};

use super::port::HostNetwork;
use super::shared::{PendingTx, Refusal, Shared};
use crate::mempool::{Admission, GroupKey, MempoolError};
use crate::network::{GossipTicket, GossipVerdict};

/// Most gossiped transactions waiting for admission. Beyond it a delivery is dropped (not
/// forwarded, no penalty: the relay did nothing wrong) and counted in `gossip_txs_dropped`.
pub const GOSSIP_INGRESS_QUEUE: usize = 16_384;
/// Most gossiped transactions admitted by one blocking call.
pub const GOSSIP_ADMIT_BATCH: usize = 512;

/// A gossiped transaction waiting for admission.
#[derive(Debug)]
pub struct GossipedTx {
    /// The member that relayed it.
    pub from: [u8; 32],
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Where the verdict goes.
    pub ticket: GossipTicket,
}

/// Start the gossip ingress: a task that admits gossiped transactions in batches on a blocking
/// thread (signature checks are the costly part) and passes each verdict back to the network,
/// which forwards only what was admitted. Consensus messages never wait behind it: the host loop
/// only queues a transaction here ([`queue_gossiped`]).
pub fn spawn_gossip_ingress<N: HostNetwork>(
    shared: Arc<Shared>,
    network: N,
) -> mpsc::Sender<GossipedTx> {
    let (tx, rx) = mpsc::channel(GOSSIP_INGRESS_QUEUE);
    tokio::spawn(run_gossip_ingress(rx, shared, network));
    tx
}

/// Queue a gossiped transaction for admission, or drop and count it if the queue is full.
pub fn queue_gossiped(
    queue: &mpsc::Sender<GossipedTx>,
    shared: &Shared,
    gossiped: GossipedTx,
) -> Option<GossipedTx> {
    match queue.try_send(gossiped) {
        Ok(()) => None,
        Err(
            mpsc::error::TrySendError::Full(gossiped) | mpsc::error::TrySendError::Closed(gossiped),
        ) => {
            shared
                .counters
                .gossip_txs_dropped
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(peer = %hex::encode(gossiped.from), reason = "gossip ingress queue full", "gossiped transaction dropped");
            Some(gossiped)
        }
    }
}

async fn run_gossip_ingress<N: HostNetwork>(
    mut queue: mpsc::Receiver<GossipedTx>,
    shared: Arc<Shared>,
    network: N,
) {
    while let Some(first) = queue.recv().await {
        let mut batch = vec![first];
        while batch.len() < GOSSIP_ADMIT_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let mut tickets = Vec::with_capacity(batch.len());
        let mut bytes = Vec::with_capacity(batch.len());
        for gossiped in batch {
            tickets.push((gossiped.from, gossiped.ticket));
            bytes.push(gossiped.bytes);
        }
        let admitting = Arc::clone(&shared);
        let results = match tokio::task::spawn_blocking(move || {
            bytes
                .into_iter()
                .map(|bytes| admit(&admitting, bytes))
                .collect::<Vec<_>>()
        })
        .await
        {
            Ok(results) => results,
            Err(error) => {
                tracing::warn!(%error, "gossip admission task failed");
                continue;
            }
        };
        for ((from, ticket), result) in tickets.into_iter().zip(results) {
            let verdict = match &result {
                Ok(_) => GossipVerdict::Accept,
                Err(AdmitError::Invalid(_) | AdmitError::WrongChain { .. }) => {
                    GossipVerdict::Reject
                }
                // Includes `UnregisteredSigner`: roles change with the state, so a relay at another
                // height may rightly disagree and is not penalised.
                Err(_) => GossipVerdict::Ignore,
            };
            if let Err(error) = &result {
                tracing::debug!(peer = %hex::encode(from), %error, "gossiped transaction refused");
                if verdict == GossipVerdict::Reject {
                    let _ = network.report_invalid(from, "invalid transaction").await;
                }
            }
            if network.gossip_verdict(ticket, verdict).await.is_err() {
                return;
            }
        }
    }
}

/// The committed state or the store could not be read during admission (a node fault, never
/// the transaction's): the caller is told the node is not accepting transactions now.
#[derive(Debug, thiserror::Error)]
pub enum StateUnavailable {
    /// The store failed.
    #[error("reading the store: {0}")]
    Store(#[from] crate::storage::StorageError),
    /// The committed state could not be opened at the head.
    #[error("opening the committed state: {0}")]
    Open(#[from] yrd_contracts::BlockError),
    /// A query over it failed.
    #[error("reading the committed state: {0}")]
    Query(#[from] yrd_contracts::query::QueryError),
    /// A read of it failed.
    #[error("reading the committed state: {0}")]
    Read(#[from] yrd_contracts::ReadError),
}

/// Why a transaction was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// It failed a ledger rule that admission checks (encoding, chain id, signature, size).
    #[error("{0}")]
    Invalid(TxError),
    /// The chain id is another chain's.
    #[error("transaction is for chain {got:?}, this node runs {expected:?}")]
    WrongChain {
        /// This node's chain.
        expected: String,
        /// The transaction's.
        got: String,
    },
    /// The signer has no role in the latest committed state (`TxError::UnregisteredSigner`).
    #[error("{0}")]
    UnregisteredSigner(TxError),
    /// The mempool refused it.
    #[error("{0}")]
    Mempool(MempoolError),
    /// The latest state could not be read.
    #[error("state unavailable: {0}")]
    State(#[from] StateUnavailable),
}

/// Why admission refused a transaction, as the `error` label of `yrd_txs_refusals_total`: one
/// value per [`AdmitError`] variant, a mempool refusal by its [`MempoolError`] variant.
pub const REFUSAL_REASONS: [&str; 15] = [
    "invalid",
    "wrong_chain",
    "unregistered_signer",
    "state_unavailable",
    "duplicate",
    "full_count",
    "full_bytes",
    "signer_full",
    "over_fair_share",
    "too_many_gapped",
    "nonce_too_low",
    "nonce_too_high",
    "nonce_taken",
    "expired",
    "expiry_too_far",
];

impl AdmitError {
    /// This refusal's index in [`REFUSAL_REASONS`].
    pub fn reason_index(&self) -> usize {
        match self {
            AdmitError::Invalid(_) => 0,
            AdmitError::WrongChain { .. } => 1,
            AdmitError::UnregisteredSigner(_) => 2,
            AdmitError::State(_) => 3,
            AdmitError::Mempool(error) => match error {
                MempoolError::Duplicate(_) => 4,
                MempoolError::FullCount { .. } => 5,
                MempoolError::FullBytes { .. } => 6,
                MempoolError::SignerFull { .. } => 7,
                MempoolError::OverFairShare { .. } => 8,
                MempoolError::TooManyGapped { .. } => 9,
                MempoolError::NonceTooLow { .. } => 10,
                MempoolError::NonceTooHigh { .. } => 11,
                MempoolError::NonceTaken { .. } => 12,
                MempoolError::Expired { .. } => 13,
                MempoolError::ExpiryTooFar { .. } => 14,
            },
        }
    }

    /// The ledger error code when there is one (0 otherwise).
    pub fn tx_code(&self) -> u32 {
        match self {
            AdmitError::Invalid(e) | AdmitError::UnregisteredSigner(e) => e.code(),
            _ => 0,
        }
    }
}

/// Admit canonical transaction bytes. Returns the transaction hash.
pub fn admit(shared: &Shared, bytes: Vec<u8>) -> Result<[u8; 32], AdmitError> {
    let result = admit_inner(shared, bytes);
    let counters = &shared.counters;
    match &result {
        Ok(_) => {
            shared.tx_arrived.notify_waiters();
            counters
                .txs_admitted
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        }
        Err(error) => {
            if let Some(counter) = counters.txs_refused_by_reason.get(error.reason_index()) {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            counters
                .txs_refused
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        }
    };
    result
}

fn admit_inner(shared: &Shared, bytes: Vec<u8>) -> Result<[u8; 32], AdmitError> {
    let tx = SignedTx::from_bytes(&bytes).map_err(AdmitError::Invalid)?;
    let hash = tx.hash();
    let expected = &shared.chain.genesis.chain_id;
    if &tx.body.chain_id != expected {
        let error = AdmitError::WrongChain {
            expected: expected.0.clone(),
            got: tx.body.chain_id.0.clone(),
        };
        shared.remember_refusal(
            hash,
            Refusal {
                code: 0,
                message: error.to_string(),
            },
        );
        return Err(error);
    }
    // A replay of a waiting or committed transaction is a duplicate, whatever its nonce says
    // (checked again under the pool's lock below; this early check spares the signature check).
    let committed = shared
        .store
        .has_transaction(&hash)
        .map_err(StateUnavailable::from)?;
    if committed || shared.mempool().contains(&hash) {
        return Err(AdmitError::Mempool(MempoolError::Duplicate(hash)));
    }
    if let Err(e) = tx.verify_signature() {
        shared.remember_refusal(
            hash,
            Refusal {
                code: e.code(),
                message: e.to_string(),
            },
        );
        return Err(AdmitError::Invalid(e));
    }
    let group = refuse_unregistered_signer(shared, &tx, hash)?;
    // From here to the insert, under the pool's lock: the admission side of the invariant that
    // a committed transaction never stays in the pool (`Shared::publish_commit` explains it).
    // Checked outside the lock, a commit could fall between the checks and the insert and leave
    // a committed transaction in the pool for good.
    let mut pool = shared.mempool();
    let committed = shared
        .store
        .has_transaction(&hash)
        .map_err(StateUnavailable::from)?;
    if committed {
        return Err(AdmitError::Mempool(MempoolError::Duplicate(hash)));
    }
    let head = shared.head();
    let signer = tx.body.signer;
    let next_nonce = shared
        .with_state_at(head.height, |reader| {
            yrd_contracts::query::next_nonce(&super::shared::DynReader(reader), &signer)
        })
        .map_err(StateUnavailable::from)?
        .map_err(StateUnavailable::from)?;
    let pending = PendingTx { tx, bytes, hash };
    let admission = Admission {
        next_nonce,
        height: head.height,
        now_ms: shared.now_ms(),
        group,
    };
    let result = pool.insert(pending, admission);
    shared.remember_evictions(pool.take_evicted());
    result.map_err(|e| {
        if !matches!(e, MempoolError::Duplicate(_)) && !e.is_full() {
            shared.remember_refusal(
                hash,
                Refusal {
                    code: 0,
                    message: e.to_string(),
                },
            );
        }
        AdmitError::Mempool(e)
    })?;
    Ok(hash)
}

/// Refuses a signer with no role in the latest committed state, before the mempool and before any
/// nonce record could exist (see `yrd_contracts::query::signer_may_submit`). Otherwise returns the
/// signer's fair-share group, read from the same state (outside the pool's lock: a group only
/// sizes shares, and roles change only by committed governance).
fn refuse_unregistered_signer(
    shared: &Shared,
    tx: &SignedTx,
    hash: [u8; 32],
) -> Result<GroupKey, AdmitError> {
    let head = shared.head();
    let signer = tx.body.signer;
    let (may_submit, group) = shared
        .with_state_at(head.height, |reader| {
            let reader = super::shared::DynReader(reader);
            // A refused signer costs no further reads.
            yrd_contracts::query::signer_may_submit(&reader, &signer, &tx.body.payload).map(|may| {
                (
                    may,
                    may.then(|| super::signer_group::signer_province(&reader, &signer)),
                )
            })
        })
        .map_err(StateUnavailable::from)?
        .map_err(StateUnavailable::from)?;
    if may_submit {
        return Ok(group.flatten());
    }
    let error = TxError::UnregisteredSigner { signer };
    tracing::debug!(signer = %hex::encode(signer), tx = %hex::encode(hash), "transaction refused: signer has no role");
    shared.remember_refusal(
        hash,
        Refusal {
            code: error.code(),
            message: error.to_string(),
        },
    );
    Err(AdmitError::UnregisteredSigner(error))
}
