//! The node's side of verifiable reads: collecting the evidence for an answer from the store
//! ([`collect`]). The answer format, the provable queries and the offline verifier live in the
//! `yrd-verifier` crate, which has no node inside; `docs/PROOFS.md` specifies every byte. (Chains
//! certified without a network, for tests and benchmarks, come from the `yrd-testkit` crate.)

pub mod collect;
