//! Scenarios: everything a run will do, drawn from its seed before it starts.

use yrd_consensus::Config;

use super::network::NetworkConfig;
use super::rng::SimRng;

/// How a node behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol; may crash and restart from its persisted state.
    Honest,
    /// Runs the protocol but never sends anything.
    Silent,
    /// As leader, sends one proposal to half the nodes and a different one to the other half.
    Equivocator,
    /// Votes twice every time: once as the protocol says and once for a block that does not exist.
    DoubleVoter,
    /// Crashes and restarts without its safety data (forgets what it voted).
    Amnesiac,
    /// Two instances sharing one key, each running the protocol on its own (Twins).
    Twin,
    /// Runs the protocol and, with every proposal and timeout, floods forgeries naming later
    /// epochs and far heights (sync-target poisoning).
    FutureFlooder,
    /// Runs the protocol and re-sends validly signed timeouts carrying an invalid QC.
    InvalidQcSpammer,
    /// As leader, sends its proposal to only some validators.
    WithholdingLeader,
    /// Votes only for its own proposals.
    SelfishVoter,
    /// Asks every peer for everything up to the largest height, and serves empty, truncated or
    /// altered sync responses.
    SyncAbuser,
}

impl Behaviour {
    /// True for the honest behaviour.
    pub fn is_honest(self) -> bool {
        self == Behaviour::Honest
    }

    /// Every Byzantine behaviour, in the order scenarios draw them from.
    pub const BYZANTINE: [Behaviour; 10] = [
        Behaviour::Silent,
        Behaviour::Equivocator,
        Behaviour::DoubleVoter,
        Behaviour::Amnesiac,
        Behaviour::Twin,
        Behaviour::FutureFlooder,
        Behaviour::InvalidQcSpammer,
        Behaviour::WithholdingLeader,
        Behaviour::SelfishVoter,
        Behaviour::SyncAbuser,
    ];
}

/// A scheduled fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Stop a node (its in-memory state is gone, its store stays).
    Crash(usize),
    /// Start a crashed node again from its store.
    Restart(usize),
    /// Split the network: `groups[i]` is node `i`'s side.
    Partition(Vec<u8>),
    /// Remove the partition.
    Heal,
    /// Change the loss rate (parts per million).
    SetLoss(u64),
}

/// A validator-set change decided "on chain" by the simulated state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconfiguration {
    /// Executing this height schedules the change.
    pub at_height: u64,
    /// Node index and power of each validator of the next epoch.
    pub next_validators: Vec<(usize, u64)>,
}

/// Everything one run does.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The seed it was drawn from.
    pub seed: u64,
    /// Validator count of the first epoch (node indices `0..validators`).
    pub validators: usize,
    /// Voting power of each first-epoch validator.
    pub powers: Vec<u64>,
    /// Non-voting nodes that follow the chain (indices after the validators).
    pub observers: usize,
    /// The Byzantine validator, if any. A twin gets an extra instance at the last index.
    pub byzantine: Option<(usize, Behaviour)>,
    /// Link behaviour.
    pub network: NetworkConfig,
    /// Clock offset of each node instance.
    pub clock_offsets_ms: Vec<i64>,
    /// Faults by time (ms since the start), ascending.
    pub faults: Vec<(u64, Fault)>,
    /// When the last fault is healed.
    pub heal_at_ms: u64,
    /// Loss rate after healing.
    pub loss_after_heal_per_million: u64,
    /// Optional validator-set change.
    pub reconfiguration: Option<Reconfiguration>,
    /// Consensus configuration of every node.
    pub config: Config,
    /// Every honest node must commit `blocks_after_heal` new blocks within this after healing.
    pub liveness_bound_ms: u64,
    /// See `liveness_bound_ms`.
    pub blocks_after_heal: u64,
}

/// Consensus configuration used in simulations: short timeouts so runs are quick.
pub fn sim_config() -> Config {
    Config {
        round_timeout_base_ms: 400,
        round_timeout_max_ms: 4_000,
        round_timeout_backoff_exponent_max: 4,
        max_clock_drift_ms: 2_000,
        max_payload_bytes: 4_096,
        reputation_window_rounds: 24,
        reputation_exclude_recent_rounds: 6,
        sync_retry_ms: 300,
        ..Config::default()
    }
}

impl Scenario {
    /// Number of node instances (validators, observers, and a twin's second instance).
    pub fn instances(&self) -> usize {
        let twin = usize::from(matches!(self.byzantine, Some((_, Behaviour::Twin))));
        self.validators + self.observers + twin
    }

    /// Index of the validator whose key instance `index` uses.
    pub fn key_index(&self, index: usize) -> usize {
        match self.byzantine {
            Some((byzantine, Behaviour::Twin)) if index == self.validators + self.observers => {
                byzantine
            }
            _ => index,
        }
    }

    /// Behaviour of instance `index`.
    pub fn behaviour(&self, index: usize) -> Behaviour {
        match self.byzantine {
            Some((byzantine, behaviour)) if self.key_index(index) == byzantine => behaviour,
            _ => Behaviour::Honest,
        }
    }

    /// A fault-free scenario with `validators` equal validators and a fixed latency (benchmarks).
    pub fn benign(seed: u64, validators: usize, latency_ms: u64) -> Self {
        Self {
            seed,
            validators,
            powers: vec![1; validators],
            observers: 0,
            byzantine: None,
            network: NetworkConfig::fixed(latency_ms),
            clock_offsets_ms: vec![0; validators],
            faults: Vec::new(),
            heal_at_ms: 0,
            loss_after_heal_per_million: 0,
            reconfiguration: None,
            config: sim_config(),
            liveness_bound_ms: 60_000,
            blocks_after_heal: 20,
        }
    }

