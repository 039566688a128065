//! `/health` and `/metrics` (Prometheus text exposition 0.0.4, parsed line by line).

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

/// A parsed exposition: samples by `name{labels}`, and the declared type of each family.
struct Exposition {
    samples: BTreeMap<String, f64>,
    types: BTreeMap<String, String>,
}

/// Parses the text format strictly enough to catch malformed output: every line is a `# HELP`,
/// a `# TYPE`, or `name{label="value",...} number`; every sample belongs to a typed family.
fn parse_exposition(text: &str) -> Exposition {
    let mut samples = BTreeMap::new();
    let mut types = BTreeMap::new();
    let mut helped = BTreeSet::new();
    assert!(text.ends_with('\n'), "exposition must end with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP without text");
            assert!(!help.is_empty());
            helped.insert(name.to_owned());
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE without kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(helped.contains(name), "TYPE before HELP: {line}");
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
            }
        }
        // A histogram's samples are its family's name with `_bucket`, `_sum` or `_count`.
        let name = ["_bucket", "_sum", "_count"]
            .iter()
            .filter_map(|suffix| name.strip_suffix(suffix))
            .find(|family| types.get(*family).is_some_and(|kind| kind == "histogram"))
            .unwrap_or(name);
        assert!(
            types.contains_key(name),
            "sample of an undeclared family: {line}"
        );
        if types[name] == "counter" {
            assert!(name.ends_with("_total"), "counter without _total: {name}");
        }
        assert!(value >= 0.0, "{line}");
        samples.insert(series.to_owned(), value);
    }
    Exposition { samples, types }
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
            Some("text/plain; version=0.0.4; charset=utf-8")
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
        assert_eq!(exposition.types["yrd_rpc_requests_total"], "counter");
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
            sample("yrd_rpc_request_duration_seconds_bucket{method=\"chain_getHead\",le=\"+Inf\"}"),
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
        let lines = reply.body.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap_or_else(|e| {
            panic!("a standard parser refused /metrics ({e}):\n{}", reply.body)
        });
        let value = |name: &str| {
            scrape
                .samples
                .iter()
                .find(|s| s.metric == name && s.labels.is_empty())
                .map(|s| match s.value {
                    prometheus_parse::Value::Gauge(v)
                    | prometheus_parse::Value::Counter(v)
                    | prometheus_parse::Value::Untyped(v) => v,
                    _ => f64::NAN,
                })
                .unwrap_or_else(|| panic!("no {name} in\n{}", reply.body))
        };
        assert_eq!(value("yrd_head_height"), head["height"].as_f64().unwrap());
        assert_eq!(value("yrd_head_epoch"), head["epoch"].as_f64().unwrap());
        assert_eq!(value("yrd_node_is_validator"), 1.0);
        assert_eq!(value("yrd_peers_connected"), 3.0);
        assert_eq!(value("yrd_blocks_executed_total"), 0.0);
        // Every series has its type, and the types the parser read are the ones declared.
        assert!(matches!(
            scrape
                .samples
                .iter()
                .find(|s| s.metric == "yrd_mempool_bytes")
                .map(|s| &s.value),
            Some(prometheus_parse::Value::Gauge(_))
        ));
        assert!(matches!(
            scrape
                .samples
                .iter()
                .find(|s| s.metric == "yrd_txs_refused_total")
                .map(|s| &s.value),
            Some(prometheus_parse::Value::Counter(_))
        ));
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.metric == "yrd_rpc_requests_total"
                    && s.labels.get("method") == Some("chain_getHead")),
            "the RPC series are parsed with their labels"
        );
        for sample in &scrape.samples {
            // The parser reads a histogram's `_sum` and `_count` as samples of their own.
            let family = ["_sum", "_count"]
                .iter()
                .find_map(|suffix| sample.metric.strip_suffix(suffix))
                .filter(|family| scrape.docs.contains_key(*family))
                .unwrap_or(&sample.metric);
            assert!(
                scrape.docs.contains_key(family),
                "{} has no HELP",
                sample.metric
            );
        }
    })
    .await;
}

#[tokio::test]
async fn the_grafana_dashboard_graphs_only_series_the_node_exports() {
    within(async {
        let harness = Harness::start().await;
        harness.call("chain_getHead", json!([])).await.unwrap();
        call_err(harness.addr, "chain_getBlock", json!([99])).await;
        let reply = raw::get(harness.addr, "/metrics", None).await;
        let exported: BTreeSet<&str> = reply
            .body
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split_whitespace().next())
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
                exported.contains(name.as_str()),
                "the dashboard graphs {name}, which /metrics does not export"
            );
        }
    })
    .await;
}
