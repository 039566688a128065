//! Honest messages sent to the wrong few.

use yrd_consensus::{ConsensusMessage, Proposal};

use super::{ByzantineState, remember_own_block};

/// A leader that withholds its proposal from some validators: by the round's parity every
/// other instance gets it, the rest never do. Depending on the round the block gathers a quorum
/// without them (they must sync it) or the round fails.
pub(super) fn withheld_proposal(to: usize, proposal: Box<Proposal>) -> Option<ConsensusMessage> {
    let round = proposal.block.header.round;
    ((to as u64 + round) % 2 == 1).then_some(ConsensusMessage::Proposal(proposal))
}

/// A validator that votes only for its own proposals (and sends everything else as usual).
pub(super) fn selfish(
    state: &mut ByzantineState,
    message: ConsensusMessage,
) -> Option<ConsensusMessage> {
    match &message {
        ConsensusMessage::Proposal(proposal) => remember_own_block(state, proposal.block.id()),
        ConsensusMessage::Vote(vote) if !state.own_blocks.contains(&vote.vote_data.block_id) => {
            return None;
        }
        _ => {}
    }
    Some(message)
}
