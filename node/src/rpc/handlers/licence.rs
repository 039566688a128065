//! `licence_*`: verification under the data classes, with authenticated verifier claims.
//!
//! Who verified which licence is a private verification log: licence queries are logged only on
//! the [`verification_log`] target, which the node's log filter keeps off unless configured.
//!
//! `licence_getHistory` answers "no such licence" and "history withheld from this caller" with
//! one and the same error ([`history_undisclosed`]), with or without a proof, so that a caller
//! the data class tells nothing cannot learn from it whether the licence exists.

use jsonrpsee::PendingSubscriptionSink;
use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{
    Disclosure, LicenceEventView, LicenceVerification, licence_history, licence_verify,
};
use yrd_contracts::types::Digest32;
use yrd_verifier::query::{
    BatchParam, EvalError, LicenceParams, LicenceVerifyParams, RESTRICTED_HISTORY,
};
use yrd_verifier::{Evaluation, ProvenQuery, evaluate};

use super::RpcHandlers;
use super::subscriptions::{self, StatusWatch};
use crate::rpc::api::LicenceApiServer;
use crate::rpc::auth::{AuthParams, authenticate};
use crate::rpc::context::RpcContext;
use crate::rpc::error::{InternalError, RpcError};
use crate::rpc::params::{AuthParam, ProvinceParam, parse_did, parse_hex32, parse_uscc};
use crate::rpc::verification_log;
use crate::rpc::views::MaybeProven;

/// Parses an optional `verifierDid`.
pub(super) fn parse_claim(verifier_did: Option<&str>) -> Result<Option<DidId>, RpcError> {
    verifier_did
        .map(|did| parse_did("verifierDid", did))
        .transpose()
}

/// An evaluation failure as an RPC error.
pub(super) fn eval_error(error: EvalError) -> RpcError {
    match error {
        EvalError::Query(e) => RpcError::from(e),
        EvalError::KeyTooLong { .. } => RpcError::param("key", error.to_string()),
        EvalError::HistoryTooLong { .. } => RpcError::ProofUnavailable(error.to_string()),
        EvalError::Json(_) => RpcError::Internal(InternalError::Eval(error)),
    }
}

/// The one answer of `licence_getHistory` for an absent licence and for a history the data class
/// withholds from the caller.
fn history_undisclosed() -> RpcError {
    RpcError::AccessRestricted(RESTRICTED_HISTORY.to_owned())
}

