//! The node's implementation of [`RpcBackend`]: reads from the store and the shared head, submits
//! through the ingress. Nothing here waits on consensus.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::state::State;
use yrd_contracts::types::ProvinceCode;
use yrd_contracts::types::TxHash;
use yrd_contracts::{SignedTx, StateReader};

use super::batch_leaves;
use super::ingress::{self, AdmitError};
use super::shared::Shared;
use super::tx_gossip::{BatchLimits, Queued, TxGossip};
use crate::mempool::MempoolError;
use crate::network::NetworkHandle;
use crate::rpc::backend::{
    BackendFault, BatchInclusion, BatchLeavesError, LeavesSubmission, ProofAnchor, ProverHandle,
};
use crate::rpc::views::{
    BlockRef, BlockView, CertificateView, HeadInfo, LicenceStatusChange, NodeCountersView,
    NodeRole, NodeStatus, PeerReportView, PeerView, ReceiptView, StoredTx, TxStatus,
};
use crate::rpc::{BackendError, RpcBackend, StateHandle, SubmitError};
use crate::storage::RocksTreeStore;

/// The key given to [`NodeBackend::with_status_list_signer`] is not the node key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the status-list signing key {} is not the node key {}",
    hex::encode(.signer),
    hex::encode(.node_key)
)]
pub struct SignerNotNodeKey {
    /// The public half of the key given.
    pub signer: [u8; 32],
    /// The node key the network runs with.
    pub node_key: [u8; 32],
}

/// The RPC backend of a running node.
#[derive(Debug, Clone)]
pub struct NodeBackend {
    shared: Arc<Shared>,
    network: NetworkHandle,
    /// Gossips what this node admits from its clients, in batches.
    tx_gossip: TxGossip,
    /// The last batch tree rebuilt for an inclusion proof (holders of one batch tend to ask
    /// together; rebuilding a large batch per request would dominate).
    batch_cache: Arc<std::sync::Mutex<Option<Arc<BatchTree>>>>,
    /// The proof anchor of the latest committed height (every proven answer until the next
    /// commit carries the same header, certificate and epoch changes).
    anchor_cache: Arc<std::sync::Mutex<Option<(u64, ProofAnchor)>>>,
    /// The node key, to sign status-list credentials with (`None`: lists are not served).
    signing_key: Option<Arc<ed25519_dalek::SigningKey>>,
}

impl NodeBackend {
    /// A backend over the node's shared state and network handle; transactions admitted from
    /// clients are gossiped in batches, each waiting at most `tx_batch_delay` for others. Starts
    /// the batch publisher, so it must be called on a tokio runtime.
    pub fn new(shared: Arc<Shared>, network: NetworkHandle, tx_batch_delay: Duration) -> Self {
        let tx_gossip = TxGossip::spawn(
            network.clone(),
            BatchLimits {
                delay: tx_batch_delay,
                max_bytes: network.max_gossip_bytes(),
            },
        );
        Self {
            shared,
            network,
            tx_gossip,
            batch_cache: Arc::default(),
            anchor_cache: Arc::default(),
            signing_key: None,
        }
    }

    /// This backend, signing status-list credentials with `key`, which must be the node key the
    /// network runs with (its public half is what `node_getStatus` reports and what verifiers
    /// look up among validators and observers). A different key is refused.
    pub fn with_status_list_signer(
        mut self,
        key: ed25519_dalek::SigningKey,
    ) -> Result<Self, SignerNotNodeKey> {
        let signer = key.verifying_key().to_bytes();
        let node_key = self.network.local_public_key();
        if signer != node_key {
            return Err(SignerNotNodeKey { signer, node_key });
        }
        self.signing_key = Some(Arc::new(key));
        Ok(self)
    }

    /// The province whose validator this node is, if it is one.
    fn local_province(&self) -> Option<ProvinceCode> {
        let key = self.network.local_public_key();
        self.shared
            .chain
            .genesis
            .authorities
            .iter()
            .find(|a| a.validator_keys.contains(&key))
            .map(|a| a.province)
    }

