//! Structure-aware: a valid, signed message of every kind the network delivers, with byte edits
//! past the tag. Accepted bytes re-encode to themselves, and an edited message never passes the
//! signature or certificate checks it passed before unless it decodes to the original.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use yrd_consensus::certificates::{verify_quorum_cert, verify_timeout_cert};
use yrd_consensus::{ConsensusMessage, Ed25519Scheme, QuorumCert, TimeoutCert, ValidatorSet};
use yrd_fuzz::MutatedSample;
use yrd_fuzz::consensus_samples::SampleNet;

struct Samples {
    set: ValidatorSet,
    root_qc: QuorumCert,
    encoded: Vec<Vec<u8>>,
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let net = SampleNet::new();
    Samples {
        encoded: net
            .every_message()
            .iter()
            .map(ConsensusMessage::encode)
            .collect(),
        root_qc: net.genesis.qc(),
        set: net.genesis.validator_set,
    }
});

/// A QC as the core accepts it: the root QC by equality, any other by its signatures.
fn qc_ok(qc: &QuorumCert) -> bool {
    *qc == SAMPLES.root_qc || verify_quorum_cert(&SAMPLES.set, qc, &Ed25519Scheme).is_ok()
}

/// A TC as the core accepts it: its timeout signatures and quorum, and its highest QC (which
/// `verify_timeout_cert` checks only for its round; the core verifies it separately).
fn tc_ok(tc: &TimeoutCert) -> bool {
    verify_timeout_cert(&SAMPLES.set, tc, &Ed25519Scheme).is_ok() && qc_ok(&tc.highest_qc)
}

fuzz_target!(|sample: MutatedSample| {
    let bytes = sample.apply(&SAMPLES.encoded);
    let Ok(message) = ConsensusMessage::decode(&bytes) else {
        return;
    };
    assert_eq!(
        message.encode(),
        bytes,
        "accepted bytes must re-encode to themselves"
    );
    if SAMPLES.encoded.contains(&bytes) {
        return;
    }
    let scheme = Ed25519Scheme;
    let original = &SAMPLES.encoded[usize::from(sample.which) % SAMPLES.encoded.len()];
    let Ok(original) = ConsensusMessage::decode(original) else {
        return;
    };
    // An edited message that passes every check the core makes on it can only be the original
    // with an optional certificate dropped: everything else is covered by a signature, a
    // certificate or a digest.
    let kept_or_dropped = |edited: &Option<TimeoutCert>, original: &Option<TimeoutCert>| {
        edited.is_none() || edited == original
    };
    match (&message, &original) {
        (ConsensusMessage::Proposal(proposal), ConsensusMessage::Proposal(before)) => {
            let sound = proposal.verify_signature(&scheme)
                && proposal.block.payload_matches()
                && qc_ok(&proposal.block.header.parent_qc)
                && proposal.timeout_cert.as_ref().is_none_or(tc_ok);
            if sound {
                assert_eq!(
                    proposal.block, before.block,
                    "edited proposal block verifies"
                );
                assert_eq!(proposal.signature, before.signature);
                assert!(kept_or_dropped(
                    &proposal.timeout_cert,
                    &before.timeout_cert
                ));
            }
        }
        (ConsensusMessage::Vote(vote), _) => assert!(!vote.verify(&scheme), "edited vote verifies"),
        (ConsensusMessage::Timeout(timeout), ConsensusMessage::Timeout(before)) => {
            let sound = timeout.verify_signature(&scheme)
                && qc_ok(&timeout.highest_qc)
                && timeout.last_round_tc.as_ref().is_none_or(tc_ok);
            if sound {
                assert_eq!(
                    (
                        timeout.epoch,
                        timeout.round,
                        &timeout.highest_qc,
                        timeout.author
                    ),
                    (
                        before.epoch,
                        before.round,
                        &before.highest_qc,
                        before.author
                    ),
                    "edited timeout verifies"
                );
                assert!(kept_or_dropped(
                    &timeout.last_round_tc,
                    &before.last_round_tc
                ));
            }
        }
        (ConsensusMessage::SyncInfo(info), ConsensusMessage::SyncInfo(before))
            if qc_ok(&info.highest_qc) && info.highest_tc.as_ref().is_none_or(tc_ok) =>
        {
            assert_eq!(
                info.highest_qc, before.highest_qc,
                "edited sync info verifies"
            );
            assert!(kept_or_dropped(&info.highest_tc, &before.highest_tc));
        }
        _ => {}
    }
});
