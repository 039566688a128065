//! SM2 signatures (GM/T 0003) for chains on the national suite (ADR 019).
//!
//! **Keys are 32 bytes.** A key is the x-coordinate of its public point, and the point it names
//! is the one with even y (SEC1 compressed form `0x02 ‖ x`). A signer whose secret `d` gives an
//! odd y signs with `n − d` instead, whose point is the negation (same x, even y); the convention
//! is the one BIP 340 uses for Schnorr keys. So every key field in the ledger keeps its size on
//! both suites, and any standard SM2 verifier checks our signatures against `0x02 ‖ x`.
//!
//! **Signatures are `r ‖ s`**, 32 bytes each, big-endian, each in `[1, n − 1]` (the standard's
//! checks B1–B2, done at decoding), so a signature has one encoding. The signed message is
//! hashed with `Z_A` computed from the standard user ID [`STANDARD_USER_ID`] (GM/T 0009's
//! default), one ID for every signer, so `Z_A` depends on the key alone.
//!
//! Signing uses RustCrypto's deterministic nonce (RFC 6979 over SM3), so signing too is a pure
//! function of the key and the message.

use ::sm2::dsa::signature::{Signer as _, Verifier as _};
use ::sm2::dsa::{Signature as Sm2Signature, SigningKey, VerifyingKey};
use ::sm2::elliptic_curve::sec1::ToEncodedPoint;

use super::{PublicKey, Signature, SignatureScheme, Signer};

/// The user ID every ledger signature's `Z_A` is computed with (GM/T 0009's default).
pub const STANDARD_USER_ID: &str = "1234567812345678";

/// SEC1 tag of a compressed point with even y.
const EVEN_Y: u8 = 0x02;

/// A secret that cannot be an SM2 key.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Sm2KeyError {
    /// Zero, not below the group order, or `n − 1` once normalised to an even-y point (SM2
    /// needs `1 + d` invertible).
    #[error("the 32 bytes are not an SM2 secret key (zero, at least the group order, or n - 1)")]
    InvalidSecret,
}

/// The verifying key a 32-byte ledger key names: the point `0x02 ‖ x`, with the standard user ID.
/// `None` if `x` is not the x-coordinate of a curve point.
pub fn verifying_key(public_key: &PublicKey) -> Option<VerifyingKey> {
    let mut sec1 = [0u8; 33];
    sec1[0] = EVEN_Y;
    sec1[1..].copy_from_slice(&public_key.0);
    VerifyingKey::from_sec1_bytes(STANDARD_USER_ID, &sec1).ok()
}

/// SM2 verification with the standard user ID, over 32-byte x-only keys.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sm2Scheme;

impl SignatureScheme for Sm2Scheme {
    fn verify(&self, public_key: &PublicKey, message: &[u8], signature: &Signature) -> bool {
        verifying_key(public_key).is_some_and(|key| verify_prepared(&key, message, signature))
    }
}

/// The SM2 rule with the key already lifted ([`verifying_key`]), for a caller that checked the
/// key on its own first.
pub fn verify_prepared(key: &VerifyingKey, message: &[u8], signature: &Signature) -> bool {
    // B1–B2: `from_bytes` refuses r or s equal to zero or not below the group order.
    let Ok(signature) = Sm2Signature::from_bytes(&signature.0) else {
        return false;
    };
    key.verify(message, &signature).is_ok()
}

/// An SM2 private key held in memory, normalised so that its public point has even y.
pub struct Sm2Signer {
    key: SigningKey,
    public: PublicKey,
}

impl Sm2Signer {
    /// A signer from a 32-byte big-endian secret `d`; if `d·G` has odd y the signer uses `n − d`
    /// (same x-coordinate, so the same 32-byte key).
    pub fn from_secret_bytes(secret: &[u8; 32]) -> Result<Self, Sm2KeyError> {
        let key = SigningKey::from_slice(STANDARD_USER_ID, secret)
            .map_err(|_| Sm2KeyError::InvalidSecret)?;
        // The compressed point `02|03 ‖ x`; negating the secret keeps x and flips the y parity.
        let point = key.verifying_key().to_encoded_point(true);
        let public: [u8; 32] = point
            .as_bytes()
            .get(1..33)
            .and_then(|x| x.try_into().ok())
            .ok_or(Sm2KeyError::InvalidSecret)?;
        let key = if point.as_bytes().first() == Some(&EVEN_Y) {
            key
        } else {
            let negated = -*key.as_nonzero_scalar();
            SigningKey::from_nonzero_scalar(STANDARD_USER_ID, negated)
                .map_err(|_| Sm2KeyError::InvalidSecret)?
        };
        // SM2 signing inverts 1 + d: refuse the one secret (n − 1) for which it cannot.
        let d_plus_one = *key.as_nonzero_scalar().as_ref() + ::sm2::Scalar::ONE;
        if bool::from(d_plus_one.is_zero()) {
            return Err(Sm2KeyError::InvalidSecret);
        }
        Ok(Self {
            key,
            public: PublicKey(public),
        })
    }

    /// The secret this signer signs with (`d` or `n − d`), 32 bytes big-endian.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.key.to_bytes().into()
    }
}

