//! The method set is a contract: registered methods, `openrpc.json` and docs/RPC.md agree.

use std::collections::BTreeSet;
use std::sync::Arc;

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::Value;
use yrd_node::rpc::RpcConfig;
use yrd_node::rpc::context::RpcContext;
use yrd_node::rpc::error::APPLICATION_CODES;
use yrd_node::rpc::metrics::RpcMetrics;
use yrd_node::rpc::rpc_module;
use yrd_node::rpc::server::documented_methods;

use crate::fixture::Fixture;
use crate::{Harness, within};

/// The method names of the public contract (the names, plus `account_getNextNonce`, which
/// `yrd tx` needs to number transactions).
const CONTRACT_METHODS: [&str; 24] = [
    "tx_submit",
    "tx_getStatus",
    "chain_getHead",
    "chain_getBlock",
    "chain_getTx",
    "chain_subscribeHeads",
    "chain_unsubscribeHeads",
    "licence_verify",
    "licence_get",
    "licence_getHistory",
    "licence_subscribeStatus",
    "licence_unsubscribeStatus",
    "did_resolve",
    "did_getHistory",
    "issuer_get",
    "account_getNextNonce",
    "licenceType_get",
    "policy_get",
    "node_getStatus",
    "net_getPeers",
    "rpc.discover",
    "state_getProof",
    "batch_submitLeaves",
    "batch_getInclusionProof",
];

#[tokio::test]
async fn registered_methods_equal_documented_methods_and_the_contract() {
    let fixture = Fixture::build();
    let ctx = Arc::new(
        RpcContext::new(
            fixture.node.clone(),
            RpcConfig::default(),
            Arc::new(RpcMetrics::default()),
        )
        .unwrap(),
    );
    let module = rpc_module(Arc::clone(&ctx)).unwrap();
    let registered: BTreeSet<String> = module.method_names().map(str::to_owned).collect();
    let documented = documented_methods(&ctx.openrpc);
    let contract: BTreeSet<String> = CONTRACT_METHODS.iter().map(|m| (*m).to_owned()).collect();
    assert_eq!(registered, documented, "registered vs openrpc.json");
    assert_eq!(registered, contract, "registered vs the contract");
}

#[tokio::test]
async fn rpc_discover_serves_a_consistent_openrpc_document() {
    within(async {
        let harness = Harness::start().await;
        let client = HttpClientBuilder::default()
            .build(harness.http_url())
            .unwrap();
        let document: Value = client.request("rpc.discover", rpc_params![]).await.unwrap();
        assert_eq!(document["openrpc"], "1.3.2");
        let methods = document["methods"].as_array().unwrap();
        assert_eq!(methods.len(), CONTRACT_METHODS.len());
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let errors = document["components"]["errors"].as_object().unwrap();
        let text = document.to_string();
        // Every reference resolves.
        for piece in text.split("\"$ref\":\"#/components/").skip(1) {
            let target = piece.split('"').next().unwrap();
            let (section, name) = target.split_once('/').unwrap();
            let found = match section {
                "schemas" => schemas.contains_key(name),
                "errors" => errors.contains_key(name),
                _ => false,
            };
            assert!(found, "dangling reference {target}");
        }
        for method in methods {
            assert!(method["params"].is_array(), "{method}");
            assert!(method["result"]["schema"].is_object(), "{method}");
        }
        // Every application error code the server can return is documented.
        let documented_codes: BTreeSet<i64> = errors
            .values()
            .map(|e| e["code"].as_i64().unwrap())
            .collect();
        for code in APPLICATION_CODES {
            assert!(
                documented_codes.contains(&i64::from(code)),
                "code {code} missing from openrpc.json"
            );
        }
    })
    .await;
}

#[test]
fn docs_describe_every_method_and_error_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/RPC.md");
    let docs = std::fs::read_to_string(path).expect("docs/RPC.md");
    for method in CONTRACT_METHODS {
        assert!(
            docs.contains(&format!("`{method}`")),
            "docs/RPC.md does not describe {method}"
        );
    }
    for code in APPLICATION_CODES {
        assert!(
            docs.contains(&format!("`{code}`")),
            "docs/RPC.md does not list error code {code}"
        );
    }
    for code in [
        -32700, -32600, -32601, -32005, -32006, -32007, -32008, -32010,
    ] {
        assert!(
            docs.contains(&format!("`{code}`")),
            "docs/RPC.md does not list error code {code}"
        );
    }
}
