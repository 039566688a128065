//! [`StateRoot`]: the 32-byte commitment to the whole ledger state at one version.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_hex::{HexError, parse_hex32};

/// Root of the empty tree: the 32 ASCII bytes `SPARSE_MERKLE_PLACEHOLDER_HASH__` (not a hash).
pub const EMPTY_TREE_ROOT: [u8; 32] = *b"SPARSE_MERKLE_PLACEHOLDER_HASH__";

/// The root hash of the state tree at one version; goes into every block header.
///
/// Borsh: the 32 bytes. JSON and `Display`: 64 lowercase hex characters.
#[derive(
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    borsh::BorshSerialize,
    borsh::BorshDeserialize,
)]
pub struct StateRoot(pub [u8; 32]);

impl StateRoot {
    /// The root of a tree holding no keys.
    pub const EMPTY: StateRoot = StateRoot(EMPTY_TREE_ROOT);

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for StateRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for StateRoot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateRoot({})", hex::encode(self.0))
    }
}

impl FromStr for StateRoot {
    type Err = HexError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse_hex32(text).map(StateRoot)
    }
}

impl From<jmt::RootHash> for StateRoot {
    fn from(root: jmt::RootHash) -> Self {
        StateRoot(root.0)
    }
}

impl From<StateRoot> for jmt::RootHash {
    fn from(root: StateRoot) -> Self {
        jmt::RootHash(root.0)
    }
}

impl Serialize for StateRoot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(super::serde_hex::hex32(&self.0).as_str())
    }
}

impl<'de> Deserialize<'de> for StateRoot {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_display_are_lowercase_hex() {
        let root = StateRoot([0xab; 32]);
        let json = serde_json::to_string(&root).unwrap();
        assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
        assert_eq!(root.to_string(), "ab".repeat(32));
        assert_eq!(serde_json::from_str::<StateRoot>(&json).unwrap(), root);
        let upper = format!("\"{}\"", "AB".repeat(32));
        assert!(serde_json::from_str::<StateRoot>(&upper).is_err());
        assert_eq!(
            format!("{root:?}"),
            format!("StateRoot({})", "ab".repeat(32))
        );
    }

    #[test]
    fn borsh_is_the_raw_bytes() {
        let root = StateRoot([7; 32]);
        assert_eq!(crate::codec::encode(&root), vec![7; 32]);
        assert_eq!(
            crate::codec::decode_canonical::<StateRoot>(&[7; 32]),
            Ok(root)
        );
    }
}
