//! Observers: a node registered on chain by a province authority joins the member network, pulls
//! and verifies the committed chain, serves proven reads, never votes, and is cut off when its
//! province removes it.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Cluster, RpcExt, serial};

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn a_registered_observer_follows_serves_proofs_never_votes_and_is_cut_off_when_removed() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let observer = cluster.add_outsider();
    let observer_key = yrd_node::keys::read_key_file(&cluster.path("outsider/node-key.json"))
        .expect("observer key")
        .verifying_key()
        .to_bytes();
    let observer_hex = hex::encode(observer_key);
    let shanghai = cluster.authority_key_file("shanghai");
    let registered = cluster.tx(
        0,
        &shanghai,
        &["register-observer", "--node-key", &observer_hex],
    );
    assert_eq!(registered["receipt"]["code"], 0, "{registered}");

    // Registering it again is refused: `yrd tx` exits 3 and names the ledger error.
    let again = cluster.yrd(&[
        "tx",
        "register-observer",
        "--node-key",
        &observer_hex,
        "--rpc",
        &cluster.url(0),
        "--key",
        shanghai.to_str().expect("utf-8 path"),
        "--wait-secs",
        "60",
    ]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert_eq!(again.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("AlreadyExists (401)"), "{stderr}");

    cluster.start(observer);
    cluster.wait_serving(observer);
    let target = cluster.height(1) + 3;
    cluster.wait_height(observer, target, WAIT);
    // The observer may pull from a validator ahead of the one it is compared with.
    cluster.wait_height(1, target, WAIT);
    assert_eq!(
        cluster.block_id_at(observer, target),
        cluster.block_id_at(1, target)
    );
    assert_eq!(
        cluster.state_root_at(observer, target),
        cluster.state_root_at(1, target)
    );
    let status = cluster.rpc(observer).ok("node_getStatus", json!([]));
    assert_eq!(status["role"], "observer", "{status}");
    // The validators list it as a peer that is no validator.
    let peers = cluster.rpc(1).ok("net_getPeers", json!([]));
    let listed = peers
        .as_array()
        .expect("peers")
        .iter()
        .find(|peer| peer["nodeKey"] == observer_hex.as_str())
        .unwrap_or_else(|| panic!("observer not among the peers: {peers}"));
    assert_eq!(listed["validator"], false, "{peers}");

    // A proven read from the observer (the observer list itself), checked offline against the
    // genesis file alone.
    let answer = cluster
        .rpc(observer)
        .ok("state_getProof", json!({"key": "0007"}));
    let answer: yrd_verifier::ProvenAnswer = serde_json::from_value(answer).expect("envelope");
    let spec =
        yrd_verifier::chain_spec::ChainSpec::load(&cluster.path("genesis.json")).expect("genesis");
    yrd_verifier::verify_answer(&spec, &answer).expect("the observer's answer verifies");
    assert!(
        answer.value.to_string().contains(&observer_hex),
        "the proven observer list does not hold the observer: {}",
        answer.value
    );

    // It never votes: no commit certificate the validators hold carries its key.
    let block = cluster.rpc(1).ok("chain_getBlock", json!([target]));
    assert!(
        !block.to_string().contains(&observer_hex),
        "a certificate carries the observer's key: {block}"
    );

    // Removed by its province: the validators disconnect and refuse it; it falls behind.
    let removed = cluster.tx(
        0,
        &shanghai,
        &["remove-observer", "--node-key", &observer_hex],
    );
    assert_eq!(removed["receipt"]["code"], 0, "{removed}");
    let at_removal = cluster.height(1);
    cluster.wait_height(1, at_removal + 8, WAIT);
    let observer_height = cluster.height(observer);
    assert!(
        observer_height < at_removal + 8,
        "the removed observer still follows: at {observer_height}, validators at {}",
        cluster.height(1)
    );
    let peers = cluster.rpc(1).ok("net_getPeers", json!([]));
    assert!(!peers.to_string().contains(&observer_hex), "{peers}");
}
