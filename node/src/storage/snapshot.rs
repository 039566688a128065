//! State snapshots for state sync: serving one committed state version in sorted, proven chunks,
//! and restoring such a version into an empty database.
//!
//! A chunk is a run of consecutive leaves (key hash, value) of the state tree at one version, in
//! key-hash order, with a range proof: the right siblings of the path to its last leaf. Together
//! with every leaf received before it, the proof rebuilds the expected root, so **each chunk is
//! checked against the certified root as it arrives** — a bad chunk is caught at once, never only
//! after the last one is applied.
//!
//! Restoring writes tree nodes and values straight to the tree tables (not through the staging
//! area), with the rightmost leaf written so far recorded in [`MetadataKey::RestoreProgress`]:
//! after a crash (or a refused chunk) the restore resumes after that leaf. Leaves that were
//! accepted but whose nodes were not frozen yet are simply asked for again: [`SnapshotRestore::
//! next_start`] always says where to ask from. Only [`Store::finish_restore`] makes the version the
//! tree's latest, in one synced write with the committed head.

use std::sync::Arc;

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::proof::SparseMerkleRangeProof;
use jmt::restore::{JellyfishMerkleRestore, StateSnapshotReceiver};
use jmt::storage::{LeafNode, Node, NodeBatch, NodeKey, TreeReader, TreeWriter};
use jmt::{JellyfishMerkleIterator, JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use yrd_consensus::{Block, CommitCertificate};
use yrd_contracts::tree::SuiteHasher;

use super::batch::WriteBatch;
use super::error::StorageError;
use super::store::Store;
use super::tables::{
    BlockHashIndex, Blocks, Certificates, CommittedHead, EpochChanges, Hash32, Metadata,
    MetadataKey, MetadataValue, RestoreProgress, StateRoots, TreeLatestValues, TreeNodes,
    TreeValues,
};

/// Most leaves one chunk may carry.
pub const MAX_CHUNK_LEAVES: usize = 65_536;
/// Most bytes (key hashes and values) one chunk may carry.
pub const MAX_CHUNK_BYTES: usize = 8 * 1024 * 1024;

/// Consecutive leaves of one state version, with the proof that they are exactly the tree's
/// leaves from the first one asked for up to the last one given.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SnapshotChunk {
    /// The state version.
    pub version: u64,
    /// (key hash, value), strictly ascending by key hash.
    pub leaves: Vec<(Hash32, Vec<u8>)>,
    /// borsh(jmt `SparseMerkleRangeProof`) for the last leaf.
    pub proof: Vec<u8>,
    /// True when no leaf of the version lies after the last one.
    pub last: bool,
}

impl SnapshotChunk {
    /// Bytes of key hashes and values.
    pub fn payload_bytes(&self) -> usize {
        self.leaves
            .iter()
            .map(|(_, value)| value.len().saturating_add(32))
            .fold(0usize, usize::saturating_add)
    }
}

/// A chunk of a key range (see [`Store::snapshot_chunk_range`]).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RangeChunk {
    /// The leaves served, `None` when the range holds none at or after its start.
    pub chunk: Option<SnapshotChunk>,
    /// True when the range holds no leaf after the ones served (the server's word: a false
    /// claim leaves a gap that the next range's first chunk fails to prove).
    pub range_done: bool,
}

