//! State sync: an observer registered by Zhejiang joins a running chain from a certified snapshot
//! (`yrd node --state-sync`), without replaying the blocks before it, then follows, serves proven
//! reads that check against the genesis file, and restarts like any node.

use std::time::Duration;

use serde_json::json;

use crate::harness::{Cluster, RpcExt, serial};

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn an_observer_joins_by_state_sync_serves_proven_reads_and_restarts() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let observer = cluster.add_outsider();
    let observer_hex = hex::encode(
        yrd_node::keys::read_key_file(&cluster.path("outsider/node-key.json"))
            .expect("observer key")
            .verifying_key()
            .to_bytes(),
    );
    let zhejiang = cluster.authority_key_file("zhejiang");
    let registered = cluster.tx(
        2,
        &zhejiang,
        &["register-observer", "--node-key", &observer_hex],
    );
    assert_eq!(registered["receipt"]["code"], 0, "{registered}");
    // A little history the observer will not replay: DIDs created before it joins.
    let mut dids = Vec::new();
    for i in 0..3u8 {
        let created = cluster.tx(
            2,
            &zhejiang,
            &[
                "did-create",
                "--subject",
                "issuer",
                "--controller-key",
                &hex::encode(
                    ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32])
                        .verifying_key()
                        .to_bytes(),
                ),
            ],
        );
        dids.push(created["did"].as_str().expect("did").to_owned());
    }
    let before = cluster.height(1);

    // `--reset` without `--state-sync` is refused before anything is touched.
    let refused = cluster.yrd(&[
        "node",
        "--config",
        cluster.nodes[observer].config.to_str().expect("utf-8 path"),
        "--reset",
    ]);
    assert!(!refused.status.success());

    cluster.start_with(observer, &["--state-sync"]);
    cluster.wait_serving(observer);
    let log = cluster.log_tail(observer, 400);
    assert!(log.contains("state sync finished"), "{log}");
    let target = cluster.height(1) + 3;
    cluster.wait_height(observer, target, WAIT);
    cluster.wait_height(1, target, WAIT);
    assert_eq!(
        cluster.state_root_at(observer, target),
        cluster.state_root_at(1, target)
    );
    // It started from the snapshot: the blocks before it were never fetched or executed.
    let early = cluster.rpc(observer).call("chain_getBlock", json!([1]));
    assert!(
        matches!(&early, Ok(serde_json::Value::Null) | Err(_)),
        "block 1 is on the state-synced observer: {early:?}"
    );
    assert!(before >= 2);

    // Proven reads from the observer check against the genesis file alone.
    let spec =
        yrd_verifier::chain_spec::ChainSpec::load(&cluster.path("genesis.json")).expect("genesis");
    let answer = cluster
        .rpc(observer)
        .ok("state_getProof", json!({"key": "0007"}));
    let answer: yrd_verifier::ProvenAnswer = serde_json::from_value(answer).expect("envelope");
    yrd_verifier::verify_answer(&spec, &answer).expect("the observer's answer verifies");
    assert!(answer.value.to_string().contains(&observer_hex));
    for did in &dids {
        let resolved = cluster
            .rpc(observer)
            .ok("did_resolve", json!({"did": did, "proof": true}));
        let resolved: yrd_verifier::ProvenAnswer =
            serde_json::from_value(resolved).expect("envelope");
        yrd_verifier::verify_answer(&spec, &resolved).expect("the DID answer verifies");
        assert!(resolved.value.to_string().contains(did.as_str()));
    }
    // It never votes.
    let block = cluster.rpc(1).ok("chain_getBlock", json!([target]));
    assert!(!block.to_string().contains(&observer_hex), "{block}");

    // Restarted (with the flag still given, as a service unit would): it continues from its own
    // data directory instead of syncing again, and keeps following.
    assert!(cluster.terminate(observer));
    cluster.start_with(observer, &["--state-sync"]);
    cluster.wait_serving(observer);
    let after = cluster.height(1) + 3;
    cluster.wait_height(observer, after, WAIT);
    let log = cluster.log_tail(observer, 200);
    assert!(log.contains("continuing from it"), "{log}");
}
