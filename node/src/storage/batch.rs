//! A typed write batch: puts and deletes on [`Table`]s, applied atomically by
//! [`super::Store::write`]. Until it is written, nothing in it is visible; dropping it discards it.

use super::error::StorageError;
use super::table::{KeyCodec, Table, encode_value};

/// One staged operation, already encoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BatchOp {
    Put {
        table: &'static str,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        table: &'static str,
        key: Vec<u8>,
    },
}

/// Puts and deletes across any tables, written all-or-nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteBatch {
    ops: Vec<BatchOp>,
    size_bytes: usize,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stage `key → value` in table `T`. Refuses values over the table's size limit.
    pub fn put<T: Table>(&mut self, key: &T::Key, value: &T::Value) -> Result<(), StorageError> {
        let value = encode_value::<T>(value)?;
        let key = key.encode_key();
        self.size_bytes = self
            .size_bytes
            .saturating_add(key.len())
            .saturating_add(value.len());
        self.ops.push(BatchOp::Put {
            table: T::NAME,
            key,
            value,
        });
        Ok(())
    }

    /// Stage the deletion of `key` from table `T`.
    pub fn delete<T: Table>(&mut self, key: &T::Key) {
        let key = key.encode_key();
        self.size_bytes = self.size_bytes.saturating_add(key.len());
        self.ops.push(BatchOp::Delete {
            table: T::NAME,
            key,
        });
    }

    /// Append every operation of `other`, after this batch's own.
    pub fn append(&mut self, other: WriteBatch) {
        self.size_bytes = self.size_bytes.saturating_add(other.size_bytes);
        self.ops.extend(other.ops);
    }

    /// Number of staged operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Total key and value bytes staged.
    pub fn size_bytes(&self) -> usize {
        self.size_bytes
    }

    pub(crate) fn ops(&self) -> &[BatchOp] {
        &self.ops
    }
}
