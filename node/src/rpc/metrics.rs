//! `GET /metrics`: the RPC service's own metrics, and the exposition of every series through a
//! `prometheus_client` registry in the OpenMetrics text format (an ADR in docs/adr,
//! "metrics through prometheus-client", argues both choices).
//!
//! The RPC metrics live here as `prometheus_client` counters, gauges and histograms that the
//! middleware, the handlers and the plain routes update. The node's series are values read at
//! scrape time (the head, the engine's figures, the consensus core's counters): they go into the
//! registry as a [`Sampled`] collector built for that one scrape.
//!
//! Label values are bounded: method labels are registered method names (anything else counts as
//! `unknown`), error labels are error codes, route labels are a fixed list. Nothing a client
//! sends can grow these families past that.
//!
//! OpenMetrics names a counter's family without `_total` and its sample with it: registered here
//! as `yrd_rpc_requests`, the counter is scraped as `yrd_rpc_requests_total`, the name the series
//! always had.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{
    DescriptorEncoder, EncodeLabelSet, EncodeLabelValue, EncodeMetric, LabelValueEncoder,
};
use prometheus_client::metrics::MetricType;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Content type of the exposition: OpenMetrics 1.0 text, which the encoder writes (it ends with
/// `# EOF`).
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Method label for a name that is not a registered method.
pub const UNKNOWN_METHOD_LABEL: &str = "unknown";

/// Bucket bounds in seconds for RPC call latency: from half a millisecond to five seconds.
pub const RPC_SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The whole exposition of `registry`, `# EOF` included.
pub fn encode(registry: &Registry) -> Result<String, std::fmt::Error> {
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, registry)?;
    Ok(out)
}

/// Subscription kinds, as labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl EncodeLabelValue for SubscriptionKind {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.label(), encoder)
    }
}

/// Plain HTTP routes, as labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
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

