//! What every handler shares: the backend, the limits, the counters, the replay cache and the
//! OpenRPC document, plus the one way to call the backend ([`RpcContext::run_blocking`]).

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::auth::{AuthCheck, ReplayCache};
use super::backend::RpcBackend;
use super::config::RpcConfig;
use super::error::{InternalError, RpcError};
use super::metrics::RpcMetrics;

/// The OpenRPC 1.3 description served by `rpc.discover` (hand-written; a test keeps it in step
/// with the registered methods).
pub const OPENRPC_DOCUMENT: &str = include_str!("openrpc.json");

/// Shared state of the RPC server.
pub struct RpcContext {
    /// The node.
    pub backend: Arc<dyn RpcBackend>,
    /// Limits.
    pub config: RpcConfig,
    /// Counters.
    pub metrics: Arc<RpcMetrics>,
    /// Verifier signatures already used.
    pub replay_cache: ReplayCache,
    /// This node's network key, which verifier signatures must name.
    pub node_key: [u8; 32],
    /// `rpc.discover`'s answer.
    pub openrpc: serde_json::Value,
    /// Signed status lists per (height, issuer, purpose) (`super::status_http`).
    pub status_lists: super::status_http::ListCache,
    backend_calls: Arc<Semaphore>,
}

impl std::fmt::Debug for RpcContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcContext")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl RpcContext {
    /// The shared state; fails if the embedded OpenRPC document is not JSON or the replay cache's
    /// bounds are inconsistent (which [`RpcConfig::validate`] refuses at startup).
    pub fn new(
        backend: Arc<dyn RpcBackend>,
        config: RpcConfig,
        metrics: Arc<RpcMetrics>,
    ) -> Result<Self, serde_json::Error> {
        let openrpc = serde_json::from_str(OPENRPC_DOCUMENT)?;
        Ok(Self {
            node_key: backend.node_key(),
            backend,
            replay_cache: ReplayCache::new(
                config.auth_replay_cache_entries as usize,
                config.auth_replay_cache_entries_per_did as usize,
            )
            .map_err(<serde_json::Error as serde::de::Error>::custom)?,
            backend_calls: Arc::new(Semaphore::new(config.max_concurrent_backend_calls as usize)),
            config,
            metrics,
            openrpc,
            status_lists: super::status_http::new_cache(),
        })
    }

    /// Runs `work` on tokio's blocking pool, so a slow backend read never stalls the runtime that
    /// consensus and networking share. At most `max_concurrent_backend_calls` run at once; one
    /// more is refused at once with [`RpcError::Busy`] rather than queued without bound.
    pub async fn run_blocking<T, F>(self: &Arc<Self>, work: F) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce(&RpcContext) -> Result<T, RpcError> + Send + 'static,
    {
        let limit = self.config.max_concurrent_backend_calls;
        let permit = Arc::clone(&self.backend_calls)
            .try_acquire_owned()
            .map_err(|_| {
                let free = u32::try_from(self.backend_calls.available_permits()).unwrap_or(0);
                RpcError::Busy {
                    in_flight: limit.saturating_sub(free),
                    limit,
                }
            })?;
        self.spawn_with_permit(permit, work).await
    }

    /// [`RpcContext::run_blocking`] that waits for a free slot instead of refusing: for work the
    /// server owes an accepted subscription (their number is bounded per connection).
    pub async fn run_blocking_waiting<T, F>(self: &Arc<Self>, work: F) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce(&RpcContext) -> Result<T, RpcError> + Send + 'static,
    {
        let permit = Arc::clone(&self.backend_calls)
            .acquire_owned()
            .await
            .map_err(|e| RpcError::Internal(InternalError::LimiterClosed(e)))?;
        self.spawn_with_permit(permit, work).await
    }

    async fn spawn_with_permit<T, F>(
        self: &Arc<Self>,
        permit: OwnedSemaphorePermit,
        work: F,
    ) -> Result<T, RpcError>
    where
        T: Send + 'static,
        F: FnOnce(&RpcContext) -> Result<T, RpcError> + Send + 'static,
    {
        let this = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work(&this)
        })
        .await
        .map_err(RpcError::from)?
    }

    /// The clock and limits for one verifier authentication.
    pub fn auth_check(&self) -> AuthCheck<'_> {
        AuthCheck {
            now_ms: crate::clock::unix_ms(),
            max_clock_skew_ms: self.config.auth_max_clock_skew_ms,
            replay_cache: &self.replay_cache,
            node_key: &self.node_key,
        }
    }
}
