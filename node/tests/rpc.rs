//! The JSON-RPC server end to end: a real server on 127.0.0.1:0 over an in-memory node whose
//! state is a real `yrd_contracts::State` built from signed transactions (`rpc/fixture.rs`).
//! Every test is bounded by a timeout.

#[path = "rpc/fake.rs"]
mod fake;
#[path = "rpc/fixture.rs"]
mod fixture;
#[path = "rpc/harness.rs"]
mod harness;
#[path = "rpc/raw.rs"]
mod raw;

#[path = "rpc/batch_leaves_tests.rs"]
mod batch_leaves_tests;
#[path = "rpc/chain_tests.rs"]
mod chain_tests;
#[path = "rpc/console_tests.rs"]
mod console_tests;
#[path = "rpc/did_registry_tests.rs"]
mod did_registry_tests;
#[path = "rpc/discovery_tests.rs"]
mod discovery_tests;
#[path = "rpc/licence_tests.rs"]
mod licence_tests;
#[path = "rpc/limits_tests.rs"]
mod limits_tests;
#[path = "rpc/ops_tests.rs"]
mod ops_tests;
#[path = "rpc/proof_tests.rs"]
mod proof_tests;
#[path = "rpc/real_backend_tests.rs"]
mod real_backend_tests;
#[path = "rpc/status_list_tests.rs"]
mod status_list_tests;
#[path = "rpc/subscription_tests.rs"]
mod subscription_tests;
#[path = "rpc/vector_tests.rs"]
mod vector_tests;

pub use harness::*;

/// The crypto suite of this test binary's chain (one per process, ADR 019).
pub const SUITE: yrd_consensus::CryptoSuite = yrd_consensus::CryptoSuite::Ed25519Blake3;
