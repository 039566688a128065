//! `GET /status/{uscc}/{purpose}`: an issuer's W3C Bitstring Status List credential
//! (`yrd_verifier::status_list`), built from ledger state and signed by this node's key
//! (docs/CREDENTIALS.md, ADR 014).
//!
//! The issuer is named by its USCC, as the licences' state keys and the credentials' subjects
//! name it (ADR 009); the purpose is `revocation` or `suspension`. The list reflects the state
//! version proven answers are read at (the newest one a committed header attests), so a verifier
//! comparing it with a proven `licence_verify` compares like with like; `credentialSubject`
//! carries that height. A licence whose data class keeps its status from the public has its bit
//! set in both lists (fail closed). Lists are cached per (height, issuer, purpose): a list at a height never
//! changes, and Ed25519 signatures are deterministic, so a cached answer is the answer.
//!
//! Errors are RFC 9457 problem details (`application/problem+json`), as in the DID binding.

use std::sync::Arc;

use serde_json::{Value, json};
use yrd_contracts::keys;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{ListedStatus, QueryError, StatusListError, status_list_entries};
use yrd_contracts::reader::read_record;
use yrd_contracts::records::ChainRecord;
use yrd_verifier::status_list::{
    Bitstring, ListScope, STATUS_PATH, StatusPurpose, did_key, list_credential,
};
use yrd_verifier::vc;

use super::context::RpcContext;
use super::error::{InternalError, RpcError};

/// `Content-Type` of a list.
pub const LIST_MEDIA_TYPE: &str = "application/vc";
/// `Content-Type` of an error.
pub const PROBLEM_MEDIA_TYPE: &str = "application/problem+json";
/// Prefix of the problem `type`s.
pub const ERROR_TYPE_PREFIX: &str = "urn:yrd:status-list#";
/// Lists kept by the per-height cache (each at most a few hundred KiB, usually a few KiB).
pub const STATUS_LIST_CACHE_ENTRIES: u64 = 64;

/// The cache of signed lists: (height, USCC, purpose) → the credential's JSON text.
pub type ListCache = moka::sync::Cache<(u64, String, StatusPurpose), Arc<String>>;

/// A new, empty cache.
pub fn new_cache() -> ListCache {
    moka::sync::Cache::new(STATUS_LIST_CACHE_ENTRIES)
}

/// The route's errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// The path is not `/status/{uscc}/{purpose}`, or the USCC is not one.
    InvalidIssuer,
    /// The purpose is neither `revocation` nor `suspension`.
    InvalidPurpose,
    /// No issuer was ever accredited under the USCC.
    NotFound,
    /// The issuer has more licences than this node lists (`[rpc] status_list_max_entries`).
    ListTooLarge,
    /// This node has no key to sign lists with.
    NotSigning,
    /// The node is too busy, or not ready.
    Unavailable,
    /// A node fault.
    InternalError,
}

impl ErrorType {
    /// The name after [`ERROR_TYPE_PREFIX`].
    pub fn name(self) -> &'static str {
        match self {
            ErrorType::InvalidIssuer => "INVALID_ISSUER",
            ErrorType::InvalidPurpose => "INVALID_PURPOSE",
            ErrorType::NotFound => "NOT_FOUND",
            ErrorType::ListTooLarge => "LIST_TOO_LARGE",
            ErrorType::NotSigning => "NOT_SIGNING",
            ErrorType::Unavailable => "UNAVAILABLE",
            ErrorType::InternalError => "INTERNAL_ERROR",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ErrorType::InvalidIssuer => "Invalid issuer",
            ErrorType::InvalidPurpose => "Invalid status purpose",
            ErrorType::NotFound => "Not found",
            ErrorType::ListTooLarge => "List too large for this node",
            ErrorType::NotSigning => "This node does not sign status lists",
            ErrorType::Unavailable => "Unavailable",
            ErrorType::InternalError => "Internal error",
        }
    }

    /// The HTTP status.
    pub fn status(self) -> u16 {
        match self {
            ErrorType::InvalidIssuer | ErrorType::InvalidPurpose => 400,
            ErrorType::NotFound => 404,
            ErrorType::InternalError => 500,
            ErrorType::ListTooLarge | ErrorType::NotSigning | ErrorType::Unavailable => 503,
        }
    }
}

