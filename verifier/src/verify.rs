//! The offline verifier: checks a [`ProvenAnswer`] against the genesis file alone.
//!
//! Steps (docs/PROOFS.md gives them byte by byte):
//!
//! 1. the envelope's `format` is [`ANSWER_FORMAT`]; sizes are within the limits;
//! 2. the epoch-change certificates lead from the genesis validator set to a set of the header's
//!    epoch;
//! 3. the header is the genesis header, or its commit certificate verifies under that set;
//! 4. the header attests a height below its own, and its `executed` is exactly the proof's
//!    `{version, stateRoot}`;
//! 5. every read's state proof verifies against that root;
//! 6. the query, evaluated over the proven reads alone, gives exactly the answer's `value`.

use yrd_consensus::types::{BlockHeader, ValidatorSet};
use yrd_consensus::{CertError, CommitCertificate, EpochChangeProof};
use yrd_contracts::query::QueryError;
use yrd_contracts::reader::{ProvenEntryError, ProvenReader, ReadError};
use yrd_contracts::tree::StateRoot;

use crate::chain_spec::ChainSpec;
use crate::query::{EvalError, Evaluation, ProvenQuery, envelope_value, evaluate};
use crate::{
    ANSWER_FORMAT, HexBytes, MAX_ANSWER_EPOCH_CHANGES, MAX_EVIDENCE_ITEM_BYTES, MAX_PROOF_READS,
    ProvenAnswer,
};

/// Why an answer does not verify. Each variant names one failed check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Another envelope format.
    #[error("answer format {found:?} is not {ANSWER_FORMAT:?}")]
    Format {
        /// What the answer says.
        found: String,
    },
    /// A part of the evidence is larger than the verifier accepts.
    #[error("{what} has {len} items or bytes; at most {max} are accepted")]
    TooLarge {
        /// Which part.
        what: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A part of the evidence does not decode (or is not canonical).
    #[error("{what} is malformed: {reason}")]
    Malformed {
        /// Which part.
        what: &'static str,
        /// The decoder's message.
        reason: String,
    },
    /// The epoch-change certificates do not verify.
    #[error("epoch-change proof does not verify: {0}")]
    EpochChange(CertError),
    /// The header is of another epoch than the epoch changes lead to (a stale or skipped epoch).
    #[error(
        "header is in epoch {header_epoch}, but the epoch changes lead to epoch {proven_epoch}"
    )]
    WrongEpoch {
        /// The header's epoch.
        header_epoch: u64,
        /// The epoch of the set the epoch changes prove.
        proven_epoch: u64,
    },
    /// No certificate, and the header is not the genesis header.
    #[error(
        "header at height {height} comes without a commit certificate and is not the genesis header"
    )]
    MissingCertificate {
        /// The header's height.
        height: u64,
    },
    /// The commit certificate does not verify.
    #[error("commit certificate does not verify: {0}")]
    Certificate(CertError),
    /// The header does not attest the proof's state root.
    #[error(
        "header attests state root {} at height {attested_version}, not {} at height {version}",
        hex::encode(attested_root),
        hex::encode(root)
    )]
    RootNotAttested {
        /// The proof's version.
        version: u64,
        /// The proof's root.
        root: [u8; 32],
        /// What the header attests.
        attested_version: u64,
        /// The attested root.
        attested_root: [u8; 32],
    },
    /// A certified header that attests its own height or a later one (honest validators never
    /// vote for one: a block attests an executed height below its own).
    #[error("header at height {height} attests executed height {executed}, not below its own")]
    ExecutedNotBelow {
        /// The header's height.
        height: u64,
        /// The attested height.
        executed: u64,
    },
    /// A state proof does not verify against the attested root.
    #[error(transparent)]
    StateProof(ProvenEntryError),
    /// The query needs a state key the proof does not cover.
    #[error("incomplete proof: {0}")]
    Incomplete(String),
    /// The proven state does not decode or the query cannot be evaluated on it.
    #[error("the query cannot be evaluated over the proven state: {0}")]
    Evaluation(String),
    /// The node's value differs from the value the proven state gives.
    #[error("the answer's value differs from the proven state's: served {served}, proven {proven}")]
    ValueMismatch {
        /// The value in the answer.
        served: String,
        /// The value the verifier computed.
        proven: String,
    },
}

impl VerifyError {
    /// The failed check as a stable short name (docs/PROOFS.md section 7 lists them; the test
    /// vectors' expected outcomes use them).
    pub fn check(&self) -> &'static str {
        match self {
            VerifyError::Format { .. } => "format",
            VerifyError::TooLarge { .. } => "too-large",
            VerifyError::Malformed { .. } => "malformed",
            VerifyError::EpochChange(_) => "epoch-change",
            VerifyError::WrongEpoch { .. } => "wrong-epoch",
            VerifyError::MissingCertificate { .. } => "missing-certificate",
            VerifyError::Certificate(_) => "certificate",
            VerifyError::RootNotAttested { .. } => "root-not-attested",
            VerifyError::ExecutedNotBelow { .. } => "executed-height",
            VerifyError::StateProof(_) => "state-proof",
            VerifyError::Incomplete(_) => "incomplete",
            VerifyError::Evaluation(_) => "evaluation",
            VerifyError::ValueMismatch { .. } => "value-mismatch",
        }
    }
}