impl EncodeLabelValue for HttpRoute {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        EncodeLabelValue::encode(&self.label(), encoder)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodOutcome {
    method: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct MethodLabel {
    method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CodeLabel {
    code: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabel {
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteStatus {
    route: HttpRoute,
    status: u16,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct KindLabel {
    kind: SubscriptionKind,
}

fn rpc_latency_histogram() -> Histogram {
    Histogram::new(RPC_SECONDS_BUCKETS.iter().copied())
}

/// Takes one from a gauge, never below zero.
fn decrement(gauge: &Gauge) {
    let _ = gauge
        .inner()
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |v| {
            Some(v.saturating_sub(1).max(0))
        });
}

/// All RPC metrics. Shared by the middleware, the handlers and the HTTP routes; each is a handle
/// that [`RpcMetrics::register`] clones into a scrape's registry.
#[derive(Debug)]
pub struct RpcMetrics {
    known_methods: BTreeSet<String>,
    requests: Family<MethodOutcome, Counter>,
    /// Call latency per method label (the known methods and `unknown`: a bounded label set).
    latency: Family<MethodLabel, Histogram, fn() -> Histogram>,
    errors: Family<CodeLabel, Counter>,
    http_routes: Family<RouteStatus, Counter>,
    rpc_http_statuses: Family<StatusLabel, Counter>,
    batches: Counter,
    connections_opened: Counter,
    connections_active: Gauge,
    subscriptions_opened: Family<KindLabel, Counter>,
    subscriptions_active: Family<KindLabel, Gauge>,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        Self::new([])
    }
}

impl RpcMetrics {
    /// Metrics for the given registered method names.
    pub fn new(known_methods: impl IntoIterator<Item = String>) -> Self {
        let known_methods: BTreeSet<String> = known_methods.into_iter().collect();
        let metrics = Self {
            known_methods,
            requests: Family::default(),
            latency: Family::new_with_constructor(rpc_latency_histogram as fn() -> Histogram),
            errors: Family::default(),
            http_routes: Family::default(),
            rpc_http_statuses: Family::default(),
            batches: Counter::default(),
            connections_opened: Counter::default(),
            connections_active: Gauge::default(),
            subscriptions_opened: Family::default(),
            subscriptions_active: Family::default(),
        };
        // Every method's histogram and both subscription kinds show from the start, at zero.
        for method in metrics
            .known_methods
            .iter()
            .map(String::as_str)
            .chain([UNKNOWN_METHOD_LABEL])
        {
            let _ = metrics.latency.get_or_create(&MethodLabel {
                method: method.to_owned(),
            });
        }
        for kind in [SubscriptionKind::Heads, SubscriptionKind::LicenceStatus] {
            let _ = metrics
                .subscriptions_opened
                .get_or_create(&KindLabel { kind });
            let _ = metrics
                .subscriptions_active
                .get_or_create(&KindLabel { kind });
        }
        metrics
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
        let method = self.method_label(method);
        self.latency
            .get_or_create(&MethodLabel {
                method: method.clone(),
            })
            .observe(elapsed.as_secs_f64());
        let outcome = if error_code.is_none() { "ok" } else { "error" };
        self.requests
            .get_or_create(&MethodOutcome { method, outcome })
            .inc();
        if let Some(code) = error_code {
            self.record_error(code);
        }
    }

    /// An error not tied to a method call (e.g. a whole batch refused).
    pub fn record_error(&self, code: i32) {
        self.errors.get_or_create(&CodeLabel { code }).inc();
    }

    /// A batch arrived.
    pub fn record_batch(&self) {
        self.batches.inc();
    }

    /// A plain HTTP route answered with `status`.
    pub fn record_http(&self, route: HttpRoute, status: u16) {
        self.http_routes
            .get_or_create(&RouteStatus { route, status })
            .inc();
    }

    /// An HTTP request to the JSON-RPC service got `status` (200, 101 for a WebSocket upgrade,
    /// 413 oversized body, 415 wrong content type, 429 connection limit, ...).
    pub fn record_rpc_http_status(&self, status: u16) {
        self.rpc_http_statuses
            .get_or_create(&StatusLabel { status })
            .inc();
    }

    /// A connection (WebSocket, or one HTTP request) opened.
    pub fn connection_opened(&self) {
        self.connections_opened.inc();
        self.connections_active.inc();
    }

    /// A connection closed.
    pub fn connection_closed(&self) {
        decrement(&self.connections_active);
    }

    /// A subscription started.
    pub fn subscription_opened(&self, kind: SubscriptionKind) {
        self.subscriptions_opened
            .get_or_create(&KindLabel { kind })
            .inc();
        self.subscriptions_active
            .get_or_create(&KindLabel { kind })
            .inc();
    }

    /// A subscription ended.
    pub fn subscription_closed(&self, kind: SubscriptionKind) {
        decrement(&self.subscriptions_active.get_or_create(&KindLabel { kind }));
    }

    /// Live subscriptions of `kind`.
    pub fn subscriptions_active(&self, kind: SubscriptionKind) -> u64 {
        let active = self.subscriptions_active.get_or_create(&KindLabel { kind });
        u64::try_from(active.get()).unwrap_or(0)
    }

    /// Puts these metrics in `registry` (handles: the registry reads their live values). The
    /// registry ends each help text with a full stop.
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "yrd_rpc_requests",
            "JSON-RPC calls by method and outcome",
            self.requests.clone(),
        );
        registry.register(
            "yrd_rpc_request_duration_seconds",
            "Seconds from a JSON-RPC call's arrival at the method dispatcher to its answer, by method (calls that were made)",
            self.latency.clone(),
        );
        registry.register(
            "yrd_rpc_errors",
            "JSON-RPC error responses by error code",
            self.errors.clone(),
        );
        registry.register(
            "yrd_rpc_batches",
            "JSON-RPC batch requests",
            self.batches.clone(),
        );
        registry.register(
            "yrd_rpc_connections_opened",
            "WebSocket connections and HTTP requests accepted by the JSON-RPC service",
            self.connections_opened.clone(),
        );
        registry.register(
            "yrd_rpc_connections_active",
            "Open WebSocket connections plus in-flight HTTP requests (what max_connections bounds)",
            self.connections_active.clone(),
        );
        registry.register(
            "yrd_rpc_subscriptions_opened",
            "Subscriptions started, by kind",
            self.subscriptions_opened.clone(),
        );
        registry.register(
            "yrd_rpc_subscriptions_active",
            "Live subscriptions, by kind",
            self.subscriptions_active.clone(),
        );
        registry.register(
            "yrd_rpc_http_responses",
            "HTTP responses of the JSON-RPC service by status (transport refusals show here)",
            self.rpc_http_statuses.clone(),
        );
        registry.register(
            "yrd_http_route_requests",
            "Plain HTTP route requests by route and status",
            self.http_routes.clone(),
        );
    }
}

/// One value read at scrape time.
#[derive(Debug, Clone, Copy)]
enum SampledValue {
    Counter(u64),
    Gauge(u64),
    GaugeF64(f64),
}

impl SampledValue {
    fn metric_type(self) -> MetricType {
        match self {
            SampledValue::Counter(_) => MetricType::Counter,
            SampledValue::Gauge(_) | SampledValue::GaugeF64(_) => MetricType::Gauge,
        }
    }

