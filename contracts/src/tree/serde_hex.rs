//! Strict hex for byte fields in JSON: lowercase only, exact length, no `0x` prefix.
//!
//! Canonical JSON needs one spelling per value, so uppercase or odd-length input is refused rather
//! than normalised. Use with `#[serde(with = "...")]`.

use serde::{Deserialize, Deserializer, Serializer};

/// Why a hex string was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// The string does not have the required number of characters.
    #[error("hex string has {len} characters, expected {expected}")]
    WrongLength {
        /// Characters found.
        len: usize,
        /// Characters required.
        expected: usize,
    },
    /// A character outside `0-9a-f`.
    #[error("character {character:?} at position {position} is not lowercase hex")]
    BadCharacter {
        /// The refused character.
        character: char,
        /// Its character index.
        position: usize,
    },
}

/// `bytes` as lowercase hex through the `hex` crate's slice encoder (its `encode` builds the
/// string one `char` at a time, which showed in the profile of proven reads).
pub fn to_hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len().saturating_mul(2)];
    // The output is exactly twice the input, the one length the encoder asks for.
    let _ = hex::encode_to_slice(bytes, &mut out);
    // Only ASCII digits and `a`-`f` are written.
    String::from_utf8(out).unwrap_or_default()
}

/// `[u8; 32]` as 64 lowercase hex characters, on the stack.
pub fn hex32(bytes: &[u8; 32]) -> HexStr64 {
    let mut out = [0u8; 64];
    let _ = hex::encode_to_slice(bytes, &mut out);
    HexStr64(out)
}

/// 64 lowercase hex characters (see [`hex32`]).
#[derive(Clone, Copy)]
pub struct HexStr64([u8; 64]);

impl HexStr64 {
    /// The characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and `a`-`f` are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

/// Parse exactly 64 lowercase hex characters into 32 bytes.
pub fn parse_hex32(text: &str) -> Result<[u8; 32], HexError> {
    if let Some((position, character)) = text
        .chars()
        .enumerate()
        .find(|(_, c)| !matches!(c, '0'..='9' | 'a'..='f'))
    {
        return Err(HexError::BadCharacter {
            character,
            position,
        });
    }
    if text.len() != 64 {
        return Err(HexError::WrongLength {
            len: text.len(),
            expected: 64,
        });
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| HexError::WrongLength {
        len: text.len(),
        expected: 64,
    })?;
    Ok(out)
}

/// `[u8; 32]` as 64 lowercase hex characters.
pub mod bytes32 {
    use super::*;

    /// Serialize as lowercase hex.
    pub fn serialize<S: Serializer>(bytes: &[u8; 32], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(hex32(bytes).as_str())
    }

    /// Deserialize from strict lowercase hex.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(deserializer)?;
        parse_hex32(&text).map_err(serde::de::Error::custom)
    }
}

/// `Vec<[u8; 32]>` as a JSON array of 64-character lowercase hex strings.
pub mod bytes32_vec {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serialize as an array of lowercase hex strings.
    pub fn serialize<S: Serializer>(items: &[[u8; 32]], serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(hex32(item).as_str())?;
        }
        seq.end()
    }

    /// Deserialize from an array of strict lowercase hex strings.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<[u8; 32]>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        texts
            .iter()
            .map(|text| parse_hex32(text).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_encoders_match_the_hex_crate() {
        let bytes: Vec<u8> = (0..=255u8).collect();
        assert_eq!(to_hex(&bytes), hex::encode(&bytes));
        assert_eq!(to_hex(&[]), "");
        for start in [0usize, 100, 224] {
            let mut chunk = [0u8; 32];
            chunk.copy_from_slice(&bytes[start..start + 32]);
            assert_eq!(hex32(&chunk).as_str(), hex::encode(chunk));
        }
    }

    #[test]
    fn parses_lowercase_only() {
        let text = "00".repeat(31) + "ff";
        let mut expected = [0u8; 32];
        expected[31] = 0xff;
        assert_eq!(parse_hex32(&text), Ok(expected));
        let upper = "00".repeat(31) + "FF";
        assert_eq!(
            parse_hex32(&upper),
            Err(HexError::BadCharacter {
                character: 'F',
                position: 62
            })
        );
        assert_eq!(
            parse_hex32(&"00".repeat(31)),
            Err(HexError::WrongLength {
                len: 62,
                expected: 64
            })
        );
        assert!(parse_hex32(&("0x".to_string() + &"00".repeat(31))).is_err());
    }
}
