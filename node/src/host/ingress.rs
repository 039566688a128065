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
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::mpsc;
use yrd_contracts::{SignedTx, TxError};

use super::port::HostNetwork;
use super::shared::{PendingTx, Refusal, Shared};
use super::tx_gossip::{BatchError, TxBatch};
use crate::mempool::{Admission, GroupKey, MempoolError};
use crate::network::{GossipTicket, GossipVerdict};

/// Most bytes of gossip messages waiting for admission. Beyond it (or beyond
/// [`GOSSIP_INGRESS_QUEUE`] messages) a delivery is dropped undecoded (not forwarded, no penalty:
/// the relay did nothing wrong) and counted, one per message, in `gossip_txs_dropped`.
pub const GOSSIP_INGRESS_QUEUE_BYTES: usize = 32 * 1024 * 1024;
/// Most gossip messages waiting for admission (each also counts its bytes above).
pub const GOSSIP_INGRESS_QUEUE: usize = 4_096;
/// Most gossip messages admitted by one blocking call.
pub const GOSSIP_ADMIT_MESSAGES: usize = 64;

/// A gossip message (a [`TxBatch`]) waiting for admission.
#[derive(Debug)]
pub struct GossipedBatch {
    /// The member that relayed it.
    pub from: [u8; 32],
    /// Its bytes: an encoded [`TxBatch`].
    pub bytes: Vec<u8>,
    /// Where the verdict goes.
    pub ticket: GossipTicket,
}

/// The gossip ingress queue: bounded in messages and in bytes.
#[derive(Debug, Clone)]
pub struct GossipIngress {
    queue: mpsc::Sender<GossipedBatch>,
    queued_bytes: Arc<AtomicUsize>,
}

/// Start the gossip ingress: a task that decodes gossip messages and admits their transactions
/// in batches on a blocking thread (signature checks are the costly part), then passes each
/// message's verdict back to the network, which forwards only what was admitted. Consensus
/// messages never wait behind it: the host loop only queues a message here
/// ([`queue_gossiped`]).
pub fn spawn_gossip_ingress<N: HostNetwork>(shared: Arc<Shared>, network: N) -> GossipIngress {
    let (queue, rx) = mpsc::channel(GOSSIP_INGRESS_QUEUE);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    tokio::spawn(run_gossip_ingress(
        rx,
        Arc::clone(&queued_bytes),
        shared,
        network,
    ));
    GossipIngress {
        queue,
        queued_bytes,
    }
}

/// Queue a gossip message for admission, or drop and count it if the queue is full (in
/// messages or in bytes); a dropped message is handed back for its verdict.
pub fn queue_gossiped(
    ingress: &GossipIngress,
    dropped: &AtomicU64,
    gossiped: GossipedBatch,
) -> Option<GossipedBatch> {
    let len = gossiped.bytes.len();
    let fits = ingress
        .queued_bytes
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |queued| {
            let total = queued.checked_add(len)?;
            (total <= GOSSIP_INGRESS_QUEUE_BYTES).then_some(total)
        })
        .is_ok();
    let refused = if fits {
        match ingress.queue.try_send(gossiped) {
            Ok(()) => return None,
            Err(
                mpsc::error::TrySendError::Full(gossiped)
                | mpsc::error::TrySendError::Closed(gossiped),
            ) => {
                ingress.queued_bytes.fetch_sub(len, Ordering::AcqRel);
                gossiped
            }
        }
    } else {
        gossiped
    };
    dropped.fetch_add(1, Ordering::Relaxed);
    tracing::debug!(peer = %hex::encode(refused.from), size_bytes = len, reason = "gossip ingress queue full", "gossip message dropped");
    Some(refused)
}

/// A refusal that an honest relay, which admitted the transaction itself, could never cause.
fn proves_relay_faulty(result: &Result<[u8; 32], AdmitError>) -> bool {
    matches!(
        result,
        Err(AdmitError::Invalid(_) | AdmitError::WrongChain { .. })
    )
}

