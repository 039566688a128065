//! The cryptographic suite a chain runs on, chosen once at genesis (ADR 019).
//!
//! - `ed25519-blake3`: ed25519 with `verify_strict`, and BLAKE3 for every hash.
//! - `sm2-sm3`: SM2 (GM/T 0003, the standard user ID, 32-byte x-only keys: [`crate::crypto::sm2`])
//!   and SM3 (GM/T 0004) for every hash.
//!
//! Each hash the ledger defines has one of two shapes, and both map onto either function:
//! - **tagged**: `H(tag ‖ bytes)` with a fixed, prefix-free ASCII tag ([`CryptoSuite::tagged_hash`]);
//! - **derived**: BLAKE3's key-derivation mode with a context string on `ed25519-blake3`, which SM3
//!   has no counterpart of; on `sm2-sm3` it is `SM3(len(context) as one byte ‖ context ‖ parts)`
//!   ([`CryptoSuite::derive_hash`]). Every context is ASCII and shorter than 256 bytes.
//!
//! **One suite per process.** A process serves one chain, so the suite is installed once, before
//! the first hash, from the chain's genesis file ([`CryptoSuite::install`]), and every ledger hash
//! and the default signature rule read it ([`CryptoSuite::current`]). Until something installs
//! one, the first read fixes `ed25519-blake3`, and installing another suite after that fails: a
//! process can never hash with two suites. The suite is a chain constant, like the chain id, not
//! an input that changes: the deterministic crates stay replayable (ADR 019).

use std::sync::OnceLock;

use sm3::Digest;

use crate::crypto::sm2::{Sm2KeyError, Sm2Scheme, Sm2Signer};
use crate::crypto::{Ed25519Scheme, Ed25519Signer, PublicKey, Signature, SignatureScheme, Signer};

/// A chain's signature and hash functions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum CryptoSuite {
    /// ed25519 (`verify_strict`) and BLAKE3: every chain made before the suite existed.
    #[default]
    Ed25519Blake3,
    /// SM2 with the standard user ID and SM3.
    Sm2Sm3,
}

/// The suite this process hashes and verifies with, fixed by the first install or read.
static INSTALLED: OnceLock<CryptoSuite> = OnceLock::new();

/// Installing a suite in a process that already runs on the other one.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "this process already runs on the {installed} crypto suite and cannot switch to {requested}: \
     one process serves one chain"
)]
pub struct SuiteConflict {
    /// The suite already in force.
    pub installed: CryptoSuite,
    /// The suite asked for.
    pub requested: CryptoSuite,
}

/// A suite name that is not one of the two.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown crypto suite {0:?}: expected \"ed25519-blake3\" or \"sm2-sm3\"")]
pub struct UnknownSuite(pub String);

impl CryptoSuite {
    /// Both suites.
    pub const ALL: [CryptoSuite; 2] = [CryptoSuite::Ed25519Blake3, CryptoSuite::Sm2Sm3];

    /// Make `suite` this process's suite. Succeeds if it already is; fails if the process already
    /// installed, or hashed with, the other one.
    pub fn install(suite: CryptoSuite) -> Result<(), SuiteConflict> {
        let installed = *INSTALLED.get_or_init(|| suite);
        if installed == suite {
            Ok(())
        } else {
            Err(SuiteConflict {
                installed,
                requested: suite,
            })
        }
    }

    /// This process's suite: the installed one, or `ed25519-blake3` (fixed from now on) if none
    /// was installed.
    pub fn current() -> CryptoSuite {
        *INSTALLED.get_or_init(CryptoSuite::default)
    }

