//! The node harness: the host side of one simulated node around the real consensus core.
//!
//! It owns what a real node's host owns: the persisted store (safety data, voted blocks,
//! committed blocks with certificates, executed state roots), the payload builder and the
//! executor. Its "execution" is a deterministic hash chain over committed payloads, which is
//! enough for the checker to compare state roots across nodes. The future node binary replaces
//! this module; the network model, Byzantine wrappers and checkers stay in the simulator.

use yrd_consensus::driver::ExecutedRecord;
use yrd_consensus::epoch::next_epoch_set;
use yrd_consensus::sync::respond;
use yrd_consensus::types::CommittedBlock;
use yrd_consensus::{
    Block, CommitCertificate, Config, ConsensusMessage, Core, Ed25519Signer, Genesis, Input,
    Output, PublicKey, SafetyData, Signer, StartState, SyncRequest, SyncResponse, TimerKind,
    ValidatorInfo, ValidatorSet,
};

use super::byzantine::ByzantineState;
use super::scenario::{Behaviour, Reconfiguration};

/// Where a message goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Every other node, and this node itself.
    Everyone,
    /// Every node instance holding this key (this node itself included).
    Key(PublicKey),
    /// One node instance (used by Byzantine wrappers to send different things to different nodes).
    Instance(usize),
}

/// What the harness asks the simulator to do.
#[derive(Clone, Debug)]
pub enum Action {
    /// Send a message.
    Send {
        /// Recipients.
        to: Destination,
        /// Message.
        message: ConsensusMessage,
    },
    /// Feed an input back to this node right away (payloads, executed reports).
    Local(Input),
    /// Fire [`Input::TimerFired`] after a delay.
    Timer {
        /// Epoch.
        epoch: u64,
        /// Round.
        round: u64,
        /// Kind.
        kind: TimerKind,
        /// Delay.
        after_ms: u64,
    },
    /// The node committed and executed a block.
    Committed {
        /// Height.
        height: u64,
        /// Block.
        block: Box<Block>,
        /// Its certificate.
        certificate: Box<CommitCertificate>,
        /// State root after executing it.
        state_root: [u8; 32],
    },
    /// The node moved to a new epoch.
    EpochChanged {
        /// Proof link.
        proof: Box<CommitCertificate>,
        /// New set.
        validator_set: ValidatorSet,
    },
    /// The harness saw the core break a host-visible rule.
    HostViolation(String),
}

/// What a node keeps across crashes.
#[derive(Clone, Debug)]
pub struct NodeStore {
    /// Last persisted safety data.
    pub safety: Option<SafetyData>,
    /// Blocks persisted with votes.
    pub voted_blocks: Vec<Block>,
    /// Committed blocks, `committed[h - 1]` at height `h`.
    pub committed: Vec<CommittedBlock>,
    /// `state_roots[h]` after executing height `h` (index 0 is genesis).
    pub state_roots: Vec<[u8; 32]>,
    /// Validator set of the current epoch.
    pub validator_set: ValidatorSet,
    /// Validator set of the epoch before it (none in the first epoch).
    pub previous_validator_set: Option<ValidatorSet>,
    /// First round of the current epoch.
    pub epoch_start_round: u64,
    /// Validator set the executed state schedules for the next epoch.
    pub pending_next_set: Option<ValidatorSet>,
}

/// One simulated node instance.
pub struct SimNode {
    /// Instance index.
    pub index: usize,
    /// Its key.
    pub key: PublicKey,
    /// Its behaviour.
    pub behaviour: Behaviour,
    /// Clock offset from simulated time.
    pub clock_offset_ms: i64,
    /// Crash count (timers of earlier incarnations are ignored).
    pub incarnation: u32,
    /// Persisted state.
    pub store: NodeStore,
    /// What a Byzantine behaviour remembers between messages.
    pub byzantine: ByzantineState,
    secret: [u8; 32],
    config: Config,
    genesis: Genesis,
    reconfiguration: Option<(Reconfiguration, ValidatorSet)>,
    core: Option<Core>,
}

/// The secret key of validator `index` in every simulation.
pub fn validator_secret(index: usize) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"yrd-sim/validator-secret");
    hasher.update(&(index as u64).to_le_bytes());
    *hasher.finalize().as_bytes()
}

/// The public key of validator `index`.
pub fn validator_key(index: usize) -> PublicKey {
    Ed25519Signer::from_secret_bytes(&validator_secret(index)).public_key()
}

/// The genesis of a simulation whose validators are `(index, power)`.
pub fn genesis_for(validators: &[(usize, u64)]) -> Genesis {
    let infos = validators
        .iter()
        .map(|(i, power)| ValidatorInfo {
            public_key: validator_key(*i),
            voting_power: *power,
        })
        .collect();
    let validator_set = ValidatorSet::new(0, infos).unwrap_or(ValidatorSet {
        epoch: 0,
        validators: vec![],
    });
    Genesis {
        validator_set,
        state_root: *blake3::hash(b"yrd-sim/genesis-state").as_bytes(),
        timestamp_ms: GENESIS_TIME_MS,
    }
}

