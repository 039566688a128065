//! `did:yrd` identifiers and the Multikey encoding of ed25519 keys.
//!
//! A `did:yrd` identifier is `did:yrd:` followed by the base58btc (Bitcoin alphabet) encoding of
//! 16 bytes. Those 16 bytes are the first half of
//! `blake3_derive_key(DID_ID_CONTEXT, creator_key ‖ creator_nonce_u64_be)`, where the creator is
//! the signer of the `DidCreate` transaction and the nonce is that transaction's nonce: unique per
//! signer and nonce, so identifiers never collide and anyone can recompute them from the
//! transaction. The province authorities' genesis DIDs use
//! `blake3_derive_key(GENESIS_DID_ID_CONTEXT, province_code_u32_be)` instead (also used when a
//! province is admitted for the first time); a province re-admitted after a removal gets
//! `blake3_derive_key(READMITTED_DID_ID_CONTEXT, province_code_u32_be ‖ joined_height_u64_be)`, a
//! new DID for every admission.
//!
//! Never put anything derived from a natural person into an identifier: subjects are
//! organisations only.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hashing::{
    DID_ID_CONTEXT, GENESIS_DID_ID_CONTEXT, READMITTED_DID_ID_CONTEXT, derive_hash,
};
use crate::types::{ProvinceCode, PublicKeyBytes};

/// The DID method name.
pub const DID_METHOD_PREFIX: &str = "did:yrd:";
/// Multicodec prefix of an ed25519 public key (`ed25519-pub`, varint 0xed).
pub const MULTICODEC_ED25519_PUB: [u8; 2] = [0xed, 0x01];
/// Multicodec prefix of a compressed SM2 public key (`sm2-pub`, code 0x1206, varint `86 24`).
pub const MULTICODEC_SM2_PUB: [u8; 2] = [0x86, 0x24];
/// Length of the identifier bytes.
pub const DID_ID_LEN: usize = 16;

/// The method-specific identifier of a `did:yrd` DID.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize,
)]
pub struct DidId(pub [u8; DID_ID_LEN]);

/// Why a DID string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidParseError {
    /// Not a `did:yrd:` DID.
    #[error("{0:?} is not a did:yrd DID")]
    WrongMethod(String),
    /// The identifier is not base58btc of exactly 16 bytes in its one canonical spelling.
    #[error("{0:?} is not a canonical did:yrd identifier")]
    BadIdentifier(String),
}

impl DidId {
    /// The identifier a `DidCreate` by `creator` at `nonce` receives.
    pub fn derive(creator: &PublicKeyBytes, nonce: u64) -> Self {
        let hash = derive_hash(DID_ID_CONTEXT, &[creator, &nonce.to_be_bytes()]);
        Self(first_16(&hash))
    }

    /// The identifier of a province authority's genesis DID.
    pub fn genesis_authority(province: ProvinceCode) -> Self {
        let hash = derive_hash(GENESIS_DID_ID_CONTEXT, &[&province.0.to_be_bytes()]);
        Self(first_16(&hash))
    }

    /// The identifier of a province authority re-admitted at `joined_height`.
    pub fn readmitted_authority(province: ProvinceCode, joined_height: u64) -> Self {
        let hash = derive_hash(
            READMITTED_DID_ID_CONTEXT,
            &[&province.0.to_be_bytes(), &joined_height.to_be_bytes()],
        );
        Self(first_16(&hash))
    }

    /// Parses `did:yrd:<base58btc>`, refusing any spelling other than the canonical one.
    pub fn parse(did: &str) -> Result<Self, DidParseError> {
        let Some(id) = did.strip_prefix(DID_METHOD_PREFIX) else {
            return Err(DidParseError::WrongMethod(did.to_owned()));
        };
        let bytes = bs58::decode(id)
            .into_vec()
            .map_err(|_| DidParseError::BadIdentifier(did.to_owned()))?;
        let array: [u8; DID_ID_LEN] = bytes
            .try_into()
            .map_err(|_| DidParseError::BadIdentifier(did.to_owned()))?;
        let parsed = Self(array);
        // base58 admits leading-zero variants only through '1's, which re-encode identically, but
        // check anyway so that one DID has exactly one string.
        if parsed.to_string() != did {
            return Err(DidParseError::BadIdentifier(did.to_owned()));
        }
        Ok(parsed)
    }
}

