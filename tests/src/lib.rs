//! Cross-crate tests of yrd-ledger.
//!
//! [`sim`] is the deterministic consensus simulator: it drives the real `yrd-consensus` core of
//! every node over a simulated network, clock and store, with faults and Byzantine validators, all
//! drawn from one `u64` seed.

pub mod sim;
