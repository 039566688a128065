//! [`RocksTreeStore`]: the state tree's [`TreeStore`] over the node database.
//!
//! The tree writes a version's updates before the block that produced them is committed, yet the
//! two must reach the disk in one atomic batch. So [`TreeStore::write_updates`] only *stages* the
//! updates in memory (shared by every clone of the [`Store`]); tree reads see staged updates
//! immediately; and [`Store::commit_block`] moves the staged version into the block's write batch.
//! A crash before that commit loses the staged version together with its block — never one
//! without the other.
//!
//! Tables: [`TreeNodes`] (node key → node), [`TreeValues`] ((key hash, version) → value or deletion
//! marker; the newest entry at or below a version is one reverse seek), [`TreeLatestValues`] (key
//! hash → its newest entry: a read at or above that entry's version is one point lookup), and two
//! prune indexes:
//! [`TreeStaleNodes`] (jmt's stale node index) and [`TreeStaleValues`] (value entries superseded at
//! a version, recorded when the newer entry is staged). Pruning deletes by index, in chunks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::PoisonError;

use jmt::storage::{LeafNode, Node, NodeKey, StaleNodeIndex, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};
use rocksdb::{Direction, IteratorMode, ReadOptions};
use yrd_contracts::tree::{ProofStep, PruneStats, TreeError, TreeHasher, TreeStore};

use super::batch::WriteBatch;
use super::error::StorageError;
use super::store::Store;
use super::table::{KeyCodec, Table, decode_key, decode_value};
use super::tables::{
    Hash32, Metadata, MetadataKey, MetadataValue, TreeLatestValues, TreeNodes, TreeStaleNodes,
    TreeStaleValues, TreeValues,
};

/// Most tree versions that may wait in the staging area for their block. A node commits each
/// version right after executing it, so more than a few means commits have stopped.
pub const MAX_STAGED_VERSIONS: usize = 8;

/// Deepest internal nodes (by nibble-path length) the node cache holds: the top five levels, at
/// most 69,905 nodes per version. Every read and update walks them; below them a large tree's
/// nodes are each read rarely, and caching them would only churn the cache (a block of 10,000
/// updates reads and writes tens of thousands of them).
pub const NODE_CACHE_MAX_NIBBLES: usize = 4;

fn cacheable(key: &NodeKey, node: &Node) -> bool {
    matches!(node, Node::Internal(_)) && key.nibble_path().num_nibbles() <= NODE_CACHE_MAX_NIBBLES
}

/// One version's updates awaiting their block.
#[derive(Debug, Clone, Default)]
pub(crate) struct StagedVersion {
    nodes: BTreeMap<NodeKey, Node>,
    values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
    stale_nodes: BTreeSet<StaleNodeIndex>,
    /// (stale since, key hash, superseded entry's version).
    stale_values: BTreeSet<(Version, Hash32, Version)>,
}

/// Staged versions, oldest first.
#[derive(Debug, Default)]
pub(crate) struct TreeStaging {
    versions: BTreeMap<Version, StagedVersion>,
}

/// The state tree's storage over the node database. Clones share the database and the staging
/// area.
#[derive(Debug, Clone)]
pub struct RocksTreeStore {
    store: Store,
}

fn store_error(error: StorageError) -> TreeError {
    TreeError::Store(error.to_string())
}

impl Store {
    /// The state tree's view of this database.
    pub fn tree_store(&self) -> RocksTreeStore {
        RocksTreeStore {
            store: self.clone(),
        }
    }

    /// The latest state-tree version committed to disk.
    pub fn committed_tree_version(&self) -> Result<Option<Version>, StorageError> {
        self.metadata_version(MetadataKey::TreeLatestVersion)
    }

    /// The oldest state-tree version pruning has left readable (0 if never pruned).
    pub fn oldest_readable_version(&self) -> Result<Version, StorageError> {
        Ok(self
            .metadata_version(MetadataKey::OldestReadableVersion)?
            .unwrap_or(0))
    }

    /// Refuse `version` if pruning has removed it.
    pub fn check_version_readable(&self, version: Version) -> Result<(), StorageError> {
        let oldest_readable = self.oldest_readable_version()?;
        if version < oldest_readable {
            return Err(StorageError::VersionPruned {
                version,
                oldest_readable,
            });
        }
        Ok(())
    }

