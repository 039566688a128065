//! [`StateTree`]: one version of writes in, one [`StateRoot`] out; reads with proofs at any kept
//! version.
//!
//! Versions are block heights. Each call to [`StateTree::apply`] creates exactly one new version,
//! strictly greater than the latest (normally `latest + 1`; a skipped version simply has no root).
//! The first version may be any number. A version whose write set is empty (or changes nothing)
//! still gets a root, equal to the previous version's, so every applied height has a root.
//!
//! Within one write set each key is written once: if a key appears several times, the last entry
//! wins. `None` deletes the key (deleting an absent key changes nothing).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use jmt::proof::SparseMerkleProof;
use jmt::storage::{LeafNode, Node, NodeKey, StaleNodeIndex, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};

use super::hasher::{SuiteHasher, TreeHasher};
use super::proof::StateProof;
use super::root::StateRoot;
use super::store::{PruneStats, TreeStore, root_node_key};
use super::{
    MAX_KEY_LEN_BYTES, MAX_TREE_VERSION, MAX_VALUE_LEN_BYTES, MAX_WRITES_PER_VERSION, TreeError,
};

/// The ledger's authenticated key/value state over a [`TreeStore`], hashed with `H` (by default
/// the process's suite's hash, ADR 019).
#[derive(Debug, Clone)]
pub struct StateTree<S: TreeStore, H: TreeHasher = SuiteHasher> {
    store: S,
    hasher: PhantomData<H>,
}

impl<S: TreeStore> StateTree<S> {
    /// A tree on the process's suite over `store`, continuing from whatever versions the store
    /// already holds.
    pub fn new(store: S) -> Self {
        StateTree::with_hasher(store)
    }
}

impl<S: TreeStore, H: TreeHasher> StateTree<S, H> {
    /// A tree hashed with `H` over `store`. A store holds one tree: opening it with the other
    /// suite's hasher reads nodes whose hashes it cannot reproduce.
    pub fn with_hasher(store: S) -> Self {
        StateTree {
            store,
            hasher: PhantomData,
        }
    }

    /// The backing store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The backing store, mutably (for the host's own bookkeeping; tree writes go through
    /// [`StateTree::apply`]).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Give back the store.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Compute version `version` from `writes` without writing anything: the new root and the
    /// batch to persist with [`TreeStore::write_updates`]. A host that commits a block's effects in
    /// one database batch uses this instead of [`StateTree::apply`].
    pub fn compute_update(
        &self,
        version: Version,
        writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<(StateRoot, TreeUpdateBatch), TreeError> {
        if version > MAX_TREE_VERSION {
            return Err(TreeError::VersionOutOfRange {
                version,
                max: MAX_TREE_VERSION,
            });
        }
        let latest = self.store.latest_version()?;
        if let Some(latest) = latest
            && version <= latest
        {
            return Err(TreeError::VersionNotIncreasing {
                latest,
                got: version,
            });
        }
        let value_set = checked_value_set::<H>(writes)?;

        // The library builds version `v` on the root stored under version `v - 1`. When that root
        // does not exist (the first version is not 0, or versions were skipped), a thin reader
        // presents the latest root, or an empty root on an empty store, under that key.
        let previous_root = match version.checked_sub(1) {
            Some(previous) if latest.is_none_or(|latest| latest < previous) => Some(VirtualRoot {
                virtual_key: root_node_key(previous),
                real_key: latest.map(root_node_key),
            }),
            _ => None,
        };
        let reader = PreviousRootReader {
            store: &self.store,
            previous_root: previous_root.clone(),
        };
        let tree = JellyfishMerkleTree::<_, H>::new(&reader);
        let (root, mut batch) = tree
            .put_value_set(value_set, version)
            .map_err(|error| TreeError::from_tree_library(&error))?;

        // A virtual root is not in the store: it cannot go stale, the real one it stands for does.
        if let Some(virtual_root) = &previous_root {
            batch
                .stale_node_index_batch
                .retain(|entry| entry.node_key != virtual_root.virtual_key);
        }
        // The previous root node is never part of the new version, whatever the write set did.
        // The library records it as stale only when the root changed; record it always so that
        // versions with empty write sets do not leak one root node each.
        if let Some(latest) = latest {
            batch.stale_node_index_batch.insert(StaleNodeIndex {
                stale_since_version: version,
                node_key: root_node_key(latest),
            });
        }
        Ok((StateRoot::from(root), batch))
    }

    /// Apply one version's writes (`None` deletes) and persist them; returns the new root.
    ///
    /// Fails without writing anything if a key or value is over its limit, the write set is too
    /// large, or `version` is not greater than the latest version.
    pub fn apply(
        &mut self,
        version: Version,
        writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    ) -> Result<StateRoot, TreeError> {
        let (root, batch) = self.compute_update(version, writes)?;
        self.store.write_updates(version, &batch)?;
        Ok(root)
    }

    /// The newest version applied, if any.
    pub fn latest_version(&self) -> Result<Option<Version>, TreeError> {
        self.store.latest_version()
    }

    /// The newest version and its root, if any version was applied.
    pub fn latest_root(&self) -> Result<Option<(Version, StateRoot)>, TreeError> {
        match self.store.latest_version()? {
            Some(version) => Ok(Some((version, self.root_at(version)?))),
            None => Ok(None),
        }
    }

    /// The root at `version`; [`TreeError::VersionMissing`] if it was never applied or was pruned.
    pub fn root_at(&self, version: Version) -> Result<StateRoot, TreeError> {
        let tree = JellyfishMerkleTree::<_, H>::new(&self.store);
        tree.get_root_hash_option(version)
            .map_err(|error| TreeError::from_tree_library(&error))?
            .map(StateRoot::from)
            .ok_or(TreeError::VersionMissing { version })
    }

    /// The value of `key` at `version`, without a proof.
    pub fn get(&self, key: &[u8], version: Version) -> Result<Option<Vec<u8>>, TreeError> {
        // The version must exist (not pruned, not in the future). Checked by the root node's
        // presence, not by `root_at`: hashing a 16-ary root costs more than the read itself, and
        // this runs for every state read of execution, admission and queries.
        if self
            .store
            .get_node_option(&root_node_key(version))
            .map_err(|error| TreeError::from_tree_library(&error))?
            .is_none()
        {
            return Err(TreeError::VersionMissing { version });
        }
        let tree = JellyfishMerkleTree::<_, H>::new(&self.store);
        tree.get(H::key_hash(key), version)
            .map_err(|error| TreeError::from_tree_library(&error))
    }

    /// The value of `key` at `version` with a [`StateProof`] of inclusion (value present) or
    /// non-inclusion (absent) against [`StateTree::root_at`]`(version)`.
    pub fn get_with_proof(
        &self,
        key: &[u8],
        version: Version,
    ) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
        super::prove::prove_key::<_, H>(&self.store, H::key_hash(key), version)
    }

