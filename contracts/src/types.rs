//! Small value types shared by transactions, records and queries.
//!
//! Each type that carries an invariant (a bounded string, a division code) has a `validate`
//! method; the state machine calls it on every value a transaction brings. Decoding alone never
//! validates: canonical decoding only guarantees one encoding per value.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::limits::{MAX_CHAIN_ID_LEN, MAX_FRAGMENT_LEN, MAX_TYPE_CODE_LEN};

/// An ed25519 public key: the identity of every signer on the ledger.
pub type PublicKeyBytes = [u8; 32];
/// A 32-byte digest (licence commitment, batch root, schema digest, document digest).
pub type Digest32 = [u8; 32];
/// A transaction hash.
pub type TxHash = [u8; 32];

/// Why a field value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// Name of the field, as in the transaction.
    pub field: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    /// A field error with a reason.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }
}

/// A province-level administrative division, by its GB/T 2260 code (e.g. 310000 for Shanghai).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct ProvinceCode(pub u32);

impl ProvinceCode {
    /// Shanghai (上海市).
    pub const SHANGHAI: ProvinceCode = ProvinceCode(310_000);
    /// Jiangsu (江苏省).
    pub const JIANGSU: ProvinceCode = ProvinceCode(320_000);
    /// Zhejiang (浙江省).
    pub const ZHEJIANG: ProvinceCode = ProvinceCode(330_000);
    /// Anhui (安徽省).
    pub const ANHUI: ProvinceCode = ProvinceCode(340_000);

    /// A province-level GB/T 2260 code: six digits from 110000 to 829999 ending in `0000`.
    pub fn validate(self) -> Result<(), FieldError> {
        if (110_000..=820_000).contains(&self.0) && self.0.is_multiple_of(10_000) {
            Ok(())
        } else {
            Err(FieldError::new(
                "province",
                format!("{} is not a province-level GB/T 2260 code", self.0),
            ))
        }
    }
}

impl fmt::Display for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// The chain identifier: 1 to [`MAX_CHAIN_ID_LEN`] bytes of `[a-z0-9-]`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct ChainId(pub String);

impl ChainId {
    /// Checks the character set and length.
    pub fn validate(&self) -> Result<(), FieldError> {
        let ok = !self.0.is_empty()
            && self.0.len() <= MAX_CHAIN_ID_LEN
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(FieldError::new(
                "chain_id",
                format!("must be 1..={MAX_CHAIN_ID_LEN} bytes of [a-z0-9-]"),
            ))
        }
    }
}

impl fmt::Display for ChainId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A licence-type code in the style of GB/T 36902: 1 to [`MAX_TYPE_CODE_LEN`] bytes of
/// `[0-9A-Z]`, with `.` or `-` allowed between them.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct LicenceTypeCode(pub String);

impl LicenceTypeCode {
    /// Checks the character set and length.
    pub fn validate(&self) -> Result<(), FieldError> {
        let bytes = self.0.as_bytes();
        let charset_ok = bytes
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase() || *b == b'.' || *b == b'-');
        let edges_ok = bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric);
        if charset_ok && edges_ok && bytes.len() <= MAX_TYPE_CODE_LEN {
            Ok(())
        } else {
            Err(FieldError::new(
                "licence_type",
                format!(
                    "{:?} must be 1..={MAX_TYPE_CODE_LEN} bytes of [0-9A-Z.-], starting and ending alphanumeric",
                    self.0
                ),
            ))
        }
    }
}

impl fmt::Display for LicenceTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Shanghai's three public-data classes, attached to each licence type.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum DataClass {
    /// 无条件开放: anyone may read the full record.
    Unconditional,
    /// 有条件开放: registered verifiers read details; anyone else learns valid/invalid only.
    Conditional,
    /// 非开放: status only, and only to registered verifiers.
    NonOpen,
}

/// A DID URL fragment naming a verification method or service (`key-1`, `registry`):
/// 1 to [`MAX_FRAGMENT_LEN`] bytes of `[a-z0-9-]`.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(transparent)]
pub struct Fragment(pub String);

impl Fragment {
    /// Checks the character set and length.
    pub fn validate(&self, field: &'static str) -> Result<(), FieldError> {
        let ok = !self.0.is_empty()
            && self.0.len() <= MAX_FRAGMENT_LEN
            && self
                .0
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(())
        } else {
            Err(FieldError::new(
                field,
                format!(
                    "{:?} must be 1..={MAX_FRAGMENT_LEN} bytes of [a-z0-9-]",
                    self.0
                ),
            ))
        }
    }
}

impl fmt::Display for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn province_codes() {
        for p in [
            ProvinceCode::SHANGHAI,
            ProvinceCode::JIANGSU,
            ProvinceCode::ZHEJIANG,
            ProvinceCode::ANHUI,
        ] {
            assert!(p.validate().is_ok());
        }
        assert!(ProvinceCode(310_100).validate().is_err());
        assert!(ProvinceCode(100_000).validate().is_err());
        assert!(ProvinceCode(830_000).validate().is_err());
        assert_eq!(ProvinceCode::SHANGHAI.to_string(), "310000");
    }

    #[test]
    fn type_code_rules_and_limit() {
        assert!(
            LicenceTypeCode("11100000000000000001".into())
                .validate()
                .is_ok()
        );
        assert!(
            LicenceTypeCode("A".repeat(MAX_TYPE_CODE_LEN))
                .validate()
                .is_ok()
        );
        assert!(
            LicenceTypeCode("A".repeat(MAX_TYPE_CODE_LEN + 1))
                .validate()
                .is_err()
        );
        assert!(LicenceTypeCode(String::new()).validate().is_err());
        assert!(LicenceTypeCode("ab".into()).validate().is_err());
        assert!(LicenceTypeCode(".1".into()).validate().is_err());
    }

    #[test]
    fn chain_id_and_fragment_limits() {
        assert!(ChainId("a".repeat(MAX_CHAIN_ID_LEN)).validate().is_ok());
        assert!(
            ChainId("a".repeat(MAX_CHAIN_ID_LEN + 1))
                .validate()
                .is_err()
        );
        assert!(ChainId("Yrd".into()).validate().is_err());
        assert!(Fragment("k".repeat(MAX_FRAGMENT_LEN)).validate("f").is_ok());
        assert!(
            Fragment("k".repeat(MAX_FRAGMENT_LEN + 1))
                .validate("f")
                .is_err()
        );
        assert!(Fragment("key#1".into()).validate("f").is_err());
    }
}
