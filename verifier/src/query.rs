//! The queries an answer can prove, and their evaluation over any state reader.
//!
//! The node evaluates a query over a recording reader (which collects a proof per key read); the
//! verifier evaluates the same query over the proven entries. Both call [`evaluate`], and the RPC
//! methods return exactly its value, so an honest answer always verifies.

use serde::{Deserialize, Serialize};
use yrd_contracts::batch::BatchProof;
use yrd_contracts::did_id::DidId;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{
    self, Disclosure, QueryError, did_resolve, disclosed_history_record, issuer_get, licence_gate,
    licence_history, licence_type_get, licence_verify, licence_verify_in_batch, policy_get,
};
use yrd_contracts::reader::StateReader;
use yrd_contracts::tree::MAX_KEY_LEN_BYTES;
use yrd_contracts::tx::BatchMembership;
use yrd_contracts::types::{LicenceTypeCode, ProvinceCode};

use crate::HexBytes;

/// Longest licence history `licence_getHistory` proves in one answer (one proof per event).
pub const MAX_PROVEN_HISTORY: u32 = 256;

/// `licence_verify` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenceVerifyParams {
    /// The issuing agency's USCC, as the licence identifier names it.
    pub issuer: Uscc,
    /// The licence commitment.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub commitment: [u8; 32],
    /// The verifier's region.
    pub region: ProvinceCode,
    /// The verifier DID the node authenticated, if any.
    #[serde(default)]
    pub verifier_did: Option<DidId>,
    /// For a licence anchored only inside a batch: the batch root and the inclusion proof.
    #[serde(default)]
    pub batch: Option<BatchParam>,
}

/// A batch root with an inclusion proof of the commitment in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchParam {
    /// The anchored batch root, hex.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub root: [u8; 32],
    /// The inclusion proof.
    pub proof: BatchProof,
}

impl BatchParam {
    /// As the contracts' membership claim.
    pub fn membership(&self) -> BatchMembership {
        BatchMembership {
            root: self.root,
            proof: self.proof.clone(),
        }
    }
}

/// `licence_get` and `licence_getHistory` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenceParams {
    /// The issuing agency's USCC, as the licence identifier names it.
    pub issuer: Uscc,
    /// The licence commitment.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub commitment: [u8; 32],
    /// The verifier DID the node authenticated, if any.
    #[serde(default)]
    pub verifier_did: Option<DidId>,
}

/// `did_resolve` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DidParams {
    /// The DID.
    pub did: DidId,
    /// A version, or the latest.
    #[serde(default)]
    pub version_id: Option<u32>,
}

/// `issuer_get` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuerParams {
    /// The issuer's signing key.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub key: [u8; 32],
}

/// `licenceType_get` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LicenceTypeParams {
    /// The type code.
    pub code: LicenceTypeCode,
}

/// `policy_get` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyParams {
    /// Recognising province.
    pub recognising: ProvinceCode,
    /// Issuing province.
    pub issuing: ProvinceCode,
    /// Licence type.
    pub licence_type: LicenceTypeCode,
}

/// `state_getProof` parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StateKeyParams {
    /// The raw state key, hex.
    pub key: HexBytes,
}

/// A provable query: the RPC method and its parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", content = "params", deny_unknown_fields)]
pub enum ProvenQuery {
    /// `licence_verify`.
    #[serde(rename = "licence_verify")]
    LicenceVerify(LicenceVerifyParams),
    /// `licence_get`.
    #[serde(rename = "licence_get")]
    LicenceGet(LicenceParams),
    /// `licence_getHistory`.
    #[serde(rename = "licence_getHistory")]
    LicenceGetHistory(LicenceParams),
    /// `did_resolve`.
    #[serde(rename = "did_resolve")]
    DidResolve(DidParams),
    /// `issuer_get`.
    #[serde(rename = "issuer_get")]
    IssuerGet(IssuerParams),
    /// `licenceType_get`.
    #[serde(rename = "licenceType_get")]
    LicenceTypeGet(LicenceTypeParams),
    /// `policy_get`.
    #[serde(rename = "policy_get")]
    PolicyGet(PolicyParams),
    /// `state_getProof`: the raw value under a key.
    #[serde(rename = "state_getProof")]
    StateGet(StateKeyParams),
}

impl ProvenQuery {
    /// The RPC method name.
    pub fn method(&self) -> &'static str {
        match self {
            ProvenQuery::LicenceVerify(_) => "licence_verify",
            ProvenQuery::LicenceGet(_) => "licence_get",
            ProvenQuery::LicenceGetHistory(_) => "licence_getHistory",
            ProvenQuery::DidResolve(_) => "did_resolve",
            ProvenQuery::IssuerGet(_) => "issuer_get",
            ProvenQuery::LicenceTypeGet(_) => "licenceType_get",
            ProvenQuery::PolicyGet(_) => "policy_get",
            ProvenQuery::StateGet(_) => "state_getProof",
        }
    }
}

