//! Every table of the node database, in one place. [`ALL_TABLES`] is the list the database is
//! opened with: one RocksDB column family per table.
//!
//! Values are the owning crate's own types, stored as their canonical borsh encodings: blocks,
//! commit certificates and safety data from `yrd-consensus`; signed transactions and receipts
//! from `yrd-contracts`. Storage never invents a format of its own for them.
//!
//! A block is stored whole (header and payload) so that block sync serves it byte for byte; its
//! transactions are stored again one by one for lookups by hash. That costs the transaction bytes
//! twice, in exchange for never re-encoding a payload.

use borsh::{BorshDeserialize, BorshSerialize};
use jmt::storage::{Node, NodeKey};
use yrd_consensus::{Block, CommitCertificate};
use yrd_contracts::{Receipt, SignedTx};

use super::table::{KeyCodec, KeyDecodeError, Table, UsccKey};

/// A block height, which is also the state-tree version that block's execution produced.
pub type Height = u64;

/// A 32-byte blake3 digest (block hash, transaction hash, key hash, state root).
pub type Hash32 = [u8; 32];

/// Where a transaction sits in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxLocation {
    /// Height of the block holding it.
    pub height: Height,
    /// Its position in that block.
    pub index: u32,
}

/// The latest committed and executed block, as recorded in the same batch as the block itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommittedHead {
    /// Height of the latest committed block; also the latest state-tree version.
    pub height: Height,
    /// That block's hash.
    pub block_hash: Hash32,
    /// The state root after executing it.
    pub state_root: Hash32,
}

/// Keys of the metadata table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MetadataKey {
    /// The schema version of the data directory ([`MetadataValue::SchemaVersion`]).
    SchemaVersion,
    /// The latest committed block ([`MetadataValue::CommittedHead`]).
    CommittedHead,
    /// The genesis block hash ([`MetadataValue::GenesisHash`]).
    GenesisHash,
    /// The oldest state version pruning has kept readable ([`MetadataValue::Version`]).
    OldestReadableVersion,
    /// The latest committed state-tree version ([`MetadataValue::Version`]).
    TreeLatestVersion,
    /// A state snapshot being restored by state sync ([`MetadataValue::Restore`]); absent once
    /// the restore finished or when none was ever started.
    RestoreProgress,
}

impl MetadataKey {
    const fn tag(self) -> u8 {
        match self {
            MetadataKey::SchemaVersion => 0,
            MetadataKey::CommittedHead => 1,
            MetadataKey::GenesisHash => 2,
            MetadataKey::OldestReadableVersion => 3,
            MetadataKey::TreeLatestVersion => 4,
            MetadataKey::RestoreProgress => 5,
        }
    }

    /// The key's name, for error messages.
    pub const fn name(self) -> &'static str {
        match self {
            MetadataKey::SchemaVersion => "schema_version",
            MetadataKey::CommittedHead => "committed_head",
            MetadataKey::GenesisHash => "genesis_hash",
            MetadataKey::OldestReadableVersion => "oldest_readable_version",
            MetadataKey::TreeLatestVersion => "tree_latest_version",
            MetadataKey::RestoreProgress => "restore_progress",
        }
    }
}

impl KeyCodec for MetadataKey {
    fn encode_key(&self) -> Vec<u8> {
        vec![self.tag()]
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        match bytes {
            [0] => Ok(MetadataKey::SchemaVersion),
            [1] => Ok(MetadataKey::CommittedHead),
            [2] => Ok(MetadataKey::GenesisHash),
            [3] => Ok(MetadataKey::OldestReadableVersion),
            [4] => Ok(MetadataKey::TreeLatestVersion),
            [5] => Ok(MetadataKey::RestoreProgress),
            other => Err(KeyDecodeError(format!(
                "unknown metadata key {}",
                hex::encode(other)
            ))),
        }
    }
}

/// Values of the metadata table; each [`MetadataKey`] names the variant it holds.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum MetadataValue {
    /// A schema version.
    SchemaVersion(u32),
    /// The latest committed block.
    CommittedHead(CommittedHead),
    /// The genesis block hash.
    GenesisHash(Hash32),
    /// A state-tree version.
    Version(u64),
    /// How far a snapshot restore got.
    Restore(RestoreProgress),
}

