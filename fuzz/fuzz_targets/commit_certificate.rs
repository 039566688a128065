//! Light-client inputs: commit certificates and epoch-change proofs (what `yrd verify` and any
//! offline verifier check against the genesis validator set), raw or as real ones with byte
//! edits. Verification never panics; an edited certificate never verifies for its block; an
//! edited epoch-change proof never leads to another validator set.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_consensus::codec::{decode_canonical, encode};
use yrd_consensus::epoch::MAX_EPOCH_CHANGES_PER_PROOF;
use yrd_consensus::{
    BlockId, CommitCertificate, EpochChangeProof, ValidatorSet, verify_commit_certificate,
    verify_epoch_changes,
};
use yrd_fuzz::consensus_samples::SampleNet;
use yrd_fuzz::{Edit, mutate};

struct Samples {
    set: ValidatorSet,
    block: BlockId,
    cert: Vec<u8>,
    proof: Vec<u8>,
    next: ValidatorSet,
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let net = SampleNet::new();
    let chain = net.chain(3);
    let (proof, next) = net.epoch_change_proof();
    Samples {
        set: net.genesis.validator_set.clone(),
        block: chain[0].0.id(),
        cert: encode(&SampleNet::commit_certificate(&chain, 0)),
        proof: encode(&proof),
        next,
    }
});

#[derive(Debug, Arbitrary)]
enum Case<'a> {
    RawCertificate([u8; 32], &'a [u8]),
    RawProof(&'a [u8]),
    EditedCertificate(Vec<Edit>),
    EditedProof(Vec<Edit>),
}

fuzz_target!(|case: Case<'_>| {
    let samples = &*SAMPLES;
    match case {
        Case::RawCertificate(block, bytes) => {
            if let Ok(cert) = decode_canonical::<CommitCertificate>(bytes) {
                assert_eq!(encode(&cert), bytes);
                let _ = verify_commit_certificate(&samples.set, &BlockId(block), &cert);
            }
        }
        Case::RawProof(bytes) => {
            if let Ok(proof) = decode_canonical::<EpochChangeProof>(bytes) {
                assert_eq!(encode(&proof), bytes);
                if proof.certificates.len() <= MAX_EPOCH_CHANGES_PER_PROOF {
                    let _ = verify_epoch_changes(&samples.set, &proof);
                }
            }
        }
        Case::EditedCertificate(edits) => {
            let bytes = mutate(samples.cert.clone(), &edits, 0);
            if let Ok(cert) = decode_canonical::<CommitCertificate>(&bytes) {
                assert_eq!(encode(&cert), bytes);
                let verdict = verify_commit_certificate(&samples.set, &samples.block, &cert);
                assert_eq!(
                    verdict.is_ok(),
                    bytes == samples.cert,
                    "edited certificate verified"
                );
            }
        }
        Case::EditedProof(edits) => {
            let bytes = mutate(samples.proof.clone(), &edits, 0);
            if let Ok(proof) = decode_canonical::<EpochChangeProof>(&bytes) {
                assert_eq!(encode(&proof), bytes);
                if let Ok(set) = verify_epoch_changes(&samples.set, &proof) {
                    // Only the unchanged proof, or one with no certificates (the genesis set).
                    assert!(
                        set == samples.next || set == samples.set,
                        "edited proof moved the set"
                    );
                }
            }
        }
    }
});
