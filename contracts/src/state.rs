//! The ledger state: a [`StateTree`] at its latest version, and block application.
//!
//! [`State::apply_block`] is pure and deterministic: it reads through a write overlay, executes the
//! transactions in order (a refused transaction gets a receipt with its error code and the block
//! goes on), records the head (height, block time, epoch), then applies all writes to the tree as
//! version `height` in one call. The genesis is version 0.

use std::collections::BTreeSet;

use jmt::storage::TreeUpdateBatch;

use crate::apply::{Overlay, execute_tx, read_chain};
use crate::codec::encode;
use crate::context::{BlockContext, BlockOutcome, Receipt};
use crate::envelope::{SignedTx, hash_of_bytes};
use crate::error::TxError;
use crate::genesis::Genesis;
use crate::keys;
use crate::limits::MAX_BLOCK_TXS;
use crate::reader::{ReadError, StateReader, read_record};
use crate::records::{HeadRecord, ValidatorList};
use crate::sigverify::{SignatureCheck, signing_message_from_envelope, verify_batch, verify_each};
use crate::tree::{StateRoot, StateTree, TreeError, TreeStore};
use crate::types::{FieldError, TxHash};

/// Why a block (not a transaction) could not be applied. Nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlockError {
    /// The block's height is not the next version.
    #[error("block height {actual} does not follow state version {expected_previous}")]
    HeightMismatch {
        /// The state's version.
        expected_previous: u64,
        /// The block's height.
        actual: u64,
    },
    /// The block context names another chain.
    #[error("block for chain {actual:?}, state is chain {expected:?}")]
    WrongChain {
        /// This chain.
        expected: String,
        /// The block's.
        actual: String,
    },
    /// More transactions than a block may carry.
    #[error("{count} transactions, over the block limit of {max}")]
    TooManyTxs {
        /// Count.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// The state has no genesis.
    #[error("state has no genesis")]
    NoGenesis,
    /// A state read failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The tree refused or failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// Why the genesis could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenesisError {
    /// The genesis is invalid.
    #[error("invalid genesis: {0}")]
    Invalid(#[from] FieldError),
    /// The store already holds versions.
    #[error("store already holds version {0}")]
    AlreadyInitialised(u64),
    /// The tree refused or failed.
    #[error(transparent)]
    Tree(#[from] TreeError),
}

/// How signatures of a block are checked; all three give the verdicts of the one rule.
#[derive(Debug, Clone, Copy)]
pub enum SignatureMode<'a> {
    /// `verify_strict` on every transaction.
    Individual,
    /// Hashes whose signature the caller already checked with the same rule.
    Preverified(&'a BTreeSet<TxHash>),
    /// The exact batch fast path of [`crate::sigverify`].
    Batch,
}

/// A block executed but not yet written: its outcome (with the new root) and the tree update.
#[derive(Debug)]
pub struct ExecutedBlock {
    /// What the block did.
    pub outcome: BlockOutcome,
    update: TreeUpdateBatch,
    base_version: u64,
}

/// One version of the state, readable by queries.
#[derive(Debug, Clone, Copy)]
pub struct StateSnapshot<'a, S: TreeStore> {
    tree: &'a StateTree<S>,
    version: u64,
}

impl<S: TreeStore> StateSnapshot<'_, S> {
    /// The version read.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The value of `key` with a proof of inclusion or absence against this version's root.
    pub fn get_with_proof(
        &self,
        key: &[u8],
    ) -> Result<(Option<Vec<u8>>, crate::tree::StateProof), ReadError> {
        self.tree
            .get_with_proof(key, self.version)
            .map_err(|e| ReadError::Storage(e.to_string()))
    }
}

impl<S: TreeStore> StateReader for StateSnapshot<'_, S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        self.tree
            .get(key, self.version)
            .map_err(|e| ReadError::Storage(e.to_string()))
    }
}

/// The state tree and its latest version.
#[derive(Debug)]
pub struct State<S: TreeStore> {
    tree: StateTree<S>,
    version: u64,
}

