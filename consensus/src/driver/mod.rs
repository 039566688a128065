//! The consensus core: one state machine per node.
//!
//! Host loop (sketch; the deterministic simulator in `yrd-tests` is a complete one):
//!
//! ```text
//! let mut core = Core::new(config, Box::new(signer));
//! handle(core.step(now_ms, Input::Start(Box::new(start_state))));
//! loop {
//!     let input = next_event();                 // network message, timer, payload, executed
//!     let ready = core.step(clock_ms(), input);
//!     for output in ready.outputs { perform(output) }    // may run before persistence
//!     if let Some(gate) = ready.persist {
//!         let sendable = gate.persist(|safety, voted| store.synced_write(safety, voted))?;
//!         for output in sendable { perform(output) }     // votes, timeouts, proposals
//!     }
//! }
//! ```
//!
//! `Broadcast` goes to every peer and back into this node; `SendTo` a node's own key is delivered
//! locally. Every input is processed against `now_ms`, the host's clock reading, which the core
//! uses for proposal timestamps, the drift check and sync retries, and never reads itself.

mod certify;
mod collectors;
mod io;
mod proposals;
mod syncing;
mod verdicts;

use std::collections::BTreeMap;

pub use io::{ExecutedRecord, Input, Output, PersistSafety, Ready, StartState, TimerKind};

use crate::block_tree::BlockTree;
use crate::certificates::{CertError, verify_quorum_cert, verify_timeout_cert};
use crate::config::Config;
use crate::crypto::{PublicKey, SignatureScheme, Signer};
use crate::leader::LeaderElection;
use crate::metrics::Metrics;
use crate::pacemaker::Pacemaker;
use crate::safety_rules::{SafetyData, SafetyRules};
use crate::suite::SuiteScheme;
use crate::sync::{SyncTracker, TargetSource};
use crate::types::{Block, BlockHeader, BlockId, Proposal, QuorumCert, TimeoutCert, ValidatorSet};
use collectors::{TimeoutCollector, VoteCollector};
use verdicts::CertVerdicts;

/// Per-step context: configuration, keys, the clock reading and the effects being collected.
pub(crate) struct Cx<'a> {
    pub(crate) config: &'a Config,
    pub(crate) signer: &'a dyn Signer,
    pub(crate) scheme: &'a dyn SignatureScheme,
    pub(crate) me: PublicKey,
    pub(crate) now_ms: u64,
    pub(crate) metrics: &'a mut Metrics,
    pub(crate) outputs: Vec<Output>,
    pub(crate) gated: Vec<Output>,
    pub(crate) voted_blocks: Vec<Block>,
}

/// State of a started node.
pub(crate) struct Running {
    pub(crate) validators: ValidatorSet,
    /// The set of the epoch before the current one, when known. Used only for QCs on the
    /// committed root while the root is the block that ended that epoch (see
    /// [`Running::verify_qc`]); once the root moves on it is never consulted.
    pub(crate) previous_validators: Option<ValidatorSet>,
    pub(crate) safety: SafetyRules,
    pub(crate) tree: BlockTree,
    pub(crate) pacemaker: Pacemaker,
    pub(crate) leader: LeaderElection,
    pub(crate) highest_qc: QuorumCert,
    pub(crate) highest_tc: Option<TimeoutCert>,
    pub(crate) votes: VoteCollector,
    pub(crate) timeouts: TimeoutCollector,
    pub(crate) executed: BTreeMap<u64, ExecutedRecord>,
    /// First valid proposal per round (a second, different one is equivocation).
    pub(crate) proposals_seen: BTreeMap<u64, BlockId>,
    /// Proposals waiting for their parent to be synced.
    pub(crate) pending_proposals: Vec<(PublicKey, Proposal)>,
    /// A block of the current round whose vote waits for the executed height it attests.
    pub(crate) deferred_vote: Option<(BlockId, Option<TimeoutCert>)>,
    pub(crate) proposed_round: u64,
    pub(crate) awaiting_payload: Option<u64>,
    pub(crate) sync: SyncTracker,
    pub(crate) cert_verdicts: CertVerdicts,
    /// Last round in which a SyncInfo was sent to each lagging peer.
    pub(crate) sync_info_sent: BTreeMap<PublicKey, u64>,
    /// Last round of ours in which each validator's far-future proposal had its QC checked.
    pub(crate) far_future_checked: BTreeMap<PublicKey, u64>,
}

