//! The JSON-RPC server's proven answers on a chain of the national suite, `sm2-sm3` (ADR 019):
//! the same fixture and vector generator as `rpc.rs`, in their own process because a process
//! runs on one suite. `vector_tests` writes and checks `docs/proof-vectors/sm2-sm3/`.

#[path = "rpc/fake.rs"]
mod fake;
#[path = "rpc/fixture.rs"]
#[allow(dead_code)]
mod fixture;
#[path = "rpc/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "rpc/raw.rs"]
#[allow(dead_code)]
mod raw;

#[path = "rpc/vector_tests.rs"]
mod vector_tests;

pub use harness::*;

/// The crypto suite of this test binary's chain (one per process, ADR 019).
pub const SUITE: yrd_consensus::CryptoSuite = yrd_consensus::CryptoSuite::Sm2Sm3;
