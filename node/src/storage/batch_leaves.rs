//! Batch leaves issuers leave with this node: local only, never replicated, keyed by issuer so that
//! one issuer's submission can never touch another's entries, and bounded per issuer.
//!
//! Writing a batch: its leaves, then its index entries (only where the issuer has none for that
//! commitment: the first kept batch keeps a commitment), in bounded write batches; last, in one
//! write, the batch's "kept" marker and the issuer's new usage. A batch already marked kept is not
//! written or counted again; one interrupted before its marker is rewritten in full (every write is
//! an idempotent overwrite) and counted once.

use super::batch::WriteBatch;
use super::error::StorageError;
use super::store::Store;
use super::table::UsccKey;
use super::tables::{BatchLeafIndex, BatchLeafUsage, BatchLeaves, BatchesKept, Hash32};

/// Leaves (or index entries) per write batch.
const CHUNK: usize = 65_536;

/// What [`Store::keep_batch_leaves`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeptBatch {
    /// The leaves are now kept; the issuer's usage after them.
    Kept {
        /// Leaves the issuer has kept with this node, this batch included.
        issuer_leaves: u64,
    },
    /// The batch was already kept; nothing was written.
    AlreadyKept,
    /// Keeping it would take the issuer over its quota; nothing was written.
    OverQuota {
        /// Leaves the issuer has kept already.
        issuer_leaves: u64,
        /// The quota.
        max: u64,
    },
}

impl Store {
    /// Keep `leaves` (in batch order) of `issuer`'s batch `root`, unless that takes the issuer's
    /// kept leaves over `max_leaves_per_issuer` (module doc).
    pub fn keep_batch_leaves(
        &self,
        issuer: &UsccKey,
        root: &Hash32,
        leaves: &[Hash32],
        max_leaves_per_issuer: u64,
    ) -> Result<KeptBatch, StorageError> {
        let _guard = self
            .inner
            .batch_leaves_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.get::<BatchesKept>(&(*issuer, *root))?.is_some() {
            return Ok(KeptBatch::AlreadyKept);
        }
        let used = self.batch_leaf_usage(issuer)?;
        let count = leaves.len() as u64;
        let total = used.saturating_add(count);
        if total > max_leaves_per_issuer {
            return Ok(KeptBatch::OverQuota {
                issuer_leaves: used,
                max: max_leaves_per_issuer,
            });
        }
        for (chunk_index, chunk) in leaves.chunks(CHUNK).enumerate() {
            let mut batch = WriteBatch::new();
            for (offset, leaf) in chunk.iter().enumerate() {
                let index = (chunk_index * CHUNK + offset) as u64;
                batch.put::<BatchLeaves>(&(*issuer, (*root, index)), leaf)?;
            }
            self.write(batch)?;
        }
        for (chunk_index, chunk) in leaves.chunks(CHUNK).enumerate() {
            let mut batch = WriteBatch::new();
            for (offset, leaf) in chunk.iter().enumerate() {
                let index = (chunk_index * CHUNK + offset) as u64;
                let key = (*issuer, *leaf);
                match self.get::<BatchLeafIndex>(&key)? {
                    // Another kept batch of this issuer already holds it.
                    Some((kept_root, _)) if kept_root != *root => {}
                    _ => batch.put::<BatchLeafIndex>(&key, &(*root, index))?,
                }
            }
            self.write(batch)?;
        }
        let mut batch = WriteBatch::new();
        batch.put::<BatchesKept>(&(*issuer, *root), &count)?;
        batch.put::<BatchLeafUsage>(issuer, &total)?;
        self.write(batch)?;
        Ok(KeptBatch::Kept {
            issuer_leaves: total,
        })
    }

    /// Leaves `issuer` has kept with this node.
    pub fn batch_leaf_usage(&self, issuer: &UsccKey) -> Result<u64, StorageError> {
        Ok(self.get::<BatchLeafUsage>(issuer)?.unwrap_or(0))
    }

    /// Where `issuer`'s kept leaf `commitment` is: (batch root, index).
    pub fn batch_leaf(
        &self,
        issuer: &UsccKey,
        commitment: &Hash32,
    ) -> Result<Option<(Hash32, u64)>, StorageError> {
        self.get::<BatchLeafIndex>(&(*issuer, *commitment))
    }

    /// The first `count` kept leaves of `issuer`'s batch `root`, in order.
    pub fn batch_leaves(
        &self,
        issuer: &UsccKey,
        root: &Hash32,
        count: u64,
    ) -> Result<Vec<Hash32>, StorageError> {
        let chunk = CHUNK as u64;
        let mut leaves = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
        let mut start = 0u64;
        while start < count {
            let end = start.saturating_add(chunk).min(count);
            let entries = self.range::<BatchLeaves>(
                &(*issuer, (*root, start)),
                &(*issuer, (*root, end)),
                CHUNK,
            )?;
            let got = entries.len() as u64;
            leaves.extend(entries.into_iter().map(|(_, leaf)| leaf));
            if got < end - start {
                break;
            }
            start = end;
        }
        Ok(leaves)
    }
}