/// The consensus state machine of one node. See the module docs for the host loop.
pub struct Core {
    config: Config,
    signer: Box<dyn Signer + Send>,
    scheme: Box<dyn SignatureScheme + Send>,
    me: PublicKey,
    metrics: Metrics,
    state: Option<Running>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("me", &self.me)
            .field("epoch", &self.epoch())
            .field("round", &self.round())
            .field("committed_height", &self.committed_height())
            .finish()
    }
}

impl Core {
    /// A core signing with `signer` and verifying with the process's suite's rule.
    pub fn new(config: Config, signer: Box<dyn Signer + Send>) -> Self {
        Self::with_scheme(config, signer, Box::new(SuiteScheme))
    }

    /// A core with a chosen signature scheme.
    pub fn with_scheme(
        config: Config,
        signer: Box<dyn Signer + Send>,
        scheme: Box<dyn SignatureScheme + Send>,
    ) -> Self {
        let me = signer.public_key();
        Self {
            config,
            signer,
            scheme,
            me,
            metrics: Metrics::default(),
            state: None,
        }
    }

    /// Process one input at the host's clock reading `now_ms` (milliseconds since the Unix epoch).
    pub fn step(&mut self, now_ms: u64, input: Input) -> Ready {
        let mut cx = Cx {
            config: &self.config,
            signer: self.signer.as_ref(),
            scheme: self.scheme.as_ref(),
            me: self.me,
            now_ms,
            metrics: &mut self.metrics,
            outputs: Vec::new(),
            gated: Vec::new(),
            voted_blocks: Vec::new(),
        };
        match input {
            Input::Start(start) => match Running::start(&mut cx, *start) {
                Ok(running) => self.state = Some(running),
                Err(_) => cx.metrics.dropped_invalid = cx.metrics.dropped_invalid.saturating_add(1),
            },
            other => match self.state.as_mut() {
                Some(state) => state.handle(&mut cx, other),
                None => {
                    cx.metrics.dropped_not_started =
                        cx.metrics.dropped_not_started.saturating_add(1)
                }
            },
        }
        let Cx {
            outputs,
            gated,
            voted_blocks,
            ..
        } = cx;
        let persist = match (&self.state, gated.is_empty()) {
            (Some(state), false) => Some(PersistSafety::new(
                state.safety.data().clone(),
                voted_blocks,
                gated,
            )),
            _ => None,
        };
        Ready { outputs, persist }
    }

    /// This node's key.
    pub fn public_key(&self) -> PublicKey {
        self.me
    }

    /// Counters.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// True once started.
    pub fn is_started(&self) -> bool {
        self.state.is_some()
    }

    /// Current epoch (0 before start).
    pub fn epoch(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.validators.epoch)
    }

    /// Current round (0 before start).
    pub fn round(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.pacemaker.round())
    }

    /// Height of the last committed block.
    pub fn committed_height(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| s.tree.root().height)
    }

    /// The last committed header.
    pub fn committed_tip(&self) -> Option<&BlockHeader> {
        self.state.as_ref().map(|s| s.tree.root())
    }

    /// The highest QC known.
    pub fn highest_qc(&self) -> Option<&QuorumCert> {
        self.state.as_ref().map(|s| &s.highest_qc)
    }

    /// The highest height this node knows to be certified: its highest QC's, or a higher block
    /// it is fetching because a certificate verified here names it. Unverified claims (a later
    /// epoch's messages, before the epoch change is known) never count, so a peer cannot make
    /// the node look far behind.
    pub fn highest_certified_height(&self) -> u64 {
        self.state.as_ref().map_or(0, |s| {
            let qc = s.highest_qc.vote_data.height;
            s.sync
                .highest_verified_height()
                .map_or(qc, |target| target.max(qc))
        })
    }

    /// The current validator set.
    pub fn validator_set(&self) -> Option<&ValidatorSet> {
        self.state.as_ref().map(|s| &s.validators)
    }

    /// The current safety data (what was last handed out for persistence, or newer).
    pub fn safety_data(&self) -> Option<&SafetyData> {
        self.state.as_ref().map(|s| s.safety.data())
    }

    /// The validators leader reputation passes over in the current round (failed to propose,
    /// or inactive, within the window; empty while the chain is stalled and the election runs
    /// plain round-robin). Ascending by key.
    pub fn leaders_excluded(&self) -> Vec<PublicKey> {
        self.state.as_ref().map_or_else(Vec::new, |s| {
            s.leader.excluded(s.pacemaker.round()).into_iter().collect()
        })
    }

    /// The leader of `round` in the current epoch.
    pub fn leader_of(&self, round: u64) -> Option<PublicKey> {
        self.state.as_ref().map(|s| s.leader.leader(round))
    }

    /// Uncommitted blocks from the committed tip's child up to `target`, if `target` is known
    /// (borrowed: a caller that needs only some of each block copies nothing).
    pub fn uncommitted_chain(&self, target: &BlockId) -> Option<Vec<&Block>> {
        self.state.as_ref()?.tree.path_from_root(target)
    }
}

