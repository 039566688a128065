//! What goes into the core and what comes out of it.
//!
//! Outputs that may leave at once are in [`Ready::outputs`]. Signed votes, timeouts and this
//! node's proposals are only inside [`PersistSafety`], which releases them from [`PersistSafety::persist`] after the host's
//! write callback succeeded: a host cannot obtain a sendable vote without being handed the safety
//! data to persist first, and an error from the write keeps the vote from ever leaving.

use crate::certificates::CommitCertificate;
use crate::crypto::PublicKey;
use crate::safety_rules::SafetyData;
use crate::types::{
    Block, BlockHeader, ConsensusMessage, Genesis, Proposal, QuorumCert, SyncInfo, SyncRequest,
    SyncResponse, TimeoutMsg, ValidatorSet, Vote,
};

/// Kinds of timers the core schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum TimerKind {
    /// The round timer: when it fires in the same round, the node times out (and resends its
    /// timeout on every later firing); it also drives sync retries.
    Round,
}

/// The host's report that it executed a committed height.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutedRecord {
    /// Height executed.
    pub height: u64,
    /// State root after it.
    pub state_root: [u8; 32],
    /// The validator set the state schedules for the next epoch, while one is pending.
    pub next_validator_set: Option<ValidatorSet>,
}

/// Everything a node needs to (re)start: the committed tip, persisted safety data and, after a
/// restart, the blocks it had voted for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StartState {
    /// Validator set of the committed tip's epoch (or of the epoch it hands over to).
    pub validator_set: ValidatorSet,
    /// First round of that epoch (1 at genesis; the reconfiguration block's round + 1 after).
    pub epoch_start_round: u64,
    /// The last safety data the host persisted (or [`SafetyData::new`] on first start).
    pub safety_data: SafetyData,
    /// The last committed block.
    pub committed_tip: BlockHeader,
    /// The QC certifying it (its child's `parent_qc`; [`Genesis::qc`] at genesis).
    pub committed_tip_qc: QuorumCert,
    /// When the committed tip is the reconfiguration block that ended the previous epoch: that
    /// epoch's validator set (the one whose quorum certified the tip). Peers may hold another
    /// valid QC on the tip (another quorum of its votes) and carry it in their timeouts and in
    /// the new epoch's first proposals; it can only be checked under this set. `None` at genesis
    /// or when unknown: then only `committed_tip_qc` itself is accepted for the tip.
    pub previous_validator_set: Option<ValidatorSet>,
    /// Recently committed headers, ascending (for leader reputation; a window is enough).
    pub recent_committed: Vec<BlockHeader>,
    /// Uncommitted blocks the node persisted with its votes ([`PersistSafety::voted_blocks`]).
    pub uncommitted_blocks: Vec<Block>,
    /// Latest executed heights (at least the newest).
    pub executed: Vec<ExecutedRecord>,
}

impl StartState {
    /// The state of a node starting at genesis.
    pub fn from_genesis(genesis: &Genesis) -> Self {
        Self {
            validator_set: genesis.validator_set.clone(),
            epoch_start_round: 1,
            safety_data: SafetyData::new(genesis.validator_set.epoch),
            committed_tip: genesis.header(),
            committed_tip_qc: genesis.qc(),
            previous_validator_set: None,
            recent_committed: Vec::new(),
            uncommitted_blocks: Vec::new(),
            executed: vec![ExecutedRecord {
                height: 0,
                state_root: genesis.state_root,
                next_validator_set: None,
            }],
        }
    }
}

/// One input to [`crate::Core::step`].
#[derive(Clone, Debug)]
pub enum Input {
    /// Start (or restart) the node. Other inputs are ignored before it.
    Start(Box<StartState>),
    /// A proposal from the network (`from` is the sending peer's validator key).
    Proposal {
        /// Sending peer.
        from: PublicKey,
        /// The proposal.
        proposal: Box<Proposal>,
    },
    /// A vote.
    Vote {
        /// Sending peer.
        from: PublicKey,
        /// The vote.
        vote: Vote,
    },
    /// A timeout.
    Timeout {
        /// Sending peer.
        from: PublicKey,
        /// The timeout.
        timeout: Box<TimeoutMsg>,
    },
    /// A peer's highest certificates.
    SyncInfo {
        /// Sending peer.
        from: PublicKey,
        /// The certificates.
        info: Box<SyncInfo>,
    },
    /// The answer to an [`Output::RequestSync`].
    SyncResponse {
        /// Sending peer.
        from: PublicKey,
        /// The blocks.
        response: Box<SyncResponse>,
    },
    /// A timer scheduled by [`Output::ScheduleTimer`] fired.
    TimerFired {
        /// Epoch it was scheduled in.
        epoch: u64,
        /// Round it was scheduled for.
        round: u64,
        /// Which timer.
        kind: TimerKind,
    },
    /// The payload asked for by [`Output::RequestPayload`].
    PayloadReady {
        /// Round it was requested for.
        round: u64,
        /// Payload bytes (at most the requested size).
        payload: Vec<u8>,
    },
    /// The host executed a committed block.
    Executed(ExecutedRecord),
}

