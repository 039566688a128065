//! Cross-crate tests of yrd-ledger.
//!
//! [`hostsim`] is the deterministic simulator: it drives the real node hosts (`yrd-node`: the
//! consensus core inside the node's own loop, execution by the contracts, storage on RocksDB,
//! restart, sync serving, admission) over a simulated network and a virtual clock, with faults
//! and Byzantine validators, all drawn from one `u64` seed.

pub mod hostsim;
pub mod rng;
