//! One seeded run of the real hosts: four validators on the simulated network, clients sending
//! signed transactions, and faults drawn from the seed (lost and slow messages, clock skew, a
//! node crashed and restarted from its directory, a node cut off from the others), one fault at
//! a time so that a quorum can always make progress. The network then heals, every crashed node
//! restarts, and the run waits for every acknowledged transaction to commit everywhere before
//! it checks:
//!
//! - **agreement**: every node holds the same block and the same state root at every height;
//! - **durability of acknowledgements**: every transaction a node acknowledged is in every
//!   node's committed history (its client sending it again while it is not, as a client does);
//! - **no committed transaction left in a pool**: the mempool/commit race;
//! - **no host failure**: no host stopped with an error (execution, storage, restart);
//! - **no false accusation**: no honest node reported another as sending invalid data;
//! - **honest status**: at the end no node reports itself syncing, and none knows of a certified
//!   height above the highest any node committed plus the blocks in flight.
//!
//! In a third of the runs one member is Byzantine on the wire: every answer it gives to a sync
//! request or an observer pull is corrupted (cut short, a byte flipped, or noise), and it sends
//! the others garbage consensus messages. The others must keep committing, catch up from the
//! honest members, and accuse no one else.

use std::sync::Arc;
use std::time::{Duration, Instant};

use yrd_node::clock::{Clock, RuntimeClock};
use yrd_node::config::ConsensusSection;
use yrd_node::storage::tables::{Blocks, StateRoots};

use super::cluster::{GENESIS_TIME_MS, SimNode, chain_spec, validator_key};
use super::fabric::{LinkFaults, SharedFabric};
use super::workload::Clients;
use crate::sim::rng::SimRng;

/// The shape of a run.
#[derive(Debug, Clone, Copy)]
pub struct HostSimOptions {
    /// Virtual time during which clients submit and faults strike, ms.
    pub workload_ms: u64,
    /// Longest virtual wait after healing for every acknowledged transaction to commit, ms.
    pub settle_ms: u64,
}

impl Default for HostSimOptions {
    fn default() -> Self {
        Self {
            workload_ms: 20_000,
            settle_ms: 90_000,
        }
    }
}

/// What one run did and found.
#[derive(Debug, Clone, Default)]
pub struct HostSimReport {
    /// The seed.
    pub seed: u64,
    /// Every invariant broken (empty when the run is clean).
    pub violations: Vec<String>,
    /// Lowest committed height over the nodes at the end.
    pub min_height: u64,
    /// Highest committed height over the nodes at the end.
    pub max_height: u64,
    /// Transactions made by the clients.
    pub transactions: usize,
    /// Of which acknowledged by some node.
    pub acknowledged: usize,
    /// Admission answers.
    pub admitted: u64,
    /// Sent again by clients.
    pub resubmitted: u64,
    /// Crashes and restarts.
    pub crashes: u32,
    /// Isolations of one node.
    pub isolations: u32,
    /// The member corrupting its answers, if any.
    pub byzantine: Option<usize>,
    /// Reports the others made about it.
    pub byzantine_reported: usize,
    /// Workload steps at which some running node reported itself syncing (`node_getStatus`).
    pub syncing_seen: u32,
    /// Network deliveries, seeded drops, refusals.
    pub delivered: u64,
    /// Deliveries lost to a seeded drop.
    pub dropped: u64,
    /// The first refusal by admission that was not a duplicate (for diagnosis; not a violation).
    pub first_refusal: Option<String>,
    /// Virtual time the run took, ms.
    pub virtual_ms: u64,
    /// Real time the run took.
    pub wall: Duration,
}

/// A fault in progress.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Crashed { node: usize, until_ms: u64 },
    Isolated { node: usize, until_ms: u64 },
}

/// Runs seed `seed` on a fresh single-threaded runtime with paused (virtual) time.
pub fn run_host_seed(seed: u64, options: HostSimOptions) -> HostSimReport {
    let started = Instant::now();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return HostSimReport {
                seed,
                violations: vec![format!("runtime: {error}")],
                ..HostSimReport::default()
            };
        }
    };
    let mut report = runtime.block_on(run(seed, options));
    drop(runtime);
    report.wall = started.elapsed();
    report
}