    /// Like [`StateTree::get_with_proof`] but with the tree library's own proof type, for
    /// interoperability and for checking [`StateProof::verify`] against the library.
    pub fn get_with_jmt_proof(
        &self,
        key: &[u8],
        version: Version,
    ) -> Result<(Option<Vec<u8>>, SparseMerkleProof<H>), TreeError> {
        self.root_at(version)?;
        let tree = JellyfishMerkleTree::<_, H>::new(&self.store);
        tree.get_with_proof(H::key_hash(key), version)
            .map_err(|error| TreeError::from_tree_library(&error))
    }

    /// Drop everything versions below `oldest_kept_version` alone needed. Versions from
    /// `oldest_kept_version` to the latest stay readable with proofs; the latest version can
    /// never be pruned away.
    pub fn prune(&mut self, oldest_kept_version: Version) -> Result<PruneStats, TreeError> {
        let latest = self.store.latest_version()?;
        match latest {
            Some(latest) if oldest_kept_version <= latest => self.store.prune(oldest_kept_version),
            _ => Err(TreeError::PruneBeyondLatest {
                oldest_kept_version,
                latest,
            }),
        }
    }
}

/// Check limits and collapse the write set to one entry per key hash (last write wins).
fn checked_value_set<H: TreeHasher>(
    writes: Vec<(Vec<u8>, Option<Vec<u8>>)>,
) -> Result<BTreeMap<KeyHash, Option<OwnedValue>>, TreeError> {
    if writes.len() > MAX_WRITES_PER_VERSION {
        return Err(TreeError::TooManyWrites {
            count: writes.len(),
            max: MAX_WRITES_PER_VERSION,
        });
    }
    let mut value_set = BTreeMap::new();
    for (key, value) in writes {
        if key.len() > MAX_KEY_LEN_BYTES {
            return Err(TreeError::KeyTooLong {
                len: key.len(),
                max: MAX_KEY_LEN_BYTES,
            });
        }
        if let Some(value) = &value
            && value.len() > MAX_VALUE_LEN_BYTES
        {
            return Err(TreeError::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_LEN_BYTES,
            });
        }
        value_set.insert(H::key_hash(&key), value);
    }
    Ok(value_set)
}

/// A root presented under `virtual_key`: the stored root at `real_key`, or an empty root if `None`.
#[derive(Clone)]
struct VirtualRoot {
    virtual_key: NodeKey,
    real_key: Option<NodeKey>,
}

/// A read-only view of the store that may answer for one [`VirtualRoot`].
struct PreviousRootReader<'a, S> {
    store: &'a S,
    previous_root: Option<VirtualRoot>,
}

impl<S: TreeReader> TreeReader for PreviousRootReader<'_, S> {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match &self.previous_root {
            Some(root) if *node_key == root.virtual_key => match &root.real_key {
                Some(real_key) => self.store.get_node_option(real_key),
                None => Ok(Some(Node::Null)),
            },
            _ => self.store.get_node_option(node_key),
        }
    }

    fn get_value_option(
        &self,
        max_version: Version,
        key_hash: KeyHash,
    ) -> anyhow::Result<Option<OwnedValue>> {
        self.store.get_value_option(max_version, key_hash)
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        self.store.get_rightmost_leaf()
    }
}
