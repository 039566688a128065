//! A validator's timeout message.
//!
//! Bytes: `TimeoutMsg = epoch: u64 || round: u64 || highest_qc: QuorumCert || last_round_tc:
//! Option<TimeoutCert> || author: [u8;32] || signature: [u8;64]`. Only
//! `TimeoutData {epoch, round, highest_qc.round}` is signed; the QC and TC ride along so that a
//! receiver can catch up, and are verified on their own.

use borsh::{BorshDeserialize, BorshSerialize};

use super::quorum::{QuorumCert, TimeoutCert, TimeoutData, TimeoutSignature};
use crate::crypto::{PublicKey, Signature, SignatureScheme, Signer};

/// A signed timeout for one round.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TimeoutMsg {
    /// Epoch.
    pub epoch: u64,
    /// The round that timed out.
    pub round: u64,
    /// The author's highest QC.
    pub highest_qc: QuorumCert,
    /// The TC of `round - 1`, when the author entered `round` through one.
    pub last_round_tc: Option<TimeoutCert>,
    /// The author.
    pub author: PublicKey,
    /// Signature over [`TimeoutMsg::timeout_data`].
    pub signature: Signature,
}

impl TimeoutMsg {
    /// What the author signed.
    pub fn timeout_data(&self) -> TimeoutData {
        TimeoutData {
            epoch: self.epoch,
            round: self.round,
            highest_qc_round: self.highest_qc.round(),
        }
    }

    /// Sign a timeout for `round` carrying `highest_qc`.
    pub fn sign(
        epoch: u64,
        round: u64,
        highest_qc: QuorumCert,
        last_round_tc: Option<TimeoutCert>,
        signer: &dyn Signer,
    ) -> Self {
        let data = TimeoutData {
            epoch,
            round,
            highest_qc_round: highest_qc.round(),
        };
        Self {
            epoch,
            round,
            highest_qc,
            last_round_tc,
            author: signer.public_key(),
            signature: signer.sign(&data.signing_digest()),
        }
    }

    /// True when the signature is the author's over the timeout data.
    pub fn verify_signature(&self, scheme: &dyn SignatureScheme) -> bool {
        scheme.verify(
            &self.author,
            &self.timeout_data().signing_digest(),
            &self.signature,
        )
    }

    /// The author's part for a timeout certificate.
    pub fn to_timeout_signature(&self) -> TimeoutSignature {
        TimeoutSignature {
            signer: self.author,
            highest_qc_round: self.highest_qc.round(),
            signature: self.signature,
        }
    }
}
