//! Domain-separated hashing.
//!
//! Every consensus hash is `H(tag || bytes)`, `H` the process's suite's hash (BLAKE3 on
//! `ed25519-blake3`, SM3 on `sm2-sm3`: [`crate::suite`]), where `tag` is one of the ASCII constants below
//! and `bytes` is the canonical borsh encoding of the value (or the raw payload). No tag is a
//! prefix of another, so a hash made for one use can never be replayed as a hash for another.
//! Light clients (docs/PROOFS.md) use exactly these tags.

/// Tag of a block id: `BLAKE3(BLOCK_ID_TAG || borsh(BlockHeader))`.
pub const BLOCK_ID_TAG: &[u8] = b"yrd-consensus/v1/block-id";
/// Tag of the digest a validator signs when voting: `BLAKE3(VOTE_TAG || borsh(VoteData))`.
pub const VOTE_TAG: &[u8] = b"yrd-consensus/v1/vote";
/// Tag of the digest a validator signs when timing out: `BLAKE3(TIMEOUT_TAG || borsh(TimeoutData))`.
pub const TIMEOUT_TAG: &[u8] = b"yrd-consensus/v1/timeout";
/// Tag of the payload digest in a header: `BLAKE3(PAYLOAD_TAG || payload bytes)`.
pub const PAYLOAD_TAG: &[u8] = b"yrd-consensus/v1/payload";
/// Tag of the digest a leader signs over its proposal: `BLAKE3(PROPOSAL_TAG || block id)`.
pub const PROPOSAL_TAG: &[u8] = b"yrd-consensus/v1/proposal";
/// Tag of the key under which the core remembers certificates it has already verified.
pub const CERT_CACHE_TAG: &[u8] = b"yrd-consensus/v1/cert-cache";

/// `H(tag || bytes)` with the process's suite.
pub fn tagged_hash(tag: &[u8], bytes: &[u8]) -> [u8; 32] {
    crate::suite::CryptoSuite::current().tagged_hash(tag, bytes)
}

/// `H(tag || borsh(value))`.
pub fn hash_encoded<T: borsh::BorshSerialize>(tag: &[u8], value: &T) -> [u8; 32] {
    tagged_hash(tag, &crate::codec::encode(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_tag_is_a_prefix_of_another() {
        let tags = [
            BLOCK_ID_TAG,
            VOTE_TAG,
            TIMEOUT_TAG,
            PAYLOAD_TAG,
            PROPOSAL_TAG,
            CERT_CACHE_TAG,
        ];
        for (i, a) in tags.iter().enumerate() {
            for (j, b) in tags.iter().enumerate() {
                if i != j {
                    assert!(!b.starts_with(a), "{:?} prefixes {:?}", a, b);
                }
            }
        }
    }

    #[test]
    fn tag_separates_domains() {
        assert_ne!(tagged_hash(VOTE_TAG, b"x"), tagged_hash(TIMEOUT_TAG, b"x"));
    }
}
