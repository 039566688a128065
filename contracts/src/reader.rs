//! Read access to one version of the state, as raw bytes or decoded records.
//!
//! Queries and the transaction executor read only through [`StateReader`], so the RPC layer can
//! wrap a reader to collect a proof for every key a query touches.

use borsh::{BorshDeserialize, BorshSerialize};

use std::cell::RefCell;
use std::collections::BTreeMap;

use crate::codec::decode_canonical;
use crate::tree::{ProofError, StateProof, StateRoot};

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
    /// A query over proven entries ([`ProvenReader`]) read a key the proof does not cover.
    #[error("key {key} is not covered by the proof")]
    NotProven {
        /// Hex of the key.
        key: String,
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

/// A reader that answers only from key/value pairs each checked against one trusted root: what an
/// offline verifier re-runs a query over. Reading a key that no entry covers is
/// [`ReadError::NotProven`], so a query can never silently see "absent" for a key the node left
/// out of its proof.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProvenReader {
    entries: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

/// Why a proven entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("proof for key {key} does not verify: {source}")]
pub struct ProvenEntryError {
    /// Hex of the key.
    pub key: String,
    /// What failed.
    pub source: ProofError,
}

impl ProvenReader {
    /// Check every `(key, value, proof)` against `root` (a `None` value claims absence) and
    /// keep the pairs. The first entry that does not verify is refused with its key. A key listed
    /// twice must carry the same value both times (both proofs are checked).
    pub fn verify<'a>(
        root: &StateRoot,
        entries: impl IntoIterator<Item = (&'a [u8], Option<&'a [u8]>, &'a StateProof)>,
    ) -> Result<Self, ProvenEntryError> {
        let mut map = BTreeMap::new();
        for (key, value, proof) in entries {
            proof
                .verify(root, key, value)
                .map_err(|source| ProvenEntryError {
                    key: hex::encode(key),
                    source,
                })?;
            map.insert(key.to_vec(), value.map(<[u8]>::to_vec));
        }
        Ok(Self { entries: map })
    }

    /// Number of distinct proven keys.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when nothing is proven.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl StateReader for ProvenReader {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        self.entries
            .get(key)
            .cloned()
            .ok_or_else(|| ReadError::NotProven {
                key: hex::encode(key),
            })
    }
}

/// One read a [`RecordingReader`] made: the key, its value (`None` when absent) and the proof.
pub type ProvenRead = (Vec<u8>, Option<Vec<u8>>, StateProof);

/// A reader that fetches each key together with its proof and remembers both, in first-read
/// order, so the answer to a query can ship with a proof of every key the query looked at.
pub struct RecordingReader<F> {
    fetch: F,
    reads: RefCell<Vec<ProvenRead>>,
}

impl<F> RecordingReader<F>
where
    F: Fn(&[u8]) -> Result<(Option<Vec<u8>>, StateProof), ReadError>,
{
    /// A recorder over `fetch`, which returns a key's value and proof at one fixed version.
    pub fn new(fetch: F) -> Self {
        Self {
            fetch,
            reads: RefCell::new(Vec::new()),
        }
    }

    /// The reads made so far, each key once.
    pub fn into_reads(self) -> Vec<ProvenRead> {
        self.reads.into_inner()
    }
}

impl<F> StateReader for RecordingReader<F>
where
    F: Fn(&[u8]) -> Result<(Option<Vec<u8>>, StateProof), ReadError>,
{
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        if let Some((_, value, _)) = self.reads.borrow().iter().find(|(k, _, _)| k == key) {
            return Ok(value.clone());
        }
        let (value, proof) = (self.fetch)(key)?;
        self.reads
            .borrow_mut()
            .push((key.to_vec(), value.clone(), proof));
        Ok(value)
    }
}
