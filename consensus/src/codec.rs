//! Canonical encoding: every value has exactly one byte encoding.
//!
//! All consensus-critical and state bytes are borsh (with `de_strict_order`, so maps and sets must
//! arrive sorted and unique). Borsh alone still admits some non-canonical inputs at the edges
//! (trailing bytes after a value; types whose decoder normalises), so [`decode_canonical`] decodes,
//! refuses trailing bytes, re-encodes and refuses any input that does not re-encode to itself.
//! Everything decoded from a client, the network or the disk goes through it.

use borsh::{BorshDeserialize, BorshSerialize};

/// Why bytes were refused as a canonical encoding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodecError {
    /// The bytes are not a valid borsh encoding of the type.
    #[error("malformed encoding: {0}")]
    Malformed(String),
    /// A value decoded but bytes were left over.
    #[error("{trailing} trailing byte(s) after the value")]
    TrailingBytes {
        /// How many bytes were left.
        trailing: usize,
    },
    /// The bytes decode, but the value's one canonical encoding differs from them.
    #[error("non-canonical encoding: {len} input bytes re-encode differently")]
    NonCanonical {
        /// Length of the refused input.
        len: usize,
    },
    /// The input is longer than the caller allows.
    #[error("encoding is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// Length of the refused input.
        len: usize,
        /// The limit it exceeded.
        limit: usize,
    },
}

/// The canonical bytes of a value.
pub fn encode<T: BorshSerialize>(value: &T) -> Vec<u8> {
    // Writing into a Vec cannot fail: borsh only reports errors from the underlying writer.
    borsh::to_vec(value).unwrap_or_default()
}

/// The length of a value's canonical bytes, without building them.
pub fn encoded_len<T: BorshSerialize>(value: &T) -> usize {
    // Counting cannot fail for the same reason as `encode`.
    borsh::object_length(value).unwrap_or_default()
}

/// Decode `bytes` as exactly one canonical `T`, refusing trailing bytes and non-canonical input.
pub fn decode_canonical<T: BorshSerialize + BorshDeserialize>(
    bytes: &[u8],
) -> Result<T, CodecError> {
    let mut cursor = bytes;
    let value = T::deserialize(&mut cursor).map_err(|e| CodecError::Malformed(e.to_string()))?;
    if !cursor.is_empty() {
        return Err(CodecError::TrailingBytes {
            trailing: cursor.len(),
        });
    }
    if encode(&value) != bytes {
        return Err(CodecError::NonCanonical { len: bytes.len() });
    }
    Ok(value)
}

/// [`decode_canonical`] with an upper bound on the input length, checked before any decoding work.
pub fn decode_canonical_bounded<T: BorshSerialize + BorshDeserialize>(
    bytes: &[u8],
    limit: usize,
) -> Result<T, CodecError> {
    if bytes.len() > limit {
        return Err(CodecError::TooLarge {
            len: bytes.len(),
            limit,
        });
    }
    decode_canonical(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, borsh::BorshSerialize, borsh::BorshDeserialize)]
    struct Pair {
        a: u32,
        flag: bool,
    }

    #[test]
    fn round_trip() {
        let value = Pair { a: 7, flag: true };
        let bytes = encode(&value);
        assert_eq!(bytes, vec![7, 0, 0, 0, 1]);
        assert_eq!(decode_canonical::<Pair>(&bytes), Ok(value));
    }

    #[test]
    fn trailing_bytes_refused() {
        let err = decode_canonical::<Pair>(&[7, 0, 0, 0, 1, 9]).unwrap_err();
        assert_eq!(err, CodecError::TrailingBytes { trailing: 1 });
    }

    #[test]
    fn non_canonical_bool_refused() {
        // borsh refuses bool bytes other than 0/1; either way the input must not be accepted.
        assert!(decode_canonical::<Pair>(&[7, 0, 0, 0, 2]).is_err());
    }

    #[test]
    fn unsorted_map_refused() {
        use std::collections::BTreeMap;
        let mut map = BTreeMap::new();
        map.insert(1u8, 0u8);
        map.insert(2u8, 0u8);
        let mut bytes = encode(&map);
        // Swap the two entries: same content, wrong order.
        bytes.swap(4, 6);
        assert!(decode_canonical::<BTreeMap<u8, u8>>(&bytes).is_err());
    }

    #[test]
    fn size_limit_checked_first() {
        let err = decode_canonical_bounded::<Pair>(&[0; 10], 5).unwrap_err();
        assert_eq!(err, CodecError::TooLarge { len: 10, limit: 5 });
    }
}
