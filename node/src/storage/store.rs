//! [`Store`]: the node's RocksDB database, opened with one column family per table, with typed
//! reads, bounded scans and atomic typed write batches.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use rocksdb::{
    BlockBasedOptions, ColumnFamily, ColumnFamilyDescriptor, DB, DBCompressionType, Direction,
    IteratorMode, Options, ReadOptions, SliceTransform, WriteOptions,
};

use super::batch::{BatchOp, WriteBatch};
use super::config::StoreConfig;
use super::error::StorageError;
use super::table::{Entry, KeyCodec, Table, decode_key, decode_value};
use super::tables::{
    ALL_TABLES, CommittedHead, Hash32, Height, Metadata, MetadataKey, MetadataValue, SafetyData,
    TreeLatestValues, TreeNodes, TreeValues, VotedBlocks,
};
use super::tree_store::TreeStaging;
use yrd_consensus::SafetyData as SafetyDataRecord;

/// The schema version this release writes and reads. Bump it with a migration whenever a table's
/// key or value encoding changes.
///
/// History: 1, the first; 2 added [`super::tables::TreeLatestValues`]; 3 keys licences, histories
/// and batches by the issuer's USCC (ADR 009) and records the last proposed round in the safety
/// data, and keys the node's local batch-leaf tables by issuer ([`super::tables::BatchLeaves`],
/// [`super::tables::BatchLeafIndex`], with [`super::tables::BatchesKept`] and
/// [`super::tables::BatchLeafUsage`]); 4 writes every licence record with its gate, status and
/// validity leaves (`yrd_contracts::keys::LicencePart`), so that proofs open only what the
/// disclosure allows; 5 gives every licence record its issuer's status-list index
/// (`LicenceRecord::status_index`, with the per-issuer counter and index map in contract state).
/// Versions 1 to 4 hold a chain in an earlier ledger format, which no migration can carry over
/// (the state root of every block would change): they are refused with
/// [`StorageError::EarlierLedgerFormat`].
pub const SCHEMA_VERSION: u32 = 5;

/// The newest schema version written in a ledger format this release does not read.
const LAST_EARLIER_FORMAT: u32 = 4;

/// Most voted-for uncommitted blocks read back at start or pruned per commit. A validator votes
/// once per round and uncommitted blocks are pruned at every commit, so a handful is normal.
pub const MAX_VOTED_BLOCKS_ON_START: usize = 4_096;

/// The node database. Cheap to clone: clones share one RocksDB instance and one staging area for
/// state-tree updates awaiting their block.
#[derive(Clone)]
pub struct Store {
    pub(crate) inner: Arc<StoreInner>,
}

pub(crate) struct StoreInner {
    pub(crate) db: DB,
    pub(crate) path: PathBuf,
    pub(crate) config: StoreConfig,
    /// State-tree updates written by the tree but not yet committed with their block.
    pub(crate) staging: RwLock<TreeStaging>,
    /// Held while a block commit checks the head and writes, so commits never interleave.
    pub(crate) commit_lock: Mutex<()>,
    /// Held while an issuer's batch leaves are checked against its quota and written, so two
    /// submissions cannot both pass the quota.
    pub(crate) batch_leaves_lock: Mutex<()>,
    /// No voted-for block is stored below this height (raised by each commit's pruning, lowered
    /// if a block below it is ever written). The pruning scan starts here: from height 0 it would
    /// step over every earlier deletion's tombstone at each commit, a cost growing with the chain
    /// (it came to dominate block production at 40,000 blocks).
    pub(crate) voted_pruned_below: std::sync::atomic::AtomicU64,
    /// Decoded internal state-tree nodes read from or committed to disk, bounded by
    /// [`StoreConfig::tree_node_cache_entries`]. A node key names one immutable node, so entries
    /// never go stale, except through pruning, which empties the cache.
    pub(crate) tree_node_cache:
        Option<moka::sync::Cache<jmt::storage::NodeKey, jmt::storage::Node>>,
    /// The same internal nodes prepared for proofs (every range hash of their children computed
    /// once, [`yrd_contracts::tree::ProofNode`]), filled by proof walks only, with the same bound
    /// and lifetime as `tree_node_cache`.
    pub(crate) tree_proof_cache:
        Option<moka::sync::Cache<jmt::storage::NodeKey, Arc<yrd_contracts::tree::ProofNode>>>,
    /// Tree-node reads the node cache answered, and those it sent to disk.
    pub(crate) tree_cache_hits: std::sync::atomic::AtomicU64,
    pub(crate) tree_cache_misses: std::sync::atomic::AtomicU64,
    /// Point reads so far (every [`READ_TIMING_SAMPLE_EVERY`]th is timed into `read_timing`).
    pub(crate) reads: std::sync::atomic::AtomicU64,
    /// Seconds of sampled point reads (`yrd_db_read_seconds`).
    pub(crate) read_timing: prometheus_client::metrics::histogram::Histogram,
    /// Raised once the database has closed. Declared last, so it drops after `db`.
    pub(crate) closed: CloseNotice,
}

