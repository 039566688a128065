//! The event loop: simulated time, the queue of deliveries, timers and faults, and the run
//! report with its trace hash.

use std::collections::BTreeMap;

use yrd_consensus::{ConsensusMessage, Input, Metrics, TimerKind};

use super::byzantine::{Sender, rewrite_send, serve_sync};
use super::checker::Checker;
use super::network::Network;
use super::node::{Action, Destination, SimNode, genesis_for};
use super::rng::SimRng;
use super::scenario::{Fault, Scenario};

/// Events a run processes, in (time, sequence) order.
enum Event {
    Deliver {
        to: usize,
        from: usize,
        message: ConsensusMessage,
    },
    Timer {
        node: usize,
        incarnation: u32,
        epoch: u64,
        round: u64,
        kind: TimerKind,
    },
    Local {
        node: usize,
        incarnation: u32,
        input: Box<Input>,
    },
    Fault(Fault),
    HealAll,
}

/// Most events one run may process before it is declared stuck.
pub const MAX_EVENTS_PER_RUN: u64 = 3_000_000;

/// Commit statistics of a run (used by the benchmark).
#[derive(Clone, Debug, Default)]
pub struct CommitStats {
    /// Honest commits observed (node × block).
    pub commits: u64,
    /// For each honest commit: the committing node's round minus the block's round.
    pub rounds_to_commit: Vec<u64>,
    /// For each honest commit: committing node's clock minus the block's timestamp.
    pub latency_ms: Vec<u64>,
}

/// The outcome of one run.
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Seed of the run.
    pub seed: u64,
    /// One-line scenario description.
    pub description: String,
    /// BLAKE3 over every processed event and commit: equal for equal runs.
    pub trace_hash: [u8; 32],
    /// Violations found (empty when the run is clean).
    pub violations: Vec<String>,
    /// Simulated milliseconds run.
    pub sim_ms: u64,
    /// Events processed.
    pub events: u64,
    /// Highest committed height.
    pub highest_height: u64,
    /// Epochs reached.
    pub epochs: usize,
    /// Commit statistics.
    pub stats: CommitStats,
    /// Final state of each node instance, one line each (printed by `--verbose`).
    pub node_summaries: Vec<String>,
    /// Final consensus metrics of each node instance (`None` for one that is down).
    pub node_metrics: Vec<Option<Metrics>>,
}

/// One simulation run.
pub struct Simulation {
    scenario: Scenario,
    now_ms: u64,
    sequence: u64,
    queue: BTreeMap<(u64, u64), Event>,
    nodes: Vec<SimNode>,
    network: Network,
    checker: Checker,
    trace: blake3::Hasher,
    events: u64,
    heal_heights: Option<Vec<u64>>,
    stop_at_height: Option<u64>,
    stats: CommitStats,
    log: bool,
}

impl Simulation {
    /// Prepare a run of `scenario`. `verify_certificates` makes the checker verify every commit
    /// certificate once per height.
    pub fn new(scenario: Scenario, verify_certificates: bool) -> Self {
        let rng = SimRng::new(scenario.seed);
        let validators: Vec<(usize, u64)> = scenario
            .powers
            .iter()
            .enumerate()
            .map(|(i, p)| (i, *p))
            .collect();
        let genesis = genesis_for(&validators);
        let instances = scenario.instances();
        let nodes: Vec<SimNode> = (0..instances)
            .map(|i| {
                SimNode::new(
                    i,
                    scenario.key_index(i),
                    scenario.behaviour(i),
                    scenario.clock_offsets_ms.get(i).copied().unwrap_or(0),
                    scenario.config.clone(),
                    genesis.clone(),
                    scenario.reconfiguration.clone(),
                )
            })
            .collect();
        let honest = nodes.iter().map(|n| n.behaviour.is_honest()).collect();
        let checker = Checker::new(honest, genesis.validator_set.clone(), verify_certificates);
        let network = Network::new(scenario.network.clone(), rng.fork(0x4e37));
        let mut simulation = Self {
            scenario,
            now_ms: 0,
            sequence: 0,
            queue: BTreeMap::new(),
            nodes,
            network,
            checker,
            trace: blake3::Hasher::new(),
            events: 0,
            heal_heights: None,
            stop_at_height: None,
            stats: CommitStats::default(),
            log: false,
        };
        for (time, fault) in simulation.scenario.faults.clone() {
            simulation.push(time, Event::Fault(fault));
        }
        let heal_at = simulation.scenario.heal_at_ms;
        simulation.push(heal_at, Event::HealAll);
        simulation
    }

