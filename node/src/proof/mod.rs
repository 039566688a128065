//! The node's side of verifiable reads: collecting the evidence for an answer from the store
//! ([`collect`]) and the certifier that signs test chains ([`certify`]). The answer format, the
//! provable queries and the offline verifier live in the `yrd-verifier` crate, which has no node
//! inside; `docs/PROOFS.md` specifies every byte.

pub mod certify;
pub mod collect;