/// The outcome of a query.
#[derive(Clone, Debug, PartialEq)]
pub enum Evaluation {
    /// The value the method returns.
    Found(serde_json::Value),
    /// Nothing there (the method's "not found"; proven by non-inclusion).
    NotFound,
    /// The record exists but the caller's rights disclose none of what was asked.
    Restricted(&'static str),
}

/// Why a query could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A read or decode failed (over proven entries: a key the proof does not cover).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The state key is longer than any key the state holds.
    #[error("state key of {len} bytes is longer than the {max}-byte maximum")]
    KeyTooLong {
        /// Its length.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The history is too long to prove in one answer.
    #[error("licence history has {len} events; answers prove at most {max}")]
    HistoryTooLong {
        /// Events.
        len: u32,
        /// The limit.
        max: u32,
    },
    /// A value did not serialise (a bug).
    #[error("serialising the answer: {0}")]
    Json(String),
}

fn json(value: &impl Serialize) -> Result<serde_json::Value, EvalError> {
    serde_json::to_value(value).map_err(|e| EvalError::Json(e.to_string()))
}

/// Message of [`Evaluation::Restricted`] for a data class that discloses nothing to the caller.
pub const RESTRICTED_NOTHING: &str =
    "this licence's data class discloses nothing to callers that are not registered verifiers";

/// Message of [`Evaluation::Restricted`] for a history the caller may not see. The node gives it
/// also when no such licence exists (`licence_getHistory` answers the two alike), so it names
/// both possibilities and nothing about the licence.
pub const RESTRICTED_HISTORY: &str = "no licence history is disclosed to this caller: either no \
     licence with this commitment is anchored under this issuer, or its data class discloses its \
     history only under full disclosure (conditional types: to registered verifiers; non-open \
     types: to no one)";

/// Evaluate `query` over `reader`.
pub fn evaluate(query: &ProvenQuery, reader: &impl StateReader) -> Result<Evaluation, EvalError> {
    match query {
        ProvenQuery::LicenceVerify(p) => {
            let answer = match &p.batch {
                None => licence_verify(
                    reader,
                    &p.issuer,
                    &p.commitment,
                    p.region,
                    p.verifier_did.as_ref(),
                )?,
                Some(batch) => licence_verify_in_batch(
                    reader,
                    &p.issuer,
                    &p.commitment,
                    &batch.membership(),
                    p.region,
                    p.verifier_did.as_ref(),
                )?,
            };
            Ok(Evaluation::Found(json(&answer)?))
        }
        ProvenQuery::LicenceGet(p) => {
            let Some(gate) = licence_gate(reader, &p.issuer, &p.commitment)? else {
                return Ok(Evaluation::NotFound);
            };
            let mut answer = licence_verify(
                reader,
                &p.issuer,
                &p.commitment,
                gate.province,
                p.verifier_did.as_ref(),
            )?;
            answer.recognition = None;
            match answer.disclosure {
                Disclosure::Denied => Ok(Evaluation::Restricted(RESTRICTED_NOTHING)),
                Disclosure::NotFound => Ok(Evaluation::NotFound),
                Disclosure::Full | Disclosure::ValidityOnly | Disclosure::StatusOnly => {
                    Ok(Evaluation::Found(json(&answer)?))
                }
            }
        }
        ProvenQuery::LicenceGetHistory(p) => {
            // Disclosure before the length bound: a caller without full disclosure learns
            // nothing of the history, not even that it is too long to prove.
            if licence_gate(reader, &p.issuer, &p.commitment)?.is_none() {
                return Ok(Evaluation::NotFound);
            }
            let disclosed = disclosed_history_record(
                reader,
                &p.issuer,
                &p.commitment,
                p.verifier_did.as_ref(),
            )?;
            let Some(record) = disclosed else {
                return Ok(Evaluation::Restricted(RESTRICTED_HISTORY));
            };
            if record.history_len > MAX_PROVEN_HISTORY {
                return Err(EvalError::HistoryTooLong {
                    len: record.history_len,
                    max: MAX_PROVEN_HISTORY,
                });
            }
            match licence_history(reader, &p.issuer, &p.commitment, p.verifier_did.as_ref())? {
                Some(events) => Ok(Evaluation::Found(json(&events)?)),
                None => Ok(Evaluation::Restricted(RESTRICTED_HISTORY)),
            }
        }
        ProvenQuery::DidResolve(p) => Ok(match did_resolve(reader, &p.did, p.version_id)? {
            Some(resolution) => Evaluation::Found(json(&resolution)?),
            None => Evaluation::NotFound,
        }),
        ProvenQuery::IssuerGet(p) => Ok(match issuer_get(reader, &p.key)? {
            Some(issuer) => Evaluation::Found(json(&issuer)?),
            None => Evaluation::NotFound,
        }),
        ProvenQuery::LicenceTypeGet(p) => Ok(match licence_type_get(reader, &p.code)? {
            Some(entry) => Evaluation::Found(json(&entry)?),
            None => Evaluation::NotFound,
        }),
        ProvenQuery::PolicyGet(p) => Ok(
            match policy_get(reader, p.recognising, p.issuing, &p.licence_type)? {
                Some(policy) => Evaluation::Found(json(&policy)?),
                None => Evaluation::NotFound,
            },
        ),
        ProvenQuery::StateGet(p) => {
            if p.key.0.len() > MAX_KEY_LEN_BYTES {
                return Err(EvalError::KeyTooLong {
                    len: p.key.0.len(),
                    max: MAX_KEY_LEN_BYTES,
                });
            }
            Ok(match reader.get(&p.key.0).map_err(QueryError::from)? {
                Some(value) => Evaluation::Found(serde_json::Value::String(hex::encode(value))),
                None => Evaluation::NotFound,
            })
        }
    }
}

/// Evaluate and return the envelope's `value`: the found value, or `null`.
pub fn envelope_value(evaluation: &Evaluation) -> serde_json::Value {
    match evaluation {
        Evaluation::Found(value) => value.clone(),
        Evaluation::NotFound | Evaluation::Restricted(_) => serde_json::Value::Null,
    }
}

/// The head height of the state `reader` reads (for messages).
pub fn state_height(reader: &impl StateReader) -> Option<u64> {
    query::head(reader).ok().map(|h| h.height)
}