    /// Each member's province as the committed state names it: validator records, then the
    /// genesis authorities' validator keys, then observer registrations. A read failure leaves
    /// the map short (the provinces are a label, not an answer anyone verifies).
    fn member_provinces(&self) -> std::collections::BTreeMap<[u8; 32], ProvinceCode> {
        let mut provinces = std::collections::BTreeMap::new();
        for authority in &self.shared.chain.genesis.authorities {
            for key in &authority.validator_keys {
                provinces.insert(*key, authority.province);
            }
        }
        let Ok(reader) = self.state_at(None) else {
            return provinces;
        };
        let reader = reader.as_ref();
        if let Ok(Some(list)) = yrd_contracts::reader::read_record::<
            yrd_contracts::records::ValidatorList,
        >(reader, &yrd_contracts::keys::validator_list())
        {
            for v in list.validators {
                provinces.insert(v.key, v.province);
            }
        }
        if let Ok(Some(list)) = yrd_contracts::reader::read_record::<
            yrd_contracts::records::ObserverList,
        >(reader, &yrd_contracts::keys::observer_list())
        {
            for o in list.observers {
                provinces.insert(o.key, o.province);
            }
        }
        provinces
    }

    /// The state, for reading `version` (refused above the committed head).
    fn open_state_at(&self, version: u64) -> Result<State<RocksTreeStore>, BackendError> {
        let latest = self.shared.head().height;
        if version > latest {
            return Err(BackendError::VersionUnavailable {
                version,
                oldest_kept: 0,
                latest,
            });
        }
        State::open(self.shared.store.tree_store())
            .map_err(|e| BackendError::Internal(BackendFault::OpenState(e)))
    }

    /// The proof anchor at committed `height`, read from the store.
    fn read_proof_anchor(&self, height: u64) -> Result<ProofAnchor, BackendError> {
        let store = &self.shared.store;
        let committed = super::restart::committed_block(store, height)?
            .ok_or_else(|| BackendError::NotReady(format!("no committed block {height} yet")))?;
        let header = committed.block.header;
        let certificate = if header == self.shared.chain.consensus.header() {
            None
        } else {
            Some(committed.certificate)
        };
        let first_epoch = self.shared.chain.consensus.validator_set.epoch;
        let mut epoch_changes = Vec::new();
        for epoch in first_epoch.saturating_add(1)..=header.epoch {
            let at = store
                .epoch_change_height(epoch)?
                .ok_or(BackendFault::Missing {
                    what: "reconfiguration block of epoch",
                    at: epoch,
                })?;
            let certificate = store.certificate(at)?.ok_or(BackendFault::Missing {
                what: "certificate of reconfiguration block",
                at,
            })?;
            epoch_changes.push(certificate);
        }
        Ok(ProofAnchor {
            header,
            certificate,
            epoch_changes,
        })
    }

    fn batch_tree(&self, issuer: &Uscc, root: &[u8; 32]) -> Result<Arc<BatchTree>, BackendError> {
        let mut cache = self
            .batch_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(tree) = cache.as_ref().filter(|t| t.root() == *root) {
            return Ok(Arc::clone(tree));
        }
        let state = self.state_at(None)?;
        let tree = batch_leaves::kept_tree(&self.shared.store, &*state, issuer, root)?;
        let tree = Arc::new(tree);
        *cache = Some(Arc::clone(&tree));
        Ok(tree)
    }

