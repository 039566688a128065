//! Byzantine wrappers: they rewrite what an otherwise honest core sends.
//!
//! Amnesia (restart without safety data) lives in the node harness's start state and Twins in the
//! way the simulator builds nodes; the behaviours here act on outgoing messages.

use yrd_consensus::types::payload_digest;
use yrd_consensus::{ConsensusMessage, Ed25519Signer, Proposal, Vote, VoteData};

use super::node::Destination;
use super::scenario::Behaviour;

/// The messages a node with `behaviour` really sends when its core asks to send `message` to
/// `to`. `instances` is the number of node instances; `me` is the sender's instance index.
pub fn rewrite_send(
    behaviour: Behaviour,
    signer: &Ed25519Signer,
    me: usize,
    instances: usize,
    to: Destination,
    message: ConsensusMessage,
) -> Vec<(Destination, ConsensusMessage)> {
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
        (_, message) => vec![(to, message)],
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
