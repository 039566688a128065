//! One seeded run of the real hosts: four or seven validators on the simulated network,
//! clients sending signed transactions, and faults drawn from the seed ([`super::plan`]): lost,
//! slow and duplicated messages, clock skew, an honest node crashed and restarted from its
//! directory, a node cut off, the network split in two — one at a time, so that a quorum can
//! always come back. In half the runs one validator is Byzantine ([`super::byzantine`]:
//! silent, equivocating, double-voting, amnesiac, Twins, flooding forgeries, spamming invalid
//! QCs, withholding proposals, voting selfishly, abusing sync, corrupting its answers); in some,
//! governance adds a validator (whose node runs from the start, refused until the change
//! commits) or removes one (the Byzantine one when there is one). The network then heals, every
//! crashed node restarts, and the run waits for every acknowledged transaction to commit
//! everywhere before it checks:
//!
//! - **agreement**: every node holds the same block and the same state root at every height;
//! - **certified history**: every committed block's certificate verifies under the validator
//!   set of its epoch, as the node stored it;
//! - **durability of acknowledgements**: every transaction a node acknowledged is in every
//!   node's committed history (its client sending it again while it is not, as a client does);
//! - **no committed transaction left in a pool**: the mempool/commit race;
//! - **no host failure**: no host stopped with an error (execution, storage, restart);
//! - **no false accusation**: no node reported an honest one as sending invalid data;
//! - **honest status**: at the end no node reports itself syncing, and none knows of a certified
//!   height above the highest any node committed plus the blocks in flight;
//! - **the change happened**: a drawn validator-set change reached every node, and an added
//!   validator's votes are in certificates.

use std::sync::Arc;
use std::time::{Duration, Instant};

use yrd_contracts::TxPayload;
use yrd_contracts::tx::GovernanceAction;
use yrd_node::clock::{Clock, RuntimeClock};
use yrd_node::config::ConsensusSection;

use super::byzantine::Behaviour;
use super::checks;
use super::cluster::{
    GENESIS_TIME_MS, PROVINCES, SimNode, chain_spec, ledger_public, ledger_signer,
    province_of_validator, validator_key,
};
use super::fabric::{LinkFaults, SharedFabric};
use super::plan::{Overrides, Plan, Reconfiguration};
use super::workload::Clients;
use crate::rng::SimRng;

/// The shape of a run.
#[derive(Debug, Clone, Copy)]
pub struct HostSimOptions {
    /// Virtual time during which clients submit and faults strike, ms.
    pub workload_ms: u64,
    /// Longest virtual wait after healing for every acknowledged transaction to commit, ms.
    pub settle_ms: u64,
    /// What to force instead of drawing it from the seed.
    pub overrides: Overrides,
}

impl Default for HostSimOptions {
    fn default() -> Self {
        Self {
            workload_ms: 20_000,
            settle_ms: 90_000,
            overrides: Overrides::default(),
        }
    }
}

/// What one run did and found.
#[derive(Debug, Clone, Default)]
pub struct HostSimReport {
    /// The seed.
    pub seed: u64,
    /// What the seed drew.
    pub description: String,
    /// The command that replays the run.
    pub replay: String,
    /// Every invariant broken (empty when the run is clean).
    pub violations: Vec<String>,
    /// Lowest committed height over the nodes at the end.
    pub min_height: u64,
    /// Highest committed height over the nodes at the end.
    pub max_height: u64,
    /// Highest epoch any node reached.
    pub epoch: u64,
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
    /// Splits of the network in two.
    pub partitions: u32,
    /// Wipes of the amnesiac's data folder.
    pub wipes: u32,
    /// Of the crashes, power cuts (which also lose what was written but not synced).
    pub power_cuts: u32,
    /// Bytes of the write-ahead logs the power cuts took away (written, never synced).
    pub unsynced_bytes_lost: u64,
    /// The Byzantine validator and its behaviour, if any.
    pub byzantine: Option<(usize, Behaviour)>,
    /// Reports the others made about it.
    pub byzantine_reported: usize,
    /// What the honest nodes' consensus cores counted (summed over the nodes' last lives).
    pub honest_seen: HonestSeen,
    /// The validator-set change, if any.
    pub reconfiguration: Option<Reconfiguration>,
    /// Certificates at the end carrying the added validator's vote.
    pub added_votes: u64,
    /// Workload steps at which some running node reported itself syncing (`node_getStatus`).
    pub syncing_seen: u32,
    /// Network deliveries.
    pub delivered: u64,
    /// Deliveries lost to a seeded drop.
    pub dropped: u64,
    /// Deliveries made twice.
    pub duplicated: u64,
    /// Sends a Byzantine node rewrote.
    pub rewritten: u64,
    /// The first refusal by admission that was not a duplicate (for diagnosis; not a violation).
    pub first_refusal: Option<String>,
    /// Virtual time the run took, ms.
    pub virtual_ms: u64,
    /// Real time the run took.
    pub wall: Duration,
}

