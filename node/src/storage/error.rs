//! Typed storage errors. Every message names the table, key or path involved, so an operator can
//! tell a full disk from a corrupt column family from a data directory of a newer release.

use std::path::PathBuf;

use yrd_contracts::codec::CodecError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// RocksDB refused to open the data directory.
    #[error("cannot open database at {path}: {source}")]
    Open {
        /// The data directory.
        path: PathBuf,
        /// The RocksDB error.
        source: rocksdb::Error,
    },
    /// The data directory holds column families this release does not know.
    #[error(
        "database at {path} has unknown column families {unknown:?}; written by a newer release?"
    )]
    UnknownColumnFamilies {
        /// The data directory.
        path: PathBuf,
        /// The column families found on disk and absent from the table list.
        unknown: Vec<String>,
    },
    /// The database holds a chain in an earlier ledger format (licence keys without the issuer's
    /// USCC, safety data without the proposed round). Its blocks cannot be re-executed under the
    /// current rules, so there is no migration: the operator starts from an empty directory.
    #[error(
        "database at {path} has schema version {found}: a chain in an earlier ledger format that \
         this release (schema version {supported}) cannot read or migrate; keep it for reference \
         and start the node on an empty data directory with the new chain's genesis"
    )]
    EarlierLedgerFormat {
        /// The data directory.
        path: PathBuf,
        /// The schema version stored in the metadata table.
        found: u32,
        /// The schema version this release writes and reads.
        supported: u32,
    },
    /// The database was written with a schema version this release cannot read.
    #[error(
        "database at {path} has schema version {found}, this release reads only version {supported}"
    )]
    UnsupportedSchemaVersion {
        /// The data directory.
        path: PathBuf,
        /// The schema version stored in the metadata table.
        found: u32,
        /// The schema version this release writes and reads.
        supported: u32,
    },
    /// A column family from the table list is missing from the open database.
    #[error("column family {table} is missing from the open database")]
    MissingColumnFamily {
        /// The table name.
        table: &'static str,
    },
    /// A RocksDB read, write or iteration failed.
    #[error("rocksdb {operation} on table {table} failed: {source}")]
    Backend {
        /// What was being done (`get`, `write`, `iterate`, ...).
        operation: &'static str,
        /// The table involved (or `*` for a multi-table batch).
        table: &'static str,
        /// The RocksDB error.
        source: rocksdb::Error,
    },
    /// A stored value does not decode as its table's value type.
    #[error("corrupt value in table {table} under key {key_hex}: {source}")]
    CorruptValue {
        /// The table name.
        table: &'static str,
        /// The key, hex-encoded.
        key_hex: String,
        /// Why the bytes were refused.
        source: CodecError,
    },
    /// A stored key does not decode as its table's key type.
    #[error("corrupt key in table {table}: {key_hex}: {reason}")]
    CorruptKey {
        /// The table name.
        table: &'static str,
        /// The key, hex-encoded.
        key_hex: String,
        /// Why the bytes were refused.
        reason: String,
    },
    /// A metadata entry holds a value of the wrong kind.
    #[error("metadata entry {key} holds the wrong kind of value: {found}")]
    MetadataKindMismatch {
        /// The metadata key.
        key: &'static str,
        /// A description of what was found.
        found: String,
    },
    /// A value is larger than its table allows.
    #[error("value of {len} bytes for table {table} is over the limit of {limit} bytes")]
    ValueTooLarge {
        /// The table name.
        table: &'static str,
        /// Length of the encoded value.
        len: usize,
        /// The table's limit.
        limit: usize,
    },
    /// A write batch is larger than the configured limit.
    #[error(
        "write batch of {bytes} bytes in {operations} operations is over the limit of {limit} bytes"
    )]
    BatchTooLarge {
        /// Total key and value bytes in the batch.
        bytes: usize,
        /// Number of operations in the batch.
        operations: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A range scan was asked for more entries than allowed.
    #[error("scan of table {table} asked for {requested} entries, over the limit of {limit}")]
    ScanTooLarge {
        /// The table name.
        table: &'static str,
        /// Entries asked for.
        requested: usize,
        /// The limit.
        limit: usize,
    },
    /// A block was offered out of order.
    #[error("block at height {got} does not follow the latest committed height {latest}")]
    HeightNotNext {
        /// The latest committed height.
        latest: u64,
        /// The height offered.
        got: u64,
    },
    /// The certificate offered with a block does not commit that block.
    #[error(
        "certificate for height {height} commits {certified_hex:?}, not block {block_hash_hex}"
    )]
    CertificateMismatch {
        /// The block height.
        height: u64,
        /// The block's hash, hex.
        block_hash_hex: String,
        /// The hash of the certificate's first header, hex, if it has one.
        certified_hex: Option<String>,
    },
    /// A receipt names another transaction than the one it is stored with.
    #[error(
        "receipt {index} of block {height} is for transaction {receipt_tx_hash_hex}, \
         not {tx_hash_hex}"
    )]
    ReceiptMismatch {
        /// The block height.
        height: u64,
        /// Position in the block.
        index: u32,
        /// The transaction's hash, hex.
        tx_hash_hex: String,
        /// The hash the receipt names, hex.
        receipt_tx_hash_hex: String,
    },
    /// A block carries more transactions than a block may.
    #[error("block at height {height} has {count} transactions, over the limit of {limit}")]
    TooManyTransactions {
        /// The block height.
        height: u64,
        /// Number of transactions.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Staged state-tree updates do not match the block being committed.
    #[error("staged tree updates {staged:?} do not match block height {height}")]
    StagedTreeMismatch {
        /// The block height.
        height: u64,
        /// Versions found in the staging area.
        staged: Vec<u64>,
    },
    /// A state-tree version was asked for that pruning has removed.
    #[error("state version {version} is pruned; the oldest readable version is {oldest_readable}")]
    VersionPruned {
        /// The version asked for.
        version: u64,
        /// The oldest version still readable.
        oldest_readable: u64,
    },
    /// Pruning was asked to remove versions that would leave the latest committed one unreadable.
    #[error("cannot prune below version {requested}: latest committed version is {latest:?}")]
    PruneBeyondLatest {
        /// The requested oldest version to keep.
        requested: u64,
        /// The latest committed version.
        latest: Option<u64>,
    },
    /// The committed chain is internally inconsistent (a height without its certificate, ...).
    #[error("inconsistent database: {0}")]
    Inconsistent(String),
    /// A filesystem operation around checkpoints failed.
    #[error("{operation} {path}: {source}")]
    Filesystem {
        /// What was being done.
        operation: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A checkpoint or restore target already exists and is not empty.
    #[error("destination {path} already exists; refusing to overwrite it")]
    DestinationExists {
        /// The destination path.
        path: PathBuf,
    },
    /// A restore source is not a database this release can open.
    #[error("checkpoint at {path} is not a usable database: {reason}")]
    InvalidCheckpoint {
        /// The checkpoint path.
        path: PathBuf,
        /// Why it was refused.
        reason: String,
    },
}

impl StorageError {
    /// A [`StorageError::Backend`] for one table.
    pub(crate) fn backend(
        operation: &'static str,
        table: &'static str,
    ) -> impl FnOnce(rocksdb::Error) -> Self {
        move |source| StorageError::Backend {
            operation,
            table,
            source,
        }
    }
}
