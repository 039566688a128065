//! Byzantine members: a real host whose traffic is rewritten on its way out, by the network
//! port it sends through ([`super::fabric`]). The host itself runs the protocol honestly; what
//! reaches the others is what a faulty or malicious member would send.
//!
//! - [`Behaviour`]: what the member does.
//! - [`rewrite`]: the messages it really sends when its host sends one consensus message to one
//!   validator (the host sends a broadcast as one send per validator).
//! - [`forgery`]: messages no honest node sends — far-epoch and far-height floods, timeouts
//!   carrying invalid QCs, maximal sync requests, wrong or truncated sync answers, noise.
//! - [`selective`]: honest messages sent to the wrong few — a leader withholding its proposal
//!   from some validators, a validator voting only for its own proposals.
//!
//! Amnesia (a member restarted from a wiped data folder) and Twins (two running hosts sharing
//! one validator key) are made by the run itself ([`super::run`]).

mod forgery;
mod selective;

use std::collections::BTreeSet;

use yrd_consensus::types::payload_digest;
use yrd_consensus::{BlockId, ConsensusMessage, Proposal, SuiteSigner, Vote, VoteData};

pub use forgery::{corrupt_bytes, serve_sync};

/// How a member behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Follows the protocol.
    Honest,
    /// Runs the protocol but never sends anything, nor answers.
    Silent,
    /// As leader, sends one proposal to half the validators and a different one to the others.
    Equivocator,
    /// Votes twice every time: once as the protocol says and once for a block that does not exist.
    DoubleVoter,
    /// Is wiped and restarted with the same key: it forgets what it voted.
    Amnesiac,
    /// Two running hosts sharing one validator key, each over its own data folder (Twins).
    Twin,
    /// With every proposal and timeout, floods forgeries naming later epochs and far heights
    /// (sync-target poisoning).
    FutureFlooder,
    /// Re-sends validly signed timeouts carrying an invalid QC.
    InvalidQcSpammer,
    /// As leader, sends its proposal to only some validators.
    WithholdingLeader,
    /// Votes only for its own proposals.
    SelfishVoter,
    /// Asks every peer for every block up to the largest height, and serves empty, truncated or
    /// altered sync answers.
    SyncAbuser,
    /// Corrupts every answer it gives to a request (cut short, a byte flipped, or noise) and
    /// sends noise as consensus messages now and then.
    Garbler,
}

impl Behaviour {
    /// Every Byzantine behaviour, in the order runs draw them from.
    pub const BYZANTINE: [Behaviour; 11] = [
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
        Behaviour::Garbler,
    ];

    /// The behaviour named `name` (as `Debug` prints it), for replaying a forced behaviour.
    pub fn from_name(name: &str) -> Option<Behaviour> {
        Self::BYZANTINE
            .into_iter()
            .find(|behaviour| format!("{behaviour:?}").eq_ignore_ascii_case(name))
    }
}

/// What a Byzantine member remembers between the messages it rewrites.
#[derive(Clone, Debug, Default)]
pub struct ByzantineState {
    /// Blocks it proposed (recent ones), for the selfish voter.
    pub own_blocks: BTreeSet<BlockId>,
    /// Forgeries made so far: makes each forged message different.
    pub forged: u64,
}

/// Recent own blocks remembered.
const OWN_BLOCKS_KEPT: usize = 64;

/// What leaves a Byzantine member for one recipient.
#[derive(Clone, Debug)]
pub enum Wire {
    /// A one-way consensus message.
    Message(ConsensusMessage),
    /// A request (whose answer it ignores).
    Request(ConsensusMessage),
}

/// Who a Byzantine member is, for the rewriting.
pub struct Sender<'a> {
    /// Its behaviour.
    pub behaviour: Behaviour,
    /// A signer with its validator key.
    pub signer: &'a SuiteSigner,
    /// Its running instance's index.
    pub me: usize,
    /// Its memory.
    pub state: &'a mut ByzantineState,
}

/// What member `sender` really sends to the instance `to` when its host sends `message` there.
pub fn rewrite(sender: Sender<'_>, to: usize, message: ConsensusMessage) -> Vec<Wire> {
    let Sender {
        behaviour,
        signer,
        me,
        state,
    } = sender;
    let one = |message| vec![Wire::Message(message)];
    match (behaviour, message) {
        (Behaviour::Silent, _) => Vec::new(),
        (Behaviour::Equivocator, ConsensusMessage::Proposal(proposal)) => {
            // Signatures are deterministic: every recipient of the other half gets the same twin.
            if to % 2 == me % 2 {
                one(ConsensusMessage::Proposal(proposal))
            } else {
                one(ConsensusMessage::Proposal(conflicting_proposal(
                    &proposal, signer,
                )))
            }
        }
        (Behaviour::DoubleVoter, ConsensusMessage::Vote(vote)) => {
            let other = conflicting_vote(&vote, signer);
            vec![
                Wire::Message(ConsensusMessage::Vote(vote)),
                Wire::Message(ConsensusMessage::Vote(other)),
            ]
        }
        (Behaviour::FutureFlooder, message) => {
            let mut sends: Vec<Wire> = forgery::far_flood(signer, state, &message)
                .into_iter()
                .map(Wire::Message)
                .collect();
            sends.push(Wire::Message(message));
            sends
        }
        (Behaviour::InvalidQcSpammer, message) => {
            let mut sends: Vec<Wire> = forgery::invalid_qc_timeouts(signer, &message)
                .into_iter()
                .map(Wire::Message)
                .collect();
            sends.push(Wire::Message(message));
            sends
        }
        (Behaviour::SyncAbuser, message) => {
            let mut sends: Vec<Wire> = forgery::maximal_sync_request(state, &message)
                .into_iter()
                .map(Wire::Request)
                .collect();
            sends.push(Wire::Message(message));
            sends
        }
        (Behaviour::WithholdingLeader, ConsensusMessage::Proposal(proposal)) => {
            selective::withheld_proposal(to, proposal)
                .map(Wire::Message)
                .into_iter()
                .collect()
        }
        (Behaviour::SelfishVoter, message) => selective::selfish(state, message)
            .map(Wire::Message)
            .into_iter()
            .collect(),
        (_, message) => one(message),
    }
}

/// Remember a block this member proposed.
fn remember_own_block(state: &mut ByzantineState, id: BlockId) {
    state.own_blocks.insert(id);
    while state.own_blocks.len() > OWN_BLOCKS_KEPT {
        state.own_blocks.pop_first();
    }
}

/// The same proposal with another payload, properly signed: a second block for the same round.
fn conflicting_proposal(proposal: &Proposal, signer: &SuiteSigner) -> Box<Proposal> {
    let mut block = proposal.block.clone();
    block.payload.push(0xEE);
    block.header.payload_digest = payload_digest(&block.payload);
    Box::new(Proposal::sign(block, proposal.timeout_cert.clone(), signer))
}

/// A validly signed vote for a block that does not exist, in the same round.
fn conflicting_vote(vote: &Vote, signer: &SuiteSigner) -> Vote {
    let mut data: VoteData = vote.vote_data;
    data.block_id.0 = *blake3::hash(&data.block_id.0).as_bytes();
    Vote::sign(data, signer)
}
