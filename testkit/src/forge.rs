//! A node's data directory holding a long history, written without a network: blocks of real
//! signed transactions, executed by the contracts exactly as a node executes them, each committed
//! to RocksDB in the node's own atomic write with a commit certificate signed by validators whose
//! secret keys the caller holds.
//!
//! Used where a test needs a chain far larger than a few minutes of live consensus on a shared
//! two-core machine can build (drill 3 of state sync: an observer joining a chain of 10^6
//! licence records). The validators then start from copies of the directory and carry the chain
//! on live. What differs from a live history: the blocks were agreed offline (the caller signs
//! for every validator), each block's proposer is taken in turn rather than by the leader
//! reputation rule, and block times step by one millisecond from the genesis time. A node that
//! replays the blocks from genesis computes the same states: execution reads only the block's
//! height, time, epoch and transactions.

use yrd_consensus::types::{Block, BlockHeader, ExecutedState, QuorumCert};
use yrd_consensus::{CommitCertificate, Signer, SuiteSigner};
use yrd_contracts::{BlockContext, BlockOutcome, SignedTx, State};
use yrd_node::host::restart::{RestartError, open_state};
use yrd_node::storage::{
    CommittedBlockWrite, CommittedTransaction, RocksTreeStore, StorageError, Store,
};
use yrd_verifier::chain_spec::ChainSpec;

use crate::Certifier;

/// Why forging stopped.
#[derive(Debug, thiserror::Error)]
pub enum ForgeError {
    /// Opening the store or its genesis state failed.
    #[error("opening the store: {0}")]
    Open(#[from] RestartError),
    /// The store failed.
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    /// The store already holds blocks past its genesis.
    #[error("the store already holds blocks up to height {0}; forging starts from the genesis")]
    NotEmpty(u64),
    /// Executing a block failed (not a refused transaction: those get receipts).
    #[error("block {height}: {message}")]
    Execute {
        /// The block's height.
        height: u64,
        /// What failed.
        message: String,
    },
}

/// The last forged block, waiting for its child (whose QC certifies it) to be committed.
struct Pending {
    block: Block,
    txs: Vec<SignedTx>,
    outcome: BlockOutcome,
}

/// Appends executed, certified blocks to a store that holds only its genesis.
pub struct Forge {
    store: Store,
    spec: ChainSpec,
    state: State<RocksTreeStore>,
    signers: Vec<SuiteSigner>,
    parent: BlockHeader,
    parent_qc: QuorumCert,
    /// The newest executed height and its root, which the next header attests.
    executed: ExecutedState,
    pending: Option<Pending>,
}

impl Forge {
    /// Opens `store` (writing the genesis state and block if it is new, as a node does on its
    /// first start) for the chain `spec`, whose validators have these secret `seeds`.
    pub fn open(store: Store, spec: ChainSpec, seeds: &[[u8; 32]]) -> Result<Self, ForgeError> {
        let state = open_state(&store, &spec)?;
        if let Some(head) = store.committed_head()?
            && head.height != 0
        {
            return Err(ForgeError::NotEmpty(head.height));
        }
        let parent = spec.consensus.header();
        Ok(Self {
            signers: seeds.iter().map(crate::signer::suite_signer).collect(),
            parent_qc: spec.consensus.qc(),
            executed: parent.executed,
            parent,
            state,
            store,
            spec,
            pending: None,
        })
    }

    /// The header after the newest one, carrying `payload_digest` and attesting the newest
    /// executed state; proposers take turns and block times step by one millisecond.
    fn next_header(&self, payload_digest: [u8; 32]) -> BlockHeader {
        let height = self.parent.height + 1;
        BlockHeader {
            epoch: self.parent.epoch,
            round: self.parent.round + 1,
            height,
            parent_id: self.parent.id(),
            parent_qc: self.parent_qc.clone(),
            payload_digest,
            proposer: self.signers[(height as usize) % self.signers.len()].public_key(),
            timestamp_ms: self.parent.timestamp_ms + 1,
            executed: self.executed,
            next_validator_set: None,
        }
    }

    /// Signs the next block's QC for every validator, commits the block before it (which this QC
    /// certifies), then executes `txs` as the next block (signatures checked with the exact batch
    /// rule a node uses for transactions it did not admit itself). Returns the block's outcome: a refused
    /// transaction is in `errors` and gets a failure receipt, as on a live chain.
    pub fn append(&mut self, txs: Vec<SignedTx>) -> Result<BlockOutcome, ForgeError> {
        let payload = yrd_contracts::payload::encode_payload(
            &txs.iter().map(SignedTx::to_bytes).collect::<Vec<_>>(),
        );
        let header = self.next_header(yrd_consensus::types::payload_digest(&payload));
        let height = header.height;
        // The QC on this block certifies the one before it, which is committed (with its tree
        // writes, staged when it executed) before this one executes.
        let qc = Certifier::sign_qc(&self.signers, &header);
        if let Some(pending) = self.pending.take() {
            self.commit(pending, &header, &qc, false)?;
        }
        let ctx = BlockContext {
            height,
            block_time_ms: header.timestamp_ms,
            chain_id: self.spec.genesis.chain_id.clone(),
            epoch: header.epoch,
        };
        let outcome = self
            .state
            .apply_block_batch_verified(&ctx, &txs)
            .map_err(|e| ForgeError::Execute {
                height,
                message: e.to_string(),
            })?;
        self.executed = ExecutedState {
            height,
            state_root: outcome.state_root.0,
        };
        self.parent = header.clone();
        self.parent_qc = qc;
        self.pending = Some(Pending {
            block: Block { header, payload },
            txs,
            outcome: outcome.clone(),
        });
        Ok(outcome)
    }

    /// Certifies the last block with an empty child (which is not stored: the chain goes on from
    /// the last block, as after a live commit), syncs the store and returns the committed height.
    pub fn finish(mut self) -> Result<u64, ForgeError> {
        let Some(pending) = self.pending.take() else {
            return Ok(self.parent.height);
        };
        let height = pending.block.header.height;
        let child = self.next_header(yrd_consensus::types::payload_digest(&[]));
        let qc = Certifier::sign_qc(&self.signers, &child);
        self.commit(pending, &child, &qc, true)?;
        self.store.flush()?;
        Ok(height)
    }

    fn commit(
        &self,
        pending: Pending,
        child: &BlockHeader,
        child_qc: &QuorumCert,
        durable: bool,
    ) -> Result<(), ForgeError> {
        let certificate = CommitCertificate {
            headers: vec![pending.block.header.clone(), child.clone()],
            qc: child_qc.clone(),
        };
        let transactions =
            CommittedTransaction::with_receipts(&pending.txs, &pending.outcome.receipts);
        self.store.commit_block_with(
            &CommittedBlockWrite {
                block: pending.block,
                certificate,
                transactions,
                state_root: pending.outcome.state_root.0,
            },
            durable,
        )?;
        Ok(())
    }
}