    /// Draw a mixed-fault scenario from `seed`.
    pub fn generate(seed: u64) -> Self {
        let mut rng = SimRng::new(seed).fork(0x5ce7);
        let validators = if rng.chance(200_000) { 7 } else { 4 };
        let weighted = rng.chance(150_000);
        let powers: Vec<u64> = (0..validators)
            .map(|_| if weighted { rng.range(1, 3) } else { 1 })
            .collect();
        let total: u64 = powers.iter().sum();
        let observers = usize::from(rng.chance(150_000));

        // The Byzantine validator is the weakest one, and only if it holds under a third.
        let weakest = (0..validators)
            .min_by_key(|i| (powers[*i], *i))
            .unwrap_or(0);
        let byzantine = if rng.chance(600_000) && powers[weakest] * 3 < total {
            let behaviours = Behaviour::BYZANTINE;
            Some((weakest, behaviours[rng.index(behaviours.len())]))
        } else {
            None
        };

        // Latencies of a wide-area link between provinces; they also keep runs short in events.
        let latency_min_ms = rng.range(5, 25);
        let base_loss = if rng.chance(500_000) {
            rng.range(0, 30_000)
        } else {
            0
        };
        let network = NetworkConfig {
            latency_min_ms,
            latency_max_ms: latency_min_ms + rng.range(10, 80),
            slow_per_million: rng.range(0, 50_000),
            slow_max_ms: rng.range(100, 400),
            loss_per_million: base_loss,
            duplicate_per_million: rng.range(0, 30_000),
        };

        let mut scenario = Self {
            seed,
            validators,
            powers,
            observers,
            byzantine,
            network,
            clock_offsets_ms: Vec::new(),
            faults: Vec::new(),
            heal_at_ms: 0,
            loss_after_heal_per_million: base_loss,
            reconfiguration: None,
            config: sim_config(),
            liveness_bound_ms: 40_000,
            blocks_after_heal: 4,
        };
        let instances = scenario.instances();
        let drift = scenario.config.max_clock_drift_ms as i64 / 4;
        scenario.clock_offsets_ms = (0..instances)
            .map(|_| rng.range(0, 2 * drift as u64) as i64 - drift)
            .collect();

        let fault_window_ms = rng.range(2_000, 8_000);
        let mut faults = Vec::new();
        // Crash and restart honest validators (any of them, even several at once).
        for _ in 0..rng.range(0, 2) {
            let node = rng.index(validators);
            if scenario.behaviour(node).is_honest() {
                let crash = rng.range(0, fault_window_ms);
                let restart = rng.range(crash, fault_window_ms);
                faults.push((crash, Fault::Crash(node)));
                faults.push((restart, Fault::Restart(node)));
            }
        }
        // Partitions that form and heal.
        for _ in 0..rng.range(0, 2) {
            let start = rng.range(0, fault_window_ms);
            let end = rng.range(start, fault_window_ms);
            let groups = (0..instances).map(|_| rng.below(2) as u8).collect();
            faults.push((start, Fault::Partition(groups)));
            faults.push((end, Fault::Heal));
        }
        // A burst of heavy loss.
        if rng.chance(300_000) {
            let start = rng.range(0, fault_window_ms);
            faults.push((start, Fault::SetLoss(rng.range(100_000, 400_000))));
            faults.push((rng.range(start, fault_window_ms), Fault::SetLoss(base_loss)));
        }
        // The amnesiac forgets: it crashes and restarts without safety data.
        if let Some((node, Behaviour::Amnesiac)) = byzantine {
            let mut time = 0;
            for _ in 0..rng.range(1, 3) {
                let crash = rng.range(time, fault_window_ms);
                let restart = rng.range(crash, fault_window_ms);
                faults.push((crash, Fault::Crash(node)));
                faults.push((restart, Fault::Restart(node)));
                time = restart;
            }
        }
        faults.sort_by_key(|(time, _)| *time);
        scenario.heal_at_ms = fault_window_ms + 1;
        scenario.faults = faults;

        if rng.chance(150_000) {
            let mut next_validators: Vec<(usize, u64)> = (0..validators)
                .map(|i| {
                    let byzantine_here = byzantine.is_some_and(|(b, _)| b == i);
                    (i, if byzantine_here { 1 } else { rng.range(1, 3) })
                })
                .collect();
            if observers > 0 {
                next_validators.push((validators, 2));
            }
            let next_total: u64 = next_validators.iter().map(|(_, p)| p).sum();
            // Keep the Byzantine validator under a third in the new epoch too.
            if byzantine.is_none() || 3 < next_total {
                scenario.reconfiguration = Some(Reconfiguration {
                    at_height: rng.range(8, 30),
                    next_validators,
                });
            }
        }
        scenario
    }

    /// One line saying what the scenario does.
    pub fn describe(&self) -> String {
        let crashes = self
            .faults
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Crash(_)))
            .count();
        let partitions = self
            .faults
            .iter()
            .filter(|(_, f)| matches!(f, Fault::Partition(_)))
            .count();
        format!(
            "n={} powers={:?} observers={} byzantine={:?} latency={}..{}ms loss={}ppm dup={}ppm \
             crashes={} partitions={} heal_at={}ms reconfiguration={}",
            self.validators,
            self.powers,
            self.observers,
            self.byzantine,
            self.network.latency_min_ms,
            self.network.latency_max_ms,
            self.network.loss_per_million,
            self.network.duplicate_per_million,
            crashes,
            partitions,
            self.heal_at_ms,
            self.reconfiguration
                .as_ref()
                .map_or("none".to_string(), |r| format!(
                    "at height {} to {:?}",
                    r.at_height, r.next_validators
                )),
        )
    }
}
