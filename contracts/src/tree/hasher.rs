//! The hash function under the state tree, and how state keys become tree positions.
//!
//! The tree runs on either suite's hash (ADR 019): [`Blake3Hasher`] (`ed25519-blake3`, every
//! chain so far) or [`Sm3Hasher`] (`sm2-sm3`), both behind [`TreeHasher`]. Tags, layouts and
//! proofs are the same; only the function under them changes. [`SuiteHasher`], the default, is
//! whichever of the two the process's suite names (`yrd_consensus::CryptoSuite::current`), and the
//! free functions below ([`tree_hash`], [`state_key_hash`]) follow it too.
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
use yrd_consensus::CryptoSuite;

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

/// A hash function the state tree can run on: the tree's own hashes (via [`SimpleHasher`], with
/// [`STATE_TREE_HASH_TAG`] absorbed first) and the key positions.
pub trait TreeHasher: SimpleHasher + Clone + Send + Sync + 'static {
    /// The tree position of a state key: `hash(STATE_KEY_HASH_TAG || key)`.
    fn key_hash(key: &[u8]) -> KeyHash;

    /// `H(parts...)` as the tree computes it (tag first).
    fn hash_parts(parts: &[&[u8]]) -> [u8; 32] {
        let mut hasher = Self::new();
        for part in parts {
            hasher.update(part);
        }
        hasher.finalize()
    }
}

impl TreeHasher for Blake3Hasher {
    fn key_hash(key: &[u8]) -> KeyHash {
        suite_key_hash(CryptoSuite::Ed25519Blake3, key)
    }
}

/// `hash(STATE_KEY_HASH_TAG || key)` with `suite`'s hash.
fn suite_key_hash(suite: CryptoSuite, key: &[u8]) -> KeyHash {
    KeyHash(suite.hash_parts(&[STATE_KEY_HASH_TAG, key]))
}

/// SM3 (GM/T 0004) with [`STATE_TREE_HASH_TAG`] already absorbed: the tree of an `sm2-sm3` chain.
#[derive(Clone, Debug)]
pub struct Sm3Hasher(sm3::Sm3);

impl SimpleHasher for Sm3Hasher {
    fn new() -> Self {
        let mut inner = <sm3::Sm3 as sm3::Digest>::new();
        sm3::Digest::update(&mut inner, STATE_TREE_HASH_TAG);
        Sm3Hasher(inner)
    }

    fn update(&mut self, data: &[u8]) {
        sm3::Digest::update(&mut self.0, data);
    }

    fn finalize(self) -> [u8; 32] {
        sm3::Digest::finalize(self.0).into()
    }
}

impl TreeHasher for Sm3Hasher {
    fn key_hash(key: &[u8]) -> KeyHash {
        suite_key_hash(CryptoSuite::Sm2Sm3, key)
    }
}

/// The tree hasher of the process's suite, chosen when each hash starts.
///
/// The BLAKE3 state is large (about 1.9 KB) but lives on the stack for one hash, as it did before
/// the suite existed; boxing it would add an allocation to every tree hash.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum SuiteHasher {
    /// `ed25519-blake3`.
    Blake3(Blake3Hasher),
    /// `sm2-sm3`.
    Sm3(Sm3Hasher),
}

impl SimpleHasher for SuiteHasher {
    fn new() -> Self {
        match CryptoSuite::current() {
            CryptoSuite::Ed25519Blake3 => SuiteHasher::Blake3(Blake3Hasher::new()),
            CryptoSuite::Sm2Sm3 => SuiteHasher::Sm3(Sm3Hasher::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            SuiteHasher::Blake3(inner) => inner.update(data),
            SuiteHasher::Sm3(inner) => inner.update(data),
        }
    }

    fn finalize(self) -> [u8; 32] {
        match self {
            SuiteHasher::Blake3(inner) => inner.finalize(),
            SuiteHasher::Sm3(inner) => inner.finalize(),
        }
    }
}

impl TreeHasher for SuiteHasher {
    fn key_hash(key: &[u8]) -> KeyHash {
        suite_key_hash(CryptoSuite::current(), key)
    }
}

/// `H(data)` as the tree of the process's suite computes it: `hash(STATE_TREE_HASH_TAG || data)`.
pub fn tree_hash(parts: &[&[u8]]) -> [u8; 32] {
    SuiteHasher::hash_parts(parts)
}

/// The tree position of a state key on the process's suite: `hash(STATE_KEY_HASH_TAG || key)`.
pub fn state_key_hash(key: &[u8]) -> KeyHash {
    SuiteHasher::key_hash(key)
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

    /// The SM3 tree's hashes are tagged SM3: checked against the GM/T 0004 example `abc` by
    /// making the tag part of the standard's message.
    #[test]
    fn sm3_hasher_is_tagged_sm3() {
        use sm3::Digest;
        let mut plain = Vec::new();
        plain.extend_from_slice(STATE_TREE_HASH_TAG);
        plain.extend_from_slice(b"abc");
        assert_eq!(
            Sm3Hasher::hash_parts(&[b"ab", b"c"]),
            <[u8; 32]>::from(sm3::Sm3::digest(&plain))
        );
        let mut key = Vec::new();
        key.extend_from_slice(STATE_KEY_HASH_TAG);
        key.extend_from_slice(b"licence/1");
        assert_eq!(
            Sm3Hasher::key_hash(b"licence/1").0,
            <[u8; 32]>::from(sm3::Sm3::digest(&key))
        );
        assert_eq!(
            hex::encode(sm3::Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_ne!(Sm3Hasher::hash_parts(&[b"abc"]), tree_hash(&[b"abc"]));
        assert_ne!(Sm3Hasher::key_hash(b"k"), Blake3Hasher::key_hash(b"k"));
    }
}