    fn counters(&self) -> NodeCountersView {
        use std::sync::atomic::Ordering::Relaxed;
        let node = &self.shared.counters;
        let net = self.network.metrics();
        NodeCountersView {
            txs_admitted: node.txs_admitted.load(Relaxed),
            txs_refused: node.txs_refused.load(Relaxed),
            blocks_executed: node.blocks_executed.load(Relaxed),
            consensus_messages_malformed: node.consensus_messages_malformed.load(Relaxed),
            connections_refused_non_member: net.connections_refused_non_member,
            connections_refused_banned: net.connections_refused_banned,
            network_messages_dropped: net
                .oversized_messages_dropped
                .saturating_add(net.rate_limited_messages_dropped)
                .saturating_add(net.malformed_messages_dropped),
            peer_bans: net.bans,
            gossip_txs_dropped: node.gossip_txs_dropped.load(Relaxed),
            gossip_batches_malformed: node.gossip_batches_malformed.load(Relaxed),
            sync_served: node.sync_served.load(Relaxed),
            sync_dropped_queue_full: node.sync_dropped_queue_full.load(Relaxed),
            sync_refused_budget: node.sync_refused_budget.load(Relaxed),
            sync_read_faults: node.sync_read_faults.load(Relaxed),
            connections_refused_limit: net.connections_refused_limit,
        }
    }
}

/// A state snapshot that owns its tree handle (the RPC keeps it across a blocking call).
struct OwnedSnapshot {
    state: State<RocksTreeStore>,
    version: u64,
}

impl StateReader for OwnedSnapshot {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, yrd_contracts::ReadError> {
        self.state.snapshot_at(self.version).get(key)
    }
}

impl RpcBackend for NodeBackend {
    fn submit_tx(&self, tx_bytes: Vec<u8>) -> Result<TxHash, SubmitError> {
        let gossip = tx_bytes.clone();
        match ingress::admit(&self.shared, tx_bytes) {
            Ok(hash) => {
                if self.tx_gossip.queue(gossip) == Queued::Dropped {
                    tracing::debug!(
                        tx = %hex::encode(hash),
                        "gossip publisher queue full: transaction admitted here but not gossiped"
                    );
                }
                Ok(hash)
            }
            Err(AdmitError::Invalid(error) | AdmitError::UnregisteredSigner(error)) => {
                Err(SubmitError::Invalid(error))
            }
            Err(AdmitError::Mempool(MempoolError::Duplicate(hash))) => {
                Err(SubmitError::Duplicate { hash })
            }
            Err(AdmitError::Mempool(MempoolError::NonceTooLow { nonce, next })) => {
                Err(SubmitError::Invalid(yrd_contracts::TxError::BadNonce {
                    expected: next,
                    actual: nonce,
                }))
            }
            Err(AdmitError::Mempool(error)) if Shared::is_full(&error) => {
                Err(SubmitError::MempoolFull {
                    reason: error.to_string(),
                })
            }
            Err(AdmitError::Mempool(error)) => Err(SubmitError::NotAdmitted {
                reason: error.to_string(),
            }),
            Err(error @ AdmitError::WrongChain { .. }) => Err(SubmitError::NotAdmitted {
                reason: error.to_string(),
            }),
            Err(AdmitError::State(fault)) => {
                tracing::warn!(%fault, "transaction not admitted: node fault");
                Err(SubmitError::NotAccepting {
                    reason: fault.to_string(),
                })
            }
        }
    }

    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, BackendError> {
        if let Some(stored) = self.tx(hash)? {
            return Ok(TxStatus::Committed {
                height: stored.height,
                block_id: stored.block_id,
                index: stored.index,
                receipt: stored.receipt,
            });
        }
        if self.shared.mempool().contains(hash) {
            return Ok(TxStatus::Pending);
        }
        if let Some(refusal) = self.shared.refusal(hash) {
            let mut receipt = ReceiptView::from_code(refusal.code);
            receipt.message = Some(refusal.message);
            return Ok(TxStatus::Rejected { receipt });
        }
        Ok(TxStatus::Unknown)
    }

    fn tx(&self, hash: &TxHash) -> Result<Option<StoredTx>, BackendError> {
        let Some(stored) = self.shared.store.transaction_by_hash(hash)? else {
            return Ok(None);
        };
        let block_id = self
            .block(BlockRef::Height(stored.location.height))?
            .map(|b| b.head.block_id)
            .unwrap_or_default();
        Ok(Some(StoredTx {
            bytes: stored.transaction.to_bytes(),
            height: stored.location.height,
            block_id,
            index: stored.location.index,
            receipt: ReceiptView::from_code(stored.receipt.code),
        }))
    }

