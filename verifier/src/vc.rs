//! W3C Verifiable Credentials 2.0 secured with a Data Integrity proof of the `eddsa-jcs-2022`
//! cryptosuite (W3C vc-di-eddsa): JSON Canonicalization Scheme (RFC 8785) of the document and of
//! the proof configuration, SHA-256 of each, Ed25519 over `proofConfigHash || documentHash`, the
//! signature as multibase base58btc (`z…`), keys as Multikey (`z6Mk…`: the `ed25519-pub`
//! multicodec prefix `0xed 0x01` and the 32 key bytes).
//!
//! The functions here create and check the proof only; which key a `verificationMethod` names
//! (a `did:yrd` document's method, resolved through a node) is the caller's business.

use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

/// The cryptosuite name.
pub const CRYPTOSUITE: &str = "eddsa-jcs-2022";
/// The proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The VC 2.0 base context.
pub const VC_V2_CONTEXT: &str = "https://www.w3.org/ns/credentials/v2";
/// Multicodec prefix of an Ed25519 public key (`ed25519-pub`, varint 0xed).
const ED25519_PUB_PREFIX: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of an Ed25519 private key (`ed25519-priv`, varint 0x1300).
const ED25519_PRIV_PREFIX: [u8; 2] = [0x80, 0x26];

/// Why a proof cannot be made or does not verify. The names follow the Data Integrity
/// specification's error conditions where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VcError {
    /// The document or the proof is not of the shape the cryptosuite needs.
    #[error("PROOF_VERIFICATION_ERROR: malformed {what}: {reason}")]
    Malformed {
        /// What is malformed.
        what: &'static str,
        /// How.
        reason: String,
    },
    /// The proof is of another type or cryptosuite.
    #[error(
        "PROOF_VERIFICATION_ERROR: proof type {proof_type:?} / cryptosuite {cryptosuite:?} is not DataIntegrityProof / eddsa-jcs-2022"
    )]
    WrongSuite {
        /// The proof's type.
        proof_type: String,
        /// The proof's cryptosuite.
        cryptosuite: String,
    },
    /// The proof's `@context` is not a prefix of the document's.
    #[error("PROOF_VERIFICATION_ERROR: the proof's @context does not match the document's")]
    ContextMismatch,
    /// The signature does not verify under the key.
    #[error("PROOF_VERIFICATION_ERROR: the signature does not verify")]
    BadSignature,
    /// A multibase or Multikey value does not decode.
    #[error("INVALID_VERIFICATION_METHOD: {0}")]
    BadKey(String),
}

fn malformed(what: &'static str, reason: impl Into<String>) -> VcError {
    VcError::Malformed {
        what,
        reason: reason.into(),
    }
}

/// RFC 8785 canonical JSON of `value`.
pub fn canonical(value: &Value) -> Result<String, VcError> {
    serde_json_canonicalizer::to_string(value).map_err(|e| malformed("document", e.to_string()))
}

/// SHA-256 of `text`'s UTF-8 bytes.
pub fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The bytes the signature covers: SHA-256 of the canonical proof configuration, then SHA-256 of
/// the canonical document (without `proof`).
pub fn hash_data(document: &Value, proof_config: &Value) -> Result<[u8; 64], VcError> {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&sha256(&canonical(proof_config)?));
    out[32..].copy_from_slice(&sha256(&canonical(document)?));
    Ok(out)
}

/// Multibase base58btc (`z` prefix).
pub fn multibase_base58btc(bytes: &[u8]) -> String {
    format!("z{}", bs58::encode(bytes).into_string())
}

fn decode_multibase(text: &str) -> Result<Vec<u8>, VcError> {
    let body = text
        .strip_prefix('z')
        .ok_or_else(|| VcError::BadKey(format!("{text:?} is not multibase base58btc")))?;
    bs58::decode(body)
        .into_vec()
        .map_err(|e| VcError::BadKey(format!("{text:?}: {e}")))
}

/// An Ed25519 public key as a Multikey `publicKeyMultibase` (`z6Mk…`).
pub fn public_key_multibase(key: &[u8; 32]) -> String {
    let mut bytes = ED25519_PUB_PREFIX.to_vec();
    bytes.extend_from_slice(key);
    multibase_base58btc(&bytes)
}

/// The Ed25519 public key of a Multikey `publicKeyMultibase`.
pub fn decode_public_key_multibase(text: &str) -> Result<[u8; 32], VcError> {
    let bytes = decode_multibase(text)?;
    let key = bytes
        .strip_prefix(&ED25519_PUB_PREFIX[..])
        .ok_or_else(|| VcError::BadKey(format!("{text:?} is not an Ed25519 Multikey")))?;
    key.try_into()
        .map_err(|_| VcError::BadKey(format!("{text:?} does not hold 32 key bytes")))
}

