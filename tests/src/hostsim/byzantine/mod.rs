//! Byzantine wrappers: they rewrite what an otherwise honest core sends.
//!
//! Amnesia (restart without safety data) lives in the node harness's start state and Twins in the
//! way the simulator builds nodes; the behaviours here act on outgoing messages ([`rewrite_send`])
//! and, for the sync abuser, on the sync responses a node serves ([`serve_sync`]).
//!
//! - [`forgery`]: messages no honest node sends — far-epoch and far-height floods, timeouts
//!   carrying invalid QCs, maximal sync requests and wrong or truncated sync responses.
//! - [`selective`]: honest messages sent to the wrong few — a leader withholding its proposal
//!   from some validators, a validator voting only for its own proposals.

mod forgery;
mod selective;

use std::collections::BTreeSet;

use yrd_consensus::types::payload_digest;
use yrd_consensus::{BlockId, ConsensusMessage, Ed25519Signer, Proposal, Vote, VoteData};

pub use forgery::serve_sync;

use super::node::Destination;
use super::scenario::Behaviour;

/// What a Byzantine node remembers between the messages it rewrites.
#[derive(Clone, Debug, Default)]
pub struct ByzantineState {
    /// Blocks this node proposed (recent ones), for the selfish voter.
    pub own_blocks: BTreeSet<BlockId>,
    /// Forgeries made so far: makes each forged message different.
    pub forged: u64,
}

/// Recent own blocks remembered.
const OWN_BLOCKS_KEPT: usize = 64;

/// Who a Byzantine node is and what it can do, for the wrappers.
pub struct Sender<'a> {
    /// Its behaviour.
    pub behaviour: Behaviour,
    /// A signer with its key.
    pub signer: &'a Ed25519Signer,
    /// Its instance index.
    pub me: usize,
    /// Number of node instances.
    pub instances: usize,
    /// Its memory.
    pub state: &'a mut ByzantineState,
}

/// The messages a node really sends when its core asks to send `message` to `to`.
pub fn rewrite_send(
    sender: Sender<'_>,
    to: Destination,
    message: ConsensusMessage,
) -> Vec<(Destination, ConsensusMessage)> {
    let Sender {
        behaviour,
        signer,
        me,
        instances,
        state,
    } = sender;
    match (behaviour, message) {
        (Behaviour::Silent, _) => Vec::new(),
        (Behaviour::Equivocator, ConsensusMessage::Proposal(proposal))
            if to == Destination::Everyone =>
        {
            let twin = conflicting_proposal(&proposal, signer);
            (0..instances)
                .map(|i| {
                    let chosen = if i % 2 == me % 2 {
                        proposal.clone()
                    } else {
                        twin.clone()
                    };
                    (Destination::Instance(i), ConsensusMessage::Proposal(chosen))
                })
                .collect()
        }
        (Behaviour::DoubleVoter, ConsensusMessage::Vote(vote)) => {
            let other = conflicting_vote(&vote, signer);
            vec![
                (to.clone(), ConsensusMessage::Vote(vote)),
                (to, ConsensusMessage::Vote(other)),
            ]
        }
        (Behaviour::FutureFlooder, message) => {
            let mut sends = forgery::far_flood(signer, state, &message);
            sends.push((to, message));
            sends
        }
        (Behaviour::InvalidQcSpammer, message) => {
            let mut sends = forgery::invalid_qc_timeouts(signer, &message);
            sends.push((to, message));
            sends
        }
        (Behaviour::SyncAbuser, message) => {
            let mut sends = forgery::maximal_sync_requests(me, instances, state, &message);
            sends.push((to, message));
            sends
        }
        (Behaviour::WithholdingLeader, ConsensusMessage::Proposal(proposal))
            if to == Destination::Everyone =>
        {
            selective::withheld_proposal(me, instances, proposal)
        }
        (Behaviour::SelfishVoter, message) => selective::selfish(state, to, message),
        (_, message) => vec![(to, message)],
    }
}

/// Remember a block this node proposed.
fn remember_own_block(state: &mut ByzantineState, id: BlockId) {
    state.own_blocks.insert(id);
    while state.own_blocks.len() > OWN_BLOCKS_KEPT {
        state.own_blocks.pop_first();
    }
}

/// The same proposal with another payload, properly signed: a second block for the same round.
fn conflicting_proposal(proposal: &Proposal, signer: &Ed25519Signer) -> Box<Proposal> {
    let mut block = proposal.block.clone();
    block.payload.push(0xEE);
    block.header.payload_digest = payload_digest(&block.payload);
    Box::new(Proposal::sign(block, proposal.timeout_cert.clone(), signer))
}

/// A validly signed vote for a block that does not exist, in the same round.
fn conflicting_vote(vote: &Vote, signer: &Ed25519Signer) -> Vote {
    let mut data: VoteData = vote.vote_data;
    data.block_id.0 = *blake3::hash(&data.block_id.0).as_bytes();
    Vote::sign(data, signer)
}
