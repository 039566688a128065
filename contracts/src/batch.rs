//! Batch anchoring: one Merkle root over many licence commitments.
//!
//! An issuer anchors a batch of licence commitments (see [`crate::licence_id::licence_commitment`])
//! as a single root on the ledger; the holder of one licence later presents a [`BatchProof`] that
//! its commitment is leaf `index` of the batch with that root and `count` leaves. The ledger never
//! sees the individual commitments of a batch.
//!
//! # Hashing rules (byte-exact)
//!
//! `||` is byte concatenation and `blake3(x)` is the standard 32-byte BLAKE3 hash (hash mode, no
//! key, no context). The tags are fixed-length ASCII strings, written without any length prefix
//! or terminator. On a chain of the `sm2-sm3` suite every `blake3` below is SM3 (ADR 019).
//!
//! - **Leaf.** `leaf_hash(c) = blake3("yrd-ledger/batch-leaf/v1" || c)` for a 32-byte commitment
//!   `c` ([`BATCH_LEAF_TAG`], 24 bytes).
//! - **Node.** `node_hash(l, r) = blake3("yrd-ledger/batch-node/v1" || l || r)`
//!   ([`BATCH_NODE_TAG`], 24 bytes).
//! - **Tree hash** of `n >= 1` leaves `c[0..n]`, as in RFC 6962 section 2.1: `MTH` of one leaf is
//!   its leaf hash; for `n > 1`, let `k` be the largest power of two strictly less than `n`; then
//!   `MTH(c[0..n]) = node_hash(MTH(c[0..k]), MTH(c[k..n]))`. Odd leaves are never duplicated.
//!   Equivalently, level by level: level 0 is the leaf hashes; each next level pairs entries
//!   `(0,1), (2,3), ...` with `node_hash`, and an unpaired last entry moves up unchanged; `MTH` is
//!   the single entry of the top level.
//! - **Root** (what is anchored): `root = blake3("yrd-ledger/batch-root/v1" || u64_le(n) || MTH)`
//!   ([`BATCH_ROOT_TAG`], 24 bytes; `u64_le(n)` is the leaf count as 8 little-endian bytes). An
//!   RFC 6962 audit path alone does not fix the tree size (the path of leaf 0 in a batch of 5 also
//!   fits a batch of 8), so the root commits to the count and a proof's `count` cannot be altered.
//!
//! A batch of zero leaves has no root and is invalid; a batch holds at most [`MAX_BATCH_LEAVES`].
//!
//! # Proof ([`BatchProof`]) and verification
//!
//! A proof holds the leaf `index` (from 0), the batch's leaf `count`, and `siblings`, listed from
//! the leaf level upward. To verify commitment `c` against `root`:
//!
//! 1. Require `1 <= count <= MAX_BATCH_LEAVES` and `index < count`.
//! 2. Set `h = leaf_hash(c)`, `i = index`, `size = count`, `j = 0`.
//! 3. While `size > 1`: if `i` is odd, `h = node_hash(siblings[j], h)` and `j += 1`; else if
//!    `i + 1 < size`, `h = node_hash(h, siblings[j])` and `j += 1`; else (the last, unpaired entry)
//!    `h` is unchanged. Then `i = i / 2` and `size = (size + 1) / 2` (integer division).
//! 4. Require that exactly all siblings were used (`j == siblings.len()`; a proof with too few or
//!    too many siblings for `(index, count)` is refused) and
//!    `blake3(BATCH_ROOT_TAG || u64_le(count) || h) == root`.
//!
//! This module must never accept an empty batch or a proof whose sibling count does not match
//! its `(index, count)`.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use yrd_consensus::CryptoSuite;

use crate::codec::{decode_canonical_bounded, encode};
use crate::tree::serde_hex;

/// Length of every batch domain tag.
const BATCH_TAG_LEN: usize = 24;

/// Domain tag of a batch leaf hash (24 ASCII bytes).
pub const BATCH_LEAF_TAG: &[u8; BATCH_TAG_LEN] = b"yrd-ledger/batch-leaf/v1";

