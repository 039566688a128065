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
    let removed_key = yrd_node::keys::read_ledger_key(&cluster.path("anhui/node-key.json"))
        .expect("anhui's node key")
        .public_key();
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
    // `yrd tx` reads the new proposal's id back: the chain's first proposal.
    assert_eq!(proposal["proposalId"], 0, "{proposal}");
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

/// The sum over nodes `nodes` of `node_getStatus.counters.connectionsRefusedNonMember` (since each
/// process started).
fn refused_non_members(cluster: &Cluster, nodes: &[usize]) -> u64 {
    nodes
        .iter()
        .map(|&i| {
            cluster.rpc(i).ok("node_getStatus", json!([]))["counters"]
                ["connectionsRefusedNonMember"]
                .as_u64()
                .unwrap_or(0)
        })
        .sum()
}

/// Waits until every node of `nodes` has committed `height`.
fn wait_all(cluster: &Cluster, nodes: &[usize], height: u64) {
    for &i in nodes {
        cluster.wait_height(i, height, WAIT);
    }
}

/// The highest committed height among `nodes`.
fn highest(cluster: &Cluster, nodes: &[usize]) -> u64 {
    nodes.iter().map(|&i| cluster.height(i)).max().unwrap_or(0)
}

/// Governance proposal `id` passes: the proposer's vote counts, Shanghai and Zhejiang vote yes
/// (three of four members).
fn pass(cluster: &Cluster, id: u64) {
    let id = id.to_string();
    for (node, province) in [(0, "shanghai"), (2, "zhejiang")] {
        let key = cluster.authority_key_file(province);
        let vote = cluster.tx(node, &key, &["vote", "--proposal", &id]);
        assert_eq!(vote["receipt"]["code"], 0, "{vote}");
    }
}

