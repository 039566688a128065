//! An in-memory [`RpcBackend`] over a real `yrd_contracts::State<MemoryTreeStore>`: transactions
//! are really decoded, signature-checked and applied with `apply_block`, so every query the RPC
//! answers in these tests is the genuine contracts query over genuine state.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, RwLock};

use ed25519_dalek::SigningKey;
use tokio::sync::broadcast;
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::types::TxHash;
use yrd_contracts::{BlockContext, ChainId, ReadError, SignedTx, State, StateReader, TxError};
use yrd_node::host::batch_leaves;
use yrd_node::rpc::backend::{
    BatchInclusion, BatchLeavesError, LeavesSubmission, ProofAnchor, ProverHandle,
};
use yrd_node::rpc::{
    BackendError, BlockRef, BlockView, HeadInfo, LicenceStatusChange, NodeRole, NodeStatus,
    PeerView, ReceiptView, RpcBackend, StateHandle, StoredTx, SubmitError, TxStatus,
};
use yrd_testkit::Certifier;
use yrd_verifier::chain_spec::ChainSpec;

/// The latest certified anchor: (state version, header, certificate).
type Anchored = Option<(
    u64,
    yrd_consensus::types::BlockHeader,
    yrd_consensus::CommitCertificate,
)>;

/// Block time of height `h` is `GENESIS_TIME_MS + h` seconds.
pub const GENESIS_TIME_MS: u64 = 1_750_000_000_000;
/// The fake node's network key (`node_getStatus.nodeKey`), which verifier signatures name.
pub const NODE_KEY: [u8; 32] = [9; 32];
/// Expiry height every test transaction carries.
pub const EXPIRY_HEIGHT: u64 = 1_000;

/// Blocks state reads while closed, to hold a backend call in flight.
#[derive(Debug, Default)]
pub struct Gate {
    closed: Mutex<bool>,
    opened: Condvar,
    waiting: Mutex<u32>,
}

impl Gate {
    pub fn close(&self) {
        *self.closed.lock().unwrap() = true;
    }

    pub fn open(&self) {
        *self.closed.lock().unwrap() = false;
        self.opened.notify_all();
    }

    /// Calls currently held.
    pub fn waiting(&self) -> u32 {
        *self.waiting.lock().unwrap()
    }

    fn pass(&self) {
        let mut closed = self.closed.lock().unwrap();
        if *closed {
            *self.waiting.lock().unwrap() += 1;
            while *closed {
                closed = self.opened.wait(closed).unwrap();
            }
            *self.waiting.lock().unwrap() -= 1;
        }
    }
}

struct Chain {
    pending: Vec<(TxHash, SignedTx)>,
    blocks: Vec<BlockView>,
    txs: BTreeMap<TxHash, StoredTx>,
}

/// The fake node.
pub struct FakeNode {
    pub chain_id: ChainId,
    state: Arc<RwLock<State<MemoryTreeStore>>>,
    chain: Mutex<Chain>,
    heads: broadcast::Sender<HeadInfo>,
    statuses: broadcast::Sender<LicenceStatusChange>,
    pub gate: Gate,
    pub mempool_capacity: usize,
    /// The chain spec the genesis derives (what an offline verifier loads).
    pub spec: ChainSpec,
    certifier: Mutex<(Certifier, Anchored)>,
    /// The node's real batch-leaf tables, in a temporary database.
    leaf_store: yrd_node::storage::Store,
    _leaf_dir: tempfile::TempDir,
    /// When set, answers are anchored at this state version instead of the latest.
    pub anchor_version: Mutex<Option<u64>>,
}

struct VersionReader {
    state: Arc<RwLock<State<MemoryTreeStore>>>,
    version: u64,
}

impl StateReader for VersionReader {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        let state = self
            .state
            .read()
            .map_err(|_| ReadError::Storage("lock poisoned".into()))?;
        state.snapshot_at(self.version).get(key)
    }
}

/// The secret seeds of the fixture's validators (`fixture::key(20 + i)`), checked against the
/// genesis.
fn validator_seeds(genesis: &yrd_contracts::Genesis) -> Vec<[u8; 32]> {
    let seeds: Vec<[u8; 32]> = (0..genesis.authorities.len() as u8)
        .map(|i| [20 + i; 32])
        .collect();
    for (seed, authority) in seeds.iter().zip(&genesis.authorities) {
        assert_eq!(
            yrd_testkit::ledger_public(&SigningKey::from_bytes(seed)),
            authority.validator_keys[0],
            "fixture validator keys changed"
        );
    }
    seeds
}

