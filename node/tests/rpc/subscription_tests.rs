//! Subscriptions over WebSocket: new heads, and licence status changes under the data classes.

use std::time::Duration;

use jsonrpsee::core::client::{Subscription, SubscriptionClientT};
use jsonrpsee::rpc_params;
use jsonrpsee::ws_client::{WsClient, WsClientBuilder};
use serde_json::{Value, json};
use yrd_contracts::types::{Digest32, ProvinceCode};
use yrd_node::rpc::HeadInfo;
use yrd_node::rpc::auth::{AuthMessage, AuthParams};
use yrd_node::rpc::metrics::SubscriptionKind;

use crate::fixture::suspend;
use crate::{Harness, now_ms, within};

/// The fixture's chain id, which verifier signatures bind.
const TEST_CHAIN: &str = "yrd-test";

const NEXT_TIMEOUT: Duration = Duration::from_secs(10);

async fn next<T: serde::de::DeserializeOwned>(subscription: &mut Subscription<T>) -> T {
    tokio::time::timeout(NEXT_TIMEOUT, subscription.next())
        .await
        .expect("no notification in time")
        .expect("subscription ended")
        .expect("notification did not decode")
}

async fn ws(harness: &Harness) -> WsClient {
    WsClientBuilder::default()
        .build(harness.ws_url())
        .await
        .unwrap()
}

