//! Domain-separated hashes used by the state machine.
//!
//! Every hash here goes through [`derive_hash`] with its own context string, so a hash
//! computed for one purpose can never be replayed as another. The context strings are consensus
//! rules: changing one changes transaction hashes, DID identifiers and signatures.

/// Context of a transaction hash: blake3 over the canonical bytes of the whole signed envelope.
pub const TX_HASH_CONTEXT: &str = "yrd-ledger 2025 transaction hash v1";
/// Prefix of the message an ed25519 transaction signature covers (followed by the body's bytes).
pub const TX_SIGNING_DOMAIN: &[u8] = b"yrd-ledger/tx-signature/v1\0";
/// Context of a `did:yrd` identifier created by a transaction.
pub const DID_ID_CONTEXT: &str = "yrd-ledger 2025 did:yrd identifier v1";
/// Context of a `did:yrd` identifier of a province authority written by the genesis.
pub const GENESIS_DID_ID_CONTEXT: &str = "yrd-ledger 2025 genesis authority did:yrd identifier v1";
/// Context of a `did:yrd` identifier of a province authority re-admitted after a removal.
pub const READMITTED_DID_ID_CONTEXT: &str =
    "yrd-ledger 2025 re-admitted authority did:yrd identifier v1";

/// Context of the message a network key signs to bind itself to a node key (ADR 020).
pub const NETWORK_BINDING_CONTEXT: &str = "yrd-ledger 2026 network key binding v1";

/// The 32 bytes a network key signs (ed25519, `verify_strict`) to be bound to `node_key` on the
/// chain `chain_id`: `derive_hash(NETWORK_BINDING_CONTEXT, chain_id ‖ 0x00 ‖ node_key ‖
/// network_key)` with the chain's suite.
pub fn network_binding_message(
    chain_id: &str,
    node_key: &[u8; 32],
    network_key: &[u8; 32],
) -> [u8; 32] {
    derive_hash(
        NETWORK_BINDING_CONTEXT,
        &[chain_id.as_bytes(), &[0], node_key, network_key],
    )
}

/// The derived hash of the concatenated `parts` under `context` with the process's suite: blake3
/// in key-derivation mode, or `SM3(len(context) ‖ context ‖ parts)` (ADR 019).
pub fn derive_hash(context: &str, parts: &[&[u8]]) -> [u8; 32] {
    yrd_consensus::CryptoSuite::current().derive_hash(context, parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contexts_separate_domains() {
        let a = derive_hash(TX_HASH_CONTEXT, &[b"x"]);
        let b = derive_hash(DID_ID_CONTEXT, &[b"x"]);
        assert_ne!(a, b);
        // Concatenation is the hashed message: split points do not matter.
        assert_eq!(
            derive_hash(TX_HASH_CONTEXT, &[b"ab", b"c"]),
            derive_hash(TX_HASH_CONTEXT, &[b"a", b"bc"])
        );
    }
}