fn first_16(hash: &[u8; 32]) -> [u8; DID_ID_LEN] {
    let mut out = [0u8; DID_ID_LEN];
    for (o, h) in out.iter_mut().zip(hash.iter()) {
        *o = *h;
    }
    out
}

impl fmt::Display for DidId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{DID_METHOD_PREFIX}{}",
            bs58::encode(self.0).into_string()
        )
    }
}

impl Serialize for DidId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DidId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as Deserialize>::deserialize(deserializer)?;
        DidId::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The Multikey `publicKeyMultibase` of a ledger key on the process's suite (ADR 019):
/// [`ed25519_multibase`], or [`sm2_multibase`].
pub fn key_multibase(key: &PublicKeyBytes) -> String {
    match yrd_consensus::CryptoSuite::current() {
        yrd_consensus::CryptoSuite::Ed25519Blake3 => ed25519_multibase(key),
        yrd_consensus::CryptoSuite::Sm2Sm3 => sm2_multibase(key),
    }
}

/// The Multikey `publicKeyMultibase` of an SM2 x-only ledger key: `z` + base58btc(0x86 0x24 ‖
/// 0x02 ‖ x), the compressed point with even y that the 32 bytes name.
pub fn sm2_multibase(key: &PublicKeyBytes) -> String {
    let mut bytes = Vec::with_capacity(35);
    bytes.extend_from_slice(&MULTICODEC_SM2_PUB);
    bytes.push(0x02);
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

/// The Multikey `publicKeyMultibase` of an ed25519 key: `z` + base58btc(0xed 0x01 ‖ key).
pub fn ed25519_multibase(key: &PublicKeyBytes) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&MULTICODEC_ED25519_PUB);
    bytes.extend_from_slice(key);
    format!("z{}", bs58::encode(bytes).into_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_canonical() {
        let id = DidId::derive(&[7; 32], 3);
        let text = id.to_string();
        assert!(text.starts_with("did:yrd:"));
        assert_eq!(DidId::parse(&text), Ok(id));
        assert_ne!(DidId::derive(&[7; 32], 4), id);
        assert!(matches!(
            DidId::parse("did:web:example.com"),
            Err(DidParseError::WrongMethod(_))
        ));
        assert!(matches!(
            DidId::parse("did:yrd:0OIl"),
            Err(DidParseError::BadIdentifier(_))
        ));
        // 15 bytes is not an identifier.
        let short = format!("did:yrd:{}", bs58::encode([1u8; 15]).into_string());
        assert!(matches!(
            DidId::parse(&short),
            Err(DidParseError::BadIdentifier(_))
        ));
    }

    #[test]
    fn genesis_ids_differ_from_tx_ids() {
        let sh = DidId::genesis_authority(ProvinceCode::SHANGHAI);
        assert_ne!(sh, DidId::genesis_authority(ProvinceCode::JIANGSU));
        assert_ne!(sh, DidId::derive(&[0; 32], 0));
    }

    #[test]
    fn multikey_known_vector() {
        // The W3C Controlled Identifiers spec's ed25519 Multikey example key material starts "z6Mk":
        // every ed25519 Multikey does, because of the 0xed01 header.
        let encoded = ed25519_multibase(&[0u8; 32]);
        assert!(encoded.starts_with("z6Mk"), "{encoded}");
        let decoded = bs58::decode(&encoded[1..]).into_vec().unwrap();
        assert_eq!(&decoded[..2], &[0xed, 0x01]);
        assert_eq!(&decoded[2..], &[0u8; 32]);
    }
}