/// The Ed25519 secret key of a Multikey `secretKeyMultibase` (test vectors use this form).
pub fn decode_secret_key_multibase(text: &str) -> Result<[u8; 32], VcError> {
    let bytes = decode_multibase(text)?;
    let key = bytes
        .strip_prefix(&ED25519_PRIV_PREFIX[..])
        .ok_or_else(|| VcError::BadKey("not an Ed25519 secret Multikey".to_owned()))?;
    key.try_into()
        .map_err(|_| VcError::BadKey("an Ed25519 secret Multikey holds 32 bytes".to_owned()))
}

/// The proof configuration for `document`: the given fields, with the document's `@context`
/// copied in when it has one (as the cryptosuite requires).
pub fn proof_config(
    document: &Value,
    verification_method: &str,
    created: &str,
    proof_purpose: &str,
) -> Value {
    let mut config = Map::new();
    config.insert("type".into(), Value::String(PROOF_TYPE.into()));
    config.insert("cryptosuite".into(), Value::String(CRYPTOSUITE.into()));
    config.insert("created".into(), Value::String(created.into()));
    config.insert(
        "verificationMethod".into(),
        Value::String(verification_method.into()),
    );
    config.insert("proofPurpose".into(), Value::String(proof_purpose.into()));
    if let Some(context) = document.get("@context") {
        config.insert("@context".into(), context.clone());
    }
    Value::Object(config)
}

/// Signs `document` (which must hold no `proof`) under `config`; returns the secured document.
pub fn add_proof(document: &Value, config: &Value, key: &SigningKey) -> Result<Value, VcError> {
    let Value::Object(fields) = document else {
        return Err(malformed("document", "not a JSON object"));
    };
    if fields.contains_key("proof") {
        return Err(malformed("document", "already holds a proof"));
    }
    let data = hash_data(document, config)?;
    let signature = key.sign(&data);
    let mut proof = config.clone();
    if let Value::Object(proof) = &mut proof {
        proof.insert(
            "proofValue".into(),
            Value::String(multibase_base58btc(&signature.to_bytes())),
        );
    }
    let mut secured = fields.clone();
    secured.insert("proof".into(), proof);
    Ok(Value::Object(secured))
}

/// A secured document's proof, split: the document without it, the proof configuration (the
/// proof without `proofValue`), and the signature.
pub struct SplitProof {
    /// The document without `proof`.
    pub document: Value,
    /// The proof without `proofValue`.
    pub config: Value,
    /// The 64 signature bytes.
    pub signature: [u8; 64],
    /// The proof's `verificationMethod`.
    pub verification_method: String,
}

/// Splits a secured document's single proof and checks its suite and context.
pub fn split_proof(secured: &Value) -> Result<SplitProof, VcError> {
    let Value::Object(fields) = secured else {
        return Err(malformed("document", "not a JSON object"));
    };
    let mut document = fields.clone();
    let Some(Value::Object(proof)) = document.remove("proof") else {
        return Err(malformed("proof", "absent, or not one proof object"));
    };
    let text = |name: &'static str| -> Result<String, VcError> {
        proof
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| malformed("proof", format!("no {name}")))
    };
    let proof_type = text("type")?;
    let cryptosuite = text("cryptosuite")?;
    if proof_type != PROOF_TYPE || cryptosuite != CRYPTOSUITE {
        return Err(VcError::WrongSuite {
            proof_type,
            cryptosuite,
        });
    }
    let verification_method = text("verificationMethod")?;
    let proof_value = text("proofValue")?;
    if let Some(proof_context) = proof.get("@context") {
        let doc_context = document.get("@context").ok_or(VcError::ContextMismatch)?;
        let as_list = |v: &Value| match v {
            Value::Array(items) => items.clone(),
            other => vec![other.clone()],
        };
        let (proof_context, doc_context) = (as_list(proof_context), as_list(doc_context));
        if !doc_context.starts_with(&proof_context) {
            return Err(VcError::ContextMismatch);
        }
    }
    let signature: [u8; 64] = decode_multibase(&proof_value)
        .map_err(|_| malformed("proof", "proofValue is not multibase base58btc"))?
        .try_into()
        .map_err(|_| malformed("proof", "proofValue does not hold 64 signature bytes"))?;
    let mut config = proof;
    config.remove("proofValue");
    Ok(SplitProof {
        document: Value::Object(document),
        config: Value::Object(config),
        signature,
        verification_method,
    })
}

/// Checks a secured document's `eddsa-jcs-2022` proof under `public_key` (the key its
/// `verificationMethod` names, resolved by the caller).
pub fn verify_proof(secured: &Value, public_key: &[u8; 32]) -> Result<(), VcError> {
    let split = split_proof(secured)?;
    let key = VerifyingKey::from_bytes(public_key)
        .map_err(|e| VcError::BadKey(format!("not an Ed25519 key: {e}")))?;
    let data = hash_data(&split.document, &split.config)?;
    key.verify_strict(&data, &Signature::from_bytes(&split.signature))
        .map_err(|_| VcError::BadSignature)
}

/// `ms` since the Unix epoch as an RFC 3339 UTC timestamp with second precision (the form of
/// `validFrom` and `created`).
pub fn rfc3339_utc(ms: u64) -> String {
    let secs = ms / 1_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (proleptic Gregorian), after H. Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}