/// A state snapshot being restored: the version and root it must reach, and the rightmost leaf
/// already written (the restore resumes after it).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RestoreProgress {
    /// The state version being restored.
    pub version: u64,
    /// The root it must have (attested by a commit certificate).
    pub root: Hash32,
    /// Node key of the rightmost leaf written so far.
    pub rightmost_leaf: Option<NodeKey>,
}

/// Committed blocks (header and payload) by height.
#[derive(Debug)]
pub struct Blocks;
impl Table for Blocks {
    const NAME: &'static str = "blocks";
    const MAX_VALUE_BYTES: usize = 64 * 1024 * 1024;
    type Key = Height;
    type Value = Block;
}

/// Commit certificates by the height of the block they certify.
#[derive(Debug)]
pub struct Certificates;
impl Table for Certificates {
    const NAME: &'static str = "certificates";
    type Key = Height;
    type Value = CommitCertificate;
}

/// Transactions by (height, index in block): one block's transactions are one key range.
#[derive(Debug)]
pub struct Transactions;
impl Table for Transactions {
    const NAME: &'static str = "transactions";
    type Key = (Height, u32);
    type Value = SignedTx;
}

/// Receipts by (height, index in block), parallel to [`Transactions`].
#[derive(Debug)]
pub struct Receipts;
impl Table for Receipts {
    const NAME: &'static str = "receipts";
    type Key = (Height, u32);
    type Value = Receipt;
}

/// State-tree nodes by node key (version, nibble path).
#[derive(Debug)]
pub struct TreeNodes;
impl Table for TreeNodes {
    const NAME: &'static str = "tree_nodes";
    type Key = NodeKey;
    type Value = Node;
}

/// State-tree values by (key hash, version); `None` records a deletion at that version. The
/// latest value at or below a version is one reverse seek.
#[derive(Debug)]
pub struct TreeValues;
impl Table for TreeValues {
    const NAME: &'static str = "tree_values";
    type Key = (Hash32, u64);
    type Value = Option<Vec<u8>>;
}

/// The newest entry of [`TreeValues`] for each key hash: (its version, value or `None` for a
/// deletion). Written in the same batch as the entry, so it is complete from schema version 2
/// on: a read at or above that version is one point lookup (bloom-filtered) instead of a
/// reverse seek through every level, and a key hash absent here was never written. Never
/// pruned (the newest entry is always kept); a deleted key leaves its `(version, None)` here.
#[derive(Debug)]
pub struct TreeLatestValues;
impl Table for TreeLatestValues {
    const NAME: &'static str = "tree_latest_values";
    type Key = Hash32;
    type Value = (u64, Option<Vec<u8>>);
}

/// Tree nodes that became stale at a version, by (stale-since version, node key): pruning walks
/// this table in order and deletes the nodes it names.
#[derive(Debug)]
pub struct TreeStaleNodes;
impl Table for TreeStaleNodes {
    const NAME: &'static str = "tree_stale_nodes";
    type Key = (u64, NodeKey);
    type Value = ();
}

/// Tree values superseded at a version, by (stale-since version, (key hash, old version)).
#[derive(Debug)]
pub struct TreeStaleValues;
impl Table for TreeStaleValues {
    const NAME: &'static str = "tree_stale_values";
    type Key = (u64, (Hash32, u64));
    type Value = ();
}

/// Where each committed transaction is, by transaction hash.
#[derive(Debug)]
pub struct TxIndex;
impl Table for TxIndex {
    const NAME: &'static str = "index_tx_hash";
    type Key = Hash32;
    type Value = TxLocation;
}

/// The height of each committed block, by block hash.
#[derive(Debug)]
pub struct BlockHashIndex;
impl Table for BlockHashIndex {
    const NAME: &'static str = "index_block_hash";
    type Key = Hash32;
    type Value = Height;
}

/// The state root after executing each committed block, by height (the root the block's
/// successors attest in their headers).
#[derive(Debug)]
pub struct StateRoots;
impl Table for StateRoots {
    const NAME: &'static str = "state_roots";
    type Key = Height;
    type Value = Hash32;
}

/// The height of the reconfiguration block that started each epoch after the first, by the
/// epoch it started: the certificates verifiable answers carry as epoch-change proofs.
#[derive(Debug)]
pub struct EpochChanges;
impl Table for EpochChanges {
    const NAME: &'static str = "epoch_changes";
    type Key = u64;
    type Value = Height;
}

