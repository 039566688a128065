//! Building a [`StateProof`] straight from the stored tree nodes.
//!
//! The proof is exactly the one the tree library builds (`JellyfishMerkleTree::get_with_proof`
//! converted with [`StateProof::from_jmt`]; a property test holds the two equal), computed with
//! less work:
//!
//! - A sibling inside a 16-ary internal node is the hash of a range of its children. The library
//!   reads the child node from the store whenever that range holds a single child, and, if the
//!   child is internal, hashes its two halves again; but the parent already stores every child's
//!   hash, which is that very value. Here the stored hash is used: no read, no hashing.
//! - The library's proof type carries each sibling's structure, which the conversion hashes
//!   again and re-encodes; here siblings are hashes from the start.
//! - The version check reads the root node instead of hashing it.
//!
//! Per level of a path this is at most 11 hashes and one node read, where the library took up to
//! 25 hashes and two reads.

use jmt::storage::{NibblePath, Node, NodeKey, TreeReader};
use jmt::{KeyHash, Version};

use super::TreeError;
use super::hasher::TreeHasher;
use super::proof::{ProofLeaf, StateProof, internal_node_hash_with};
use super::root::EMPTY_TREE_ROOT;
use super::store::root_node_key;

/// Nibbles in a key hash: the deepest a path can go.
const KEY_NIBBLES: usize = 64;

/// A child slot of an internal node: its nibble (as the library spells it), hash and version.
type Slot<N> = Option<(N, [u8; 32], Version)>;

/// The value of `key_hash` at `version` with its proof (see the module doc).
pub fn prove_key<R: TreeReader, H: TreeHasher>(
    reader: &R,
    key_hash: KeyHash,
    version: Version,
) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
    let mut siblings_top_down: Vec<[u8; 32]> = Vec::with_capacity(32);
    let mut node_key = root_node_key(version);
    for depth in 0..=KEY_NIBBLES {
        let node = reader
            .get_node_option(&node_key)
            .map_err(|error| TreeError::from_tree_library(&error))?;
        let node = match node {
            Some(node) => node,
            None if depth == 0 => return Err(TreeError::VersionMissing { version }),
            None => {
                return Err(TreeError::Tree(format!(
                    "node {node_key:?} on the path of a key at version {version} is missing"
                )));
            }
        };
        match node {
            Node::Null if depth == 0 => return Ok((None, finish(None, siblings_top_down))),
            Node::Null => {
                return Err(TreeError::Tree(format!(
                    "a null node below the root at {node_key:?}"
                )));
            }
            Node::Leaf(leaf) => {
                let (leaf_key, value_hash) = leaf_parts(&leaf)?;
                let value = if leaf_key == key_hash.0 {
                    Some(
                        reader
                            .get_value(version, key_hash)
                            .map_err(|error| TreeError::from_tree_library(&error))?,
                    )
                } else {
                    None
                };
                let leaf = ProofLeaf {
                    key_hash: leaf_key,
                    value_hash,
                };
                return Ok((value, finish(Some(leaf), siblings_top_down)));
            }
            Node::Internal(internal) => {
                let nibble = key_nibble(&key_hash.0, depth).ok_or_else(|| {
                    TreeError::Tree("an internal node below the deepest key nibble".into())
                })?;
                let mut slots: [Slot<_>; 16] = [None; 16];
                let mut existence = 0u16;
                let mut leaves = 0u16;
                for (child_nibble, child) in internal.children_unsorted() {
                    let index = u8::from(child_nibble) & 0x0f;
                    if let Some(slot) = slots.get_mut(usize::from(index)) {
                        *slot = Some((child_nibble, child.hash, child.version));
                    }
                    existence |= 1 << index;
                    if child.is_leaf() {
                        leaves |= 1 << index;
                    }
                }
                let bitmaps = Bitmaps {
                    slots: &slots,
                    existence,
                    leaves,
                };
                match bitmaps.descend::<H>(nibble, &mut siblings_top_down)? {
                    None => return Ok((None, finish(None, siblings_top_down))),
                    Some((child_nibble, child_version)) => {
                        let path: NibblePath = node_key
                            .nibble_path()
                            .nibbles()
                            .chain(core::iter::once(child_nibble))
                            .collect();
                        node_key = NodeKey::new(child_version, path);
                    }
                }
            }
        }
    }
    Err(TreeError::Tree(
        "a path longer than a key hash (cycle in the stored tree)".into(),
    ))
}