/// The verdict on one gossip message from its transactions' admission results: a message whose
/// relay admitted it must hold only transactions that decode, carry a valid signature and belong
/// to this chain, so one that does not is rejected and its relay penalised. Otherwise it is
/// forwarded if it brought anything new, and ignored if every transaction was already known or
/// refused for a reason that depends on the relay's view of the state (nonces, roles, a full
/// pool).
fn batch_verdict(results: &[Result<[u8; 32], AdmitError>]) -> GossipVerdict {
    if results.iter().any(proves_relay_faulty) {
        GossipVerdict::Reject
    } else if results.iter().any(Result::is_ok) {
        GossipVerdict::Accept
    } else {
        GossipVerdict::Ignore
    }
}

/// Admits a batch's transactions in order, stopping after the first that proves its relay faulty
/// (see [`batch_verdict`]): the message is rejected whatever follows, so a faulty member cannot
/// make a node check thousands of signatures per penalty point.
fn admit_batch(
    batch: TxBatch,
    mut admit_one: impl FnMut(Vec<u8>) -> Result<[u8; 32], AdmitError>,
) -> Vec<Result<[u8; 32], AdmitError>> {
    let mut results = Vec::with_capacity(batch.0.len());
    for tx in batch.0 {
        let result = admit_one(tx);
        let proves_faulty = proves_relay_faulty(&result);
        results.push(result);
        if proves_faulty {
            break;
        }
    }
    results
}

/// A message's fate after decoding and admission.
enum Decided {
    Malformed(BatchError),
    Admitted(Vec<Result<[u8; 32], AdmitError>>),
}