    /// Stop once every honest node has committed `height` (benchmarks), instead of the liveness
    /// criterion.
    pub fn stop_at_height(mut self, height: u64) -> Self {
        self.stop_at_height = Some(height);
        self
    }

    /// Print sync traffic, commits, epoch changes and faults as they happen.
    pub fn with_log(mut self, log: bool) -> Self {
        self.log = log;
        self
    }

    fn push(&mut self, time: u64, event: Event) {
        self.sequence += 1;
        self.queue.insert((time, self.sequence), event);
    }

    /// Run to completion.
    pub fn run(mut self) -> RunReport {
        for index in 0..self.nodes.len() {
            let actions = self.nodes[index].start(0);
            self.apply(index, actions);
        }
        let deadline = self.scenario.heal_at_ms + self.scenario.liveness_bound_ms;
        let mut finished = false;
        while let Some(((time, _), event)) = self.queue.pop_first() {
            if time > deadline {
                break;
            }
            self.now_ms = time;
            self.events += 1;
            if self.events > MAX_EVENTS_PER_RUN {
                self.checker
                    .violation(format!("STUCK: more than {MAX_EVENTS_PER_RUN} events"));
                break;
            }
            self.process(event);
            if self.done() {
                finished = true;
                break;
            }
        }
        if !finished {
            self.report_liveness_failure();
        }
        let node_summaries = self.nodes.iter().map(summarize).collect();
        let node_metrics = self
            .nodes
            .iter()
            .map(|n| n.core().map(|c| c.metrics().clone()))
            .collect();
        let highest_height = self.checker.highest_height();
        let epochs = self.checker.epochs();
        let violations = self.checker.finish();
        RunReport {
            seed: self.scenario.seed,
            description: self.scenario.describe(),
            trace_hash: *self.trace.finalize().as_bytes(),
            violations,
            sim_ms: self.now_ms,
            events: self.events,
            highest_height,
            epochs,
            stats: self.stats,
            node_summaries,
            node_metrics,
        }
    }

    fn honest_heights(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.nodes
            .iter()
            .filter(|n| n.behaviour.is_honest())
            .map(|n| (n.index, n.committed_height()))
    }

    fn done(&self) -> bool {
        if let Some(target) = self.stop_at_height {
            return self.honest_heights().all(|(_, h)| h >= target);
        }
        let Some(heal) = &self.heal_heights else {
            return false;
        };
        let needed = self.scenario.blocks_after_heal;
        self.honest_heights().all(|(i, h)| h >= heal[i] + needed)
    }

    fn report_liveness_failure(&mut self) {
        let heal = self.heal_heights.clone().unwrap_or_default();
        let needed = self.scenario.blocks_after_heal;
        let lagging: Vec<String> = self
            .honest_heights()
            .filter(|(i, h)| *h < heal.get(*i).copied().unwrap_or(0) + needed)
            .map(|(i, h)| {
                format!(
                    "node {i} at height {h} (was {} at heal)",
                    heal.get(i).copied().unwrap_or(0)
                )
            })
            .collect();
        self.checker.violation(format!(
            "LIVENESS: {} ms after healing, not every honest node committed {needed} new blocks: {}",
            self.scenario.liveness_bound_ms,
            lagging.join(", ")
        ));
    }

    fn trace_event(&mut self, tag: u8, node: usize, detail: &[u8]) {
        self.trace.update(&self.now_ms.to_le_bytes());
        self.trace.update(&[tag]);
        self.trace.update(&(node as u64).to_le_bytes());
        self.trace.update(detail);
    }

