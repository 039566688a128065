//! `tx_*` and `chain_*` (except the heads subscription, in `subscriptions.rs`).
//!
//! `chain_getTx` withholds the payload and signed bytes of licence-bearing transactions (see
//! [`crate::rpc::disclosure`]); members still receive whole blocks over p2p sync.

use jsonrpsee::PendingSubscriptionSink;
use jsonrpsee::core::{RpcResult, SubscriptionResult, async_trait};
use yrd_contracts::SignedTx;
use yrd_verifier::HexBytes;

use super::RpcHandlers;
use super::subscriptions;
use crate::rpc::api::{ChainApiServer, TxApiServer};
use crate::rpc::disclosure;
use crate::rpc::error::{InternalError, RpcError};
use crate::rpc::params::{BlockParam, parse_hex32, parse_tx_hex};
use crate::rpc::views::{BlockRef, BlockView, HeadInfo, TxDetails, TxStatus};

#[async_trait]
impl TxApiServer for RpcHandlers {
    async fn submit(&self, tx: String) -> RpcResult<String> {
        let bytes = parse_tx_hex(&tx)?;
        let hash = self
            .ctx
            .run_blocking(move |ctx| Ok(ctx.backend.submit_tx(bytes)?))
            .await?;
        Ok(hex::encode(hash))
    }

    async fn get_status(&self, hash: String) -> RpcResult<TxStatus> {
        let hash = parse_hex32("hash", &hash)?;
        Ok(self
            .ctx
            .run_blocking(move |ctx| Ok(ctx.backend.tx_status(&hash)?))
            .await?)
    }
}

#[async_trait]
impl ChainApiServer for RpcHandlers {
    async fn get_head(&self) -> RpcResult<HeadInfo> {
        Ok(self.ctx.run_blocking(|ctx| Ok(ctx.backend.head()?)).await?)
    }

    async fn get_block(&self, block: BlockParam) -> RpcResult<BlockView> {
        let at = block.parse()?;
        let found = self
            .ctx
            .run_blocking(move |ctx| {
                let at = match at {
                    Some(at) => at,
                    None => BlockRef::Height(ctx.backend.head()?.height),
                };
                Ok((at, ctx.backend.block(at)?))
            })
            .await?;
        match found {
            (_, Some(block)) => Ok(block),
            (BlockRef::Height(height), None) => Err(RpcError::NotFound {
                kind: "block at height",
                id: height.to_string(),
            }
            .into()),
            (BlockRef::Id(id), None) => Err(RpcError::NotFound {
                kind: "block",
                id: hex::encode(id),
            }
            .into()),
        }
    }

    async fn get_tx(&self, hash: String) -> RpcResult<TxDetails> {
        let hash = parse_hex32("hash", &hash)?;
        let stored = self
            .ctx
            .run_blocking(move |ctx| Ok(ctx.backend.tx(&hash)?))
            .await?;
        let stored = stored.ok_or_else(|| RpcError::NotFound {
            kind: "transaction",
            id: hex::encode(hash),
        })?;
        let tx = SignedTx::from_bytes(&stored.bytes)
            .map_err(|source| RpcError::Internal(InternalError::StoredTx { hash, source }))?;
        let payload_withheld = disclosure::payload_withheld(&tx.body.payload);
        let mut receipt = stored.receipt;
        if payload_withheld {
            // A refusal message can name the commitment or the licence identifier's parts.
            receipt.message = None;
        }
        Ok(TxDetails {
            hash,
            height: stored.height,
            block_id: stored.block_id,
            index: stored.index,
            signer: tx.body.signer,
            nonce: tx.body.nonce,
            expiry_height: tx.body.expiry_height,
            kind: tx.body.payload.kind().to_owned(),
            receipt,
            payload_withheld,
            raw: (!payload_withheld).then_some(HexBytes(stored.bytes)),
        })
    }

    async fn subscribe_heads(&self, pending: PendingSubscriptionSink) -> SubscriptionResult {
        subscriptions::heads(&self.ctx, pending).await
    }
}