/// Sets its flag when dropped: as the last field of [`StoreInner`], once every clone of a store
/// is gone and RocksDB has closed.
pub(crate) struct CloseNotice(Arc<std::sync::atomic::AtomicBool>);

impl Drop for CloseNotice {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// Tells, without keeping it open, whether a store's database has closed (every clone dropped
/// and RocksDB's files released). See [`Store::close_watch`].
#[derive(Debug, Clone)]
pub struct CloseWatch(Arc<std::sync::atomic::AtomicBool>);

impl CloseWatch {
    /// True once the database has closed.
    pub fn is_closed(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }
}

/// What the storage engine reports about itself, summed over the tables, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Bytes of SST files on disk (`rocksdb.total-sst-files-size`).
    pub sst_bytes: u64,
    /// Bytes compaction estimates it still has to rewrite (`rocksdb.estimate-pending-compaction-bytes`).
    pub pending_compaction_bytes: u64,
    /// Compactions running now.
    pub running_compactions: u64,
    /// Bytes held in memtables.
    pub memtable_bytes: u64,
    /// Tree-node reads answered by the node cache.
    pub tree_cache_hits: u64,
    /// Tree-node reads that went to disk (cache enabled).
    pub tree_cache_misses: u64,
    /// Bytes of every file in the database folder and one level below it (SST files, write-ahead
    /// logs, manifests, options), as the file system reports them: what the node takes on disk.
    pub dir_bytes: u64,
}

/// One point read in this many is timed (timing every read would cost a clock reading each).
pub const READ_TIMING_SAMPLE_EVERY: u64 = 64;

/// Bucket bounds (seconds) of the point-read histogram: a read served from RocksDB's caches
/// takes microseconds, one that goes to disk up to milliseconds.
pub const READ_SECONDS_BUCKETS: &[f64] = &[
    0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005,
    0.01, 0.1,
];

/// Bytes of the files in `dir`, descending `depth` more levels; unreadable entries count 0 (a
/// file RocksDB deletes while this walks is simply gone).
fn folder_bytes(dir: &std::path::Path, depth: u32) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut total = 0u64;
    for entry in entries.flatten() {
        let Ok(meta) = entry.metadata() else {
            continue;
        };
        if meta.is_file() {
            total = total.saturating_add(meta.len());
        } else if meta.is_dir() && depth > 0 {
            total = total.saturating_add(folder_bytes(&entry.path(), depth - 1));
        }
    }
    total
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn db_options(config: &StoreConfig) -> Options {
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.set_max_open_files(config.max_open_files);
    options.set_keep_log_file_num(8);
    options.set_paranoid_checks(true);
    // Every write goes through the write-ahead log, so closing flushes no memtable: with manual
    // flushing, the files hold only what was synced until the log writes its buffer at close.
    options.set_manual_wal_flush(config.manual_wal_flush);
    options.set_max_total_wal_size(config.max_total_wal_bytes);
    options
}

/// Bits per key of the bloom filters of the state tables.
const BLOOM_BITS_PER_KEY: f64 = 10.0;