    fn head(&self) -> Result<HeadInfo, BackendError> {
        Ok(self.shared.head())
    }

    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, BackendError> {
        let store = &self.shared.store;
        let height = match at {
            BlockRef::Height(h) => h,
            BlockRef::Id(id) => match store.height_of_block(&id)? {
                Some(h) => h,
                None => return Ok(None),
            },
        };
        let Some(committed) = super::restart::committed_block(store, height)? else {
            return Ok(None);
        };
        let header = &committed.block.header;
        let txs =
            yrd_contracts::payload::decode_payload(&committed.block.payload).unwrap_or_default();
        let certificate = yrd_consensus::codec::encode(&committed.certificate);
        let state_root = store.state_root_at(height)?.ok_or(BackendFault::Missing {
            what: "state root of committed height",
            at: height,
        })?;
        Ok(Some(BlockView {
            head: HeadInfo {
                height,
                block_id: committed.block.id().0,
                parent_id: header.parent_id.0,
                state_root,
                block_time_ms: header.timestamp_ms,
                epoch: header.epoch,
                round: header.round,
                tx_count: txs.len() as u32,
            },
            proposer: header.proposer.0,
            payload_digest: header.payload_digest,
            tx_hashes: txs.iter().map(SignedTx::hash).collect(),
            commit_certificate: Some(CertificateView {
                signer_count: committed.certificate.qc.signatures.len() as u32,
                encoding: certificate,
            }),
        }))
    }

    fn state_at(&self, version: Option<u64>) -> Result<StateHandle, BackendError> {
        let version = version.unwrap_or_else(|| self.shared.head().height);
        let state = self.open_state_at(version)?;
        Ok(Box::new(OwnedSnapshot { state, version }))
    }

    fn proof_anchor(&self) -> Result<ProofAnchor, BackendError> {
        let height = self.shared.head().height;
        let mut cache = self
            .anchor_cache
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((cached, anchor)) = cache.as_ref()
            && *cached == height
        {
            return Ok(anchor.clone());
        }
        let anchor = self.read_proof_anchor(height)?;
        *cache = Some((height, anchor.clone()));
        Ok(anchor)
    }

    fn prover_at(&self, version: u64) -> Result<ProverHandle, BackendError> {
        let state = self.open_state_at(version)?;
        Ok(Box::new(move |key: &[u8]| {
            state.snapshot_at(version).get_with_proof(key)
        }))
    }

    fn store_batch_leaves(
        &self,
        submission: LeavesSubmission,
        max_leaves_per_issuer: u64,
    ) -> Result<[u8; 32], BatchLeavesError> {
        let state = self.state_at(None).map_err(BatchLeavesError::State)?;
        let policy = batch_leaves::LeavesPolicy {
            chain_id: &self.shared.chain.genesis.chain_id,
            local_province: self.local_province(),
            max_leaves_per_issuer,
        };
        batch_leaves::keep_batch_leaves(&self.shared.store, &*state, policy, submission)
    }

    fn batch_inclusion(
        &self,
        issuer: &Uscc,
        commitment: &[u8; 32],
    ) -> Result<Option<BatchInclusion>, BackendError> {
        let Some((root, index)) = batch_leaves::kept_leaf(&self.shared.store, issuer, commitment)?
        else {
            return Ok(None);
        };
        let tree = self.batch_tree(issuer, &root)?;
        let proof = tree.proof(index).map_err(BackendFault::InclusionProof)?;
        Ok(Some(BatchInclusion { root, proof }))
    }

    fn node_key(&self) -> [u8; 32] {
        self.network.local_public_key()
    }

    fn genesis(&self) -> Option<&yrd_contracts::Genesis> {
        Some(&self.shared.chain.genesis)
    }

    fn status_list_signer(&self) -> Option<&ed25519_dalek::SigningKey> {
        self.signing_key.as_deref()
    }

