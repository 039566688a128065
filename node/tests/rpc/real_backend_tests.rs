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

#[tokio::test]
async fn the_real_backend_answers_genesis_reads_and_proves_them() {
    within(async {
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
        let (network, _events, _listen) = yrd_node::network::start(network_config).await.unwrap();
        let backend = Arc::new(NodeBackend::new(Arc::clone(&shared), network.clone()));
        let server = yrd_node::rpc::start(test_config(), backend).await.unwrap();
        let addr = server.local_addr();

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
        let lines = metrics.body.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.metric == "yrd_commit_latency_seconds"
                    && matches!(s.value, prometheus_parse::Value::Histogram(_)))
        );

        // The storage engine's figures: the genesis state was written, so SST files or
        // memtables hold bytes; the proof above read tree nodes through the node cache.
        let gauge = |name: &str| {
            scrape
                .samples
                .iter()
                .find(|s| s.metric == name)
                .map(|s| match s.value {
                    prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Counter(v) => v,
                    _ => f64::NAN,
                })
                .unwrap_or_else(|| panic!("no {name} in\n{}", metrics.body))
        };
        assert!(gauge("yrd_db_sst_bytes") + gauge("yrd_db_memtable_bytes") > 0.0);
        assert!(gauge("yrd_db_pending_compaction_bytes") >= 0.0);
        assert!(gauge("yrd_tree_cache_hits_total") + gauge("yrd_tree_cache_misses_total") > 0.0);

        server.stop().await;
        network.shutdown().await;
    })
    .await;
}
