//! `issuer_get`, `account_getNextNonce`, `licenceType_get`, `policy_get`: public catalogue reads.

use jsonrpsee::core::{RpcResult, async_trait};
use yrd_contracts::StateReader;
use yrd_contracts::query::{
    IssuerView, LicenceTypeView, PolicyView, issuer_get, licence_type_get, next_nonce, policy_get,
};
use yrd_verifier::ProvenQuery;
use yrd_verifier::query::{IssuerParams, LicenceTypeParams, PolicyParams};

use super::RpcHandlers;
use crate::rpc::api::RegistryApiServer;
use crate::rpc::error::RpcError;
use crate::rpc::params::{ProvinceParam, parse_hex32, parse_licence_type};
use crate::rpc::views::{AccountNonce, MaybeProven};

#[async_trait]
impl RegistryApiServer for RpcHandlers {
    async fn issuer_get(
        &self,
        key: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<IssuerView>> {
        let key = parse_hex32("key", &key)?;
        let issuer = self
            .ctx
            .run_blocking(move |ctx| {
                if proof == Some(true) {
                    return super::proven(ctx, ProvenQuery::IssuerGet(IssuerParams { key }));
                }
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                issuer_get(&reader, &key)?
                    .map(MaybeProven::Plain)
                    .ok_or_else(|| RpcError::NotFound {
                        kind: "issuer",
                        id: hex::encode(key),
                    })
            })
            .await?;
        Ok(issuer)
    }

    async fn account_get_next_nonce(&self, key: String) -> RpcResult<AccountNonce> {
        let key = parse_hex32("key", &key)?;
        let answer = self
            .ctx
            .run_blocking(move |ctx| {
                let height = ctx.backend.head()?.height;
                let state = ctx.backend.state_at(Some(height))?;
                let reader: &dyn StateReader = &*state;
                let nonce = next_nonce(&reader, &key)?;
                Ok::<_, RpcError>(AccountNonce { key, nonce, height })
            })
            .await?;
        Ok(answer)
    }

    async fn licence_type_get(
        &self,
        code: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceTypeView>> {
        let code = parse_licence_type("code", &code)?;
        let entry = self
            .ctx
            .run_blocking(move |ctx| {
                if proof == Some(true) {
                    let query = ProvenQuery::LicenceTypeGet(LicenceTypeParams { code });
                    return super::proven(ctx, query);
                }
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                licence_type_get(&reader, &code)?
                    .map(MaybeProven::Plain)
                    .ok_or_else(|| RpcError::NotFound {
                        kind: "licence type",
                        id: code.to_string(),
                    })
            })
            .await?;
        Ok(entry)
    }

    async fn policy_get(
        &self,
        recognising: ProvinceParam,
        issuing: ProvinceParam,
        licence_type: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<PolicyView>> {
        let recognising = recognising.parse("recognising")?;
        let issuing = issuing.parse("issuing")?;
        let licence_type = parse_licence_type("licenceType", &licence_type)?;
        let policy = self
            .ctx
            .run_blocking(move |ctx| {
                if proof == Some(true) {
                    let query = ProvenQuery::PolicyGet(PolicyParams {
                        recognising,
                        issuing,
                        licence_type,
                    });
                    return super::proven(ctx, query);
                }
                let state = ctx.backend.state_at(None)?;
                let reader: &dyn StateReader = &*state;
                policy_get(&reader, recognising, issuing, &licence_type)?
                    .map(MaybeProven::Plain)
                    .ok_or_else(|| RpcError::NotFound {
                        kind: "policy",
                        id: format!("{recognising}/{issuing}/{licence_type}"),
                    })
            })
            .await?;
        Ok(policy)
    }
}
