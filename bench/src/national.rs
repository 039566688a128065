//! Reference figures for the national cryptography suite (SM2 signatures, SM3 hashing) that a
//! chain will be able to choose at genesis (issue 20): how fast this machine verifies SM2
//! signatures and hashes with SM3, beside the ed25519 and blake3 figures of the same run, and how
//! fast the ledger's own SM2 rule (32-byte x-only keys, ADR 019) checks them. No chain runs on
//! the suite yet; the figures size what it will cost.
//!
//! SM2 here is GM/T 0003 with the standard user ID (`1234567812345678`, GM/T 0009) in `Z_A`, as
//! RustCrypto's `sm2` computes it, checked against a signature made by OpenSSL; SM3 is GM/T 0004,
//! checked against the standard's two examples.

use std::time::{Duration, Instant};

use sm2::dsa::signature::{Signer, Verifier};
use sm2::dsa::{Signature, SigningKey, VerifyingKey};
use sm3::{Digest, Sm3};

/// The user ID GM/T 0009 gives as the default when the parties agree on none.
pub const STANDARD_USER_ID: &str = "1234567812345678";

/// What one run measures of the national suite, each per second on one core.
#[derive(Debug, Clone, Copy)]
pub struct NationalRates {
    /// RustCrypto's SM2 verification with a prepared key (`Z_A` computed once).
    pub sm2_verify: f64,
    /// The ledger's SM2 rule (`yrd_consensus::crypto::sm2::Sm2Scheme`): the 32-byte x-only key
    /// lifted to its point and `Z_A` computed on every check, as a node checks a vote.
    pub sm2_scheme_verify: f64,
    /// SM3 over 1 KiB inputs.
    pub sm3_1kib: f64,
}

/// The national suite's rates on one core, each over about `per_probe`. Zero for SM2 if no key
/// could be made (it cannot fail for the fixed secrets used here).
pub fn measure(per_probe: Duration) -> NationalRates {
    let set = signed(64);
    let start = Instant::now();
    let mut verified = 0u64;
    while start.elapsed() < per_probe && !set.is_empty() {
        for (key, message, signature) in &set {
            verified += u64::from(key.verify(message, signature).is_ok());
        }
    }
    let sm2_rate = verified as f64 / start.elapsed().as_secs_f64();

    let input = [0x5au8; 1024];
    let start = Instant::now();
    let mut hashes = 0u64;
    let mut sink = 0u8;
    while start.elapsed() < per_probe {
        for _ in 0..256 {
            sink ^= Sm3::digest(input)[0];
            hashes += 1;
        }
    }
    std::hint::black_box(sink);
    let sm3_rate = hashes as f64 / start.elapsed().as_secs_f64();
    NationalRates {
        sm2_verify: sm2_rate,
        sm2_scheme_verify: scheme_rate(per_probe),
        sm3_1kib: sm3_rate,
    }
}

/// Verifications per second through the ledger's own SM2 rule.
fn scheme_rate(per_probe: Duration) -> f64 {
    use yrd_consensus::crypto::sm2::{Sm2Scheme, Sm2Signer};
    use yrd_consensus::{SignatureScheme, Signer as _};
    let set: Vec<_> = (1..=64u8)
        .filter_map(|i| {
            let signer = Sm2Signer::from_secret_bytes(&[i; 32]).ok()?;
            let message = Sm3::digest([i]).to_vec();
            let signature = signer.sign(&message);
            Some((signer.public_key(), message, signature))
        })
        .collect();
    let start = Instant::now();
    let mut verified = 0u64;
    while start.elapsed() < per_probe && !set.is_empty() {
        for (key, message, signature) in &set {
            verified += u64::from(Sm2Scheme.verify(key, message, signature));
        }
    }
    verified as f64 / start.elapsed().as_secs_f64()
}

/// `count` signed messages under distinct keys made from fixed secrets.
fn signed(count: u64) -> Vec<(VerifyingKey, Vec<u8>, Signature)> {
    (1..=count)
        .filter_map(|i| {
            let mut secret = [0u8; 32];
            secret[24..].copy_from_slice(&i.to_be_bytes());
            secret[0] = 0x42;
            let secret = sm2::SecretKey::from_slice(&secret).ok()?;
            let key = SigningKey::new(STANDARD_USER_ID, &secret).ok()?;
            let message = Sm3::digest(i.to_le_bytes()).to_vec();
            let signature: Signature = key.sign(&message);
            Some((key.verifying_key().clone(), message, signature))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GM/T 0004-2012 Appendix A: the two examples.
    #[test]
    fn sm3_matches_the_standard_examples() {
        assert_eq!(
            hex::encode(Sm3::digest(b"abc")),
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        );
        assert_eq!(
            hex::encode(Sm3::digest(b"abcd".repeat(16))),
            "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
        );
    }

    /// A signature made by an independent implementation (OpenSSL 3.0's `sm2`, recommended curve,
    /// SM3, the standard user ID), checked here byte for byte:
    ///
    /// ```text
    /// openssl genpkey -algorithm SM2 -out sm2.pem
    /// openssl pkeyutl -sign -in msg -inkey sm2.pem -rawin -digest sm3 \
    ///     -pkeyopt distid:1234567812345678 -out sig.der      # DER (r, s), written below as r ‖ s
    /// ```
    #[test]
    fn sm2_accepts_an_openssl_signature_with_the_standard_user_id() {
        let key = hex::decode(
            "04c0402c6a26dd88b4d947eb302f5b3506f1e8f5d5b51a440348f3ff1dcbc1c5\
             49e5bea893e179fb1c19940244d63d029f63065a63e956b422859dc699d3ca2506",
        )
        .unwrap();
        let signature = hex::decode(
            "144c4218aa98ea2ac33f4475c96e49ff577896bbb0ebc482422ddc1c10e5e66a\
             1d3454b2d833a39260de13b05a2498cbc2909fce95c9e1d4e94e65b9055f41b4",
        )
        .unwrap();
        let message = b"yrd-ledger: SM2 signature cross-checked with OpenSSL";
        let signature = Signature::from_slice(&signature).unwrap();
        let key = VerifyingKey::from_sec1_bytes(STANDARD_USER_ID, &key).unwrap();
        assert!(key.verify(message, &signature).is_ok());
        // The same signature under another user ID, or over another message, is refused.
        let other_id =
            VerifyingKey::from_sec1_bytes("ALICE123@YAHOO.COM", &key.to_sec1_bytes()).unwrap();
        assert!(other_id.verify(message, &signature).is_err());
        assert!(
            key.verify(b"yrd-ledger: another message", &signature)
                .is_err()
        );
    }

    #[test]
    fn sm2_signatures_verify_and_a_changed_message_does_not() {
        let set = signed(4);
        assert_eq!(set.len(), 4);
        for (key, message, signature) in &set {
            assert!(key.verify(message, signature).is_ok());
            let mut other = message.clone();
            other[0] ^= 1;
            assert!(key.verify(&other, signature).is_err());
        }
        // Another user ID gives another Z_A, so the same signature fails.
        let (key, message, signature) = &set[0];
        let point = key.to_sec1_bytes();
        let other_id = VerifyingKey::from_sec1_bytes("ALICE123@YAHOO.COM", &point).unwrap();
        assert!(other_id.verify(message, signature).is_err());
    }
}