async fn run_gossip_ingress<N: HostNetwork>(
    mut queue: mpsc::Receiver<GossipedBatch>,
    queued_bytes: Arc<AtomicUsize>,
    shared: Arc<Shared>,
    network: N,
) {
    while let Some(first) = queue.recv().await {
        let mut messages = vec![first];
        while messages.len() < GOSSIP_ADMIT_MESSAGES {
            match queue.try_recv() {
                Ok(next) => messages.push(next),
                Err(_) => break,
            }
        }
        let taken: usize = messages.iter().map(|message| message.bytes.len()).sum();
        queued_bytes.fetch_sub(taken, Ordering::AcqRel);
        let mut tickets = Vec::with_capacity(messages.len());
        let mut bodies = Vec::with_capacity(messages.len());
        for message in messages {
            tickets.push((message.from, message.ticket));
            bodies.push(message.bytes);
        }
        let admitting = Arc::clone(&shared);
        let decided = match tokio::task::spawn_blocking(move || {
            bodies
                .into_iter()
                .map(|bytes| match TxBatch::decode(&bytes) {
                    Ok(batch) => Decided::Admitted(admit_batch(batch, |tx| admit(&admitting, tx))),
                    Err(error) => Decided::Malformed(error),
                })
                .collect::<Vec<_>>()
        })
        .await
        {
            Ok(decided) => decided,
            Err(error) => {
                tracing::warn!(%error, "gossip admission task failed");
                continue;
            }
        };
        for ((from, ticket), decided) in tickets.into_iter().zip(decided) {
            let verdict = match &decided {
                Decided::Malformed(error) => {
                    shared
                        .counters
                        .gossip_batches_malformed
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(peer = %hex::encode(from), %error, "gossip message refused");
                    GossipVerdict::Reject
                }
                Decided::Admitted(results) => {
                    for error in results.iter().filter_map(|result| result.as_ref().err()) {
                        tracing::debug!(peer = %hex::encode(from), %error, "gossiped transaction refused");
                    }
                    batch_verdict(results)
                }
            };
            if verdict == GossipVerdict::Reject {
                let _ = network
                    .report_invalid(from, "invalid transaction batch")
                    .await;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery(bytes: usize) -> GossipedBatch {
        let relay = ed25519_dalek::SigningKey::from_bytes(&[7; 32])
            .verifying_key()
            .to_bytes();
        GossipedBatch {
            from: relay,
            bytes: vec![0; bytes],
            ticket: GossipTicket::detached(1, &relay).expect("a ticket"),
        }
    }

    #[test]
    fn the_ingress_queue_is_bounded_in_bytes_and_in_messages() {
        let (queue, mut rx) = mpsc::channel(3);
        let ingress = GossipIngress {
            queue,
            queued_bytes: Arc::new(AtomicUsize::new(0)),
        };
        let dropped = AtomicU64::new(0);
        // Two messages of 40 % of the byte bound fit; a third does not, though a slot is free.
        let big = GOSSIP_INGRESS_QUEUE_BYTES * 2 / 5;
        assert!(queue_gossiped(&ingress, &dropped, delivery(big)).is_none());
        assert!(queue_gossiped(&ingress, &dropped, delivery(big)).is_none());
        assert!(queue_gossiped(&ingress, &dropped, delivery(big)).is_some());
        assert_eq!(dropped.load(Ordering::Relaxed), 1);
        // A small one takes the last slot; then the message bound refuses, and the bytes of the
        // refused message are not left counted.
        assert!(queue_gossiped(&ingress, &dropped, delivery(10)).is_none());
        let before = ingress.queued_bytes.load(Ordering::Acquire);
        assert!(queue_gossiped(&ingress, &dropped, delivery(10)).is_some());
        assert_eq!(ingress.queued_bytes.load(Ordering::Acquire), before);
        assert_eq!(dropped.load(Ordering::Relaxed), 2);
        assert!(rx.try_recv().is_ok());
    }

    fn duplicate() -> Result<[u8; 32], AdmitError> {
        Err(AdmitError::Mempool(MempoolError::Duplicate([1; 32])))
    }

    #[test]
    fn a_batch_hiding_one_invalid_transaction_is_rejected_whatever_else_it_holds() {
        let hidden = [
            Ok([2; 32]),
            Ok([3; 32]),
            Err(AdmitError::Invalid(TxError::BadSignature)),
        ];
        assert_eq!(batch_verdict(&hidden), GossipVerdict::Reject);
        let other_chain = [
            Ok([2; 32]),
            Err(AdmitError::WrongChain {
                expected: "yrd-devnet".into(),
                got: "elsewhere".into(),
            }),
        ];
        assert_eq!(batch_verdict(&other_chain), GossipVerdict::Reject);
    }

    #[test]
    fn admission_of_a_batch_stops_at_its_first_invalid_transaction() {
        let batch = TxBatch(vec![vec![1], vec![2], vec![3], vec![4]]);
        let mut checked = Vec::new();
        let results = admit_batch(batch, |tx| {
            checked.push(tx[0]);
            if tx[0] == 2 {
                Err(AdmitError::Invalid(TxError::BadSignature))
            } else {
                Ok([tx[0]; 32])
            }
        });
        assert_eq!(checked, vec![1, 2]);
        assert_eq!(batch_verdict(&results), GossipVerdict::Reject);
    }

    #[test]
    fn a_batch_is_forwarded_if_it_brought_anything_new_and_ignored_otherwise() {
        assert_eq!(
            batch_verdict(&[duplicate(), Ok([2; 32])]),
            GossipVerdict::Accept
        );
        // Refusals that depend on the receiver's view of the state blame nobody.
        let stale = [
            duplicate(),
            Err(AdmitError::Mempool(MempoolError::NonceTooLow {
                nonce: 1,
                next: 2,
            })),
            Err(AdmitError::UnregisteredSigner(
                TxError::UnregisteredSigner { signer: [4; 32] },
            )),
        ];
        assert_eq!(batch_verdict(&stale), GossipVerdict::Ignore);
    }
}
