//! The JSON-RPC server over the node's real backend — RocksDB store in a temporary folder, the
//! genesis state, the shared host state and a real (idle) network handle — rather than the fake:
//! the reads a verifier makes answer from the store, `node_getStatus` reports the node's role
//! and membership, and a proven answer verifies against the genesis file. A divergence between
//! the fake and the node would show here.

use std::sync::Arc;

use serde_json::json;
use yrd_node::host::restart;
use yrd_node::host::rpc_backend::NodeBackend;
use yrd_node::host::shared::Shared;
use yrd_node::mempool::{Mempool, MempoolConfig};
use yrd_node::network::NetworkConfig;
use yrd_node::rpc::error::{INVALID_PARAMS, NOT_FOUND};
use yrd_node::rpc::views::HeadInfo;
use yrd_node::storage::{Store, StoreConfig};
use yrd_verifier::chain_spec::ChainSpec;

use crate::fixture::{genesis, key};
use crate::{call, call_err, test_config, within};

/// A node's real backend over a fresh store at genesis, serving JSON-RPC on an ephemeral port.
struct RealNode {
    _dir: tempfile::TempDir,
    chain: ChainSpec,
    server: yrd_node::rpc::RpcServer,
    network: yrd_node::network::NetworkHandle,
    _events: tokio::sync::mpsc::Receiver<yrd_node::network::NetworkEvent>,
}

impl RealNode {
    async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let chain = ChainSpec::from_genesis(genesis()).unwrap();
        let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
        let _state = restart::open_state(&store, &chain).unwrap();
        let head = HeadInfo {
            height: 0,
            block_id: chain.consensus.header().id().0,
            state_root: chain.consensus.state_root,
            block_time_ms: chain.genesis.genesis_time_ms,
            ..HeadInfo::default()
        };
        let shared = Arc::new(Shared::new(
            chain.clone(),
            store,
            Mempool::new(MempoolConfig::default()),
            head,
        ));
        // The first genesis validator's key, listening on an ephemeral port, nobody to talk to.
        let node_key = key(20);
        let mut network_config =
            NetworkConfig::new(node_key.to_bytes(), "/ip4/127.0.0.1/tcp/0".parse().unwrap());
        network_config.members = chain.validator_keys().into_iter().collect();
        let (network, events, _listen) = yrd_node::network::start(network_config).await.unwrap();
        let backend = Arc::new(NodeBackend::new(
            Arc::clone(&shared),
            network.clone(),
            std::time::Duration::from_millis(20),
        ));
        let server = yrd_node::rpc::start(test_config(), backend).await.unwrap();
        Self {
            _dir: dir,
            chain,
            server,
            network,
            _events: events,
        }
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.server.local_addr()
    }

    async fn stop(self) {
        self.server.stop().await;
        self.network.shutdown().await;
    }
}