/// A verified answer: what the proven state says, and where it was proven.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedAnswer {
    /// The query.
    pub query: ProvenQuery,
    /// Its outcome over the proven state (equal to the answer's value).
    pub evaluation: Evaluation,
    /// The state version the answer holds at.
    pub version: u64,
    /// The certified header's height.
    pub header_height: u64,
    /// The certified header's block id.
    pub block_id: [u8; 32],
    /// The epoch of the validator set that certified it.
    pub epoch: u64,
    /// The header's time, ms since the Unix epoch.
    pub header_time_ms: u64,
}

/// Values in messages are cut at this many bytes.
const MAX_MESSAGE_VALUE_BYTES: usize = 2_000;

fn clip(mut text: String) -> String {
    if text.len() > MAX_MESSAGE_VALUE_BYTES {
        let mut end = MAX_MESSAGE_VALUE_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push('…');
    }
    text
}

fn decode_item<T: borsh::BorshSerialize + borsh::BorshDeserialize>(
    what: &'static str,
    item: &HexBytes,
) -> Result<T, VerifyError> {
    if item.0.len() > MAX_EVIDENCE_ITEM_BYTES {
        return Err(VerifyError::TooLarge {
            what,
            len: item.0.len(),
            max: MAX_EVIDENCE_ITEM_BYTES,
        });
    }
    yrd_consensus::codec::decode_canonical(&item.0).map_err(|e| VerifyError::Malformed {
        what,
        reason: e.to_string(),
    })
}

/// The validator set the epoch changes lead to from the genesis set.
fn proven_validator_set(
    chain: &ChainSpec,
    epoch_changes: &[HexBytes],
) -> Result<ValidatorSet, VerifyError> {
    if epoch_changes.len() > MAX_ANSWER_EPOCH_CHANGES {
        return Err(VerifyError::TooLarge {
            what: "epochChanges",
            len: epoch_changes.len(),
            max: MAX_ANSWER_EPOCH_CHANGES,
        });
    }
    let certificates = epoch_changes
        .iter()
        .map(|item| decode_item::<CommitCertificate>("epoch-change certificate", item))
        .collect::<Result<Vec<_>, _>>()?;
    yrd_consensus::verify_epoch_changes(
        &chain.consensus.validator_set,
        &EpochChangeProof { certificates },
    )
    .map_err(VerifyError::EpochChange)
}

/// Check `answer` against the chain of `chain` (the genesis file) and return what it proves.
pub fn verify_answer(
    chain: &ChainSpec,
    answer: &ProvenAnswer,
) -> Result<VerifiedAnswer, VerifyError> {
    if answer.format != ANSWER_FORMAT {
        return Err(VerifyError::Format {
            found: answer.format.clone(),
        });
    }
    let proof = &answer.proof;
    if proof.reads.len() > MAX_PROOF_READS {
        return Err(VerifyError::TooLarge {
            what: "reads",
            len: proof.reads.len(),
            max: MAX_PROOF_READS,
        });
    }
    let header: BlockHeader = decode_item("header", &proof.header)?;
    let set = proven_validator_set(chain, &proof.epoch_changes)?;
    if set.epoch != header.epoch {
        return Err(VerifyError::WrongEpoch {
            header_epoch: header.epoch,
            proven_epoch: set.epoch,
        });
    }
    let block_id = header.id();
    match &proof.certificate {
        None => {
            if header != chain.consensus.header() {
                return Err(VerifyError::MissingCertificate {
                    height: header.height,
                });
            }
        }
        Some(item) => {
            let certificate: CommitCertificate = decode_item("certificate", item)?;
            yrd_consensus::verify_commit_certificate(&set, &block_id, &certificate)
                .map_err(VerifyError::Certificate)?;
            if header.executed.height >= header.height {
                return Err(VerifyError::ExecutedNotBelow {
                    height: header.height,
                    executed: header.executed.height,
                });
            }
        }
    }
    if header.executed.height != proof.version || header.executed.state_root != proof.state_root {
        return Err(VerifyError::RootNotAttested {
            version: proof.version,
            root: proof.state_root,
            attested_version: header.executed.height,
            attested_root: header.executed.state_root,
        });
    }
    let root = StateRoot(proof.state_root);
    let reader = ProvenReader::verify(
        &root,
        proof.reads.iter().map(|entry| {
            (
                entry.key.0.as_slice(),
                entry.value.as_ref().map(|v| v.0.as_slice()),
                &entry.proof,
            )
        }),
    )
    .map_err(VerifyError::StateProof)?;
    let evaluation = evaluate(&answer.query, &reader).map_err(|error| match error {
        EvalError::Query(QueryError::Read(ReadError::NotProven { key })) => {
            VerifyError::Incomplete(format!("the query reads key {key}, which has no proof"))
        }
        other => VerifyError::Evaluation(other.to_string()),
    })?;
    let proven = envelope_value(&evaluation);
    if proven != answer.value {
        return Err(VerifyError::ValueMismatch {
            served: clip(answer.value.to_string()),
            proven: clip(proven.to_string()),
        });
    }
    Ok(VerifiedAnswer {
        query: answer.query.clone(),
        evaluation,
        version: proof.version,
        header_height: header.height,
        block_id: block_id.0,
        epoch: header.epoch,
        header_time_ms: header.timestamp_ms,
    })
}
