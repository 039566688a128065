//! Structure-aware decoding properties: start from a valid, signed message of every kind the
//! network delivers, mutate bytes past the tag byte, and check that decoding never panics, that
//! whatever decodes re-encodes to exactly the mutated bytes, and that a core fed the decoded
//! message does not panic. Commit certificates and epoch-change proofs (light-client inputs) are
//! mutated the same way and must never verify once changed. The same samples seed `fuzz/`.

mod samples;

use proptest::prelude::*;
use samples::{SAMPLE_T0, SampleNet, release};
use yrd_consensus::codec::{decode_canonical, encode};
use yrd_consensus::{
    CommitCertificate, ConsensusMessage, EpochChangeProof, Input, verify_commit_certificate,
    verify_epoch_changes,
};

#[derive(Debug, Clone)]
enum Edit {
    Set(prop::sample::Index, u8),
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let edit = prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        4 => (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, b)| Edit::Flip(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ];
    proptest::collection::vec(edit, 1..4)
}

/// Applies `edits` to `bytes`, leaving the first `floor` bytes (the tag) alone.
fn mutate(mut bytes: Vec<u8>, edits: &[Edit], floor: usize) -> Vec<u8> {
    for edit in edits {
        let span = bytes.len().saturating_sub(floor);
        if span == 0 {
            break;
        }
        match edit {
            Edit::Set(i, b) => bytes[floor + i.index(span)] = *b,
            Edit::Flip(i, b) => bytes[floor + i.index(span)] ^= *b,
            Edit::Insert(i, b) => bytes.insert(floor + i.index(span + 1), *b),
            Edit::Remove(i) => {
                bytes.remove(floor + i.index(span));
            }
            Edit::Truncate(i) => bytes.truncate(floor + i.index(span)),
        }
    }
    bytes
}

#[test]
fn samples_cover_every_message_kind_and_round_trip() {
    let net = SampleNet::new();
    let messages = net.every_message();
    let mut tags: Vec<u8> = messages.iter().map(|m| m.encode()[0]).collect();
    tags.dedup();
    assert_eq!(tags, vec![0, 1, 2, 3, 4, 5]);
    for message in &messages {
        assert_eq!(
            ConsensusMessage::decode(&message.encode()).as_ref(),
            Ok(message)
        );
    }
    let chain = net.chain(3);
    let cert = SampleNet::commit_certificate(&chain, 0);
    assert_eq!(
        verify_commit_certificate(&net.genesis.validator_set, &chain[0].0.id(), &cert),
        Ok(())
    );
    let (proof, next) = net.epoch_change_proof();
    assert_eq!(
        verify_epoch_changes(&net.genesis.validator_set, &proof),
        Ok(next)
    );
}

/// Found by the `consensus_mutated` fuzz target (input kept in
/// `fuzz/regressions/consensus_mutated-tc-highest-qc-signer-edit`): one byte of a signer key
/// inside a TC's highest QC changed, and `verify_timeout_cert` still accepted the TC, because it
/// checks the QC's round, not its signatures. The core must verify that QC itself: a sync info
/// carrying such a TC is refused and counted against the sender, while the untampered TC moves
/// the core to the round after it.
#[test]
fn tc_with_a_tampered_highest_qc_is_refused_by_the_core() {
    use yrd_consensus::SyncInfo;
    use yrd_consensus::certificates::verify_timeout_cert;

    let net = SampleNet::new();
    let chain = net.chain(1);
    let good_tc = net.tc(2, &chain[0].1);
    let mut bad_tc = good_tc.clone();
    bad_tc.highest_qc.signatures[0].0.0[5] = 0;
    let scheme = yrd_consensus::Ed25519Scheme;
    // The function alone accepts it (documented); only the QC's signatures are wrong.
    assert_eq!(
        verify_timeout_cert(&net.genesis.validator_set, &bad_tc, &scheme),
        Ok(())
    );

    let sync_info = |tc| Input::SyncInfo {
        from: net.keys[1],
        info: Box::new(SyncInfo {
            highest_qc: net.genesis.qc(),
            highest_tc: Some(tc),
        }),
    };
    let mut core = net.core(0);
    let round_before = core.round();
    release(core.step(SAMPLE_T0 + 1, sync_info(bad_tc)));
    assert_eq!(core.round(), round_before, "a forged TC moved the round");
    assert_eq!(core.metrics().certificates_rejected_from(&net.keys[1]), 1);

    let mut core = net.core(0);
    release(core.step(SAMPLE_T0 + 1, sync_info(good_tc)));
    assert_eq!(core.round(), 3);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every message kind, mutated past its tag, decodes canonically or not at all; a decoded
    /// message delivered to a core from any validator does not panic it.
    #[test]
    fn mutated_messages_decode_canonically_and_never_panic_a_core(
        which in any::<prop::sample::Index>(),
        from in 0usize..4,
        edits in edits(),
    ) {
        let net = SampleNet::new();
        let messages = net.every_message();
        let original = &messages[which.index(messages.len())];
        let bytes = mutate(original.encode(), &edits, 1);
        if let Ok(decoded) = ConsensusMessage::decode(&bytes) {
            prop_assert_eq!(decoded.encode(), bytes);
            let mut core = net.core(0);
            if let Some(input) = Input::from_message(net.keys[from], decoded) {
                release(core.step(SAMPLE_T0 + 5, input));
            }
        }
    }

    /// A changed commit certificate never verifies for the block it was issued for.
    #[test]
    fn mutated_commit_certificates_never_verify(edits in edits()) {
        let net = SampleNet::new();
        let chain = net.chain(3);
        let cert = SampleNet::commit_certificate(&chain, 0);
        let bytes = mutate(encode(&cert), &edits, 0);
        if let Ok(decoded) = decode_canonical::<CommitCertificate>(&bytes) {
            prop_assert_eq!(encode(&decoded), bytes);
            if decoded != cert {
                prop_assert!(verify_commit_certificate(
                    &net.genesis.validator_set,
                    &chain[0].0.id(),
                    &decoded
                )
                .is_err());
            }
        }
    }

    /// A changed epoch-change proof never leads to a different validator set.
    #[test]
    fn mutated_epoch_change_proofs_never_verify_a_changed_set(edits in edits()) {
        let net = SampleNet::new();
        let (proof, next) = net.epoch_change_proof();
        let bytes = mutate(encode(&proof), &edits, 0);
        if let Ok(decoded) = decode_canonical::<EpochChangeProof>(&bytes) {
            prop_assert_eq!(encode(&decoded), bytes);
            if let Ok(set) = verify_epoch_changes(&net.genesis.validator_set, &decoded) {
                prop_assert_eq!(set, next);
            }
        }
    }
}