    /// Versions waiting in the staging area, oldest first.
    pub fn staged_tree_versions(&self) -> Vec<Version> {
        self.staging_read().versions.keys().copied().collect()
    }

    fn staging_read(&self) -> std::sync::RwLockReadGuard<'_, TreeStaging> {
        self.inner
            .staging
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn staging_write(&self) -> std::sync::RwLockWriteGuard<'_, TreeStaging> {
        self.inner
            .staging
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Add the staged updates of version `height` to `batch`. Fails if anything other than that
    /// version is staged. Returns the version added, if one was staged.
    pub(crate) fn stage_tree_into(
        &self,
        height: Version,
        batch: &mut WriteBatch,
    ) -> Result<Option<Version>, StorageError> {
        let staging = self.staging_read();
        let versions: Vec<Version> = staging.versions.keys().copied().collect();
        match versions.as_slice() {
            [] => Ok(None),
            [only] if *only == height => {
                if let Some(staged) = staging.versions.get(only) {
                    add_staged_to_batch(*only, staged, batch)?;
                }
                Ok(Some(height))
            }
            _ => Err(StorageError::StagedTreeMismatch {
                height,
                staged: versions,
            }),
        }
    }

    /// Drop a staged version once it is on disk. Its top internal nodes (to
    /// [`NODE_CACHE_MAX_NIBBLES`]) go to the node cache, since every read and the next
    /// version's update walk them first.
    pub(crate) fn discard_staged(&self, version: Version) {
        let staged = self.staging_write().versions.remove(&version);
        if let (Some(staged), Some(cache)) = (staged, &self.inner.tree_node_cache) {
            for (key, node) in staged.nodes {
                if cacheable(&key, &node) {
                    cache.insert(key, node);
                }
            }
        }
    }

    /// A tree node from the node cache or the disk (not the staging area).
    fn committed_tree_node(&self, node_key: &NodeKey) -> Result<Option<Node>, StorageError> {
        let Some(cache) = &self.inner.tree_node_cache else {
            return self.get::<TreeNodes>(node_key);
        };
        if let Some(node) = cache.get(node_key) {
            self.inner
                .tree_cache_hits
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            return Ok(Some(node));
        }
        self.inner
            .tree_cache_misses
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let node = self.get::<TreeNodes>(node_key)?;
        if let Some(node) = &node
            && cacheable(node_key, node)
        {
            cache.insert(node_key.clone(), node.clone());
        }
        Ok(node)
    }

    /// A committed tree node for a proof walk (see [`TreeStore::proof_node`]): an internal node
    /// to [`NODE_CACHE_MAX_NIBBLES`] deep is prepared once and kept in the proof cache.
    fn committed_proof_node<H: TreeHasher>(
        &self,
        node_key: &NodeKey,
    ) -> Result<Option<ProofStep>, TreeError> {
        let cache = self.inner.tree_proof_cache.as_ref();
        if let Some(prepared) = cache.and_then(|cache| cache.get(node_key))
            && prepared.prepared_with::<H>()
        {
            return Ok(Some(ProofStep::Internal(prepared)));
        }
        let Some(node) = self.committed_tree_node(node_key).map_err(store_error)? else {
            return Ok(None);
        };
        let keep = cacheable(node_key, &node);
        let step = ProofStep::from_node::<H>(node)?;
        if let (Some(cache), true, ProofStep::Internal(prepared)) = (cache, keep, &step) {
            cache.insert(node_key.clone(), prepared.clone());
        }
        Ok(Some(step))
    }

    /// Drop every staged version without writing it (execution of those blocks was abandoned).
    pub fn discard_all_staged(&self) {
        self.staging_write().versions.clear();
    }

