//! RPC errors and their stable JSON-RPC codes.
//!
//! Codes are part of the public interface (docs/RPC.md copies this table): never renumber, only
//! add. Application codes sit outside the range JSON-RPC 2.0 reserves (-32768..=-32000), because
//! the server library already uses -32001..=-32011 for its own transport errors.
//!
//! | code | name | when |
//! |---|---|---|
//! | -32700 | parse error | body is not JSON (library) |
//! | -32600 | invalid request | not a JSON-RPC request object (library) |
//! | -32601 | method not found | unknown method (library) |
//! | -32602 | invalid params | wrong types, bad hex, wrong lengths, bad DID, bad province |
//! | -32005 / -32006 / -32007 / -32008 / -32010 | limits | see docs/RPC.md (library) |
//! | -33001 | not found | the record, block or transaction does not exist |
//! | -33002 | state unavailable | the asked version is pruned or not yet written |
//! | -33003 | not ready | the node has no state yet |
//! | -33004 | proof unavailable | a `"proof": true` answer would exceed a proof limit |
//! | -33010 | tx rejected | invalid transaction; `data: {code, name, message}` from `TxError` |
//! | -33011 | mempool full | `data: {reason}` |
//! | -33012 | duplicate tx | `data: {hash}` |
//! | -33013 | tx not admitted | mempool policy (quota, nonce gap, nonce taken) |
//! | -33014 | not accepting txs | syncing or shutting down |
//! | -33020 | access restricted | the licence's data class withholds this from the caller |
//! | -33021 | authentication failed | a verifier DID claim whose `auth` is missing or invalid |
//! | -33030 | busy | too many backend calls in flight; retry later |
//! | -33040 | batch leaves not signed | `batch_submitLeaves` not signed by the key that anchored the batch |
//! | -33041 | batch leaves quota | the issuer's kept leaves would exceed `max_batch_leaves_per_issuer` |
//! | -33099 | internal | node fault (details in the node's log) |

use jsonrpsee::types::{ErrorObject, ErrorObjectOwned};
use serde_json::json;

use super::backend::{BackendError, SubmitError};
use yrd_contracts::query::QueryError;
use yrd_contracts::tree::ProofError;
use yrd_contracts::types::TxHash;
use yrd_contracts::{ReadError, TxError};
use yrd_verifier::query::EvalError;
use yrd_verifier::status_list::StatusListError;
use yrd_verifier::vc::VcError;

/// JSON-RPC 2.0 "invalid params".
pub const INVALID_PARAMS: i32 = -32602;
/// The thing asked for does not exist.
pub const NOT_FOUND: i32 = -33001;
/// The state version is pruned or not yet written.
pub const STATE_UNAVAILABLE: i32 = -33002;
/// The node has no state yet.
pub const NOT_READY: i32 = -33003;
/// The answer cannot be proven within the proof limits.
pub const PROOF_UNAVAILABLE: i32 = -33004;
/// The transaction is invalid.
pub const TX_REJECTED: i32 = -33010;
/// The mempool is full.
pub const MEMPOOL_FULL: i32 = -33011;
/// The transaction is already known.
pub const DUPLICATE_TX: i32 = -33012;
/// The mempool's admission policy refused the transaction.
pub const TX_NOT_ADMITTED: i32 = -33013;
/// The node does not take transactions now.
pub const NOT_ACCEPTING_TXS: i32 = -33014;
/// The licence's data class withholds the answer from this caller.
pub const ACCESS_RESTRICTED: i32 = -33020;
/// A verifier DID claim failed authentication.
pub const AUTH_FAILED: i32 = -33021;
/// Too many backend calls in flight.
pub const BUSY: i32 = -33030;
/// Batch leaves not signed by the issuer that anchored the batch.
pub const BATCH_LEAVES_NOT_SIGNED: i32 = -33040;
/// The issuer's kept batch leaves would exceed the node's per-issuer limit.
pub const BATCH_LEAVES_QUOTA: i32 = -33041;
/// Node fault.
pub const INTERNAL: i32 = -33099;

