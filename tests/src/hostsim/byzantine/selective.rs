//! Honest messages sent to the wrong few.

use yrd_consensus::{ConsensusMessage, Proposal};

use super::{ByzantineState, remember_own_block};
use crate::sim::node::Destination;

/// A leader that withholds its proposal from some validators: this node and, by the round's
/// parity, every other or every second instance get it, the rest never do. Depending on the
/// round the block gathers a quorum without them (they must sync it) or the round fails.
pub(super) fn withheld_proposal(
    me: usize,
    instances: usize,
    proposal: Box<Proposal>,
) -> Vec<(Destination, ConsensusMessage)> {
    let round = proposal.block.header.round;
    (0..instances)
        .filter(|i| *i == me || (*i as u64 + round) % 2 == 1)
        .map(|i| {
            (
                Destination::Instance(i),
                ConsensusMessage::Proposal(proposal.clone()),
            )
        })
        .collect()
}

/// A validator that votes only for its own proposals (and sends everything else as usual).
pub(super) fn selfish(
    state: &mut ByzantineState,
    to: Destination,
    message: ConsensusMessage,
) -> Vec<(Destination, ConsensusMessage)> {
    match &message {
        ConsensusMessage::Proposal(proposal) => remember_own_block(state, proposal.block.id()),
        ConsensusMessage::Vote(vote) if !state.own_blocks.contains(&vote.vote_data.block_id) => {
            return Vec::new();
        }
        _ => {}
    }
    vec![(to, message)]
}
