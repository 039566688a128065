//! `did_*`: resolution and version history of `did:yrd` DIDs.

use jsonrpsee::core::{RpcResult, async_trait};
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::did_document::DidResolution;
use yrd_contracts::keys;
use yrd_contracts::query::did_resolve;
use yrd_contracts::reader::read_record;
use yrd_contracts::records::DidHeadRecord;
use yrd_verifier::ProvenQuery;
use yrd_verifier::query::DidParams;

use super::RpcHandlers;
use crate::rpc::api::DidApiServer;
use crate::rpc::error::RpcError;
use crate::rpc::params::parse_did;
use crate::rpc::views::DidHistory;
use crate::rpc::views::MaybeProven;

fn not_found(did: &DidId, version: Option<u32>) -> RpcError {
    let id = match version {
        Some(v) => format!("{did}?versionId={v}"),
        None => did.to_string(),
    };
    RpcError::NotFound { kind: "DID", id }
}

#[async_trait]
impl DidApiServer for RpcHandlers {
    async fn resolve(
        &self,
        did: String,
        version_id: Option<u32>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<DidResolution>> {
        let did = parse_did("did", &did)?;
        let resolution = self
            .ctx
            .run_blocking(move |ctx| {
                if proof == Some(true) {
                    let query = ProvenQuery::DidResolve(DidParams { did, version_id });
                    return super::proven(ctx, query);
                }
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                did_resolve(&reader, &did, version_id)?
                    .map(MaybeProven::Plain)
                    .ok_or_else(|| not_found(&did, version_id))
            })
            .await?;
        Ok(resolution)
    }

    async fn get_history(
        &self,
        did: String,
        from_version: Option<u32>,
        limit: Option<u32>,
    ) -> RpcResult<DidHistory> {
        let did = parse_did("did", &did)?;
        let max = self.ctx.config.max_did_history_versions;
        let from = from_version.unwrap_or(1);
        if from == 0 {
            return Err(RpcError::param("fromVersion", "versions start at 1").into());
        }
        let limit = limit.unwrap_or(max);
        if limit == 0 || limit > max {
            return Err(RpcError::param("limit", format!("{limit} outside 1..={max}")).into());
        }
        let history = self
            .ctx
            .run_blocking(move |ctx| {
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                let head: DidHeadRecord = read_record(reader, &keys::did_head(&did))?
                    .ok_or_else(|| not_found(&did, None))?;
                let latest = head.latest_version;
                if from > latest {
                    return Err(RpcError::param(
                        "fromVersion",
                        format!("{from} is past the latest version {latest}"),
                    ));
                }
                let last = from.saturating_add(limit - 1).min(latest);
                let mut versions = Vec::with_capacity((last - from + 1) as usize);
                for version in from..=last {
                    let resolution = did_resolve(&reader, &did, Some(version))?
                        .ok_or_else(|| not_found(&did, Some(version)))?;
                    versions.push(resolution);
                }
                let next_version = (last < latest).then(|| last + 1);
                Ok(DidHistory {
                    did: did.to_string(),
                    latest_version: latest,
                    versions,
                    next_version,
                })
            })
            .await?;
        Ok(history)
    }
}
