//! `tx_*`, `chain_*`, `node_getStatus`, `net_getPeers` over HTTP.

use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use yrd_contracts::tx::{AnchorLicence, TxPayload};
use yrd_contracts::types::LicenceTypeCode;
use yrd_contracts::{ChainId, SignedTx};
use yrd_node::rpc::error::{DUPLICATE_TX, INVALID_PARAMS, MEMPOOL_FULL, NOT_FOUND, TX_REJECTED};
use yrd_node::rpc::{HeadInfo, NodeStatus};

use yrd_testkit::sign_tx;

use crate::fake::{EXPIRY_HEIGHT, FakeNode, GENESIS_TIME_MS};
use crate::fixture::{Fixture, genesis, suspend};
use crate::{Harness, call_err, error_data, still_serving, test_config, within};

fn tx_hex(tx: &SignedTx) -> String {
    hex::encode(tx.to_bytes())
}

#[tokio::test]
async fn head_blocks_and_committed_txs() {
    within(async {
        let harness = Harness::start().await;
        let client = HttpClientBuilder::default()
            .build(harness.http_url())
            .unwrap();
        let head: HeadInfo = client
            .request("chain_getHead", rpc_params![])
            .await
            .unwrap();
        assert_eq!(head.height, 4);
        assert_eq!(head.block_time_ms, GENESIS_TIME_MS + 4_000);

        let by_height = harness.call("chain_getBlock", json!([3])).await.unwrap();
        assert_eq!(by_height["head"]["height"], 3);
        assert_eq!(by_height["txHashes"].as_array().unwrap().len(), 3);
        let id = by_height["head"]["blockId"].as_str().unwrap().to_owned();
        let by_id = harness.call("chain_getBlock", json!([id])).await.unwrap();
        assert_eq!(by_id, by_height);
        let latest = harness
            .call("chain_getBlock", json!({ "block": "latest" }))
            .await
            .unwrap();
        assert_eq!(latest["head"]["height"], 4);
        assert_eq!(latest["head"]["parentId"], by_height["head"]["blockId"]);
        assert_eq!(
            call_err(harness.addr, "chain_getBlock", json!([99]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(harness.addr, "chain_getBlock", json!(["ab".repeat(32)]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(harness.addr, "chain_getBlock", json!(["abc"]))
                .await
                .code(),
            INVALID_PARAMS
        );

        let anchor_hash = hex::encode(harness.fixture.anchor_tx.hash());
        assert_eq!(by_height["txHashes"][0], anchor_hash);
        let tx = harness
            .call("chain_getTx", json!([anchor_hash]))
            .await
            .unwrap();
        assert_eq!(tx["height"], 3);
        assert_eq!(tx["index"], 0);
        assert_eq!(tx["kind"], "anchorLicence");
        assert_eq!(tx["nonce"], 0);
        assert_eq!(tx["receipt"]["code"], 0);
        assert_eq!(
            tx["signer"],
            hex::encode(harness.fixture.issuer.verifying_key().to_bytes())
        );
        assert_eq!(tx["payloadWithheld"], true);
        assert_eq!(tx["raw"], Value::Null);
        assert_eq!(
            call_err(harness.addr, "chain_getTx", json!(["00".repeat(32)]))
                .await
                .code(),
            NOT_FOUND
        );

        let status = harness
            .call("tx_getStatus", json!([anchor_hash]))
            .await
            .unwrap();
        assert_eq!(status["status"], "committed");
        assert_eq!(status["height"], 3);
        assert_eq!(status["receipt"]["name"], "Ok");
        let unknown = harness
            .call("tx_getStatus", json!(["11".repeat(32)]))
            .await
            .unwrap();
        assert_eq!(unknown, json!({ "status": "unknown" }));
    })
    .await;
}

#[tokio::test]
async fn submit_tracks_a_transaction_to_commit() {
    within(async {
        let mut harness = Harness::start().await;
        let unconditional = harness.fixture.unconditional;
        let tx = harness.fixture.issuer_tx(suspend(unconditional));
        let hash = harness
            .call("tx_submit", json!([tx_hex(&tx)]))
            .await
            .unwrap();
        assert_eq!(hash, hex::encode(tx.hash()));
        assert_eq!(
            harness.call("tx_getStatus", json!([hash])).await.unwrap()["status"],
            "pending"
        );

        let duplicate = call_err(harness.addr, "tx_submit", json!([tx_hex(&tx)])).await;
        assert_eq!(duplicate.code(), DUPLICATE_TX);
        assert_eq!(error_data(&duplicate)["hash"], hash);

        harness.fixture.node.commit_pending();
        let status = harness.call("tx_getStatus", json!([hash])).await.unwrap();
        assert_eq!(status["status"], "committed");
        assert_eq!(status["height"], 5);
        assert_eq!(status["receipt"]["code"], 0);
        let verified = harness
            .call(
                "licence_verify",
                json!([
                    crate::fixture::ISSUER_USCC,
                    hex::encode(unconditional),
                    310000
                ]),
            )
            .await
            .unwrap();
        assert_eq!(verified["status"], "suspended");
        assert_eq!(verified["valid"], false);

        // Committed, so still a duplicate.
        assert_eq!(
            call_err(harness.addr, "tx_submit", json!([tx_hex(&tx)]))
                .await
                .code(),
            DUPLICATE_TX
        );
    })
    .await;
}

#[tokio::test]
async fn a_transaction_refused_by_execution_reports_its_receipt() {
    within(async {
        let mut harness = Harness::start().await;
        // The issuer is not accredited for type "X9" (which does not even exist).
        let tx = harness
            .fixture
            .issuer_tx(TxPayload::AnchorLicence(AnchorLicence {
                commitment: [0x77; 32],
                licence_type: LicenceTypeCode("X9".into()),
                valid_from_ms: GENESIS_TIME_MS,
                valid_until_ms: GENESIS_TIME_MS + 1_000_000,
            }));
        let hash = harness
            .call("tx_submit", json!([tx_hex(&tx)]))
            .await
            .unwrap();
        harness.fixture.node.commit_pending();
        let status = harness.call("tx_getStatus", json!([hash])).await.unwrap();
        assert_eq!(status["status"], "committed");
        assert_eq!(status["receipt"]["code"], 305);
        assert_eq!(status["receipt"]["name"], "NotAccreditedForType");
        assert!(
            status["receipt"]["message"]
                .as_str()
                .unwrap()
                .contains("X9")
        );
    })
    .await;
}

#[tokio::test]
async fn invalid_transactions_are_rejected_with_their_tx_error() {
    within(async {
        let harness = Harness::start().await;
        let fixture = &harness.fixture;
        let addr = harness.addr;
        let expect = |error: jsonrpsee::types::ErrorObjectOwned, code: u64, name: &str| {
            assert_eq!(error.code(), TX_REJECTED, "{error:?}");
            let data = error_data(&error);
            assert_eq!(data["code"], code, "{data}");
            assert_eq!(data["name"], name, "{data}");
            assert!(data["message"].as_str().is_some_and(|m| !m.is_empty()));
        };
        // Stale nonce: the issuer's nonce 0 was used by the fixture.
        let stale = sign_tx(
            &fixture.chain,
            &fixture.issuer,
            0,
            suspend(fixture.unconditional),
            EXPIRY_HEIGHT,
        );
        expect(
            call_err(addr, "tx_submit", json!([tx_hex(&stale)])).await,
            105,
            "BadNonce",
        );
        // Bad signature.
        let forged = crate::fixture::key(99);
        let mut tx = sign_tx(
            &fixture.chain,
            &fixture.issuer,
            3,
            suspend(fixture.unconditional),
            EXPIRY_HEIGHT,
        );
        tx.signature = sign_tx(
            &fixture.chain,
            &forged,
            3,
            suspend(fixture.unconditional),
            EXPIRY_HEIGHT,
        )
        .signature;
        expect(
            call_err(addr, "tx_submit", json!([tx_hex(&tx)])).await,
            106,
            "BadSignature",
        );
        // Wrong chain.
        let other_chain = sign_tx(
            &ChainId("other".into()),
            &fixture.issuer,
            3,
            suspend(fixture.unconditional),
            EXPIRY_HEIGHT,
        );
        expect(
            call_err(addr, "tx_submit", json!([tx_hex(&other_chain)])).await,
            103,
            "WrongChain",
        );
        // Not a transaction at all, and a transaction with a trailing byte.
        expect(
            call_err(addr, "tx_submit", json!(["deadbeef"])).await,
            100,
            "Malformed",
        );
        let mut trailing = stale.to_bytes();
        trailing.push(0);
        expect(
            call_err(addr, "tx_submit", json!([hex::encode(trailing)])).await,
            100,
            "Malformed",
        );
        // Not hex, odd length, empty: parameter errors before the node sees anything.
        for bad in ["zz", "abc", ""] {
            let error = call_err(addr, "tx_submit", json!([bad])).await;
            assert_eq!(error.code(), INVALID_PARAMS, "{bad:?}");
            assert_eq!(error_data(&error)["param"], "tx");
        }
        still_serving(addr).await;
    })
    .await;
}

#[tokio::test]
async fn mempool_full_is_its_own_error() {
    within(async {
        let mut fixture = Fixture::build_on(FakeNode::with_mempool_capacity(&genesis(), 1));
        let first = fixture.issuer_tx(suspend(fixture.unconditional));
        let second = fixture.issuer_tx(suspend(fixture.conditional));
        let harness = Harness::start_with(test_config(), fixture).await;
        harness
            .call("tx_submit", json!([tx_hex(&first)]))
            .await
            .unwrap();
        let full = call_err(harness.addr, "tx_submit", json!([tx_hex(&second)])).await;
        assert_eq!(full.code(), MEMPOOL_FULL);
        assert!(
            error_data(&full)["reason"]
                .as_str()
                .unwrap()
                .contains("limit 1")
        );
        harness.fixture.node.commit_pending();
        harness
            .call("tx_submit", json!([tx_hex(&second)]))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn node_status_and_peers() {
    within(async {
        let harness = Harness::start().await;
        let client = HttpClientBuilder::default()
            .build(harness.http_url())
            .unwrap();
        let status: NodeStatus = client
            .request("node_getStatus", rpc_params![])
            .await
            .unwrap();
        assert_eq!(status.chain_id, "yrd-test");
        assert_eq!(status.head.height, 4);
        assert!(!status.syncing);
        let peers: Vec<Value> = client.request("net_getPeers", rpc_params![]).await.unwrap();
        assert_eq!(peers.len(), 3);
        assert_eq!(peers[0]["nodeKey"], hex::encode([1u8; 32]));
        assert_eq!(peers[0]["connected"], true);
    })
    .await;
}

/// Attack: read the payload of a licence-bearing transaction (the commitment, type and validity
/// window of a non-open licence, or a status change) through `chain_getBlock` / `chain_getTx`,
/// bypassing the data class. Every licence-bearing kind is answered without its payload or signed
/// bytes; other kinds keep theirs.
#[tokio::test]
async fn chain_get_tx_withholds_licence_payload() {
    within(async {
        let mut harness = Harness::start().await;
        let non_open = harness.fixture.non_open;
        let suspension = harness.fixture.issuer_tx(suspend(non_open));
        harness
            .fixture
            .node
            .commit(std::slice::from_ref(&suspension));
        let commitment_hex = hex::encode(non_open);
        let anchors = harness.call("chain_getBlock", json!([3])).await.unwrap();
        let block_text = anchors.to_string();
        assert!(!block_text.contains(&commitment_hex), "{block_text}");
        let mut withheld = vec![anchors["txHashes"][2].as_str().unwrap().to_owned()];
        withheld.push(hex::encode(suspension.hash()));
        for hash in &withheld {
            let tx = harness.call("chain_getTx", json!([hash])).await.unwrap();
            assert_eq!(tx["payloadWithheld"], true, "{tx}");
            assert_eq!(tx["raw"], Value::Null, "{tx}");
            assert_eq!(tx["receipt"]["message"], Value::Null, "{tx}");
            assert!(
                tx["kind"] == "anchorLicence" || tx["kind"] == "suspendLicence",
                "{tx}"
            );
            let text = tx.to_string();
            assert!(!text.contains(&commitment_hex), "payload leaked: {text}");
            assert!(
                !text.contains(&hex::encode(crate::fixture::ISSUER_USCC)),
                "{text}"
            );
            assert!(!text.contains("N1"), "licence type leaked: {text}");
        }
        // A transaction of another kind keeps its signed bytes.
        let deactivation = harness.call("chain_getBlock", json!([4])).await.unwrap();
        let hash = deactivation["txHashes"][0].as_str().unwrap().to_owned();
        let tx = harness.call("chain_getTx", json!([hash])).await.unwrap();
        assert_eq!(tx["kind"], "didDeactivate");
        assert_eq!(tx["payloadWithheld"], false);
        let raw = hex::decode(tx["raw"].as_str().unwrap()).unwrap();
        assert_eq!(
            hex::encode(SignedTx::from_bytes(&raw).unwrap().hash()),
            hash
        );
    })
    .await;
}