/// The life of a validator over years, in one run: Jiangsu's second validator (a node started
/// outside the genesis) is added by governance, catches up before its epoch and votes; every node
/// restarts one at a time, then all at once, and the five keep committing with its votes; then
/// governance removes it, the others refuse it at the gate, and the four restart and go on
/// without it.
#[test]
fn a_validator_added_by_governance_votes_across_restarts_and_is_refused_once_removed() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let added = cluster.add_outsider();
    let added_key = yrd_node::keys::read_ledger_key(&cluster.path("outsider/node-key.json"))
        .expect("the new validator's key")
        .public_key();
    let added_hex = hex::encode(added_key);
    // Started first, as an operator would: refused (and redialing) until the addition commits.
    cluster.start(added);
    cluster.wait_serving(added);

    let jiangsu = cluster.authority_key_file("jiangsu");
    let proposal = cluster.tx(
        1,
        &jiangsu,
        &[
            "propose-add-validator",
            "--validator-key",
            &added_hex,
            "--province",
            "jiangsu",
        ],
    );
    assert_eq!(proposal["receipt"]["code"], 0, "{proposal}");
    assert_eq!(proposal["proposalId"], 0, "{proposal}");
    pass(&cluster, 0);
    if crate::SUITE != yrd_consensus::CryptoSuite::Ed25519Blake3 {
        // On sm2-sm3 the members reach it once Jiangsu, its operator, binds its network key
        // (ADR 020); the other four are a quorum of five meanwhile.
        let key_file = cluster.path("outsider/node-key.json");
        let bound = cluster.tx(
            1,
            &jiangsu,
            &[
                "bind-network-key",
                "--node-key-file",
                key_file.to_str().expect("utf-8 path"),
            ],
        );
        assert_eq!(bound["receipt"]["code"], 0, "{bound}");
    }
    // Admitted as soon as the change commits: it follows the chain into the new epoch.
    let five = [0, 1, 2, 3, added];
    for i in five {
        wait_epoch(&cluster, i, 1);
    }
    let status = cluster.rpc(added).ok("node_getStatus", json!([]));
    assert_eq!(status["role"], "validator", "{status}");

    // A rolling restart: one node at a time, each back and at the others' height before the
    // next goes (five validators need four votes, so two down at once would stop the chain).
    for i in five {
        assert!(cluster.terminate(i), "node {i} did not stop cleanly");
        let others: Vec<usize> = five.into_iter().filter(|&j| j != i).collect();
        let moving = highest(&cluster, &others);
        // The other four carry the chain while it is down.
        cluster.wait_height(others[0], moving + 2, WAIT);
        cluster.start(i);
        cluster.wait_serving(i);
        let head = highest(&cluster, &others);
        cluster.wait_height(i, head + 1, WAIT);
        let status = cluster.rpc(i).ok("chain_getHead", json!([]));
        assert_eq!(
            status["epoch"], 1,
            "node {i} restarted in another epoch: {status}"
        );
    }

    // All at once (power loss): every process killed, then all started again.
    for i in five {
        cluster.kill(i);
    }
    for i in five {
        cluster.start(i);
    }
    for i in five {
        cluster.wait_serving(i);
    }
    let resumed = highest(&cluster, &five);
    wait_all(&cluster, &five, resumed + 5);
    assert_eq!(
        cluster.block_id_at(added, resumed + 5),
        cluster.block_id_at(1, resumed + 5)
    );
    let status = cluster.rpc(added).ok("node_getStatus", json!([]));
    assert_eq!(status["role"], "validator", "{status}");

    // Its votes count after the restarts: with one of the old four stopped, the chain moves
    // only if the added validator votes (four of five), and a certificate carries its key.
    cluster.kill(3);
    let before = highest(&cluster, &[0, 1, 2, added]);
    wait_all(&cluster, &[1, added], before + 5);
    let block = cluster.rpc(1).ok("chain_getBlock", json!([before + 4]));
    assert!(
        block.to_string().contains(&added_hex),
        "no certificate carries the added validator's vote: {block}"
    );
    cluster.start(3);
    cluster.wait_serving(3);

    // Governance removes it again (Jiangsu proposes, as the operator).
    let proposal = cluster.tx(
        1,
        &jiangsu,
        &["propose-remove-validator", "--validator-key", &added_hex],
    );
    assert_eq!(proposal["receipt"]["code"], 0, "{proposal}");
    assert_eq!(proposal["proposalId"], 1, "{proposal}");
    pass(&cluster, 1);
    let four = [0, 1, 2, 3];
    for i in four {
        wait_epoch(&cluster, i, 2);
    }
    // Refused at the gate: the four disconnect it and count its redials as non-member
    // connections; it stops advancing while they go on.
    let refused_at_change = refused_non_members(&cluster, &four);
    let deadline = Instant::now() + WAIT;
    while refused_non_members(&cluster, &four) <= refused_at_change {
        assert!(
            Instant::now() < deadline,
            "no member refused the removed validator's connections:\n{}",
            cluster.log_tail(added, 30)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let at_removal = highest(&cluster, &four);
    wait_all(&cluster, &four, at_removal + 8);
    let removed_height = cluster.height(added);
    assert!(
        removed_height < at_removal + 8,
        "the removed validator still follows: at {removed_height}, the others at {}",
        cluster.height(1)
    );

    // Every remaining node restarts at once: they come back in epoch 2 with four validators
    // (every commit needs three of them), keep committing, and still refuse the removed one.
    for i in four {
        cluster.kill(i);
    }
    for i in four {
        cluster.start(i);
    }
    for i in four {
        cluster.wait_serving(i);
    }
    let resumed = highest(&cluster, &four);
    wait_all(&cluster, &four, resumed + 5);
    for i in four {
        let head = cluster.rpc(i).ok("chain_getHead", json!([]));
        assert_eq!(head["epoch"], 2, "node {i}: {head}");
        let peers = cluster.rpc(i).ok("net_getPeers", json!([]));
        let connected = peers
            .as_array()
            .expect("peers")
            .iter()
            .any(|peer| peer["nodeKey"] == added_hex.as_str() && peer["connected"] == true);
        assert!(
            !connected,
            "node {i} is connected to the removed validator: {peers}"
        );
    }
    let deadline = Instant::now() + WAIT;
    while refused_non_members(&cluster, &four) == 0 {
        assert!(
            Instant::now() < deadline,
            "the restarted nodes do not refuse the removed validator:\n{}",
            cluster.log_tail(added, 30)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let removed_now = cluster.height(added);
    assert!(
        removed_now < resumed + 5,
        "the removed validator caught up again: at {removed_now}, the others at {}",
        cluster.height(1)
    );
    let block = cluster.rpc(1).ok("chain_getBlock", json!([resumed + 5]));
    assert!(
        !block.to_string().contains(&added_hex),
        "a certificate after the removal carries its key: {block}"
    );
}