    /// Write every staged tree version to disk on its own, with no block (for a state written
    /// before its first block, such as a snapshot being restored). Synced.
    pub fn commit_staged_tree(&self) -> Result<Option<Version>, StorageError> {
        let _commit_guard = self
            .inner
            .commit_lock
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let mut batch = WriteBatch::new();
        let written: Vec<Version> = {
            let staging = self.staging_read();
            for (version, staged) in &staging.versions {
                add_staged_to_batch(*version, staged, &mut batch)?;
            }
            staging.versions.keys().copied().collect()
        };
        self.write_synced(batch)?;
        let mut staging = self.staging_write();
        for version in &written {
            staging.versions.remove(version);
        }
        Ok(written.last().copied())
    }

    /// The newest value entry for `key_hash` at or below `max_version`, staged or on disk, with
    /// its version. `Some((v, None))` is a deletion marker.
    fn latest_value_entry(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> Result<Option<(Version, Option<OwnedValue>)>, StorageError> {
        {
            let staging = self.staging_read();
            for staged in staging
                .versions
                .range(..=max_version)
                .rev()
                .map(|(_, staged)| staged)
            {
                if let Some(((_, version), value)) = staged
                    .values
                    .range((key_hash, 0)..=(key_hash, max_version))
                    .next_back()
                {
                    return Ok(Some((*version, value.clone())));
                }
            }
        }
        // The newest entry of the key answers every read at or above its version; no entry means
        // the key was never written.
        match self.get::<TreeLatestValues>(&key_hash.0)? {
            None => return Ok(None),
            Some((latest, value)) if latest <= max_version => return Ok(Some((latest, value))),
            Some(_) => {}
        }
        // An older version: the newest entry at or below it.
        let seek_key = (key_hash.0, max_version).encode_key();
        // Within one key hash: the table's prefix bloom filters skip files without it.
        let mut read_options = ReadOptions::default();
        read_options.set_prefix_same_as_start(true);
        let mut iterator = self
            .inner
            .db
            .raw_iterator_cf_opt(self.cf(TreeValues::NAME)?, read_options);
        iterator.seek_for_prev(&seek_key);
        if !iterator.valid() {
            iterator
                .status()
                .map_err(StorageError::backend("seek", TreeValues::NAME))?;
            return Ok(None);
        }
        let (Some(key), Some(value)) = (iterator.key(), iterator.value()) else {
            return Ok(None);
        };
        if !key.starts_with(&key_hash.0) {
            return Ok(None);
        }
        let (_, version) = decode_key::<TreeValues>(key)?;
        Ok(Some((version, decode_value::<TreeValues>(key, value)?)))
    }

    /// Delete every tree node and value entry that versions `>= oldest_kept_version` do not need,
    /// in chunks of [`super::StoreConfig::prune_chunk_entries`]. Versions below it become
    /// unreadable ([`StorageError::VersionPruned`] from [`Store::check_version_readable`]).
    /// Resumable: a crash mid-way leaves the rest for the next call.
    pub fn prune_tree(&self, oldest_kept_version: Version) -> Result<PruneStats, StorageError> {
        let latest = self.committed_tree_version()?;
        if latest.is_none_or(|latest| oldest_kept_version > latest) {
            return Err(StorageError::PruneBeyondLatest {
                requested: oldest_kept_version,
                latest,
            });
        }
        let oldest = self.oldest_readable_version()?.max(oldest_kept_version);
        let mut marker = WriteBatch::new();
        marker.put::<Metadata>(
            &MetadataKey::OldestReadableVersion,
            &MetadataValue::Version(oldest),
        )?;
        self.write_synced(marker)?;
        // Cached nodes of the versions about to go would otherwise outlive them.
        let empty_cache = || {
            if let Some(cache) = &self.inner.tree_node_cache {
                cache.invalidate_all();
            }
            if let Some(cache) = &self.inner.tree_proof_cache {
                cache.invalidate_all();
            }
        };
        empty_cache();

        let mut stats = PruneStats::default();
        let end = oldest
            .checked_add(1)
            .map(|next| next.to_be_bytes().to_vec());
        stats.nodes_removed = self.prune_index::<TreeStaleNodes>(end.clone(), |batch, key| {
            batch.delete::<TreeNodes>(&key.1);
        })?;
        stats.values_removed = self.prune_index::<TreeStaleValues>(end, |batch, key| {
            let (_, (key_hash, version)) = key;
            batch.delete::<TreeValues>(&(*key_hash, *version));
        })?;
        // Again, for a node read back from disk while the deletions were under way.
        empty_cache();
        tracing::info!(
            oldest_kept_version = oldest,
            nodes_removed = stats.nodes_removed,
            values_removed = stats.values_removed,
            "pruned state tree"
        );
        Ok(stats)
    }

    /// Walk index table `T` up to `end` (exclusive), deleting each entry and what `delete_target`
    /// stages for it, one chunk per write. Returns the number of entries processed.
    fn prune_index<T: Table>(
        &self,
        end: Option<Vec<u8>>,
        delete_target: impl Fn(&mut WriteBatch, &T::Key),
    ) -> Result<u64, StorageError> {
        let chunk = self.inner.config.prune_chunk_entries.max(1);
        let mut removed: u64 = 0;
        let mut start: Vec<u8> = Vec::new();
        loop {
            let mut read_options = super::store::total_order();
            if let Some(end) = &end {
                read_options.set_iterate_upper_bound(end.clone());
            }
            let iterator = self.inner.db.iterator_cf_opt(
                self.cf(T::NAME)?,
                read_options,
                IteratorMode::From(&start, Direction::Forward),
            );
            let mut batch = WriteBatch::new();
            let mut last_key: Option<Box<[u8]>> = None;
            for entry in iterator.take(chunk) {
                let (raw_key, _) = entry.map_err(StorageError::backend("iterate", T::NAME))?;
                let key = decode_key::<T>(&raw_key)?;
                delete_target(&mut batch, &key);
                batch.delete::<T>(&key);
                last_key = Some(raw_key);
                removed = removed.saturating_add(1);
            }
            let Some(last_key) = last_key else {
                return Ok(removed);
            };
            self.write(batch)?;
            // Resume just after the last key processed.
            start = last_key.into_vec();
            start.push(0);
        }
    }

    /// Prune so that the newest [`super::StoreConfig::keep_versions`] committed versions stay
    /// readable. Does nothing while fewer versions exist.
    pub fn prune_to_window(&self) -> Result<Option<PruneStats>, StorageError> {
        let Some(latest) = self.committed_tree_version()? else {
            return Ok(None);
        };
        let keep = self.inner.config.keep_versions.max(1);
        let Some(oldest_kept) = latest
            .checked_add(1)
            .and_then(|next| next.checked_sub(keep))
        else {
            return Ok(None);
        };
        if oldest_kept == 0 || oldest_kept <= self.oldest_readable_version()? {
            return Ok(None);
        }
        self.prune_tree(oldest_kept).map(Some)
    }
}

fn add_staged_to_batch(
    version: Version,
    staged: &StagedVersion,
    batch: &mut WriteBatch,
) -> Result<(), StorageError> {
    for (key, node) in &staged.nodes {
        batch.put::<TreeNodes>(key, node)?;
    }
    for ((key_hash, value_version), value) in &staged.values {
        batch.put::<TreeValues>(&(key_hash.0, *value_version), value)?;
        // Versions are added oldest first, so the newest entry is the last put.
        batch.put::<TreeLatestValues>(&key_hash.0, &(*value_version, value.clone()))?;
    }
    for stale in &staged.stale_nodes {
        batch.put::<TreeStaleNodes>(&(stale.stale_since_version, stale.node_key.clone()), &())?;
    }
    for (since, key_hash, old_version) in &staged.stale_values {
        batch.put::<TreeStaleValues>(&(*since, (*key_hash, *old_version)), &())?;
    }
    batch.put::<Metadata>(
        &MetadataKey::TreeLatestVersion,
        &MetadataValue::Version(version),
    )
}

impl RocksTreeStore {
    /// The database this tree store writes to.
    pub fn store(&self) -> &Store {
        &self.store
    }
}

impl TreeReader for RocksTreeStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        {
            let staging = self.store.staging_read();
            for staged in staging.versions.values().rev() {
                if let Some(node) = staged.nodes.get(node_key) {
                    return Ok(Some(node.clone()));
                }
            }
        }
        Ok(self.store.committed_tree_node(node_key)?)
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .store
            .latest_value_entry(max_version, key_hash)?
            .and_then(|(_, value)| value))
    }

    /// Scans every stored node: only state restoration uses this.
    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut rightmost: Option<(NodeKey, LeafNode)> = None;
        let mut consider = |key: &NodeKey, node: &Node| {
            if let Node::Leaf(leaf) = node
                && rightmost
                    .as_ref()
                    .is_none_or(|(_, best)| leaf.key_hash() > best.key_hash())
            {
                rightmost = Some((key.clone(), leaf.clone()));
            }
        };
        let iterator = self
            .store
            .inner
            .db
            .iterator_cf(self.store.cf(TreeNodes::NAME)?, IteratorMode::Start);
        for entry in iterator {
            let (key, value) = entry.map_err(StorageError::backend("iterate", TreeNodes::NAME))?;
            consider(
                &decode_key::<TreeNodes>(&key)?,
                &decode_value::<TreeNodes>(&key, &value)?,
            );
        }
        let staging = self.store.staging_read();
        for staged in staging.versions.values() {
            for (key, node) in &staged.nodes {
                consider(key, node);
            }
        }
        Ok(rightmost)
    }
}

