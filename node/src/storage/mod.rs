//! The node's embedded database: RocksDB with one column family per typed table.
//!
//! What it holds: committed blocks, their commit certificates, transactions and receipts, lookup
//! indexes (transaction hash, block hash), the state tree's nodes and values, the consensus safety
//! data and a little metadata (schema version, committed head, genesis hash, pruning progress).
//!
//! What it guarantees:
//! - a committed block's effects — block, certificate, transactions, receipts, indexes, head
//!   marker and state-tree updates — land in **one atomic write batch** ([`Store::commit_block`]),
//!   synced by default, so `kill -9` at any instant loses nothing acknowledged and never leaves a
//!   partial block;
//! - safety data is written with a synced write ([`Store::put_safety_synced`]) before any vote may
//!   leave the node;
//! - reopening the data directory resumes exactly at the committed head; a directory of an
//!   unknown schema version or with unknown tables is refused;
//! - every value read from disk is decoded canonically; corrupt bytes are a typed error naming the
//!   table, never a panic;
//! - state versions older than a window are pruned in bounded chunks; checkpoints give consistent
//!   backups of a live node and [`restore`] brings one back;
//! - a state version is served in proven chunks and restored into an empty database by state
//!   sync ([`Store::snapshot_chunk`], [`Store::begin_restore`]), each chunk checked against the
//!   certified root as it arrives.
//!
//! What it must never do: interpret consensus or transaction bytes (that belongs to the consensus
//! and contracts crates), or write a block's parts in separate batches.

mod backup;
mod batch;
mod batch_leaves;
mod checkpoint;
mod commit;
mod config;
mod error;
mod node_key;
mod snapshot;
mod store;
pub mod table;
pub mod tables;
mod tree_store;

pub use backup::{
    BACKUP_FORMAT, BackupError, BackupFile, BackupManifest, check_backup, restore_backup,
    write_backup,
};
pub use batch::WriteBatch;
pub use batch_leaves::KeptBatch;
pub use checkpoint::{CheckpointReport, RestoreReport, restore};
pub use commit::{CommittedBlockWrite, CommittedTransaction, StoredTransaction};
pub use config::{
    DEFAULT_KEEP_VERSIONS, DEFAULT_MAX_BLOCK_TRANSACTIONS, DEFAULT_MAX_OPEN_FILES,
    DEFAULT_MAX_SCAN_ENTRIES, DEFAULT_MAX_WRITE_BATCH_BYTES, DEFAULT_PRUNE_CHUNK_ENTRIES,
    DEFAULT_WRITE_BUFFER_SIZE_BYTES, StoreConfig,
};
pub use error::StorageError;
pub use node_key::MAX_NIBBLES;
pub use snapshot::{
    ChunkError, MAX_CHUNK_BYTES, MAX_CHUNK_LEAVES, RangeChunk, SnapshotChunk, SnapshotRestore,
    key_after,
};
pub use store::{CloseWatch, EngineStats, MAX_VOTED_BLOCKS_ON_START, SCHEMA_VERSION, Store};
pub use table::{KeyCodec, Table};
pub use tables::{ALL_TABLES, CommittedHead, Hash32, Height, TxLocation};
pub use tree_store::{MAX_STAGED_VERSIONS, RocksTreeStore};