/// Why a chunk was refused. A refused chunk changes nothing on disk.
#[derive(Debug, thiserror::Error)]
pub enum ChunkError {
    /// The chunk is for another version than the one being restored.
    #[error("chunk is for version {got}, the restore is of version {expected}")]
    WrongVersion {
        /// Version restored.
        expected: u64,
        /// Version in the chunk.
        got: u64,
    },
    /// No leaves.
    #[error("chunk carries no leaves")]
    Empty,
    /// Over [`MAX_CHUNK_LEAVES`] or [`MAX_CHUNK_BYTES`].
    #[error("chunk too large: {leaves} leaves, {bytes} bytes")]
    TooLarge {
        /// Leaves in it.
        leaves: usize,
        /// Bytes in it.
        bytes: usize,
    },
    /// The first leaf is not the first one after where the restore stands (a gap or an overlap).
    #[error("chunk does not start where the restore stands")]
    WrongStart,
    /// The proof bytes do not decode canonically.
    #[error("malformed range proof: {0}")]
    MalformedProof(String),
    /// Leaves out of order, or the leaves and proof do not rebuild the certified root.
    #[error("chunk does not prove against the certified root: {0}")]
    Proof(String),
    /// Says it is the last chunk, but its proof shows leaves to the right of it.
    #[error("chunk claims to be the last one, but its proof shows more leaves")]
    NotLast,
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The key hash right after `key` in order, or `None` after the largest.
pub fn key_after(key: &Hash32) -> Option<Hash32> {
    let mut next = *key;
    for byte in next.iter_mut().rev() {
        if *byte == u8::MAX {
            *byte = 0;
        } else {
            *byte += 1;
            return Some(next);
        }
    }
    None
}

fn tree_error(error: anyhow::Error) -> StorageError {
    StorageError::Inconsistent(format!("state tree: {error:#}"))
}

impl Store {
    /// The leaves of state version `version` from key hash `start` on (inclusive), at most
    /// `max_leaves` of them and about `max_bytes` (at least one leaf is served), with their range
    /// proof. `None` when no leaf lies at or after `start`.
    pub fn snapshot_chunk(
        &self,
        version: Version,
        start: Hash32,
        max_leaves: usize,
        max_bytes: usize,
    ) -> Result<Option<SnapshotChunk>, StorageError> {
        self.snapshot_chunk_range(version, start, None, max_leaves, max_bytes)
            .map(|range| range.chunk)
    }

    /// As [`Store::snapshot_chunk`], but only leaves below `end` (exclusive; `None`: no bound),
    /// and whether the range `[start, end)` holds no leaf after the ones served. A chunk's
    /// `last` still means the last leaf of the whole tree.
    pub fn snapshot_chunk_range(
        &self,
        version: Version,
        start: Hash32,
        end: Option<Hash32>,
        max_leaves: usize,
        max_bytes: usize,
    ) -> Result<RangeChunk, StorageError> {
        self.check_version_readable(version)?;
        let latest = self.committed_tree_version()?;
        if latest.is_none_or(|latest| version > latest) {
            return Err(StorageError::Inconsistent(format!(
                "state version {version} is not committed"
            )));
        }
        let max_leaves = max_leaves.clamp(1, MAX_CHUNK_LEAVES);
        let max_bytes = max_bytes.clamp(1, MAX_CHUNK_BYTES);
        let reader = Arc::new(self.tree_store());
        let mut iterator =
            JellyfishMerkleIterator::new(Arc::clone(&reader), version, KeyHash(start))
                .map_err(tree_error)?;
        let mut leaves: Vec<(Hash32, Vec<u8>)> = Vec::new();
        let mut bytes = 0usize;
        // Until a leaf is seen after the ones taken, the tree and the range end with them.
        let mut last = true;
        let mut range_done = true;
        for entry in iterator.by_ref() {
            let (key, value) = entry.map_err(tree_error)?;
            if end.is_some_and(|end| key.0 >= end) {
                last = false;
                break;
            }
            let size = value.len().saturating_add(32);
            if !leaves.is_empty() && (leaves.len() >= max_leaves || bytes + size > max_bytes) {
                last = false;
                range_done = false;
                break;
            }
            bytes = bytes.saturating_add(size);
            leaves.push((key.0, value));
        }
        let Some((last_key, _)) = leaves.last() else {
            return Ok(RangeChunk {
                chunk: None,
                range_done: true,
            });
        };
        let tree = JellyfishMerkleTree::<_, SuiteHasher>::new(reader.as_ref());
        let proof = tree
            .get_range_proof(KeyHash(*last_key), version)
            .map_err(tree_error)?;
        let proof = borsh::to_vec(&proof)
            .map_err(|e| StorageError::Inconsistent(format!("encode range proof: {e}")))?;
        Ok(RangeChunk {
            chunk: Some(SnapshotChunk {
                version,
                leaves,
                proof,
                last,
            }),
            range_done,
        })
    }

    /// The restore in progress, if a state sync was started and not finished.
    pub fn restore_progress(&self) -> Result<Option<RestoreProgress>, StorageError> {
        match self.get::<Metadata>(&MetadataKey::RestoreProgress)? {
            None => Ok(None),
            Some(MetadataValue::Restore(progress)) => Ok(Some(progress)),
            Some(other) => Err(StorageError::Inconsistent(format!(
                "metadata restore_progress holds {other:?}"
            ))),
        }
    }

