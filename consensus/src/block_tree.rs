//! The tree of uncommitted blocks above the last committed block (the root).
//!
//! Every block in the tree descends from the root; a block enters only when its parent is known.
//! Commit moves the root forward and prunes every branch that does not descend from the new root.
//! The tree is bounded by [`crate::Config::max_tree_blocks`].

use std::collections::{BTreeMap, BTreeSet};

use crate::types::{Block, BlockHeader, BlockId, QuorumCert};

/// Why a block was not added.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The parent is unknown (it must be synced first).
    #[error("parent {parent} of block {block} is unknown")]
    MissingParent {
        /// The block.
        block: BlockId,
        /// Its parent.
        parent: BlockId,
    },
    /// Height is not parent + 1 or round not above the parent's.
    #[error("block {block} at height {height} round {round} does not follow its parent")]
    BadParentLink {
        /// The block.
        block: BlockId,
        /// Its height.
        height: u64,
        /// Its round.
        round: u64,
    },
    /// At or below the committed height.
    #[error("block {block} at height {height} is not above the committed height {committed}")]
    AlreadyCommittedHeight {
        /// The block.
        block: BlockId,
        /// Its height.
        height: u64,
        /// The committed height.
        committed: u64,
    },
    /// The tree holds its maximum number of blocks.
    #[error("block tree is full ({limit} blocks)")]
    Full {
        /// The limit.
        limit: usize,
    },
}

/// Uncommitted blocks and the QCs known for them.
#[derive(Clone, Debug)]
pub struct BlockTree {
    root: BlockHeader,
    root_id: BlockId,
    root_qc: QuorumCert,
    blocks: BTreeMap<BlockId, Block>,
    qcs: BTreeMap<BlockId, QuorumCert>,
    max_blocks: usize,
}

impl BlockTree {
    /// A tree rooted at the committed block `root`, certified by `root_qc`.
    pub fn new(root: BlockHeader, root_qc: QuorumCert, max_blocks: usize) -> Self {
        let root_id = root.id();
        Self {
            root,
            root_id,
            root_qc,
            blocks: BTreeMap::new(),
            qcs: BTreeMap::new(),
            max_blocks,
        }
    }

    /// The committed tip.
    pub fn root(&self) -> &BlockHeader {
        &self.root
    }

    /// Id of the committed tip.
    pub fn root_id(&self) -> BlockId {
        self.root_id
    }

    /// The QC that certifies the committed tip.
    pub fn root_qc(&self) -> &QuorumCert {
        &self.root_qc
    }

    /// Number of uncommitted blocks held.
    pub fn len(&self) -> usize {
        self.blocks.len()
    }

    /// True when no uncommitted block is held.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// The header of `id`, if it is the root or in the tree.
    pub fn header(&self, id: &BlockId) -> Option<&BlockHeader> {
        if *id == self.root_id {
            return Some(&self.root);
        }
        self.blocks.get(id).map(|b| &b.header)
    }

    /// An uncommitted block.
    pub fn block(&self, id: &BlockId) -> Option<&Block> {
        self.blocks.get(id)
    }

    /// True when `id` is the root or in the tree.
    pub fn contains(&self, id: &BlockId) -> bool {
        *id == self.root_id || self.blocks.contains_key(id)
    }

    /// Add a block whose parent is known. Adding a block already present is a no-op.
    pub fn insert(&mut self, block: Block) -> Result<BlockId, TreeError> {
        let id = block.id();
        if self.blocks.contains_key(&id) {
            return Ok(id);
        }
        let header = &block.header;
        if header.height <= self.root.height {
            return Err(TreeError::AlreadyCommittedHeight {
                block: id,
                height: header.height,
                committed: self.root.height,
            });
        }
        let parent = self
            .header(&header.parent_id)
            .ok_or(TreeError::MissingParent {
                block: id,
                parent: header.parent_id,
            })?;
        if parent.height.checked_add(1) != Some(header.height) || header.round <= parent.round {
            return Err(TreeError::BadParentLink {
                block: id,
                height: header.height,
                round: header.round,
            });
        }
        if self.blocks.len() >= self.max_blocks {
            return Err(TreeError::Full {
                limit: self.max_blocks,
            });
        }
        self.blocks.insert(id, block);
        Ok(id)
    }

    /// Remember a verified QC for a block in the tree.
    pub fn record_qc(&mut self, qc: &QuorumCert) {
        let id = qc.block_id();
        if self.blocks.contains_key(&id) && !self.qcs.contains_key(&id) {
            self.qcs.insert(id, qc.clone());
        }
    }

    /// The QC known for `id`.
    pub fn qc(&self, id: &BlockId) -> Option<&QuorumCert> {
        if *id == self.root_id {
            return Some(&self.root_qc);
        }
        self.qcs.get(id)
    }

    /// The block that a QC on `certified` commits under the two-chain rule: its parent, when the
    /// parent is uncommitted and exactly one round earlier.
    pub fn commit_target(&self, certified: &BlockId) -> Option<BlockId> {
        let child = self.blocks.get(certified)?;
        let parent = self.blocks.get(&child.header.parent_id)?;
        (parent.header.round.checked_add(1) == Some(child.header.round))
            .then_some(child.header.parent_id)
    }

