//! Crashes and outages: a node killed with `SIGKILL` under steady load and restarted from its data
//! folder; two of four nodes down (no quorum, so no commits and no divergence) and one back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Cluster, Rpc, RpcExt, Signer, chain, serial, timestamp_payload};

const WAIT: Duration = Duration::from_secs(60);
/// Transactions the load generator submits per second (spread over the nodes it is given).
const LOAD_PER_SECOND: u64 = 20;

/// Submits timestamping transactions from Shanghai's authority, round-robin over `targets`, until
/// `stop` is set; returns every acknowledged transaction hash (`tx_submit` answered with it).
fn steady_load(
    signer: Signer,
    targets: Vec<Rpc>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<Vec<String>> {
    std::thread::spawn(move || {
        let mut signer = signer;
        let mut acknowledged = Vec::new();
        let mut turn = 0usize;
        let pause = Duration::from_millis(1_000 / LOAD_PER_SECOND);
        while !stop.load(Ordering::SeqCst) {
            let tx = signer.sign(&chain(), timestamp_payload(signer.next_nonce), 100_000);
            // The same transaction goes to the next node until one acknowledges it: a nonce gap
            // would hold back every later transaction of this signer.
            loop {
                let rpc = &targets[turn % targets.len()];
                turn += 1;
                match rpc.submit(&tx) {
                    Ok(hash) => {
                        acknowledged.push(hash);
                        break;
                    }
                    // Already there (gossip reached this node first): acknowledged all the same.
                    Err(e) if e.code == -33012 => {
                        acknowledged.push(hex::encode(tx.hash()));
                        break;
                    }
                    Err(_) if stop.load(Ordering::SeqCst) => return acknowledged,
                    Err(_) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
            std::thread::sleep(pause);
        }
        acknowledged
    })
}

#[test]
fn node_killed_under_load_restarts_catches_up_and_loses_no_acknowledged_tx() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    const VICTIM: usize = 3;

    let stop = Arc::new(AtomicBool::new(false));
    let signer = Signer::new(cluster.authority_key("shanghai"), 0);
    let load = steady_load(
        signer,
        (0..3).map(|i| cluster.rpc(i)).collect(),
        Arc::clone(&stop),
    );

    std::thread::sleep(Duration::from_secs(3));
    let before_kill = cluster.height(VICTIM);
    cluster.kill(VICTIM);

    // Commits continue with three of four.
    let survivors_from = cluster.height(0);
    cluster.wait_height(0, survivors_from + 5, WAIT);

    // Restart from the data folder under the same load.
    cluster.start(VICTIM);
    cluster.wait_serving(VICTIM);
    assert!(
        cluster.height(VICTIM) >= before_kill,
        "the restarted node lost committed blocks"
    );
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::SeqCst);
    let acknowledged = load.join().expect("load thread");
    assert!(
        acknowledged.len() >= 20,
        "the load generator got only {} acknowledgements",
        acknowledged.len()
    );

    // Every acknowledged transaction commits; the restarted node catches up to the same state.
    let mut last = 0;
    for hash in &acknowledged {
        let status = cluster.wait_committed(0, hash, WAIT);
        // Committed with an effect: a transaction a proposer held out of nonce order would
        // show a failure here, and its signer's later ones would wait for good.
        assert_eq!(
            status["receipt"]["code"], 0,
            "acknowledged transaction {hash} failed: {status}"
        );
        last = last.max(status["height"].as_u64().expect("height"));
    }
    let root = cluster.state_root_at(0, last);
    for i in 1..4 {
        cluster.wait_height(i, last, WAIT);
        assert_eq!(cluster.state_root_at(i, last), root, "node {i} diverged");
    }
    for i in 0..4 {
        let rpc = cluster.rpc(i);
        for hash in &acknowledged {
            let found = rpc.call("chain_getTx", json!([hash]));
            assert!(
                found.is_ok(),
                "node {i} is missing acknowledged transaction {hash}: {found:?}"
            );
        }
    }
    // It keeps committing with the others after catching up.
    let now = cluster.height(0);
    cluster.wait_height(VICTIM, now + 2, WAIT);
}

#[test]
fn two_of_four_down_stops_commits_without_divergence_and_one_back_resumes_them() {
    let _serial = serial();
    let mut cluster = Cluster::running(2);

    // One crashes, one is stopped cleanly (SIGTERM must end the process with success).
    cluster.kill(3);
    assert!(cluster.terminate(2), "SIGTERM did not stop node 2 cleanly");

    // Let anything already certified land, then watch: no quorum means no new commits.
    std::thread::sleep(Duration::from_secs(3));
    let halted = [cluster.height(0), cluster.height(1)];
    let mut signer = Signer::new(cluster.authority_key("shanghai"), 0);
    let tx = signer.sign(&chain(), timestamp_payload(1), 100_000);
    let hash = cluster
        .rpc(0)
        .submit(&tx)
        .expect("a node without quorum still admits");
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        [cluster.height(0), cluster.height(1)],
        halted,
        "blocks were committed without a quorum"
    );
    assert_eq!(
        cluster.rpc(0).ok("tx_getStatus", json!([hash]))["status"],
        "pending"
    );
    // The two that stayed up agree on every block they hold.
    let common = halted[0].min(halted[1]);
    for height in 1..=common {
        assert_eq!(
            cluster.block_id_at(0, height),
            cluster.block_id_at(1, height)
        );
    }

    // One returns: three of four is a quorum again.
    let started = Instant::now();
    cluster.start(2);
    cluster.wait_serving(2);
    let status = cluster.wait_committed(0, &hash, WAIT);
    let height = status["height"].as_u64().expect("height");
    assert!(height > halted[0]);
    eprintln!(
        "commits resumed {:?} after the third node was restarted",
        started.elapsed()
    );
    let root = cluster.state_root_at(0, height);
    for i in 1..3 {
        cluster.wait_height(i, height, WAIT);
        assert_eq!(cluster.state_root_at(i, height), root, "node {i} diverged");
    }

    // The crashed one returns too and catches up.
    cluster.start(3);
    cluster.wait_serving(3);
    cluster.wait_height(3, height, WAIT);
    assert_eq!(cluster.state_root_at(3, height), root);
    let mut heights = BTreeMap::new();
    for i in 0..4 {
        heights.insert(i, cluster.height(i));
    }
    assert!(heights.values().all(|h| *h >= height), "{heights:?}");
}
