//! What a node refuses, and that it keeps working afterwards: a peer whose key is outside the
//! membership, forged and replayed transactions, malformed and oversized JSON-RPC requests, and
//! bytes that are not libp2p on the p2p port.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use yrd_testkit::sign_tx;

use crate::harness::{Cluster, RpcExt, chain, serial, timestamp_payload};

const WAIT: Duration = Duration::from_secs(60);

fn counters(cluster: &Cluster, i: usize) -> Value {
    cluster.rpc(i).ok("node_getStatus", json!([]))["counters"].clone()
}

#[test]
fn outsider_key_cannot_join_and_bad_transactions_and_requests_are_refused() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);

    // A node whose key is not in the genesis membership dials every member and is refused.
    let outsider = cluster.add_outsider();
    cluster.start(outsider);
    cluster.wait_serving(outsider);
    let members_height = cluster.height(0);
    cluster.wait_height(0, members_height + 3, WAIT);
    let refused: u64 = (0..4)
        .map(|i| {
            counters(&cluster, i)["connectionsRefusedNonMember"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum();
    assert!(
        refused > 0,
        "no member counted a refused non-member connection"
    );
    let outsider_status = cluster.rpc(outsider).ok("node_getStatus", json!([]));
    assert_eq!(outsider_status["role"], "observer", "{outsider_status}");
    assert_eq!(outsider_status["head"]["height"], 0, "{outsider_status}");
    let member_keys: Vec<String> = crate::harness::NAMES
        .iter()
        .map(|name| {
            let key =
                yrd_node::keys::read_key_file(&cluster.path(&format!("{name}/node-key.json")))
                    .expect("node key");
            hex::encode(key.verifying_key().to_bytes())
        })
        .collect();
    for i in 0..4 {
        let peers = cluster.rpc(i).ok("net_getPeers", json!([]));
        let outsider_connected = peers.as_array().expect("peers").iter().any(|peer| {
            peer["connected"] == true
                && !member_keys
                    .iter()
                    .any(|key| peer["nodeKey"].as_str() == Some(key.as_str()))
        });
        assert!(
            !outsider_connected,
            "node {i} lists a non-member as connected"
        );
    }
    cluster.kill(outsider);

    // Each member names the others' provinces, and shows the round each one's consensus
    // messages reported (every validator proposes or votes to node 0 within a few rounds).
    let deadline = std::time::Instant::now() + WAIT;
    let validators = loop {
        let peers = cluster.rpc(0).ok("net_getPeers", json!([]));
        let validators: Vec<Value> = peers
            .as_array()
            .expect("peers")
            .iter()
            .filter(|peer| peer["validator"] == true)
            .cloned()
            .collect();
        let all_reported = validators
            .iter()
            .all(|peer| peer["reported"]["round"].as_u64().is_some_and(|r| r > 0));
        if all_reported || std::time::Instant::now() > deadline {
            break validators;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(validators.len(), 3, "{validators:?}");
    let mut provinces: Vec<u64> = validators
        .iter()
        .map(|peer| peer["province"].as_u64().expect("a province"))
        .collect();
    provinces.sort_unstable();
    assert_eq!(provinces, vec![320_000, 330_000, 340_000], "{validators:?}");
    for peer in &validators {
        let reported = &peer["reported"];
        assert!(
            reported["round"].as_u64().is_some_and(|r| r > 0)
                && reported["height"].as_u64().is_some()
                && reported["atMs"].as_u64().is_some_and(|t| t > 0),
            "{peer}"
        );
    }

    let rpc = cluster.rpc(0);
    let key = cluster.authority_key("shanghai");
    let refused_before = counters(&cluster, 0)["txsRefused"]
        .as_u64()
        .expect("counter");

    // Forged: a signature bit flipped, and a body changed after signing.
    let mut forged = sign_tx(&chain(), &key, 0, timestamp_payload(10), 100_000);
    forged.signature[5] ^= 0x01;
    let error = rpc
        .submit(&forged)
        .expect_err("a forged signature is refused");
    assert_eq!(error.code, -33010, "{error:?}");
    assert_eq!(error.data["name"], "BadSignature", "{error:?}");
    let mut altered = sign_tx(&chain(), &key, 0, timestamp_payload(11), 100_000);
    altered.body.payload = timestamp_payload(12);
    let error = rpc
        .submit(&altered)
        .expect_err("an altered body is refused");
    assert_eq!(error.data["code"], 106, "{error:?}");

    // Not canonical: trailing bytes after a valid envelope.
    let good = sign_tx(&chain(), &key, 0, timestamp_payload(13), 100_000);
    let mut trailing = good.to_bytes();
    trailing.push(0);
    let error = rpc
        .call("tx_submit", json!([hex::encode(&trailing)]))
        .expect_err("trailing bytes are refused");
    assert_eq!(error.code, -33010, "{error:?}");

    // Another chain's transaction.
    let mut other_chain = good.body.clone();
    other_chain.chain_id = yrd_contracts::ChainId("another-chain".into());
    let error = rpc
        .submit(&other_chain.sign(&key))
        .expect_err("wrong chain is refused");
    assert_eq!(error.code, -33013, "{error:?}");

    // Replayed: once committed, the same bytes (at any node) and the same nonce are refused.
    let hash = rpc.submit(&good).expect("a good transaction is admitted");
    cluster.wait_committed(0, &hash, WAIT);
    for i in 0..4 {
        let status = cluster.wait_committed(i, &hash, WAIT);
        assert_eq!(status["receipt"]["code"], 0, "{status}");
        let error = cluster
            .rpc(i)
            .submit(&good)
            .expect_err("a replay is refused");
        assert_eq!(error.code, -33012, "node {i}: {error:?}");
    }
    let reused = sign_tx(&chain(), &key, 0, timestamp_payload(14), 100_000);
    let error = rpc.submit(&reused).expect_err("a spent nonce is refused");
    assert_eq!(error.code, -33010, "{error:?}");
    assert_eq!(error.data["name"], "BadNonce", "{error:?}");

    let refused_after = counters(&cluster, 0)["txsRefused"]
        .as_u64()
        .expect("counter");
    assert!(
        refused_after >= refused_before + 5,
        "refusals not counted: {refused_before} -> {refused_after}"
    );

    // Malformed JSON-RPC.
    let (_, body) = rpc.post_raw(b"{\"jsonrpc\":\"2.0\",").expect("HTTP answer");
    let reply: Value = serde_json::from_str(&body).expect("JSON error object");
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    let error = rpc
        .call("ledger_doesNotExist", json!([]))
        .expect_err("unknown method");
    assert_eq!(error.code, -32601, "{error:?}");
    let error = rpc
        .call("tx_submit", json!(["not hex"]))
        .expect_err("bad params");
    assert_eq!(error.code, -32602, "{error:?}");
    let error = rpc
        .call("chain_getBlock", json!([{"height": "x"}]))
        .expect_err("bad params");
    assert_eq!(error.code, -32602, "{error:?}");
    // Oversized: past the 256 KiB request limit.
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tx_submit\",\"params\":[\"{}\"]}}",
        "ab".repeat(200 * 1024)
    );
    let (status, body) = rpc.post_raw(huge.as_bytes()).expect("HTTP answer");
    assert_eq!(status, 413, "{body}");
    let reply: Value = serde_json::from_str(&body).expect("JSON error object");
    assert_eq!(reply["error"]["code"], -32007, "{reply}");

    // Garbage on the p2p port: the handshake fails, the node carries on.
    if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", cluster.nodes[0].p2p_port)) {
        let garbage: Vec<u8> = (0..65_536u32).map(|i| (i * 7 + 3) as u8).collect();
        let _ = stream.write_all(&garbage);
    }

    // The node keeps serving and committing.
    let height = cluster.height(0);
    cluster.wait_height(0, height + 2, WAIT);
    let next = sign_tx(&chain(), &key, 1, timestamp_payload(15), 100_000);
    let hash = rpc.submit(&next).expect("still admitting");
    cluster.wait_committed(3, &hash, WAIT);
    assert!(cluster.is_running(0));
}

#[test]
fn anonymous_tx_submit_is_refused_before_the_mempool_and_creates_no_state() {
    let _serial = serial();
    let cluster = Cluster::running(1);
    let rpc = cluster.rpc(0);
    // A fresh key: no issuer, authority, validator or DID role anywhere in state.
    let anonymous = ed25519_dalek::SigningKey::from_bytes(&[0x5a; 32]);
    let signer = hex::encode(anonymous.verifying_key().to_bytes());
    let tx = sign_tx(&chain(), &anonymous, 0, timestamp_payload(20), 100_000);
    let error = rpc.submit(&tx).expect_err("a role-less signer is refused");
    assert_eq!(error.code, -33010, "{error:?}");
    assert_eq!(error.data["code"], 109, "{error:?}");
    assert_eq!(error.data["name"], "UnregisteredSigner", "{error:?}");

    let hash = hex::encode(tx.hash());
    let status = rpc.ok("tx_getStatus", json!([hash]));
    assert_eq!(status["status"], "rejected", "{status}");
    assert_eq!(status["receipt"]["code"], 109, "{status}");
    let mempool = rpc.ok("node_getStatus", json!([]));
    assert_eq!(mempool["mempoolTxs"], 0, "{mempool}");

    // Blocks go on; the key never gets a nonce record, on any node.
    let height = cluster.height(0);
    cluster.wait_height(0, height + 2, WAIT);
    let nonce_key = hex::encode(yrd_contracts::keys::nonce(
        &anonymous.verifying_key().to_bytes(),
    ));
    for i in 0..4 {
        let next = cluster.rpc(i).ok("account_getNextNonce", json!([signer]));
        assert_eq!(next["nonce"], 0, "node {i}: {next}");
        let proof = cluster.rpc(i).ok("state_getProof", json!([nonce_key]));
        assert!(proof["value"].is_null(), "node {i}: {proof}");
    }
}

/// A node whose key file is of another suite than its genesis refuses to start, and says so: an
/// ed25519 node key given an `sm2-sm3` genesis (ADR 019).
#[test]
fn a_node_refuses_a_key_of_the_other_suite() {
    let net = yrd_testkit::LocalNet::init(
        std::path::Path::new(crate::harness::YRD),
        &yrd_testkit::NetLayout::new(4),
    )
    .expect("devnet files");
    let sm_genesis = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/proof-vectors/sm2-sm3/genesis.json"
    );
    std::fs::copy(sm_genesis, net.path("genesis.json")).expect("copy the sm2-sm3 genesis");
    let output = net
        .command()
        .arg("node")
        .arg("--config")
        .arg(&net.nodes[0].config)
        .output()
        .expect("run yrd node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("an ed25519-blake3 key, but the chain runs on sm2-sm3"),
        "{stderr}"
    );
}

/// `yrd verify` checks the `sm2-sm3` vector set offline against its genesis: every answer the
/// set accepts verifies, and every tampered one is refused by the check `expected.json` names.
#[test]
fn yrd_verify_checks_the_national_suite_vectors_offline() {
    let dir = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/proof-vectors/sm2-sm3"
    ));
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("expected.json")).expect("expected.json"),
    )
    .expect("JSON");
    let vectors = expected["vectors"].as_array().expect("vectors");
    assert!(vectors.len() > 20);
    for entry in vectors {
        let file = entry["file"].as_str().expect("file");
        let output = std::process::Command::new(crate::harness::YRD)
            .arg("verify")
            .arg("--genesis")
            .arg(dir.join("genesis.json"))
            .arg("--response")
            .arg(dir.join(file))
            .output()
            .expect("run yrd verify");
        let stdout = String::from_utf8_lossy(&output.stdout);
        match entry["expect"].as_str() {
            Some("accept") => {
                assert!(output.status.success(), "{file}: {stdout}");
                assert!(stdout.starts_with("VERIFIED"), "{file}: {stdout}");
            }
            _ => {
                let check = entry["check"].as_str().expect("check");
                assert!(!output.status.success(), "{file}: {stdout}");
                assert!(
                    stdout.contains(&format!("NOT VERIFIED ({check})")),
                    "{file}: {stdout}"
                );
            }
        }
    }
}
