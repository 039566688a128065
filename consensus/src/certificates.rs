//! Verification of quorum, timeout and commit certificates: the one place signatures on
//! certificates are checked, by the core and by light clients alike.
//!
//! A [`CommitCertificate`] proves that `headers[0]` is committed under the two-chain rule:
//!
//! ```text
//! CommitCertificate = u32 count || count × BlockHeader || qc: QuorumCert
//! ```
//!
//! - `headers` is a hash chain: `headers[i + 1].parent_id == id(headers[i])` and
//!   `headers[i + 1].parent_qc` names `id(headers[i])`; all headers have the set's epoch;
//! - the last two headers are a *direct* chain: `round(last) == round(second last) + 1`;
//! - `qc` certifies the last header, with signers holding more than 2/3 of the power.
//!
//! A block directly committed by the rule has two headers (itself and its child). An ancestor that
//! committed with it has a longer chain down to that pair. Only `qc` is signature-checked: it shows
//! that an honest validator voted for the last header, and honest voters only vote for a header
//! whose embedded `parent_qc` they verified, so the second-last header is certified too.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::crypto::{PublicKey, SignatureScheme};
use crate::suite::SuiteScheme;
use crate::types::{BlockHeader, BlockId, QuorumCert, TimeoutCert, TimeoutData, ValidatorSet};

/// Longest header chain a commit certificate may carry.
pub const MAX_COMMIT_CHAIN_HEADERS: usize = 1024;

/// Proof that `headers[0]` is committed (see the module docs).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct CommitCertificate {
    /// The committed block's header, then its descendants up to the certified direct child.
    pub headers: Vec<BlockHeader>,
    /// QC on the last header.
    pub qc: QuorumCert,
}

/// Why a certificate does not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// A signer that is not in the validator set.
    #[error("signer {signer} is not a validator of epoch {epoch}")]
    UnknownSigner {
        /// The signer.
        signer: PublicKey,
        /// The set's epoch.
        epoch: u64,
    },
    /// The same signer twice.
    #[error("signer {signer} appears twice")]
    DuplicateSigner {
        /// The signer.
        signer: PublicKey,
    },
    /// Signers not in ascending key order.
    #[error("signer {signer} is out of order")]
    SignersNotSorted {
        /// The first signer out of order.
        signer: PublicKey,
    },
    /// Not more than two thirds of the power signed.
    #[error("signers hold {power} of {total} voting power; need {needed}")]
    InsufficientPower {
        /// Power that signed.
        power: u64,
        /// Total power.
        total: u64,
        /// Smallest quorum.
        needed: u64,
    },
    /// A signature that does not verify.
    #[error("bad signature by {signer}")]
    BadSignature {
        /// The signer.
        signer: PublicKey,
    },
    /// Certificate or header of another epoch than the validator set.
    #[error("epoch {found} where epoch {expected} was expected")]
    WrongEpoch {
        /// The set's epoch.
        expected: u64,
        /// The certificate's epoch.
        found: u64,
    },
    /// The last two headers are not consecutive rounds.
    #[error("round {child_round} does not directly follow round {parent_round}")]
    NotDirectChild {
        /// Round of the second-last header.
        parent_round: u64,
        /// Round of the last header.
        child_round: u64,
    },
    /// The certificate is about another block.
    #[error("certificate is for block {found}, expected {expected}")]
    WrongBlock {
        /// The block asked about.
        expected: BlockId,
        /// The block the certificate covers.
        found: BlockId,
    },
    /// Header `index` does not extend header `index - 1`.
    #[error("header {index} does not extend the previous header")]
    BrokenChain {
        /// Index of the offending header.
        index: usize,
    },
    /// Fewer than two or more than [`MAX_COMMIT_CHAIN_HEADERS`] headers.
    #[error("commit certificate has {count} headers; need 2..={max}")]
    ChainLength {
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A TC whose highest QC does not match its signers' rounds.
    #[error("timeout certificate's highest QC has round {qc_round}, signers report {reported}")]
    TimeoutQcMismatch {
        /// Round of the attached QC.
        qc_round: u64,
        /// Largest round signers reported.
        reported: u64,
    },
    /// An epoch-change proof whose block does not carry the next validator set.
    #[error("block {block} does not carry a valid validator set for epoch {expected_epoch}")]
    NotReconfiguration {
        /// The block.
        block: BlockId,
        /// The epoch its next set should have.
        expected_epoch: u64,
    },
}

/// Check that `signers` are distinct validators, ascending, whose signatures on `digest` verify,
/// and that together they hold a quorum. `signature_of` yields each signer's signature.
fn verify_quorum_signatures<'a, I>(
    set: &ValidatorSet,
    scheme: &dyn SignatureScheme,
    signers: I,
) -> Result<(), CertError>
where
    I: Iterator<Item = (&'a PublicKey, [u8; 32], &'a crate::crypto::Signature)>,
{
    let mut power: u64 = 0;
    let mut previous: Option<&PublicKey> = None;
    for (signer, digest, signature) in signers {
        if let Some(previous) = previous {
            if previous == signer {
                return Err(CertError::DuplicateSigner { signer: *signer });
            }
            if previous > signer {
                return Err(CertError::SignersNotSorted { signer: *signer });
            }
        }
        previous = Some(signer);
        let signer_power = set.power_of(signer).ok_or(CertError::UnknownSigner {
            signer: *signer,
            epoch: set.epoch,
        })?;
        if !scheme.verify(signer, &digest, signature) {
            return Err(CertError::BadSignature { signer: *signer });
        }
        power = power.saturating_add(signer_power);
    }
    if !set.is_quorum(power) {
        return Err(CertError::InsufficientPower {
            power,
            total: set.total_power(),
            needed: set.quorum_power(),
        });
    }
    Ok(())
}

