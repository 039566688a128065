//! Every limit at its edge, and malformed input: each bad request gets a clean error and the
//! server keeps serving.

use std::time::Duration;

use jsonrpsee::core::client::{ClientT, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::WsClientBuilder;
use serde_json::{Value, json};
use yrd_node::rpc::RpcConfig;
use yrd_node::rpc::error::BUSY;

use crate::fixture::Fixture;
use crate::raw::{self, RawWs};
use crate::{Harness, call, call_err, still_serving, test_config, within};

#[tokio::test]
async fn malformed_requests_get_json_rpc_errors_and_the_server_keeps_serving() {
    within(async {
        let harness = Harness::start().await;
        let addr = harness.addr;
        let cases: [(&str, i64); 9] = [
            ("{not json", -32700),
            ("", -32700),
            ("[1, 2", -32700),
            // The server library answers -32700 for JSON it cannot even read an id from, and
            // -32600 for an object with an id that is still not a request.
            ("{\"foo\": 1}", -32700),
            ("{\"jsonrpc\":\"2.0\",\"id\":1}", -32600),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"no_such_method\"}", -32601),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlock\",\"params\":[{}]}", -32602),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"chain_getBlock\",\"params\":\"x\"}", -32602),
            ("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_getStatus\",\"params\":[\"ab\", 1, 2]}", -32602),
        ];
        for (body, code) in cases {
            let reply = raw::post(addr, body).await;
            let json = reply.json().expect("a JSON body");
            assert_eq!(json["error"]["code"], code, "{body:?} -> {json}");
            assert_eq!(json["jsonrpc"], "2.0");
            still_serving(addr).await;
        }
        // Transport-level refusals are plain HTTP statuses.
        let wrong_type = raw::http(addr, "POST", "/", &[("Content-Type", "text/plain")], b"{}").await;
        assert_eq!(wrong_type.status, 415);
        let get_root = raw::http(addr, "GET", "/", &[], b"").await;
        assert_eq!(get_root.status, 405);
        still_serving(addr).await;
    })
    .await;
}

/// A request of exactly `size` bytes (padded with spaces, which JSON ignores).
fn request_of_size(size: usize) -> String {
    let mut body =
        json!({ "jsonrpc": "2.0", "id": 1, "method": "chain_getHead", "params": [] }).to_string();
    assert!(body.len() <= size);
    body.push_str(&" ".repeat(size - body.len()));
    body
}