/// Why a start state was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StartError {
    #[error("invalid validator set: {0}")]
    ValidatorSet(#[from] crate::types::ValidatorSetError),
    #[error("the committed tip's QC does not certify it")]
    TipQcMismatch,
    #[error("the previous validator set is not the set of the committed tip's ended epoch")]
    PreviousSetMismatch,
    #[error("invalid configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
}

impl Running {
    fn start(cx: &mut Cx<'_>, start: StartState) -> Result<Self, StartError> {
        cx.config.validate()?;
        start.validator_set.validate()?;
        if start.committed_tip_qc.vote_data != start.committed_tip.vote_data() {
            return Err(StartError::TipQcMismatch);
        }
        if let Some(previous) = &start.previous_validator_set {
            previous.validate()?;
            let tip_epoch = start.committed_tip.epoch;
            if previous.epoch != tip_epoch || tip_epoch == start.validator_set.epoch {
                return Err(StartError::PreviousSetMismatch);
            }
        }
        let mut safety = SafetyRules::new(start.safety_data);
        safety.start_epoch(start.validator_set.epoch);
        // A leader restarted in a round it already proposed in must not propose again.
        let proposed_round = if safety.data().epoch == start.validator_set.epoch {
            safety.data().last_proposed_round
        } else {
            0
        };
        let mut leader = LeaderElection::new(
            start.validator_set.clone(),
            start.epoch_start_round,
            cx.config.reputation_window_rounds,
            cx.config.reputation_exclude_recent_rounds,
        );
        for header in start
            .recent_committed
            .iter()
            .filter(|h| h.epoch == start.validator_set.epoch)
        {
            leader.record_commit(header);
        }
        let mut executed = BTreeMap::new();
        for record in start.executed {
            executed.insert(record.height, record);
        }
        let tree = BlockTree::new(
            start.committed_tip.clone(),
            start.committed_tip_qc.clone(),
            cx.config.max_tree_blocks,
        );
        let mut state = Self {
            validators: start.validator_set,
            previous_validators: start.previous_validator_set,
            safety,
            tree,
            pacemaker: Pacemaker::new(0),
            leader,
            highest_qc: start.committed_tip_qc,
            highest_tc: None,
            votes: VoteCollector::default(),
            timeouts: TimeoutCollector::default(),
            executed,
            proposals_seen: BTreeMap::new(),
            pending_proposals: Vec::new(),
            deferred_vote: None,
            proposed_round,
            awaiting_payload: None,
            sync: SyncTracker::default(),
            cert_verdicts: CertVerdicts::new(cx.config.certificate_verdicts_len),
            sync_info_sent: BTreeMap::new(),
            far_future_checked: BTreeMap::new(),
        };
        // Blocks this node voted for before a restart: re-insert those that still chain from the
        // tip. Their embedded QCs were verified before the vote; keep the highest even when its
        // block cannot be re-inserted, since the safety rules only let this node time out with a
        // QC at least as high as the ones it voted on (the block is synced when needed).
        let mut blocks = start.uncommitted_blocks;
        blocks.sort_by_key(|b| b.header.height);
        let mut recovered_qcs = Vec::new();
        for block in blocks {
            if block.header.epoch != state.validators.epoch {
                continue;
            }
            recovered_qcs.push(block.header.parent_qc.clone());
            let _ = state.tree.insert(block);
        }
        for qc in &recovered_qcs {
            state.tree.record_qc(qc);
        }
        if let Some(qc) = recovered_qcs.into_iter().max_by_key(QuorumCert::round)
            && qc.round() > state.highest_qc.round()
        {
            state.highest_qc = qc;
        }
        let highest = state.highest_qc.clone();
        if !state.tree.contains(&highest.block_id()) {
            let height = highest.vote_data.height;
            state.request_sync(cx, None, highest.block_id(), height, TargetSource::Verified);
        }
        // The last timeout this node signed: its certificates bring the node back to that round,
        // and it is resent there (the safety rules would refuse a timeout for an earlier round).
        let last_timeout = state.safety.data().last_timeout.clone();
        if let Some(timeout) = last_timeout.filter(|t| t.epoch == state.validators.epoch) {
            state.recover_timeout(cx, timeout);
        }
        let first_round = state
            .highest_qc
            .round()
            .saturating_add(1)
            .max(start.epoch_start_round);
        state.advance_round(cx, first_round, None);
        Ok(state)
    }