/// Leaves of batches that issuers left with this node, by (issuer USCC, (batch root, index)): local
/// only, never replicated, used to hand holders inclusion proofs. Keyed by issuer so that no
/// issuer's submission can touch another's (schema 3).
#[derive(Debug)]
pub struct BatchLeaves;
impl Table for BatchLeaves {
    const NAME: &'static str = "batch_leaves";
    type Key = (UsccKey, (Hash32, u64));
    type Value = Hash32;
}

/// Where each locally kept batch leaf is: (issuer USCC, commitment) → (batch root, index). The
/// first kept batch of an issuer that holds a commitment keeps the entry.
#[derive(Debug)]
pub struct BatchLeafIndex;
impl Table for BatchLeafIndex {
    const NAME: &'static str = "index_batch_leaf";
    type Key = (UsccKey, Hash32);
    type Value = (Hash32, u64);
}

/// Batches whose leaves are completely kept: (issuer USCC, batch root) → leaf count. Written
/// last, in the same write as the issuer's usage, so a resubmission is a no-op and an interrupted
/// one is redone.
#[derive(Debug)]
pub struct BatchesKept;
impl Table for BatchesKept {
    const NAME: &'static str = "batches_kept";
    type Key = (UsccKey, Hash32);
    type Value = u64;
}

/// Leaves kept per issuer (the sum of its [`BatchesKept`] counts), against
/// `[rpc] max_batch_leaves_per_issuer`.
#[derive(Debug)]
pub struct BatchLeafUsage;
impl Table for BatchLeafUsage {
    const NAME: &'static str = "batch_leaf_usage";
    type Key = UsccKey;
    type Value = u64;
}

/// The consensus safety data: one entry, always written with a synced write.
#[derive(Debug)]
pub struct SafetyData;
impl Table for SafetyData {
    const NAME: &'static str = "safety_data";
    type Key = ();
    type Value = yrd_consensus::SafetyData;
}

/// Blocks this node voted for and has not yet committed, by (height, block id). Written in the
/// same synced batch as the safety data that records the vote, deleted once their height is
/// committed; a restarted node re-inserts them so it can certify and time out from where it was.
#[derive(Debug)]
pub struct VotedBlocks;
impl Table for VotedBlocks {
    const NAME: &'static str = "voted_blocks";
    const MAX_VALUE_BYTES: usize = 64 * 1024 * 1024;
    type Key = (Height, Hash32);
    type Value = Block;
}

/// Schema version, committed head, genesis hash, pruning progress.
#[derive(Debug)]
pub struct Metadata;
impl Table for Metadata {
    const NAME: &'static str = "metadata";
    type Key = MetadataKey;
    type Value = MetadataValue;
}

/// Every table, by column family name: the database is opened with exactly these.
pub const ALL_TABLES: &[&str] = &[
    Blocks::NAME,
    Certificates::NAME,
    Transactions::NAME,
    Receipts::NAME,
    TreeNodes::NAME,
    TreeValues::NAME,
    TreeLatestValues::NAME,
    TreeStaleNodes::NAME,
    TreeStaleValues::NAME,
    TxIndex::NAME,
    BlockHashIndex::NAME,
    StateRoots::NAME,
    EpochChanges::NAME,
    BatchLeaves::NAME,
    BatchLeafIndex::NAME,
    BatchesKept::NAME,
    BatchLeafUsage::NAME,
    SafetyData::NAME,
    VotedBlocks::NAME,
    Metadata::NAME,
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn table_names_are_unique_and_not_the_default_family() {
        let names: BTreeSet<&str> = ALL_TABLES.iter().copied().collect();
        assert_eq!(names.len(), ALL_TABLES.len());
        assert!(!names.contains(rocksdb::DEFAULT_COLUMN_FAMILY_NAME));
    }

    #[test]
    fn metadata_keys_round_trip() {
        for key in [
            MetadataKey::SchemaVersion,
            MetadataKey::CommittedHead,
            MetadataKey::GenesisHash,
            MetadataKey::OldestReadableVersion,
            MetadataKey::TreeLatestVersion,
            MetadataKey::RestoreProgress,
        ] {
            assert_eq!(MetadataKey::decode_key(&key.encode_key()), Ok(key));
        }
        assert!(MetadataKey::decode_key(&[9]).is_err());
        assert!(MetadataKey::decode_key(&[]).is_err());
    }
}