    fn process(&mut self, event: Event) {
        match event {
            Event::Deliver { to, from, message } => {
                if !self.nodes[to].is_up() || !self.network.connected(from, to) && from != to {
                    return;
                }
                let detail = fingerprint(&message);
                if self.log
                    && matches!(
                        message,
                        ConsensusMessage::SyncRequest(_)
                            | ConsensusMessage::SyncResponse(_)
                            | ConsensusMessage::SyncInfo(_)
                    )
                {
                    println!("{:>6} {from}->{to} {}", self.now_ms, brief(&message));
                }
                self.trace_event(1, to, &detail);
                let from_key = self.nodes[from].key;
                if let ConsensusMessage::SyncRequest(request) = &message {
                    if let Some(response) = self.nodes[to].answer_sync(request) {
                        let response = serve_sync(self.nodes[to].behaviour, request, response);
                        let reply = ConsensusMessage::SyncResponse(Box::new(response));
                        self.route(to, Destination::Instance(from), reply);
                    }
                    return;
                }
                if let Some(input) = Input::from_message(from_key, message) {
                    let actions = self.nodes[to].step(self.now_ms, input);
                    self.apply(to, actions);
                }
            }
            Event::Timer {
                node,
                incarnation,
                epoch,
                round,
                kind,
            } => {
                if self.nodes[node].incarnation != incarnation {
                    return;
                }
                self.trace_event(2, node, &round.to_le_bytes());
                let actions =
                    self.nodes[node].step(self.now_ms, Input::TimerFired { epoch, round, kind });
                self.apply(node, actions);
            }
            Event::Local {
                node,
                incarnation,
                input,
            } => {
                if self.nodes[node].incarnation != incarnation {
                    return;
                }
                self.trace_event(3, node, &[]);
                let actions = self.nodes[node].step(self.now_ms, *input);
                self.apply(node, actions);
            }
            Event::Fault(fault) => {
                if self.log {
                    println!("{:>6} fault {fault:?}", self.now_ms);
                }
                self.trace_event(4, 0, format!("{fault:?}").as_bytes());
                self.apply_fault(fault);
            }
            Event::HealAll => {
                self.trace_event(5, 0, &[]);
                self.network.heal();
                self.network
                    .set_loss(self.scenario.loss_after_heal_per_million);
                for index in 0..self.nodes.len() {
                    if !self.nodes[index].is_up() {
                        let actions = self.nodes[index].start(self.now_ms);
                        self.apply(index, actions);
                    }
                }
                self.heal_heights =
                    Some(self.nodes.iter().map(SimNode::committed_height).collect());
            }
        }
    }

    fn apply_fault(&mut self, fault: Fault) {
        match fault {
            Fault::Crash(node) => self.nodes[node].crash(),
            Fault::Restart(node) => {
                if !self.nodes[node].is_up() {
                    let actions = self.nodes[node].start(self.now_ms);
                    self.apply(node, actions);
                }
            }
            Fault::Partition(groups) => self.network.partition(groups),
            Fault::Heal => self.network.heal(),
            Fault::SetLoss(loss) => self.network.set_loss(loss),
        }
    }

    fn apply(&mut self, node: usize, actions: Vec<Action>) {
        for action in actions {
            match action {
                Action::Send { to, message } => {
                    let behaviour = self.nodes[node].behaviour;
                    let sends = if behaviour.is_honest() {
                        vec![(to, message)]
                    } else {
                        let instances = self.nodes.len();
                        let signer = self.nodes[node].signer();
                        let sender = Sender {
                            behaviour,
                            signer: &signer,
                            me: node,
                            instances,
                            state: &mut self.nodes[node].byzantine,
                        };
                        rewrite_send(sender, to, message)
                    };
                    for (to, message) in sends {
                        self.route(node, to, message);
                    }
                }
                Action::Local(input) => {
                    let incarnation = self.nodes[node].incarnation;
                    self.push(
                        self.now_ms,
                        Event::Local {
                            node,
                            incarnation,
                            input: Box::new(input),
                        },
                    );
                }
                Action::Timer {
                    epoch,
                    round,
                    kind,
                    after_ms,
                } => {
                    let incarnation = self.nodes[node].incarnation;
                    let time = self.now_ms + after_ms;
                    self.push(
                        time,
                        Event::Timer {
                            node,
                            incarnation,
                            epoch,
                            round,
                            kind,
                        },
                    );
                }
                Action::Committed {
                    height,
                    block,
                    certificate,
                    state_root,
                } => {
                    if self.log {
                        println!(
                            "{:>6} node {node} commits height {height} round {} epoch {}",
                            self.now_ms, block.header.round, block.header.epoch
                        );
                    }
                    self.trace_event(6, node, &block.id().0);
                    if self.checker.is_honest(node) {
                        self.stats.commits += 1;
                        if let Some(core) = self.nodes[node].core() {
                            self.stats
                                .rounds_to_commit
                                .push(core.round().saturating_sub(block.header.round));
                        }
                        let local = self.nodes[node].local_time(self.now_ms);
                        self.stats
                            .latency_ms
                            .push(local.saturating_sub(block.header.timestamp_ms));
                    }
                    self.checker
                        .on_commit(node, height, &block, &certificate, state_root);
                }
                Action::EpochChanged {
                    proof,
                    validator_set,
                } => {
                    if self.log {
                        println!(
                            "{:>6} node {node} enters epoch {}",
                            self.now_ms, validator_set.epoch
                        );
                    }
                    self.checker.on_epoch_change(node, &proof, &validator_set);
                }
                Action::HostViolation(text) => {
                    if self.checker.is_honest(node) {
                        self.checker.violation(format!("HOST: {text}"));
                    }
                }
            }
        }
    }