/// An answer of the route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusHttpResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
}

/// The problem-details answer for `error`.
pub fn error_answer(error: ErrorType, detail: &str) -> StatusHttpResponse {
    StatusHttpResponse {
        status: error.status(),
        content_type: PROBLEM_MEDIA_TYPE,
        body: json!({
            "type": format!("{ERROR_TYPE_PREFIX}{}", error.name()),
            "title": error.title(),
            "status": error.status(),
            "detail": detail,
        })
        .to_string(),
    }
}

/// The issuer and purpose a path (`/status/{uscc}/{purpose}`) names.
pub fn parse_path(path: &str) -> Result<(Uscc, StatusPurpose), StatusHttpResponse> {
    let rest = path.strip_prefix(STATUS_PATH).unwrap_or_default();
    let Some((issuer, purpose)) = rest.split_once('/') else {
        return Err(error_answer(
            ErrorType::InvalidIssuer,
            "the path is /status/{issuer USCC}/{revocation|suspension}",
        ));
    };
    // Bounded before it is echoed in a message.
    let shown = |text: &str| text.chars().take(64).collect::<String>();
    let uscc: Uscc = issuer.parse().map_err(|_| {
        error_answer(
            ErrorType::InvalidIssuer,
            &format!("{:?} is not a unified social credit code", shown(issuer)),
        )
    })?;
    let purpose = StatusPurpose::parse(purpose).ok_or_else(|| {
        error_answer(
            ErrorType::InvalidPurpose,
            &format!(
                "status purpose {:?} is neither revocation nor suspension",
                shown(purpose)
            ),
        )
    })?;
    Ok((uscc, purpose))
}

/// Why a list could not be served, before it becomes an answer.
enum Failure {
    Rpc(RpcError),
    List(StatusListError),
    NotSigning,
}

impl From<RpcError> for Failure {
    fn from(error: RpcError) -> Self {
        Failure::Rpc(error)
    }
}

