//! The JSON-RPC server end to end: a real server on 127.0.0.1:0 over an in-memory node whose
//! state is a real `yrd_contracts::State` built from signed transactions (`rpc/fixture.rs`).
//! Every test is bounded by a timeout.

#[path = "rpc/fake.rs"]
mod fake;
#[path = "rpc/fixture.rs"]
mod fixture;
#[path = "rpc/raw.rs"]
mod raw;

#[path = "rpc/batch_leaves_tests.rs"]
mod batch_leaves_tests;
#[path = "rpc/chain_tests.rs"]
mod chain_tests;
#[path = "rpc/console_tests.rs"]
mod console_tests;
#[path = "rpc/did_registry_tests.rs"]
mod did_registry_tests;
#[path = "rpc/discovery_tests.rs"]
mod discovery_tests;
#[path = "rpc/licence_tests.rs"]
mod licence_tests;
#[path = "rpc/limits_tests.rs"]
mod limits_tests;
#[path = "rpc/ops_tests.rs"]
mod ops_tests;
#[path = "rpc/proof_tests.rs"]
mod proof_tests;
#[path = "rpc/real_backend_tests.rs"]
mod real_backend_tests;
#[path = "rpc/status_list_tests.rs"]
mod status_list_tests;
#[path = "rpc/subscription_tests.rs"]
mod subscription_tests;
#[path = "rpc/vector_tests.rs"]
mod vector_tests;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};
use yrd_node::rpc::{RpcConfig, RpcServer};

use fixture::Fixture;

/// Longest any one test may run.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs `test` or fails after [`TEST_TIMEOUT`].
pub async fn within<T>(test: impl Future<Output = T>) -> T {
    tokio::time::timeout(TEST_TIMEOUT, test)
        .await
        .expect("test timed out")
}

/// Default limits, ephemeral port.
pub fn test_config() -> RpcConfig {
    RpcConfig {
        listen_address: SocketAddr::from(([127, 0, 0, 1], 0)),
        ..RpcConfig::default()
    }
}

/// A running server over a fixture.
pub struct Harness {
    pub fixture: Fixture,
    pub server: RpcServer,
    pub addr: SocketAddr,
}

impl Harness {
    pub async fn start() -> Self {
        Self::start_with(test_config(), Fixture::build()).await
    }

    pub async fn start_with(config: RpcConfig, fixture: Fixture) -> Self {
        let server = yrd_node::rpc::start(config, fixture.node.clone())
            .await
            .unwrap();
        let addr = server.local_addr();
        Self {
            fixture,
            server,
            addr,
        }
    }

    pub fn http_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    /// One JSON-RPC call over HTTP: the result, or the error object.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ErrorObjectOwned> {
        call(self.addr, method, params).await
    }
}

/// One JSON-RPC call over HTTP with a raw POST.
pub async fn call(
    addr: SocketAddr,
    method: &str,
    params: Value,
) -> Result<Value, ErrorObjectOwned> {
    let request = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params });
    let reply = raw::post(addr, &request.to_string()).await;
    let body = reply.json().expect("a JSON body");
    assert_eq!(body["jsonrpc"], "2.0", "{body}");
    if let Some(error) = body.get("error") {
        return Err(serde_json::from_value(error.clone()).unwrap());
    }
    assert_eq!(body["id"], 7);
    Ok(body["result"].clone())
}

/// The error of a call that must fail.
pub async fn call_err(addr: SocketAddr, method: &str, params: Value) -> ErrorObjectOwned {
    match call(addr, method, params).await {
        Ok(result) => panic!("{method} should have failed, got {result}"),
        Err(error) => error,
    }
}

/// `data` of an error object as JSON.
pub fn error_data(error: &ErrorObjectOwned) -> Value {
    error
        .data()
        .map(|d| serde_json::from_str(d.get()).unwrap())
        .unwrap_or(Value::Null)
}

/// The wall clock in ms (the node's own reader, which the server compares auth timestamps with).
pub fn now_ms() -> u64 {
    yrd_node::clock::unix_ms()
}

/// A cheap call that must succeed: proof the server still serves.
pub async fn still_serving(addr: SocketAddr) {
    let head = call(addr, "chain_getHead", json!([]))
        .await
        .expect("server stopped serving");
    assert!(head["height"].as_u64().is_some());
}