fn block_id(height: u64) -> [u8; 32] {
    *blake3::hash(format!("fake block {height}").as_bytes()).as_bytes()
}

impl FakeNode {
    /// A node whose state is `genesis` (version 0) and whose block 0 exists.
    pub fn new(genesis: &yrd_contracts::Genesis) -> Arc<Self> {
        let (state, root) = State::genesis(genesis, MemoryTreeStore::new()).unwrap();
        let spec = ChainSpec::from_genesis(genesis.clone()).unwrap();
        let leaf_dir = tempfile::TempDir::new().unwrap();
        let head = HeadInfo {
            height: 0,
            block_id: block_id(0),
            parent_id: [0; 32],
            state_root: root.0,
            block_time_ms: genesis.genesis_time_ms,
            epoch: 0,
            round: 0,
            tx_count: 0,
        };
        let genesis_block = BlockView {
            head,
            proposer: [0; 32],
            payload_digest: [0; 32],
            tx_hashes: Vec::new(),
            commit_certificate: None,
        };
        Arc::new(Self {
            chain_id: genesis.chain_id.clone(),
            state: Arc::new(RwLock::new(state)),
            chain: Mutex::new(Chain {
                pending: Vec::new(),
                blocks: vec![genesis_block],
                txs: BTreeMap::new(),
            }),
            heads: broadcast::channel(64).0,
            statuses: broadcast::channel(64).0,
            gate: Gate::default(),
            mempool_capacity: 100,
            certifier: Mutex::new((
                Certifier::new(&spec.consensus, &validator_seeds(genesis)),
                None,
            )),
            spec,
            leaf_store: yrd_node::storage::Store::open(
                leaf_dir.path(),
                yrd_node::storage::StoreConfig::default(),
            )
            .unwrap(),
            _leaf_dir: leaf_dir,
            anchor_version: Mutex::new(None),
        })
    }

    /// Same, with a mempool of `capacity` transactions.
    pub fn with_mempool_capacity(genesis: &yrd_contracts::Genesis, capacity: usize) -> Arc<Self> {
        let node = Self::new(genesis);
        let mut node = Arc::into_inner(node).unwrap();
        node.mempool_capacity = capacity;
        Arc::new(node)
    }

    fn latest_version(&self) -> u64 {
        self.state.read().unwrap().version()
    }

    /// Applies the pending transactions as the next block and announces it.
    pub fn commit_pending(&self) -> yrd_contracts::BlockOutcome {
        let pending = std::mem::take(&mut self.chain.lock().unwrap().pending);
        let txs: Vec<SignedTx> = pending.into_iter().map(|(_, tx)| tx).collect();
        self.commit(&txs)
    }

    /// Applies `txs` as the next block (all must succeed unless the test says otherwise).
    pub fn commit(&self, txs: &[SignedTx]) -> yrd_contracts::BlockOutcome {
        let mut state = self.state.write().unwrap();
        let height = state.version() + 1;
        let ctx = BlockContext {
            height,
            block_time_ms: GENESIS_TIME_MS + height * 1_000,
            chain_id: self.chain_id.clone(),
            epoch: 0,
        };
        let outcome = state.apply_block(&ctx, txs).unwrap();
        drop(state);
        let mut chain = self.chain.lock().unwrap();
        let parent_id = chain.blocks.last().unwrap().head.block_id;
        let head = HeadInfo {
            height,
            block_id: block_id(height),
            parent_id,
            state_root: outcome.state_root.0,
            block_time_ms: ctx.block_time_ms,
            epoch: 0,
            round: height,
            tx_count: txs.len() as u32,
        };
        let mut changes = Vec::new();
        for (index, (tx, receipt)) in txs.iter().zip(&outcome.receipts).enumerate() {
            let error = outcome
                .errors
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, e)| e);
            let receipt_view = match error {
                Some(error) => ReceiptView::from_error(error),
                None => ReceiptView::from_code(receipt.code),
            };
            if receipt.code == 0
                && let Some((issuer, commitment)) =
                    yrd_node::host::execute::licence_touched(&tx.body.payload)
            {
                changes.push(LicenceStatusChange {
                    commitment,
                    issuer,
                    tx_hash: receipt.tx_hash,
                    height,
                });
            }
            chain.txs.insert(
                receipt.tx_hash,
                StoredTx {
                    bytes: tx.to_bytes(),
                    height,
                    block_id: head.block_id,
                    index: index as u32,
                    receipt: receipt_view,
                },
            );
        }
        chain.blocks.push(BlockView {
            head,
            proposer: [7; 32],
            payload_digest: *blake3::hash(&borsh::to_vec(txs).unwrap()).as_bytes(),
            tx_hashes: outcome.receipts.iter().map(|r| r.tx_hash).collect(),
            commit_certificate: Some(yrd_node::rpc::CertificateView {
                signer_count: 3,
                encoding: vec![1, 2, 3],
            }),
        });
        drop(chain);
        let _ = self.heads.send(head);
        for change in changes {
            let _ = self.statuses.send(change);
        }
        outcome
    }
}

