//! RPC counters and their Prometheus text exposition (format 0.0.4), written by hand.
//!
//! Label values are bounded: method labels are registered method names (anything else counts as
//! `unknown`), error labels are error codes, route labels are a fixed list. Nothing a client
//! sends can grow these maps past that.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::histogram::{Histogram, RPC_SECONDS_BUCKETS};

/// Content type of the exposition.
pub const PROMETHEUS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Method label for a name that is not a registered method.
pub const UNKNOWN_METHOD_LABEL: &str = "unknown";

/// Subscription kinds, as labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SubscriptionKind {
    /// `chain_subscribeHeads`.
    Heads,
    /// `licence_subscribeStatus`.
    LicenceStatus,
}

impl SubscriptionKind {
    fn label(self) -> &'static str {
        match self {
            SubscriptionKind::Heads => "heads",
            SubscriptionKind::LicenceStatus => "licence_status",
        }
    }
}

/// Plain HTTP routes, as labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum HttpRoute {
    /// `GET /health`.
    Health,
    /// `GET /metrics`.
    Metrics,
    /// `GET /1.0/identifiers/{did}`.
    DidResolution,
    /// `GET /status/{uscc}/{purpose}`.
    StatusList,
    /// `GET /console` and its files.
    Console,
}

impl HttpRoute {
    fn label(self) -> &'static str {
        match self {
            HttpRoute::Health => "health",
            HttpRoute::Metrics => "metrics",
            HttpRoute::DidResolution => "did_resolution",
            HttpRoute::StatusList => "status_list",
            HttpRoute::Console => "console",
        }
    }
}

/// All RPC counters. Shared by the middleware, the handlers and the HTTP routes.
#[derive(Debug, Default)]
pub struct RpcMetrics {
    known_methods: BTreeSet<String>,
    requests: Mutex<BTreeMap<(String, bool), u64>>,
    /// Call latency per method label (the known methods and `unknown`: a bounded label set).
    latency: BTreeMap<String, Histogram>,
    errors: Mutex<BTreeMap<i32, u64>>,
    http_routes: Mutex<BTreeMap<(HttpRoute, u16), u64>>,
    rpc_http_statuses: Mutex<BTreeMap<u16, u64>>,
    batches: AtomicU64,
    connections_opened: AtomicU64,
    connections_active: AtomicU64,
    subscriptions_opened: Mutex<BTreeMap<SubscriptionKind, u64>>,
    subscriptions_active: Mutex<BTreeMap<SubscriptionKind, u64>>,
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K, delta_up: bool) {
    if let Ok(mut map) = map.lock() {
        let entry = map.entry(key).or_insert(0);
        *entry = if delta_up {
            entry.saturating_add(1)
        } else {
            entry.saturating_sub(1)
        };
    }
}

impl RpcMetrics {
    /// Counters for the given registered method names.
    pub fn new(known_methods: impl IntoIterator<Item = String>) -> Self {
        let known_methods: BTreeSet<String> = known_methods.into_iter().collect();
        let latency = known_methods
            .iter()
            .cloned()
            .chain([UNKNOWN_METHOD_LABEL.to_owned()])
            .map(|label| (label, Histogram::new(RPC_SECONDS_BUCKETS)))
            .collect();
        Self {
            known_methods,
            latency,
            ..Self::default()
        }
    }

    /// The label for a method name.
    pub fn method_label(&self, method: &str) -> String {
        if self.known_methods.contains(method) {
            method.to_owned()
        } else {
            UNKNOWN_METHOD_LABEL.to_owned()
        }
    }

    /// One call finished after `elapsed`; `error_code` is `None` on success.
    pub fn record_call(&self, method: &str, error_code: Option<i32>, elapsed: Duration) {
        let label = self.method_label(method);
        if let Some(histogram) = self.latency.get(&label) {
            histogram.observe(elapsed.as_secs_f64());
        }
        bump(&self.requests, (label, error_code.is_none()), true);
        if let Some(code) = error_code {
            bump(&self.errors, code, true);
        }
    }