/// Simulated time 0 as milliseconds since the Unix epoch.
pub const GENESIS_TIME_MS: u64 = 1_700_000_000_000;

impl SimNode {
    /// A node that has not started yet.
    pub fn new(
        index: usize,
        key_index: usize,
        behaviour: Behaviour,
        clock_offset_ms: i64,
        config: Config,
        genesis: Genesis,
        reconfiguration: Option<Reconfiguration>,
    ) -> Self {
        let secret = validator_secret(key_index);
        let key = Ed25519Signer::from_secret_bytes(&secret).public_key();
        let reconfiguration = reconfiguration.and_then(|r| {
            let infos = r
                .next_validators
                .iter()
                .map(|(i, p)| ValidatorInfo {
                    public_key: validator_key(*i),
                    voting_power: *p,
                })
                .collect();
            ValidatorSet::new(genesis.validator_set.epoch + 1, infos)
                .ok()
                .map(|set| (r, set))
        });
        let store = NodeStore {
            safety: None,
            voted_blocks: Vec::new(),
            committed: Vec::new(),
            state_roots: vec![genesis.state_root],
            validator_set: genesis.validator_set.clone(),
            previous_validator_set: None,
            epoch_start_round: 1,
            pending_next_set: None,
        };
        Self {
            index,
            key,
            behaviour,
            clock_offset_ms,
            incarnation: 0,
            store,
            byzantine: ByzantineState::default(),
            secret,
            config,
            genesis,
            reconfiguration,
            core: None,
        }
    }

    /// The node's clock at simulated time `sim_ms`.
    pub fn local_time(&self, sim_ms: u64) -> u64 {
        GENESIS_TIME_MS
            .saturating_add_signed(self.clock_offset_ms)
            .saturating_add(sim_ms)
    }

    /// True while running.
    pub fn is_up(&self) -> bool {
        self.core.is_some()
    }

    /// The core, while running.
    pub fn core(&self) -> Option<&Core> {
        self.core.as_ref()
    }

    /// Committed height according to the store.
    pub fn committed_height(&self) -> u64 {
        self.store.committed.len() as u64
    }

    /// Stop: all in-memory state is lost.
    pub fn crash(&mut self) {
        self.core = None;
        self.incarnation += 1;
    }

    /// Start (or restart) from the store.
    pub fn start(&mut self, sim_ms: u64) -> Vec<Action> {
        let signer = Ed25519Signer::from_secret_bytes(&self.secret);
        let mut core = Core::new(self.config.clone(), Box::new(signer));
        let start = self.start_state();
        let ready = core.step(self.local_time(sim_ms), Input::Start(Box::new(start)));
        self.core = Some(core);
        self.handle_ready(ready)
    }

    fn start_state(&self) -> StartState {
        let mut start = StartState::from_genesis(&self.genesis);
        let amnesiac = self.behaviour == Behaviour::Amnesiac;
        if let Some(safety) = self.store.safety.clone().filter(|_| !amnesiac) {
            start.safety_data = safety;
        }
        start.validator_set = self.store.validator_set.clone();
        // Only while the tip is the block that ended that epoch (the core refuses it otherwise).
        start.previous_validator_set = self.store.previous_validator_set.clone().filter(|set| {
            self.store.committed.last().map(|c| c.block.header.epoch) == Some(set.epoch)
        });
        start.epoch_start_round = self.store.epoch_start_round;
        if let Some(tip) = self.store.committed.last() {
            start.committed_tip = tip.block.header.clone();
            if let Some(child) = tip.certificate.headers.get(1) {
                start.committed_tip_qc = child.parent_qc.clone();
            }
            let from = self.store.committed.len().saturating_sub(64);
            start.recent_committed = self.store.committed[from..]
                .iter()
                .map(|c| c.block.header.clone())
                .collect();
        }
        let height = self.committed_height();
        if !amnesiac {
            start.uncommitted_blocks = self
                .store
                .voted_blocks
                .iter()
                .filter(|b| b.header.height > height)
                .cloned()
                .collect();
        }
        start.executed = vec![ExecutedRecord {
            height,
            state_root: self.store.state_roots.last().copied().unwrap_or_default(),
            next_validator_set: self.store.pending_next_set.clone(),
        }];
        start
    }

    /// Feed one input at simulated time `sim_ms`.
    pub fn step(&mut self, sim_ms: u64, input: Input) -> Vec<Action> {
        let now = self.local_time(sim_ms);
        let Some(core) = self.core.as_mut() else {
            return Vec::new();
        };
        let ready = core.step(now, input);
        self.handle_ready(ready)
    }

