//! The typed-table abstraction: every column family is a [`Table`] with a key type whose byte
//! encoding sorts like the key itself, and a borsh value type decoded canonically.
//!
//! Key encodings are order-preserving (big-endian integers, fixed-size hashes first), so a RocksDB
//! range scan visits keys in their logical order. Values are borsh, read back through
//! [`decode_canonical_bounded`]: a value that does not re-encode to exactly the stored bytes, or is
//! larger than its table allows, is a typed [`StorageError::CorruptValue`], never a panic.

use borsh::{BorshDeserialize, BorshSerialize};
use yrd_contracts::codec::{self, decode_canonical_bounded};

use super::error::StorageError;

/// Default limit on one stored value, in bytes. Tables holding larger records override it.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 16 * 1024 * 1024;

/// One column family: its name, key type and value type.
pub trait Table: 'static {
    /// The column family name. Never change it for an existing table: data on disk is found by it.
    const NAME: &'static str;
    /// Largest encoded value this table stores, in bytes; checked on write and before decoding.
    const MAX_VALUE_BYTES: usize = DEFAULT_MAX_VALUE_BYTES;
    /// The key type.
    type Key: KeyCodec;
    /// The value type, stored as canonical borsh.
    type Value: BorshSerialize + BorshDeserialize;
}

/// One decoded entry of table `T`.
pub type Entry<T> = (<T as Table>::Key, <T as Table>::Value);

/// Why stored key bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyDecodeError(pub String);

/// An order-preserving key encoding: `a < b` exactly when `a.encode_key() < b.encode_key()`.
pub trait KeyCodec: Sized {
    /// The key's bytes.
    fn encode_key(&self) -> Vec<u8>;
    /// Parse key bytes read back from the database. Must refuse anything `encode_key` would not
    /// produce.
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError>;
}

/// A key whose encoding always has the same length, so it can lead a composite key.
pub trait FixedLenKey: KeyCodec {
    /// The encoded length in bytes.
    const ENCODED_LEN: usize;
}

fn exact<const N: usize>(bytes: &[u8], what: &str) -> Result<[u8; N], KeyDecodeError> {
    <[u8; N]>::try_from(bytes).map_err(|_| {
        KeyDecodeError(format!(
            "{what} key must be {N} bytes, found {}",
            bytes.len()
        ))
    })
}

impl KeyCodec for u64 {
    fn encode_key(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        Ok(u64::from_be_bytes(exact::<8>(bytes, "u64")?))
    }
}

impl FixedLenKey for u64 {
    const ENCODED_LEN: usize = 8;
}

impl KeyCodec for u32 {
    fn encode_key(&self) -> Vec<u8> {
        self.to_be_bytes().to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        Ok(u32::from_be_bytes(exact::<4>(bytes, "u32")?))
    }
}

impl FixedLenKey for u32 {
    const ENCODED_LEN: usize = 4;
}

impl KeyCodec for [u8; 32] {
    fn encode_key(&self) -> Vec<u8> {
        self.to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        exact::<32>(bytes, "32-byte hash")
    }
}

impl FixedLenKey for [u8; 32] {
    const ENCODED_LEN: usize = 32;
}

/// An issuer's unified social credit code (GB 32100): 18 ASCII characters, the issuer part of the
/// local batch-leaf keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UsccKey(pub [u8; 18]);

impl UsccKey {
    /// The key of a parsed code.
    pub fn of(uscc: &yrd_contracts::licence_id::Uscc) -> Self {
        UsccKey(uscc.to_bytes())
    }
}

impl KeyCodec for UsccKey {
    fn encode_key(&self) -> Vec<u8> {
        self.0.to_vec()
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        exact::<18>(bytes, "USCC").map(UsccKey)
    }
}

impl FixedLenKey for UsccKey {
    const ENCODED_LEN: usize = 18;
}

/// The key of single-entry tables: the empty byte string.
impl KeyCodec for () {
    fn encode_key(&self) -> Vec<u8> {
        Vec::new()
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        if bytes.is_empty() {
            Ok(())
        } else {
            Err(KeyDecodeError(format!(
                "singleton key must be empty, found {} bytes",
                bytes.len()
            )))
        }
    }
}

/// A pair sorts by its fixed-length first part, then by its second part.
impl<A: FixedLenKey, B: KeyCodec> KeyCodec for (A, B) {
    fn encode_key(&self) -> Vec<u8> {
        let mut bytes = self.0.encode_key();
        bytes.extend_from_slice(&self.1.encode_key());
        bytes
    }
    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        let (first, rest) = bytes.split_at_checked(A::ENCODED_LEN).ok_or_else(|| {
            KeyDecodeError(format!(
                "composite key of {} bytes is shorter than its {}-byte prefix",
                bytes.len(),
                A::ENCODED_LEN
            ))
        })?;
        Ok((A::decode_key(first)?, B::decode_key(rest)?))
    }
}

impl<A: FixedLenKey, B: FixedLenKey> FixedLenKey for (A, B) {
    const ENCODED_LEN: usize = A::ENCODED_LEN + B::ENCODED_LEN;
}

/// Encode a value for table `T`, refusing values over the table's limit.
pub fn encode_value<T: Table>(value: &T::Value) -> Result<Vec<u8>, StorageError> {
    let bytes = codec::encode(value);
    if bytes.len() > T::MAX_VALUE_BYTES {
        return Err(StorageError::ValueTooLarge {
            table: T::NAME,
            len: bytes.len(),
            limit: T::MAX_VALUE_BYTES,
        });
    }
    Ok(bytes)
}

/// Decode a stored value of table `T`; `key` only names the entry in the error.
pub fn decode_value<T: Table>(key: &[u8], bytes: &[u8]) -> Result<T::Value, StorageError> {
    decode_canonical_bounded::<T::Value>(bytes, T::MAX_VALUE_BYTES).map_err(|source| {
        StorageError::CorruptValue {
            table: T::NAME,
            key_hex: hex::encode(key),
            source,
        }
    })
}

/// Decode a stored key of table `T`.
pub fn decode_key<T: Table>(bytes: &[u8]) -> Result<T::Key, StorageError> {
    T::Key::decode_key(bytes).map_err(|error| StorageError::CorruptKey {
        table: T::NAME,
        key_hex: hex::encode(bytes),
        reason: error.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_keys_sort_like_integers() {
        let values = [0u64, 1, 255, 256, 65_535, 1 << 40, u64::MAX - 1, u64::MAX];
        for pair in values.windows(2) {
            assert!(pair[0].encode_key() < pair[1].encode_key(), "{pair:?}");
        }
        for value in values {
            assert_eq!(u64::decode_key(&value.encode_key()), Ok(value));
        }
    }

    #[test]
    fn composite_keys_sort_by_first_then_second() {
        let keys = [(1u64, 0u32), (1, 7), (1, 256), (2, 0), (256, 1)];
        for pair in keys.windows(2) {
            assert!(pair[0].encode_key() < pair[1].encode_key(), "{pair:?}");
        }
        for key in keys {
            assert_eq!(<(u64, u32)>::decode_key(&key.encode_key()), Ok(key));
        }
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert!(u64::decode_key(&[0; 7]).is_err());
        assert!(u64::decode_key(&[0; 9]).is_err());
        assert!(<[u8; 32]>::decode_key(&[0; 31]).is_err());
        assert!(<(u64, u32)>::decode_key(&[0; 5]).is_err());
        assert!(<(u64, u32)>::decode_key(&[0; 13]).is_err());
        assert!(<()>::decode_key(&[1]).is_err());
    }
}