/// Counters of the honest nodes' consensus cores that show a Byzantine member's work arrived
/// and was refused (summed over the nodes running at the end, since their last start).
#[derive(Debug, Clone, Copy, Default)]
pub struct HonestSeen {
    /// Second proposals by one leader in one round.
    pub equivocations: u64,
    /// Second votes by one validator in one round.
    pub double_votes: u64,
    /// Messages dropped as too far ahead.
    pub dropped_far_future: u64,
    /// Invalid certificates received from the Byzantine member.
    pub certificates_rejected_from_byzantine: u64,
    /// Certificates answered from remembered verdicts.
    pub certificate_verdicts_reused: u64,
    /// Certificates verified in full.
    pub certificate_verifications: u64,
    /// Sync answers refused.
    pub sync_responses_rejected: u64,
}

/// A fault in progress.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Crashed { node: usize, until_ms: u64 },
    Isolated { node: usize, until_ms: u64 },
    Split { until_ms: u64 },
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

/// The nodes of a run and what each is.
struct Nodes {
    all: Vec<SimNode>,
    /// Stopped for good after governance removed them (left out of the final checks).
    retired: Vec<bool>,
}

impl Nodes {
    fn live(&self) -> impl Iterator<Item = (usize, &SimNode)> {
        self.all
            .iter()
            .enumerate()
            .filter(|(index, _)| !self.retired[*index])
    }
}