    fn encode(
        self,
        encoder: prometheus_client::encoding::MetricEncoder<'_>,
    ) -> Result<(), std::fmt::Error> {
        match self {
            SampledValue::Counter(v) => ConstCounter::new(v).encode(encoder),
            SampledValue::Gauge(v) => ConstGauge::new(v).encode(encoder),
            SampledValue::GaugeF64(v) => ConstGauge::new(v).encode(encoder),
        }
    }
}

#[derive(Debug)]
struct SampledFamily {
    name: &'static str,
    help: &'static str,
    /// One sample without labels, or one per value of `label`.
    samples: SampledSamples,
}

#[derive(Debug)]
enum SampledSamples {
    Single(SampledValue),
    Labelled {
        label: &'static str,
        values: Vec<(String, SampledValue)>,
    },
}

/// Series whose values were read at scrape time (the head, the storage engine's figures, the
/// consensus core's counters as last published): a collector for one scrape's registry.
///
/// Counter names are given without `_total`, which the encoder appends.
#[derive(Debug, Default)]
pub struct Sampled {
    families: Vec<SampledFamily>,
}

impl Sampled {
    fn push(&mut self, name: &'static str, help: &'static str, samples: SampledSamples) {
        self.families.push(SampledFamily {
            name,
            help,
            samples,
        });
    }

    /// A counter (`name` without `_total`).
    pub fn counter(&mut self, name: &'static str, help: &'static str, value: u64) {
        self.push(
            name,
            help,
            SampledSamples::Single(SampledValue::Counter(value)),
        );
    }

    /// A whole-number gauge.
    pub fn gauge(&mut self, name: &'static str, help: &'static str, value: u64) {
        self.push(
            name,
            help,
            SampledSamples::Single(SampledValue::Gauge(value)),
        );
    }

    /// A gauge with a fractional value.
    pub fn gauge_f64(&mut self, name: &'static str, help: &'static str, value: f64) {
        self.push(
            name,
            help,
            SampledSamples::Single(SampledValue::GaugeF64(value)),
        );
    }

    /// A gauge family with one label; the caller bounds the values.
    pub fn gauges_by(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: impl IntoIterator<Item = (String, u64)>,
    ) {
        self.labelled(name, help, label, values, SampledValue::Gauge);
    }

    /// A counter family with one label (`name` without `_total`); the caller bounds the values.
    pub fn counters_by(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: impl IntoIterator<Item = (String, u64)>,
    ) {
        self.labelled(name, help, label, values, SampledValue::Counter);
    }

