//! Cross-crate tests of yrd-ledger.
//!
//! [`sim`] is the deterministic consensus simulator: it drives the real `yrd-consensus` core of
//! every node over a simulated network, clock and store, with faults and Byzantine validators, all
//! drawn from one `u64` seed.
//!
//! [`hostsim`] drives the real node hosts (`yrd-node`) the same way: real execution, storage and
//! restart, on a simulated network and a virtual clock.

pub mod hostsim;
pub mod sim;
