//! Reconfiguration across restarts: a validator set changed by governance, then a node restarted
//! from its data folder, must come back in the new epoch with the new set (rebuilt from the stored
//! epoch changes), not the genesis file's.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Cluster, RpcExt, serial};

const WAIT: Duration = Duration::from_secs(60);

/// Waits until node `i`'s committed head is in `epoch` or later; returns that head's height.
fn wait_epoch(cluster: &Cluster, i: usize, epoch: u64) -> u64 {
    let rpc = cluster.rpc(i);
    let deadline = Instant::now() + WAIT;
    loop {
        if let Ok(head) = rpc.call("chain_getHead", json!([]))
            && head["epoch"].as_u64().unwrap_or(0) >= epoch
        {
            return head["height"].as_u64().expect("height");
        }
        assert!(
            Instant::now() < deadline,
            "node {i} did not reach epoch {epoch}:\n{}",
            cluster.log_tail(i, 30)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_validator_restarted_after_a_validator_set_change_votes_in_the_new_epoch() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    const REMOVED: usize = 3;
    const RESTARTED: usize = 0;
    let removed_key = yrd_node::keys::read_key_file(&cluster.path("anhui/node-key.json"))
        .expect("anhui's node key")
        .verifying_key()
        .to_bytes();
    let removed_key = hex::encode(removed_key);

    // Governance removes Anhui's validator: Shanghai proposes (its own vote counts as yes),
    // Jiangsu and Zhejiang vote yes, which reaches the 2/3 quorum of four members.
    let authority = |province: &str| cluster.authority_key_file(province);
    let proposal = cluster.tx(
        0,
        &authority("shanghai"),
        &["propose-remove-validator", "--validator-key", &removed_key],
    );
    assert_eq!(proposal["receipt"]["code"], 0, "{proposal}");
    for (node, province) in [(1, "jiangsu"), (2, "zhejiang")] {
        let vote = cluster.tx(node, &authority(province), &["vote", "--proposal", "0"]);
        assert_eq!(vote["receipt"]["code"], 0, "{vote}");
    }
    for i in 0..3 {
        wait_epoch(&cluster, i, 1);
    }
    let set = cluster.rpc(1).ok("chain_getHead", json!([]));
    assert_eq!(set["epoch"], 1, "{set}");

    // Three validators are left: every commit from now on needs all three votes.
    cluster.kill(REMOVED);
    let before = cluster.height(1);
    cluster.wait_height(1, before + 3, WAIT);

    // The restarted node must know the epoch-1 set from its own store; with the genesis set it
    // could verify no certificate of epoch 1, so it could not vote and the chain would stop.
    cluster.kill(RESTARTED);
    cluster.start(RESTARTED);
    cluster.wait_serving(RESTARTED);
    let resumed = cluster.height(1);
    for i in 0..3 {
        cluster.wait_height(i, resumed + 5, WAIT);
    }
    let head = cluster.rpc(RESTARTED).ok("chain_getHead", json!([]));
    assert_eq!(head["epoch"], 1, "{head}");
    assert!(
        cluster
            .log_tail(RESTARTED, 400)
            .contains("validator set rebuilt from the stored epoch changes"),
        "the restart did not rebuild the validator set:\n{}",
        cluster.log_tail(RESTARTED, 40)
    );
    // Its membership and its answers follow the new set: the removed validator is no peer of
    // it any more (it would be refused at the membership gate).
    let peers = cluster.rpc(RESTARTED).ok("net_getPeers", json!([]));
    assert!(!peers.to_string().contains(&removed_key), "{peers}");
    assert_eq!(peers.as_array().map(Vec::len), Some(2), "{peers}");
    // The same blocks everywhere.
    let height = resumed + 5;
    assert_eq!(
        cluster.block_id_at(RESTARTED, height),
        cluster.block_id_at(1, height)
    );
}

#[test]
fn a_validator_added_by_governance_catches_up_before_its_epoch_and_then_votes() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    // A second Shanghai validator: a fifth node whose key no genesis lists.
    let added = cluster.add_outsider();
    let added_key = yrd_node::keys::read_key_file(&cluster.path("outsider/node-key.json"))
        .expect("the new validator's key")
        .verifying_key()
        .to_bytes();
    let added_hex = hex::encode(added_key);
    cluster.start(added);
    cluster.wait_serving(added);

    let authority = |province: &str| cluster.authority_key_file(province);
    let proposal = cluster.tx(
        0,
        &authority("shanghai"),
        &[
            "propose-add-validator",
            "--validator-key",
            &added_hex,
            "--province",
            "shanghai",
        ],
    );
    assert_eq!(proposal["receipt"]["code"], 0, "{proposal}");
    for (node, province) in [(1, "jiangsu"), (2, "zhejiang")] {
        let vote = cluster.tx(node, &authority(province), &["vote", "--proposal", "0"]);
        assert_eq!(vote["receipt"]["code"], 0, "{vote}");
    }
    // Admitted as soon as the change commits: it follows the chain into the new epoch.
    for i in [0, 1, 2, 3, added] {
        wait_epoch(&cluster, i, 1);
    }
    let status = cluster.rpc(added).ok("node_getStatus", json!([]));
    assert_eq!(status["role"], "validator", "{status}");

    // Five validators tolerate one fault: with one of the old four stopped, the chain moves
    // only if the new validator votes (four of five).
    cluster.kill(3);
    let before = cluster.height(1);
    cluster.wait_height(1, before + 5, WAIT);
    cluster.wait_height(added, before + 5, WAIT);
    let block = cluster.rpc(1).ok("chain_getBlock", json!([before + 4]));
    assert!(
        block.to_string().contains(&added_hex),
        "no certificate carries the new validator's vote: {block}"
    );
}