    /// The suite's name as the genesis file and the command line write it.
    pub fn name(self) -> &'static str {
        match self {
            CryptoSuite::Ed25519Blake3 => "ed25519-blake3",
            CryptoSuite::Sm2Sm3 => "sm2-sm3",
        }
    }

    /// The suite's verification rule.
    pub fn scheme(self) -> &'static (dyn SignatureScheme + Sync) {
        match self {
            CryptoSuite::Ed25519Blake3 => &Ed25519Scheme,
            CryptoSuite::Sm2Sm3 => &Sm2Scheme,
        }
    }

    /// `H(tag ‖ bytes)`: BLAKE3 (hash mode) or SM3.
    pub fn tagged_hash(self, tag: &[u8], bytes: &[u8]) -> [u8; 32] {
        self.hash_parts(&[tag, bytes])
    }

    /// `H(parts[0] ‖ parts[1] ‖ …)`: BLAKE3 (hash mode) or SM3 over the concatenation.
    pub fn hash_parts(self, parts: &[&[u8]]) -> [u8; 32] {
        match self {
            CryptoSuite::Ed25519Blake3 => {
                if let [only] = parts {
                    return *blake3::hash(only).as_bytes();
                }
                let mut hasher = blake3::Hasher::new();
                for part in parts {
                    hasher.update(part);
                }
                *hasher.finalize().as_bytes()
            }
            CryptoSuite::Sm2Sm3 => {
                let mut hasher = sm3::Sm3::new();
                for part in parts {
                    hasher.update(part);
                }
                hasher.finalize().into()
            }
        }
    }

    /// The derived hash of `parts` under `context`: BLAKE3's key-derivation mode, or
    /// `SM3(len(context) ‖ context ‖ parts)` with the length as one byte.
    ///
    /// A context of 256 bytes or more is a programming error (every context is a constant); on
    /// `sm2-sm3` its length byte would wrap, so it is refused in debug builds.
    pub fn derive_hash(self, context: &str, parts: &[&[u8]]) -> [u8; 32] {
        match self {
            CryptoSuite::Ed25519Blake3 => {
                let mut hasher = blake3::Hasher::new_derive_key(context);
                for part in parts {
                    hasher.update(part);
                }
                *hasher.finalize().as_bytes()
            }
            CryptoSuite::Sm2Sm3 => {
                debug_assert!(context.len() < 256, "derive-hash context too long");
                let mut hasher = sm3::Sm3::new();
                hasher.update([context.len() as u8]);
                hasher.update(context.as_bytes());
                for part in parts {
                    hasher.update(part);
                }
                hasher.finalize().into()
            }
        }
    }
}

/// A private key of either suite, made from 32 secret bytes: an ed25519 seed, or an SM2 secret
/// scalar (normalised to an even-y point, [`Sm2Signer`]).
pub enum SuiteSigner {
    /// `ed25519-blake3`.
    Ed25519(Ed25519Signer),
    /// `sm2-sm3`.
    Sm2(Sm2Signer),
}

impl SuiteSigner {
    /// The key of the process's suite ([`CryptoSuite::current`]) from `secret`.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self, Sm2KeyError> {
        Self::for_suite(CryptoSuite::current(), secret)
    }

    /// The key of `suite` from `secret`. Fails only on `sm2-sm3`, for the few 32-byte strings
    /// that are no SM2 secret (zero, at least the group order, or `n − 1`).
    pub fn for_suite(suite: CryptoSuite, secret: &[u8; 32]) -> Result<Self, Sm2KeyError> {
        Ok(match suite {
            CryptoSuite::Ed25519Blake3 => {
                SuiteSigner::Ed25519(Ed25519Signer::from_secret_bytes(secret))
            }
            CryptoSuite::Sm2Sm3 => SuiteSigner::Sm2(Sm2Signer::from_secret_bytes(secret)?),
        })
    }
}

impl std::fmt::Debug for SuiteSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuiteSigner::Ed25519(signer) => signer.fmt(f),
            SuiteSigner::Sm2(signer) => signer.fmt(f),
        }
    }
}

impl Signer for SuiteSigner {
    fn public_key(&self) -> PublicKey {
        match self {
            SuiteSigner::Ed25519(signer) => signer.public_key(),
            SuiteSigner::Sm2(signer) => signer.public_key(),
        }
    }

    fn sign(&self, message: &[u8]) -> Signature {
        match self {
            SuiteSigner::Ed25519(signer) => signer.sign(message),
            SuiteSigner::Sm2(signer) => signer.sign(message),
        }
    }
}

/// The signature rule of this process's suite ([`CryptoSuite::current`]), decided at each check.
#[derive(Clone, Copy, Debug, Default)]
pub struct SuiteScheme;