/// Serves the list the path names.
pub async fn serve(ctx: &Arc<RpcContext>, path: &str) -> StatusHttpResponse {
    let (uscc, purpose) = match parse_path(path) {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let answer = ctx
        .run_blocking(move |ctx| Ok(build(ctx, &uscc, purpose)))
        .await;
    let failure = match answer {
        Ok(Ok(body)) => {
            return StatusHttpResponse {
                status: 200,
                content_type: LIST_MEDIA_TYPE,
                body: body.as_str().to_owned(),
            };
        }
        Ok(Err(failure)) => failure,
        Err(error) => Failure::Rpc(error),
    };
    match failure {
        Failure::NotSigning => error_answer(
            ErrorType::NotSigning,
            "this node has no ed25519 key to sign status lists with (eddsa-jcs-2022 signs with ed25519 only; a node of an sm2-sm3 chain signs none)",
        ),
        Failure::List(StatusListError::Query(QueryError::NotFound { kind, id })) => {
            error_answer(ErrorType::NotFound, &format!("{kind} {id} not found"))
        }
        Failure::List(error @ StatusListError::TooMany { .. }) => {
            error_answer(ErrorType::ListTooLarge, &error.to_string())
        }
        Failure::Rpc(error @ RpcError::Busy { .. }) => {
            error_answer(ErrorType::Unavailable, &error.to_string())
        }
        Failure::Rpc(RpcError::Backend(super::backend::BackendError::NotReady(reason))) => {
            error_answer(ErrorType::Unavailable, &format!("node not ready: {reason}"))
        }
        Failure::Rpc(error) => {
            tracing::warn!(%error, "status list failed");
            error_answer(ErrorType::InternalError, "internal error")
        }
        Failure::List(error) => {
            tracing::warn!(%error, "status list failed");
            error_answer(ErrorType::InternalError, "internal error")
        }
    }
}

/// The signed list of `uscc` for `purpose` at the proven height (cached).
fn build(ctx: &RpcContext, uscc: &Uscc, purpose: StatusPurpose) -> Result<Arc<String>, Failure> {
    let signer = ctx
        .backend
        .status_list_signer()
        .ok_or(Failure::NotSigning)?;
    let anchor = ctx.backend.proof_anchor().map_err(RpcError::from)?;
    let height = anchor.header.executed.height;
    let cache_key = (height, uscc.to_string(), purpose);
    if let Some(hit) = ctx.status_lists.get(&cache_key) {
        return Ok(hit);
    }
    let state = ctx.backend.state_at(Some(height)).map_err(RpcError::from)?;
    let state: &dyn yrd_contracts::StateReader = &*state;
    let entries = status_list_entries(&state, uscc, ctx.config.status_list_max_entries)
        .map_err(Failure::List)?;
    let chain: ChainRecord = read_record(&state, &keys::chain())
        .map_err(RpcError::from)?
        .ok_or(RpcError::Internal(InternalError::MissingRecord("chain")))?;
    let mut list = Bitstring::new(entries.entries.len() as u64)
        .map_err(|e| RpcError::Internal(InternalError::StatusList(e)))?;
    for (index, entry) in entries.entries.iter().enumerate() {
        // A licence whose status is not public is set in every list (fail closed; module doc of
        // `yrd_contracts::query::status_list_entries`).
        let set = match (purpose, entry) {
            (_, ListedStatus::NotListed) => true,
            (StatusPurpose::Revocation, status) => *status == ListedStatus::Revoked,
            (StatusPurpose::Suspension, status) => *status == ListedStatus::Suspended,
        };
        if set {
            list.set(index as u64);
        }
    }
    let scope = ListScope {
        uscc: uscc.to_string(),
        purpose,
        ledger: chain.chain_id.0.clone(),
    };
    let public = signer.verifying_key().to_bytes();
    let valid_from = vc::rfc3339_utc(entries.block_time_ms);
    let unsigned = list_credential(&scope, &list, entries.height, &valid_from, &public);
    let (_, method) = did_key(&public);
    let config = vc::proof_config(&unsigned, &method, &valid_from, "assertionMethod");
    let signed: Value = vc::add_proof(&unsigned, &config, signer)
        .map_err(|e| RpcError::Internal(InternalError::Sign(e)))?;
    let body = Arc::new(signed.to_string());
    ctx.status_lists.insert(cache_key, Arc::clone(&body));
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_an_issuer_and_a_purpose() {
        let (uscc, purpose) = parse_path("/status/91310000MA1FL0001R/suspension").unwrap();
        assert_eq!(uscc.to_string(), "91310000MA1FL0001R");
        assert_eq!(purpose, StatusPurpose::Suspension);
        let kind = |path: &str| {
            let answer = parse_path(path).unwrap_err();
            let body: Value = serde_json::from_str(&answer.body).unwrap();
            (answer.status, body["type"].as_str().unwrap().to_owned())
        };
        assert_eq!(
            kind("/status/91310000MA1FL0001R/refresh"),
            (400, format!("{ERROR_TYPE_PREFIX}INVALID_PURPOSE"))
        );
        assert_eq!(
            kind("/status/not-a-uscc/revocation"),
            (400, format!("{ERROR_TYPE_PREFIX}INVALID_ISSUER"))
        );
        assert_eq!(
            kind("/status/91310000MA1FL0001R"),
            (400, format!("{ERROR_TYPE_PREFIX}INVALID_ISSUER"))
        );
        assert_eq!(
            kind("/status/91310000MA1FL0001R/revocation/extra"),
            (400, format!("{ERROR_TYPE_PREFIX}INVALID_PURPOSE"))
        );
    }
}
