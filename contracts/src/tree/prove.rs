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
//! - Each internal node comes from the store as a [`super::ProofNode`], every range hash of its
//!   children computed when it was prepared; a store that keeps prepared nodes (the node's
//!   database does, for its cached upper levels) makes a proof through them hash nothing there.
//!
//! Per level of a path this is at most 14 hashes (preparing a node afresh) and one node read,
//! where the library took up to 25 hashes and two reads; a prepared node costs neither.

use jmt::storage::{NibblePath, Node, NodeKey};
use jmt::{KeyHash, Version};

use super::TreeError;
use super::hasher::TreeHasher;
use super::proof::{ProofLeaf, StateProof};
use super::proof_node::ProofStep;
use super::store::{TreeStore, root_node_key};

/// Nibbles in a key hash: the deepest a path can go.
const KEY_NIBBLES: usize = 64;

/// The value of `key_hash` at `version` with its proof (see the module doc).
pub fn prove_key<R: TreeStore, H: TreeHasher>(
    reader: &R,
    key_hash: KeyHash,
    version: Version,
) -> Result<(Option<Vec<u8>>, StateProof), TreeError> {
    let mut siblings_top_down: Vec<[u8; 32]> = Vec::with_capacity(32);
    let mut node_key = root_node_key(version);
    for depth in 0..=KEY_NIBBLES {
        let step = match reader.proof_node::<H>(&node_key)? {
            Some(step) => step,
            None if depth == 0 => return Err(TreeError::VersionMissing { version }),
            None => {
                return Err(TreeError::Tree(format!(
                    "node {node_key:?} on the path of a key at version {version} is missing"
                )));
            }
        };
        match step {
            ProofStep::Other(Node::Null) if depth == 0 => {
                return Ok((None, finish(None, siblings_top_down)));
            }
            ProofStep::Other(Node::Null) => {
                return Err(TreeError::Tree(format!(
                    "a null node below the root at {node_key:?}"
                )));
            }
            ProofStep::Other(Node::Leaf(leaf)) => {
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
            ProofStep::Other(Node::Internal(_)) => {
                return Err(TreeError::Tree(
                    "a store handed an internal node unprepared".into(),
                ));
            }
            ProofStep::Internal(internal) => {
                let nibble = key_nibble(&key_hash.0, depth).ok_or_else(|| {
                    TreeError::Tree("an internal node below the deepest key nibble".into())
                })?;
                match internal.descend(nibble, &mut siblings_top_down)? {
                    None => return Ok((None, finish(None, siblings_top_down))),
                    Some((child_nibble, child_version)) => {
                        // The library's nibble type has no public name: `into` finds it. The
                        // nibble is a bit index of a 16-bit map, so below 16 as it requires.
                        let path: NibblePath = node_key
                            .nibble_path()
                            .nibbles()
                            .chain(core::iter::once(child_nibble.into()))
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