impl Input {
    /// The input for a message received from `from`; `None` for sync requests, which the host
    /// answers itself (see [`crate::sync::respond`]).
    pub fn from_message(from: PublicKey, message: ConsensusMessage) -> Option<Self> {
        Some(match message {
            ConsensusMessage::Proposal(proposal) => Input::Proposal { from, proposal },
            ConsensusMessage::Vote(vote) => Input::Vote { from, vote },
            ConsensusMessage::Timeout(timeout) => Input::Timeout { from, timeout },
            ConsensusMessage::SyncInfo(info) => Input::SyncInfo { from, info },
            ConsensusMessage::SyncResponse(response) => Input::SyncResponse { from, response },
            ConsensusMessage::SyncRequest(_) => return None,
        })
    }
}

/// One effect for the host to carry out.
// Outputs live for one step and are consumed at once; boxing the large variants would only add
// allocations and noise at every match.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// Send to every peer *and deliver to this node itself*.
    Broadcast(ConsensusMessage),
    /// Send to one validator (deliver locally when `to` is this node).
    SendTo {
        /// Recipient.
        to: PublicKey,
        /// Message.
        message: ConsensusMessage,
    },
    /// Call back with [`Input::TimerFired`] after `after_ms`.
    ScheduleTimer {
        /// Epoch.
        epoch: u64,
        /// Round.
        round: u64,
        /// Which timer.
        kind: TimerKind,
        /// Delay in milliseconds.
        after_ms: u64,
    },
    /// Build a payload of at most `max_bytes` and answer with [`Input::PayloadReady`].
    RequestPayload {
        /// Epoch.
        epoch: u64,
        /// Round.
        round: u64,
        /// Height of the block being built.
        height: u64,
        /// Size limit.
        max_bytes: usize,
    },
    /// Send `request` to `to` and feed the answer back as [`Input::SyncResponse`].
    RequestSync {
        /// The peer to ask.
        to: PublicKey,
        /// What to ask for.
        request: SyncRequest,
    },
    /// `peer` sent something that proves it faulty (a sync answer whose block, next in line
    /// after this node's committed tip, does not match its own certificate or whose certificate
    /// does not verify; or an answer above the size limit). The host tells the network, which
    /// lowers the peer's standing; nothing from the answer past that point was used.
    PeerMisbehaved {
        /// The peer.
        peer: PublicKey,
        /// What it did.
        reason: &'static str,
    },
    /// A block committed (emitted in height order, each height once). The host stores it with
    /// its certificate, executes it and reports [`Input::Executed`].
    Commit {
        /// The block.
        block: Block,
        /// Proof that it committed.
        certificate: CommitCertificate,
    },
    /// An epoch ended at a committed reconfiguration block; `validator_set` now votes.
    EpochChange {
        /// Commit certificate of the reconfiguration block (one link of an epoch-change proof).
        proof: CommitCertificate,
        /// The new validator set.
        validator_set: ValidatorSet,
    },
}

/// What one step asks the host to do.
#[derive(Debug, Default)]
#[must_use = "a Ready holds messages and effects the host must carry out"]
pub struct Ready {
    /// Effects that need no persistence first, in order.
    pub outputs: Vec<Output>,
    /// Votes, timeouts and proposals, released only after the safety data is persisted.
    pub persist: Option<PersistSafety>,
}

/// Signed votes, timeouts and proposals behind the safety data that must be durable before they leave.
#[derive(Debug)]
#[must_use = "votes and timeouts are lost unless the safety data is persisted"]
pub struct PersistSafety {
    safety_data: SafetyData,
    voted_blocks: Vec<Block>,
    gated: Vec<Output>,
}

impl PersistSafety {
    pub(crate) fn new(
        safety_data: SafetyData,
        voted_blocks: Vec<Block>,
        gated: Vec<Output>,
    ) -> Self {
        Self {
            safety_data,
            voted_blocks,
            gated,
        }
    }

    /// The safety data to persist.
    pub fn safety_data(&self) -> &SafetyData {
        &self.safety_data
    }

    /// Blocks voted for in this step; persist them too, and pass them back in
    /// [`StartState::uncommitted_blocks`] after a restart.
    pub fn voted_blocks(&self) -> &[Block] {
        &self.voted_blocks
    }

    /// Persist with `write` (a synced write of the safety data and voted blocks) and, only if it
    /// succeeded, get the votes, timeouts and proposals that may now be sent.
    pub fn persist<E>(
        self,
        write: impl FnOnce(&SafetyData, &[Block]) -> Result<(), E>,
    ) -> Result<Vec<Output>, E> {
        write(&self.safety_data, &self.voted_blocks)?;
        Ok(self.gated)
    }
}
