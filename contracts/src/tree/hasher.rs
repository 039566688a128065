//! The hash function under the state tree, and how state keys become tree positions.
//!
//! Two domain tags keep the tree's hashes apart from every other blake3 use in the ledger:
//! - [`STATE_TREE_HASH_TAG`] prefixes every hash the tree itself computes (value hashes, leaf
//!   hashes, internal node hashes). [`Blake3Hasher`] feeds it first, so `H(x)` below always means
//!   `blake3(STATE_TREE_HASH_TAG || x)`.
//! - [`STATE_KEY_HASH_TAG`] prefixes state keys: a key's position in the tree is
//!   `key_hash = blake3(STATE_KEY_HASH_TAG || key)` ([`state_key_hash`]).
//!
//! Both tags are fixed-length, so `tag || input` is unambiguous without a length prefix. The exact
//! node layouts are in [`super::proof`].

use jmt::{KeyHash, SimpleHasher};

/// Domain tag fed first into every hash the state tree computes (24 ASCII bytes, no terminator).
pub const STATE_TREE_HASH_TAG: &[u8] = b"yrd-ledger/state-tree/v1";

/// Domain tag fed before a state key to derive its key hash (23 ASCII bytes, no terminator).
pub const STATE_KEY_HASH_TAG: &[u8] = b"yrd-ledger/state-key/v1";

/// blake3 with [`STATE_TREE_HASH_TAG`] already absorbed: the hasher the tree is built with.
///
/// The tag is short enough that a tagged leaf or internal-node preimage still fits in two blake3
/// blocks, so the domain separation costs no extra compression.
#[derive(Clone, Debug)]
pub struct Blake3Hasher(blake3::Hasher);

impl SimpleHasher for Blake3Hasher {
    fn new() -> Self {
        let mut inner = blake3::Hasher::new();
        inner.update(STATE_TREE_HASH_TAG);
        Blake3Hasher(inner)
    }

    fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    fn finalize(self) -> [u8; 32] {
        *self.0.finalize().as_bytes()
    }
}

/// `H(data)` as the tree computes it: `blake3(STATE_TREE_HASH_TAG || data)`.
pub fn tree_hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = <Blake3Hasher as SimpleHasher>::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize()
}

/// The tree position of a state key: `blake3(STATE_KEY_HASH_TAG || key)`.
pub fn state_key_hash(key: &[u8]) -> KeyHash {
    let mut hasher = blake3::Hasher::new();
    hasher.update(STATE_KEY_HASH_TAG);
    hasher.update(key);
    KeyHash(*hasher.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_hash_is_tagged_blake3() {
        let mut plain = Vec::new();
        plain.extend_from_slice(STATE_TREE_HASH_TAG);
        plain.extend_from_slice(b"abc");
        assert_eq!(tree_hash(&[b"abc"]), *blake3::hash(&plain).as_bytes());
        assert_eq!(Blake3Hasher::hash(b"abc"), tree_hash(&[b"a", b"bc"]));
        assert_ne!(tree_hash(&[b"abc"]), *blake3::hash(b"abc").as_bytes());
    }

    #[test]
    fn key_hash_is_tagged_and_distinct_from_tree_hash() {
        let mut plain = Vec::new();
        plain.extend_from_slice(STATE_KEY_HASH_TAG);
        plain.extend_from_slice(b"licence/1");
        assert_eq!(
            state_key_hash(b"licence/1").0,
            *blake3::hash(&plain).as_bytes()
        );
        assert_ne!(state_key_hash(b"k").0, tree_hash(&[b"k"]));
    }
}
