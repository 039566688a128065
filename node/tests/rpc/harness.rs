//! What every JSON-RPC test binary shares: the server harness over a fixture, raw calls, and the
//! time bound. Included by `rpc.rs` (on `ed25519-blake3`) and `rpc_sm2_sm3.rs` (on `sm2-sm3`).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};
use yrd_node::rpc::{RpcConfig, RpcServer};

use crate::fixture::Fixture;
use crate::raw;

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