    fn handle(&mut self, cx: &mut Cx<'_>, input: Input) {
        match input {
            Input::Start(_) => {}
            Input::Proposal { from, proposal } => self.on_proposal(cx, from, *proposal),
            Input::Vote { from, vote } => self.on_vote(cx, from, vote),
            Input::Timeout { from, timeout } => self.on_timeout(cx, from, *timeout),
            Input::SyncInfo { from, info } => self.on_sync_info(cx, from, *info),
            Input::SyncResponse { from, response } => self.on_sync_response(cx, from, *response),
            Input::TimerFired { epoch, round, kind } => self.on_timer(cx, epoch, round, kind),
            Input::PayloadReady { round, payload } => self.on_payload_ready(cx, round, payload),
            Input::Executed(record) => self.on_executed(cx, record),
        }
    }

    pub(crate) fn is_validator(&self, cx: &Cx<'_>) -> bool {
        self.validators.contains(&cx.me)
    }

    /// Verify a QC, accepting the tree root's QC by equality and remembering the verdict.
    ///
    /// Right after an epoch change the root is the reconfiguration block of the ended epoch, and
    /// its QC is signed by that epoch's validators. Several valid QCs can exist for it (any
    /// quorum of its votes; a leader that collected more than a quorum, or a Byzantine leader or
    /// Twins, can embed different ones in different children), and each node took its root QC
    /// from the child it saw. A QC on exactly the root's vote data that is not byte-equal to this
    /// node's root QC is therefore checked under the ended epoch's set. Accepting only the
    /// byte-equal one split the new epoch's validators by which QC they held: each side refused
    /// the other's timeouts and proposals as invalid, and when neither side held a quorum of the
    /// new set the chain stopped for good (simulator seed 9438).
    pub(crate) fn verify_qc(&mut self, cx: &mut Cx<'_>, qc: &QuorumCert) -> Result<(), CertError> {
        if qc == self.tree.root_qc() {
            return Ok(());
        }
        let key = CertVerdicts::key(qc);
        if let Some(verdict) = self.cert_verdicts.get(&key) {
            bump(&mut cx.metrics.certificate_verdicts_reused);
            return verdict;
        }
        bump(&mut cx.metrics.certificate_verifications);
        let set = self
            .previous_validators
            .as_ref()
            .filter(|previous| {
                qc.vote_data == self.tree.root_qc().vote_data
                    && qc.vote_data.epoch == previous.epoch
                    && previous.epoch != self.validators.epoch
            })
            .unwrap_or(&self.validators);
        let verdict = verify_quorum_cert(set, qc, cx.scheme);
        self.cert_verdicts.insert(key, &verdict);
        verdict
    }

    /// Verify a TC (and its highest QC), remembering the verdict.
    pub(crate) fn verify_tc(&mut self, cx: &mut Cx<'_>, tc: &TimeoutCert) -> Result<(), CertError> {
        let key = CertVerdicts::key(tc);
        if let Some(verdict) = self.cert_verdicts.get(&key) {
            bump(&mut cx.metrics.certificate_verdicts_reused);
            return verdict;
        }
        bump(&mut cx.metrics.certificate_verifications);
        let verdict = verify_timeout_cert(&self.validators, tc, cx.scheme)
            .and_then(|()| self.verify_qc(cx, &tc.highest_qc));
        self.cert_verdicts.insert(key, &verdict);
        verdict
    }

    /// `from` sent a certificate that failed verification: count it against the peer.
    pub(crate) fn certificate_rejected(&self, cx: &mut Cx<'_>, from: PublicKey) {
        bump(&mut cx.metrics.dropped_invalid);
        cx.metrics
            .count_rejected_certificate(from, cx.config.metrics_max_peers);
    }

    /// Enter `round` if it is ahead of the current one.
    pub(crate) fn advance_round(
        &mut self,
        cx: &mut Cx<'_>,
        round: u64,
        via_tc: Option<TimeoutCert>,
    ) {
        if !self.pacemaker.advance_to(round, via_tc) {
            return;
        }
        cx.metrics.rounds_entered = cx.metrics.rounds_entered.saturating_add(1);
        self.deferred_vote = None;
        self.awaiting_payload = None;
        let keep_from = round.saturating_sub(1);
        self.votes.prune_below(keep_from);
        self.timeouts.prune_below(keep_from);
        let after_ms = self
            .pacemaker
            .timeout_ms(cx.config, self.highest_qc.round());
        cx.outputs.push(Output::ScheduleTimer {
            epoch: self.validators.epoch,
            round,
            kind: TimerKind::Round,
            after_ms,
        });
        self.try_propose(cx);
    }