    /// Start (or resume) restoring state version `version` with root `root`. Refused when the
    /// database already holds a chain, or a restore of another version or root.
    pub fn begin_restore(
        &self,
        version: Version,
        root: Hash32,
    ) -> Result<SnapshotRestore, StorageError> {
        if let Some(head) = self.committed_head()? {
            return Err(StorageError::Inconsistent(format!(
                "the database already holds a chain (committed height {}); state sync needs an \
                 empty data directory",
                head.height
            )));
        }
        match self.restore_progress()? {
            Some(progress) if progress.version != version || progress.root != root => {
                return Err(StorageError::Inconsistent(format!(
                    "a restore of state version {} (root {}) is in progress, not of version \
                     {version}",
                    progress.version,
                    hex::encode(progress.root)
                )));
            }
            Some(_) => {}
            None => {
                if self.last::<TreeNodes>()?.is_some() {
                    return Err(StorageError::Inconsistent(
                        "the database holds state-tree nodes but no restore progress".into(),
                    ));
                }
                let mut batch = WriteBatch::new();
                batch.put::<Metadata>(
                    &MetadataKey::RestoreProgress,
                    &MetadataValue::Restore(RestoreProgress {
                        version,
                        root,
                        rightmost_leaf: None,
                    }),
                )?;
                self.write_synced(batch)?;
            }
        }
        let writer = Arc::new(RestoreWriter {
            store: self.clone(),
            version,
            root,
        });
        let restore = open_restorer(&writer)?;
        let next_start = writer.resume_point()?;
        Ok(SnapshotRestore {
            writer,
            restore: Some(restore),
            next_start,
            done: false,
        })
    }

    /// Make the restored version the committed state: the block at that height (with its
    /// certificate) becomes the committed head, the reconfiguration blocks (with their
    /// certificates) are stored for the epoch history, and the genesis block is recorded. One
    /// synced write. The restore must be complete.
    pub fn finish_restore(
        &self,
        restore: SnapshotRestore,
        genesis: (&Block, &CommitCertificate),
        head: (&Block, &CommitCertificate),
        epoch_changes: &[(Block, CommitCertificate)],
    ) -> Result<(), StorageError> {
        if !restore.done {
            return Err(StorageError::Inconsistent(
                "the snapshot restore is not complete".into(),
            ));
        }
        let version = restore.writer.version;
        let root = restore.writer.root;
        let (block, certificate) = head;
        if block.header.height != version {
            return Err(StorageError::Inconsistent(format!(
                "head block {} is not at the restored version {version}",
                block.header.height
            )));
        }
        let tree = JellyfishMerkleTree::<_, SuiteHasher>::new(restore.writer.as_ref());
        let restored_root = tree.get_root_hash(version).map_err(tree_error)?;
        if restored_root.0 != root {
            return Err(StorageError::Inconsistent(format!(
                "restored root {} is not the certified {}",
                hex::encode(restored_root.0),
                hex::encode(root)
            )));
        }
        let mut batch = WriteBatch::new();
        let mut put_block = |block: &Block, certificate: &CommitCertificate| {
            let height = block.header.height;
            batch.put::<Blocks>(&height, block)?;
            batch.put::<Certificates>(&height, certificate)?;
            batch.put::<BlockHashIndex>(&block.id().0, &height)?;
            if height > 0
                && let Some(next) = yrd_consensus::epoch::next_epoch_set(&block.header)
            {
                batch.put::<EpochChanges>(&next.epoch, &height)?;
            }
            Ok::<(), StorageError>(())
        };
        put_block(genesis.0, genesis.1)?;
        for (change, change_certificate) in epoch_changes {
            put_block(change, change_certificate)?;
        }
        put_block(block, certificate)?;
        batch.put::<StateRoots>(&version, &root)?;
        batch.put::<Metadata>(
            &MetadataKey::GenesisHash,
            &MetadataValue::GenesisHash(genesis.0.id().0),
        )?;
        batch.put::<Metadata>(
            &MetadataKey::CommittedHead,
            &MetadataValue::CommittedHead(CommittedHead {
                height: version,
                block_hash: block.id().0,
                state_root: root,
            }),
        )?;
        batch.put::<Metadata>(
            &MetadataKey::TreeLatestVersion,
            &MetadataValue::Version(version),
        )?;
        batch.put::<Metadata>(
            &MetadataKey::OldestReadableVersion,
            &MetadataValue::Version(version),
        )?;
        batch.delete::<Metadata>(&MetadataKey::RestoreProgress);
        self.write_synced(batch)
    }
}

/// A snapshot restore in progress (see the module doc).
pub struct SnapshotRestore {
    writer: Arc<RestoreWriter>,
    restore: Option<JellyfishMerkleRestore<SuiteHasher>>,
    next_start: Hash32,
    done: bool,
}

impl std::fmt::Debug for SnapshotRestore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SnapshotRestore")
            .field("version", &self.writer.version)
            .field("next_start", &hex::encode(self.next_start))
            .field("done", &self.done)
            .finish()
    }
}

