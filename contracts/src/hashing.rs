//! Domain-separated blake3 hashes used by the state machine.
//!
//! Every use of blake3 here goes through [`derive_hash`] with its own context string, so a hash
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

/// blake3 in key-derivation mode with `context` as the domain tag, over the concatenated `parts`.
pub fn derive_hash(context: &str, parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new_derive_key(context);
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
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
