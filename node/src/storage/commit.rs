//! The block commit path: everything a committed block changes — block, certificate,
//! transactions, receipts, indexes, head marker and the block's state-tree updates — goes to disk
//! in one atomic write batch, so after any crash the database holds a block completely or not at
//! all. Also the typed reads the RPC layer serves from those tables.

use super::batch::WriteBatch;
use super::error::StorageError;
use super::store::Store;
use super::table::{KeyCodec, Table};
use super::tables::{
    BlockHashIndex, Blocks, Certificates, CommittedHead, EpochChanges, Hash32, Height, Metadata,
    MetadataKey, MetadataValue, Receipts, StateRoots, Transactions, TxIndex, TxLocation,
};
use yrd_consensus::{Block, CommitCertificate};
use yrd_contracts::{Receipt, SignedTx};

/// One transaction of a committed block with its execution receipt. The receipt's `tx_hash`
/// must be the transaction's hash; it is the key of the lookup-by-hash index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTransaction {
    /// The transaction.
    pub transaction: SignedTx,
    /// Its receipt.
    pub receipt: Receipt,
}

impl CommittedTransaction {
    /// A block's transactions paired with their receipts, in block order.
    pub fn with_receipts(txs: &[SignedTx], receipts: &[Receipt]) -> Vec<Self> {
        txs.iter()
            .zip(receipts)
            .map(|(transaction, receipt)| CommittedTransaction {
                transaction: transaction.clone(),
                receipt: receipt.clone(),
            })
            .collect()
    }
}

/// Everything a committed and executed block writes, except the state-tree updates, which the
/// state tree has already staged through [`super::RocksTreeStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedBlockWrite {
    /// The block; its height is also the state-tree version its execution produced.
    pub block: Block,
    /// The certificate that commits it (its first header is the block's header).
    pub certificate: CommitCertificate,
    /// Its transactions in block order, with receipts.
    pub transactions: Vec<CommittedTransaction>,
    /// The state root after executing it.
    pub state_root: Hash32,
}

impl CommittedBlockWrite {
    /// The block height.
    pub fn height(&self) -> Height {
        self.block.header.height
    }
}

/// A committed transaction found by hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTransaction {
    /// Where it is in the chain.
    pub location: TxLocation,
    /// The transaction.
    pub transaction: SignedTx,
    /// Its receipt.
    pub receipt: Receipt,
}

impl Store {
    /// Commit a block and its staged state-tree updates in one atomic (and, by default, synced)
    /// write. The block must follow the committed head; the staging area must hold updates for
    /// this block's height only (or none, if execution wrote nothing).
    ///
    /// When this returns `Ok`, the block is durable: a crash at any later instant keeps it.
    pub fn commit_block(&self, write: &CommittedBlockWrite) -> Result<(), StorageError> {
        self.commit_block_with(write, true)
    }

    /// [`Store::commit_block`], synced only when `durable` (and the store syncs commits at all).
    ///
    /// An unsynced commit is still atomic and ordered (RocksDB's write-ahead log keeps writes in
    /// order, and the next synced write makes every earlier one durable); a crash may lose a
    /// suffix of unsynced blocks, which the node then re-executes or re-syncs. The host uses it
    /// for every block but the last of a run committed in one step (catch-up delivers hundreds),
    /// so one sync covers the run.
    pub fn commit_block_with(
        &self,
        write: &CommittedBlockWrite,
        durable: bool,
    ) -> Result<(), StorageError> {
        let _commit_guard = self
            .inner
            .commit_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let height = write.height();
        let block_hash = write.block.id().0;

        if let Some(head) = self.committed_head()?
            && head.height.checked_add(1) != Some(height)
        {
            return Err(StorageError::HeightNotNext {
                latest: head.height,
                got: height,
            });
        }
        let certified = write
            .certificate
            .headers
            .first()
            .map(|header| header.id().0);
        if certified != Some(block_hash) {
            return Err(StorageError::CertificateMismatch {
                height,
                block_hash_hex: hex::encode(block_hash),
                certified_hex: certified.map(hex::encode),
            });
        }
        let limit = self.inner.config.max_block_transactions;
        if write.transactions.len() > limit {
            return Err(StorageError::TooManyTransactions {
                height,
                count: write.transactions.len(),
                limit,
            });
        }

        let mut batch = WriteBatch::new();
        batch.put::<Blocks>(&height, &write.block)?;
        batch.put::<Certificates>(&height, &write.certificate)?;
        batch.put::<BlockHashIndex>(&block_hash, &height)?;
        batch.put::<StateRoots>(&height, &write.state_root)?;
        if height > 0
            && let Some(next) = yrd_consensus::epoch::next_epoch_set(&write.block.header)
        {
            batch.put::<EpochChanges>(&next.epoch, &height)?;
        }
        for (index, committed) in write.transactions.iter().enumerate() {
            let index = u32::try_from(index).map_err(|_| StorageError::TooManyTransactions {
                height,
                count: write.transactions.len(),
                limit,
            })?;
            let tx_hash = committed.transaction.hash();
            if committed.receipt.tx_hash != tx_hash {
                return Err(StorageError::ReceiptMismatch {
                    height,
                    index,
                    tx_hash_hex: hex::encode(tx_hash),
                    receipt_tx_hash_hex: hex::encode(committed.receipt.tx_hash),
                });
            }
            let key = (height, index);
            batch.put::<Transactions>(&key, &committed.transaction)?;
            batch.put::<Receipts>(&key, &committed.receipt)?;
            // A transaction included again after it committed (possible only across a fork)
            // fails with a stale nonce; the index keeps pointing at the inclusion that took effect.
            // A nonce refusal is never a transaction's outcome: included out of its signer's
            // order (by a faulty or lying proposer) it may still take effect later, and its hash
            // must stay admissible and pending (see `Receipt::settles`).
            let keep_earlier = !committed.receipt.is_success()
                && (!committed.receipt.settles() || self.get::<TxIndex>(&tx_hash)?.is_some());
            if !keep_earlier {
                batch.put::<TxIndex>(&tx_hash, &TxLocation { height, index })?;
            }
        }
        let head = CommittedHead {
            height,
            block_hash,
            state_root: write.state_root,
        };
        batch.put::<Metadata>(
            &MetadataKey::CommittedHead,
            &MetadataValue::CommittedHead(head),
        )?;
        if height == 0 {
            batch.put::<Metadata>(
                &MetadataKey::GenesisHash,
                &MetadataValue::GenesisHash(block_hash),
            )?;
        }

        self.stage_voted_blocks_pruning(height, &mut batch)?;
        let staged_version = self.stage_tree_into(height, &mut batch)?;
        self.write_with(batch, durable && self.inner.config.sync_block_commits)?;
        self.voted_blocks_pruned_through(height);
        if let Some(version) = staged_version {
            self.discard_staged(version);
        }
        tracing::debug!(
            height = height,
            transactions = write.transactions.len(),
            "committed block"
        );
        Ok(())
    }

