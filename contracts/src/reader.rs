//! Read access to one version of the state, as raw bytes or decoded records.
//!
//! Queries and the transaction executor read only through [`StateReader`], so the RPC layer can
//! wrap a reader to collect a proof for every key a query touches.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::codec::decode_canonical;

/// Why a read failed. Never a transaction's fault: a read error aborts the block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// The underlying store failed.
    #[error("state store: {0}")]
    Storage(String),
    /// A stored value does not decode as the record its key names (a node fault).
    #[error("record under key {key} does not decode: {reason}")]
    Corrupt {
        /// Hex of the key.
        key: String,
        /// Decoder message.
        reason: String,
    },
}

/// Reads raw values of one state version.
pub trait StateReader {
    /// The value under `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError>;
}

impl<R: StateReader + ?Sized> StateReader for &R {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        (**self).get(key)
    }
}

/// Reads and canonically decodes the record under `key`.
pub fn read_record<T: BorshSerialize + BorshDeserialize>(
    reader: &(impl StateReader + ?Sized),
    key: &[u8],
) -> Result<Option<T>, ReadError> {
    match reader.get(key)? {
        None => Ok(None),
        Some(bytes) => decode_record(key, &bytes).map(Some),
    }
}

/// Canonically decodes a stored value, naming the key on failure.
pub fn decode_record<T: BorshSerialize + BorshDeserialize>(
    key: &[u8],
    bytes: &[u8],
) -> Result<T, ReadError> {
    decode_canonical(bytes).map_err(|e| ReadError::Corrupt {
        key: hex::encode(key),
        reason: e.to_string(),
    })
}

/// An in-memory reader (tests, and the empty state before the genesis).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapReader(pub std::collections::BTreeMap<Vec<u8>, Vec<u8>>);

impl StateReader for MapReader {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        Ok(self.0.get(key).cloned())
    }
}