impl SignatureScheme for SuiteScheme {
    fn verify(&self, public_key: &PublicKey, message: &[u8], signature: &Signature) -> bool {
        CryptoSuite::current()
            .scheme()
            .verify(public_key, message, signature)
    }
}

impl std::fmt::Display for CryptoSuite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for CryptoSuite {
    type Err = UnknownSuite;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        CryptoSuite::ALL
            .into_iter()
            .find(|suite| suite.name() == name)
            .ok_or_else(|| UnknownSuite(name.to_owned()))
    }
}

impl serde::Serialize for CryptoSuite {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for CryptoSuite {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::Ed25519Signer;
    use crate::crypto::Signer;
    use crate::crypto::sm2::Sm2Signer;

    /// GM/T 0004-2012 Appendix A, through the suite with an empty tag.
    #[test]
    fn sm3_matches_the_standard_examples() {
        let suite = CryptoSuite::Sm2Sm3;
        assert_eq!(
            hex::encode(suite.tagged_hash(b"", b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(suite.tagged_hash(b"abcd", &b"abcd".repeat(15))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    /// The default suite's hashes are the functions every existing chain uses, unchanged.
    #[test]
    fn ed25519_blake3_is_todays_hashing() {
        let suite = CryptoSuite::Ed25519Blake3;
        assert_eq!(
            suite.tagged_hash(b"tag", b"bytes"),
            *blake3::hash(b"tagbytes").as_bytes()
        );
        let mut derived = blake3::Hasher::new_derive_key("ctx");
        derived.update(b"ab");
        assert_eq!(
            suite.derive_hash("ctx", &[b"a", b"b"]),
            *derived.finalize().as_bytes()
        );
    }

    #[test]
    fn sm3_derive_hash_prefixes_the_context_length() {
        let suite = CryptoSuite::Sm2Sm3;
        let mut preimage = vec![3u8];
        preimage.extend_from_slice(b"ctxab");
        assert_eq!(
            suite.derive_hash("ctx", &[b"a", b"b"]),
            suite.tagged_hash(b"", &preimage)
        );
        // The length byte keeps ("ctx", "ab") apart from ("ctxa", "b").
        assert_ne!(
            suite.derive_hash("ctx", &[b"ab"]),
            suite.derive_hash("ctxa", &[b"b"])
        );
        assert_ne!(
            suite.derive_hash("ctx", &[b"ab"]),
            CryptoSuite::Ed25519Blake3.derive_hash("ctx", &[b"ab"])
        );
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_refused() {
        for suite in CryptoSuite::ALL {
            assert_eq!(suite.name().parse::<CryptoSuite>(), Ok(suite));
            let json = serde_json::to_string(&suite).unwrap();
            assert_eq!(serde_json::from_str::<CryptoSuite>(&json).unwrap(), suite);
        }
        assert_eq!(
            "sm2".parse::<CryptoSuite>(),
            Err(UnknownSuite("sm2".to_owned()))
        );
        assert!(serde_json::from_str::<CryptoSuite>("\"ED25519-BLAKE3\"").is_err());
    }

    /// Each suite's scheme accepts its own signatures and refuses the other suite's.
    #[test]
    fn each_scheme_refuses_the_other_suites_signatures() {
        let ed = Ed25519Signer::from_secret_bytes(&[9; 32]);
        let sm = Sm2Signer::from_secret_bytes(&[9; 32]).unwrap();
        let (ed_sig, sm_sig) = (ed.sign(b"m"), sm.sign(b"m"));
        let ed_scheme = CryptoSuite::Ed25519Blake3.scheme();
        let sm_scheme = CryptoSuite::Sm2Sm3.scheme();
        assert!(ed_scheme.verify(&ed.public_key(), b"m", &ed_sig));
        assert!(sm_scheme.verify(&sm.public_key(), b"m", &sm_sig));
        assert!(!sm_scheme.verify(&ed.public_key(), b"m", &ed_sig));
        assert!(!ed_scheme.verify(&sm.public_key(), b"m", &sm_sig));
    }
}
