//! Quorum certificates (QC) and timeout certificates (TC).
//!
//! Bytes:
//! - `VoteData = epoch: u64 || round: u64 || height: u64 || block_id: [u8;32]`. A vote signs the
//!   32-byte digest `BLAKE3("yrd-consensus/v1/vote" || borsh(VoteData))`.
//! - `QuorumCert = VoteData || u32 count || count × (signer: [u8;32] || signature: [u8;64])`,
//!   signers strictly ascending by key bytes. The QC of a round-0 root (genesis, or the block that
//!   ended the previous epoch) is the only QC that may be checked by equality instead of signatures.
//! - `TimeoutData = epoch: u64 || round: u64 || highest_qc_round: u64`. A timeout signs
//!   `BLAKE3("yrd-consensus/v1/timeout" || borsh(TimeoutData))`.
//! - `TimeoutCert = epoch: u64 || round: u64 || u32 count || count × (signer || highest_qc_round:
//!   u64 || signature) || highest_qc: QuorumCert`; each signer signed its own `highest_qc_round`,
//!   and `highest_qc` is the QC with the largest of those rounds.

use borsh::{BorshDeserialize, BorshSerialize};

use super::block::BlockId;
use crate::crypto::{PublicKey, Signature};
use crate::hashing::{TIMEOUT_TAG, VOTE_TAG, hash_encoded};

/// What a vote (and so a QC) attests: this block, at this place in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VoteData {
    /// Epoch of the block.
    pub epoch: u64,
    /// Round of the block.
    pub round: u64,
    /// Height of the block.
    pub height: u64,
    /// Id of the block.
    pub block_id: BlockId,
}

impl VoteData {
    /// The digest a voter signs.
    pub fn signing_digest(&self) -> [u8; 32] {
        hash_encoded(VOTE_TAG, self)
    }
}

/// Signatures of more than two thirds of the voting power on one [`VoteData`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct QuorumCert {
    /// What was voted for.
    pub vote_data: VoteData,
    /// `(signer, signature)` strictly ascending by signer.
    pub signatures: Vec<(PublicKey, Signature)>,
}

impl QuorumCert {
    /// A QC without signatures for a root block (genesis or an epoch's first parent).
    pub fn root(vote_data: VoteData) -> Self {
        Self {
            vote_data,
            signatures: Vec::new(),
        }
    }

    /// Round of the certified block.
    pub fn round(&self) -> u64 {
        self.vote_data.round
    }

    /// Id of the certified block.
    pub fn block_id(&self) -> BlockId {
        self.vote_data.block_id
    }
}

/// What a timeout signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TimeoutData {
    /// Epoch.
    pub epoch: u64,
    /// The round that timed out.
    pub round: u64,
    /// Round of the highest QC the signer held.
    pub highest_qc_round: u64,
}

impl TimeoutData {
    /// The digest a validator signs when it times out.
    pub fn signing_digest(&self) -> [u8; 32] {
        hash_encoded(TIMEOUT_TAG, self)
    }
}

/// One signer's part of a timeout certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TimeoutSignature {
    /// The validator.
    pub signer: PublicKey,
    /// The highest QC round it signed.
    pub highest_qc_round: u64,
    /// Its signature over [`TimeoutData`].
    pub signature: Signature,
}

/// More than two thirds of the power timed out in `round`; lets the next leader propose.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TimeoutCert {
    /// Epoch.
    pub epoch: u64,
    /// The round that timed out.
    pub round: u64,
    /// Signatures, strictly ascending by signer.
    pub signatures: Vec<TimeoutSignature>,
    /// The QC whose round is the largest `highest_qc_round` among the signatures.
    pub highest_qc: QuorumCert,
}

impl TimeoutCert {
    /// The largest highest-QC round any signer reported.
    pub fn highest_qc_round(&self) -> u64 {
        self.signatures
            .iter()
            .map(|s| s.highest_qc_round)
            .max()
            .unwrap_or(0)
    }
}
