//! Epochs: validator-set changes decided on chain.
//!
//! A committed block whose header carries `next_validator_set` with epoch `e + 1` (while the block
//! is in epoch `e`) is a *reconfiguration block*: once it commits, epoch `e` ends at it and the new
//! set takes over, continuing the round numbers and heights from it. Descendants of a
//! reconfiguration block in the old epoch are a suffix that carries no payload and never commits.
//!
//! An [`EpochChangeProof`] lists the commit certificates of successive reconfiguration blocks; a
//! client holding only the genesis validator set checks it with [`verify_epoch_changes`] and learns
//! the current set.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::certificates::{CertError, CommitCertificate, verify_commit_certificate_with};
use crate::crypto::SignatureScheme;
use crate::suite::SuiteScheme;
use crate::types::{BlockHeader, ValidatorSet};

/// Most epoch changes one proof may carry.
pub const MAX_EPOCH_CHANGES_PER_PROOF: usize = 4096;

/// Commit certificates of consecutive reconfiguration blocks, oldest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EpochChangeProof {
    /// One certificate per epoch change.
    pub certificates: Vec<CommitCertificate>,
}

/// The validator set a header hands over to, when it is a reconfiguration block of its epoch.
pub fn next_epoch_set(header: &BlockHeader) -> Option<&ValidatorSet> {
    header
        .next_validator_set
        .as_ref()
        .filter(|set| header.epoch.checked_add(1) == Some(set.epoch))
}

/// Verify epoch changes from `genesis_set` and return the validator set they lead to.
pub fn verify_epoch_changes(
    genesis_set: &ValidatorSet,
    proof: &EpochChangeProof,
) -> Result<ValidatorSet, CertError> {
    verify_epoch_changes_with(&SuiteScheme, genesis_set, proof)
}

/// [`verify_epoch_changes`] with a chosen signature scheme.
pub fn verify_epoch_changes_with(
    scheme: &dyn SignatureScheme,
    genesis_set: &ValidatorSet,
    proof: &EpochChangeProof,
) -> Result<ValidatorSet, CertError> {
    if proof.certificates.len() > MAX_EPOCH_CHANGES_PER_PROOF {
        return Err(CertError::ChainLength {
            count: proof.certificates.len(),
            max: MAX_EPOCH_CHANGES_PER_PROOF,
        });
    }
    let mut current = genesis_set.clone();
    for cert in &proof.certificates {
        let Some(header) = cert.headers.first() else {
            return Err(CertError::ChainLength {
                count: 0,
                max: MAX_EPOCH_CHANGES_PER_PROOF,
            });
        };
        let block = header.id();
        verify_commit_certificate_with(scheme, &current, &block, cert)?;
        let expected_epoch = current.epoch.saturating_add(1);
        let next = next_epoch_set(header)
            .filter(|set| set.validate().is_ok())
            .ok_or(CertError::NotReconfiguration {
                block,
                expected_epoch,
            })?;
        current = next.clone();
    }
    Ok(current)
}