#[tokio::test]
async fn the_real_backend_answers_genesis_reads_and_proves_them() {
    within(async {
        let node = RealNode::start().await;
        let chain = node.chain.clone();
        let addr = node.addr();

        let head = call(addr, "chain_getHead", json!([])).await.unwrap();
        assert_eq!(head["height"], 0, "{head}");
        assert_eq!(
            head["blockId"],
            hex::encode(chain.consensus.header().id().0)
        );
        let status = call(addr, "node_getStatus", json!([])).await.unwrap();
        assert_eq!(status["role"], "validator", "{status}");
        assert_eq!(status["chainId"], chain.genesis.chain_id.0.as_str());
        let peers = call(addr, "net_getPeers", json!([])).await.unwrap();
        assert_eq!(
            peers.as_array().map(Vec::len),
            Some(chain.validator_keys().len() - 1),
            "{peers}"
        );
        // Provinces come from the genesis authorities; nothing was reported by a peer yet.
        for peer in peers.as_array().into_iter().flatten() {
            let key = peer["nodeKey"].as_str().unwrap_or_default();
            let province = chain
                .genesis
                .authorities
                .iter()
                .find(|a| a.validator_keys.iter().any(|k| hex::encode(k) == key))
                .map(|a| a.province.0);
            assert_eq!(peer["province"].as_u64(), province.map(u64::from), "{peer}");
            assert!(peer["reported"].is_null(), "{peer}");
        }
        // The same errors the fake gives: an unknown issuer is not found, a short key invalid.
        assert_eq!(
            call_err(addr, "issuer_get", json!(["00".repeat(32)]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(addr, "issuer_get", json!(["00"])).await.code(),
            INVALID_PARAMS
        );

        // The validator list, proven at genesis, verifies against the genesis file alone.
        let answer = call(addr, "state_getProof", json!({"key": "0005"}))
            .await
            .unwrap();
        let answer: yrd_verifier::ProvenAnswer = serde_json::from_value(answer).unwrap();
        let verified = yrd_verifier::verify_answer(&chain, &answer).unwrap();
        assert_eq!(verified.header_height, 0);
        for validator in chain.validator_keys() {
            assert!(answer.value.to_string().contains(&hex::encode(validator)));
        }

        // The node's timing histograms are in /metrics (no commits yet: counts 0), and a
        // standard parser reads them.
        let metrics = crate::raw::get(addr, "/metrics", None).await;
        assert!(
            metrics.body.contains("yrd_commit_latency_seconds_count 0"),
            "{}",
            metrics.body
        );
        assert!(
            metrics
                .body
                .contains("yrd_block_interval_seconds_bucket{le=\"+Inf\"} 0")
        );
        let scraped = crate::ops_tests::Scraped::parse(&metrics.body);
        let scrape = &scraped.scrape;
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.metric == "yrd_commit_latency_seconds"
                    && matches!(s.value, prometheus_parse::Value::Histogram(_)))
        );

        // The storage engine's figures: the genesis state was written, so SST files or
        // memtables hold bytes; the proof above read tree nodes through the node cache.
        let gauge = |name: &str| scraped.value(name);
        assert!(gauge("yrd_db_sst_bytes") + gauge("yrd_db_memtable_bytes") > 0.0);
        assert!(gauge("yrd_db_pending_compaction_bytes") >= 0.0);
        assert!(gauge("yrd_tree_cache_hits_total") + gauge("yrd_tree_cache_misses_total") > 0.0);

        node.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_real_backend_exports_the_core_families_with_their_types_and_bounded_labels() {
    use prometheus_parse::SampleType::{Counter, Gauge, Histogram};
    use prometheus_parse::Value;
    within(async {
        let node = RealNode::start().await;
        let addr = node.addr();
        call(addr, "chain_getHead", json!([])).await.unwrap();
        call(addr, "node_getStatus", json!([])).await.unwrap();
        call_err(addr, "made_up_method_1", json!([])).await;
        call_err(addr, "made_up_method_2", json!([])).await;
        call_err(addr, "issuer_get", json!(["00"])).await;
        // Bytes that are no transaction: refused at admission as invalid.
        call_err(addr, "tx_submit", json!(["00"])).await;
        let discover = call(addr, "rpc.discover", json!([])).await.unwrap();

        let reply = crate::raw::get(addr, "/metrics", None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/openmetrics-text; version=1.0.0; charset=utf-8")
        );
        assert!(reply.body.ends_with("\n# EOF\n"), "{}", reply.body);
        assert_eq!(reply.body.matches("# EOF").count(), 1);
        for line in reply.body.lines().filter(|l| l.starts_with("# HELP ")) {
            // OpenMetrics escapes `"` and `\` in help texts; ours use neither.
            assert!(!line.contains(['"', '\\']), "{line}");
            assert!(!line.ends_with(".."), "{line}");
        }
        let scraped = crate::ops_tests::Scraped::parse(&reply.body);

        // The core families, each with the type operators' alerts and dashboards expect.
        let families = [
            ("yrd_head_height", Gauge),
            ("yrd_head_round", Gauge),
            ("yrd_head_epoch", Gauge),
            ("yrd_head_block_time_seconds", Gauge),
            ("yrd_highest_known_height", Gauge),
            ("yrd_node_is_validator", Gauge),
            ("yrd_node_syncing", Gauge),
            ("yrd_peers_connected", Gauge),
            ("yrd_mempool_transactions", Gauge),
            ("yrd_mempool_bytes", Gauge),
            ("yrd_db_sst_bytes", Gauge),
            ("yrd_db_pending_compaction_bytes", Gauge),
            ("yrd_db_memtable_bytes", Gauge),
            ("yrd_rpc_connections_active", Gauge),
            ("yrd_commit_latency_seconds", Histogram),
            ("yrd_block_interval_seconds", Histogram),
            ("yrd_rpc_request_duration_seconds", Histogram),
            ("yrd_rpc_requests_total", Counter),
            ("yrd_rpc_errors_total", Counter),
            ("yrd_txs_admitted_total", Counter),
            ("yrd_txs_refused_total", Counter),
            ("yrd_blocks_executed_total", Counter),
            ("yrd_peer_bans_total", Counter),
            ("yrd_sync_served_total", Counter),
            ("yrd_consensus_qcs_formed_total", Counter),
            ("yrd_consensus_tcs_formed_total", Counter),
            ("yrd_consensus_rounds_entered_total", Counter),
            ("yrd_consensus_round_timeouts_total", Counter),
            ("yrd_consensus_blocks_committed_total", Counter),
            ("yrd_consensus_certificates_rejected_total", Counter),
            ("yrd_tree_cache_hits_total", Counter),
            ("yrd_tree_cache_misses_total", Counter),
            ("yrd_network_messages_in_total", Counter),
            ("yrd_network_messages_out_total", Counter),
            ("yrd_mempool_evictions_total", Counter),
            ("yrd_consensus_round", Gauge),
            ("yrd_txs_refusals_total", Counter),
            ("yrd_data_dir_bytes", Gauge),
            ("yrd_db_commit_write_seconds", Histogram),
            ("yrd_db_read_seconds", Histogram),
            ("yrd_consensus_leader_excluded", Gauge),
        ];
        for (name, kind) in families {
            assert_eq!(scraped.kind(name), Some(kind), "{name} in\n{}", reply.body);
            assert!(
                scraped.scrape.samples.iter().any(|s| s.metric == name),
                "no sample of {name}"
            );
        }
        // Every sample belongs to a declared family, and every value is a sane number.
        for sample in &scraped.scrape.samples {
            assert!(scraped.kind(&sample.metric).is_some(), "{}", sample.metric);
            match &sample.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => {
                    assert!(v.is_finite() && *v >= 0.0, "{} = {v}", sample.metric);
                }
                Value::Histogram(buckets) => {
                    let counts: Vec<f64> = buckets.iter().map(|b| b.count).collect();
                    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
                    assert_eq!(
                        buckets.last().map(|b| b.less_than),
                        Some(f64::INFINITY),
                        "{}",
                        sample.metric
                    );
                }
                Value::Summary(_) => panic!("no summaries are exported: {}", sample.metric),
            }
        }
        // Values the node's state fixes: the genesis head, a validator alone, nothing synced.
        assert_eq!(scraped.value("yrd_head_height"), 0.0);
        assert_eq!(
            scraped.value("yrd_head_block_time_seconds"),
            node.chain.genesis.genesis_time_ms as f64 / 1_000.0
        );
        assert_eq!(scraped.value("yrd_node_is_validator"), 1.0);
        assert_eq!(scraped.value("yrd_node_syncing"), 0.0);
        assert_eq!(scraped.value("yrd_peers_connected"), 0.0);
        assert!(scraped.value("yrd_highest_known_height") >= 0.0);
        assert_eq!(scraped.value("yrd_mempool_transactions"), 0.0);
        assert_eq!(scraped.value("yrd_blocks_executed_total"), 0.0);
        assert_eq!(scraped.value("yrd_commit_latency_seconds_count"), 0.0);
        assert_eq!(scraped.value("yrd_consensus_round"), 0.0, "no consensus task runs");
        assert_eq!(scraped.value("yrd_txs_refused_total"), 1.0);
        // Reads were timed (the first point read is always sampled).
        assert!(scraped.value("yrd_db_read_seconds_count") >= 1.0);
        // The database folder holds at least the genesis it was opened with.
        assert!(scraped.value("yrd_data_dir_bytes") > 0.0);
        // One reputation gauge per validator, none passed over with no consensus running.
        let reputation: Vec<f64> = scraped
            .scrape
            .samples
            .iter()
            .filter(|s| s.metric == "yrd_consensus_leader_excluded")
            .map(|s| match s.value {
                Value::Gauge(v) | Value::Untyped(v) => v,
                _ => f64::NAN,
            })
            .collect();
        assert_eq!(reputation.len(), node.chain.validator_keys().len());
        assert!(reputation.iter().all(|v| *v == 0.0), "{reputation:?}");
        let refusals: Vec<(&str, f64)> = scraped
            .scrape
            .samples
            .iter()
            .filter(|s| s.metric == "yrd_txs_refusals_total")
            .map(|s| {
                let count = match s.value {
                    Value::Counter(v) | Value::Untyped(v) => v,
                    _ => f64::NAN,
                };
                (s.labels.get("error").expect("error label"), count)
            })
            .collect();
        assert_eq!(
            refusals.len(),
            yrd_node::host::ingress::REFUSAL_REASONS.len(),
            "one series per reason, a fixed set: {refusals:?}"
        );
        for (reason, count) in &refusals {
            let expected = if *reason == "invalid" { 1.0 } else { 0.0 };
            assert_eq!(*count, expected, "{reason}");
        }

        // Bounded labels: the method label takes registered names and `unknown`, nothing a
        // client made up; the latency histogram has one series per registered method and one
        // for the rest.
        let mut registered: std::collections::BTreeSet<String> = discover["methods"]
            .as_array()
            .expect("methods")
            .iter()
            .map(|m| m["name"].as_str().expect("name").to_owned())
            .collect();
        registered.insert("unknown".to_owned());
        let methods_of = |metric: &str| -> std::collections::BTreeSet<String> {
            scraped
                .scrape
                .samples
                .iter()
                .filter(|s| s.metric == metric)
                .map(|s| s.labels.get("method").expect("method label").to_owned())
                .collect()
        };
        assert_eq!(methods_of("yrd_rpc_request_duration_seconds"), registered);
        assert!(methods_of("yrd_rpc_requests_total").is_subset(&registered));
        assert!(!reply.body.contains("made_up"), "client text leaked into labels");
        let unknown = scraped.scrape.samples.iter().find(|s| {
            s.metric == "yrd_rpc_requests_total"
                && s.labels.get("method") == Some("unknown")
                && s.labels.get("outcome") == Some("error")
        });
        assert!(
            matches!(unknown.map(|s| &s.value), Some(Value::Untyped(v) | Value::Counter(v)) if *v == 2.0),
            "{unknown:?}"
        );
        for sample in scraped
            .scrape
            .samples
            .iter()
            .filter(|s| s.metric == "yrd_rpc_errors_total")
        {
            let code = sample.labels.get("code").expect("code label");
            assert!(code.parse::<i32>().is_ok(), "error label {code} is no code");
        }
        for sample in scraped
            .scrape
            .samples
            .iter()
            .filter(|s| s.metric == "yrd_mempool_evictions_total")
        {
            let reason = sample.labels.get("reason").expect("reason label");
            assert!(
                ["expired", "stale_nonce", "lifetime", "gap_age", "displaced"].contains(&reason),
                "{reason}"
            );
        }
        assert_eq!(
            scraped
                .scrape
                .samples
                .iter()
                .filter(|s| s.metric == "yrd_consensus_certificates_rejected_total")
                .map(|s| s.labels.get("peer"))
                .collect::<Vec<_>>(),
            vec![Some("other")],
            "no peer sent an invalid certificate"
        );

        // The dashboard graphs only what the node exports.
        crate::ops_tests::assert_dashboard_graphs_only_exported(&reply.body);
        node.stop().await;
    })
    .await;
}
