//! Signing and verification behind traits.
//!
//! Ed25519 is the default ([`Ed25519Signer`], [`Ed25519Scheme`]); verification uses
//! `verify_strict` (rejects small-order keys and non-canonical signatures). The national suite's
//! SM2 ([`sm2::Sm2Signer`], [`sm2::Sm2Scheme`]) implements the same two traits with keys and
//! signatures of the same sizes (ADR 019); nothing else in the crate knows which curve is in use.
//! Keys and signatures are fixed-size byte arrays so that their borsh encoding is the raw bytes
//! (32 and 64 bytes, no length prefix).

pub mod sm2;

use borsh::{BorshDeserialize, BorshSerialize};

/// A validator's public key (ed25519: the 32-byte compressed point; SM2: the x-coordinate of a
/// point with even y, see [`sm2`]).
#[derive(
    Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize,
)]
pub struct PublicKey(pub [u8; 32]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "pk:{}", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Display for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", hex::encode(self.0))
    }
}

/// A signature (ed25519: 64 bytes; SM2: `r ‖ s`, 32 bytes each, big-endian).
#[derive(Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

impl std::fmt::Debug for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sig:{}", hex::encode(&self.0[..4]))
    }
}

/// Something that holds a validator's private key and signs 32-byte digests with it.
pub trait Signer {
    /// The key that verifies this signer's signatures.
    fn public_key(&self) -> PublicKey;
    /// Sign `message` (always a 32-byte domain-tagged digest in this crate).
    fn sign(&self, message: &[u8]) -> Signature;
}

/// A signature scheme's verification rule.
pub trait SignatureScheme {
    /// True when `signature` is a valid signature of `message` under `public_key`.
    fn verify(&self, public_key: &PublicKey, message: &[u8], signature: &Signature) -> bool;
}

/// Ed25519 with `verify_strict`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ed25519Scheme;

impl SignatureScheme for Ed25519Scheme {
    fn verify(&self, public_key: &PublicKey, message: &[u8], signature: &Signature) -> bool {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&public_key.0) else {
            return false;
        };
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        key.verify_strict(message, &signature).is_ok()
    }
}

/// An ed25519 private key held in memory.
pub struct Ed25519Signer {
    key: ed25519_dalek::SigningKey,
}

impl Ed25519Signer {
    /// A signer from the 32-byte ed25519 secret seed.
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Self {
        Self {
            key: ed25519_dalek::SigningKey::from_bytes(secret),
        }
    }
}

impl std::fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Ed25519Signer({:?})", self.public_key())
    }
}

impl Signer for Ed25519Signer {
    fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    fn sign(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer as _;
        Signature(self.key.sign(message).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_and_verify_strict() {
        let signer = Ed25519Signer::from_secret_bytes(&[7; 32]);
        let signature = signer.sign(b"digest");
        assert!(Ed25519Scheme.verify(&signer.public_key(), b"digest", &signature));
        assert!(!Ed25519Scheme.verify(&signer.public_key(), b"other", &signature));
        let mut bad = signature;
        bad.0[0] ^= 1;
        assert!(!Ed25519Scheme.verify(&signer.public_key(), b"digest", &bad));
    }

    #[test]
    fn invalid_key_bytes_do_not_verify() {
        let signer = Ed25519Signer::from_secret_bytes(&[7; 32]);
        let signature = signer.sign(b"digest");
        // The all-zero encoding is a small-order point: verify_strict must refuse it.
        assert!(!Ed25519Scheme.verify(&PublicKey([0; 32]), b"digest", &signature));
    }
}
