//! JSON-RPC middleware: counts calls by method and outcome, errors by code, batches and
//! connections. One instance lives per WebSocket connection or per HTTP request, which is exactly
//! the unit the server's `max_connections` bounds, so its lifetime drives the connection gauge.

use std::future::Future;
use std::sync::Arc;

use jsonrpsee::core::middleware::{Batch, BatchEntry, Notification, RpcServiceT};
use jsonrpsee::core::server::BatchResponseBuilder;
use jsonrpsee::server::MethodResponse;
use jsonrpsee::types::Request;

use super::metrics::RpcMetrics;

/// Decrements the connection gauge when the last clone of a middleware instance goes.
#[derive(Debug)]
struct ConnectionTracker {
    metrics: Arc<RpcMetrics>,
}

impl Drop for ConnectionTracker {
    fn drop(&mut self) {
        self.metrics.connection_closed();
    }
}

/// The counting middleware around the server's method dispatcher.
#[derive(Debug, Clone)]
pub struct MetricsMiddleware<S> {
    inner: S,
    metrics: Arc<RpcMetrics>,
    max_response_body_bytes: usize,
    _connection: Arc<ConnectionTracker>,
}

impl<S> MetricsMiddleware<S> {
    /// Wraps `inner` for one new connection.
    pub fn new(inner: S, metrics: Arc<RpcMetrics>, max_response_body_bytes: u32) -> Self {
        metrics.connection_opened();
        Self {
            inner,
            _connection: Arc::new(ConnectionTracker {
                metrics: Arc::clone(&metrics),
            }),
            metrics,
            max_response_body_bytes: max_response_body_bytes as usize,
        }
    }
}

impl<S> RpcServiceT for MetricsMiddleware<S>
where
    S: RpcServiceT<
            MethodResponse = MethodResponse,
            BatchResponse = MethodResponse,
            NotificationResponse = MethodResponse,
        > + Clone
        + Send
        + Sync
        + 'static,
{
    type MethodResponse = MethodResponse;
    type NotificationResponse = MethodResponse;
    type BatchResponse = MethodResponse;

    fn call<'a>(
        &self,
        request: Request<'a>,
    ) -> impl Future<Output = Self::MethodResponse> + Send + 'a {
        let inner = self.inner.clone();
        let metrics = Arc::clone(&self.metrics);
        async move {
            let method = request.method_name().to_owned();
            let started = std::time::Instant::now();
            let response = inner.call(request).await;
            metrics.record_call(&method, response.as_error_code(), started.elapsed());
            response
        }
    }

    /// Runs the entries one by one through [`Self::call`], so each is counted under its method.
    fn batch<'a>(&self, batch: Batch<'a>) -> impl Future<Output = Self::BatchResponse> + Send + 'a {
        let this = self.clone();
        async move {
            this.metrics.record_batch();
            let mut responses = BatchResponseBuilder::new_with_limit(this.max_response_body_bytes);
            let mut saw_notification = false;
            for entry in batch {
                let response = match entry {
                    Ok(BatchEntry::Call(request)) => this.call(request).await,
                    Ok(BatchEntry::Notification(notification)) => {
                        this.inner.notification(notification).await;
                        saw_notification = true;
                        continue;
                    }
                    Err(invalid) => {
                        let (error, id) = invalid.into_parts();
                        this.metrics.record_error(error.code());
                        MethodResponse::error(id, error)
                    }
                };
                if let Err(too_large) = responses.append(response) {
                    if let Some(code) = too_large.as_error_code() {
                        this.metrics.record_error(code);
                    }
                    return too_large;
                }
            }
            if responses.is_empty() && saw_notification {
                MethodResponse::notification()
            } else {
                MethodResponse::from_batch(responses.finish())
            }
        }
    }

    fn notification<'a>(
        &self,
        notification: Notification<'a>,
    ) -> impl Future<Output = Self::NotificationResponse> + Send + 'a {
        self.inner.notification(notification)
    }
}