impl std::fmt::Debug for Sm2Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sm2Signer({:?})", self.public)
    }
}

impl Signer for Sm2Signer {
    fn public_key(&self) -> PublicKey {
        self.public
    }

    /// Signing fails only when the deterministic nonce gives `r = 0` or `r + k = n` (probability
    /// about 2^-255); the all-zero signature returned then is refused by every verifier.
    fn sign(&self, message: &[u8]) -> Signature {
        match self.key.try_sign(message) {
            Ok(signature) => Signature(signature.to_bytes()),
            Err(_) => Signature([0; 64]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(i: u8) -> [u8; 32] {
        let mut secret = [0x42u8; 32];
        secret[31] = i;
        secret
    }

    #[test]
    fn sign_and_verify() {
        let signer = Sm2Signer::from_secret_bytes(&secret(1)).unwrap();
        let signature = signer.sign(b"digest");
        assert!(Sm2Scheme.verify(&signer.public_key(), b"digest", &signature));
        assert!(!Sm2Scheme.verify(&signer.public_key(), b"other", &signature));
        let mut bad = signature;
        bad.0[40] ^= 1;
        assert!(!Sm2Scheme.verify(&signer.public_key(), b"digest", &bad));
        // Signing is deterministic.
        assert_eq!(signer.sign(b"digest"), signature);
    }

    /// Secrets whose point has odd y are normalised; the key still names the signer's point.
    #[test]
    fn odd_y_secrets_sign_with_the_negated_key() {
        let mut normalised = 0;
        for i in 1..=16u8 {
            let raw = SigningKey::from_slice(STANDARD_USER_ID, &secret(i)).unwrap();
            let odd = raw.verifying_key().to_encoded_point(true).as_bytes()[0] != EVEN_Y;
            let signer = Sm2Signer::from_secret_bytes(&secret(i)).unwrap();
            assert_eq!(signer.secret_bytes() != secret(i), odd, "secret {i}");
            normalised += u32::from(odd);
            let signature = signer.sign(b"m");
            assert!(Sm2Scheme.verify(&signer.public_key(), b"m", &signature));
            // The same x with the other y (the raw key when it was odd) is a different key for
            // `Z_A`: a signature by the raw odd-y key does not verify under the ledger key.
            if odd {
                let raw_signature = Signature(raw.sign(b"m").to_bytes());
                assert!(!Sm2Scheme.verify(&signer.public_key(), b"m", &raw_signature));
            }
        }
        assert!(normalised > 0 && normalised < 16, "{normalised} of 16 odd");
    }

    #[test]
    fn invalid_secrets_are_refused() {
        assert_eq!(
            Sm2Signer::from_secret_bytes(&[0; 32]).unwrap_err(),
            Sm2KeyError::InvalidSecret
        );
        assert_eq!(
            Sm2Signer::from_secret_bytes(&[0xff; 32]).unwrap_err(),
            Sm2KeyError::InvalidSecret
        );
    }

    /// A key that is no curve x-coordinate, and scalars out of range, never verify.
    #[test]
    fn malformed_keys_and_signatures_do_not_verify() {
        let signer = Sm2Signer::from_secret_bytes(&secret(3)).unwrap();
        let signature = signer.sign(b"m");
        let off_curve = (0u8..=255)
            .map(|b| PublicKey([b; 32]))
            .find(|key| verifying_key(key).is_none())
            .unwrap();
        assert!(!Sm2Scheme.verify(&off_curve, b"m", &signature));
        // r = 0, s = 0, and s ≥ n (all ones is above the order) are refused before any curve work.
        let mut zero_r = signature;
        zero_r.0[..32].fill(0);
        let mut zero_s = signature;
        zero_s.0[32..].fill(0);
        let mut big_s = signature;
        big_s.0[32..].fill(0xff);
        for bad in [zero_r, zero_s, big_s, Signature([0; 64])] {
            assert!(!Sm2Scheme.verify(&signer.public_key(), b"m", &bad));
        }
    }

    /// A signature made by OpenSSL 3.0 (`openssl pkeyutl -sign -rawin -digest sm3 -pkeyopt
    /// distid:1234567812345678`, recommended curve) with a key whose y is even: its x alone, as a
    /// ledger key, verifies it.
    #[test]
    fn an_openssl_signature_verifies_under_the_x_only_key() {
        let x = hex::decode("c0402c6a26dd88b4d947eb302f5b3506f1e8f5d5b51a440348f3ff1dcbc1c549")
            .unwrap();
        let signature = hex::decode(
            "144c4218aa98ea2ac33f4475c96e49ff577896bbb0ebc482422ddc1c10e5e66a\
             1d3454b2d833a39260de13b05a2498cbc2909fce95c9e1d4e94e65b9055f41b4",
        )
        .unwrap();
        let key = PublicKey(x.try_into().unwrap());
        let signature = Signature(signature.try_into().unwrap());
        let message = b"yrd-ledger: SM2 signature cross-checked with OpenSSL";
        assert!(Sm2Scheme.verify(&key, message, &signature));
        assert!(!Sm2Scheme.verify(&key, b"yrd-ledger: another message", &signature));
    }
}