    /// An error not tied to a method call (e.g. a whole batch refused).
    pub fn record_error(&self, code: i32) {
        bump(&self.errors, code, true);
    }

    /// A batch arrived.
    pub fn record_batch(&self) {
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    /// A plain HTTP route answered with `status`.
    pub fn record_http(&self, route: HttpRoute, status: u16) {
        bump(&self.http_routes, (route, status), true);
    }

    /// An HTTP request to the JSON-RPC service got `status` (200, 101 for a WebSocket upgrade,
    /// 413 oversized body, 415 wrong content type, 429 connection limit, ...).
    pub fn record_rpc_http_status(&self, status: u16) {
        bump(&self.rpc_http_statuses, status, true);
    }

    /// A connection (WebSocket, or one HTTP request) opened.
    pub fn connection_opened(&self) {
        self.connections_opened.fetch_add(1, Ordering::Relaxed);
        self.connections_active.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection closed.
    pub fn connection_closed(&self) {
        let _ = self
            .connections_active
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
                Some(v.saturating_sub(1))
            });
    }

    /// A subscription started.
    pub fn subscription_opened(&self, kind: SubscriptionKind) {
        bump(&self.subscriptions_opened, kind, true);
        bump(&self.subscriptions_active, kind, true);
    }

    /// A subscription ended.
    pub fn subscription_closed(&self, kind: SubscriptionKind) {
        bump(&self.subscriptions_active, kind, false);
    }

    /// Live subscriptions of `kind`.
    pub fn subscriptions_active(&self, kind: SubscriptionKind) -> u64 {
        self.subscriptions_active
            .lock()
            .ok()
            .and_then(|m| m.get(&kind).copied())
            .unwrap_or(0)
    }

