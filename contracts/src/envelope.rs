//! The signed transaction envelope.
//!
//! A [`SignedTx`] is a [`TxBody`] (chain id, signer key, nonce, expiry height, payload) and a
//! signature of the chain's suite (ed25519, or SM2). The signature covers [`TX_SIGNING_DOMAIN`]
//! followed by the canonical borsh bytes of the body; the transaction hash is the suite's derived
//! hash `derive_hash(TX_HASH_CONTEXT, canonical bytes of the whole SignedTx)`, so it names one
//! body *and* one signature (a caller that checked a signature can vouch for exactly that hash).
//!
//! Signatures are checked with the chain's suite (ADR 019): on `ed25519-blake3` with
//! `VerifyingKey::verify_strict` and nothing weaker, on `sm2-sm3` with SM2 over 32-byte x-only keys
//! (`yrd_consensus::crypto::sm2`).

use borsh::{BorshDeserialize, BorshSerialize};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::codec::{decode_canonical_bounded, encode};
use crate::error::TxError;
use crate::hashing::{TX_HASH_CONTEXT, TX_SIGNING_DOMAIN, derive_hash};
use crate::limits::MAX_TX_BYTES_CEILING;
use crate::tx::TxPayload;
use crate::types::{ChainId, PublicKeyBytes, TxHash};

/// What the signer signs.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TxBody {
    /// The chain this transaction is for.
    pub chain_id: ChainId,
    /// The signer's public key on the chain's suite (ed25519, or SM2 x-only): its identity on
    /// the ledger.
    pub signer: PublicKeyBytes,
    /// Must equal the signer's next nonce (0 for a new signer).
    pub nonce: u64,
    /// The last block height at which this transaction may be included.
    pub expiry_height: u64,
    /// The action.
    pub payload: TxPayload,
}

/// A body and its signature.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SignedTx {
    /// The signed content.
    pub body: TxBody,
    /// The suite's signature (ed25519 `R ‖ S`, or SM2 `r ‖ s`) over [`TxBody::signing_bytes`].
    pub signature: [u8; 64],
}

impl TxBody {
    /// The message the signature covers: the domain tag, then the body's canonical bytes.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = TX_SIGNING_DOMAIN.to_vec();
        out.extend_from_slice(&encode(self));
        out
    }

    /// Signs the body with any suite's signer, which must hold the key named in
    /// [`TxBody::signer`].
    pub fn sign_with(self, signer: &dyn yrd_consensus::Signer) -> SignedTx {
        let signature = signer.sign(&self.signing_bytes()).0;
        SignedTx {
            body: self,
            signature,
        }
    }

    /// Signs the body with the ed25519 `key`, which must be the key named in [`TxBody::signer`].
    pub fn sign(self, key: &SigningKey) -> SignedTx {
        let signature = key.sign(&self.signing_bytes()).to_bytes();
        SignedTx {
            body: self,
            signature,
        }
    }
}

impl SignedTx {
    /// The canonical bytes of the envelope.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// The transaction hash (see the module doc).
    pub fn hash(&self) -> TxHash {
        hash_of_bytes(&self.to_bytes())
    }

    /// Decodes one canonical envelope of at most [`MAX_TX_BYTES_CEILING`] bytes. The chain's
    /// current (possibly smaller) limit is enforced again when the transaction is applied.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxError> {
        Ok(decode_canonical_bounded(
            bytes,
            MAX_TX_BYTES_CEILING as usize,
        )?)
    }

    /// Checks the signature with the chain's suite, after checking that the signer key is a key
    /// of that suite (on `ed25519-blake3`: a canonical encoding of a point not of small order).
    pub fn verify_signature(&self) -> Result<(), TxError> {
        crate::sigverify::verify_one(&crate::sigverify::SignatureCheck {
            signer: &self.body.signer,
            message: &self.body.signing_bytes(),
            signature: &self.signature,
        })
    }
}

/// The hash of a transaction given its canonical bytes.
pub fn hash_of_bytes(bytes: &[u8]) -> TxHash {
    derive_hash(TX_HASH_CONTEXT, &[bytes])
}

/// Whether the 255-bit `y` of a compressed Edwards point (sign bit ignored) is below
/// `p = 2^255 - 19`, i.e. is the canonical encoding of its field element. Little-endian `p` is
/// `ed ff … ff 7f`; `y >= p` exactly when bytes 1..=30 are `ff`, byte 31 (without the sign bit)
/// is `7f` and byte 0 is at least `ed`.
pub fn is_canonical_y(bytes: &[u8; 32]) -> bool {
    let (first, rest) = bytes.split_at(1);
    let (middle, last) = rest.split_at(30);
    let at_least_p = first.first().is_some_and(|b| *b >= 0xed)
        && middle.iter().all(|b| *b == 0xff)
        && last.first().is_some_and(|b| b & 0x7f == 0x7f);
    !at_least_p
}

/// Why 32 bytes are not an SM2 ledger key.
pub const SM2_KEY_REFUSAL: &str = "not the x-coordinate of an SM2 curve point";

