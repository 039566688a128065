//! The state-sync requests and answers on `/yrd/direct/1`.
//!
//! They travel as direct requests (kind 2), like block sync. A block-sync request payload is a
//! `ConsensusMessage` (its first byte a borsh variant tag below 16); a state-sync request payload
//! is the byte [`SNAPSHOT_REQUEST_TAG`] followed by borsh([`SnapshotRequest`]), so the host
//! routes a request by its first byte. An answer is borsh([`SnapshotResponse`]). Both decode
//! canonically (strict borsh, re-encoded and compared) within [`MAX_SNAPSHOT_MESSAGE_BYTES`].

use borsh::{BorshDeserialize, BorshSerialize};
use yrd_consensus::CommitCertificate;
use yrd_consensus::codec::CodecError;
use yrd_consensus::types::CommittedBlock;

use crate::storage::{Hash32, RangeChunk, SnapshotChunk};

/// First byte of a state-sync request payload.
pub const SNAPSHOT_REQUEST_TAG: u8 = 0xA0;
/// Largest state-sync answer accepted (a chunk of at most `MAX_CHUNK_BYTES` plus its proof, or a
/// manifest with its epoch changes).
pub const MAX_SNAPSHOT_MESSAGE_BYTES: usize = 16 * 1024 * 1024;
/// Longest reason text in an [`SnapshotResponse::Unavailable`] answer.
pub const MAX_REASON_CHARS: usize = 200;

/// What a state-syncing node asks a peer.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SnapshotRequest {
    /// The evidence for a snapshot: of `version` when given (a resumed restore), else of the
    /// newest state version the peer can attest.
    Manifest {
        /// The state version wanted, if a particular one.
        version: Option<u64>,
    },
    /// Leaves of `version` from key hash `start` on (inclusive), about `max_bytes` of them.
    Chunk {
        /// The state version.
        version: u64,
        /// First key hash wanted.
        start: Hash32,
        /// Bytes of leaves wanted (the server caps it).
        max_bytes: u32,
    },
    /// As `Chunk`, but only leaves below `end` (exclusive): one range of a snapshot fetched from
    /// several peers at once.
    ChunkRange {
        /// The state version.
        version: u64,
        /// First key hash wanted.
        start: Hash32,
        /// First key hash not wanted (`None`: to the end of the tree).
        end: Option<Hash32>,
        /// Bytes of leaves wanted (the server caps it).
        max_bytes: u32,
    },
}

/// What proves a state version: the committed block at that height (its id becomes the node's
/// committed head), a committed block whose header attests the version's root, and the
/// reconfiguration blocks from the genesis epoch on, each with its commit certificate.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SnapshotManifest {
    /// The state version (a block height).
    pub version: u64,
    /// The committed block at `version`.
    pub target: CommittedBlock,
    /// Commit certificate of a later block whose header's `executed` is `{version, root}`
    /// (the header is its first).
    pub anchor: CommitCertificate,
    /// Every reconfiguration block from the genesis epoch to the anchor's, oldest first.
    pub epoch_changes: Vec<CommittedBlock>,
}

/// A peer's answer.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum SnapshotResponse {
    /// The evidence for a snapshot.
    Manifest(Box<SnapshotManifest>),
    /// Leaves with their range proof.
    Chunk(SnapshotChunk),
    /// The peer cannot serve this (version pruned, nothing committed yet, ...).
    Unavailable(String),
    /// The answer to `ChunkRange`: leaves of the range (none if it holds none from `start` on)
    /// and whether the range ends with them.
    Range(RangeChunk),
}

impl SnapshotRequest {
    /// The request payload: the tag, then borsh.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = vec![SNAPSHOT_REQUEST_TAG];
        bytes.extend(yrd_consensus::codec::encode(self));
        bytes
    }

    /// A request payload, if it is a state-sync one (`None` for any other request).
    pub fn decode(payload: &[u8]) -> Option<Result<Self, CodecError>> {
        let (tag, body) = payload.split_first()?;
        (*tag == SNAPSHOT_REQUEST_TAG).then(|| {
            yrd_consensus::codec::decode_canonical_bounded(body, MAX_SNAPSHOT_MESSAGE_BYTES)
        })
    }
}

impl SnapshotResponse {
    /// The answer's bytes.
    pub fn encode(&self) -> Vec<u8> {
        yrd_consensus::codec::encode(self)
    }

    /// An answer from a peer.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        yrd_consensus::codec::decode_canonical_bounded(bytes, MAX_SNAPSHOT_MESSAGE_BYTES)
    }

    /// An `Unavailable` answer, its reason cut to [`MAX_REASON_CHARS`].
    pub fn unavailable(reason: impl std::fmt::Display) -> Self {
        Self::Unavailable(reason.to_string().chars().take(MAX_REASON_CHARS).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_round_trip_and_other_payloads_are_not_snapshot_requests() {
        let request = SnapshotRequest::Chunk {
            version: 7,
            start: [3; 32],
            max_bytes: 1 << 20,
        };
        let bytes = request.encode();
        assert_eq!(bytes[0], SNAPSHOT_REQUEST_TAG);
        assert_eq!(SnapshotRequest::decode(&bytes), Some(Ok(request)));
        let range = SnapshotRequest::ChunkRange {
            version: 7,
            start: [3; 32],
            end: Some([0x80; 32]),
            max_bytes: 1 << 20,
        };
        assert_eq!(SnapshotRequest::decode(&range.encode()), Some(Ok(range)));
        // A block-sync request (a consensus message, tag 4) is not one.
        assert_eq!(SnapshotRequest::decode(&[4, 0, 0]), None);
        assert_eq!(SnapshotRequest::decode(&[]), None);
        // Trailing bytes, a bad variant: refused, not misread.
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(matches!(SnapshotRequest::decode(&trailing), Some(Err(_))));
        assert!(matches!(
            SnapshotRequest::decode(&[SNAPSHOT_REQUEST_TAG, 9]),
            Some(Err(_))
        ));
    }

    #[test]
    fn unavailable_reasons_are_bounded() {
        let long = "x".repeat(10_000);
        let SnapshotResponse::Unavailable(reason) = SnapshotResponse::unavailable(long) else {
            panic!("not unavailable");
        };
        assert_eq!(reason.chars().count(), MAX_REASON_CHARS);
        let answer = SnapshotResponse::unavailable("pruned");
        assert_eq!(SnapshotResponse::decode(&answer.encode()), Ok(answer));
    }
}