impl RpcBackend for FakeNode {
    fn submit_tx(&self, tx_bytes: Vec<u8>) -> Result<TxHash, SubmitError> {
        self.gate.pass();
        let tx = SignedTx::from_bytes(&tx_bytes).map_err(SubmitError::Invalid)?;
        let hash = tx.hash();
        {
            let chain = self.chain.lock().unwrap();
            if chain.txs.contains_key(&hash) || chain.pending.iter().any(|(h, _)| *h == hash) {
                return Err(SubmitError::Duplicate { hash });
            }
        }
        tx.verify_signature().map_err(SubmitError::Invalid)?;
        if tx.body.chain_id != self.chain_id {
            return Err(SubmitError::Invalid(TxError::WrongChain {
                expected: self.chain_id.0.clone(),
                actual: tx.body.chain_id.0.clone(),
            }));
        }
        let (next_height, next_nonce) = {
            let state = self.state.read().unwrap();
            // As the node's ingress: a signer with no role is refused before the mempool.
            let may_submit = yrd_contracts::query::signer_may_submit(
                &state.snapshot(),
                &tx.body.signer,
                &tx.body.payload,
            )
            .unwrap();
            if !may_submit {
                return Err(SubmitError::Invalid(TxError::UnregisteredSigner {
                    signer: tx.body.signer,
                }));
            }
            let nonce =
                yrd_contracts::query::next_nonce(&state.snapshot(), &tx.body.signer).unwrap();
            (state.version() + 1, nonce)
        };
        if next_height > tx.body.expiry_height {
            return Err(SubmitError::Invalid(TxError::Expired {
                expiry_height: tx.body.expiry_height,
                height: next_height,
            }));
        }
        if tx.body.nonce < next_nonce {
            return Err(SubmitError::Invalid(TxError::BadNonce {
                expected: next_nonce,
                actual: tx.body.nonce,
            }));
        }
        let mut chain = self.chain.lock().unwrap();
        if chain.pending.len() >= self.mempool_capacity {
            return Err(SubmitError::MempoolFull {
                reason: format!(
                    "{} transactions held, limit {}",
                    chain.pending.len(),
                    self.mempool_capacity
                ),
            });
        }
        chain.pending.push((hash, tx));
        Ok(hash)
    }

    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, BackendError> {
        self.gate.pass();
        let chain = self.chain.lock().unwrap();
        if let Some(stored) = chain.txs.get(hash) {
            return Ok(TxStatus::Committed {
                height: stored.height,
                block_id: stored.block_id,
                index: stored.index,
                receipt: stored.receipt.clone(),
            });
        }
        if chain.pending.iter().any(|(h, _)| h == hash) {
            return Ok(TxStatus::Pending);
        }
        Ok(TxStatus::Unknown)
    }

    fn tx(&self, hash: &TxHash) -> Result<Option<StoredTx>, BackendError> {
        self.gate.pass();
        Ok(self.chain.lock().unwrap().txs.get(hash).cloned())
    }

    fn head(&self) -> Result<HeadInfo, BackendError> {
        self.gate.pass();
        let chain = self.chain.lock().unwrap();
        chain
            .blocks
            .last()
            .map(|b| b.head)
            .ok_or_else(|| BackendError::NotReady("no blocks".into()))
    }

    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, BackendError> {
        self.gate.pass();
        let chain = self.chain.lock().unwrap();
        Ok(match at {
            BlockRef::Height(height) => chain.blocks.get(height as usize).cloned(),
            BlockRef::Id(id) => chain.blocks.iter().find(|b| b.head.block_id == id).cloned(),
        })
    }

    fn state_at(&self, version: Option<u64>) -> Result<StateHandle, BackendError> {
        self.gate.pass();
        let latest = self.latest_version();
        let version = version.unwrap_or(latest);
        if version > latest {
            return Err(BackendError::VersionUnavailable {
                version,
                oldest_kept: 0,
                latest,
            });
        }
        Ok(Box::new(VersionReader {
            state: Arc::clone(&self.state),
            version,
        }))
    }

