//! An internal tree node prepared for proofs: [`ProofNode`].
//!
//! A proof through a 16-ary internal node carries four siblings, each the hash of a binary range
//! of its children (8, 4, 2 and 1 wide). Computing them takes up to 11 hashes per node per proof.
//! A [`ProofNode`] computes every range hash of the node once (at most 14 hashes), so that each
//! later proof through it takes none: the upper levels of the tree are on the path of every
//! proof, and a store may keep their prepared form ([`super::TreeStore::proof_node`]).
//!
//! The range hashes follow exactly the rule the tree defines (and the earlier, per-proof walk
//! applied): an empty range is the placeholder, a range holding a single child that is a leaf
//! (or one slot wide) is that child's hash, anything else is the internal hash of its two halves.

use std::any::TypeId;
use std::sync::Arc;

use jmt::Version;
use jmt::storage::Node;

use super::TreeError;
use super::hasher::TreeHasher;
use super::proof::internal_node_hash_with;
use super::root::EMPTY_TREE_ROOT;

/// Offsets into [`ProofNode::ranges`] of the ranges 8, 4 and 2 children wide.
const OFFSET_8: usize = 0;
const OFFSET_4: usize = 2;
const OFFSET_2: usize = 6;
const RANGES: usize = 14;

/// One step of a proof walk: an internal node prepared for proofs, or any other node as stored
/// (a leaf, or the null node of an empty tree).
#[derive(Debug, Clone)]
pub enum ProofStep {
    /// An internal node.
    Internal(Arc<ProofNode>),
    /// A leaf or the null node.
    Other(Node),
}

impl ProofStep {
    /// `node`, with an internal node prepared with `H`.
    pub fn from_node<H: TreeHasher>(node: Node) -> Result<Self, TreeError> {
        Ok(match node {
            Node::Internal(internal) => {
                let children = internal.children_unsorted().map(|(nibble, child)| {
                    (u8::from(nibble), child.hash, child.version, child.is_leaf())
                });
                ProofStep::Internal(Arc::new(ProofNode::new::<H>(children)?))
            }
            other => ProofStep::Other(other),
        })
    }
}

/// An internal node's children (hash and version by nibble, and which are leaves) and the hash
/// of every binary range of them (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofNode {
    /// The hasher the ranges were computed with: a cache shared by trees of two suites never
    /// hands one's ranges to the other.
    hasher: TypeId,
    children: [Option<([u8; 32], Version)>; 16],
    /// Bit `i` set: nibble `i` has a child.
    existence: u16,
    /// Bit `i` set: nibble `i`'s child is a leaf.
    leaves: u16,
    /// The 8-, 4- and 2-wide ranges, left to right, at [`OFFSET_8`], [`OFFSET_4`], [`OFFSET_2`].
    ranges: [[u8; 32]; RANGES],
}

impl ProofNode {
    /// Prepare an internal node with hasher `H`, from its children: (nibble, hash, version,
    /// whether a leaf).
    fn new<H: TreeHasher>(
        children: impl Iterator<Item = (u8, [u8; 32], Version, bool)>,
    ) -> Result<Self, TreeError> {
        let mut node = ProofNode {
            hasher: TypeId::of::<H>(),
            children: [None; 16],
            existence: 0,
            leaves: 0,
            ranges: [EMPTY_TREE_ROOT; RANGES],
        };
        for (nibble, hash, version, is_leaf) in children {
            let index = nibble & 0x0f;
            if let Some(slot) = node.children.get_mut(usize::from(index)) {
                *slot = Some((hash, version));
            }
            node.existence |= 1 << index;
            if is_leaf {
                node.leaves |= 1 << index;
            }
        }
        // Bottom-up: each width from the one below it.
        node.fill::<H>(OFFSET_2, 2, None)?;
        node.fill::<H>(OFFSET_4, 4, Some(OFFSET_2))?;
        node.fill::<H>(OFFSET_8, 8, Some(OFFSET_4))?;
        Ok(node)
    }

    /// Whether the ranges were computed with hasher `H`.
    pub fn prepared_with<H: TreeHasher>(&self) -> bool {
        self.hasher == TypeId::of::<H>()
    }