/// Domain tag of a batch internal node hash (24 ASCII bytes).
pub const BATCH_NODE_TAG: &[u8; BATCH_TAG_LEN] = b"yrd-ledger/batch-node/v1";

/// Domain tag of a batch root, which binds the leaf count to the tree hash (24 ASCII bytes).
pub const BATCH_ROOT_TAG: &[u8; BATCH_TAG_LEN] = b"yrd-ledger/batch-root/v1";

/// Most leaves one batch may hold (2^24, about 16.8 million).
pub const MAX_BATCH_LEAVES: u64 = 1 << 24;

/// Most siblings a proof can need: the height of a tree of [`MAX_BATCH_LEAVES`] leaves.
pub const MAX_BATCH_PROOF_SIBLINGS: usize = 24;

/// Why a batch or a batch proof was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// A batch must hold at least one leaf.
    #[error("a batch must hold at least one leaf")]
    Empty,
    /// More leaves than [`MAX_BATCH_LEAVES`].
    #[error("batch of {count} leaves is over the limit of {max}")]
    TooManyLeaves {
        /// Leaves offered or claimed.
        count: u64,
        /// The limit.
        max: u64,
    },
    /// The leaf index is not below the leaf count.
    #[error("leaf index {index} is out of range for a batch of {count} leaves")]
    IndexOutOfRange {
        /// The index asked for or claimed.
        index: u64,
        /// Leaves in the batch.
        count: u64,
    },
    /// The proof lists a different number of siblings than `(index, count)` requires.
    #[error("proof has {got} siblings, leaf {index} of {count} needs {expected}")]
    WrongSiblingCount {
        /// The leaf index in the proof.
        index: u64,
        /// The leaf count in the proof.
        count: u64,
        /// Siblings required.
        expected: usize,
        /// Siblings present.
        got: usize,
    },
    /// The proof leads to a different root.
    #[error(
        "proof computes root {}, expected {}",
        hex::encode(computed),
        hex::encode(expected)
    )]
    RootMismatch {
        /// The trusted root.
        expected: [u8; 32],
        /// The root the proof leads to.
        computed: [u8; 32],
    },
    /// The proof bytes are not a canonical proof encoding.
    #[error("malformed batch proof: {0}")]
    Malformed(String),
}

/// `blake3(BATCH_LEAF_TAG || commitment)`.
pub fn batch_leaf_hash(commitment: &[u8; 32]) -> [u8; 32] {
    // One-shot hashing of a stack buffer: a million of these build a batch.
    let mut preimage = [0u8; BATCH_TAG_LEN + 32];
    let (tag, rest) = preimage.split_at_mut(BATCH_TAG_LEN);
    tag.copy_from_slice(BATCH_LEAF_TAG);
    rest.copy_from_slice(commitment);
    CryptoSuite::current().hash_parts(&[&preimage])
}

/// `blake3(BATCH_NODE_TAG || left || right)`.
pub fn batch_node_hash(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut preimage = [0u8; BATCH_TAG_LEN + 64];
    let (tag, rest) = preimage.split_at_mut(BATCH_TAG_LEN);
    tag.copy_from_slice(BATCH_NODE_TAG);
    let (left_half, right_half) = rest.split_at_mut(32);
    left_half.copy_from_slice(left);
    right_half.copy_from_slice(right);
    CryptoSuite::current().hash_parts(&[&preimage])
}

/// `blake3(BATCH_ROOT_TAG || u64_le(count) || tree_hash)`: the anchored root.
pub fn batch_root_from_tree_hash(count: u64, tree_hash: &[u8; 32]) -> [u8; 32] {
    CryptoSuite::current().hash_parts(&[BATCH_ROOT_TAG, &count.to_le_bytes(), tree_hash])
}

fn check_leaf_count(count: u64) -> Result<(), BatchError> {
    if count == 0 {
        return Err(BatchError::Empty);
    }
    if count > MAX_BATCH_LEAVES {
        return Err(BatchError::TooManyLeaves {
            count,
            max: MAX_BATCH_LEAVES,
        });
    }
    Ok(())
}