    fn proof_anchor(&self) -> Result<ProofAnchor, BackendError> {
        self.gate.pass();
        let version = self
            .anchor_version
            .lock()
            .unwrap()
            .unwrap_or_else(|| self.latest_version());
        let mut guard = self.certifier.lock().unwrap();
        let (certifier, anchored) = &mut *guard;
        if version == 0 {
            return Ok(ProofAnchor {
                header: self.spec.consensus.header(),
                certificate: None,
                epoch_changes: Vec::new(),
            });
        }
        if anchored.as_ref().is_none_or(|(v, _, _)| *v != version) {
            let root = self.state.read().unwrap().tree().root_at(version).unwrap();
            let (header, certificate) = certifier.certify(version, root.0);
            *anchored = Some((version, header, certificate));
        }
        let (_, header, certificate) = anchored.clone().unwrap();
        Ok(ProofAnchor {
            header,
            certificate: Some(certificate),
            epoch_changes: Vec::new(),
        })
    }

    fn prover_at(&self, version: u64) -> Result<ProverHandle, BackendError> {
        let state = Arc::clone(&self.state);
        Ok(Box::new(move |key: &[u8]| {
            let state = state
                .read()
                .map_err(|_| ReadError::Storage("lock poisoned".into()))?;
            state.snapshot_at(version).get_with_proof(key)
        }))
    }

    fn store_batch_leaves(
        &self,
        submission: LeavesSubmission,
        max_leaves_per_issuer: u64,
    ) -> Result<[u8; 32], BatchLeavesError> {
        let state = self.state.read().unwrap();
        let policy = batch_leaves::LeavesPolicy {
            chain_id: &self.chain_id,
            local_province: None,
            max_leaves_per_issuer,
        };
        batch_leaves::keep_batch_leaves(&self.leaf_store, &state.snapshot(), policy, submission)
    }

    fn batch_inclusion(
        &self,
        issuer: &yrd_contracts::licence_id::Uscc,
        commitment: &[u8; 32],
    ) -> Result<Option<BatchInclusion>, BackendError> {
        let Some((root, index)) = batch_leaves::kept_leaf(&self.leaf_store, issuer, commitment)?
        else {
            return Ok(None);
        };
        let state = self.state.read().unwrap();
        let tree = batch_leaves::kept_tree(&self.leaf_store, &state.snapshot(), issuer, &root)?;
        Ok(Some(BatchInclusion {
            root,
            proof: tree.proof(index).unwrap(),
        }))
    }

    fn node_key(&self) -> [u8; 32] {
        NODE_KEY
    }

    fn genesis(&self) -> Option<&yrd_contracts::Genesis> {
        Some(&self.spec.genesis)
    }

    fn register_metrics(&self, registry: &mut prometheus_client::registry::Registry) {
        // The node's timing and storage series, empty: the fake commits and stores nothing.
        use yrd_node::host::metrics::{
            engine_series, register_timings, storage_histogram, timing_histogram,
        };
        register_timings(
            registry,
            &timing_histogram(),
            &timing_histogram(),
            &storage_histogram(),
            &storage_histogram(),
        );
        let mut sampled = yrd_node::rpc::metrics::Sampled::default();
        engine_series(&yrd_node::storage::EngineStats::default(), &mut sampled);
        registry.register_collector(Box::new(sampled));
    }

    fn node_status(&self) -> Result<NodeStatus, BackendError> {
        self.gate.pass();
        let head = self.chain.lock().unwrap().blocks.last().map(|b| b.head);
        let head = head.ok_or_else(|| BackendError::NotReady("no blocks".into()))?;
        let mempool_txs = self.chain.lock().unwrap().pending.len() as u32;
        Ok(NodeStatus {
            chain_id: self.chain_id.0.clone(),
            crypto_suite: yrd_consensus::CryptoSuite::current(),
            version: "test".into(),
            node_key: NODE_KEY,
            role: NodeRole::Validator,
            province: None,
            highest_known_height: head.height,
            head,
            syncing: false,
            peer_count: 3,
            mempool_txs,
            mempool_bytes: 0,
            counters: Default::default(),
        })
    }

    fn peers(&self) -> Result<Vec<PeerView>, BackendError> {
        self.gate.pass();
        Ok((1..=3u8)
            .map(|i| PeerView {
                node_key: [i; 32],
                address: Some(format!("/ip4/127.0.0.1/tcp/{}", 9000 + u16::from(i))),
                connected: true,
                validator: true,
                province: None,
                reported: None,
            })
            .collect())
    }

    fn subscribe_heads(&self) -> broadcast::Receiver<HeadInfo> {
        self.heads.subscribe()
    }

    fn subscribe_licence_status(&self) -> broadcast::Receiver<LicenceStatusChange> {
        self.statuses.subscribe()
    }
}