/// Verify a QC against the validator set of its epoch.
pub fn verify_quorum_cert(
    set: &ValidatorSet,
    qc: &QuorumCert,
    scheme: &dyn SignatureScheme,
) -> Result<(), CertError> {
    if qc.vote_data.epoch != set.epoch {
        return Err(CertError::WrongEpoch {
            expected: set.epoch,
            found: qc.vote_data.epoch,
        });
    }
    let digest = qc.vote_data.signing_digest();
    verify_quorum_signatures(
        set,
        scheme,
        qc.signatures.iter().map(|(k, s)| (k, digest, s)),
    )
}

/// Verify a TC: every signer's timeout signature, the quorum, and that its highest QC has the
/// round the signers reported.
///
/// The highest QC's own signatures are **not** checked here: it may be a root QC, which is
/// accepted by equality rather than by signatures. A caller must verify `tc.highest_qc` itself
/// (the core does, in its `verify_tc`, with the root-QC rule); a TC whose highest QC was tampered
/// with passes this function alone.
pub fn verify_timeout_cert(
    set: &ValidatorSet,
    tc: &TimeoutCert,
    scheme: &dyn SignatureScheme,
) -> Result<(), CertError> {
    if tc.epoch != set.epoch {
        return Err(CertError::WrongEpoch {
            expected: set.epoch,
            found: tc.epoch,
        });
    }
    let reported = tc.highest_qc_round();
    if tc.highest_qc.round() != reported {
        return Err(CertError::TimeoutQcMismatch {
            qc_round: tc.highest_qc.round(),
            reported,
        });
    }
    verify_quorum_signatures(
        set,
        scheme,
        tc.signatures.iter().map(|part| {
            let data = TimeoutData {
                epoch: tc.epoch,
                round: tc.round,
                highest_qc_round: part.highest_qc_round,
            };
            (&part.signer, data.signing_digest(), &part.signature)
        }),
    )
}

/// Check the shape of a commit certificate (everything except signatures) and return the id of
/// its last header.
pub(crate) fn verify_commit_chain(
    set_epoch: u64,
    block_id: &BlockId,
    cert: &CommitCertificate,
) -> Result<(), CertError> {
    let count = cert.headers.len();
    if !(2..=MAX_COMMIT_CHAIN_HEADERS).contains(&count) {
        return Err(CertError::ChainLength {
            count,
            max: MAX_COMMIT_CHAIN_HEADERS,
        });
    }
    let mut ids = Vec::with_capacity(count);
    for (index, header) in cert.headers.iter().enumerate() {
        if header.epoch != set_epoch {
            return Err(CertError::WrongEpoch {
                expected: set_epoch,
                found: header.epoch,
            });
        }
        let id = header.id();
        if let Some(previous) = index.checked_sub(1).and_then(|i| ids.get(i))
            && (header.parent_id != *previous || header.parent_qc.block_id() != *previous)
        {
            return Err(CertError::BrokenChain { index });
        }
        ids.push(id);
    }
    let first = ids.first().copied().unwrap_or_default();
    if first != *block_id {
        return Err(CertError::WrongBlock {
            expected: *block_id,
            found: first,
        });
    }
    let (Some(last), Some(parent)) = (cert.headers.last(), cert.headers.get(count - 2)) else {
        return Err(CertError::ChainLength {
            count,
            max: MAX_COMMIT_CHAIN_HEADERS,
        });
    };
    if parent.round.checked_add(1) != Some(last.round) {
        return Err(CertError::NotDirectChild {
            parent_round: parent.round,
            child_round: last.round,
        });
    }
    let last_id = ids.last().copied().unwrap_or_default();
    if cert.qc.vote_data != last.vote_data() {
        return Err(CertError::WrongBlock {
            expected: last_id,
            found: cert.qc.block_id(),
        });
    }
    Ok(())
}

/// Verify that `cert` proves block `block_id` committed under `validator_set` (ed25519).
///
/// This is the light-client entry point: a verifier holding the genesis set (and epoch-change
/// proofs, see [`crate::verify_epoch_changes`]) checks any committed header with it.
pub fn verify_commit_certificate(
    validator_set: &ValidatorSet,
    block_id: &BlockId,
    cert: &CommitCertificate,
) -> Result<(), CertError> {
    verify_commit_certificate_with(&SuiteScheme, validator_set, block_id, cert)
}

/// [`verify_commit_certificate`] with a chosen signature scheme.
pub fn verify_commit_certificate_with(
    scheme: &dyn SignatureScheme,
    validator_set: &ValidatorSet,
    block_id: &BlockId,
    cert: &CommitCertificate,
) -> Result<(), CertError> {
    verify_commit_chain(validator_set.epoch, block_id, cert)?;
    verify_quorum_cert(validator_set, &cert.qc, scheme)
}