/// One level up: pair neighbours, carry an unpaired last entry unchanged.
fn next_level(level: &[[u8; 32]]) -> Vec<[u8; 32]> {
    let pairs = level.chunks_exact(2);
    let unpaired = pairs.remainder().first().copied();
    let mut up = Vec::with_capacity(level.len().div_ceil(2));
    for pair in pairs {
        if let [left, right] = pair {
            up.push(batch_node_hash(left, right));
        }
    }
    up.extend(unpaired);
    up
}

/// The root over `leaves` (licence commitments, in batch order) without keeping the levels.
pub fn batch_root(leaves: &[[u8; 32]]) -> Result<[u8; 32], BatchError> {
    check_leaf_count(leaves.len() as u64)?;
    let mut level: Vec<[u8; 32]> = leaves.iter().map(batch_leaf_hash).collect();
    while level.len() > 1 {
        level = next_level(&level);
    }
    let tree_hash = level.first().copied().ok_or(BatchError::Empty)?;
    Ok(batch_root_from_tree_hash(leaves.len() as u64, &tree_hash))
}

/// Number of siblings the proof of leaf `index` in a batch of `count` leaves lists.
pub fn proof_sibling_count(index: u64, count: u64) -> Result<usize, BatchError> {
    check_leaf_count(count)?;
    if index >= count {
        return Err(BatchError::IndexOutOfRange { index, count });
    }
    let (mut position, mut size, mut siblings) = (index, count, 0usize);
    while size > 1 {
        if position % 2 == 1 || position + 1 < size {
            siblings += 1;
        }
        position /= 2;
        size = size.div_ceil(2);
    }
    Ok(siblings)
}

/// A batch with all its levels kept, to hand out proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTree {
    /// `levels[0]` holds the leaf hashes, the last level holds only the tree hash `MTH`.
    levels: Vec<Vec<[u8; 32]>>,
    /// The anchored root (tree hash bound to the leaf count).
    root: [u8; 32],
}

impl BatchTree {
    /// Build the tree over `leaves` (licence commitments, in batch order).
    pub fn build(leaves: Vec<[u8; 32]>) -> Result<Self, BatchError> {
        check_leaf_count(leaves.len() as u64)?;
        let mut level: Vec<[u8; 32]> = leaves.iter().map(batch_leaf_hash).collect();
        drop(leaves);
        let mut levels = Vec::new();
        while level.len() > 1 {
            let up = next_level(&level);
            levels.push(level);
            level = up;
        }
        let tree_hash = level.first().copied().ok_or(BatchError::Empty)?;
        levels.push(level);
        let root = batch_root_from_tree_hash(levels.first().map_or(0, Vec::len) as u64, &tree_hash);
        Ok(BatchTree { levels, root })
    }

    /// The anchored batch root.
    pub fn root(&self) -> [u8; 32] {
        self.root
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Always false: an empty batch cannot be built.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The inclusion proof of leaf `index`.
    pub fn proof(&self, index: u64) -> Result<BatchProof, BatchError> {
        let count = self.len();
        if index >= count {
            return Err(BatchError::IndexOutOfRange { index, count });
        }
        let mut siblings = Vec::new();
        let mut position = index;
        for level in &self.levels {
            if level.len() <= 1 {
                break;
            }
            let sibling_position = position ^ 1;
            if let Some(sibling) = usize::try_from(sibling_position)
                .ok()
                .and_then(|at| level.get(at))
            {
                siblings.push(*sibling);
            }
            position /= 2;
        }
        Ok(BatchProof {
            index,
            count,
            siblings,
        })
    }
}

/// Proof that a commitment is leaf `index` of a batch of `count` leaves. Verification rules: see
/// the module documentation.
///
/// Borsh: `index` (u64 LE), `count` (u64 LE), `siblings` (u32 LE count, then 32-byte hashes).
/// JSON: `{"index": n, "count": n, "siblings": [64-char lowercase hex, ...]}`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchProof {
    /// Position of the leaf in the batch, from 0.
    pub index: u64,
    /// Number of leaves in the batch.
    pub count: u64,
    /// Sibling hashes from the leaf level upward.
    #[serde(with = "serde_hex::bytes32_vec")]
    pub siblings: Vec<[u8; 32]>,
}