fn table_options(config: &StoreConfig, table: &str) -> Options {
    let mut options = Options::default();
    options.set_compression_type(DBCompressionType::Lz4);
    options.set_bottommost_compression_type(DBCompressionType::Lz4);
    options.set_write_buffer_size(config.write_buffer_size_bytes);
    if table == TreeValues::NAME {
        // Value entries are keyed (key hash, version) and read by a reverse seek within one key
        // hash. A prefix bloom filter on the 32-byte key hash lets that seek skip every file
        // (and the memtable) holding no entry of the key, so a read touches about one file
        // however many levels the table has grown to. Only seeks within a prefix use it;
        // iterations across keys ask for total order.
        let mut block = BlockBasedOptions::default();
        block.set_bloom_filter(BLOOM_BITS_PER_KEY, false);
        block.set_whole_key_filtering(false);
        options.set_block_based_table_factory(&block);
        options.set_prefix_extractor(SliceTransform::create_fixed_prefix(32));
        options.set_memtable_prefix_bloom_ratio(0.1);
    } else if table == TreeNodes::NAME || table == TreeLatestValues::NAME {
        // Read by exact key: a whole-key bloom filter skips files without it.
        let mut block = BlockBasedOptions::default();
        block.set_bloom_filter(BLOOM_BITS_PER_KEY, false);
        options.set_block_based_table_factory(&block);
        // Once the state outgrows the block cache, every read of these tables fetches a block
        // from the page cache; uncompressed, that is a copy instead of a decompression. Nodes
        // are mostly 32-byte hashes and barely compress anyway.
        options.set_compression_type(DBCompressionType::None);
        options.set_bottommost_compression_type(DBCompressionType::None);
    }
    options
}

/// Read options for an iteration across keys: total order, even in a table with a prefix
/// extractor (where the default would confine an iterator to its first key's prefix).
pub(crate) fn total_order() -> ReadOptions {
    let mut options = ReadOptions::default();
    options.set_total_order_seek(true);
    options
}

