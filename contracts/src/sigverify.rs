//! Transaction signature verification: the consensus rule and an exact batch fast path.
//!
//! **The rule** is `ed25519_dalek::VerifyingKey::verify_strict` over the transaction's signing
//! message, with the signer key additionally required to be a canonical encoding of a point that
//! is not of small order ([`crate::envelope::parse_signer_key`]).
//!
//! **The batch fast path** ([`verify_batch`]) must never give a verdict the rule would not. Write
//! `D = R − [s]B + [h]A` for a signature `(R, s)` by key `A` with challenge `h`. `verify_strict`
//! accepts exactly when `s < ℓ`, `R` decompresses and is not of small order, `A` is not of small
//! order, and `compress([s]B − [h]A)` equals the bytes of `R`; when `R` is canonically encoded that
//! last condition is `D = 0`. dalek's `verify_batch` accepts when `Σ zᵢ·Dᵢ = 0` for 128-bit `zᵢ`
//! drawn from a Merlin transcript of all inputs (deterministic: its RNG is the transcript keyed with
//! an all-zero "randomness", see `ed25519-dalek/src/batch.rs`, `ZeroRng`). So:
//!
//! 1. A signature goes into the batch only if its key is canonical, not small order **and
//!    torsion-free**, and its `R` is canonical, decompresses, is not small order **and is
//!    torsion-free**, and `s < ℓ`. Anything else is checked alone with `verify_strict`.
//! 2. With `R`, `A` and `B` in the prime-order subgroup, every `Dᵢ` is too. If all `Dᵢ = 0` the
//!    batch accepts; if the batch accepts, all `Dᵢ = 0` except with probability about 2⁻¹²⁸ per
//!    attempt (the standard batch-soundness bound; the `zᵢ` depend on every input). Then each
//!    `R` equals `[s]B − [h]A` and, being canonically encoded, has the bytes `verify_strict`
//!    recomputes: every batched signature passes the rule.
//! 3. If the batch fails, every batched signature is re-checked alone with `verify_strict`, so the
//!    culprits (and only they) fail.
//!
//! Why the torsion checks in (1) matter: rejecting only weak keys and small-order `R` is not
//! enough. A signer can add a small-order point `T` to a valid `R`; `verify_strict` refuses that
//! signature, but the batch equation sees `zᵢ·T`, which vanishes whenever `zᵢ` is a multiple of
//! the order of `T` (probability up to 1/2), and the signer can grind its message until it does.
//! Nodes verifying one way and nodes verifying the other would then disagree on the block.
//! The torsion check costs one scalar multiplication per signature, so on this curve an exact
//! batch check saves less than the textbook batch speed-up; the benchmark reports both.

use std::collections::BTreeMap;

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::IsIdentity;
use ed25519_dalek::{Signature, VerifyingKey};

use yrd_consensus::CryptoSuite;
use yrd_consensus::crypto::sm2;

use crate::envelope::{SM2_KEY_REFUSAL, is_canonical_y, parse_signer_key};
use crate::error::TxError;
use crate::hashing::TX_SIGNING_DOMAIN;
use crate::types::PublicKeyBytes;

/// One signature to check.
#[derive(Debug, Clone, Copy)]
pub struct SignatureCheck<'a> {
    /// The signer key bytes.
    pub signer: &'a PublicKeyBytes,
    /// The signed message.
    pub message: &'a [u8],
    /// The signature bytes.
    pub signature: &'a [u8; 64],
}

/// The consensus rule for one signature, on the chain's suite.
pub fn verify_one(check: &SignatureCheck<'_>) -> Result<(), TxError> {
    match CryptoSuite::current() {
        CryptoSuite::Ed25519Blake3 => {
            let key = parse_signer_key(check.signer)?;
            verify_with_key(&key, check)
        }
        CryptoSuite::Sm2Sm3 => verify_sm2(check),
    }
}

/// The `sm2-sm3` rule: the key must name a curve point, then SM2 with the standard user ID.
fn verify_sm2(check: &SignatureCheck<'_>) -> Result<(), TxError> {
    let key = sm2::verifying_key(&yrd_consensus::PublicKey(*check.signer)).ok_or(
        TxError::InvalidSignerKey {
            key: *check.signer,
            reason: SM2_KEY_REFUSAL,
        },
    )?;
    let valid = sm2::verify_prepared(
        &key,
        check.message,
        &yrd_consensus::Signature(*check.signature),
    );
    if valid {
        Ok(())
    } else {
        Err(TxError::BadSignature)
    }
}

fn verify_with_key(key: &VerifyingKey, check: &SignatureCheck<'_>) -> Result<(), TxError> {
    key.verify_strict(check.message, &Signature::from_bytes(check.signature))
        .map_err(|_| TxError::BadSignature)
}