    /// Answer a peer's sync request from the store and the core.
    pub fn answer_sync(&self, request: &SyncRequest) -> Option<SyncResponse> {
        let core = self.core.as_ref()?;
        let committed = &self.store.committed;
        let lookup = |height: u64| {
            height
                .checked_sub(1)
                .and_then(|i| committed.get(i as usize))
                .cloned()
        };
        Some(respond(
            request,
            lookup,
            core,
            self.config.sync_max_blocks_per_response,
            yrd_consensus::types::MAX_MESSAGE_BYTES,
        ))
    }

    fn handle_ready(&mut self, ready: yrd_consensus::Ready) -> Vec<Action> {
        let mut actions = Vec::new();
        for output in ready.outputs {
            self.perform(output, &mut actions);
        }
        if let Some(gate) = ready.persist {
            let store = &mut self.store;
            let persisted = gate.persist(|safety, voted| {
                store.safety = Some(safety.clone());
                store.voted_blocks.extend_from_slice(voted);
                let height = store.committed.len() as u64;
                store.voted_blocks.retain(|b| b.header.height > height);
                Ok::<(), std::convert::Infallible>(())
            });
            for output in persisted.unwrap_or_default() {
                self.perform(output, &mut actions);
            }
        }
        actions
    }

    fn perform(&mut self, output: Output, actions: &mut Vec<Action>) {
        match output {
            Output::Broadcast(message) => actions.push(Action::Send {
                to: Destination::Everyone,
                message,
            }),
            Output::SendTo { to, message } => actions.push(Action::Send {
                to: Destination::Key(to),
                message,
            }),
            Output::ScheduleTimer {
                epoch,
                round,
                kind,
                after_ms,
            } => actions.push(Action::Timer {
                epoch,
                round,
                kind,
                after_ms,
            }),
            Output::RequestPayload {
                round,
                height,
                max_bytes,
                ..
            } => {
                let payload = build_payload(self.index, round, height, max_bytes);
                actions.push(Action::Local(Input::PayloadReady { round, payload }));
            }
            Output::RequestSync { to, request } => actions.push(Action::Send {
                to: Destination::Key(to),
                message: ConsensusMessage::SyncRequest(request),
            }),
            Output::Commit { block, certificate } => self.execute(block, certificate, actions),
            Output::EpochChange {
                proof,
                validator_set,
            } => {
                self.store.epoch_start_round = proof
                    .headers
                    .first()
                    .map_or(1, |h| h.round.saturating_add(1));
                self.store.previous_validator_set = Some(std::mem::replace(
                    &mut self.store.validator_set,
                    validator_set.clone(),
                ));
                actions.push(Action::EpochChanged {
                    proof: Box::new(proof),
                    validator_set,
                });
            }
        }
    }

    /// Execute a committed block: extend the state hash chain and report it to the core.
    fn execute(&mut self, block: Block, certificate: CommitCertificate, actions: &mut Vec<Action>) {
        let height = block.header.height;
        let expected = self.committed_height() + 1;
        if height != expected {
            actions.push(Action::HostViolation(format!(
                "node {} committed height {height}, expected {expected}",
                self.index
            )));
            return;
        }
        let previous = self.store.state_roots.last().copied().unwrap_or_default();
        if next_epoch_set(&block.header).is_some() {
            // The scheduled change is now applied.
            self.store.pending_next_set = None;
        }
        if let Some((reconfiguration, set)) = &self.reconfiguration
            && height >= reconfiguration.at_height
            && self.store.validator_set.epoch < set.epoch
            && next_epoch_set(&block.header).is_none()
        {
            self.store.pending_next_set = Some(set.clone());
        }
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"yrd-sim/state");
        hasher.update(&previous);
        hasher.update(&height.to_le_bytes());
        hasher.update(&block.payload);
        hasher.update(&[u8::from(self.store.pending_next_set.is_some())]);
        let state_root = *hasher.finalize().as_bytes();
        self.store.state_roots.push(state_root);
        self.store.committed.push(CommittedBlock {
            block: block.clone(),
            certificate: certificate.clone(),
        });
        self.store.voted_blocks.retain(|b| b.header.height > height);
        actions.push(Action::Committed {
            height,
            block: Box::new(block),
            certificate: Box::new(certificate),
            state_root,
        });
        actions.push(Action::Local(Input::Executed(ExecutedRecord {
            height,
            state_root,
            next_validator_set: self.store.pending_next_set.clone(),
        })));
    }

    /// A signer with this node's key (for Byzantine wrappers).
    pub fn signer(&self) -> Ed25519Signer {
        Ed25519Signer::from_secret_bytes(&self.secret)
    }
}

/// A deterministic payload: 0..=max(256, max_bytes) bytes derived from who built it and where.
pub fn build_payload(index: usize, round: u64, height: u64, max_bytes: usize) -> Vec<u8> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"yrd-sim/payload");
    hasher.update(&(index as u64).to_le_bytes());
    hasher.update(&round.to_le_bytes());
    hasher.update(&height.to_le_bytes());
    let length = (round.wrapping_mul(37) % 257) as usize;
    let mut payload = vec![0u8; length.min(max_bytes)];
    hasher.finalize_xof().fill(&mut payload);
    payload
}
