//! The state tree's hashing rules as docs/PROOFS.md writes them (6.1, 6.2, and 12.1 for SM3),
//! re-derived with a plain hash function passed in, so a change to the tree's hashing that the
//! documentation does not follow fails the tests that use this (`tree_props.rs` with BLAKE3,
//! `tree_sm3.rs` with SM3).

use std::collections::BTreeMap;

use yrd_contracts::tree::StateRoot;

/// The hash of an empty subtree, used as-is.
pub const PLACEHOLDER: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// A plain 32-byte hash function (BLAKE3 or SM3 in hash mode).
pub type Hash = fn(&[u8]) -> [u8; 32];

fn tree_hash(hash: Hash, parts: &[&[u8]]) -> [u8; 32] {
    let mut preimage = b"yrd-ledger/state-tree/v1".to_vec();
    for part in parts {
        preimage.extend_from_slice(part);
    }
    hash(&preimage)
}

fn key_hash(hash: Hash, key: &[u8]) -> [u8; 32] {
    let mut preimage = b"yrd-ledger/state-key/v1".to_vec();
    preimage.extend_from_slice(key);
    hash(&preimage)
}

fn bit(key_hash: &[u8; 32], index: usize) -> bool {
    (key_hash[index / 8] >> (7 - index % 8)) & 1 == 1
}

/// Root of the compressed binary tree over `(key hash, value)` entries.
fn root(hash: Hash, entries: &[([u8; 32], Vec<u8>)], depth: usize) -> [u8; 32] {
    match entries {
        [] => PLACEHOLDER,
        [(key_hash, value)] => tree_hash(
            hash,
            &[b"JMT::LeafNode", key_hash, &tree_hash(hash, &[value])],
        ),
        _ => {
            let (right, left): (Vec<_>, Vec<_>) = entries
                .iter()
                .cloned()
                .partition(|(key_hash, _)| bit(key_hash, depth));
            tree_hash(
                hash,
                &[
                    b"JMT::IntrnalNode",
                    &root(hash, &left, depth + 1),
                    &root(hash, &right, depth + 1),
                ],
            )
        }
    }
}

/// The documented root of a key/value model.
pub fn root_of_model(hash: Hash, model: &BTreeMap<Vec<u8>, Vec<u8>>) -> StateRoot {
    let entries: Vec<_> = model
        .iter()
        .map(|(k, v)| (key_hash(hash, k), v.clone()))
        .collect();
    StateRoot(root(hash, &entries, 0))
}
