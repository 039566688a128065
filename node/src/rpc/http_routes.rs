//! Plain HTTP routes served in front of JSON-RPC on the same port, as a tower layer:
//! `GET /health`, `GET /metrics`, the DID Resolution binding `GET /1.0/identifiers/{did}`, the
//! status lists `GET /status/{uscc}/{purpose}` (`super::status_http`) and the web console
//! `GET /console` (`super::console`).
//! Every other request goes to JSON-RPC unchanged (its HTTP status is counted).
//!
//! These routes do not count against `max_connections` (they never reach the JSON-RPC service);
//! their backend work shares the `max_concurrent_backend_calls` bound and answers 503 over it.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http::{Method, StatusCode, header};
use jsonrpsee::core::BoxError;
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};
use serde_json::json;
use tower::{Layer, Service};
use yrd_verifier::ProvenQuery;
use yrd_verifier::query::DidParams;

use super::context::RpcContext;
use super::did_http::{self, DidHttpResponse, IDENTIFIERS_PATH};
use super::error::RpcError;
use super::metrics::HttpRoute;

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// The layer to put in the server's HTTP middleware.
#[derive(Debug, Clone)]
pub struct PlainRoutesLayer {
    ctx: Arc<RpcContext>,
}

impl PlainRoutesLayer {
    /// Routes over `ctx`.
    pub fn new(ctx: Arc<RpcContext>) -> Self {
        Self { ctx }
    }
}

impl<S> Layer<S> for PlainRoutesLayer {
    type Service = PlainRoutes<S>;

    fn layer(&self, inner: S) -> Self::Service {
        PlainRoutes {
            inner,
            ctx: Arc::clone(&self.ctx),
        }
    }
}

/// The service the layer makes.
#[derive(Debug, Clone)]
pub struct PlainRoutes<S> {
    inner: S,
    ctx: Arc<RpcContext>,
}

/// Which route a request is for.
enum Route {
    Health,
    Metrics,
    Did {
        raw_did: String,
        query: Option<String>,
        accept: Option<String>,
    },
    StatusList {
        path: String,
    },
    Console {
        path: String,
    },
    WrongMethod(HttpRoute),
}

fn route_of(request: &HttpRequest) -> Option<Route> {
    let path = request.uri().path();
    let route = if path == "/health" {
        HttpRoute::Health
    } else if path == "/metrics" {
        HttpRoute::Metrics
    } else if path.starts_with(IDENTIFIERS_PATH) {
        HttpRoute::DidResolution
    } else if path.starts_with(yrd_verifier::status_list::STATUS_PATH) {
        HttpRoute::StatusList
    } else if super::console::is_console_path(path) {
        HttpRoute::Console
    } else {
        return None;
    };
    if request.method() != Method::GET {
        return Some(Route::WrongMethod(route));
    }
    Some(match route {
        HttpRoute::Health => Route::Health,
        HttpRoute::Metrics => Route::Metrics,
        HttpRoute::DidResolution => Route::Did {
            raw_did: path.trim_start_matches(IDENTIFIERS_PATH).to_owned(),
            query: request.uri().query().map(str::to_owned),
            accept: request
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        },
        HttpRoute::StatusList => Route::StatusList {
            path: path.to_owned(),
        },
        HttpRoute::Console => Route::Console {
            path: path.to_owned(),
        },
    })
}

fn response(status: u16, content_type: &'static str, body: String) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    response
}

impl<S> Service<HttpRequest> for PlainRoutes<S>
where
    S: Service<HttpRequest, Response = HttpResponse, Error = BoxError> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest) -> Self::Future {
        let Some(route) = route_of(&request) else {
            let metrics = Arc::clone(&self.ctx.metrics);
            let rpc = self.inner.call(request);
            return Box::pin(async move {
                let answer = rpc.await?;
                metrics.record_rpc_http_status(answer.status().as_u16());
                Ok(answer)
            });
        };
        let ctx = Arc::clone(&self.ctx);
        Box::pin(async move { Ok(serve(&ctx, route).await) })
    }
}

async fn serve(ctx: &Arc<RpcContext>, route: Route) -> HttpResponse {
    let (label, status, content_type, body) = match route {
        Route::WrongMethod(label) => (
            label,
            405,
            "text/plain; charset=utf-8",
            "only GET is allowed on this path\n".to_owned(),
        ),
        Route::Metrics => {
            let (status, content_type, body) = super::node_metrics::scrape(ctx).await;
            (HttpRoute::Metrics, status, content_type, body)
        }
        Route::Health => {
            let (status, body) = health(ctx).await;
            (HttpRoute::Health, status, JSON_CONTENT_TYPE, body)
        }
        Route::Did {
            raw_did,
            query,
            accept,
        } => {
            let answer = resolve_did(ctx, &raw_did, query.as_deref(), accept.as_deref()).await;
            (
                HttpRoute::DidResolution,
                answer.status,
                answer.content_type,
                answer.body,
            )
        }
        Route::Console { path } => {
            let (status, answer) = super::console::serve(&path, ctx.backend.genesis());
            ctx.metrics.record_http(HttpRoute::Console, status);
            return answer;
        }
        Route::StatusList { path } => {
            let answer = super::status_http::serve(ctx, &path).await;
            (
                HttpRoute::StatusList,
                answer.status,
                answer.content_type,
                answer.body,
            )
        }
    };
    ctx.metrics.record_http(label, status);
    response(status, content_type, body)
}

/// 200 with height and sync state while the backend answers; 503 otherwise.
async fn health(ctx: &Arc<RpcContext>) -> (u16, String) {
    let answer = ctx
        .run_blocking(|ctx| {
            let status = ctx.backend.node_status()?;
            Ok(json!({
                "status": "ok",
                "height": status.head.height,
                "syncing": status.syncing,
                "highestKnownHeight": status.highest_known_height,
                "peerCount": status.peer_count,
            }))
        })
        .await;
    match answer {
        Ok(body) => (200, body.to_string()),
        Err(error) => (
            503,
            json!({ "status": "unavailable", "error": public_message(&error) }).to_string(),
        ),
    }
}

fn public_message(error: &RpcError) -> String {
    match error {
        RpcError::Internal(_) | RpcError::Backend(super::backend::BackendError::Internal(_)) => {
            "internal error".to_owned()
        }
        other => other.to_string(),
    }
}

async fn resolve_did(
    ctx: &Arc<RpcContext>,
    raw_did: &str,
    query: Option<&str>,
    accept: Option<&str>,
) -> DidHttpResponse {
    let request = match did_http::parse_request(raw_did, query, accept) {
        Ok(request) => request,
        Err(answer) => return answer,
    };
    let url = request.is_url();
    let proven_query = ProvenQuery::DidResolve(DidParams {
        did: request.did,
        version_id: request.version,
    });
    let answer = ctx
        .run_blocking(move |ctx| {
            crate::proof::collect::prove(&*ctx.backend, proven_query).map(|(_, answer)| answer)
        })
        .await;
    match answer {
        Ok(answer) => did_http::respond(&request, &answer),
        Err(error @ RpcError::Busy { .. }) => did_http::error_answer(
            did_http::ErrorType::InternalError,
            &error.to_string(),
            url,
            Some(503),
            None,
        ),
        Err(error) => {
            tracing::warn!(%error, "DID resolution failed");
            did_http::error_answer(
                did_http::ErrorType::InternalError,
                &public_message(&error),
                url,
                None,
                None,
            )
        }
    }
}