    fn labelled(
        &mut self,
        name: &'static str,
        help: &'static str,
        label: &'static str,
        values: impl IntoIterator<Item = (String, u64)>,
        kind: fn(u64) -> SampledValue,
    ) {
        let values = values
            .into_iter()
            .map(|(value, sample)| (value, kind(sample)))
            .collect();
        self.push(name, help, SampledSamples::Labelled { label, values });
    }
}

impl Collector for Sampled {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for family in &self.families {
            match &family.samples {
                SampledSamples::Single(value) => {
                    let metric = encoder.encode_descriptor(
                        family.name,
                        family.help,
                        None,
                        value.metric_type(),
                    )?;
                    value.encode(metric)?;
                }
                SampledSamples::Labelled { label, values } => {
                    let kind = values
                        .first()
                        .map_or(MetricType::Counter, |(_, sample)| sample.metric_type());
                    let mut metric =
                        encoder.encode_descriptor(family.name, family.help, None, kind)?;
                    for (value, sample) in values {
                        let labels = [(*label, value.as_str())];
                        sample.encode(metric.encode_family(&labels)?)?;
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(metrics: &RpcMetrics) -> String {
        let mut registry = Registry::default();
        metrics.register(&mut registry);
        encode(&registry).unwrap()
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let metrics = RpcMetrics::new(["chain_getHead".to_owned()]);
        metrics.record_call("chain_getHead", None, Duration::from_micros(700));
        metrics.record_call("made_up_1", Some(-32601), Duration::from_millis(3));
        metrics.record_call("made_up_2", Some(-32601), Duration::from_millis(3));
        let text = exposition(&metrics);
        assert!(text.contains("yrd_rpc_requests_total{method=\"chain_getHead\",outcome=\"ok\"} 1"));
        assert!(text.contains("yrd_rpc_requests_total{method=\"unknown\",outcome=\"error\"} 2"));
        assert!(text.contains("yrd_rpc_errors_total{code=\"-32601\"} 2"));
        assert!(!text.contains("made_up"));
        assert!(text.ends_with("# EOF\n"));
        // Latency per method: the unknown ones share one histogram too (the encoder writes `le`
        // before the family's labels).
        assert!(text.contains(
            "yrd_rpc_request_duration_seconds_bucket{le=\"0.001\",method=\"chain_getHead\"} 1"
        ));
        assert!(text.contains(
            "yrd_rpc_request_duration_seconds_bucket{le=\"0.0025\",method=\"unknown\"} 0"
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
        let text = exposition(&metrics);
        assert!(text.contains("\nyrd_rpc_connections_active 0\n"));
        assert!(text.contains("\nyrd_rpc_connections_opened_total 1\n"));
        assert!(text.contains("yrd_rpc_subscriptions_active{kind=\"heads\"} 0"));
        assert!(text.contains("yrd_rpc_subscriptions_opened_total{kind=\"heads\"} 1"));
        assert!(text.contains("yrd_rpc_subscriptions_active{kind=\"licence_status\"} 0"));
    }

    #[test]
    fn sampled_series_are_typed_families() {
        let mut sampled = Sampled::default();
        sampled.gauge("yrd_test_height", "A height.", 7);
        sampled.gauge_f64("yrd_test_time_seconds", "A time.", 1.5);
        sampled.counter("yrd_test_events", "Events.", 3);
        sampled.counters_by(
            "yrd_test_by_reason",
            "Events by reason.",
            "reason",
            [("a".to_owned(), 1), ("b".to_owned(), 2)],
        );
        let mut registry = Registry::default();
        registry.register_collector(Box::new(sampled));
        let text = encode(&registry).unwrap();
        assert!(text.contains("# TYPE yrd_test_height gauge\nyrd_test_height 7\n"));
        assert!(text.contains("yrd_test_time_seconds 1.5\n"));
        assert!(text.contains("# TYPE yrd_test_events counter\nyrd_test_events_total 3\n"));
        assert!(text.contains("yrd_test_by_reason_total{reason=\"b\"} 2\n"));
        assert!(text.ends_with("# EOF\n"));
    }
}