impl BatchProof {
    /// Largest canonical encoding of a proof.
    pub const MAX_ENCODED_LEN: usize = 8 + 8 + 4 + MAX_BATCH_PROOF_SIBLINGS * 32;

    /// Check that `leaf_commitment` is leaf `index` of a batch of `count` leaves with `root`.
    pub fn verify(&self, root: &[u8; 32], leaf_commitment: &[u8; 32]) -> Result<(), BatchError> {
        let expected = proof_sibling_count(self.index, self.count)?;
        if self.siblings.len() != expected {
            return Err(BatchError::WrongSiblingCount {
                index: self.index,
                count: self.count,
                expected,
                got: self.siblings.len(),
            });
        }
        let mut hash = batch_leaf_hash(leaf_commitment);
        let mut siblings = self.siblings.iter();
        let (mut position, mut size) = (self.index, self.count);
        while size > 1 {
            if position % 2 == 1 {
                if let Some(sibling) = siblings.next() {
                    hash = batch_node_hash(sibling, &hash);
                }
            } else if position + 1 < size
                && let Some(sibling) = siblings.next()
            {
                hash = batch_node_hash(&hash, sibling);
            }
            position /= 2;
            size = size.div_ceil(2);
        }
        let computed = batch_root_from_tree_hash(self.count, &hash);
        if computed != *root {
            return Err(BatchError::RootMismatch {
                expected: *root,
                computed,
            });
        }
        Ok(())
    }

    /// The canonical borsh bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decode from canonical borsh bytes, refusing oversize input.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BatchError> {
        decode_canonical_bounded(bytes, Self::MAX_ENCODED_LEN)
            .map_err(|error| BatchError::Malformed(error.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commitments(n: u8) -> Vec<[u8; 32]> {
        (0..n).map(|i| [i; 32]).collect()
    }

    #[test]
    fn small_roots_follow_the_split_rule() {
        let c = commitments(3);
        let l: Vec<_> = c.iter().map(batch_leaf_hash).collect();
        let bound = batch_root_from_tree_hash;
        assert_eq!(batch_root(&c[..1]), Ok(bound(1, &l[0])));
        assert_eq!(
            batch_root(&c[..2]),
            Ok(bound(2, &batch_node_hash(&l[0], &l[1])))
        );
        assert_eq!(
            batch_root(&c),
            Ok(bound(
                3,
                &batch_node_hash(&batch_node_hash(&l[0], &l[1]), &l[2])
            ))
        );
    }

    #[test]
    fn empty_batch_is_invalid() {
        assert_eq!(batch_root(&[]), Err(BatchError::Empty));
        assert_eq!(BatchTree::build(vec![]), Err(BatchError::Empty));
        let proof = BatchProof {
            index: 0,
            count: 0,
            siblings: vec![],
        };
        assert_eq!(proof.verify(&[0; 32], &[0; 32]), Err(BatchError::Empty));
    }

    #[test]
    fn tags_are_pinned() {
        assert_eq!(BATCH_LEAF_TAG, b"yrd-ledger/batch-leaf/v1");
        assert_eq!(BATCH_NODE_TAG, b"yrd-ledger/batch-node/v1");
        assert_eq!(BATCH_ROOT_TAG, b"yrd-ledger/batch-root/v1");
        let mut preimage = BATCH_LEAF_TAG.to_vec();
        preimage.extend_from_slice(&[9; 32]);
        assert_eq!(
            batch_leaf_hash(&[9; 32]),
            *blake3::hash(&preimage).as_bytes()
        );
    }

    #[test]
    fn sibling_count_limit_matches_max_leaves() {
        assert_eq!(
            proof_sibling_count(0, MAX_BATCH_LEAVES),
            Ok(MAX_BATCH_PROOF_SIBLINGS)
        );
        assert_eq!(
            proof_sibling_count(0, MAX_BATCH_LEAVES + 1),
            Err(BatchError::TooManyLeaves {
                count: MAX_BATCH_LEAVES + 1,
                max: MAX_BATCH_LEAVES
            })
        );
        // The last leaf of a batch one past a power of two stays unpaired up to the top.
        assert_eq!(proof_sibling_count(1 << 23, (1 << 23) + 1), Ok(1));
    }
}