impl SnapshotRestore {
    /// The version being restored.
    pub fn version(&self) -> Version {
        self.writer.version
    }

    /// The root it must reach.
    pub fn root(&self) -> Hash32 {
        self.writer.root
    }

    /// The key hash the next chunk must start at (inclusive).
    pub fn next_start(&self) -> Hash32 {
        self.next_start
    }

    /// Whether the whole tree was restored and checked.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Check `chunk` against the certified root and write it. On a refusal nothing is written
    /// and the restore stands where it stood before the chunk (possibly a little further back:
    /// see [`SnapshotRestore::next_start`]).
    pub fn add_chunk(&mut self, chunk: SnapshotChunk) -> Result<(), ChunkError> {
        if self.done {
            return Err(ChunkError::WrongStart);
        }
        let expected = self.writer.version;
        if chunk.version != expected {
            return Err(ChunkError::WrongVersion {
                expected,
                got: chunk.version,
            });
        }
        let bytes = chunk.payload_bytes();
        if chunk.leaves.len() > MAX_CHUNK_LEAVES || bytes > MAX_CHUNK_BYTES {
            return Err(ChunkError::TooLarge {
                leaves: chunk.leaves.len(),
                bytes,
            });
        }
        let Some((first, _)) = chunk.leaves.first() else {
            return Err(ChunkError::Empty);
        };
        // A chunk that skips leaves would still verify (the left part of the tree is what the
        // restore rebuilt itself); one that starts before the restore point would be refused
        // by the order check. Both are the server's fault; say which.
        if *first < self.next_start {
            return Err(ChunkError::WrongStart);
        }
        let complete = !has_right_siblings(&chunk.proof)?;
        if chunk.last && !complete {
            return Err(ChunkError::NotLast);
        }
        let proof: SparseMerkleRangeProof<SuiteHasher> = borsh::from_slice(&chunk.proof)
            .map_err(|e| ChunkError::MalformedProof(e.to_string()))?;
        let last_key = chunk.leaves.last().map(|(key, _)| *key).unwrap_or(*first);
        let leaves: Vec<(KeyHash, OwnedValue)> = chunk
            .leaves
            .into_iter()
            .map(|(key, value)| (KeyHash(key), value))
            .collect();
        let Some(restore) = self.restore.as_mut() else {
            return Err(ChunkError::WrongStart);
        };
        if let Err(error) = restore.add_chunk(leaves, proof) {
            // The restorer's in-memory state took the chunk's leaves before the proof failed:
            // rebuild it from what is on disk.
            self.reopen()?;
            return Err(ChunkError::Proof(format!("{error:#}")));
        }
        match key_after(&last_key) {
            Some(next) => self.next_start = next,
            None => self.next_start = [u8::MAX; 32],
        }
        // The proof, not the server's word, says whether leaves remain: a range proof whose
        // right siblings are all empty subtrees ends the tree. Finishing before that would write
        // internal nodes missing their right parts.
        if complete {
            let Some(restore) = self.restore.take() else {
                return Err(ChunkError::WrongStart);
            };
            restore.finish().map_err(tree_error)?;
            let tree = JellyfishMerkleTree::<_, SuiteHasher>::new(self.writer.as_ref());
            let root = tree
                .get_root_hash(self.writer.version)
                .map_err(tree_error)?;
            if root.0 != self.writer.root {
                return Err(ChunkError::Storage(StorageError::Inconsistent(format!(
                    "finished restore has root {}, not the certified {}",
                    hex::encode(root.0),
                    hex::encode(self.writer.root)
                ))));
            }
            self.done = true;
        }
        Ok(())
    }

