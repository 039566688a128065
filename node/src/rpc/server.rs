//! Starting and stopping the server: jsonrpsee over HTTP and WebSocket on one port, with the
//! plain HTTP routes in front and the counting middleware around every call.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;

use jsonrpsee::server::middleware::rpc::RpcServiceBuilder;
use jsonrpsee::server::{
    BatchRequestConfig, RegisterMethodError, Server, ServerConfig, ServerHandle,
};

use super::backend::RpcBackend;
use super::config::{RpcConfig, RpcConfigError};
use super::context::RpcContext;
use super::handlers::rpc_module;
use super::http_routes::PlainRoutesLayer;
use super::metrics::RpcMetrics;
use super::middleware::MetricsMiddleware;

/// Why the server did not start.
#[derive(Debug, thiserror::Error)]
pub enum RpcStartError {
    /// A setting is unusable.
    #[error(transparent)]
    Config(#[from] RpcConfigError),
    /// The embedded OpenRPC document is not JSON (a build defect).
    #[error("embedded OpenRPC document: {0}")]
    OpenRpc(#[from] serde_json::Error),
    /// Two methods share a name (a build defect).
    #[error("method registration: {0}")]
    Register(#[from] RegisterMethodError),
    /// The listen address could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A running server.
#[derive(Debug)]
pub struct RpcServer {
    handle: ServerHandle,
    local_addr: SocketAddr,
    metrics: Arc<RpcMetrics>,
}

impl RpcServer {
    /// The bound address (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The server's counters.
    pub fn metrics(&self) -> &Arc<RpcMetrics> {
        &self.metrics
    }

    /// Stops accepting, closes connections, and waits until everything is down.
    pub async fn stop(self) {
        // `stop` fails only if the server already stopped, which is the goal anyway.
        let _ = self.handle.stop();
        self.handle.stopped().await;
    }
}

/// The method names the OpenRPC document describes.
pub fn documented_methods(openrpc: &serde_json::Value) -> BTreeSet<String> {
    openrpc["methods"]
        .as_array()
        .map(|methods| {
            methods
                .iter()
                .filter_map(|m| m["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Starts the server on `config.listen_address` over `backend`.
pub async fn start(
    config: RpcConfig,
    backend: Arc<dyn RpcBackend>,
) -> Result<RpcServer, RpcStartError> {
    config.validate()?;
    let openrpc: serde_json::Value = serde_json::from_str(super::context::OPENRPC_DOCUMENT)?;
    let metrics = Arc::new(RpcMetrics::new(documented_methods(&openrpc)));
    let ctx = Arc::new(RpcContext::new(
        backend,
        config.clone(),
        Arc::clone(&metrics),
    )?);
    let module = rpc_module(Arc::clone(&ctx))?;

    let batches = match config.max_batch_len {
        0 => BatchRequestConfig::Disabled,
        len => BatchRequestConfig::Limit(len),
    };
    let server_config = ServerConfig::builder()
        .max_request_body_size(config.max_request_body_bytes)
        .max_response_body_size(config.max_response_body_bytes)
        .max_connections(config.max_connections)
        .max_subscriptions_per_connection(config.max_subscriptions_per_connection)
        .set_batch_request_config(batches)
        .set_message_buffer_capacity(config.connection_buffer_messages)
        .build();
    let middleware_metrics = Arc::clone(&metrics);
    let max_response = config.max_response_body_bytes;
    let rpc_middleware = RpcServiceBuilder::new().layer_fn(move |service| {
        MetricsMiddleware::new(service, Arc::clone(&middleware_metrics), max_response)
    });
    let http_middleware =
        tower::ServiceBuilder::new().layer(PlainRoutesLayer::new(Arc::clone(&ctx)));

    let address = config.listen_address;
    let server = Server::builder()
        .set_config(server_config)
        .set_rpc_middleware(rpc_middleware)
        .set_http_middleware(http_middleware)
        .build(address)
        .await
        .map_err(|source| RpcStartError::Bind { address, source })?;
    let local_addr = server
        .local_addr()
        .map_err(|source| RpcStartError::Bind { address, source })?;
    let handle = server.start(module);
    tracing::info!(%local_addr, "JSON-RPC server listening (HTTP and WebSocket)");
    Ok(RpcServer {
        handle,
        local_addr,
        metrics,
    })
}