    /// Compute the ranges `width` wide from those half as wide (at `below`; `None`: single
    /// children).
    fn fill<H: TreeHasher>(
        &mut self,
        offset: usize,
        width: u8,
        below: Option<usize>,
    ) -> Result<(), TreeError> {
        let half = width / 2;
        for index in 0..(16 / width) {
            let start = index * width;
            let hash = match self.collapsed(start, width)? {
                Some(hash) => hash,
                None => {
                    let (left, right) = match below {
                        Some(below) => (
                            self.stored(below, start / half)?,
                            self.stored(below, start / half + 1)?,
                        ),
                        None => (self.single(start)?, self.single(start + 1)?),
                    };
                    internal_node_hash_with::<H>(&left, &right)
                }
            };
            let slot = self
                .ranges
                .get_mut(offset + usize::from(index))
                .ok_or_else(|| TreeError::Tree("range index out of bounds".into()))?;
            *slot = hash;
        }
        Ok(())
    }

    /// The hash of a range when the rule needs no hashing for it: the placeholder when empty,
    /// the child's own hash when it is a single leaf (or the range is one slot wide).
    fn collapsed(&self, start: u8, width: u8) -> Result<Option<[u8; 32]>, TreeError> {
        let (existence, leaves) = self.range(start, width);
        if existence == 0 {
            return Ok(Some(EMPTY_TREE_ROOT));
        }
        if has_only_child(width, existence, leaves) {
            return Ok(Some(self.only_child(existence)?.1));
        }
        Ok(None)
    }

    /// The hash of the one-slot range at `nibble`.
    fn single(&self, nibble: u8) -> Result<[u8; 32], TreeError> {
        Ok(self.collapsed(nibble, 1)?.unwrap_or(EMPTY_TREE_ROOT))
    }

    fn stored(&self, offset: usize, index: u8) -> Result<[u8; 32], TreeError> {
        self.ranges
            .get(offset + usize::from(index))
            .copied()
            .ok_or_else(|| TreeError::Tree("range index out of bounds".into()))
    }

    /// The hash of the range `width` wide starting at `start`.
    fn range_hash(&self, start: u8, width: u8) -> Result<[u8; 32], TreeError> {
        let offset = match width {
            1 => return self.single(start),
            2 => OFFSET_2,
            4 => OFFSET_4,
            8 => OFFSET_8,
            _ => return Err(TreeError::Tree(format!("no range {width} wide"))),
        };
        self.stored(offset, start / width)
    }

    /// Walk the node's four binary levels towards `nibble`, pushing each level's sibling hash;
    /// the child the path continues into (its nibble and version), or `None` when the path ends
    /// in an empty range.
    pub fn descend(
        &self,
        nibble: u8,
        siblings_top_down: &mut Vec<[u8; 32]>,
    ) -> Result<Option<(u8, Version)>, TreeError> {
        for height in (0..4u8).rev() {
            let width = 1u8 << height;
            let child_half = (0xffu8 << height) & nibble;
            siblings_top_down.push(self.range_hash(child_half ^ width, width)?);
            let (existence, leaves) = self.range(child_half, width);
            if existence == 0 {
                return Ok(None);
            }
            if has_only_child(width, existence, leaves) {
                let (index, _, version) = self.only_child(existence)?;
                return Ok(Some((index, version)));
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

    /// The child of a range whose existence bitmap has one bit set (the lowest set bit): its
    /// nibble, hash and version.
    fn only_child(&self, existence: u16) -> Result<(u8, [u8; 32], Version), TreeError> {
        let index = existence.trailing_zeros() as u8;
        self.children
            .get(usize::from(index))
            .copied()
            .flatten()
            .map(|(hash, version)| (index, hash, version))
            .ok_or_else(|| TreeError::Tree("child bitmap names a missing child".into()))
    }
}

/// The range collapses to one child: a single slot, or a single child that is a leaf.
fn has_only_child(width: u8, existence: u16, leaves: u16) -> bool {
    width == 1 || (existence.count_ones() == 1 && leaves != 0)
}