    /// The exposition, in Prometheus text format 0.0.4.
    pub fn render(&self) -> String {
        let mut out = String::new();
        header(
            &mut out,
            "yrd_rpc_requests_total",
            "counter",
            "JSON-RPC calls by method and outcome.",
        );
        if let Ok(requests) = self.requests.lock() {
            for ((method, ok), value) in requests.iter() {
                let outcome = if *ok { "ok" } else { "error" };
                let _ = writeln!(
                    out,
                    "yrd_rpc_requests_total{{method=\"{method}\",outcome=\"{outcome}\"}} {value}"
                );
            }
        }
        header(
            &mut out,
            "yrd_rpc_request_duration_seconds",
            "histogram",
            "Seconds from a JSON-RPC call's arrival at the method dispatcher to its answer, by method (calls that were made).",
        );
        for (method, histogram) in &self.latency {
            histogram.write_samples(
                &mut out,
                "yrd_rpc_request_duration_seconds",
                &format!("method=\"{method}\""),
            );
        }
        header(
            &mut out,
            "yrd_rpc_errors_total",
            "counter",
            "JSON-RPC error responses by error code.",
        );
        if let Ok(errors) = self.errors.lock() {
            for (code, value) in errors.iter() {
                let _ = writeln!(out, "yrd_rpc_errors_total{{code=\"{code}\"}} {value}");
            }
        }
        header(
            &mut out,
            "yrd_rpc_batches_total",
            "counter",
            "JSON-RPC batch requests.",
        );
        let _ = writeln!(
            out,
            "yrd_rpc_batches_total {}",
            self.batches.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "yrd_rpc_connections_opened_total",
            "counter",
            "WebSocket connections and HTTP requests accepted by the JSON-RPC service.",
        );
        let _ = writeln!(
            out,
            "yrd_rpc_connections_opened_total {}",
            self.connections_opened.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "yrd_rpc_connections_active",
            "gauge",
            "Open WebSocket connections plus in-flight HTTP requests (what max_connections bounds).",
        );
        let _ = writeln!(
            out,
            "yrd_rpc_connections_active {}",
            self.connections_active.load(Ordering::Relaxed)
        );
        header(
            &mut out,
            "yrd_rpc_subscriptions_opened_total",
            "counter",
            "Subscriptions started, by kind.",
        );
        write_kinds(
            &mut out,
            "yrd_rpc_subscriptions_opened_total",
            &self.subscriptions_opened,
        );
        header(
            &mut out,
            "yrd_rpc_subscriptions_active",
            "gauge",
            "Live subscriptions, by kind.",
        );
        write_kinds(
            &mut out,
            "yrd_rpc_subscriptions_active",
            &self.subscriptions_active,
        );
        header(
            &mut out,
            "yrd_rpc_http_responses_total",
            "counter",
            "HTTP responses of the JSON-RPC service by status (transport refusals show here).",
        );
        if let Ok(statuses) = self.rpc_http_statuses.lock() {
            for (status, value) in statuses.iter() {
                let _ = writeln!(
                    out,
                    "yrd_rpc_http_responses_total{{status=\"{status}\"}} {value}"
                );
            }
        }
        header(
            &mut out,
            "yrd_http_route_requests_total",
            "counter",
            "Plain HTTP route requests by route and status.",
        );
        if let Ok(routes) = self.http_routes.lock() {
            for ((route, status), value) in routes.iter() {
                let _ = writeln!(
                    out,
                    "yrd_http_route_requests_total{{route=\"{}\",status=\"{status}\"}} {value}",
                    route.label()
                );
            }
        }
        out
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn write_kinds(out: &mut String, name: &str, map: &Mutex<BTreeMap<SubscriptionKind, u64>>) {
    for kind in [SubscriptionKind::Heads, SubscriptionKind::LicenceStatus] {
        let value = map
            .lock()
            .ok()
            .and_then(|m| m.get(&kind).copied())
            .unwrap_or(0);
        let _ = writeln!(out, "{name}{{kind=\"{}\"}} {value}", kind.label());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = RpcMetrics::new(["chain_getHead".to_owned()]);
        metrics.record_call("chain_getHead", None, Duration::from_micros(700));
        metrics.record_call("made_up_1", Some(-32601), Duration::from_millis(3));
        metrics.record_call("made_up_2", Some(-32601), Duration::from_millis(3));
        let text = metrics.render();
        assert!(text.contains("yrd_rpc_requests_total{method=\"chain_getHead\",outcome=\"ok\"} 1"));
        assert!(text.contains("yrd_rpc_requests_total{method=\"unknown\",outcome=\"error\"} 2"));
        assert!(text.contains("yrd_rpc_errors_total{code=\"-32601\"} 2"));
        assert!(!text.contains("made_up"));
        // Latency per method: the unknown ones share one histogram too.
        assert!(text.contains(
            "yrd_rpc_request_duration_seconds_bucket{method=\"chain_getHead\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "yrd_rpc_request_duration_seconds_bucket{method=\"unknown\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains("yrd_rpc_request_duration_seconds_count{method=\"unknown\"} 2"));
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let histograms = scrape
            .samples
            .iter()
            .filter(|s| s.metric == "yrd_rpc_request_duration_seconds")
            .filter(|s| matches!(s.value, prometheus_parse::Value::Histogram(_)))
            .count();
        assert_eq!(histograms, 2, "one per method label");
    }

    #[test]
    fn gauges_go_down_and_never_below_zero() {
        let metrics = RpcMetrics::default();
        metrics.connection_opened();
        metrics.connection_closed();
        metrics.connection_closed();
        metrics.subscription_opened(SubscriptionKind::Heads);
        assert_eq!(metrics.subscriptions_active(SubscriptionKind::Heads), 1);
        metrics.subscription_closed(SubscriptionKind::Heads);
        metrics.subscription_closed(SubscriptionKind::Heads);
        let text = metrics.render();
        assert!(text.contains("yrd_rpc_connections_active 0"));
        assert!(text.contains("yrd_rpc_connections_opened_total 1"));
        assert!(text.contains("yrd_rpc_subscriptions_active{kind=\"heads\"} 0"));
        assert!(text.contains("yrd_rpc_subscriptions_opened_total{kind=\"heads\"} 1"));
    }
}
