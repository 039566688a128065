//! The two subscriptions: new heads, and status changes of watched licences.
//!
//! A subscriber that does not read its WebSocket fills the connection's message buffer; the
//! subscription is then closed with an error notification rather than letting memory grow. A
//! licence-status subscriber that falls behind the backend's broadcast (and so may have missed a
//! change) is closed the same way and must subscribe again; a heads subscriber just skips to the
//! newest head.

use std::collections::BTreeSet;
use std::sync::Arc;

use jsonrpsee::PendingSubscriptionSink;
use jsonrpsee::core::{SubscriptionResult, to_json_raw_value};
use jsonrpsee::server::SubscriptionSink;
use jsonrpsee::server::TrySendError;
use tokio::sync::broadcast::error::RecvError;
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{Disclosure, licence_verify};
use yrd_contracts::types::{Digest32, ProvinceCode};

use super::licence::parse_claim;
use crate::rpc::auth::{AuthParams, authenticate};
use crate::rpc::context::RpcContext;
use crate::rpc::error::RpcError;
use crate::rpc::metrics::{RpcMetrics, SubscriptionKind};
use crate::rpc::params::{AuthParam, ProvinceParam, parse_hex32, parse_uscc};
use crate::rpc::verification_log;

/// Keeps the live-subscription gauge right however the subscription ends.
struct ActiveSubscription {
    metrics: Arc<RpcMetrics>,
    kind: SubscriptionKind,
}

impl ActiveSubscription {
    fn new(metrics: &Arc<RpcMetrics>, kind: SubscriptionKind) -> Self {
        metrics.subscription_opened(kind);
        Self {
            metrics: Arc::clone(metrics),
            kind,
        }
    }
}

impl Drop for ActiveSubscription {
    fn drop(&mut self) {
        self.metrics.subscription_closed(self.kind);
    }
}

/// How a notification attempt went.
enum Delivery {
    Sent,
    Disconnected,
}

fn deliver(sink: &mut SubscriptionSink, item: &impl serde::Serialize) -> Result<Delivery, String> {
    let json =
        to_json_raw_value(item).map_err(|e| format!("notification does not serialise: {e}"))?;
    match sink.try_send(json) {
        Ok(()) => Ok(Delivery::Sent),
        Err(TrySendError::Closed(_)) => Ok(Delivery::Disconnected),
        Err(TrySendError::Full(_)) => Err(format!(
            "subscriber too slow: {} messages waiting on the connection; subscription closed",
            sink.max_capacity()
        )),
    }
}

/// `chain_subscribeHeads`.
pub(super) async fn heads(
    ctx: &Arc<RpcContext>,
    pending: PendingSubscriptionSink,
) -> SubscriptionResult {
    let mut heads = ctx.backend.subscribe_heads();
    let mut sink = pending.accept().await?;
    let _active = ActiveSubscription::new(&ctx.metrics, SubscriptionKind::Heads);
    loop {
        tokio::select! {
            () = sink.closed() => return Ok(()),
            next = heads.recv() => match next {
                Ok(head) => {
                    if let Delivery::Disconnected = deliver(&mut sink, &head)? {
                        return Ok(());
                    }
                }
                Err(RecvError::Lagged(skipped)) => {
                    tracing::debug!(skipped, "heads subscriber lagged; continuing from the newest head");
                }
                Err(RecvError::Closed) => return Err("the node stopped publishing heads".into()),
            }
        }
    }
}

/// A validated `licence_subscribeStatus` request.
pub(super) struct StatusWatch {
    issuer: Uscc,
    commitments: Vec<Digest32>,
    region: ProvinceCode,
    claimed: Option<DidId>,
    auth: Option<AuthParam>,
}

impl StatusWatch {
    pub(super) fn parse(
        ctx: &RpcContext,
        issuer: &str,
        commitments: &[String],
        region: &ProvinceParam,
        verifier_did: Option<&str>,
        auth: Option<AuthParam>,
    ) -> Result<Self, RpcError> {
        let max = ctx.config.max_commitments_per_status_subscription as usize;
        if commitments.is_empty() || commitments.len() > max {
            return Err(RpcError::param(
                "commitments",
                format!(
                    "{} given; watch 1..={max} commitments per subscription",
                    commitments.len()
                ),
            ));
        }
        let commitments = commitments
            .iter()
            .map(|c| parse_hex32("commitments", c))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            issuer: parse_uscc("issuer", issuer)?,
            commitments,
            region: region.parse("region")?,
            claimed: parse_claim(verifier_did)?,
            auth,
        })
    }
}

/// `licence_subscribeStatus`: authenticates once, then for every change of a watched licence sends
/// the `licence_verify` answer at the change's height, under the caller's rights at that height.
/// Changes the caller may learn nothing about (`denied`) are not announced.
pub(super) async fn licence_status(
    ctx: &Arc<RpcContext>,
    pending: PendingSubscriptionSink,
    watch: StatusWatch,
) -> SubscriptionResult {
    // Subscribe before authenticating so no change between the two is missed.
    let mut changes = ctx.backend.subscribe_licence_status();
    let StatusWatch {
        issuer,
        commitments,
        region,
        claimed,
        auth,
    } = watch;
    let authenticated = ctx
        .run_blocking(move |ctx| {
            let state = ctx.backend.state_at(None)?;
            let reader: &dyn StateReader = &*state;
            let params = AuthParams::Subscribe {
                region,
                commitments: &commitments,
            };
            let verifier = authenticate(
                reader,
                "licence_subscribeStatus",
                claimed.as_ref(),
                auth.as_ref(),
                &params,
                ctx.auth_check(),
            )?;
            Ok((verifier, commitments))
        })
        .await;
    let (verifier, commitments) = match authenticated {
        Ok(ok) => ok,
        Err(error) => {
            pending.reject(error).await;
            return Ok(());
        }
    };
    let watched: BTreeSet<Digest32> = commitments.into_iter().collect();
    let mut sink = pending.accept().await?;
    let _active = ActiveSubscription::new(&ctx.metrics, SubscriptionKind::LicenceStatus);
    loop {
        let change = tokio::select! {
            () = sink.closed() => return Ok(()),
            next = changes.recv() => match next {
                Ok(change) => change,
                Err(RecvError::Lagged(missed)) => {
                    return Err(format!("missed {missed} status changes; subscribe again and re-verify").into());
                }
                Err(RecvError::Closed) => return Err("the node stopped publishing status changes".into()),
            }
        };
        if !watched.contains(&change.commitment)
            || change
                .issuer
                .is_some_and(|named| named != issuer.to_bytes())
        {
            continue;
        }
        let asked = issuer.clone();
        let answer = ctx
            .run_blocking_waiting(move |ctx| {
                let state = ctx.backend.state_at(Some(change.height))?;
                let reader: &dyn StateReader = &*state;
                Ok(licence_verify(
                    &reader,
                    &asked,
                    &change.commitment,
                    region,
                    verifier.as_ref(),
                )?)
            })
            .await
            .map_err(|e| e.to_string())?;
        verification_log::record(
            "licence_subscribeStatus",
            &issuer,
            &change.commitment,
            verifier.as_ref(),
            Some(answer.disclosure),
            "status change",
        );
        if matches!(answer.disclosure, Disclosure::Denied | Disclosure::NotFound) {
            continue;
        }
        if let Delivery::Disconnected = deliver(&mut sink, &answer)? {
            return Ok(());
        }
    }
}
