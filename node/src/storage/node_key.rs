//! Order-preserving encoding of the state tree's [`NodeKey`] (version, nibble path).
//!
//! Layout: `version` (8 bytes big-endian) ‖ `nibble count` (1 byte) ‖ the nibbles packed two per
//! byte, high nibble first, a trailing half byte zero. `NodeKey`'s own ordering is by version, then
//! nibble count, then packed bytes, and since the byte length follows from the count this layout
//! sorts exactly like `NodeKey`. All of a version's nodes are one contiguous key range.
//!
//! `jmt` does not let other crates build a nibble path from bytes, so decoding validates the bytes
//! fully and then goes through `NodeKey`'s borsh encoding.

use jmt::storage::NodeKey;

use super::table::{KeyCodec, KeyDecodeError};

/// Most nibbles a node path may have: 32-byte key hashes have 64.
pub const MAX_NIBBLES: usize = 64;

impl KeyCodec for NodeKey {
    fn encode_key(&self) -> Vec<u8> {
        let path = self.nibble_path();
        let count = path.num_nibbles();
        let mut bytes = Vec::with_capacity(9 + count.div_ceil(2));
        bytes.extend_from_slice(&self.version().to_be_bytes());
        // jmt never builds a path longer than MAX_NIBBLES, so the count fits one byte.
        bytes.push(count.min(usize::from(u8::MAX)) as u8);
        let mut pending_high: Option<u8> = None;
        for nibble in path.nibbles() {
            let nibble = u8::from(nibble);
            match pending_high.take() {
                None => pending_high = Some(nibble << 4),
                Some(high) => bytes.push(high | nibble),
            }
        }
        if let Some(high) = pending_high {
            bytes.push(high);
        }
        bytes
    }

    fn decode_key(bytes: &[u8]) -> Result<Self, KeyDecodeError> {
        let (version, rest) = bytes.split_first_chunk::<8>().ok_or_else(|| {
            KeyDecodeError(format!("node key of {} bytes is too short", bytes.len()))
        })?;
        let (count, packed) = rest
            .split_first()
            .ok_or_else(|| KeyDecodeError("node key has no nibble count".to_owned()))?;
        let count = usize::from(*count);
        if count > MAX_NIBBLES {
            return Err(KeyDecodeError(format!(
                "node key has {count} nibbles, over the limit of {MAX_NIBBLES}"
            )));
        }
        if packed.len() != count.div_ceil(2) {
            return Err(KeyDecodeError(format!(
                "node key with {count} nibbles has {} path bytes",
                packed.len()
            )));
        }
        if count % 2 == 1 && packed.last().is_some_and(|last| last & 0x0f != 0) {
            return Err(KeyDecodeError(
                "odd nibble path has a nonzero padding nibble".to_owned(),
            ));
        }
        // NodeKey's borsh layout: version (u64 LE), num_nibbles (usize as u64 LE), bytes (u32 LE
        // length, then bytes). The checks above guarantee the path invariants jmt relies on.
        let mut borsh_bytes = Vec::with_capacity(20 + packed.len());
        borsh_bytes.extend_from_slice(&u64::from_be_bytes(*version).to_le_bytes());
        borsh_bytes.extend_from_slice(&(count as u64).to_le_bytes());
        borsh_bytes.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        borsh_bytes.extend_from_slice(packed);
        let key: NodeKey = borsh::from_slice(&borsh_bytes)
            .map_err(|error| KeyDecodeError(format!("node key does not rebuild: {error}")))?;
        if key.encode_key() != bytes {
            return Err(KeyDecodeError(
                "node key does not re-encode to itself".to_owned(),
            ));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds a node key through borsh, the only public way to construct a nibble path.
    fn node_key(version: u64, nibbles: &[u8]) -> NodeKey {
        let mut packed = vec![0u8; nibbles.len().div_ceil(2)];
        for (i, nibble) in nibbles.iter().enumerate() {
            packed[i / 2] |= if i % 2 == 0 { nibble << 4 } else { *nibble };
        }
        let mut bytes = version.to_le_bytes().to_vec();
        bytes.extend_from_slice(&(nibbles.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&(packed.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&packed);
        borsh::from_slice(&bytes).unwrap()
    }

    #[test]
    fn golden_encoding() {
        let key = node_key(0x0102, &[0xa, 0xb, 0xc]);
        assert_eq!(hex::encode(key.encode_key()), "000000000000010203abc0");
        assert_eq!(
            hex::encode(node_key(7, &[]).encode_key()),
            "000000000000000700"
        );
    }

    #[test]
    fn round_trip_and_order_match_node_key() {
        let mut keys = vec![
            node_key(0, &[]),
            node_key(0, &[0]),
            node_key(0, &[15]),
            node_key(0, &[0, 0]),
            node_key(0, &[1, 2, 3]),
            node_key(1, &[]),
            node_key(1, &[15, 15, 15, 15]),
            node_key(256, &[3; 64]),
            node_key(u64::MAX, &[9; 63]),
        ];
        keys.sort();
        for pair in keys.windows(2) {
            assert!(pair[0].encode_key() < pair[1].encode_key(), "{pair:?}");
        }
        for key in keys {
            assert_eq!(NodeKey::decode_key(&key.encode_key()), Ok(key));
        }
    }

    #[test]
    fn malformed_keys_are_refused() {
        // Too short, missing count, too many nibbles, wrong byte count, nonzero padding.
        assert!(NodeKey::decode_key(&[0; 7]).is_err());
        assert!(NodeKey::decode_key(&[0; 8]).is_err());
        let mut too_long = vec![0; 8];
        too_long.push(65);
        too_long.extend_from_slice(&[0; 33]);
        assert!(NodeKey::decode_key(&too_long).is_err());
        assert!(NodeKey::decode_key(&[0, 0, 0, 0, 0, 0, 0, 0, 2, 0xab, 0xcd]).is_err());
        assert!(NodeKey::decode_key(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 0xab]).is_err());
        assert!(NodeKey::decode_key(&[0, 0, 0, 0, 0, 0, 0, 0, 1, 0xa0]).is_ok());
    }
}
