//! State proofs: the format a verifier checks a read against a [`StateRoot`] with.
//!
//! # Hashing rules (byte-exact)
//!
//! Notation: `||` is byte concatenation; `blake3(x)` is the standard 32-byte BLAKE3 hash (hash
//! mode, no key, no context).
//!
//! - **Tree hash.** `H(x) = blake3("yrd-ledger/state-tree/v1" || x)`; the tag is the 24 ASCII bytes
//!   shown ([`super::STATE_TREE_HASH_TAG`]), with no length prefix or terminator.
//! - **Key hash.** A state key (arbitrary bytes, at most [`super::MAX_KEY_LEN_BYTES`]) sits at
//!   position `key_hash = blake3("yrd-ledger/state-key/v1" || key)` (23 ASCII bytes of tag,
//!   [`super::STATE_KEY_HASH_TAG`]). Note this is plain `blake3`, not `H`.
//! - **Value hash.** `value_hash = H(value)`.
//! - **Leaf hash.** `leaf_hash = H("JMT::LeafNode" || key_hash || value_hash)`: 13 ASCII bytes of
//!   tag, then 32 + 32 bytes.
//! - **Internal node hash.** `node_hash = H("JMT::IntrnalNode" || left || right)`: 16 ASCII bytes
//!   of tag (spelled exactly so, without the second "e"), then the left and right child hashes.
//! - **Empty subtree.** An empty subtree's hash is the placeholder: the 32 ASCII bytes
//!   `SPARSE_MERKLE_PLACEHOLDER_HASH__`, used as-is (not hashed). The empty tree's root is this
//!   value ([`super::EMPTY_TREE_ROOT`]).
//!
//! # Tree shape
//!
//! Conceptually a binary tree of depth 256 in which the leaf for key hash `k` lies at the end of
//! the path spelled by the bits of `k`. Bit `i` (for `i` in `0..256`) is
//! `(k[i / 8] >> (7 - i % 8)) & 1`: the most significant bit of byte 0 comes first. At depth `i`
//! (the root is depth 0) bit `i` chooses the child: `0` goes left, `1` goes right.
//!
//! The tree is *compressed*: a subtree that holds exactly one leaf has that leaf's hash (the leaf
//! sits as high up as the point where its path separates from every other key), a subtree that
//! holds no leaf has the placeholder, and any other subtree has
//! `node_hash(hash(left subtree), hash(right subtree))`.
//!
//! # Proof format ([`StateProof`])
//!
//! - `leaf`: `None`, or the leaf found at the end of the searched path: its `key_hash` and
//!   `value_hash` (not the value).
//! - `siblings`: `n` hashes, `n <= 256` ([`MAX_PROOF_SIBLINGS`]), listed **from the bottom of the
//!   path upward**: `siblings[0]` is the sibling of the node at depth `n` (whose parent is at depth
//!   `n - 1`), and `siblings[n - 1]` is the sibling of the root's child on the path.
//!
//! Borsh encoding: `leaf` as an option (1 byte `0`, or `1` followed by the 64 bytes
//! `key_hash || value_hash`), then `siblings` as a `u32` little-endian count followed by the
//! 32-byte hashes. JSON: `{"leaf": null | {"key_hash": hex, "value_hash": hex}, "siblings":
//! [hex, ...]}` with 64-character lowercase hex strings.
//!
//! # Verification ([`StateProof::verify`])
//!
//! Input: the trusted `root`, the `key`, and the claim: `Some(value)` (the key holds `value`) or
//! `None` (the key is absent).
//!
//! 1. If `n > 256`, reject.
//! 2. Compute `k = key_hash(key)`.
//! 3. Check the claim against the leaf:
//!    - claim `Some(value)` and a leaf: require `leaf.key_hash == k` and
//!      `leaf.value_hash == H(value)`;
//!    - claim `Some(value)` and no leaf: reject (the path ends in an empty subtree);
//!    - claim `None` and a leaf: require `leaf.key_hash != k`, and that `k` and `leaf.key_hash`
//!      agree on their first `n` bits (so `k`, if present, would be in the subtree the proof shows
//!      holds only that other leaf);
//!    - claim `None` and no leaf: nothing to check (the path ends in an empty subtree).
//! 4. Start with `h = leaf_hash(leaf.key_hash, leaf.value_hash)` if there is a leaf, else the
//!    placeholder.
//! 5. For `j` from `0` to `n - 1`: let `d = n - 1 - j` and `b` = bit `d` of `k`. If `b = 1` then
//!    `h = node_hash(siblings[j], h)`, else `h = node_hash(h, siblings[j])`.
//! 6. Accept if and only if `h == root`.
//!
//! This is the same acceptance rule as the `jmt` crate's `SparseMerkleProof::verify` with the
//! hasher above; a property test checks the two agree. This module must never call into `jmt` to
//! verify: a third party reimplements exactly the steps above.

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::proof::SparseMerkleProof;
use serde::{Deserialize, Serialize};