async fn run(seed: u64, options: HostSimOptions) -> HostSimReport {
    let root = SimRng::new(seed);
    let mut plan_rng = root.fork(4);
    let plan = Plan::draw(&mut plan_rng, options.overrides, options.workload_ms);
    let mut report = HostSimReport {
        seed,
        description: plan.describe(),
        replay: super::replay_forced(seed, &options.overrides),
        byzantine: plan.byzantine,
        reconfiguration: plan.reconfiguration,
        ..HostSimReport::default()
    };
    let mut fault_rng = root.fork(2);
    let mut client_rng = root.fork(3);
    let fabric = SharedFabric::new(root.fork(1), plan.link);
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => {
            report.violations.push(format!("temp dir: {error}"));
            return report;
        }
    };
    let chain = chain_spec(plan.validators);
    let consensus = ConsensusSection::default();
    let origin = tokio::time::Instant::now();
    let now_ms = || u64::try_from(origin.elapsed().as_millis()).unwrap_or(u64::MAX);

    // The instances: the genesis validators, a twin's second instance, a joining validator.
    let mut keys: Vec<usize> = (0..plan.validators).collect();
    let twin = match plan.byzantine {
        Some((node, Behaviour::Twin)) => {
            keys.push(node);
            Some(keys.len() - 1)
        }
        _ => None,
    };
    let joiner = match plan.reconfiguration {
        Some(Reconfiguration::Add { .. }) => {
            keys.push(plan.validators);
            Some(keys.len() - 1)
        }
        _ => None,
    };
    let mut nodes = Nodes {
        all: keys
            .iter()
            .enumerate()
            .map(|(instance, key)| {
                SimNode::new(
                    instance,
                    validator_key(*key),
                    dir.path().join(format!("node{instance}")),
                    plan.unsynced_commits != Some(instance),
                )
            })
            .collect(),
        retired: vec![false; keys.len()],
    };
    // Each node's clock is skewed ahead by up to a third of the allowed drift.
    let clocks: Vec<Arc<dyn Clock>> = keys
        .iter()
        .map(|_| {
            let skew = fault_rng.range(0, consensus.max_clock_drift_ms / 3);
            Arc::new(RuntimeClock::starting_at(GENESIS_TIME_MS + 1_000 + skew)) as Arc<dyn Clock>
        })
        .collect();
    let byzantine_instances: Vec<usize> = match plan.byzantine {
        Some((node, _)) => std::iter::once(node).chain(twin).collect(),
        None => Vec::new(),
    };
    if let Some((node, behaviour)) = plan.byzantine {
        for instance in &byzantine_instances {
            let key = validator_key(node);
            fabric.make_byzantine(
                *instance,
                ledger_public(&key),
                behaviour,
                ledger_signer(&key),
            );
        }
    }
    for (index, node) in nodes.all.iter_mut().enumerate() {
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
    let mut clients = Clients::new(chain.genesis.chain_id.clone());
    let mut fault: Option<Fault> = None;
    let mut next_fault_ms = fault_rng.range(1_000, 4_000);
    let mut amnesia_at_ms = fault_rng.range(2_000, options.workload_ms / 2);
    let mut governance = Governance::default();

    // The workload, with faults.
    while now_ms() < options.workload_ms {
        tokio::time::sleep(Duration::from_millis(client_rng.range(10, 120))).await;
        let now = now_ms();
        if client_rng.chance(700_000) {
            clients.submit_new(&mut client_rng, &nodes.all, &fabric, now);
        }
        clients.resubmit_stale(&mut client_rng, &nodes.all, &fabric, now);
        collect_failures(&mut nodes, &mut report).await;
        if nodes
            .all
            .iter()
            .filter_map(SimNode::shared)
            .any(|shared| shared.is_syncing())
        {
            report.syncing_seen += 1;
        }
        governance
            .step(
                &plan,
                now,
                &mut nodes,
                &mut clients,
                &mut client_rng,
                &fabric,
                &byzantine_instances,
            )
            .await;
        match plan.byzantine {
            Some((bad, Behaviour::Garbler)) if fault_rng.chance(100_000) => {
                let to = fault_rng.index(nodes.all.len());
                if to != bad {
                    let noise = fault_rng
                        .next_u64()
                        .to_le_bytes()
                        .repeat(fault_rng.range(1, 64) as usize);
                    fabric.inject(bad, to, noise);
                }
            }
            // Only a running member is wiped (one the fault schedule crashed restarts as it is).
            Some((bad, Behaviour::Amnesiac))
                if now >= amnesia_at_ms && !nodes.retired[bad] && nodes.all[bad].is_up() =>
            {
                // Wiped and restarted at once with the same key: everything it voted is forgotten.
                nodes.all[bad].crash(&fabric);
                report.crashes += 1;
                if let Err(error) = nodes.all[bad].wipe().await {
                    report.violations.push(format!("amnesiac {bad}: {error}"));
                }
                report.wipes += 1;
                restart(
                    &mut nodes,
                    bad,
                    &chain,
                    &fabric,
                    &clocks,
                    &consensus,
                    &mut report,
                )
                .await;
                amnesia_at_ms = now + fault_rng.range(3_000, options.workload_ms);
            }
            _ => {}
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
                fabric.isolate(node, false);
                fault = None;
                next_fault_ms = now + fault_rng.range(500, 4_000);
            }
            Some(Fault::Split { until_ms }) if now >= until_ms => {
                fabric.heal();
                fault = None;
                next_fault_ms = now + fault_rng.range(500, 4_000);
            }
            None if now >= next_fault_ms => {
                let node = fault_rng.index(nodes.all.len());
                let until_ms = now + fault_rng.range(300, 5_000);
                let draw = fault_rng.below(10);
                if nodes.retired[node] {
                    next_fault_ms = now + 500;
                } else if draw < 5 {
                    // Half the crashes are power cuts, which also lose the unsynced writes.
                    if fault_rng.below(2) == 0 {
                        nodes.all[node].power_cut(&fabric);
                        report.power_cuts += 1;
                    } else {
                        nodes.all[node].crash(&fabric);
                    }
                    report.crashes += 1;
                    fault = Some(Fault::Crashed { node, until_ms });
                } else if draw < 8 {
                    fabric.isolate(node, true);
                    report.isolations += 1;
                    fault = Some(Fault::Isolated { node, until_ms });
                } else {
                    let sides: Vec<u8> = (0..nodes.all.len())
                        .map(|_| fault_rng.below(2) as u8)
                        .collect();
                    fabric.partition(&sides);
                    report.partitions += 1;
                    fault = Some(Fault::Split { until_ms });
                }
            }
            _ => {}
        }
    }

    // Heal: a calm network, every node running.
    fabric.set_faults(LinkFaults::CALM);
    fabric.heal();
    if let Some(Fault::Crashed { node, .. }) = fault {
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
    let acknowledged = clients.acknowledged();
    let settle_until = now_ms() + options.settle_ms;
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = now_ms();
        collect_failures(&mut nodes, &mut report).await;
        clients.resubmit_stale(&mut client_rng, &nodes.all, &fabric, now);
        governance
            .step(
                &plan,
                now,
                &mut nodes,
                &mut clients,
                &mut client_rng,
                &fabric,
                &byzantine_instances,
            )
            .await;
        let settled = governance.settled(&plan)
            && nodes.live().all(|(_, node)| {
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
    if !governance.settled(&plan) {
        report.violations.push(format!(
            "governance: the validator-set change did not reach every node ({:?})",
            plan.reconfiguration
        ));
    }
    let byzantine_key = plan
        .byzantine
        .map(|(node, _)| ledger_public(&validator_key(node)));
    let live: Vec<&SimNode> = nodes.live().map(|(_, node)| node).collect();
    checks::check(
        &chain.consensus.validator_set,
        &live,
        &acknowledged,
        &fabric,
        byzantine_key,
        joiner.map(|index| nodes.all[index].public_key()),
        &mut report,
    );
    report.transactions = clients.submitted.len();
    report.acknowledged = acknowledged.len();
    report.admitted = clients.stats.admitted;
    report.resubmitted = clients.stats.resubmitted;
    report.first_refusal = clients.first_refusal.clone();
    let stats = fabric.stats();
    report.delivered = stats.delivered;
    report.dropped = stats.dropped;
    report.duplicated = stats.duplicated;
    report.rewritten = stats.rewritten;
    report.virtual_ms = now_ms();
    report.unsynced_bytes_lost = nodes.all.iter().map(|node| node.unsynced_bytes_lost).sum();
    for node in &mut nodes.all {
        node.crash(&fabric);
    }
    report
}

/// The governance change of a run, step by step: Shanghai's authority proposes (its own vote
/// counts as yes), then Jiangsu and Zhejiang vote yes once the proposal has committed, which
/// reaches two thirds of the four members.
#[derive(Debug, Default)]
struct Governance {
    proposal: Option<[u8; 32]>,
    voted: bool,
    /// Every live node's validator set reflects the change.
    done: bool,
}

impl Governance {
    #[allow(clippy::too_many_arguments)]
    async fn step(
        &mut self,
        plan: &Plan,
        now: u64,
        nodes: &mut Nodes,
        clients: &mut Clients,
        rng: &mut SimRng,
        fabric: &SharedFabric,
        byzantine: &[usize],
    ) {
        let Some(change) = plan.reconfiguration else {
            return;
        };
        let (at_ms, action, key) = match change {
            Reconfiguration::Add { at_ms } => {
                let key = ledger_public(&validator_key(plan.validators));
                let province = PROVINCES[province_of_validator(plan.validators)];
                (at_ms, GovernanceAction::AddValidator { key, province }, key)
            }
            Reconfiguration::Remove { at_ms, victim } => {
                let key = ledger_public(&validator_key(victim));
                (at_ms, GovernanceAction::RemoveValidator { key }, key)
            }
        };
        if now < at_ms || self.done {
            return;
        }
        let Some(proposal) = self.proposal else {
            self.proposal =
                clients.submit(0, TxPayload::Propose(action), rng, &nodes.all, fabric, now);
            return;
        };
        if !self.voted {
            let committed = nodes
                .all
                .iter()
                .filter_map(SimNode::shared)
                .any(|shared| shared.store.has_transaction(&proposal).unwrap_or(false));
            if committed {
                for authority in [1, 2] {
                    let vote = TxPayload::Vote {
                        proposal_id: 0,
                        approve: true,
                    };
                    clients.submit(authority, vote, rng, &nodes.all, fabric, now);
                }
                self.voted = true;
            }
            return;
        }
        // Done when every running node that stays sees the new set.
        let wanted = matches!(change, Reconfiguration::Add { .. });
        // A removed Byzantine validator leaves with all its instances (both twins).
        let removed: Vec<usize> = match change {
            Reconfiguration::Remove { victim, .. }
                if plan.byzantine.is_some_and(|(node, _)| node == victim) =>
            {
                byzantine.to_vec()
            }
            Reconfiguration::Remove { victim, .. } => vec![victim],
            Reconfiguration::Add { .. } => Vec::new(),
        };
        let staying: Vec<&SimNode> = nodes
            .all
            .iter()
            .enumerate()
            .filter(|(index, _)| !removed.contains(index))
            .map(|(_, node)| node)
            .collect();
        let seen = staying.iter().all(|node| {
            node.shared().is_some_and(|shared| {
                shared
                    .validators
                    .borrow()
                    .validators
                    .iter()
                    .any(|validator| validator.public_key.0 == key)
                    == wanted
            })
        });
        if seen {
            for index in removed {
                nodes.all[index].crash(fabric);
                nodes.retired[index] = true;
            }
            self.done = true;
        }
    }

    fn settled(&self, plan: &Plan) -> bool {
        plan.reconfiguration.is_none() || self.done
    }
}

/// Restarts node `index` from its directory.
async fn restart(
    nodes: &mut Nodes,
    index: usize,
    chain: &yrd_verifier::chain_spec::ChainSpec,
    fabric: &SharedFabric,
    clocks: &[Arc<dyn Clock>],
    consensus: &ConsensusSection,
    report: &mut HostSimReport,
) {
    if nodes.retired[index] || nodes.all[index].is_up() {
        return;
    }
    if let Err(error) = nodes.all[index]
        .start(chain, fabric, Arc::clone(&clocks[index]), consensus)
        .await
    {
        report
            .violations
            .push(format!("node {index} did not restart: {error}"));
    }
}

/// A host that stopped by itself is a finding.
async fn collect_failures(nodes: &mut Nodes, report: &mut HostSimReport) {
    for (index, node) in nodes.all.iter_mut().enumerate() {
        if let Some(failure) = node.take_failure().await {
            report.violations.push(format!("node {index}: {failure}"));
        }
    }
}
