//! `/health` and `/metrics` (OpenMetrics text, parsed line by line and by a standard parser).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::raw;
use crate::{Harness, call_err, within};

#[tokio::test]
async fn health_reports_height_and_sync_state() {
    within(async {
        let harness = Harness::start().await;
        let reply = raw::get(harness.addr, "/health", None).await;
        assert_eq!(reply.status, 200);
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("application/json")
        );
        let body = reply.json().expect("a JSON body");
        assert_eq!(body["status"], "ok");
        assert_eq!(body["height"], 4);
        assert_eq!(body["syncing"], false);
        let post = raw::http(harness.addr, "POST", "/health", &[], b"").await;
        assert_eq!(post.status, 405);
    })
    .await;
}

/// A parsed exposition: samples by `name{labels}` (labels sorted by name), and the declared type
/// of each family.
struct Exposition {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

/// Parses the OpenMetrics text strictly enough to catch malformed output: every line is a
/// `# HELP`, a `# TYPE`, or `name{label="value",...} number`, and the last is `# EOF`; every
/// sample belongs to a typed family: a gauge's sample has the family's name, a counter's is the
/// family's name with `_total` (the family's own name has none), a histogram's has `_bucket`,
/// `_sum` or `_count`.
fn parse_exposition(text: &str) -> Exposition {
    let mut samples = BTreeMap::new();
    let mut types = BTreeMap::new();
    let mut helped = BTreeSet::new();
    let body = text
        .strip_suffix("# EOF\n")
        .expect("an OpenMetrics exposition ends with # EOF");
    for line in body.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP without text");
            assert!(!help.is_empty());
            // OpenMetrics escapes `"` and `\` in help texts; ours use neither.
            assert!(!help.contains(['"', '\\']), "{line}");
            assert!(!help.ends_with(".."), "{line}");
            helped.insert(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE without kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
            if kind == "counter" {
                assert!(
                    !name.ends_with("_total"),
                    "counter family named _total: {name}"
                );
            }
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "family declared twice: {name}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("sample without value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        let name = series.split('{').next().unwrap();
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit()),
            "bad metric name: {line}"
        );
        let mut pairs = Vec::new();
        if let Some(labels) = series.strip_prefix(name).filter(|l| !l.is_empty()) {
            let labels = labels
                .strip_prefix('{')
                .and_then(|l| l.strip_suffix('}'))
                .expect("unbalanced braces");
            for pair in labels.split(',') {
                let (label, quoted) = pair.split_once('=').expect("label without value");
                assert!(
                    label.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                    "{line}"
                );
                assert!(
                    quoted.len() >= 2 && quoted.starts_with('"') && quoted.ends_with('"'),
                    "{line}"
                );
                pairs.push(pair);
            }
        }
        pairs.sort_unstable();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|family| types.get(*family).is_some_and(|kind| kind == "histogram"))
            .or_else(|| {
                name.strip_suffix("_total")
                    .filter(|family| types.get(*family).is_some_and(|kind| kind == "counter"))
            })
            .unwrap_or(name);
        assert!(
            types.contains_key(family),
            "sample of an undeclared family: {line}"
        );
        if types[family] == "counter" {
            assert_ne!(family, name, "counter sample without _total: {line}");
        }
        assert!(value >= 0.0, "{line}");
        let key = if pairs.is_empty() {
            name.to_owned()
        } else {
            format!("{name}{{{}}}", pairs.join(","))
        };
        assert!(samples.insert(key, value).is_none(), "sample twice: {line}");
    }
    Exposition { samples, types }
}

/// `/metrics` as a standard parser, `prometheus-parse`, reads it, with each family's declared
/// type from the parser's own reading of the `# TYPE` lines. That parser predates OpenMetrics:
/// it does not know that `foo_total` is the sample of the counter family `foo`, so it gives
/// counter samples as `Untyped`; [`Scraped::kind`] finds their family's type.
pub(crate) struct Scraped {
    pub(crate) scrape: prometheus_parse::Scrape,
    types: BTreeMap<String, prometheus_parse::SampleType>,
}