use super::hasher::{SuiteHasher, TreeHasher};
use super::root::{EMPTY_TREE_ROOT, StateRoot};
use crate::codec::{decode_canonical_bounded, encode};

/// Most siblings a proof may list: one per bit of a key hash.
pub const MAX_PROOF_SIBLINGS: usize = 256;

/// Domain tag of a leaf hash, as the tree library defines it.
pub const LEAF_NODE_TAG: &[u8] = b"JMT::LeafNode";

/// Domain tag of an internal node hash, as the tree library defines it (spelling included).
pub const INTERNAL_NODE_TAG: &[u8] = b"JMT::IntrnalNode";

/// Why a proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof lists more than [`MAX_PROOF_SIBLINGS`] siblings.
    #[error("proof has {count} siblings, more than the maximum {max}")]
    TooManySiblings {
        /// Siblings in the proof.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Inclusion was claimed but the proof's leaf is for another key.
    #[error(
        "proof leaf is for key hash {}, not the queried {}",
        hex::encode(leaf_key_hash),
        hex::encode(key_hash)
    )]
    KeyMismatch {
        /// The queried key's hash.
        key_hash: [u8; 32],
        /// The key hash in the proof's leaf.
        leaf_key_hash: [u8; 32],
    },
    /// Inclusion was claimed but the leaf holds a different value.
    #[error(
        "value hash {} does not match the proof leaf's {}",
        hex::encode(value_hash),
        hex::encode(leaf_value_hash)
    )]
    ValueMismatch {
        /// Hash of the claimed value.
        value_hash: [u8; 32],
        /// Value hash in the proof's leaf.
        leaf_value_hash: [u8; 32],
    },
    /// Inclusion was claimed but the proof ends in an empty subtree.
    #[error("inclusion claimed but the proof shows an empty subtree")]
    NoLeafForInclusion,
    /// Absence was claimed but the proof's leaf is the queried key itself.
    #[error(
        "absence claimed but the proof's leaf is the queried key {}",
        hex::encode(key_hash)
    )]
    KeyPresent {
        /// The queried key's hash.
        key_hash: [u8; 32],
    },
    /// Absence was claimed with a leaf whose subtree would not contain the queried key.
    #[error(
        "absence proof leaf shares only {common_prefix_bits} bits with the key, fewer than the {siblings} siblings"
    )]
    LeafOutsidePath {
        /// Leading bits the key hash and the leaf's key hash share.
        common_prefix_bits: usize,
        /// Depth of the leaf (number of siblings).
        siblings: usize,
    },
    /// The root computed from the proof differs from the trusted root.
    #[error("proof computes root {computed}, expected {expected}")]
    RootMismatch {
        /// The trusted root.
        expected: StateRoot,
        /// The root the proof leads to.
        computed: StateRoot,
    },
    /// The proof bytes or structure are not a valid proof.
    #[error("malformed proof: {0}")]
    Malformed(String),
}

/// The leaf at the end of a proof's path.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(deny_unknown_fields)]
pub struct ProofLeaf {
    /// `blake3(STATE_KEY_HASH_TAG || key)` of the key stored in this leaf.
    #[serde(with = "super::serde_hex::bytes32")]
    pub key_hash: [u8; 32],
    /// `H(value)` of the value stored in this leaf.
    #[serde(with = "super::serde_hex::bytes32")]
    pub value_hash: [u8; 32],
}