    fn reopen(&mut self) -> Result<(), StorageError> {
        self.restore = Some(open_restorer(&self.writer)?);
        self.next_start = self.writer.resume_point()?;
        Ok(())
    }
}

/// The wire form of a jmt range proof's siblings (`Vec<SparseMerkleNode>`: tag 0 an empty
/// subtree, 1 an internal node's two child hashes, 2 a leaf's key hash and value hash), read to
/// learn whether anything lies right of the chunk's last leaf.
#[derive(BorshDeserialize, BorshSerialize)]
enum SiblingWire {
    Null,
    Internal([u8; 32], [u8; 32]),
    Leaf([u8; 32], [u8; 32]),
}

fn has_right_siblings(proof: &[u8]) -> Result<bool, ChunkError> {
    let siblings: Vec<SiblingWire> = yrd_contracts::codec::decode_canonical(proof)
        .map_err(|e| ChunkError::MalformedProof(e.to_string()))?;
    Ok(siblings
        .iter()
        .any(|sibling| !matches!(sibling, SiblingWire::Null)))
}

fn open_restorer(
    writer: &Arc<RestoreWriter>,
) -> Result<JellyfishMerkleRestore<SuiteHasher>, StorageError> {
    JellyfishMerkleRestore::new(Arc::clone(writer), writer.version, RootHash(writer.root))
        .map_err(tree_error)
}

/// The restore's view of the database: writes nodes and values straight to the tree tables and
/// keeps the rightmost leaf in the restore progress.
struct RestoreWriter {
    store: Store,
    version: Version,
    root: Hash32,
}

impl RestoreWriter {
    fn progress(&self) -> Result<RestoreProgress, StorageError> {
        self.store.restore_progress()?.ok_or_else(|| {
            StorageError::Inconsistent("the restore progress disappeared mid-restore".into())
        })
    }

    /// The rightmost leaf written so far, from the progress record.
    fn rightmost_leaf(&self) -> Result<Option<(NodeKey, LeafNode)>, StorageError> {
        let Some(key) = self.progress()?.rightmost_leaf else {
            return Ok(None);
        };
        match self.store.get::<TreeNodes>(&key)? {
            Some(Node::Leaf(leaf)) => Ok(Some((key, leaf))),
            _ => Err(StorageError::Inconsistent(
                "the restore's rightmost leaf is missing".into(),
            )),
        }
    }

    /// The key hash after the rightmost leaf on disk (all zeros when none is).
    fn resume_point(&self) -> Result<Hash32, StorageError> {
        Ok(match self.rightmost_leaf()? {
            Some((_, leaf)) => key_after(&leaf.key_hash().0).unwrap_or([u8::MAX; 32]),
            None => [0; 32],
        })
    }
}

/// Reads go through the tree's own reader (the restore writes nothing it would not see).
impl TreeReader for RestoreWriter {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        self.store.tree_store().get_node_option(node_key)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.store
            .tree_store()
            .get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        Ok(self.rightmost_leaf()?)
    }
}

impl TreeWriter for RestoreWriter {
    fn write_node_batch(&self, node_batch: &NodeBatch) -> anyhow::Result<()> {
        let mut progress = self.progress()?;
        let mut rightmost: Option<(KeyHash, NodeKey)> = self
            .rightmost_leaf()?
            .map(|(key, leaf)| (leaf.key_hash(), key));
        let mut batch = WriteBatch::new();
        for (key, node) in node_batch.nodes() {
            if key.version() != self.version {
                anyhow::bail!("restore wrote a node of version {}", key.version());
            }
            batch.put::<TreeNodes>(key, node)?;
            if let Node::Leaf(leaf) = node
                && rightmost
                    .as_ref()
                    .is_none_or(|(best, _)| leaf.key_hash() > *best)
            {
                rightmost = Some((leaf.key_hash(), key.clone()));
            }
        }
        for ((version, key_hash), value) in node_batch.values() {
            batch.put::<TreeValues>(&(key_hash.0, *version), value)?;
            batch.put::<TreeLatestValues>(&key_hash.0, &(*version, value.clone()))?;
        }
        progress.rightmost_leaf = rightmost.map(|(_, key)| key);
        batch.put::<Metadata>(
            &MetadataKey::RestoreProgress,
            &MetadataValue::Restore(progress),
        )?;
        // Not synced: a crash loses at most a suffix of chunks, which are fetched again.
        self.store.write(batch)?;
        Ok(())
    }
}