impl<S: TreeStore> State<S> {
    /// Writes `genesis` as version 0 into an empty `store`.
    pub fn genesis(genesis: &Genesis, store: S) -> Result<(Self, StateRoot), GenesisError> {
        let mut tree = StateTree::new(store);
        if let Some(version) = tree.latest_version()? {
            return Err(GenesisError::AlreadyInitialised(version));
        }
        let writes = genesis.writes()?;
        let root = tree.apply(0, writes.into_iter().collect())?;
        Ok((Self { tree, version: 0 }, root))
    }

    /// Continues from the latest version in `store` (a restarted node).
    pub fn open(store: S) -> Result<Self, BlockError> {
        let tree = StateTree::new(store);
        let version = tree.latest_version()?.ok_or(BlockError::NoGenesis)?;
        Ok(Self { tree, version })
    }

    /// The latest applied version (block height).
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The root of the latest version.
    pub fn root(&self) -> Result<StateRoot, TreeError> {
        self.tree.root_at(self.version)
    }

    /// The tree (for proofs).
    pub fn tree(&self) -> &StateTree<S> {
        &self.tree
    }

    /// A reader of the latest version.
    pub fn snapshot(&self) -> StateSnapshot<'_, S> {
        StateSnapshot {
            tree: &self.tree,
            version: self.version,
        }
    }

    /// A reader of an older kept version.
    pub fn snapshot_at(&self, version: u64) -> StateSnapshot<'_, S> {
        StateSnapshot {
            tree: &self.tree,
            version,
        }
    }

    /// Applies a block, checking every signature with `verify_strict`.
    pub fn apply_block(
        &mut self,
        ctx: &BlockContext,
        txs: &[SignedTx],
    ) -> Result<BlockOutcome, BlockError> {
        self.apply_with(ctx, txs, SignatureMode::Individual)
    }

    /// Applies a block, trusting the signature of any transaction whose hash is in `verified`
    /// (the caller checked it with the same rule, e.g. on mempool entry; the hash covers the
    /// signature) and checking the others with `verify_strict`.
    pub fn apply_block_preverified(
        &mut self,
        ctx: &BlockContext,
        txs: &[SignedTx],
        verified: &BTreeSet<TxHash>,
    ) -> Result<BlockOutcome, BlockError> {
        self.apply_with(ctx, txs, SignatureMode::Preverified(verified))
    }

    /// Applies a block, checking signatures with the exact batch fast path (same verdicts).
    pub fn apply_block_batch_verified(
        &mut self,
        ctx: &BlockContext,
        txs: &[SignedTx],
    ) -> Result<BlockOutcome, BlockError> {
        self.apply_with(ctx, txs, SignatureMode::Batch)
    }

    fn apply_with(
        &mut self,
        ctx: &BlockContext,
        txs: &[SignedTx],
        mode: SignatureMode<'_>,
    ) -> Result<BlockOutcome, BlockError> {
        let executed = self.execute_block(ctx, txs, mode)?;
        self.commit_block(executed)
    }

    /// Writes a block computed by [`State::execute_block`] as the next version. Refused if
    /// another block was committed since it was executed.
    pub fn commit_block(&mut self, executed: ExecutedBlock) -> Result<BlockOutcome, BlockError> {
        if executed.base_version != self.version {
            return Err(BlockError::HeightMismatch {
                expected_previous: self.version,
                actual: executed.outcome.height,
            });
        }
        self.tree
            .store_mut()
            .write_updates(executed.outcome.height, &executed.update)?;
        self.version = executed.outcome.height;
        Ok(executed.outcome)
    }

    /// Executes a block against the latest version and computes its root without writing
    /// anything (consensus can execute a proposal, vote on its root, and commit it later).
    pub fn execute_block(
        &self,
        ctx: &BlockContext,
        txs: &[SignedTx],
        mode: SignatureMode<'_>,
    ) -> Result<ExecutedBlock, BlockError> {
        let expected_height = self
            .version
            .checked_add(1)
            .ok_or(BlockError::HeightMismatch {
                expected_previous: self.version,
                actual: ctx.height,
            })?;
        if ctx.height != expected_height {
            return Err(BlockError::HeightMismatch {
                expected_previous: self.version,
                actual: ctx.height,
            });
        }
        if txs.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTxs {
                count: txs.len(),
                max: MAX_BLOCK_TXS,
            });
        }
        let snapshot = self.snapshot();
        let chain = read_chain(&snapshot)?.ok_or(BlockError::NoGenesis)?;
        if chain.chain_id != ctx.chain_id {
            return Err(BlockError::WrongChain {
                expected: chain.chain_id.0,
                actual: ctx.chain_id.0.clone(),
            });
        }
        let validators_before: Option<ValidatorList> =
            read_record(&snapshot, &keys::validator_list())?;

        let envelopes: Vec<Vec<u8>> = txs.iter().map(SignedTx::to_bytes).collect();
        let hashes: Vec<TxHash> = envelopes.iter().map(|bytes| hash_of_bytes(bytes)).collect();
        let verdicts = signature_verdicts(txs, &envelopes, &hashes, mode);

        let mut overlay = Overlay::new(&snapshot);
        let mut receipts = Vec::with_capacity(txs.len());
        let mut errors = Vec::new();
        for (index, (((tx, envelope), hash), verdict)) in txs
            .iter()
            .zip(&envelopes)
            .zip(&hashes)
            .zip(verdicts)
            .enumerate()
        {
            let result = execute_tx(&mut overlay, ctx, tx, envelope.len(), *hash, verdict)?;
            let code = match result {
                Ok(()) => 0,
                Err(e) => {
                    let code = e.code();
                    errors.push((index, e));
                    code
                }
            };
            receipts.push(Receipt {
                tx_hash: *hash,
                code,
            });
        }
        overlay.put(
            keys::head(),
            &HeadRecord {
                height: ctx.height,
                block_time_ms: ctx.block_time_ms,
                epoch: ctx.epoch,
            },
        );
        let validators_after: Option<ValidatorList> =
            read_record(&overlay, &keys::validator_list())?;
        let validator_set_changed = encode(&validators_before) != encode(&validators_after);
        let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = overlay.writes.into_iter().collect();

        let (state_root, update) = self.tree.compute_update(ctx.height, writes)?;
        let outcome = BlockOutcome {
            height: ctx.height,
            state_root,
            receipts,
            errors,
            validator_set_changed,
        };
        Ok(ExecutedBlock {
            outcome,
            update,
            base_version: self.version,
        })
    }
}