impl ProofLeaf {
    /// `H("JMT::LeafNode" || key_hash || value_hash)` on the process's suite's tree.
    pub fn hash(&self) -> [u8; 32] {
        self.hash_with::<SuiteHasher>()
    }

    /// `H("JMT::LeafNode" || key_hash || value_hash)` on the tree hashed with `H`.
    pub fn hash_with<H: TreeHasher>(&self) -> [u8; 32] {
        H::hash_parts(&[LEAF_NODE_TAG, &self.key_hash, &self.value_hash])
    }
}

/// A proof that a key holds a value, or holds none, under a [`StateRoot`]. Format and
/// verification rules: see the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateProof {
    /// The leaf the key's path ends at, if the path does not end in an empty subtree.
    pub leaf: Option<ProofLeaf>,
    /// Sibling hashes from the bottom of the path up to the root's child.
    #[serde(with = "super::serde_hex::bytes32_vec")]
    pub siblings: Vec<[u8; 32]>,
}

/// `H("JMT::IntrnalNode" || left || right)` on the process's suite's tree.
pub fn internal_node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    internal_node_hash_with::<SuiteHasher>(left, right)
}

/// `H("JMT::IntrnalNode" || left || right)` on the tree hashed with `H`.
pub fn internal_node_hash_with<H: TreeHasher>(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    H::hash_parts(&[INTERNAL_NODE_TAG, left, right])
}

/// `H(value)`: the value hash stored in a leaf of the process's suite's tree.
pub fn value_hash(value: &[u8]) -> [u8; 32] {
    value_hash_with::<SuiteHasher>(value)
}

/// `H(value)` on the tree hashed with `H`.
pub fn value_hash_with<H: TreeHasher>(value: &[u8]) -> [u8; 32] {
    H::hash_parts(&[value])
}

/// Bit `index` of a key hash, most significant bit of byte 0 first. `index` must be below 256.
fn key_bit(key_hash: &[u8; 32], index: usize) -> bool {
    key_hash
        .get(index / 8)
        .is_some_and(|byte| (byte >> (7 - index % 8)) & 1 == 1)
}

/// Number of leading bits two key hashes share.
fn common_prefix_bits(a: &[u8; 32], b: &[u8; 32]) -> usize {
    let mut bits = 0;
    for (x, y) in a.iter().zip(b.iter()) {
        let differing = x ^ y;
        if differing == 0 {
            bits += 8;
        } else {
            bits += differing.leading_zeros() as usize;
            break;
        }
    }
    bits
}

impl StateProof {
    /// Largest borsh encoding of a proof: option tag + leaf, vector length, 256 siblings.
    pub const MAX_ENCODED_LEN: usize = 1 + 64 + 4 + MAX_PROOF_SIBLINGS * 32;

    /// Check that `key` holds `value` (`Some`) or is absent (`None`) in the tree with `root`,
    /// hashed with the process's suite.
    pub fn verify(
        &self,
        root: &StateRoot,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), ProofError> {
        self.verify_with::<SuiteHasher>(root, key, value)
    }

    /// [`StateProof::verify`] on the tree hashed with `H` (the chain's suite, ADR 019).
    pub fn verify_with<H: TreeHasher>(
        &self,
        root: &StateRoot,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), ProofError> {
        let sibling_count = self.siblings.len();
        if sibling_count > MAX_PROOF_SIBLINGS {
            return Err(ProofError::TooManySiblings {
                count: sibling_count,
                max: MAX_PROOF_SIBLINGS,
            });
        }
        let key_hash = H::key_hash(key).0;

        match (value, &self.leaf) {
            (Some(value), Some(leaf)) => {
                if leaf.key_hash != key_hash {
                    return Err(ProofError::KeyMismatch {
                        key_hash,
                        leaf_key_hash: leaf.key_hash,
                    });
                }
                let claimed_value_hash = value_hash_with::<H>(value);
                if claimed_value_hash != leaf.value_hash {
                    return Err(ProofError::ValueMismatch {
                        value_hash: claimed_value_hash,
                        leaf_value_hash: leaf.value_hash,
                    });
                }
            }
            (Some(_), None) => return Err(ProofError::NoLeafForInclusion),
            (None, Some(leaf)) => {
                if leaf.key_hash == key_hash {
                    return Err(ProofError::KeyPresent { key_hash });
                }
                let shared = common_prefix_bits(&key_hash, &leaf.key_hash);
                if shared < sibling_count {
                    return Err(ProofError::LeafOutsidePath {
                        common_prefix_bits: shared,
                        siblings: sibling_count,
                    });
                }
            }
            (None, None) => {}
        }

        let mut current = self
            .leaf
            .as_ref()
            .map_or(EMPTY_TREE_ROOT, ProofLeaf::hash_with::<H>);
        for (position, sibling) in self.siblings.iter().enumerate() {
            let depth = sibling_count - 1 - position;
            current = if key_bit(&key_hash, depth) {
                internal_node_hash_with::<H>(sibling, &current)
            } else {
                internal_node_hash_with::<H>(&current, sibling)
            };
        }

        if current != root.0 {
            return Err(ProofError::RootMismatch {
                expected: *root,
                computed: StateRoot(current),
            });
        }
        Ok(())
    }