/// Every application error code, for the docs test.
pub const APPLICATION_CODES: [i32; 16] = [
    NOT_FOUND,
    STATE_UNAVAILABLE,
    NOT_READY,
    PROOF_UNAVAILABLE,
    TX_REJECTED,
    MEMPOOL_FULL,
    DUPLICATE_TX,
    TX_NOT_ADMITTED,
    NOT_ACCEPTING_TXS,
    ACCESS_RESTRICTED,
    AUTH_FAILED,
    BUSY,
    BATCH_LEAVES_NOT_SIGNED,
    BATCH_LEAVES_QUOTA,
    INTERNAL,
    INVALID_PARAMS,
];

/// A failed RPC call.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// A parameter is malformed.
    #[error("invalid {param}: {reason}")]
    InvalidParam {
        /// Parameter name as in the API.
        param: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Not found.
    #[error("{kind} {id} not found")]
    NotFound {
        /// What was asked for.
        kind: &'static str,
        /// Its identifier as given.
        id: String,
    },
    /// A backend read failed.
    #[error(transparent)]
    Backend(#[from] BackendError),
    /// A submission was refused.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The data class withholds the answer.
    #[error("{0}")]
    AccessRestricted(String),
    /// Verifier authentication failed.
    #[error("verifier authentication failed: {0}")]
    AuthFailed(String),
    /// Too many backend calls in flight.
    #[error("busy: {in_flight} backend calls in flight (limit {limit}); retry later")]
    Busy {
        /// Calls in flight.
        in_flight: u32,
        /// The limit.
        limit: u32,
    },
    /// `batch_submitLeaves` not signed by the key that anchored the batch.
    #[error("{0}")]
    BatchLeavesNotSigned(String),
    /// The issuer's kept batch leaves would exceed the node's limit.
    #[error("{message}")]
    BatchLeavesQuota {
        /// What happened.
        message: String,
        /// Leaves the issuer keeps already.
        kept: u64,
        /// The limit.
        max: u64,
    },
    /// A proof was asked for but would exceed a limit.
    #[error("proof unavailable: {0}")]
    ProofUnavailable(String),
    /// Node fault.
    #[error("internal error: {0}")]
    Internal(#[from] InternalError),
}

/// A node fault behind a failed call: never the caller's doing. The client sees only "internal
/// error" with code -33099; the node's log gets this.
#[derive(Debug, thiserror::Error)]
pub enum InternalError {
    /// Reading the state failed.
    #[error("reading the state: {0}")]
    Read(#[from] ReadError),
    /// A query could not be evaluated (its answer did not serialize).
    #[error("evaluating a query: {0}")]
    Eval(#[source] EvalError),
    /// An evaluated answer does not decode as the view it is served as.
    #[error("the {what} answer does not decode: {source}")]
    Answer {
        /// The method whose answer it is.
        what: &'static str,
        /// Why it does not decode.
        source: serde_json::Error,
    },
    /// A committed transaction in the store does not decode.
    #[error("stored transaction {} does not decode: {source}", hex::encode(.hash))]
    StoredTx {
        /// Its hash.
        hash: TxHash,
        /// Why it does not decode.
        source: TxError,
    },
    /// This node's own state does not match the root its committed header attests.
    #[error("this node's state at height {version} does not match the certified root: {source}")]
    StateMismatch {
        /// The state version.
        version: u64,
        /// Why the proof of a read failed against the root.
        source: ProofError,
    },
    /// A status list could not be built.
    #[error("building a status list: {0}")]
    StatusList(#[from] StatusListError),
    /// Signing a credential failed.
    #[error("signing a credential: {0}")]
    Sign(#[from] VcError),
    /// The limiter of backend calls is closed.
    #[error("backend call limiter closed")]
    LimiterClosed(#[from] tokio::sync::AcquireError),
    /// A blocking backend task panicked or was cancelled.
    #[error("backend task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
    /// A lock was poisoned by a holder that panicked.
    #[error("{0} lock poisoned")]
    Poisoned(&'static str),
    /// The state lacks a record every chain's state has.
    #[error("the state has no {0} record")]
    MissingRecord(&'static str),
    /// This code broke one of its own invariants.
    #[error("{0}")]
    Invariant(&'static str),
}

impl From<ReadError> for RpcError {
    fn from(error: ReadError) -> Self {
        RpcError::Internal(InternalError::Read(error))
    }
}

impl From<tokio::task::JoinError> for RpcError {
    fn from(error: tokio::task::JoinError) -> Self {
        RpcError::Internal(InternalError::Task(error))
    }
}

impl RpcError {
    /// A malformed parameter.
    pub fn param(param: &'static str, reason: impl Into<String>) -> Self {
        RpcError::InvalidParam {
            param,
            reason: reason.into(),
        }
    }

    /// The JSON-RPC error code.
    pub fn code(&self) -> i32 {
        match self {
            RpcError::InvalidParam { .. } => INVALID_PARAMS,
            RpcError::NotFound { .. } => NOT_FOUND,
            RpcError::ProofUnavailable(_) => PROOF_UNAVAILABLE,
            RpcError::Backend(BackendError::VersionUnavailable { .. }) => STATE_UNAVAILABLE,
            RpcError::Backend(BackendError::NotReady(_)) => NOT_READY,
            RpcError::Backend(BackendError::Internal(_)) | RpcError::Internal(_) => INTERNAL,
            RpcError::Submit(SubmitError::Invalid(_)) => TX_REJECTED,
            RpcError::Submit(SubmitError::MempoolFull { .. }) => MEMPOOL_FULL,
            RpcError::Submit(SubmitError::Duplicate { .. }) => DUPLICATE_TX,
            RpcError::Submit(SubmitError::NotAdmitted { .. }) => TX_NOT_ADMITTED,
            RpcError::Submit(SubmitError::NotAccepting { .. }) => NOT_ACCEPTING_TXS,
            RpcError::AccessRestricted(_) => ACCESS_RESTRICTED,
            RpcError::AuthFailed(_) => AUTH_FAILED,
            RpcError::Busy { .. } => BUSY,
            RpcError::BatchLeavesNotSigned(_) => BATCH_LEAVES_NOT_SIGNED,
            RpcError::BatchLeavesQuota { .. } => BATCH_LEAVES_QUOTA,
        }
    }

    fn data(&self) -> Option<serde_json::Value> {
        match self {
            RpcError::InvalidParam { param, reason } => {
                Some(json!({ "param": param, "reason": reason }))
            }
            RpcError::Submit(SubmitError::Invalid(e)) => Some(json!({
                "code": e.code(),
                "name": tx_error_name(e.code()),
                "message": e.to_string(),
            })),
            RpcError::Submit(SubmitError::Duplicate { hash }) => {
                Some(json!({ "hash": hex::encode(hash) }))
            }
            RpcError::Submit(SubmitError::MempoolFull { reason })
            | RpcError::Submit(SubmitError::NotAdmitted { reason }) => {
                Some(json!({ "reason": reason }))
            }
            RpcError::Backend(BackendError::VersionUnavailable {
                version,
                oldest_kept,
                latest,
            }) => Some(json!({ "version": version, "oldestKept": oldest_kept, "latest": latest })),
            RpcError::BatchLeavesQuota { kept, max, .. } => {
                Some(json!({ "kept": kept, "max": max }))
            }
            _ => None,
        }
    }
}

impl From<RpcError> for ErrorObjectOwned {
    fn from(error: RpcError) -> Self {
        // Internal details stay in the node's log; the client gets the category.
        let message = match &error {
            RpcError::Backend(BackendError::Internal(_)) | RpcError::Internal(_) => {
                tracing::warn!(%error, "rpc call failed on a node fault");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        ErrorObject::owned(error.code(), message, error.data())
    }
}

impl From<QueryError> for RpcError {
    fn from(error: QueryError) -> Self {
        match error {
            QueryError::NotFound { kind, id } => RpcError::NotFound { kind, id },
            QueryError::NoGenesis => {
                RpcError::Backend(BackendError::NotReady("state has no genesis".to_owned()))
            }
            QueryError::Read(e) => RpcError::from(e),
        }
    }
}

/// The `TxError` variant name of a stable code (docs/RPC.md lists them), `Unknown` otherwise.
pub fn tx_error_name(code: u32) -> &'static str {
    match code {
        100 => "Malformed",
        101 => "NonCanonical",
        102 => "TooLarge",
        103 => "WrongChain",
        104 => "Expired",
        105 => "BadNonce",
        106 => "BadSignature",
        107 => "InvalidSignerKey",
        108 => "NonceExhausted",
        109 => "UnregisteredSigner",
        200 => "InvalidField",
        201 => "FieldTooLong",
        202 => "ListTooLong",
        203 => "OutOfRange",
        204 => "InvalidValidity",
        300 => "NotAuthority",
        301 => "WrongProvince",
        302 => "NotIssuer",
        303 => "IssuerSuspended",
        304 => "IssuerRevoked",
        305 => "NotAccreditedForType",
        306 => "NotLicenceIssuer",
        307 => "NotDidController",
        308 => "NotRegisteredParty",
        309 => "NotTypeOwner",
        310 => "NotVerifierRegistrar",
        311 => "ProvinceNotMember",
        312 => "PredatesAdmission",
        313 => "TypeCodeOutsideNamespace",
        400 => "NotFound",
        401 => "AlreadyExists",
        402 => "InvalidTransition",
        403 => "DidDeactivated",
        404 => "LimitReached",
        405 => "BatchProofInvalid",
        406 => "SelfRecognition",
        407 => "WouldEmpty",
        408 => "TooFewMembers",
        500 => "ProposalNotFound",
        501 => "ProposalClosed",
        502 => "ProposalExpired",
        503 => "AlreadyVoted",
        901 => "ArithmeticOverflow",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrd_contracts::types::ProvinceCode;

    /// The variant name as `Debug` prints it, so the table cannot drift from the enum.
    fn debug_name(error: &TxError) -> String {
        format!("{error:?}")
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect()
    }

    #[test]
    fn names_match_the_tx_error_variants() {
        let samples = [
            TxError::Malformed { reason: "x".into() },
            TxError::NonCanonical { len: 1 },
            TxError::TooLarge { len: 2, limit: 1 },
            TxError::WrongChain {
                expected: "a".into(),
                actual: "b".into(),
            },
            TxError::Expired {
                expiry_height: 1,
                height: 2,
            },
            TxError::BadNonce {
                expected: 1,
                actual: 5,
            },
            TxError::BadSignature,
            TxError::InvalidSignerKey {
                key: [0; 32],
                reason: "weak",
            },
            TxError::NonceExhausted,
            TxError::UnregisteredSigner { signer: [1; 32] },
            TxError::InvalidField {
                field: "f",
                reason: "r".into(),
            },
            TxError::FieldTooLong {
                field: "f",
                len: 2,
                max: 1,
            },
            TxError::ListTooLong {
                field: "f",
                len: 2,
                max: 1,
            },
            TxError::OutOfRange {
                field: "f",
                value: 0,
                min: 1,
                max: 2,
            },
            TxError::InvalidValidity {
                valid_from_ms: 2,
                valid_until_ms: 1,
            },
            TxError::NotAuthority { signer: [1; 32] },
            TxError::WrongProvince {
                signer: ProvinceCode::JIANGSU,
                target: ProvinceCode::SHANGHAI,
            },
            TxError::NotIssuer { signer: [1; 32] },
            TxError::IssuerSuspended { issuer: [1; 32] },
            TxError::IssuerRevoked { issuer: [1; 32] },
            TxError::NotAccreditedForType {
                issuer: [1; 32],
                licence_type: "T".into(),
            },
            TxError::NotLicenceIssuer {
                commitment: [1; 32],
                issuer: [2; 32],
            },
            TxError::NotDidController {
                did: "d".into(),
                signer: [1; 32],
            },
            TxError::NotRegisteredParty { signer: [1; 32] },
            TxError::NotTypeOwner {
                licence_type: "T".into(),
                owner: ProvinceCode::ANHUI,
            },
            TxError::NotVerifierRegistrar {
                verifier: "d".into(),
                registrar: ProvinceCode::ANHUI,
            },
            TxError::ProvinceNotMember {
                province: ProvinceCode::ANHUI,
            },
            TxError::PredatesAdmission {
                kind: "issuer",
                id: "i".into(),
                province: ProvinceCode::ANHUI,
                height: 1,
                joined_height: 2,
            },
            TxError::TypeCodeOutsideNamespace {
                licence_type: "T".into(),
                division: "320100".into(),
                province: ProvinceCode::SHANGHAI,
            },
            TxError::NotFound {
                kind: "k",
                id: "i".into(),
            },
            TxError::AlreadyExists {
                kind: "k",
                id: "i".into(),
            },
            TxError::InvalidTransition {
                kind: "k",
                id: "i".into(),
                from: "a",
                action: "b",
            },
            TxError::DidDeactivated { did: "d".into() },
            TxError::LimitReached { what: "w", max: 1 },
            TxError::BatchProofInvalid {
                root: [0; 32],
                commitment: [1; 32],
            },
            TxError::SelfRecognition {
                province: ProvinceCode::ANHUI,
            },
            TxError::WouldEmpty { what: "member" },
            TxError::TooFewMembers {
                remaining: 1,
                min: 2,
            },
            TxError::ProposalNotFound { id: 1 },
            TxError::ProposalClosed { id: 1 },
            TxError::ProposalExpired {
                id: 1,
                expires_height: 2,
            },
            TxError::AlreadyVoted {
                id: 1,
                province: ProvinceCode::ANHUI,
            },
            TxError::ArithmeticOverflow { what: "nonce" },
        ];
        for error in &samples {
            assert_eq!(
                tx_error_name(error.code()),
                debug_name(error),
                "code {}",
                error.code()
            );
        }
        assert_eq!(tx_error_name(999), "Unknown");
    }

    #[test]
    fn codes_are_distinct_and_outside_the_reserved_range_except_invalid_params() {
        let mut codes = APPLICATION_CODES.to_vec();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), APPLICATION_CODES.len());
        for code in APPLICATION_CODES {
            assert!(
                code == INVALID_PARAMS || !(-32768..=-32000).contains(&code),
                "{code}"
            );
        }
    }

    #[test]
    fn rejected_tx_carries_code_and_name() {
        let error = RpcError::Submit(SubmitError::Invalid(TxError::BadNonce {
            expected: 3,
            actual: 1,
        }));
        let object = ErrorObjectOwned::from(error);
        assert_eq!(object.code(), TX_REJECTED);
        let data: serde_json::Value = serde_json::from_str(object.data().unwrap().get()).unwrap();
        assert_eq!(data["code"], 105);
        assert_eq!(data["name"], "BadNonce");
        let internal = ErrorObjectOwned::from(RpcError::Internal(InternalError::Invariant(
            "disk on fire at /var",
        )));
        assert_eq!(internal.message(), "internal error");
        assert_eq!(internal.code(), INTERNAL);
        let backend = BackendError::Internal(crate::rpc::backend::BackendFault::Missing {
            what: "state root of committed height",
            at: 7,
        });
        let internal = ErrorObjectOwned::from(RpcError::Backend(backend));
        assert_eq!(internal.message(), "internal error");
        assert_eq!(internal.code(), INTERNAL);
    }
}
