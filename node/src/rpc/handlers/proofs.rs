//! `state_getProof`, `batch_submitLeaves`, `batch_getInclusionProof`.
//!
//! `state_getProof` refuses the licence-keyed tables for every caller (see
//! [`crate::rpc::disclosure`]); it serves every other key.

use jsonrpsee::core::{RpcResult, async_trait};
use yrd_contracts::tree::MAX_KEY_LEN_BYTES;
use yrd_verifier::query::StateKeyParams;
use yrd_verifier::{HexBytes, ProvenAnswer, ProvenQuery};

use super::RpcHandlers;
use crate::rpc::api::ProofApiServer;
use crate::rpc::backend::{BackendError, BatchLeavesError, LeavesSubmission};
use crate::rpc::disclosure;
use crate::rpc::error::RpcError;
use crate::rpc::params::{parse_hex32, parse_hex64, parse_uscc};
use crate::rpc::views::{BatchInclusionView, BatchLeavesReceipt};

#[async_trait]
impl ProofApiServer for RpcHandlers {
    async fn state_get_proof(&self, key: String) -> RpcResult<ProvenAnswer> {
        if key.len() > MAX_KEY_LEN_BYTES * 2 {
            return Err(
                RpcError::param("key", format!("longer than {MAX_KEY_LEN_BYTES} bytes")).into(),
            );
        }
        let key = hex::decode(&key).map_err(|e| RpcError::param("key", format!("not hex: {e}")))?;
        if disclosure::is_licence_key(&key) {
            return Err(
                RpcError::AccessRestricted(disclosure::LICENCE_KEY_REFUSED.to_owned()).into(),
            );
        }
        let query = ProvenQuery::StateGet(StateKeyParams { key: HexBytes(key) });
        let answer = self
            .ctx
            .run_blocking(move |ctx| super::prove(ctx, query))
            .await?;
        Ok(answer)
    }

    async fn batch_submit_leaves(
        &self,
        issuer: String,
        leaves: Vec<String>,
        signature: String,
    ) -> RpcResult<BatchLeavesReceipt> {
        let issuer = parse_uscc("issuer", &issuer)?;
        let signature = parse_hex64("signature", &signature)?;
        let leaves = leaves
            .iter()
            .map(|leaf| parse_hex32("leaves", leaf))
            .collect::<Result<Vec<_>, _>>()?;
        let count = leaves.len() as u64;
        let submission = LeavesSubmission {
            issuer,
            leaves,
            signature,
        };
        let root = self
            .ctx
            .run_blocking(move |ctx| {
                ctx.backend
                    .store_batch_leaves(submission, ctx.config.max_batch_leaves_per_issuer)
                    .map_err(|error| match error {
                        BatchLeavesError::NotAnchored { .. } => RpcError::NotFound {
                            kind: "anchored batch with these leaves' root",
                            id: error.to_string(),
                        },
                        BatchLeavesError::OtherProvince { .. }
                        | BatchLeavesError::TooManyLeaves { .. }
                        | BatchLeavesError::Invalid(_) => {
                            RpcError::param("leaves", error.to_string())
                        }
                        BatchLeavesError::NotSignedByIssuer { .. } => {
                            RpcError::BatchLeavesNotSigned(error.to_string())
                        }
                        BatchLeavesError::IssuerQuota { kept, max, .. } => {
                            RpcError::BatchLeavesQuota {
                                message: error.to_string(),
                                kept,
                                max,
                            }
                        }
                        BatchLeavesError::State(e) => RpcError::Backend(e),
                        BatchLeavesError::Internal(fault) => {
                            RpcError::Backend(BackendError::Internal(fault))
                        }
                    })
            })
            .await?;
        Ok(BatchLeavesReceipt { root, count })
    }

    async fn batch_get_inclusion_proof(
        &self,
        issuer: String,
        commitment: String,
    ) -> RpcResult<BatchInclusionView> {
        let issuer = parse_uscc("issuer", &issuer)?;
        let commitment = parse_hex32("commitment", &commitment)?;
        let inclusion = self
            .ctx
            .run_blocking(move |ctx| {
                ctx.backend
                    .batch_inclusion(&issuer, &commitment)?
                    .ok_or_else(|| RpcError::NotFound {
                        kind: "batch leaf kept by this node",
                        id: hex::encode(commitment),
                    })
            })
            .await?;
        Ok(BatchInclusionView {
            commitment,
            root: inclusion.root,
            proof: inclusion.proof,
        })
    }
}