/// Checks that `bytes` are a signer key of the chain's suite: on `ed25519-blake3`
/// [`parse_signer_key`]; on `sm2-sm3` the x-coordinate of a point of the SM2 curve (its even-y
/// point is the key). Every key a transaction or the genesis writes passes this.
pub fn check_signer_key(bytes: &PublicKeyBytes) -> Result<(), TxError> {
    match yrd_consensus::CryptoSuite::current() {
        yrd_consensus::CryptoSuite::Ed25519Blake3 => parse_signer_key(bytes).map(|_| ()),
        yrd_consensus::CryptoSuite::Sm2Sm3 => {
            yrd_consensus::crypto::sm2::verifying_key(&yrd_consensus::PublicKey(*bytes))
                .map(|_| ())
                .ok_or(TxError::InvalidSignerKey {
                    key: *bytes,
                    reason: SM2_KEY_REFUSAL,
                })
        }
    }
}

/// Parses an ed25519 signer key, refusing non-canonical encodings (one key, one identity) and
/// weak keys.
pub fn parse_signer_key(bytes: &PublicKeyBytes) -> Result<VerifyingKey, TxError> {
    if !is_canonical_y(bytes) {
        return Err(TxError::InvalidSignerKey {
            key: *bytes,
            reason: "non-canonical point encoding",
        });
    }
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| TxError::InvalidSignerKey {
        key: *bytes,
        reason: "not a curve point",
    })?;
    // The only canonical-y encodings that still have two spellings are x = 0 with the sign bit
    // set: y = ±1, the identity and the point of order 2, both refused here as weak.
    if key.is_weak() {
        return Err(TxError::InvalidSignerKey {
            key: *bytes,
            reason: "small-order (weak) key",
        });
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::Fragment;

    fn body(signer: &SigningKey) -> TxBody {
        TxBody {
            chain_id: ChainId("yrd-test".into()),
            signer: signer.verifying_key().to_bytes(),
            nonce: 0,
            expiry_height: 10,
            payload: TxPayload::DidRemoveService {
                did: crate::did_id::DidId([1; 16]),
                fragment: Fragment("svc".into()),
            },
        }
    }

    #[test]
    fn sign_verify_round_trip() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let tx = body(&key).sign(&key);
        assert_eq!(tx.verify_signature(), Ok(()));
        let bytes = tx.to_bytes();
        assert_eq!(SignedTx::from_bytes(&bytes), Ok(tx.clone()));
        let mut tampered = tx.clone();
        tampered.body.nonce = 1;
        assert_eq!(tampered.verify_signature(), Err(TxError::BadSignature));
        assert_ne!(tampered.hash(), tx.hash());
    }

    #[test]
    fn hash_covers_signature() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let tx = body(&key).sign(&key);
        let mut other = tx.clone();
        other.signature[0] ^= 1;
        assert_ne!(other.hash(), tx.hash());
    }

    #[test]
    fn weak_and_non_canonical_keys_refused() {
        // The identity point (y = 1) is of small order.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert!(matches!(
            parse_signer_key(&identity),
            Err(TxError::InvalidSignerKey {
                reason: "small-order (weak) key",
                ..
            })
        ));
        // y = p + 1 encodes the identity non-canonically.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        assert!(matches!(
            parse_signer_key(&non_canonical),
            Err(TxError::InvalidSignerKey { .. })
        ));
    }

    #[test]
    fn canonical_y_agrees_with_decompress_then_compress() {
        use curve25519_dalek::edwards::CompressedEdwardsY;
        use curve25519_dalek::traits::IsIdentity;
        let mut cases: Vec<[u8; 32]> = Vec::new();
        // y from p - 3 to 2^255 - 1 (the only non-canonical range), both sign bits.
        for low in 0xea..=0xffu8 {
            for sign in [0u8, 0x80] {
                let mut y = [0xffu8; 32];
                y[0] = low;
                y[31] = 0x7f | sign;
                cases.push(y);
            }
        }
        // Ordinary keys and small values.
        for seed in 0..32u8 {
            cases.push(
                SigningKey::from_bytes(&[seed; 32])
                    .verifying_key()
                    .to_bytes(),
            );
            let mut small = [0u8; 32];
            small[0] = seed;
            cases.push(small);
        }
        for bytes in cases {
            if let Some(point) = CompressedEdwardsY(bytes).decompress() {
                let round_trips = point.compress().to_bytes() == bytes;
                let x_is_zero_with_sign = bytes[31] & 0x80 != 0 && (point + point).is_identity();
                // Round trip fails exactly for y >= p, or for x = 0 with the sign bit set.
                assert_eq!(
                    round_trips,
                    is_canonical_y(&bytes) && !x_is_zero_with_sign,
                    "{}",
                    hex::encode(bytes)
                );
            }
        }
    }

    #[test]
    fn trailing_and_oversized_bytes_refused() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let mut bytes = body(&key).sign(&key).to_bytes();
        bytes.push(0);
        assert!(matches!(
            SignedTx::from_bytes(&bytes),
            Err(TxError::Malformed { .. })
        ));
        let huge = vec![0u8; MAX_TX_BYTES_CEILING as usize + 1];
        assert!(matches!(
            SignedTx::from_bytes(&huge),
            Err(TxError::TooLarge { .. })
        ));
    }
}