impl Store {
    /// Open (or create) the database in `path` with every table of [`ALL_TABLES`].
    ///
    /// Refuses a directory whose schema version differs from [`SCHEMA_VERSION`] or that has column
    /// families this release does not know, and checks that the committed head is complete.
    pub fn open(path: impl AsRef<Path>, config: StoreConfig) -> Result<Store, StorageError> {
        let path = path.as_ref().to_path_buf();
        let options = db_options(&config);
        std::fs::create_dir_all(&path).map_err(|source| StorageError::Filesystem {
            operation: "create data directory",
            path: path.clone(),
            source,
        })?;

        // An existing database must not hold tables we would silently ignore.
        if path.join("CURRENT").exists() {
            let existing = DB::list_cf(&options, &path).map_err(|source| StorageError::Open {
                path: path.clone(),
                source,
            })?;
            let unknown: Vec<String> = existing
                .into_iter()
                .filter(|name| {
                    name != rocksdb::DEFAULT_COLUMN_FAMILY_NAME
                        && !ALL_TABLES.contains(&name.as_str())
                })
                .collect();
            if !unknown.is_empty() {
                return Err(StorageError::UnknownColumnFamilies { path, unknown });
            }
        }

        let descriptors = ALL_TABLES
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, table_options(&config, name)));
        let db = DB::open_cf_descriptors(&options, &path, descriptors).map_err(|source| {
            StorageError::Open {
                path: path.clone(),
                source,
            }
        })?;
        let store = Store {
            inner: Arc::new(StoreInner {
                db,
                path,
                staging: RwLock::new(TreeStaging::default()),
                commit_lock: Mutex::new(()),
                batch_leaves_lock: Mutex::new(()),
                voted_pruned_below: std::sync::atomic::AtomicU64::new(0),
                tree_node_cache: (config.tree_node_cache_entries > 0).then(|| {
                    // Least recently used: the hot nodes are those of the newest versions, which
                    // a frequency-based admission policy would keep turning away.
                    moka::sync::Cache::builder()
                        .max_capacity(config.tree_node_cache_entries)
                        .initial_capacity(
                            usize::try_from(config.tree_node_cache_entries).unwrap_or(usize::MAX),
                        )
                        .eviction_policy(moka::policy::EvictionPolicy::lru())
                        .build()
                }),
                tree_proof_cache: (config.tree_node_cache_entries > 0).then(|| {
                    moka::sync::Cache::builder()
                        .max_capacity(config.tree_node_cache_entries)
                        .eviction_policy(moka::policy::EvictionPolicy::lru())
                        .build()
                }),
                tree_cache_hits: std::sync::atomic::AtomicU64::new(0),
                tree_cache_misses: std::sync::atomic::AtomicU64::new(0),
                reads: std::sync::atomic::AtomicU64::new(0),
                read_timing: prometheus_client::metrics::histogram::Histogram::new(
                    READ_SECONDS_BUCKETS.iter().copied(),
                ),
                config,
                closed: CloseNotice(Arc::new(std::sync::atomic::AtomicBool::new(false))),
            }),
        };
        store.check_schema_version()?;
        let head = store.committed_head()?;
        if let Some(head) = head {
            store.check_head_complete(&head)?;
        }
        tracing::info!(
            path = %store.inner.path.display(),
            schema_version = SCHEMA_VERSION,
            committed_height = head.map(|head| head.height),
            "opened node database"
        );
        Ok(store)
    }

    fn check_schema_version(&self) -> Result<(), StorageError> {
        match self.get::<Metadata>(&MetadataKey::SchemaVersion)? {
            Some(MetadataValue::SchemaVersion(found)) if found == SCHEMA_VERSION => Ok(()),
            Some(MetadataValue::SchemaVersion(found)) if found <= LAST_EARLIER_FORMAT => {
                Err(StorageError::EarlierLedgerFormat {
                    path: self.inner.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            Some(MetadataValue::SchemaVersion(found)) => {
                Err(StorageError::UnsupportedSchemaVersion {
                    path: self.inner.path.clone(),
                    found,
                    supported: SCHEMA_VERSION,
                })
            }
            Some(other) => Err(StorageError::MetadataKindMismatch {
                key: MetadataKey::SchemaVersion.name(),
                found: format!("{other:?}"),
            }),
            None => {
                let any_metadata = !self
                    .iter_from::<Metadata>(&MetadataKey::SchemaVersion, 1)?
                    .is_empty();
                if any_metadata {
                    return Err(StorageError::Inconsistent(format!(
                        "database at {} has data but no schema version",
                        self.inner.path.display()
                    )));
                }
                let mut batch = WriteBatch::new();
                batch.put::<Metadata>(
                    &MetadataKey::SchemaVersion,
                    &MetadataValue::SchemaVersion(SCHEMA_VERSION),
                )?;
                self.write_synced(batch)
            }
        }
    }

    /// The data directory.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The configuration the database was opened with.
    pub fn config(&self) -> &StoreConfig {
        &self.inner.config
    }

    pub(crate) fn cf(&self, table: &'static str) -> Result<&ColumnFamily, StorageError> {
        self.inner
            .db
            .cf_handle(table)
            .ok_or(StorageError::MissingColumnFamily { table })
    }

    /// The value under `key` in table `T`, if any.
    pub fn get<T: Table>(&self, key: &T::Key) -> Result<Option<T::Value>, StorageError> {
        let key = key.encode_key();
        let sampled = self
            .inner
            .reads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(READ_TIMING_SAMPLE_EVERY);
        let started = sampled.then(std::time::Instant::now);
        let bytes = self
            .inner
            .db
            .get_pinned_cf(self.cf(T::NAME)?, &key)
            .map_err(StorageError::backend("get", T::NAME))?;
        if let Some(started) = started {
            self.inner
                .read_timing
                .observe(started.elapsed().as_secs_f64());
        }
        bytes
            .map(|bytes| decode_value::<T>(&key, &bytes))
            .transpose()
    }

    /// Whether table `T` holds `key`.
    pub fn contains<T: Table>(&self, key: &T::Key) -> Result<bool, StorageError> {
        let key = key.encode_key();
        let bytes = self
            .inner
            .db
            .get_pinned_cf(self.cf(T::NAME)?, &key)
            .map_err(StorageError::backend("get", T::NAME))?;
        Ok(bytes.is_some())
    }

    /// Up to `limit` entries of table `T` in key order, starting at `start` (inclusive).
    pub fn iter_from<T: Table>(
        &self,
        start: &T::Key,
        limit: usize,
    ) -> Result<Vec<Entry<T>>, StorageError> {
        self.scan::<T>(start.encode_key(), None, limit)
    }

    /// Up to `limit` entries of table `T` with `start <= key < end`, in key order.
    pub fn range<T: Table>(
        &self,
        start: &T::Key,
        end_exclusive: &T::Key,
        limit: usize,
    ) -> Result<Vec<Entry<T>>, StorageError> {
        self.scan::<T>(start.encode_key(), Some(end_exclusive.encode_key()), limit)
    }

    /// The entry of table `T` with the greatest key, if any.
    pub fn last<T: Table>(&self) -> Result<Option<Entry<T>>, StorageError> {
        let mut iterator =
            self.inner
                .db
                .iterator_cf_opt(self.cf(T::NAME)?, total_order(), IteratorMode::End);
        match iterator.next() {
            None => Ok(None),
            Some(entry) => {
                let (key, value) = entry.map_err(StorageError::backend("iterate", T::NAME))?;
                Ok(Some((
                    decode_key::<T>(&key)?,
                    decode_value::<T>(&key, &value)?,
                )))
            }
        }
    }

    fn scan<T: Table>(
        &self,
        start: Vec<u8>,
        end_exclusive: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<Entry<T>>, StorageError> {
        let max = self.inner.config.max_scan_entries;
        if limit > max {
            return Err(StorageError::ScanTooLarge {
                table: T::NAME,
                requested: limit,
                limit: max,
            });
        }
        self.scan_up_to::<T>(start, end_exclusive, limit)
    }

    /// A scan whose `limit` the caller has bounded itself.
    pub(crate) fn scan_up_to<T: Table>(
        &self,
        start: Vec<u8>,
        end_exclusive: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<Vec<Entry<T>>, StorageError> {
        let mut read_options = total_order();
        if let Some(end) = end_exclusive {
            read_options.set_iterate_upper_bound(end);
        }
        let iterator = self.inner.db.iterator_cf_opt(
            self.cf(T::NAME)?,
            read_options,
            IteratorMode::From(&start, Direction::Forward),
        );
        let mut entries = Vec::new();
        for entry in iterator.take(limit) {
            let (key, value) = entry.map_err(StorageError::backend("iterate", T::NAME))?;
            entries.push((decode_key::<T>(&key)?, decode_value::<T>(&key, &value)?));
        }
        Ok(entries)
    }

    /// A watch that tells when this database has closed, without keeping it open (whoever
    /// touches the files of a crashed instance waits for it).
    pub fn close_watch(&self) -> CloseWatch {
        CloseWatch(Arc::clone(&self.inner.closed.0))
    }

    /// Apply `batch` atomically (WAL-logged, not synced: survives a process crash, and a power cut
    /// only once the OS flushes).
    pub fn write(&self, batch: WriteBatch) -> Result<(), StorageError> {
        self.write_with(batch, false)
    }

    /// Apply `batch` atomically and sync it to disk before returning.
    pub fn write_synced(&self, batch: WriteBatch) -> Result<(), StorageError> {
        self.write_with(batch, true)
    }

    pub(crate) fn write_with(&self, batch: WriteBatch, sync: bool) -> Result<(), StorageError> {
        let limit = self.inner.config.max_write_batch_bytes;
        if batch.size_bytes() > limit {
            return Err(StorageError::BatchTooLarge {
                bytes: batch.size_bytes(),
                operations: batch.len(),
                limit,
            });
        }
        let mut raw = rocksdb::WriteBatch::default();
        for op in batch.ops() {
            match op {
                BatchOp::Put { table, key, value } => raw.put_cf(self.cf(table)?, key, value),
                BatchOp::Delete { table, key } => raw.delete_cf(self.cf(table)?, key),
            }
        }
        let mut write_options = WriteOptions::default();
        write_options.set_sync(sync);
        self.inner
            .db
            .write_opt(raw, &write_options)
            .map_err(StorageError::backend("write", "*"))
    }

    /// Persist the consensus safety data with a synced write. Returns only once it is on disk, so
    /// a vote may leave the node after this returns.
    pub fn put_safety_synced(&self, safety: &SafetyDataRecord) -> Result<(), StorageError> {
        let mut batch = WriteBatch::new();
        batch.put::<SafetyData>(&(), safety)?;
        self.write_synced(batch)
    }

    /// Persist the safety data together with the blocks the new vote (or votes) covered, in one
    /// synced write: after a restart [`Store::voted_blocks_above`] returns them beside the safety
    /// data that refers to them.
    pub fn put_safety_and_votes_synced(
        &self,
        safety: &SafetyDataRecord,
        voted: &[yrd_consensus::Block],
    ) -> Result<(), StorageError> {
        let mut batch = WriteBatch::new();
        batch.put::<SafetyData>(&(), safety)?;
        for block in voted {
            batch.put::<VotedBlocks>(&(block.header.height, block.id().0), block)?;
            self.inner
                .voted_pruned_below
                .fetch_min(block.header.height, std::sync::atomic::Ordering::AcqRel);
        }
        self.write_synced(batch)
    }

    /// The voted-for blocks above `height` (the committed head), ascending by height. At most
    /// [`MAX_VOTED_BLOCKS_ON_START`] are returned; more would mean the table is not being pruned.
    pub fn voted_blocks_above(
        &self,
        height: Height,
    ) -> Result<Vec<yrd_consensus::Block>, StorageError> {
        let start = (height.saturating_add(1), [0u8; 32]).encode_key();
        Ok(self
            .scan_up_to::<VotedBlocks>(start, None, MAX_VOTED_BLOCKS_ON_START)?
            .into_iter()
            .map(|(_, block)| block)
            .collect())
    }

    /// Stage into `batch` the deletion of every voted-for block at or below `height`; once the
    /// batch is written, [`Store::voted_blocks_pruned_through`] records it.
    pub(crate) fn stage_voted_blocks_pruning(
        &self,
        height: Height,
        batch: &mut WriteBatch,
    ) -> Result<(), StorageError> {
        let end = (height.saturating_add(1), [0u8; 32]).encode_key();
        let from = self
            .inner
            .voted_pruned_below
            .load(std::sync::atomic::Ordering::Acquire)
            .min(height);
        let entries = self.scan_up_to::<VotedBlocks>(
            (from, [0u8; 32]).encode_key(),
            Some(end),
            MAX_VOTED_BLOCKS_ON_START,
        )?;
        for (key, _) in entries {
            batch.delete::<VotedBlocks>(&key);
        }
        Ok(())
    }

    /// Record that no voted-for block at or below `height` remains (its pruning was written).
    pub(crate) fn voted_blocks_pruned_through(&self, height: Height) {
        self.inner.voted_pruned_below.fetch_max(
            height.saturating_add(1),
            std::sync::atomic::Ordering::AcqRel,
        );
    }

    /// The persisted consensus safety data, if any was ever written.
    pub fn safety_data(&self) -> Result<Option<SafetyDataRecord>, StorageError> {
        self.get::<SafetyData>(&())
    }

    /// The latest committed block, if any.
    pub fn committed_head(&self) -> Result<Option<CommittedHead>, StorageError> {
        match self.get::<Metadata>(&MetadataKey::CommittedHead)? {
            None => Ok(None),
            Some(MetadataValue::CommittedHead(head)) => Ok(Some(head)),
            Some(other) => Err(StorageError::MetadataKindMismatch {
                key: MetadataKey::CommittedHead.name(),
                found: format!("{other:?}"),
            }),
        }
    }

    /// The genesis block hash, once the block at height 0 is committed.
    pub fn genesis_hash(&self) -> Result<Option<Hash32>, StorageError> {
        match self.get::<Metadata>(&MetadataKey::GenesisHash)? {
            None => Ok(None),
            Some(MetadataValue::GenesisHash(hash)) => Ok(Some(hash)),
            Some(other) => Err(StorageError::MetadataKindMismatch {
                key: MetadataKey::GenesisHash.name(),
                found: format!("{other:?}"),
            }),
        }
    }

    pub(crate) fn metadata_version(&self, key: MetadataKey) -> Result<Option<u64>, StorageError> {
        match self.get::<Metadata>(&key)? {
            None => Ok(None),
            Some(MetadataValue::Version(version)) => Ok(Some(version)),
            Some(other) => Err(StorageError::MetadataKindMismatch {
                key: key.name(),
                found: format!("{other:?}"),
            }),
        }
    }

    /// Whether RocksDB has background compaction work running or pending in any table (a
    /// benchmark waits for this to settle before it times reads).
    pub fn compaction_busy(&self) -> Result<bool, StorageError> {
        for table in ALL_TABLES.iter().copied() {
            for property in [
                "rocksdb.compaction-pending",
                "rocksdb.num-running-compactions",
            ] {
                if self.table_property(table, property)? > 0 {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// An integer property RocksDB reports for one table (0 when it reports none).
    fn table_property(&self, table: &'static str, property: &str) -> Result<u64, StorageError> {
        Ok(self
            .inner
            .db
            .property_int_value_cf(self.cf(table)?, property)
            .map_err(StorageError::backend("property", table))?
            .unwrap_or(0))
    }

    /// The engine's own figures, summed over the tables (a few property reads per table).
    pub fn engine_stats(&self) -> Result<EngineStats, StorageError> {
        let mut stats = EngineStats {
            tree_cache_hits: self
                .inner
                .tree_cache_hits
                .load(std::sync::atomic::Ordering::Relaxed),
            tree_cache_misses: self
                .inner
                .tree_cache_misses
                .load(std::sync::atomic::Ordering::Relaxed),
            dir_bytes: folder_bytes(&self.inner.path, 1),
            ..EngineStats::default()
        };
        for table in ALL_TABLES.iter().copied() {
            let read = |property: &str| self.table_property(table, property);
            stats.sst_bytes = stats
                .sst_bytes
                .saturating_add(read("rocksdb.total-sst-files-size")?);
            stats.pending_compaction_bytes = stats
                .pending_compaction_bytes
                .saturating_add(read("rocksdb.estimate-pending-compaction-bytes")?);
            stats.running_compactions = stats
                .running_compactions
                .saturating_add(read("rocksdb.num-running-compactions")?);
            stats.memtable_bytes = stats
                .memtable_bytes
                .saturating_add(read("rocksdb.cur-size-all-mem-tables")?);
        }
        Ok(stats)
    }

    /// Bytes of SST files of each table (`rocksdb.total-sst-files-size`), in [`ALL_TABLES`] order:
    /// which tables a large state's disk goes to (for benchmarks and tools).
    pub fn table_sst_bytes(&self) -> Result<Vec<(&'static str, u64)>, StorageError> {
        ALL_TABLES
            .iter()
            .copied()
            .map(|table| {
                Ok((
                    table,
                    self.table_property(table, "rocksdb.total-sst-files-size")?,
                ))
            })
            .collect()
    }

    /// The histogram of sampled point-read times (`yrd_db_read_seconds`), shared with the store.
    pub fn read_timing(&self) -> prometheus_client::metrics::histogram::Histogram {
        self.inner.read_timing.clone()
    }

    /// Compact every table over its whole key range, so that deletions (a prune) give their
    /// space back now rather than at RocksDB's next compaction. Blocking; for tools and
    /// benchmarks, not the node's own loop.
    pub fn compact_all(&self) -> Result<(), StorageError> {
        for table in ALL_TABLES.iter().copied() {
            self.inner
                .db
                .compact_range_cf(self.cf(table)?, None::<&[u8]>, None::<&[u8]>);
        }
        Ok(())
    }

    /// Flush memtables and the WAL to disk (used before checkpoints and on shutdown).
    pub fn flush(&self) -> Result<(), StorageError> {
        self.inner
            .db
            .flush_wal(true)
            .map_err(StorageError::backend("flush_wal", "*"))?;
        for table in ALL_TABLES.iter().copied() {
            self.inner
                .db
                .flush_cf(self.cf(table)?)
                .map_err(StorageError::backend("flush", table))?;
        }
        Ok(())
    }
}