fn signature_verdicts(
    txs: &[SignedTx],
    envelopes: &[Vec<u8>],
    hashes: &[TxHash],
    mode: SignatureMode<'_>,
) -> Vec<Result<(), TxError>> {
    let messages: Vec<Option<Vec<u8>>> = envelopes
        .iter()
        .map(|e| signing_message_from_envelope(e))
        .collect();
    let checks: Vec<Option<SignatureCheck<'_>>> = txs
        .iter()
        .zip(&messages)
        .map(|(tx, message)| {
            message.as_deref().map(|message| SignatureCheck {
                signer: &tx.body.signer,
                message,
                signature: &tx.signature,
            })
        })
        .collect();
    // Transactions whose envelope is too short to hold a signature cannot verify.
    let present: Vec<SignatureCheck<'_>> = checks
        .iter()
        .zip(hashes)
        .filter(|(_, hash)| !matches!(mode, SignatureMode::Preverified(verified) if verified.contains(*hash)))
        .filter_map(|(check, _)| *check)
        .collect();
    let verdicts_of_present = match mode {
        SignatureMode::Individual | SignatureMode::Preverified(_) => verify_each(&present),
        SignatureMode::Batch => verify_batch(&present),
    };
    let mut next = verdicts_of_present.into_iter();
    checks
        .iter()
        .zip(hashes)
        .map(|(check, hash)| match (mode, check) {
            (SignatureMode::Preverified(verified), _) if verified.contains(hash) => Ok(()),
            (_, Some(_)) => next.next().unwrap_or(Err(TxError::BadSignature)),
            (_, None) => Err(TxError::BadSignature),
        })
        .collect()
}

/// [`State::apply_block`] as a free function.
pub fn apply_block<S: TreeStore>(
    state: &mut State<S>,
    ctx: &BlockContext,
    txs: &[SignedTx],
) -> Result<BlockOutcome, BlockError> {
    state.apply_block(ctx, txs)
}