impl TreeStore for RocksTreeStore {
    /// Staged nodes are prepared each time (their version may yet be executed again
    /// differently); committed ones come from the proof cache.
    fn proof_node<H: TreeHasher>(
        &self,
        node_key: &NodeKey,
    ) -> Result<Option<ProofStep>, TreeError> {
        {
            let staging = self.store.staging_read();
            for staged in staging.versions.values().rev() {
                if let Some(node) = staged.nodes.get(node_key) {
                    return ProofStep::from_node::<H>(node.clone()).map(Some);
                }
            }
        }
        self.store.committed_proof_node::<H>(node_key)
    }

    fn latest_version(&self) -> Result<Option<Version>, TreeError> {
        if let Some(staged) = self.store.staging_read().versions.keys().next_back() {
            return Ok(Some(*staged));
        }
        self.store.committed_tree_version().map_err(store_error)
    }

    /// Stages the updates (see the module doc); they reach the disk with their block.
    fn write_updates(
        &mut self,
        version: Version,
        batch: &TreeUpdateBatch,
    ) -> Result<(), TreeError> {
        if let Some(latest) = self.latest_version()?
            && version <= latest
        {
            return Err(TreeError::VersionNotIncreasing {
                latest,
                got: version,
            });
        }
        if self.store.staging_read().versions.len() >= MAX_STAGED_VERSIONS {
            return Err(TreeError::Store(format!(
                "{MAX_STAGED_VERSIONS} tree versions already await their blocks; \
                 version {version} refused"
            )));
        }
        let mut staged = StagedVersion::default();
        for ((value_version, key_hash), value) in batch.node_batch.values() {
            // The entry this one supersedes becomes prunable once `value_version` is the oldest
            // kept version; a deletion marker is itself prunable then (it shadows nothing kept).
            let previous = value_version
                .checked_sub(1)
                .map(|below| self.store.latest_value_entry(below, *key_hash))
                .transpose()
                .map_err(store_error)?
                .flatten();
            // A superseded deletion marker already has its own index entry (below), so each
            // value entry is indexed exactly once.
            if let Some((previous_version, Some(_))) = previous {
                staged
                    .stale_values
                    .insert((*value_version, key_hash.0, previous_version));
            }
            if value.is_none() {
                staged
                    .stale_values
                    .insert((*value_version, key_hash.0, *value_version));
            }
            staged
                .values
                .insert((*key_hash, *value_version), value.clone());
        }
        for (key, node) in batch.node_batch.nodes() {
            staged.nodes.insert(key.clone(), node.clone());
        }
        staged
            .stale_nodes
            .extend(batch.stale_node_index_batch.iter().cloned());
        self.store.staging_write().versions.insert(version, staged);
        Ok(())
    }

    fn prune(&mut self, oldest_kept_version: Version) -> Result<PruneStats, TreeError> {
        self.store
            .prune_tree(oldest_kept_version)
            .map_err(|error| match error {
                StorageError::PruneBeyondLatest { requested, latest } => {
                    TreeError::PruneBeyondLatest {
                        oldest_kept_version: requested,
                        latest,
                    }
                }
                other => store_error(other),
            })
    }
}