    /// The canonical borsh bytes of this proof.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decode a proof from canonical borsh bytes, refusing oversize input and too many siblings.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ProofError> {
        let proof: StateProof = decode_canonical_bounded(bytes, Self::MAX_ENCODED_LEN)
            .map_err(|error| ProofError::Malformed(error.to_string()))?;
        if proof.siblings.len() > MAX_PROOF_SIBLINGS {
            return Err(ProofError::TooManySiblings {
                count: proof.siblings.len(),
                max: MAX_PROOF_SIBLINGS,
            });
        }
        Ok(proof)
    }

    /// Convert the tree library's proof into ours, replacing each sibling node by its hash.
    ///
    /// The library keeps its proof fields private but gives them a stable borsh layout, so the
    /// conversion reads that layout (mirrored by a private module here).
    pub fn from_jmt<H: TreeHasher>(proof: &SparseMerkleProof<H>) -> Result<Self, ProofError> {
        let bytes =
            borsh::to_vec(proof).map_err(|error| ProofError::Malformed(error.to_string()))?;
        let wire: jmt_wire::Proof = borsh::from_slice(&bytes).map_err(|error| {
            ProofError::Malformed(format!("unexpected jmt proof layout: {error}"))
        })?;
        if wire.siblings.len() > MAX_PROOF_SIBLINGS {
            return Err(ProofError::TooManySiblings {
                count: wire.siblings.len(),
                max: MAX_PROOF_SIBLINGS,
            });
        }
        Ok(StateProof {
            leaf: wire.leaf.map(|leaf| ProofLeaf {
                key_hash: leaf.key_hash,
                value_hash: leaf.value_hash,
            }),
            siblings: wire
                .siblings
                .iter()
                .map(jmt_wire::Node::hash::<H>)
                .collect(),
        })
    }
}

/// Mirror of the borsh layout of `jmt` 0.12's `SparseMerkleProof`, whose fields are private.
mod jmt_wire {
    use borsh::BorshDeserialize;

    use super::{EMPTY_TREE_ROOT, ProofLeaf, TreeHasher, internal_node_hash_with};

    /// `SparseMerkleLeafNode { key_hash, value_hash }`.
    #[derive(BorshDeserialize)]
    pub(super) struct Leaf {
        pub(super) key_hash: [u8; 32],
        pub(super) value_hash: [u8; 32],
    }

    /// `SparseMerkleNode`: variant order Null, Internal, Leaf.
    #[derive(BorshDeserialize)]
    pub(super) enum Node {
        Null,
        Internal { left: [u8; 32], right: [u8; 32] },
        Leaf(Leaf),
    }

    impl Node {
        pub(super) fn hash<H: TreeHasher>(&self) -> [u8; 32] {
            match self {
                Node::Null => EMPTY_TREE_ROOT,
                Node::Internal { left, right } => internal_node_hash_with::<H>(left, right),
                Node::Leaf(leaf) => ProofLeaf {
                    key_hash: leaf.key_hash,
                    value_hash: leaf.value_hash,
                }
                .hash_with::<H>(),
            }
        }
    }

    /// `SparseMerkleProof { leaf, siblings, phantom_hasher }` (the phantom encodes to nothing).
    #[derive(BorshDeserialize)]
    pub(super) struct Proof {
        pub(super) leaf: Option<Leaf>,
        pub(super) siblings: Vec<Node>,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::state_key_hash;

