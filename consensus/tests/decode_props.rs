//! Decoding bytes from the network never panics, and what decodes re-encodes to the same bytes.

use proptest::prelude::*;
use yrd_consensus::{BlockId, ConsensusMessage, Ed25519Signer, Vote, VoteData};

fn vote_bytes(round: u64) -> Vec<u8> {
    let data = VoteData {
        epoch: 0,
        round,
        height: round,
        block_id: BlockId([3; 32]),
    };
    ConsensusMessage::Vote(Vote::sign(
        data,
        &Ed25519Signer::from_secret_bytes(&[5; 32]),
    ))
    .encode()
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        if let Ok(message) = ConsensusMessage::decode(&bytes) {
            prop_assert_eq!(message.encode(), bytes);
        }
    }

    #[test]
    fn mutated_votes_decode_canonically_or_not_at_all(
        round in any::<u64>(),
        index in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let mut bytes = vote_bytes(round);
        let position = index.index(bytes.len());
        bytes[position] ^= flip;
        if let Ok(message) = ConsensusMessage::decode(&bytes) {
            prop_assert_eq!(message.encode(), bytes);
        }
    }
}
