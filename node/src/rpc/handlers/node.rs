//! `node_getStatus`, `net_getPeers`, `rpc.discover`.

use jsonrpsee::core::{RpcResult, async_trait};

use super::RpcHandlers;
use crate::rpc::api::NodeApiServer;
use crate::rpc::views::{NodeStatus, PeerView};

#[async_trait]
impl NodeApiServer for RpcHandlers {
    async fn node_get_status(&self) -> RpcResult<NodeStatus> {
        Ok(self
            .ctx
            .run_blocking(|ctx| Ok(ctx.backend.node_status()?))
            .await?)
    }

    async fn net_get_peers(&self) -> RpcResult<Vec<PeerView>> {
        Ok(self
            .ctx
            .run_blocking(|ctx| Ok(ctx.backend.peers()?))
            .await?)
    }

    fn discover(&self) -> RpcResult<serde_json::Value> {
        Ok(self.ctx.openrpc.clone())
    }
}