#[async_trait]
impl LicenceApiServer for RpcHandlers {
    async fn verify(
        &self,
        issuer: String,
        commitment: String,
        region: ProvinceParam,
        verifier_did: Option<String>,
        auth: Option<AuthParam>,
        batch: Option<BatchParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceVerification>> {
        let issuer = parse_uscc("issuer", &issuer)?;
        let commitment = parse_hex32("commitment", &commitment)?;
        let region = region.parse("region")?;
        let claimed = parse_claim(verifier_did.as_deref())?;
        let answer = self
            .ctx
            .run_blocking(move |ctx| {
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                let params = AuthParams::Verify {
                    commitment: &commitment,
                    region,
                };
                let verifier = authenticate(
                    reader,
                    "licence_verify",
                    claimed.as_ref(),
                    auth.as_ref(),
                    &params,
                    ctx.auth_check(),
                )?;
                let query = ProvenQuery::LicenceVerify(LicenceVerifyParams {
                    issuer: issuer.clone(),
                    commitment,
                    region,
                    verifier_did: verifier,
                    batch,
                });
                if proof == Some(true) {
                    verification_log::record(
                        "licence_verify",
                        &issuer,
                        &commitment,
                        verifier.as_ref(),
                        None,
                        "proof asked",
                    );
                    let answer = super::prove(ctx, query)?;
                    return Ok(MaybeProven::Proven(Box::new(answer)));
                }
                let answer = match evaluate(&query, &reader).map_err(eval_error)? {
                    Evaluation::Found(value) => {
                        serde_json::from_value::<LicenceVerification>(value).map_err(|source| {
                            RpcError::Internal(InternalError::Answer {
                                what: "licence_verify",
                                source,
                            })
                        })?
                    }
                    Evaluation::NotFound | Evaluation::Restricted(_) => {
                        return Err(RpcError::Internal(InternalError::Invariant(
                            "licence_verify always answers",
                        )));
                    }
                };
                let ProvenQuery::LicenceVerify(params) = &query else {
                    return Err(RpcError::Internal(InternalError::Invariant(
                        "query changed kind",
                    )));
                };
                verification_log::record(
                    "licence_verify",
                    &params.issuer,
                    &commitment,
                    params.verifier_did.as_ref(),
                    Some(answer.disclosure),
                    "answered",
                );
                Ok(MaybeProven::Plain(answer))
            })
            .await?;
        Ok(answer)
    }

    async fn get(
        &self,
        issuer: String,
        commitment: String,
        verifier_did: Option<String>,
        auth: Option<AuthParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceVerification>> {
        let issuer = parse_uscc("issuer", &issuer)?;
        let commitment = parse_hex32("commitment", &commitment)?;
        let claimed = parse_claim(verifier_did.as_deref())?;
        let answer = self
            .ctx
            .run_blocking(move |ctx| {
                licence_get(
                    ctx,
                    &issuer,
                    &commitment,
                    claimed.as_ref(),
                    auth.as_ref(),
                    proof == Some(true),
                )
            })
            .await?;
        Ok(answer)
    }

    async fn get_history(
        &self,
        issuer: String,
        commitment: String,
        verifier_did: Option<String>,
        auth: Option<AuthParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<Vec<LicenceEventView>>> {
        let issuer = parse_uscc("issuer", &issuer)?;
        let commitment = parse_hex32("commitment", &commitment)?;
        let claimed = parse_claim(verifier_did.as_deref())?;
        let events = self
            .ctx
            .run_blocking(move |ctx| {
                licence_get_history(
                    ctx,
                    &issuer,
                    &commitment,
                    claimed.as_ref(),
                    auth.as_ref(),
                    proof == Some(true),
                )
            })
            .await?;
        Ok(events)
    }

    async fn subscribe_status(
        &self,
        pending: PendingSubscriptionSink,
        issuer: String,
        commitments: Vec<String>,
        region: ProvinceParam,
        verifier_did: Option<String>,
        auth: Option<AuthParam>,
    ) -> SubscriptionResult {
        let watch = match StatusWatch::parse(
            &self.ctx,
            &issuer,
            &commitments,
            &region,
            verifier_did.as_deref(),
            auth,
        ) {
            Ok(watch) => watch,
            Err(error) => {
                pending.reject(error).await;
                return Ok(());
            }
        };
        subscriptions::licence_status(&self.ctx, pending, watch).await
    }
}

/// `licence_get`: the `licence_verify` answer as the licence's home province sees it, without the
/// recognition verdict; refused when the data class discloses nothing to the caller.
fn licence_get(
    ctx: &RpcContext,
    issuer: &Uscc,
    commitment: &Digest32,
    claimed: Option<&DidId>,
    auth: Option<&AuthParam>,
    proof: bool,
) -> Result<MaybeProven<LicenceVerification>, RpcError> {
    let state = ctx.backend.state_at(None)?;
    let reader: &dyn StateReader = &*state;
    let params = AuthParams::Licence { commitment };
    let verifier = authenticate(
        reader,
        "licence_get",
        claimed,
        auth,
        &params,
        ctx.auth_check(),
    )?;
    if proof {
        let query = ProvenQuery::LicenceGet(LicenceParams {
            issuer: issuer.clone(),
            commitment: *commitment,
            verifier_did: verifier,
        });
        verification_log::record(
            "licence_get",
            issuer,
            commitment,
            verifier.as_ref(),
            None,
            "proof asked",
        );
        return super::proven(ctx, query);
    }
    // The gate leaf (home province, type, issuer), if the licence has a record of its own.
    let gate = yrd_contracts::query::licence_gate(&reader, issuer, commitment)
        .map_err(RpcError::from)?
        .ok_or_else(|| RpcError::NotFound {
            kind: "licence",
            id: hex::encode(commitment),
        })?;
    let mut answer = licence_verify(
        &reader,
        issuer,
        commitment,
        gate.province,
        verifier.as_ref(),
    )?;
    verification_log::record(
        "licence_get",
        issuer,
        commitment,
        verifier.as_ref(),
        Some(answer.disclosure),
        "answered",
    );
    answer.recognition = None;
    match answer.disclosure {
        Disclosure::Denied => Err(RpcError::AccessRestricted(
            "this licence's data class discloses nothing to callers that are not registered verifiers".into(),
        )),
        Disclosure::NotFound => Err(RpcError::NotFound { kind: "licence", id: hex::encode(commitment) }),
        Disclosure::Full | Disclosure::ValidityOnly | Disclosure::StatusOnly => {
            Ok(MaybeProven::Plain(answer))
        }
    }
}

/// `licence_getHistory`: the events, only under full disclosure. An absent licence and a history
/// the data class withholds get one and the same error, with or without a proof.
fn licence_get_history(
    ctx: &RpcContext,
    issuer: &Uscc,
    commitment: &Digest32,
    claimed: Option<&DidId>,
    auth: Option<&AuthParam>,
    proof: bool,
) -> Result<MaybeProven<Vec<LicenceEventView>>, RpcError> {
    let state = ctx.backend.state_at(None)?;
    let reader: &dyn StateReader = &*state;
    let params = AuthParams::Licence { commitment };
    let verifier = authenticate(
        reader,
        "licence_getHistory",
        claimed,
        auth,
        &params,
        ctx.auth_check(),
    )?;
    let log = |disclosure: Option<Disclosure>, outcome: &'static str| {
        verification_log::record(
            "licence_getHistory",
            issuer,
            commitment,
            verifier.as_ref(),
            disclosure,
            outcome,
        );
    };
    if proof {
        let query = ProvenQuery::LicenceGetHistory(LicenceParams {
            issuer: issuer.clone(),
            commitment: *commitment,
            verifier_did: verifier,
        });
        let (evaluation, answer) = crate::proof::collect::prove(&*ctx.backend, query)?;
        return match evaluation {
            Evaluation::Found(_) => {
                log(Some(Disclosure::Full), "proven");
                Ok(MaybeProven::Proven(Box::new(answer)))
            }
            Evaluation::NotFound | Evaluation::Restricted(_) => {
                log(None, "undisclosed");
                Err(history_undisclosed())
            }
        };
    }
    match licence_history(&reader, issuer, commitment, verifier.as_ref())? {
        Some(events) => {
            log(Some(Disclosure::Full), "answered");
            Ok(MaybeProven::Plain(events))
        }
        None => {
            log(None, "undisclosed");
            Err(history_undisclosed())
        }
    }
}