/// Verdicts of the rule for every check, one `verify_strict` each (signer keys parsed once per
/// distinct key).
pub fn verify_each(checks: &[SignatureCheck<'_>]) -> Vec<Result<(), TxError>> {
    if CryptoSuite::current() == CryptoSuite::Sm2Sm3 {
        return checks.iter().map(verify_sm2).collect();
    }
    let mut keys: BTreeMap<PublicKeyBytes, Result<VerifyingKey, TxError>> = BTreeMap::new();
    checks
        .iter()
        .map(|check| {
            let key = keys
                .entry(*check.signer)
                .or_insert_with(|| parse_signer_key(check.signer));
            match key {
                Ok(key) => verify_with_key(key, check),
                Err(e) => Err(e.clone()),
            }
        })
        .collect()
}

/// The signing message of a transaction from its canonical envelope bytes: the envelope is the
/// body's bytes followed by the 64 signature bytes, so the message is the domain tag followed by
/// all but the last 64 bytes. `None` if the input is shorter than a signature.
pub fn signing_message_from_envelope(envelope: &[u8]) -> Option<Vec<u8>> {
    let body_len = envelope.len().checked_sub(64)?;
    let body = envelope.get(..body_len)?;
    let mut message = Vec::with_capacity(TX_SIGNING_DOMAIN.len().saturating_add(body_len));
    message.extend_from_slice(TX_SIGNING_DOMAIN);
    message.extend_from_slice(body);
    Some(message)
}

/// A key usable under the rule, and whether it may join a batch (torsion-free).
fn batchable_key(bytes: &PublicKeyBytes) -> Result<(VerifyingKey, bool), TxError> {
    let key = parse_signer_key(bytes)?;
    let torsion_free = CompressedEdwardsY(*bytes)
        .decompress()
        .is_some_and(|point| is_torsion_free(&point));
    Ok((key, torsion_free))
}

/// Whether the signature's `R` and `s` meet the batch pre-conditions (see the module doc).
fn batchable_signature(signature: &[u8; 64]) -> bool {
    let (r_half, s_half) = signature.split_at(32);
    let (Ok(r_bytes), Ok(s_bytes)) = (<[u8; 32]>::try_from(r_half), <[u8; 32]>::try_from(s_half))
    else {
        return false;
    };
    if Scalar::from_canonical_bytes(s_bytes).is_none().into() {
        return false;
    }
    let Some(r) = CompressedEdwardsY(r_bytes).decompress() else {
        return false;
    };
    // A canonical y and a point not of small order (so x != 0) is the one spelling of R.
    is_canonical_y(&r_bytes) && !r.is_small_order() && is_torsion_free(&r)
}

/// `[ℓ]P = O`, computed as `[ℓ − 1]P + P` in variable time (the inputs are public): `−1` as a
/// scalar is the integer `ℓ − 1`, and scalar multiplication uses that integer, not a residue.
pub fn is_torsion_free(point: &EdwardsPoint) -> bool {
    let l_minus_one_times_p =
        EdwardsPoint::vartime_double_scalar_mul_basepoint(&-Scalar::ONE, point, &Scalar::ZERO);
    (l_minus_one_times_p + point).is_identity()
}

/// Verdicts of the rule for every check, computed with the exact batch fast path (module doc).
///
/// On `sm2-sm3` there is no batch equation in use: each signature is checked alone (ADR 019).
pub fn verify_batch(checks: &[SignatureCheck<'_>]) -> Vec<Result<(), TxError>> {
    if CryptoSuite::current() == CryptoSuite::Sm2Sm3 {
        return verify_each(checks);
    }
    let mut verdicts: Vec<Option<Result<(), TxError>>> = vec![None; checks.len()];
    let mut keys: BTreeMap<PublicKeyBytes, Result<(VerifyingKey, bool), TxError>> = BTreeMap::new();
    let mut batch: Vec<(usize, VerifyingKey)> = Vec::with_capacity(checks.len());
    for (index, check) in checks.iter().enumerate() {
        let key = keys
            .entry(*check.signer)
            .or_insert_with(|| batchable_key(check.signer))
            .clone();
        let verdict = match key {
            Err(e) => Some(Err(e)),
            Ok((key, true)) if batchable_signature(check.signature) => {
                batch.push((index, key));
                None
            }
            // Not eligible for the batch: the rule, alone.
            Ok((key, _)) => Some(verify_with_key(&key, check)),
        };
        if let Some(slot) = verdicts.get_mut(index) {
            *slot = verdict;
        }
    }
    if !batch.is_empty() {
        let mut messages = Vec::with_capacity(batch.len());
        let mut signatures = Vec::with_capacity(batch.len());
        let mut batch_keys = Vec::with_capacity(batch.len());
        for (index, key) in &batch {
            if let Some(check) = checks.get(*index) {
                messages.push(check.message);
                signatures.push(Signature::from_bytes(check.signature));
                batch_keys.push(*key);
            }
        }
        let all_valid = ed25519_dalek::verify_batch(&messages, &signatures, &batch_keys).is_ok();
        for (index, key) in &batch {
            let verdict = match (all_valid, checks.get(*index)) {
                (true, _) => Ok(()),
                (false, Some(check)) => verify_with_key(key, check),
                (false, None) => Err(TxError::BadSignature),
            };
            if let Some(slot) = verdicts.get_mut(*index) {
                *slot = Some(verdict);
            }
        }
    }
    verdicts
        .into_iter()
        .map(|v| v.unwrap_or(Err(TxError::BadSignature)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
    use ed25519_dalek::{Signer, SigningKey};

    fn check<'a>(
        key: &'a [u8; 32],
        message: &'a [u8],
        signature: &'a [u8; 64],
    ) -> SignatureCheck<'a> {
        SignatureCheck {
            signer: key,
            message,
            signature,
        }
    }

    #[test]
    fn batch_agrees_with_rule_on_valid_and_one_bad() {
        let signers: Vec<SigningKey> = (1..=8u8)
            .map(|n| SigningKey::from_bytes(&[n; 32]))
            .collect();
        let keys: Vec<[u8; 32]> = signers
            .iter()
            .map(|k| k.verifying_key().to_bytes())
            .collect();
        let messages: Vec<Vec<u8>> = (0..8u8).map(|n| vec![n; 40]).collect();
        let mut signatures: Vec<[u8; 64]> = signers
            .iter()
            .zip(&messages)
            .map(|(k, m)| k.sign(m).to_bytes())
            .collect();
        let checks: Vec<SignatureCheck<'_>> = (0..8)
            .map(|i| check(&keys[i], &messages[i], &signatures[i]))
            .collect();
        assert!(verify_batch(&checks).iter().all(Result::is_ok));

        signatures[5][10] ^= 0x01;
        let checks: Vec<SignatureCheck<'_>> = (0..8)
            .map(|i| check(&keys[i], &messages[i], &signatures[i]))
            .collect();
        let verdicts = verify_batch(&checks);
        for (i, verdict) in verdicts.iter().enumerate() {
            assert_eq!(verdict.is_ok(), i != 5, "index {i}");
            assert_eq!(verdict.is_ok(), verify_one(&checks[i]).is_ok());
        }
    }

    #[test]
    fn torsion_in_r_goes_to_the_rule() {
        // Add an order-8 point to a valid R: verify_strict refuses (the recomputed R is
        // torsion-free); the batch pre-check must route it to the rule, never accept it.
        let signer = SigningKey::from_bytes(&[9; 32]);
        let key = signer.verifying_key().to_bytes();
        let message = b"torsion".to_vec();
        let good = signer.sign(&message).to_bytes();
        let mut r_bytes = [0u8; 32];
        r_bytes.copy_from_slice(&good[..32]);
        let r = CompressedEdwardsY(r_bytes).decompress().unwrap();
        let mixed = (r + EIGHT_TORSION[1]).compress().to_bytes();
        let mut bad = good;
        bad[..32].copy_from_slice(&mixed);
        assert!(!batchable_signature(&bad));
        assert!(batchable_signature(&good));
        let checks = [check(&key, &message, &good), check(&key, &message, &bad)];
        let verdicts = verify_batch(&checks);
        assert!(verdicts[0].is_ok());
        assert_eq!(verdicts[1], Err(TxError::BadSignature));
        assert_eq!(verify_one(&checks[1]), Err(TxError::BadSignature));
    }

    #[test]
    fn mixed_order_key_is_not_batched_but_judged_by_the_rule() {
        // A key with a torsion component is not weak, so the rule accepts its honest signatures
        // only if R happens to match; whatever the verdict, it must equal the rule's.
        let a = ED25519_BASEPOINT_POINT * Scalar::from(12345u64) + EIGHT_TORSION[4];
        let key = a.compress().to_bytes();
        assert!(!batchable_key(&key).unwrap().1);
        let message = b"m".to_vec();
        let signature = [7u8; 64];
        let checks = [check(&key, &message, &signature)];
        assert_eq!(
            verify_batch(&checks)[0].is_ok(),
            verify_one(&checks[0]).is_ok()
        );
    }

    #[test]
    fn variable_time_torsion_test_matches_dalek() {
        for n in 1..40u64 {
            let p = ED25519_BASEPOINT_POINT * Scalar::from(n * 7919);
            for t in EIGHT_TORSION.iter() {
                let q = p + t;
                assert_eq!(is_torsion_free(&q), q.is_torsion_free(), "n={n}");
            }
            assert!(is_torsion_free(&p));
            assert!(!is_torsion_free(&(p + EIGHT_TORSION[4])));
        }
    }

    #[test]
    fn non_canonical_s_is_refused_like_the_rule() {
        let signer = SigningKey::from_bytes(&[4; 32]);
        let key = signer.verifying_key().to_bytes();
        let message = b"s".to_vec();
        let mut signature = signer.sign(&message).to_bytes();
        // s + ℓ: same residue, non-canonical encoding.
        let s = Scalar::from_canonical_bytes(signature[32..].try_into().unwrap()).unwrap();
        let l_bytes: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in 0..32 {
            let v = u16::from(s.as_bytes()[i]) + u16::from(l_bytes[i]) + carry;
            sum[i] = v as u8;
            carry = v >> 8;
        }
        signature[32..].copy_from_slice(&sum);
        let checks = [check(&key, &message, &signature)];
        assert_eq!(verify_batch(&checks)[0], Err(TxError::BadSignature));
        assert_eq!(verify_one(&checks[0]), Err(TxError::BadSignature));
    }
}