/// One internal node's children and their bitmaps (bit `i` for nibble `i`).
struct Bitmaps<'a, N> {
    slots: &'a [Slot<N>; 16],
    existence: u16,
    leaves: u16,
}

impl<N: Copy> Bitmaps<'_, N> {
    /// Walk the node's four binary levels towards `nibble`, pushing each level's sibling hash;
    /// the child the path continues into, or `None` when the path ends in an empty range.
    fn descend<H: TreeHasher>(
        &self,
        nibble: u8,
        siblings_top_down: &mut Vec<[u8; 32]>,
    ) -> Result<Option<(N, Version)>, TreeError> {
        for height in (0..4u8).rev() {
            let width = 1u8 << height;
            let child_half = (0xffu8 << height) & nibble;
            siblings_top_down.push(self.range_hash::<H>(child_half ^ width, width)?);
            let (existence, leaves) = self.range(child_half, width);
            if existence == 0 {
                return Ok(None);
            }
            if has_only_child(width, existence, leaves) {
                let (child_nibble, _, version) = self.only_child(existence)?;
                return Ok(Some((child_nibble, version)));
            }
        }
        Err(TreeError::Tree(
            "an internal node's lowest level holds more than one child".into(),
        ))
    }

    /// The existence and leaf bitmaps of children `start .. start + width`.
    fn range(&self, start: u8, width: u8) -> (u16, u16) {
        let mask = (((1u32 << width) - 1) << start) as u16;
        (self.existence & mask, self.leaves & mask)
    }

    /// The child of a range whose existence bitmap has one bit set (the lowest set bit).
    fn only_child(&self, existence: u16) -> Result<(N, [u8; 32], Version), TreeError> {
        self.slots
            .get(existence.trailing_zeros() as usize)
            .copied()
            .flatten()
            .ok_or_else(|| TreeError::Tree("child bitmap names a missing child".into()))
    }

    /// The hash of the subtree over children `start .. start + width`, as the tree defines it: the
    /// placeholder when empty, the child's own hash when it is the one child and a leaf (or the
    /// range is a single slot), else the internal hash of the two halves.
    fn range_hash<H: TreeHasher>(&self, start: u8, width: u8) -> Result<[u8; 32], TreeError> {
        let (existence, leaves) = self.range(start, width);
        if existence == 0 {
            return Ok(EMPTY_TREE_ROOT);
        }
        if has_only_child(width, existence, leaves) {
            return Ok(self.only_child(existence)?.1);
        }
        let half = width / 2;
        let left = self.range_hash::<H>(start, half)?;
        let right = self.range_hash::<H>(start + half, half)?;
        Ok(internal_node_hash_with::<H>(&left, &right))
    }
}

/// The range collapses to one child: a single slot, or a single child that is a leaf.
fn has_only_child(width: u8, existence: u16, leaves: u16) -> bool {
    width == 1 || (existence.count_ones() == 1 && leaves != 0)
}

/// Nibble `depth` of a key hash, most significant half of byte 0 first.
fn key_nibble(key_hash: &[u8; 32], depth: usize) -> Option<u8> {
    let byte = key_hash.get(depth / 2)?;
    Some(if depth.is_multiple_of(2) {
        byte >> 4
    } else {
        byte & 0x0f
    })
}

/// A stored leaf's key hash and value hash (the library keeps the value hash private; its borsh
/// layout is the two hashes in that order).
fn leaf_parts(leaf: &jmt::storage::LeafNode) -> Result<([u8; 32], [u8; 32]), TreeError> {
    let bytes = borsh::to_vec(leaf).map_err(|error| TreeError::Tree(error.to_string()))?;
    let bytes: [u8; 64] = bytes
        .try_into()
        .map_err(|_| TreeError::Tree("unexpected leaf node layout".into()))?;
    let (key_hash, value_hash) = bytes.split_at(32);
    let mut parts = ([0u8; 32], [0u8; 32]);
    parts.0.copy_from_slice(key_hash);
    parts.1.copy_from_slice(value_hash);
    Ok(parts)
}

/// The proof with its siblings bottom-up.
fn finish(leaf: Option<ProofLeaf>, mut siblings_top_down: Vec<[u8; 32]>) -> StateProof {
    siblings_top_down.reverse();
    StateProof {
        leaf,
        siblings: siblings_top_down,
    }
}