    /// Uncommitted blocks from the root's child up to `id`, ascending.
    pub fn path_from_root(&self, id: &BlockId) -> Option<Vec<&Block>> {
        let mut path = Vec::new();
        let mut cursor = *id;
        while cursor != self.root_id {
            let block = self.blocks.get(&cursor)?;
            path.push(block);
            cursor = block.header.parent_id;
        }
        path.reverse();
        Some(path)
    }

    /// Make `id` the new root (it must be in the tree), certified by `qc`; drop every block that
    /// does not descend from it. Returns the blocks that left the tree as committed, ascending.
    pub fn commit(&mut self, id: &BlockId, qc: QuorumCert) -> Option<Vec<Block>> {
        let ids: Vec<BlockId> = self.path_from_root(id)?.iter().map(|b| b.id()).collect();
        let mut committed = Vec::with_capacity(ids.len());
        for block_id in &ids {
            if let Some(block) = self.blocks.remove(block_id) {
                committed.push(block);
            }
        }
        let new_root = committed.last()?.header.clone();
        self.reroot(new_root, qc);
        Some(committed)
    }

    /// Replace the root (after a commit, a sync or an epoch change) and prune.
    pub fn reroot(&mut self, root: BlockHeader, root_qc: QuorumCert) {
        self.root_id = root.id();
        self.root = root;
        self.root_qc = root_qc;
        self.blocks.remove(&self.root_id);
        let mut by_height: Vec<(u64, BlockId, BlockId)> = self
            .blocks
            .iter()
            .map(|(id, b)| (b.header.height, *id, b.header.parent_id))
            .collect();
        by_height.sort();
        let mut kept = BTreeSet::from([self.root_id]);
        for (_, id, parent) in by_height {
            if kept.contains(&parent) {
                kept.insert(id);
            }
        }
        self.blocks.retain(|id, _| kept.contains(id));
        self.qcs.retain(|id, _| kept.contains(id));
    }

    /// Drop every uncommitted block (used when a new epoch starts).
    pub fn clear_uncommitted(&mut self) {
        self.blocks.clear();
        self.qcs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PublicKey;
    use crate::types::{ExecutedState, VoteData, payload_digest};

    fn child(parent: &BlockHeader, round: u64, tag: u8) -> Block {
        let parent_qc = QuorumCert::root(parent.vote_data());
        let header = BlockHeader {
            epoch: 0,
            round,
            height: parent.height + 1,
            parent_id: parent.id(),
            parent_qc,
            payload_digest: payload_digest(&[tag]),
            proposer: PublicKey([tag; 32]),
            timestamp_ms: parent.timestamp_ms + 1,
            executed: ExecutedState {
                height: 0,
                state_root: [0; 32],
            },
            next_validator_set: None,
        };
        Block {
            header,
            payload: vec![tag],
        }
    }

    fn root() -> BlockHeader {
        child(
            &BlockHeader {
                epoch: 0,
                round: 0,
                height: 0,
                parent_id: BlockId::default(),
                parent_qc: QuorumCert::root(VoteData {
                    epoch: 0,
                    round: 0,
                    height: 0,
                    block_id: BlockId::default(),
                }),
                payload_digest: [0; 32],
                proposer: PublicKey::default(),
                timestamp_ms: 0,
                executed: ExecutedState {
                    height: 0,
                    state_root: [0; 32],
                },
                next_validator_set: None,
            },
            0,
            0,
        )
        .header
    }

    #[test]
    fn insert_needs_parent_and_commit_prunes_forks() {
        let root = root();
        let mut tree = BlockTree::new(root.clone(), QuorumCert::root(root.vote_data()), 16);
        let a = child(&root, 1, 1);
        let b = child(&a.header, 2, 2);
        let fork = child(&root, 3, 3);
        let orphan = child(&b.header, 5, 5);
        let orphan_child = child(&orphan.header, 6, 6);
        assert!(matches!(
            tree.insert(orphan_child),
            Err(TreeError::MissingParent { .. })
        ));
        tree.insert(a.clone()).unwrap();
        tree.insert(b.clone()).unwrap();
        tree.insert(fork.clone()).unwrap();
        assert_eq!(tree.commit_target(&b.id()), Some(a.id()));
        let committed = tree
            .commit(&a.id(), QuorumCert::root(a.header.vote_data()))
            .unwrap();
        assert_eq!(committed, vec![a.clone()]);
        assert_eq!(tree.root_id(), a.id());
        assert!(tree.contains(&b.id()));
        assert!(
            !tree.contains(&fork.id()),
            "a fork of the committed chain is pruned"
        );
    }

    #[test]
    fn non_consecutive_rounds_do_not_commit() {
        let root = root();
        let mut tree = BlockTree::new(root.clone(), QuorumCert::root(root.vote_data()), 16);
        let a = child(&root, 1, 1);
        let b = child(&a.header, 3, 2);
        tree.insert(a).unwrap();
        tree.insert(b.clone()).unwrap();
        assert_eq!(tree.commit_target(&b.id()), None);
    }

    #[test]
    fn capacity_is_enforced_at_the_limit() {
        let root = root();
        let mut tree = BlockTree::new(root.clone(), QuorumCert::root(root.vote_data()), 2);
        tree.insert(child(&root, 1, 1)).unwrap();
        tree.insert(child(&root, 2, 2)).unwrap();
        assert_eq!(
            tree.insert(child(&root, 3, 3)),
            Err(TreeError::Full { limit: 2 })
        );
    }
}
