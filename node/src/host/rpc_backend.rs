//! The node's implementation of [`RpcBackend`]: reads from the store and the shared head, submits
//! through the ingress. Nothing here waits on consensus.

use std::sync::Arc;

use tokio::sync::broadcast;
use yrd_contracts::state::State;
use yrd_contracts::types::TxHash;
use yrd_contracts::{SignedTx, StateReader};

use super::ingress::{self, AdmitError};
use super::shared::Shared;
use crate::mempool::MempoolError;
use crate::network::NetworkHandle;
use crate::rpc::views::{
    BlockRef, BlockView, CertificateView, HeadInfo, LicenceStatusChange, NodeCountersView,
    NodeRole, NodeStatus, PeerView, ReceiptView, StoredTx, TxStatus,
};
use crate::rpc::{BackendError, RpcBackend, StateHandle, SubmitError};
use crate::storage::RocksTreeStore;

/// The RPC backend of a running node.
#[derive(Debug, Clone)]
pub struct NodeBackend {
    shared: Arc<Shared>,
    network: NetworkHandle,
}

impl NodeBackend {
    /// A backend over the node's shared state and network handle.
    pub fn new(shared: Arc<Shared>, network: NetworkHandle) -> Self {
        Self { shared, network }
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
        }
    }
}

fn internal(error: impl std::fmt::Display) -> BackendError {
    BackendError::Internal(error.to_string())
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
                let network = self.network.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        if let Err(error) = network.publish_transaction(gossip).await {
                            tracing::debug!(%error, "gossiping a transaction failed");
                        }
                    });
                }
                Ok(hash)
            }
            Err(AdmitError::Invalid(error)) => Err(SubmitError::Invalid(error)),
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
            Err(AdmitError::State(reason)) => Err(SubmitError::NotAccepting { reason }),
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
        let Some(stored) = self
            .shared
            .store
            .transaction_by_hash(hash)
            .map_err(internal)?
        else {
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
            BlockRef::Id(id) => match store.height_of_block(&id).map_err(internal)? {
                Some(h) => h,
                None => return Ok(None),
            },
        };
        let Some(committed) = super::restart::committed_block(store, height).map_err(internal)?
        else {
            return Ok(None);
        };
        let header = &committed.block.header;
        let txs = crate::payload::decode_payload(&committed.block.payload).unwrap_or_default();
        let certificate = yrd_consensus::codec::encode(&committed.certificate);
        let state_root = store
            .state_root_at(height)
            .map_err(internal)?
            .ok_or_else(|| {
                internal(format!(
                    "no state root stored for committed height {height}"
                ))
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
        let latest = self.shared.head().height;
        let version = version.unwrap_or(latest);
        if version > latest {
            return Err(BackendError::VersionUnavailable {
                version,
                oldest_kept: 0,
                latest,
            });
        }
        let state = State::open(self.shared.store.tree_store()).map_err(internal)?;
        Ok(Box::new(OwnedSnapshot { state, version }))
    }

    fn node_status(&self) -> Result<NodeStatus, BackendError> {
        let node_key = self.network.local_public_key();
        let head = self.shared.head();
        let pool = self.shared.mempool();
        Ok(NodeStatus {
            chain_id: self.shared.chain.genesis.chain_id.0.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            node_key,
            role: if self.shared.chain.validator_keys().contains(&node_key) {
                NodeRole::Validator
            } else {
                NodeRole::Observer
            },
            head,
            syncing: false,
            highest_known_height: head.height,
            peer_count: self.shared.connected_peers().len() as u32,
            mempool_txs: pool.len() as u32,
            mempool_bytes: pool.bytes() as u64,
            counters: self.counters(),
        })
    }

    fn peers(&self) -> Result<Vec<PeerView>, BackendError> {
        let validators = self.shared.chain.validator_keys();
        let connected = self.shared.connected_peers().clone();
        Ok(validators
            .iter()
            .filter(|k| **k != self.network.local_public_key())
            .map(|k| PeerView {
                node_key: *k,
                address: None,
                connected: connected.contains(k),
                validator: true,
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
