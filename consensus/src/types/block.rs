//! Blocks, block ids and the genesis block.
//!
//! Bytes of a header (`borsh`, in field order):
//!
//! ```text
//! BlockHeader = epoch: u64 || round: u64 || height: u64 || parent_id: [u8;32]
//!            || parent_qc: QuorumCert || payload_digest: [u8;32] || proposer: [u8;32]
//!            || timestamp_ms: u64 || executed: (height: u64 || state_root: [u8;32])
//!            || next_validator_set: Option<ValidatorSet>
//! block id       = BLAKE3("yrd-consensus/v1/block-id" || borsh(BlockHeader))
//! payload_digest = BLAKE3("yrd-consensus/v1/payload" || payload bytes)
//! ```
//!
//! `executed` is the proposer's latest committed-and-executed height and the state root after it:
//! every certified header therefore attests a state root. `next_validator_set`, when present, is
//! the set that takes over at the next epoch once this block commits.
//!
//! The genesis block has height 0, round 0, a zero parent id, a root QC on the zero block id, an
//! empty payload, the zero proposer key, `executed = {0, genesis state root}` and the genesis
//! validator set in `next_validator_set` (so the genesis id commits to the first validators).

use borsh::{BorshDeserialize, BorshSerialize};

use super::quorum::{QuorumCert, VoteData};
use super::validator::ValidatorSet;
use crate::crypto::PublicKey;
use crate::hashing::{BLOCK_ID_TAG, PAYLOAD_TAG, hash_encoded, tagged_hash};

/// A block's id: the tagged hash of its header.
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct BlockId(pub [u8; 32]);

impl std::fmt::Debug for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "blk:{}", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Display for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

/// The proposer's latest executed state, attested in every header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ExecutedState {
    /// Height of the last committed block the proposer had executed.
    pub height: u64,
    /// State root after executing it.
    pub state_root: [u8; 32],
}

/// A block header: everything that is hashed into the block id.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BlockHeader {
    /// Epoch the block belongs to.
    pub epoch: u64,
    /// Consensus round it was proposed in.
    pub round: u64,
    /// Height: parent's height + 1.
    pub height: u64,
    /// Id of the parent block.
    pub parent_id: BlockId,
    /// The QC certifying the parent.
    pub parent_qc: QuorumCert,
    /// `BLAKE3(PAYLOAD_TAG || payload)`.
    pub payload_digest: [u8; 32],
    /// The leader who proposed it.
    pub proposer: PublicKey,
    /// Proposer's clock in milliseconds since the Unix epoch; strictly above the parent's.
    pub timestamp_ms: u64,
    /// Latest committed-and-executed state of the proposer.
    pub executed: ExecutedState,
    /// The validator set of the next epoch, when this block reconfigures.
    pub next_validator_set: Option<ValidatorSet>,
}

impl BlockHeader {
    /// This header's block id.
    pub fn id(&self) -> BlockId {
        BlockId(hash_encoded(BLOCK_ID_TAG, self))
    }

    /// The vote data a QC on this block carries.
    pub fn vote_data(&self) -> VoteData {
        VoteData {
            epoch: self.epoch,
            round: self.round,
            height: self.height,
            block_id: self.id(),
        }
    }
}

/// A header and its opaque payload.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Block {
    /// The header.
    pub header: BlockHeader,
    /// Payload bytes, opaque to consensus (the host's transactions).
    pub payload: Vec<u8>,
}

impl Block {
    /// The block id.
    pub fn id(&self) -> BlockId {
        self.header.id()
    }

    /// True when the payload hashes to the header's digest.
    pub fn payload_matches(&self) -> bool {
        payload_digest(&self.payload) == self.header.payload_digest
    }
}

/// `BLAKE3(PAYLOAD_TAG || payload)`.
pub fn payload_digest(payload: &[u8]) -> [u8; 32] {
    tagged_hash(PAYLOAD_TAG, payload)
}

/// What every node agrees on before the first block.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Genesis {
    /// The first validator set (its epoch is the first epoch).
    pub validator_set: ValidatorSet,
    /// State root before any block (the contracts' genesis state).
    pub state_root: [u8; 32],
    /// Genesis time in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl Genesis {
    /// The genesis block header (height 0).
    pub fn header(&self) -> BlockHeader {
        BlockHeader {
            epoch: self.validator_set.epoch,
            round: 0,
            height: 0,
            parent_id: BlockId::default(),
            parent_qc: QuorumCert::root(VoteData {
                epoch: self.validator_set.epoch,
                round: 0,
                height: 0,
                block_id: BlockId::default(),
            }),
            payload_digest: payload_digest(&[]),
            proposer: PublicKey::default(),
            timestamp_ms: self.timestamp_ms,
            executed: ExecutedState {
                height: 0,
                state_root: self.state_root,
            },
            next_validator_set: Some(self.validator_set.clone()),
        }
    }

    /// The genesis block (empty payload).
    pub fn block(&self) -> Block {
        Block {
            header: self.header(),
            payload: Vec::new(),
        }
    }

    /// The root QC that certifies the genesis block by definition.
    pub fn qc(&self) -> QuorumCert {
        QuorumCert::root(self.header().vote_data())
    }
}