    /// Put a message on the network (or deliver it locally when it is for the sender itself).
    fn route(&mut self, from: usize, to: Destination, message: ConsensusMessage) {
        let targets: Vec<usize> = match to {
            Destination::Everyone => (0..self.nodes.len()).collect(),
            Destination::Key(key) => (0..self.nodes.len())
                .filter(|i| self.nodes[*i].key == key)
                .collect(),
            Destination::Instance(index) => vec![index],
        };
        for target in targets {
            if target == from {
                self.push(
                    self.now_ms,
                    Event::Deliver {
                        to: target,
                        from,
                        message: message.clone(),
                    },
                );
                continue;
            }
            for delay in self.network.delays(from, target) {
                let time = self.now_ms + delay;
                self.push(
                    time,
                    Event::Deliver {
                        to: target,
                        from,
                        message: message.clone(),
                    },
                );
            }
        }
    }
}

fn summarize(node: &SimNode) -> String {
    match node.core() {
        None => format!(
            "node {} ({:?}): down, height {}",
            node.index,
            node.behaviour,
            node.committed_height()
        ),
        Some(core) => format!(
            "node {} ({:?}): epoch {} round {} hqc {:?} height {} leader(next) {:?} {:?}",
            node.index,
            node.behaviour,
            core.epoch(),
            core.round(),
            core.highest_qc().map(|qc| qc.round()),
            node.committed_height(),
            core.leader_of(core.round()),
            core.metrics()
        ),
    }
}

fn brief(message: &ConsensusMessage) -> String {
    match message {
        ConsensusMessage::SyncRequest(r) => format!(
            "sync request from {} to {:?} at {}",
            r.from_height, r.target, r.target_height
        ),
        ConsensusMessage::SyncResponse(r) => format!(
            "sync response committed {:?} uncommitted {:?}",
            r.committed
                .iter()
                .map(|c| c.block.header.height)
                .collect::<Vec<_>>(),
            r.uncommitted
                .iter()
                .map(|b| b.header.height)
                .collect::<Vec<_>>()
        ),
        ConsensusMessage::SyncInfo(i) => format!("sync info qc round {}", i.highest_qc.round()),
        _ => String::new(),
    }
}

/// A cheap summary of a message for the trace hash.
fn fingerprint(message: &ConsensusMessage) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(48);
    match message {
        ConsensusMessage::Proposal(p) => {
            bytes.push(0);
            bytes.extend_from_slice(&p.block.header.round.to_le_bytes());
            bytes.extend_from_slice(&p.block.header.payload_digest);
        }
        ConsensusMessage::Vote(v) => {
            bytes.push(1);
            bytes.extend_from_slice(&v.vote_data.block_id.0);
            bytes.extend_from_slice(&v.author.0[..8]);
        }
        ConsensusMessage::Timeout(t) => {
            bytes.push(2);
            bytes.extend_from_slice(&t.round.to_le_bytes());
            bytes.extend_from_slice(&t.author.0[..8]);
        }
        ConsensusMessage::SyncInfo(i) => {
            bytes.push(3);
            bytes.extend_from_slice(&i.highest_qc.round().to_le_bytes());
        }
        ConsensusMessage::SyncRequest(r) => {
            bytes.push(4);
            bytes.extend_from_slice(&r.from_height.to_le_bytes());
        }
        ConsensusMessage::SyncResponse(r) => {
            bytes.push(5);
            bytes.extend_from_slice(&(r.committed.len() as u64).to_le_bytes());
            bytes.extend_from_slice(&(r.uncommitted.len() as u64).to_le_bytes());
        }
    }
    bytes
}

/// Run the generated scenario of `seed` with every checker.
pub fn run_seed(seed: u64) -> RunReport {
    Simulation::new(Scenario::generate(seed), true).run()
}

/// Run `seed` twice and add a determinism violation if the traces differ.
pub fn run_seed_checked(seed: u64) -> RunReport {
    let mut first = run_seed(seed);
    let second = Simulation::new(Scenario::generate(seed), false).run();
    if first.trace_hash != second.trace_hash {
        first.violations.push(format!(
            "DETERMINISM: trace hashes differ between two runs of seed {seed}"
        ));
    }
    first
}

/// The one-line command that replays `seed`.
pub fn replay_command(seed: u64) -> String {
    format!("scripts/sim.sh --seed {seed} --verbose")
}