async fn run(seed: u64, options: HostSimOptions) -> HostSimReport {
    let mut report = HostSimReport {
        seed,
        ..HostSimReport::default()
    };
    let root = SimRng::new(seed);
    let mut fault_rng = root.fork(2);
    let mut client_rng = root.fork(3);
    let faults = LinkFaults {
        drop_per_million: fault_rng.range(0, 50_000),
        delay_ms: (1, fault_rng.range(5, 80)),
        slow_per_million: fault_rng.range(0, 20_000),
        slow_ms: (200, 2_000),
    };
    let fabric = SharedFabric::new(root.fork(1), faults);
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            report.violations.push(format!("temp dir: {error}"));
            return report;
        }
    };
    let chain = chain_spec();
    let consensus = ConsensusSection::default();
    let origin = tokio::time::Instant::now();
    let now_ms = || u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX);
    // Each node's clock is skewed ahead by up to a third of the allowed drift.
    let clocks: Vec<Arc<dyn Clock>> = (0..4)
        .map(|_| {
            let skew = fault_rng.range(0, consensus.max_clock_drift_ms / 3);
            Arc::new(RuntimeClock::starting_at(GENESIS_TIME_MS + 1_000 + skew)) as Arc<dyn Clock>
        })
        .collect();
    let mut nodes: Vec<SimNode> = (0..4)
        .map(|index| {
            SimNode::new(
                validator_key(index),
                dir.path().join(format!("node{index}")),
            )
        })
        .collect();
    for (index, node) in nodes.iter_mut().enumerate() {
        if let Err(error) = node
            .start(&chain, &fabric, Arc::clone(&clocks[index]), &consensus)
            .await
        {
            report
                .violations
                .push(format!("node {index} did not start: {error}"));
            return report;
        }
    }
    let byzantine = fault_rng
        .chance(333_333)
        .then(|| fault_rng.index(nodes.len()));
    report.byzantine = byzantine;
    if let Some(index) = byzantine {
        fabric.corrupt_answers_of(Some(nodes[index].public_key()));
    }
    let mut clients = Clients::new(chain.genesis.chain_id.clone());
    let mut fault: Option<Fault> = None;
    let mut next_fault_ms = fault_rng.range(1_000, 4_000);

    // The workload, with faults.
    while now_ms() < options.workload_ms {
        tokio::time::sleep(Duration::from_millis(client_rng.range(10, 120))).await;
        let now = now_ms();
        if client_rng.chance(700_000) {
            clients.submit_new(&mut client_rng, &nodes, &fabric, now);
        }
        clients.resubmit_stale(&mut client_rng, &nodes, &fabric, now);
        collect_failures(&mut nodes, &mut report).await;
        if nodes
            .iter()
            .filter_map(SimNode::shared)
            .any(|shared| shared.is_syncing())
        {
            report.syncing_seen += 1;
        }
        if let Some(bad) = byzantine
            && fault_rng.chance(100_000)
        {
            let to = fault_rng.index(nodes.len());
            if to != bad {
                let noise = fault_rng
                    .next_u64()
                    .to_le_bytes()
                    .repeat(fault_rng.range(1, 64) as usize);
                fabric.inject(nodes[bad].public_key(), nodes[to].public_key(), noise);
            }
        }
        match fault {
            Some(Fault::Crashed { node, until_ms }) if now >= until_ms => {
                restart(
                    &mut nodes,
                    node,
                    &chain,
                    &fabric,
                    &clocks,
                    &consensus,
                    &mut report,
                )
                .await;
                fault = None;
                next_fault_ms = now + fault_rng.range(500, 4_000);
            }
            Some(Fault::Isolated { node, until_ms }) if now >= until_ms => {
                fabric.isolate(nodes[node].public_key(), false);
                fault = None;
                next_fault_ms = now + fault_rng.range(500, 4_000);
            }
            None if now >= next_fault_ms => {
                let node = fault_rng.index(nodes.len());
                let until_ms = now + fault_rng.range(300, 5_000);
                if fault_rng.chance(500_000) {
                    nodes[node].crash(&fabric);
                    report.crashes += 1;
                    fault = Some(Fault::Crashed { node, until_ms });
                } else {
                    fabric.isolate(nodes[node].public_key(), true);
                    report.isolations += 1;
                    fault = Some(Fault::Isolated { node, until_ms });
                }
            }
            _ => {}
        }
    }

    // Heal: a calm network, every node running.
    fabric.set_faults(LinkFaults::CALM);
    match fault {
        Some(Fault::Crashed { node, .. }) => {
            restart(
                &mut nodes,
                node,
                &chain,
                &fabric,
                &clocks,
                &consensus,
                &mut report,
            )
            .await;
        }
        Some(Fault::Isolated { node, .. }) => fabric.isolate(nodes[node].public_key(), false),
        None => {}
    }
    let acknowledged = clients.acknowledged();
    let settle_until = now_ms() + options.settle_ms;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = now_ms();
        collect_failures(&mut nodes, &mut report).await;
        clients.resubmit_stale(&mut client_rng, &nodes, &fabric, now);
        let settled = nodes.iter().all(|node| {
            node.shared().is_some_and(|shared| {
                acknowledged
                    .iter()
                    .all(|hash| shared.store.has_transaction(hash).unwrap_or(false))
            })
        });
        if settled || now >= settle_until {
            break;
        }
    }
    // A few more blocks, so that every node's pool has seen the last commits.
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    collect_failures(&mut nodes, &mut report).await;

    if acknowledged.is_empty() {
        report.violations.push(format!(
            "workload: no transaction was acknowledged (first refusal: {})",
            clients.first_refusal.as_deref().unwrap_or("none")
        ));
    }
    let byzantine_key = byzantine.map(|index| nodes[index].public_key());
    check(&nodes, &acknowledged, &fabric, byzantine_key, &mut report);
    report.transactions = clients.submitted.len();
    report.acknowledged = acknowledged.len();
    report.admitted = clients.stats.admitted;
    report.resubmitted = clients.stats.resubmitted;
    report.first_refusal = clients.first_refusal.clone();
    let stats = fabric.stats();
    report.delivered = stats.delivered;
    report.dropped = stats.dropped;
    report.virtual_ms = now_ms();
    for node in &mut nodes {
        node.crash(&fabric);
    }
    report
}

