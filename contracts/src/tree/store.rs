//! Where tree nodes live: the [`TreeStore`] trait and the in-memory [`MemoryTreeStore`].
//!
//! A store keeps three things, all written by [`TreeStore::write_updates`] from one
//! [`TreeUpdateBatch`]:
//! - **nodes**, keyed by [`NodeKey`] (version at which the node was created + nibble path);
//! - **values**, keyed by `(version, key hash)`, where `None` records a deletion at that version;
//!   [`TreeReader::get_value_option`] returns the newest entry at or below the asked version;
//! - the **stale node index** ([`StaleNodeIndex`]): "node `node_key` is no longer part of the tree
//!   from version `stale_since_version` on". A node with `stale_since_version <= v` is not needed to
//!   read version `v` or any later version.
//!
//! Pruning ([`TreeStore::prune`]) with `oldest_kept_version = k` must keep every version `>= k`
//! fully readable with proofs. It may delete every node whose `stale_since_version <= k` (and its
//! stale-index entry), and for each key hash every value entry at a version `<= k` except the newest
//! such entry (which may also go if it is a deletion marker). Versions below `k` become unreadable.
//!
//! A database-backed store (the node's RocksDB tables) implements this trait outside this crate.
//! It should write one batch atomically together with its `latest_version` marker.

use std::collections::{BTreeMap, BTreeSet};

use jmt::storage::{LeafNode, Node, NodeKey, StaleNodeIndex, TreeReader, TreeUpdateBatch};
use jmt::{KeyHash, OwnedValue, Version};

use super::TreeError;
use super::hasher::TreeHasher;
use super::proof_node::ProofStep;

/// The key of the root node of `version`: that version and an empty nibble path.
pub fn root_node_key(version: Version) -> NodeKey {
    NodeKey::new(version, core::iter::empty().collect())
}

/// What a prune removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneStats {
    /// Tree nodes deleted.
    pub nodes_removed: u64,
    /// Value entries (including deletion markers) deleted.
    pub values_removed: u64,
}

/// Storage behind a [`super::StateTree`]. Reads come from [`TreeReader`] (the tree library's trait,
/// whose methods return `anyhow::Result`); writes and pruning are ours.
pub trait TreeStore: TreeReader {
    /// The newest version written with [`TreeStore::write_updates`], or `None` if nothing was.
    fn latest_version(&self) -> Result<Option<Version>, TreeError>;

    /// Persist everything in `batch` (new nodes, new values and deletion markers, stale node index
    /// entries) and record `version` as the latest version. Must be all-or-nothing.
    fn write_updates(&mut self, version: Version, batch: &TreeUpdateBatch)
    -> Result<(), TreeError>;

    /// Delete what versions `>= oldest_kept_version` no longer need (rules in the module doc).
    fn prune(&mut self, oldest_kept_version: Version) -> Result<PruneStats, TreeError>;

    /// Node `node_key` for a proof walk: an internal node prepared with `H` ([`super::ProofNode`]),
    /// any other node as stored; `None` when absent. The default reads the node and prepares it
    /// each time; a store may keep prepared nodes, which never go stale (a node key names one
    /// immutable node) but must not outlive a pruning of their version, nor be kept for a node
    /// that is not yet durable (a staged version may be executed again differently).
    fn proof_node<H: TreeHasher>(
        &self,
        node_key: &NodeKey,
    ) -> Result<Option<ProofStep>, TreeError> {
        self.get_node_option(node_key)
            .map_err(|error| TreeError::from_tree_library(&error))?
            .map(ProofStep::from_node::<H>)
            .transpose()
    }
}

/// A deterministic in-memory [`TreeStore`] (ordered maps only), for tests, the simulator and
/// offline tools.
#[derive(Debug, Clone, Default)]
pub struct MemoryTreeStore {
    nodes: BTreeMap<NodeKey, Node>,
    /// Keyed `(key hash, version)` so the newest entry at or below a version is one range lookup.
    values: BTreeMap<(KeyHash, Version), Option<OwnedValue>>,
    stale: BTreeSet<StaleNodeIndex>,
    latest_version: Option<Version>,
}

impl MemoryTreeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of stored tree nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Number of stored value entries, deletion markers included.
    pub fn value_entry_count(&self) -> usize {
        self.values.len()
    }

    /// Number of stale node index entries awaiting pruning.
    pub fn stale_index_count(&self) -> usize {
        self.stale.len()
    }
}

impl TreeReader for MemoryTreeStore {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        Ok(self.nodes.get(node_key).cloned())
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        Ok(self
            .values
            .range((key_hash, 0)..=(key_hash, max_version))
            .next_back()
            .and_then(|(_, value)| value.clone()))
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        let mut rightmost: Option<(NodeKey, LeafNode)> = None;
        for (key, node) in &self.nodes {
            if let Node::Leaf(leaf) = node {
                let further_right = rightmost
                    .as_ref()
                    .is_none_or(|(_, best)| leaf.key_hash() > best.key_hash());
                if further_right {
                    rightmost = Some((key.clone(), leaf.clone()));
                }
            }
        }
        Ok(rightmost)
    }
}

impl TreeStore for MemoryTreeStore {
    fn latest_version(&self) -> Result<Option<Version>, TreeError> {
        Ok(self.latest_version)
    }

    fn write_updates(
        &mut self,
        version: Version,
        batch: &TreeUpdateBatch,
    ) -> Result<(), TreeError> {
        for (key, node) in batch.node_batch.nodes() {
            self.nodes.insert(key.clone(), node.clone());
        }
        for ((value_version, key_hash), value) in batch.node_batch.values() {
            self.values
                .insert((*key_hash, *value_version), value.clone());
        }
        self.stale
            .extend(batch.stale_node_index_batch.iter().cloned());
        self.latest_version = Some(version);
        Ok(())
    }

    fn prune(&mut self, oldest_kept_version: Version) -> Result<PruneStats, TreeError> {
        let mut stats = PruneStats::default();

        // Stale index entries sort by `stale_since_version` first.
        let prunable: Vec<StaleNodeIndex> = self
            .stale
            .iter()
            .take_while(|entry| entry.stale_since_version <= oldest_kept_version)
            .cloned()
            .collect();
        for entry in prunable {
            self.stale.remove(&entry);
            if self.nodes.remove(&entry.node_key).is_some() {
                stats.nodes_removed = stats.nodes_removed.saturating_add(1);
            }
        }

        // For each key hash, the newest entry at or below the kept version answers every kept
        // read; older entries are dead, and so is that entry itself if it marks a deletion.
        let mut dead: Vec<(KeyHash, Version)> = Vec::new();
        let mut previous: Option<(KeyHash, Version)> = None;
        for ((key_hash, version), value) in &self.values {
            if *version > oldest_kept_version {
                continue;
            }
            if let Some(older) = previous.filter(|(previous_key, _)| previous_key == key_hash) {
                dead.push(older);
            }
            previous = Some((*key_hash, *version));
            if value.is_none() {
                // A deletion marker at or below the kept version shadows nothing we still need.
                dead.push((*key_hash, *version));
                previous = None;
            }
        }
        for entry in dead {
            if self.values.remove(&entry).is_some() {
                stats.values_removed = stats.values_removed.saturating_add(1);
            }
        }
        Ok(stats)
    }
}
