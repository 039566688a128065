//! A validator's vote on a block.
//!
//! Bytes: `Vote = VoteData || author: [u8;32] || signature: [u8;64]`, the signature over
//! `BLAKE3("yrd-consensus/v1/vote" || borsh(VoteData))`. Votes are sent to the leader of the next
//! round, which aggregates them into a [`super::QuorumCert`].

use borsh::{BorshDeserialize, BorshSerialize};

use super::quorum::VoteData;
use crate::crypto::{PublicKey, Signature, SignatureScheme, Signer};

/// A signed vote.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    /// The block voted for.
    pub vote_data: VoteData,
    /// The voter.
    pub author: PublicKey,
    /// Signature over `vote_data.signing_digest()`.
    pub signature: Signature,
}

impl Vote {
    /// Sign `vote_data` with `signer`.
    pub fn sign(vote_data: VoteData, signer: &dyn Signer) -> Self {
        Self {
            vote_data,
            author: signer.public_key(),
            signature: signer.sign(&vote_data.signing_digest()),
        }
    }

    /// True when the signature is the author's over the vote data.
    pub fn verify(&self, scheme: &dyn SignatureScheme) -> bool {
        scheme.verify(
            &self.author,
            &self.vote_data.signing_digest(),
            &self.signature,
        )
    }
}