/// Restarts node `index` from its directory.
async fn restart(
    nodes: &mut [SimNode],
    index: usize,
    chain: &yrd_verifier::chain_spec::ChainSpec,
    fabric: &SharedFabric,
    clocks: &[Arc<dyn Clock>],
    consensus: &ConsensusSection,
    report: &mut HostSimReport,
) {
    if let Err(error) = nodes[index]
        .start(chain, fabric, Arc::clone(&clocks[index]), consensus)
        .await
    {
        report
            .violations
            .push(format!("node {index} did not restart: {error}"));
    }
}

/// A host that stopped by itself is a finding.
async fn collect_failures(nodes: &mut [SimNode], report: &mut HostSimReport) {
    for (index, node) in nodes.iter_mut().enumerate() {
        if let Some(failure) = node.take_failure().await {
            report.violations.push(format!("node {index}: {failure}"));
        }
    }
}

/// The end-of-run invariants (see the module doc).
fn check(
    nodes: &[SimNode],
    acknowledged: &[[u8; 32]],
    fabric: &SharedFabric,
    byzantine: Option<[u8; 32]>,
    report: &mut HostSimReport,
) {
    let heights: Vec<u64> = nodes
        .iter()
        .filter_map(SimNode::shared)
        .map(|shared| shared.head().height)
        .collect();
    if heights.len() != nodes.len() {
        report
            .violations
            .push("a node is not running at the end".to_string());
    }
    report.min_height = heights.iter().copied().min().unwrap_or(0);
    report.max_height = heights.iter().copied().max().unwrap_or(0);
    let stores: Vec<&yrd_node::storage::Store> = nodes
        .iter()
        .filter_map(SimNode::shared)
        .map(|shared| &shared.store)
        .collect();
    for height in 1..=report.min_height {
        let mut seen: Option<([u8; 32], [u8; 32])> = None;
        for (index, store) in stores.iter().enumerate() {
            let block = store.get::<Blocks>(&height).ok().flatten();
            let root = store.get::<StateRoots>(&height).ok().flatten();
            let (Some(block), Some(root)) = (block, root) else {
                report.violations.push(format!(
                    "agreement: node {index} lacks block or state root {height}"
                ));
                continue;
            };
            let here = (block.id().0, root);
            match seen {
                None => seen = Some(here),
                Some(first) if first != here => {
                    report.violations.push(format!(
                        "agreement: node {index} differs at height {height} (block or state root)"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    for (index, node) in nodes.iter().enumerate() {
        let Some(shared) = node.shared() else {
            continue;
        };
        if shared.is_syncing() {
            report.violations.push(format!(
                "status: node {index} reports syncing after the run settled (head {}, highest known {})",
                shared.head().height,
                shared.highest_known_height()
            ));
        }
        // A certified height is at most a few blocks above the highest committed one.
        if shared.highest_known_height() > report.max_height + 3 {
            report.violations.push(format!(
                "status: node {index} knows of certified height {} above every node's head {}",
                shared.highest_known_height(),
                report.max_height
            ));
        }
        let missing = acknowledged
            .iter()
            .filter(|hash| !shared.store.has_transaction(hash).unwrap_or(false))
            .count();
        if missing > 0 {
            report.violations.push(format!(
                "acknowledged: {missing} of {} acknowledged transactions not committed at node {index} after healing",
                acknowledged.len()
            ));
        }
        let pool = shared.mempool();
        let stuck = acknowledged
            .iter()
            .filter(|hash| {
                pool.contains(hash) && shared.store.has_transaction(hash).unwrap_or(false)
            })
            .count();
        if stuck > 0 {
            report.violations.push(format!(
                "pool: {stuck} committed transactions still in node {index}'s pool"
            ));
        }
    }
    for accusation in fabric.reports() {
        if Some(accusation.about) == byzantine {
            report.byzantine_reported += 1;
            continue;
        }
        report.violations.push(format!(
            "accusation: {} reported {}: {}",
            hex::encode(&accusation.by[..4]),
            hex::encode(&accusation.about[..4]),
            accusation.reason
        ));
    }
}