#[tokio::test]
async fn new_heads_arrive_after_the_node_commits() {
    within(async {
        let mut harness = Harness::start().await;
        let client = ws(&harness).await;
        let mut heads: Subscription<HeadInfo> = client
            .subscribe(
                "chain_subscribeHeads",
                rpc_params![],
                "chain_unsubscribeHeads",
            )
            .await
            .unwrap();
        // The server counts the subscription once it is accepted.
        while harness
            .server
            .metrics()
            .subscriptions_active(SubscriptionKind::Heads)
            == 0
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let tx = harness
            .fixture
            .issuer_tx(suspend(harness.fixture.unconditional));
        harness.fixture.node.commit(&[tx]);
        let head = next(&mut heads).await;
        assert_eq!(head.height, 5);
        harness.fixture.node.commit(&[]);
        assert_eq!(next(&mut heads).await.height, 6);
        heads.unsubscribe().await.unwrap();
        for _ in 0..100 {
            if harness
                .server
                .metrics()
                .subscriptions_active(SubscriptionKind::Heads)
                == 0
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("the heads subscription gauge did not go back to 0");
    })
    .await;
}

#[tokio::test]
async fn subscriptions_over_http_are_refused() {
    within(async {
        let harness = Harness::start().await;
        let error = crate::call_err(harness.addr, "chain_subscribeHeads", json!([])).await;
        assert!(
            error.code() == -32601 || error.code() == -32603,
            "{error:?}"
        );
        crate::still_serving(harness.addr).await;
    })
    .await;
}

fn status_params(
    harness: &Harness,
    commitments: &[Digest32],
    as_verifier: bool,
) -> jsonrpsee::core::params::ArrayParams {
    let f = &harness.fixture;
    let hexes: Vec<String> = commitments.iter().map(hex::encode).collect();
    let mut params = rpc_params![crate::fixture::ISSUER_USCC, hexes, 320_000];
    if as_verifier {
        let auth = AuthMessage {
            chain_id: TEST_CHAIN,
            node_key: &crate::fake::NODE_KEY,
            method: "licence_subscribeStatus",
            did: &f.verifier_did,
            key_id: "key-1",
            timestamp_ms: now_ms(),
            params: AuthParams::Subscribe {
                region: ProvinceCode::JIANGSU,
                commitments,
            },
        }
        .sign(&f.verifier);
        params.insert(f.verifier_did.to_string()).unwrap();
        params.insert(auth).unwrap();
    }
    params
}

#[tokio::test]
async fn licence_status_changes_are_pushed_under_the_callers_rights() {
    within(async {
        let mut harness = Harness::start().await;
        let (unconditional, conditional, non_open) = (
            harness.fixture.unconditional,
            harness.fixture.conditional,
            harness.fixture.non_open,
        );
        let client = ws(&harness).await;
        let mut verifier: Subscription<Value> = client
            .subscribe(
                "licence_subscribeStatus",
                status_params(&harness, &[conditional, non_open], true),
                "licence_unsubscribeStatus",
            )
            .await
            .unwrap();
        let mut anonymous: Subscription<Value> = client
            .subscribe(
                "licence_subscribeStatus",
                status_params(&harness, &[non_open, unconditional], false),
                "licence_unsubscribeStatus",
            )
            .await
            .unwrap();
        while harness
            .server
            .metrics()
            .subscriptions_active(SubscriptionKind::LicenceStatus)
            < 2
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let block_a = [
            harness.fixture.issuer_tx(suspend(conditional)),
            harness.fixture.issuer_tx(suspend(non_open)),
        ];
        harness.fixture.node.commit(&block_a);
        let first = next(&mut verifier).await;
        assert_eq!(first["commitment"], hex::encode(conditional));
        assert_eq!(first["disclosure"], "full");
        assert_eq!(first["status"], "suspended");
        assert_eq!(first["asOfHeight"], 5);
        let second = next(&mut verifier).await;
        assert_eq!(second["commitment"], hex::encode(non_open));
        assert_eq!(second["disclosure"], "statusOnly");
        assert_eq!(second["status"], "suspended");

        // The anonymous watcher learns nothing about the non-open licence: its first notification
        // is the unconditional licence's change in the next block.
        let block_b = [harness.fixture.issuer_tx(suspend(unconditional))];
        harness.fixture.node.commit(&block_b);
        let seen = next(&mut anonymous).await;
        assert_eq!(seen["commitment"], hex::encode(unconditional));
        assert_eq!(seen["asOfHeight"], 6);
        assert_eq!(seen["disclosure"], "full");
    })
    .await;
}

#[tokio::test]
async fn licence_status_subscription_parameters_are_checked() {
    within(async {
        let harness = Harness::start().await;
        let client = ws(&harness).await;
        let subscribe = |params: jsonrpsee::core::params::ArrayParams| {
            client.subscribe::<Value, _>(
                "licence_subscribeStatus",
                params,
                "licence_unsubscribeStatus",
            )
        };
        let none: Vec<String> = Vec::new();
        assert!(
            subscribe(rpc_params![crate::fixture::ISSUER_USCC, none, 320_000])
                .await
                .is_err()
        );
        let too_many: Vec<String> = (0..65u8).map(|i| hex::encode([i; 32])).collect();
        let error = subscribe(rpc_params![crate::fixture::ISSUER_USCC, too_many, 320_000])
            .await
            .expect_err("65 commitments accepted");
        assert!(
            error.to_string().contains("-32602") || error.to_string().contains("commitments"),
            "{error}"
        );
        let at_limit: Vec<String> = (0..64u8).map(|i| hex::encode([i; 32])).collect();
        subscribe(rpc_params![crate::fixture::ISSUER_USCC, at_limit, 320_000])
            .await
            .unwrap();
        assert!(
            subscribe(rpc_params![
                crate::fixture::ISSUER_USCC,
                vec!["abcd".to_owned()],
                320_000
            ])
            .await
            .is_err()
        );
        // A verifier claim without a signature.
        let claim = rpc_params![
            crate::fixture::ISSUER_USCC,
            vec![hex::encode(harness.fixture.conditional)],
            320_000,
            harness.fixture.verifier_did.to_string()
        ];
        let error = subscribe(claim)
            .await
            .expect_err("unauthenticated claim accepted");
        assert!(
            error.to_string().contains("-33021") || error.to_string().contains("authentication"),
            "{error}"
        );
    })
    .await;
}
