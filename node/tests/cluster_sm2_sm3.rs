//! Real `yrd` processes on a chain of the national suite (`yrd devnet --crypto sm2-sm3`, ADR 019
//! and 020): four province nodes sign votes and transactions with SM2, hash with SM3, and find
//! each other on the network by the ed25519 network keys the genesis binds to their SM2 keys.
//!
//! Its own test binary: this process signs and computes commitments on `sm2-sm3`, which each
//! test installs first. `availability_tests` is shared with `cluster.rs` (`crate::SUITE` picks
//! the suite).
//! Slow (processes, real time): named `slow::…` like `cluster.rs`.

#[path = "cluster/harness.rs"]
#[allow(dead_code, unused_imports)]
mod harness;

/// The crypto suite of these tests' chains.
pub const SUITE: yrd_consensus::CryptoSuite = yrd_consensus::CryptoSuite::Sm2Sm3;

#[path = "cluster"]
mod slow {
    /// The same tests as `cluster.rs` runs on `ed25519-blake3`: `kill -9` under load, the loss
    /// and return of quorum, validator-set changes by governance across restarts, and the web
    /// console's verify flow in a browser (its WebAssembly takes the suite from the genesis).
    mod availability_tests;
    mod console_tests;
    mod epoch_tests;
    mod national_suite_tests;
}
