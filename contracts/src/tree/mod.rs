//! Authenticated ledger state: a Jellyfish Merkle Tree (the `jmt` crate) hashed with blake3.
//!
//! All ledger state is key/value bytes. Each committed block height is one tree *version*; its
//! [`StateRoot`] goes into the block header, and any key can be read back at any kept version with a
//! [`StateProof`] of inclusion or non-inclusion that a verifier checks against that root alone.
//!
//! Pieces:
//! - [`hasher`]: the blake3 hasher the tree runs on and how keys become 32-byte key hashes.
//! - [`store`]: the [`TreeStore`] trait a node backs with its database, and [`MemoryTreeStore`].
//! - [`state_tree`]: [`StateTree`], which applies one version's writes and answers reads.
//! - [`proof`]: [`StateProof`], our own documented proof format, and its independent verifier.
//! - `prove`: builds a [`StateProof`] from the stored nodes (equal to the library's, cheaper).
//! - [`serde_hex`]: strict lowercase-hex serde helpers for fixed-size byte fields.
//!
//! This module must never decide what keys mean (that is the state machine's job), never read a
//! clock or do IO itself (the store is behind a trait), and never accept a write larger than
//! [`MAX_KEY_LEN_BYTES`] / [`MAX_VALUE_LEN_BYTES`].

pub mod hasher;
pub mod proof;
mod proof_node;
mod prove;
mod root;
pub mod serde_hex;
pub mod state_tree;
pub mod store;

pub use hasher::{
    Blake3Hasher, STATE_KEY_HASH_TAG, STATE_TREE_HASH_TAG, Sm3Hasher, SuiteHasher, TreeHasher,
    state_key_hash,
};
pub use proof::{MAX_PROOF_SIBLINGS, ProofError, ProofLeaf, StateProof};
pub use proof_node::{ProofNode, ProofStep};
pub use root::{EMPTY_TREE_ROOT, StateRoot};
pub use state_tree::StateTree;
pub use store::{MemoryTreeStore, PruneStats, TreeStore, root_node_key};

/// Longest key the tree accepts, in bytes. Keys are structured identifiers chosen by the state
/// machine (a table prefix plus a digest or DID), never free text.
pub const MAX_KEY_LEN_BYTES: usize = 256;

/// Largest value the tree accepts, in bytes. Values are small canonical records.
pub const MAX_VALUE_LEN_BYTES: usize = 64 * 1024;

/// Highest version the tree accepts: the tree library reserves `u64::MAX` for a pre-genesis root.
pub const MAX_TREE_VERSION: u64 = u64::MAX - 1;

/// Most key writes one version may carry. Blocks are far smaller; genesis is the largest writer.
pub const MAX_WRITES_PER_VERSION: usize = 1 << 20;

/// Why the tree refused an operation or could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A key in the write set is longer than [`MAX_KEY_LEN_BYTES`].
    #[error("key of {len} bytes is over the limit of {max} bytes")]
    KeyTooLong {
        /// Length of the refused key.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A value in the write set is larger than [`MAX_VALUE_LEN_BYTES`].
    #[error("value of {len} bytes is over the limit of {max} bytes")]
    ValueTooLarge {
        /// Length of the refused value.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The write set has more entries than [`MAX_WRITES_PER_VERSION`].
    #[error("write set of {count} entries is over the limit of {max}")]
    TooManyWrites {
        /// Number of entries offered.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A version was applied that is not greater than the latest one.
    #[error("version {got} does not follow the latest version {latest}")]
    VersionNotIncreasing {
        /// The latest version already in the store.
        latest: u64,
        /// The version that was offered.
        got: u64,
    },
    /// The version is above [`MAX_TREE_VERSION`].
    #[error("version {version} is above the highest usable version {max}")]
    VersionOutOfRange {
        /// The version that was offered.
        version: u64,
        /// The limit.
        max: u64,
    },
    /// The version has no root in the store: never written, skipped, or pruned.
    #[error("no tree root stored for version {version} (never written or pruned)")]
    VersionMissing {
        /// The version asked for.
        version: u64,
    },
    /// Pruning was asked to drop the latest version or versions that do not exist yet.
    #[error("cannot prune below version {oldest_kept_version}: latest version is {latest:?}")]
    PruneBeyondLatest {
        /// The requested oldest version to keep.
        oldest_kept_version: u64,
        /// The latest version in the store, if any.
        latest: Option<u64>,
    },
    /// The backing store failed (message from the store implementation).
    #[error("tree store failure: {0}")]
    Store(String),
    /// The Merkle tree library reported an error (usually a missing node in the store).
    #[error("merkle tree failure: {0}")]
    Tree(String),
    /// A proof produced by the tree library could not be converted to a [`StateProof`].
    #[error("proof conversion failed: {0}")]
    Proof(#[from] ProofError),
}

impl TreeError {
    /// Wrap an error from the tree library or a [`jmt::storage::TreeReader`] implementation.
    pub fn from_tree_library(error: &anyhow::Error) -> Self {
        TreeError::Tree(format!("{error:#}"))
    }
}