    /// Check that the committed head's block is complete and nothing lies beyond it.
    pub(crate) fn check_head_complete(&self, head: &CommittedHead) -> Result<(), StorageError> {
        if !self.contains::<Blocks>(&head.height)? {
            return Err(StorageError::Inconsistent(format!(
                "committed head {} has no block",
                head.height
            )));
        }
        if !self.contains::<Certificates>(&head.height)? {
            return Err(StorageError::Inconsistent(format!(
                "committed head {} has no certificate",
                head.height
            )));
        }
        if self.get::<BlockHashIndex>(&head.block_hash)? != Some(head.height) {
            return Err(StorageError::Inconsistent(format!(
                "committed head {} is not indexed by its hash {}",
                head.height,
                hex::encode(head.block_hash)
            )));
        }
        if let Some(next) = head.height.checked_add(1)
            && self.contains::<Blocks>(&next)?
        {
            return Err(StorageError::Inconsistent(format!(
                "block {next} is stored beyond the committed head {}",
                head.height
            )));
        }
        Ok(())
    }

    /// The committed block at `height`.
    pub fn block(&self, height: Height) -> Result<Option<Block>, StorageError> {
        self.get::<Blocks>(&height)
    }

    /// The commit certificate of the block at `height`.
    pub fn certificate(&self, height: Height) -> Result<Option<CommitCertificate>, StorageError> {
        self.get::<Certificates>(&height)
    }

    /// The height of the committed block with hash `block_hash`.
    pub fn height_of_block(&self, block_hash: &Hash32) -> Result<Option<Height>, StorageError> {
        self.get::<BlockHashIndex>(block_hash)
    }

    /// The transactions of the block at `height`, in block order.
    pub fn block_transactions(&self, height: Height) -> Result<Vec<SignedTx>, StorageError> {
        self.block_entries::<Transactions>(height)
    }

    /// The receipts of the block at `height`, in block order.
    pub fn block_receipts(&self, height: Height) -> Result<Vec<Receipt>, StorageError> {
        self.block_entries::<Receipts>(height)
    }

    /// The entries keyed `(height, index)` of one block, bounded by the block size limit.
    fn block_entries<T: Table<Key = (Height, u32)>>(
        &self,
        height: Height,
    ) -> Result<Vec<T::Value>, StorageError> {
        let start = (height, 0u32).encode_key();
        let end = height.checked_add(1).map(|next| (next, 0u32).encode_key());
        let entries = self.scan_up_to::<T>(start, end, self.inner.config.max_block_transactions)?;
        Ok(entries
            .into_iter()
            .filter(|((entry_height, _), _)| *entry_height == height)
            .map(|(_, value)| value)
            .collect())
    }

    /// The state root after executing the committed block at `height`.
    pub fn state_root_at(&self, height: Height) -> Result<Option<Hash32>, StorageError> {
        self.get::<StateRoots>(&height)
    }

    /// The height of the reconfiguration block that started `epoch`, if it is committed.
    pub fn epoch_change_height(&self, epoch: u64) -> Result<Option<Height>, StorageError> {
        self.get::<EpochChanges>(&epoch)
    }

    /// Whether a transaction with this hash is committed (one index lookup).
    pub fn has_transaction(&self, hash: &Hash32) -> Result<bool, StorageError> {
        Ok(self.get::<TxIndex>(hash)?.is_some())
    }

    /// A committed transaction and its receipt, by transaction hash.
    pub fn transaction_by_hash(
        &self,
        hash: &Hash32,
    ) -> Result<Option<StoredTransaction>, StorageError> {
        let Some(location) = self.get::<TxIndex>(hash)? else {
            return Ok(None);
        };
        let key = (location.height, location.index);
        let transaction = self.get::<Transactions>(&key)?.ok_or_else(|| {
            StorageError::Inconsistent(format!(
                "transaction {} is indexed at {location:?} but not stored",
                hex::encode(hash)
            ))
        })?;
        let receipt = self.get::<Receipts>(&key)?.ok_or_else(|| {
            StorageError::Inconsistent(format!(
                "transaction {} at {location:?} has no receipt",
                hex::encode(hash)
            ))
        })?;
        Ok(Some(StoredTransaction {
            location,
            transaction,
            receipt,
        }))
    }
}