    fn node_status(&self) -> Result<NodeStatus, BackendError> {
        let node_key = self.network.local_public_key();
        let head = self.shared.head();
        let pool = self.shared.mempool();
        Ok(NodeStatus {
            chain_id: self.shared.chain.genesis.chain_id.0.clone(),
            crypto_suite: self.shared.chain.genesis.crypto_suite,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            node_key,
            role: if self.shared.validator_keys().contains(&node_key) {
                NodeRole::Validator
            } else {
                NodeRole::Observer
            },
            province: self.member_provinces().get(&node_key).copied(),
            head,
            syncing: self.shared.is_syncing(),
            highest_known_height: self.shared.highest_known_height().max(head.height),
            peer_count: self.shared.connected_peers().len() as u32,
            mempool_txs: pool.len() as u32,
            mempool_bytes: pool.bytes() as u64,
            counters: self.counters(),
        })
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        use super::metrics;
        metrics::register_timings(
            registry,
            &self.shared.commit_latency,
            &self.shared.block_interval,
            &self.shared.db_commit_write,
            &self.shared.store.read_timing(),
        );
        let mut sampled = crate::rpc::metrics::Sampled::default();
        if let Ok(consensus) = self.shared.consensus.lock() {
            let round = self
                .shared
                .consensus_round
                .load(std::sync::atomic::Ordering::Relaxed);
            metrics::consensus_series(round, &consensus, &mut sampled);
        }
        if let Ok(excluded) = self.shared.leaders_excluded.lock() {
            metrics::leader_reputation_series(
                &self.shared.validator_keys(),
                &excluded,
                &mut sampled,
            );
        }
        match self.shared.store.engine_stats() {
            Ok(stats) => metrics::engine_series(&stats, &mut sampled),
            Err(error) => tracing::warn!(%error, "reading the storage engine's figures failed"),
        }
        metrics::network_series(&self.network.metrics(), &mut sampled);
        metrics::eviction_series(&self.shared.mempool().evictions(), &mut sampled);
        metrics::host_counter_series(&self.shared.counters, &mut sampled);
        metrics::refusal_series(&self.shared.counters, &mut sampled);
        registry.register_collector(Box::new(sampled));
    }

    fn peers(&self) -> Result<Vec<PeerView>, BackendError> {
        let validators = self.shared.validator_keys();
        let observers = self.shared.observers.borrow().clone();
        let connected = self.shared.connected_peers().clone();
        let addresses = self
            .shared
            .peer_addresses
            .lock()
            .map(|addresses| addresses.clone())
            .unwrap_or_default();
        let provinces = self.member_provinces();
        let reports = {
            let mut table = self
                .shared
                .peer_progress
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            table.retain_members(|k| validators.contains(k) || observers.contains(k));
            validators
                .iter()
                .chain(observers.iter())
                .filter_map(|k| table.get(k).map(|p| (*k, p)))
                .collect::<std::collections::BTreeMap<_, _>>()
        };
        let me = self.network.local_public_key();
        Ok(validators
            .iter()
            .map(|k| (k, true))
            .chain(observers.iter().map(|k| (k, false)))
            .filter(|(k, _)| **k != me)
            .map(|(k, validator)| PeerView {
                node_key: *k,
                address: connected
                    .contains(k)
                    .then(|| addresses.get(k).cloned())
                    .flatten(),
                connected: connected.contains(k),
                validator,
                province: provinces.get(k).copied(),
                reported: reports.get(k).map(|p| PeerReportView {
                    epoch: p.epoch,
                    round: p.round,
                    height: p.height,
                    at_ms: p.at_ms,
                }),
            })
            .collect())
    }

    fn subscribe_heads(&self) -> broadcast::Receiver<HeadInfo> {
        self.shared.heads.subscribe()
    }

    fn subscribe_licence_status(&self) -> broadcast::Receiver<LicenceStatusChange> {
        self.shared.licence_events.subscribe()
    }
}
