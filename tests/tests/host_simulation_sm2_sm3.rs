//! The simulator's real node hosts on a chain of the national suite, `sm2-sm3` (ADR 019): SM2
//! keys and signatures for validators, authorities and transactions, SM3 for every hash (block
//! ids, votes, timeouts, payloads, transaction hashes, the state tree). This test binary installs
//! the suite before anything hashes, so every host, client and check in it runs on SM2/SM3; the
//! other simulator tests run in their own processes on `ed25519-blake3`.

use yrd_consensus::crypto::sm2;
use yrd_consensus::{CryptoSuite, PublicKey, SuiteConflict};
use yrd_tests::hostsim::cluster::{chain_spec, ledger_public, validator_key};
use yrd_tests::hostsim::{SeedSetTally, run_seed_set};

/// The same seeds as the `ed25519-blake3` fast set (`host_simulation.rs`): the same plans (faults,
/// crashes, Byzantine members, governance), drawn from the seed alone.
const SM_SET: std::ops::Range<u64> = 0..12;

fn install() {
    if let Err(error) = CryptoSuite::install(CryptoSuite::Sm2Sm3) {
        panic!("{error}");
    }
}

#[test]
fn the_process_runs_on_sm2_sm3_and_cannot_switch() {
    install();
    assert_eq!(CryptoSuite::current(), CryptoSuite::Sm2Sm3);
    assert_eq!(
        CryptoSuite::install(CryptoSuite::Ed25519Blake3),
        Err(SuiteConflict {
            installed: CryptoSuite::Sm2Sm3,
            requested: CryptoSuite::Ed25519Blake3,
        })
    );
    // The chain's validator keys are SM2 keys (x-coordinates of curve points), not the ed25519
    // keys of the same secrets.
    let spec = chain_spec(4);
    for authority in &spec.genesis.authorities {
        for key in &authority.validator_keys {
            assert!(sm2::verifying_key(&PublicKey(*key)).is_some());
        }
    }
    let secret = validator_key(0);
    assert_ne!(ledger_public(&secret), secret.verifying_key().to_bytes());
}

#[test]
fn fast_set_on_sm2_sm3() {
    install();
    let tally = run_seed_set(SM_SET, |report| {
        assert!(report.acknowledged > 50, "seed {}: {report:?}", report.seed);
        assert!(report.min_height > 10, "seed {}: {report:?}", report.seed);
    });
    assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n"));
    // The set exercises on SM2/SM3 what it does on ed25519/BLAKE3.
    let SeedSetTally {
        crashes,
        power_cuts,
        byzantine_runs,
        ..
    } = tally;
    assert!(crashes >= 6, "only {crashes} crashes");
    assert!(power_cuts >= 2, "only {power_cuts} power cuts");
    assert!(
        byzantine_runs >= 3,
        "only {byzantine_runs} runs with a Byzantine member"
    );
}