    #[test]
    fn bit_order_is_msb_first() {
        let mut key_hash = [0u8; 32];
        key_hash[0] = 0b1000_0000;
        key_hash[31] = 0b0000_0001;
        assert!(key_bit(&key_hash, 0));
        assert!(!key_bit(&key_hash, 1));
        assert!(key_bit(&key_hash, 255));
        assert!(!key_bit(&key_hash, 254));
    }

    #[test]
    fn common_prefix_counts_leading_equal_bits() {
        let a = [0u8; 32];
        let mut b = [0u8; 32];
        assert_eq!(common_prefix_bits(&a, &b), 256);
        b[1] = 0b0010_0000;
        assert_eq!(common_prefix_bits(&a, &b), 10);
        b[0] = 0b1000_0000;
        assert_eq!(common_prefix_bits(&a, &b), 0);
    }

    #[test]
    fn single_leaf_tree_root_is_the_leaf_hash() {
        let key = b"only";
        let leaf = ProofLeaf {
            key_hash: state_key_hash(key).0,
            value_hash: value_hash(b"v"),
        };
        let proof = StateProof {
            leaf: Some(leaf),
            siblings: vec![],
        };
        let root = StateRoot(leaf.hash());
        assert_eq!(proof.verify(&root, key, Some(b"v")), Ok(()));
        // The same proof shows any other key absent.
        assert_eq!(proof.verify(&root, b"other", None), Ok(()));
        assert_eq!(
            proof.verify(&root, key, None),
            Err(ProofError::KeyPresent {
                key_hash: leaf.key_hash
            })
        );
    }

    #[test]
    fn empty_tree_proves_absence_only() {
        let proof = StateProof {
            leaf: None,
            siblings: vec![],
        };
        assert_eq!(proof.verify(&StateRoot::EMPTY, b"k", None), Ok(()));
        assert_eq!(
            proof.verify(&StateRoot::EMPTY, b"k", Some(b"v")),
            Err(ProofError::NoLeafForInclusion)
        );
    }

    #[test]
    fn too_many_siblings_refused() {
        let proof = StateProof {
            leaf: None,
            siblings: vec![[0; 32]; MAX_PROOF_SIBLINGS + 1],
        };
        assert_eq!(
            proof.verify(&StateRoot::EMPTY, b"k", None),
            Err(ProofError::TooManySiblings {
                count: 257,
                max: 256
            })
        );
        // Without a leaf, 257 siblings still fit the byte limit: the count check refuses them.
        assert_eq!(
            StateProof::from_bytes(&proof.to_bytes()),
            Err(ProofError::TooManySiblings {
                count: 257,
                max: 256
            })
        );
        assert!(matches!(
            StateProof::from_bytes(&vec![0; StateProof::MAX_ENCODED_LEN + 1]),
            Err(ProofError::Malformed(_))
        ));
        // Exactly at the limit decodes.
        let at_limit = StateProof {
            leaf: Some(ProofLeaf {
                key_hash: [2; 32],
                value_hash: [3; 32],
            }),
            siblings: vec![[1; 32]; MAX_PROOF_SIBLINGS],
        };
        let bytes = at_limit.to_bytes();
        assert_eq!(bytes.len(), StateProof::MAX_ENCODED_LEN);
        assert_eq!(StateProof::from_bytes(&bytes), Ok(at_limit));
    }

    #[test]
    fn json_uses_lowercase_hex() {
        let proof = StateProof {
            leaf: Some(ProofLeaf {
                key_hash: [0xaa; 32],
                value_hash: [0x0b; 32],
            }),
            siblings: vec![[0x01; 32]],
        };
        let json = serde_json::to_string(&proof).unwrap();
        assert_eq!(
            json,
            format!(
                "{{\"leaf\":{{\"key_hash\":\"{}\",\"value_hash\":\"{}\"}},\"siblings\":[\"{}\"]}}",
                "aa".repeat(32),
                "0b".repeat(32),
                "01".repeat(32)
            )
        );
        assert_eq!(serde_json::from_str::<StateProof>(&json).unwrap(), proof);
    }
}
