//! Arbitrary bytes as a consensus message (every kind the network delivers): never a panic;
//! accepted bytes re-encode to themselves; the verification the core runs on each kind (block
//! ids, payload digests, signatures, QCs, TCs, commit certificates, validator sets) never panics.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use yrd_consensus::certificates::{verify_quorum_cert, verify_timeout_cert};
use yrd_consensus::{ConsensusMessage, Ed25519Scheme, ValidatorSet, verify_commit_certificate};
use yrd_fuzz::consensus_samples::SampleNet;

static SET: LazyLock<ValidatorSet> = LazyLock::new(|| SampleNet::new().genesis.validator_set);

/// Everything a receiver checks on a decoded message, none of which may panic.
pub fn exercise(message: &ConsensusMessage, set: &ValidatorSet) {
    let scheme = Ed25519Scheme;
    match message {
        ConsensusMessage::Proposal(proposal) => {
            let _ = proposal.block.id();
            let _ = proposal.block.payload_matches();
            let _ = proposal.verify_signature(&scheme);
            let _ = verify_quorum_cert(set, &proposal.block.header.parent_qc, &scheme);
            if let Some(tc) = &proposal.timeout_cert {
                let _ = verify_timeout_cert(set, tc, &scheme);
            }
            if let Some(next) = &proposal.block.header.next_validator_set {
                let _ = next.validate();
                let _ = next.quorum_power();
            }
        }
        ConsensusMessage::Vote(vote) => {
            let _ = vote.verify(&scheme);
        }
        ConsensusMessage::Timeout(timeout) => {
            let _ = timeout.verify_signature(&scheme);
            let _ = verify_quorum_cert(set, &timeout.highest_qc, &scheme);
            if let Some(tc) = &timeout.last_round_tc {
                let _ = verify_timeout_cert(set, tc, &scheme);
            }
        }
        ConsensusMessage::SyncInfo(info) => {
            let _ = verify_quorum_cert(set, &info.highest_qc, &scheme);
            if let Some(tc) = &info.highest_tc {
                let _ = verify_timeout_cert(set, tc, &scheme);
            }
        }
        ConsensusMessage::SyncRequest(_) => {}
        ConsensusMessage::SyncResponse(response) => {
            for committed in &response.committed {
                let _ = committed.block.payload_matches();
                let _ =
                    verify_commit_certificate(set, &committed.block.id(), &committed.certificate);
            }
            for block in &response.uncommitted {
                let _ = block.id();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = ConsensusMessage::decode(data) {
        assert_eq!(
            message.encode(),
            data,
            "accepted bytes must re-encode to themselves"
        );
        exercise(&message, &SET);
    }
});