#[tokio::test]
async fn request_body_limit_over_http_and_websocket() {
    within(async {
        let config = RpcConfig {
            max_request_body_bytes: 1_024,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let addr = harness.addr;
        let at_limit = raw::post(addr, &request_of_size(1_024)).await;
        assert_eq!(at_limit.status, 200);
        assert_eq!(at_limit.json().expect("a JSON body")["result"]["height"], 4);
        let over = raw::post(addr, &request_of_size(1_025)).await;
        assert_eq!(over.status, 413);
        let error = over.json().expect("a JSON body");
        assert_eq!(error["error"]["code"], -32007);
        assert!(error["id"].is_null());
        still_serving(addr).await;

        let mut ws = RawWs::connect(addr).await;
        ws.send_text(&request_of_size(1_024)).await;
        let ok: Value = serde_json::from_str(&ws.recv_text().await).unwrap();
        assert_eq!(ok["result"]["height"], 4);
        ws.send_text(&request_of_size(1_025)).await;
        let refused: Value = serde_json::from_str(&ws.recv_text().await).unwrap();
        assert_eq!(refused["error"]["code"], -32007);
        assert!(refused["id"].is_null());
        // The connection stays usable.
        ws.send_text(&request_of_size(100)).await;
        let again: Value = serde_json::from_str(&ws.recv_text().await).unwrap();
        assert_eq!(again["result"]["height"], 4);
    })
    .await;
}

fn batch_of(len: usize) -> String {
    let calls: Vec<Value> = (0..len)
        .map(|i| json!({ "jsonrpc": "2.0", "id": i, "method": "chain_getHead", "params": [] }))
        .collect();
    Value::Array(calls).to_string()
}

#[tokio::test]
async fn batch_length_limit() {
    within(async {
        let config = RpcConfig {
            max_batch_len: 3,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let addr = harness.addr;
        let at_limit = raw::post(addr, &batch_of(3))
            .await
            .json()
            .expect("a JSON body");
        let answers = at_limit.as_array().expect("a batch answer");
        assert_eq!(answers.len(), 3);
        assert!(answers.iter().all(|a| a["result"]["height"] == 4));
        let over = raw::post(addr, &batch_of(4))
            .await
            .json()
            .expect("a JSON body");
        assert_eq!(over["error"]["code"], -32010, "{over}");
        let empty = raw::post(addr, "[]").await.json().expect("a JSON body");
        assert_eq!(empty["error"]["code"], -32600, "{empty}");
        // A batch mixing a good call, an unknown method and an invalid entry answers each.
        let mixed = json!([
            { "jsonrpc": "2.0", "id": 1, "method": "chain_getHead", "params": [] },
            { "jsonrpc": "2.0", "id": 2, "method": "nope" },
            { "foo": "bar" },
        ]);
        let mixed = raw::post(addr, &mixed.to_string())
            .await
            .json()
            .expect("a JSON body");
        let mixed = mixed.as_array().unwrap();
        assert_eq!(mixed.len(), 3);
        assert_eq!(mixed[1]["error"]["code"], -32601);
        assert_eq!(mixed[2]["error"]["code"], -32600);
        still_serving(addr).await;

        let disabled = Harness::start_with(
            RpcConfig {
                max_batch_len: 0,
                ..test_config()
            },
            Fixture::build(),
        )
        .await;
        let refused = raw::post(disabled.addr, &batch_of(1))
            .await
            .json()
            .expect("a JSON body");
        assert_eq!(refused["error"]["code"], -32005, "{refused}");
        still_serving(disabled.addr).await;
    })
    .await;
}

#[tokio::test]
async fn response_size_limit() {
    within(async {
        let config = RpcConfig {
            max_response_body_bytes: 1_024,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let error = call_err(harness.addr, "rpc.discover", json!([])).await;
        assert_eq!(error.code(), -32008);
        still_serving(harness.addr).await;
    })
    .await;
}

#[tokio::test]
async fn connection_limit_refuses_the_next_connection_until_one_closes() {
    within(async {
        let config = RpcConfig {
            max_connections: 2,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let first = WsClientBuilder::default()
            .build(harness.ws_url())
            .await
            .unwrap();
        let second = WsClientBuilder::default()
            .build(harness.ws_url())
            .await
            .unwrap();
        let _: Value = first.request("chain_getHead", rpc_params![]).await.unwrap();
        let _: Value = second
            .request("chain_getHead", rpc_params![])
            .await
            .unwrap();
        let third = WsClientBuilder::default().build(harness.ws_url()).await;
        assert!(third.is_err(), "a third WebSocket connection was accepted");
        let http = raw::post(harness.addr, &batch_of(1)).await;
        assert_eq!(http.status, 429);
        drop(first);
        // The server notices the close asynchronously; retry briefly.
        let mut reconnected = None;
        for _ in 0..50 {
            if let Ok(client) = WsClientBuilder::default().build(harness.ws_url()).await {
                reconnected = Some(client);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let reconnected = reconnected.expect("no connection slot came back");
        let head: Value = reconnected
            .request("chain_getHead", rpc_params![])
            .await
            .unwrap();
        assert_eq!(head["height"], 4);
    })
    .await;
}

#[tokio::test]
async fn subscription_limit_per_connection() {
    within(async {
        let config = RpcConfig {
            max_subscriptions_per_connection: 2,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let client = WsClientBuilder::default()
            .build(harness.ws_url())
            .await
            .unwrap();
        let subscribe = || {
            client.subscribe::<Value, _>(
                "chain_subscribeHeads",
                rpc_params![],
                "chain_unsubscribeHeads",
            )
        };
        let first = subscribe().await.unwrap();
        let _second = subscribe().await.unwrap();
        let over = subscribe()
            .await
            .expect_err("a third subscription was accepted");
        assert!(
            over.to_string().contains("-32006")
                || over.to_string().contains("Too many subscriptions"),
            "{over}"
        );
        first.unsubscribe().await.unwrap();
        // The slot frees once the server processed the unsubscribe.
        let mut again = None;
        for _ in 0..50 {
            if let Ok(sub) = subscribe().await {
                again = Some(sub);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(
            again.is_some(),
            "the freed subscription slot never came back"
        );
        // Another connection has its own budget.
        let other = WsClientBuilder::default()
            .build(harness.ws_url())
            .await
            .unwrap();
        other
            .subscribe::<Value, _>(
                "chain_subscribeHeads",
                rpc_params![],
                "chain_unsubscribeHeads",
            )
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn backend_call_limit_refuses_with_busy_while_the_slot_is_taken() {
    within(async {
        let config = RpcConfig {
            max_concurrent_backend_calls: 1,
            ..test_config()
        };
        let harness = Harness::start_with(config, Fixture::build()).await;
        let addr = harness.addr;
        harness.fixture.node.gate.close();
        let held = tokio::spawn(async move { call(addr, "chain_getHead", json!([])).await });
        while harness.fixture.node.gate.waiting() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let busy = call_err(addr, "node_getStatus", json!([])).await;
        assert_eq!(busy.code(), BUSY);
        assert!(busy.message().contains("limit 1"), "{}", busy.message());
        let health = raw::get(addr, "/health", None).await;
        assert_eq!(health.status, 503);
        let did = raw::get(
            addr,
            &format!("/1.0/identifiers/{}", harness.fixture.issuer_did),
            None,
        )
        .await;
        assert_eq!(did.status, 503);
        // Methods that need no backend work still answer.
        assert!(call(addr, "rpc.discover", json!([])).await.is_ok());
        harness.fixture.node.gate.open();
        let head = held.await.unwrap().unwrap();
        assert_eq!(head["height"], 4);
        still_serving(addr).await;
    })
    .await;
}