impl Scraped {
    pub(crate) fn parse(body: &str) -> Self {
        let lines = body.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines)
            .unwrap_or_else(|e| panic!("a standard parser refused /metrics ({e}):\n{body}"));
        let mut types = BTreeMap::new();
        for line in body.lines() {
            if let prometheus_parse::LineInfo::Type {
                metric_name,
                metric_alias,
                sample_type,
            } = prometheus_parse::LineInfo::parse(line)
            {
                types.insert(metric_alias.unwrap_or(metric_name), sample_type);
            }
        }
        Self { scrape, types }
    }

    /// The family a sample (as the parser names it) belongs to, and the family's declared type.
    pub(crate) fn family(&self, sample: &str) -> Option<(&str, prometheus_parse::SampleType)> {
        use prometheus_parse::SampleType::{Counter, Histogram};
        let declared = |family: &str, want: Option<prometheus_parse::SampleType>| {
            self.types
                .get_key_value(family)
                .filter(|(_, kind)| want.is_none_or(|want| **kind == want))
                .map(|(name, kind)| (name.as_str(), *kind))
        };
        declared(sample, None)
            .or_else(|| {
                sample
                    .strip_suffix("_total")
                    .and_then(|f| declared(f, Some(Counter)))
            })
            .or_else(|| {
                ["_sum", "_count"]
                    .iter()
                    .filter_map(|suffix| sample.strip_suffix(suffix))
                    .find_map(|f| declared(f, Some(Histogram)))
            })
    }

    /// The declared type of a sample's family.
    pub(crate) fn kind(&self, sample: &str) -> Option<prometheus_parse::SampleType> {
        self.family(sample).map(|(_, kind)| kind)
    }

    /// The value of the unlabelled counter or gauge sample `name`.
    pub(crate) fn value(&self, name: &str) -> f64 {
        self.scrape
            .samples
            .iter()
            .find(|s| s.metric == name && s.labels.is_empty())
            .map(|s| match s.value {
                prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .unwrap_or_else(|| panic!("no {name} in the scrape"))
    }
}

#[tokio::test]
async fn metrics_count_requests_errors_connections_and_routes() {
    within(async {
        let harness = Harness::start().await;
        let addr = harness.addr;
        harness.call("chain_getHead", json!([])).await.unwrap();
        harness.call("chain_getHead", json!([])).await.unwrap();
        call_err(addr, "made_up_method", json!([])).await;
        call_err(addr, "chain_getBlock", json!([99])).await;
        raw::get(addr, "/health", None).await;
        raw::get(addr, "/1.0/identifiers/not-a-did", None).await;

        let reply = raw::get(addr, "/metrics", None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
        );
        let exposition = parse_exposition(&reply.body);
        let sample = |series: &str| {
            *exposition
                .samples
                .get(series)
                .unwrap_or_else(|| panic!("missing {series} in\n{}", reply.body))
        };
        assert_eq!(
            sample("yrd_rpc_requests_total{method=\"chain_getHead\",outcome=\"ok\"}"),
            2.0
        );
        assert_eq!(
            sample("yrd_rpc_requests_total{method=\"unknown\",outcome=\"error\"}"),
            1.0
        );
        assert_eq!(
            sample("yrd_rpc_requests_total{method=\"chain_getBlock\",outcome=\"error\"}"),
            1.0
        );
        assert_eq!(sample("yrd_rpc_errors_total{code=\"-32601\"}"), 1.0);
        assert_eq!(sample("yrd_rpc_errors_total{code=\"-33001\"}"), 1.0);
        assert!(sample("yrd_rpc_connections_opened_total") >= 4.0);
        assert_eq!(sample("yrd_rpc_connections_active"), 0.0);
        assert_eq!(sample("yrd_rpc_subscriptions_active{kind=\"heads\"}"), 0.0);
        assert_eq!(sample("yrd_rpc_http_responses_total{status=\"200\"}"), 4.0);
        assert_eq!(
            sample("yrd_http_route_requests_total{route=\"health\",status=\"200\"}"),
            1.0
        );
        assert_eq!(
            sample("yrd_http_route_requests_total{route=\"did_resolution\",status=\"400\"}"),
            1.0
        );
        assert_eq!(exposition.types["yrd_rpc_connections_active"], "gauge");
        assert_eq!(exposition.types["yrd_rpc_requests"], "counter");
        // Latency per method: both chain_getHead calls are counted, within the last bucket.
        assert_eq!(
            exposition.types["yrd_rpc_request_duration_seconds"],
            "histogram"
        );
        assert_eq!(
            sample("yrd_rpc_request_duration_seconds_count{method=\"chain_getHead\"}"),
            2.0
        );
        assert_eq!(
            sample("yrd_rpc_request_duration_seconds_bucket{le=\"+Inf\",method=\"chain_getHead\"}"),
            2.0
        );
        assert_eq!(
            sample("yrd_rpc_request_duration_seconds_count{method=\"chain_getBlock\"}"),
            1.0
        );
        assert!(
            !reply.body.contains("made_up_method"),
            "client text leaked into labels"
        );
    })
    .await;
}

#[tokio::test]
async fn metrics_parse_with_a_standard_parser_and_carry_the_node_series() {
    within(async {
        let harness = Harness::start().await;
        let head = harness.call("chain_getHead", json!([])).await.unwrap();
        let reply = raw::get(harness.addr, "/metrics", None).await;
        assert_eq!(reply.status, 200);
        let scraped = Scraped::parse(&reply.body);
        let value = |name: &str| scraped.value(name);
        assert_eq!(value("yrd_head_height"), head["height"].as_f64().unwrap());
        assert_eq!(value("yrd_head_epoch"), head["epoch"].as_f64().unwrap());
        assert_eq!(value("yrd_node_is_validator"), 1.0);
        assert_eq!(value("yrd_node_syncing"), 0.0);
        assert_eq!(value("yrd_peers_connected"), 3.0);
        assert_eq!(value("yrd_blocks_executed_total"), 0.0);
        // Every series has its type, and the types the parser read are the ones declared.
        assert!(matches!(
            scraped
                .scrape
                .samples
                .iter()
                .find(|s| s.metric == "yrd_mempool_bytes")
                .map(|s| &s.value),
            Some(prometheus_parse::Value::Gauge(_))
        ));
        assert_eq!(
            scraped.kind("yrd_txs_refused_total"),
            Some(prometheus_parse::SampleType::Counter)
        );
        assert!(
            scraped
                .scrape
                .samples
                .iter()
                .any(|s| s.metric == "yrd_rpc_requests_total"
                    && s.labels.get("method") == Some("chain_getHead")),
            "the RPC series are parsed with their labels"
        );
        for sample in &scraped.scrape.samples {
            // The parser reads a histogram's `_sum` and `_count` as samples of their own, and a
            // counter's `_total` sample under that name; each belongs to a declared family.
            let (family, _) = scraped
                .family(&sample.metric)
                .unwrap_or_else(|| panic!("{} has no TYPE", sample.metric));
            assert!(
                scraped.scrape.docs.contains_key(family),
                "{} has no HELP",
                sample.metric
            );
        }
    })
    .await;
}

/// Checks that every series `docs/grafana/yrd.json` graphs is in the exposition `body`.
pub(crate) fn assert_dashboard_graphs_only_exported(body: &str) {
    let exposition = parse_exposition(body);
    // The names a query uses: a counter's sample name (`_total`), a gauge's or histogram's family.
    let exported: BTreeSet<String> = exposition
        .types
        .iter()
        .map(|(family, kind)| {
            if kind == "counter" {
                format!("{family}_total")
            } else {
                family.clone()
            }
        })
        .collect();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/grafana/yrd.json");
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("dashboard")).expect("json");
    let mut graphed = BTreeSet::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("expr");
            for (start, _) in expr.match_indices("yrd_") {
                let name: String = expr[start..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let name = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|suffix| name.strip_suffix(suffix))
                    .map_or(name.clone(), str::to_owned);
                graphed.insert(name);
            }
        }
    }
    assert!(graphed.len() >= 10, "{graphed:?}");
    for name in &graphed {
        assert!(
            exported.contains(name),
            "the dashboard graphs {name}, which /metrics does not export"
        );
    }
}