    fn on_timer(&mut self, cx: &mut Cx<'_>, epoch: u64, round: u64, kind: TimerKind) {
        if epoch != self.validators.epoch || round != self.pacemaker.round() {
            return;
        }
        match kind {
            TimerKind::Round => {
                cx.metrics.round_timeouts = cx.metrics.round_timeouts.saturating_add(1);
                self.retry_sync(cx);
                if self.is_validator(cx) {
                    self.broadcast_round_vote(cx);
                    self.local_timeout(cx);
                }
                // Once this node has timed out in the round it only waits for the certificate,
                // and its timeout (or the one that would complete the TC) may have been lost:
                // resend at the base interval, not the backed-off round length, so one lost
                // message costs a second rather than a whole round (up to the 30 s cap). The
                // first firing keeps the backoff, which is what lets rounds grow long enough
                // for a slow leader.
                let after_ms = if self.pacemaker.own_timeout().is_some() {
                    cx.config.round_timeout_base_ms
                } else {
                    self.pacemaker
                        .timeout_ms(cx.config, self.highest_qc.round())
                };
                cx.outputs.push(Output::ScheduleTimer {
                    epoch,
                    round,
                    kind,
                    after_ms,
                });
            }
        }
    }

    /// Sign (or resend) this node's timeout for the current round.
    pub(crate) fn local_timeout(&mut self, cx: &mut Cx<'_>) {
        if let Some(timeout) = self.pacemaker.own_timeout() {
            let message = crate::types::ConsensusMessage::Timeout(Box::new(timeout.clone()));
            cx.gated.push(Output::Broadcast(message));
            return;
        }
        let round = self.pacemaker.round();
        let signed = self.safety.timeout(
            cx.signer,
            self.validators.epoch,
            round,
            &self.highest_qc,
            self.pacemaker.last_round_tc(),
        );
        if let Ok(timeout) = signed {
            cx.metrics.timeouts_sent = cx.metrics.timeouts_sent.saturating_add(1);
            self.pacemaker.set_own_timeout(timeout.clone());
            let message = crate::types::ConsensusMessage::Timeout(Box::new(timeout));
            cx.gated.push(Output::Broadcast(message));
        }
    }

    /// On a round timeout, send this node's vote of the round (if it voted) to every
    /// validator, not only to the next leader: when that leader is silent or crashed the vote
    /// would otherwise be lost with it, and the round, though its block had a quorum, would
    /// end in a timeout certificate and backoff. Any node holding a quorum of these votes forms
    /// the QC itself ([`Self::on_vote`] accepts votes for the current round or later from
    /// broadcasts).
    fn broadcast_round_vote(&self, cx: &mut Cx<'_>) {
        let round = self.pacemaker.round();
        let Some(vote) = self.safety.data().last_vote.as_ref() else {
            return;
        };
        if vote.vote_data.round != round || vote.vote_data.epoch != self.validators.epoch {
            return;
        }
        cx.gated
            .push(Output::Broadcast(crate::types::ConsensusMessage::Vote(
                vote.clone(),
            )));
    }

    /// Re-enter the round of this node's own persisted timeout and resend it from there.
    fn recover_timeout(&mut self, cx: &mut Cx<'_>, timeout: crate::types::TimeoutMsg) {
        let qc = timeout.highest_qc.clone();
        if qc.vote_data.epoch == self.validators.epoch {
            self.process_qc(cx, &qc, None);
        }
        if let Some(tc) = &timeout.last_round_tc {
            self.process_tc(cx, tc);
        }
        if self.pacemaker.round() == timeout.round {
            self.pacemaker.set_own_timeout(timeout);
        }
    }

    fn on_executed(&mut self, cx: &mut Cx<'_>, record: ExecutedRecord) {
        self.executed.insert(record.height, record);
        while self.executed.len() > cx.config.executed_history_len.max(1) {
            self.executed.pop_first();
        }
        if let Some((block, tc)) = self.deferred_vote.take() {
            self.try_vote(cx, &block, tc.as_ref());
        }
    }
}

/// Add one to a counter.
pub(crate) fn bump(counter: &mut u64) {
    *counter = counter.saturating_add(1);
}
