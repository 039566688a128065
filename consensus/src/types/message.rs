//! Messages validators exchange, and the one decoder for them.
//!
//! Bytes: `ConsensusMessage` is a borsh enum: one tag byte (0 proposal, 1 vote, 2 timeout,
//! 3 sync info, 4 sync request, 5 sync response) then the variant. A proposal's signature is over
//! `BLAKE3("yrd-consensus/v1/proposal" || block id)`. Decoding goes through
//! [`ConsensusMessage::decode`], which bounds the size and refuses non-canonical bytes.

use borsh::{BorshDeserialize, BorshSerialize};

use super::block::{Block, BlockId};
use super::quorum::{QuorumCert, TimeoutCert};
use super::timeout::TimeoutMsg;
use super::vote::Vote;
use crate::certificates::CommitCertificate;
use crate::codec::{CodecError, decode_canonical_bounded, encode};
use crate::crypto::{Signature, SignatureScheme, Signer};
use crate::hashing::{PROPOSAL_TAG, tagged_hash};

/// Largest encoded consensus message accepted from the network (16 MiB).
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// A leader's proposal for its round.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// The proposed block.
    pub block: Block,
    /// The TC of `round - 1` when the parent is not from `round - 1`.
    pub timeout_cert: Option<TimeoutCert>,
    /// The proposer's signature over [`Proposal::signing_digest`].
    pub signature: Signature,
}

impl Proposal {
    /// The digest a proposer signs for `block_id`.
    pub fn signing_digest(block_id: &BlockId) -> [u8; 32] {
        tagged_hash(PROPOSAL_TAG, &block_id.0)
    }

    /// Sign `block` as its proposer.
    pub fn sign(block: Block, timeout_cert: Option<TimeoutCert>, signer: &dyn Signer) -> Self {
        let signature = signer.sign(&Self::signing_digest(&block.id()));
        Self {
            block,
            timeout_cert,
            signature,
        }
    }

    /// True when the header's proposer signed this block.
    pub fn verify_signature(&self, scheme: &dyn SignatureScheme) -> bool {
        let digest = Self::signing_digest(&self.block.id());
        scheme.verify(&self.block.header.proposer, &digest, &self.signature)
    }
}

/// A node's highest certificates, sent to help a lagging peer catch up.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SyncInfo {
    /// Highest QC the sender holds.
    pub highest_qc: QuorumCert,
    /// Highest TC the sender holds, when above the QC.
    pub highest_tc: Option<TimeoutCert>,
}

/// Ask a peer for blocks from `from_height` up to the block `target`.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SyncRequest {
    /// First height wanted (the requester's committed height + 1).
    pub from_height: u64,
    /// The certified block the requester is missing.
    pub target: BlockId,
    /// Height of `target`.
    pub target_height: u64,
}

/// A committed block with the certificate that proves it committed.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommittedBlock {
    /// The block.
    pub block: Block,
    /// Its commit certificate.
    pub certificate: CommitCertificate,
}

/// The answer to a [`SyncRequest`]: committed blocks, then the uncommitted chain to the target.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SyncResponse {
    /// Committed blocks ascending from the requested height, each with its certificate.
    pub committed: Vec<CommittedBlock>,
    /// Uncommitted blocks ascending from the last committed one's child, ending at the target.
    pub uncommitted: Vec<Block>,
}

/// Everything validators send each other.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ConsensusMessage {
    /// A leader's proposal (broadcast).
    Proposal(Box<Proposal>),
    /// A vote (to the next leader).
    Vote(Vote),
    /// A timeout (broadcast).
    Timeout(Box<TimeoutMsg>),
    /// Highest certificates (to a lagging peer).
    SyncInfo(Box<SyncInfo>),
    /// A block request (answered by the host, see [`crate::sync::respond`]).
    SyncRequest(SyncRequest),
    /// A block response.
    SyncResponse(Box<SyncResponse>),
}

impl ConsensusMessage {
    /// Canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decode bytes from the network: at most [`MAX_MESSAGE_BYTES`], canonical, no trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        decode_canonical_bounded(bytes, MAX_MESSAGE_BYTES)
    }
}
