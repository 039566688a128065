//! Tuning and limits of the node database.

/// How the database is opened and bounded. Every field has a default fit for a validator on a
/// small machine; operators override them from the node's TOML config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// RocksDB memtable size per column family, in bytes.
    pub write_buffer_size_bytes: usize,
    /// Most SST files RocksDB keeps open at once (`-1` means unlimited).
    pub max_open_files: i32,
    /// Largest write batch (keys plus values) accepted, in bytes.
    pub max_write_batch_bytes: usize,
    /// Most entries one range scan may return.
    pub max_scan_entries: usize,
    /// Number of most recent state-tree versions kept readable; older ones are pruned.
    pub keep_versions: u64,
    /// Most index entries one pruning write deletes, so pruning never builds a huge batch.
    pub prune_chunk_entries: usize,
    /// Most transactions one committed block may carry.
    pub max_block_transactions: usize,
    /// Whether block commits are synced to disk before they are acknowledged. Unsynced commits
    /// survive a process crash (`kill -9`) but not a power cut.
    pub sync_block_commits: bool,
    /// Most decoded internal state-tree nodes kept in memory (about 1 KiB each). Every state
    /// read, proof and tree update walks from the root, so the upper levels are read far more
    /// often than RocksDB's block cache can serve cheaply (each read there is a lookup, a block
    /// decompression and a canonical decode). Proofs keep as many of the same nodes again,
    /// prepared for proofs (about 1.2 KiB each, every range hash computed once). 0 disables both
    /// caches.
    pub tree_node_cache_entries: u64,
    /// Most bytes of write-ahead log kept on disk (RocksDB's `max_total_wal_size`). A log file is
    /// deleted only once every table's memtable holding its writes has been flushed; past this
    /// size the tables holding the oldest writes are flushed so that it can go. Without it
    /// RocksDB's own bound is four times every table's memtables (about 5 GiB for the node's
    /// twenty tables), all of it replayed when the node opens its database after a crash.
    pub max_total_wal_bytes: u64,
    /// Keep write-ahead-log bytes in the process until a synced write (RocksDB's
    /// `manual_wal_flush`). Off for nodes. The simulator turns
    /// it on so that the files on disk hold exactly what was synced, and a power cut can be
    /// modelled by cutting the log back to its size at the instant of the cut
    /// (`tests/src/hostsim/cluster.rs`).
    pub manual_wal_flush: bool,
}

/// Default [`StoreConfig::max_total_wal_bytes`]: 256 MiB, eight memtables' worth.
pub const DEFAULT_MAX_TOTAL_WAL_BYTES: u64 = 256 * 1024 * 1024;
/// Default [`StoreConfig::write_buffer_size_bytes`]: 32 MiB.
pub const DEFAULT_WRITE_BUFFER_SIZE_BYTES: usize = 32 * 1024 * 1024;
/// Default [`StoreConfig::max_open_files`].
pub const DEFAULT_MAX_OPEN_FILES: i32 = 512;
/// Default [`StoreConfig::max_write_batch_bytes`]: 512 MiB.
pub const DEFAULT_MAX_WRITE_BATCH_BYTES: usize = 512 * 1024 * 1024;
/// Default [`StoreConfig::max_scan_entries`].
pub const DEFAULT_MAX_SCAN_ENTRIES: usize = 100_000;
/// Default [`StoreConfig::keep_versions`]: about a day of one-second blocks.
pub const DEFAULT_KEEP_VERSIONS: u64 = 100_000;
/// Default [`StoreConfig::max_block_transactions`].
pub const DEFAULT_MAX_BLOCK_TRANSACTIONS: usize = 100_000;
/// Default [`StoreConfig::tree_node_cache_entries`]: the top four levels of a 16-ary tree
/// (69,905 nodes) and then some, about 128 MiB at most.
pub const DEFAULT_TREE_NODE_CACHE_ENTRIES: u64 = 131_072;
/// Default [`StoreConfig::prune_chunk_entries`].
pub const DEFAULT_PRUNE_CHUNK_ENTRIES: usize = 10_000;

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            write_buffer_size_bytes: DEFAULT_WRITE_BUFFER_SIZE_BYTES,
            max_open_files: DEFAULT_MAX_OPEN_FILES,
            max_write_batch_bytes: DEFAULT_MAX_WRITE_BATCH_BYTES,
            max_scan_entries: DEFAULT_MAX_SCAN_ENTRIES,
            keep_versions: DEFAULT_KEEP_VERSIONS,
            prune_chunk_entries: DEFAULT_PRUNE_CHUNK_ENTRIES,
            max_block_transactions: DEFAULT_MAX_BLOCK_TRANSACTIONS,
            sync_block_commits: true,
            tree_node_cache_entries: DEFAULT_TREE_NODE_CACHE_ENTRIES,
            max_total_wal_bytes: DEFAULT_MAX_TOTAL_WAL_BYTES,
            manual_wal_flush: false,
        }
    }
}
