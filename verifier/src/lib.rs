//! Verifiable reads, with no node inside: the answer envelope a node returns for a read with
//! `"proof": true`, the queries it can prove, the chain specification (genesis file → genesis
//! state root and first validator set), and the offline verifier that checks an answer given only
//! the genesis file. No tokio, RocksDB or libp2p: `yrd verify`, the node and a browser (the crate
//! builds for `wasm32-unknown-unknown`) use the same code.
//!
//! An answer carries the query, the value the node computed, and evidence: a state-tree proof
//! for every key the query read, the header of a committed block whose `executed` field attests
//! the state root those proofs lead to, that block's commit certificate, and the commit
//! certificates of every epoch change from the genesis validator set to the header's. The
//! verifier checks the evidence and then evaluates the query itself over the proven entries
//! ([`query::evaluate`]); the node's value is accepted only if it equals the verifier's own. So a
//! node can neither invent a value nor misreport one (say, "active" for a revoked licence): it can
//! only decline to answer. `docs/PROOFS.md` specifies every byte.

pub mod browser;
pub mod chain_spec;
pub mod epochs;
pub mod query;
pub mod status_list;
pub mod vc;
pub mod verdict;
pub mod verify;
#[cfg(feature = "wasm")]
pub mod wasm;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use yrd_contracts::tree::StateProof;

pub use query::{Evaluation, ProvenQuery, evaluate};
pub use verify::{VerifiedAnswer, VerifyError, verify_answer};

/// The `format` string of the answer envelope this version writes and reads.
pub const ANSWER_FORMAT: &str = "yrd-answer/v4";

/// Most state reads one answer may carry (a `licence_getHistory` of a long history reads one key
/// per event; [`query::MAX_PROVEN_HISTORY`] keeps that below this).
pub const MAX_PROOF_READS: usize = 512;

/// Most bytes of one header, certificate or epoch-change certificate in an answer.
pub const MAX_EVIDENCE_ITEM_BYTES: usize = 4 * 1024 * 1024;

/// Most epoch changes one answer may carry.
pub const MAX_ANSWER_EPOCH_CHANGES: usize = yrd_consensus::epoch::MAX_EPOCH_CHANGES_PER_PROOF;

/// Bytes written as lowercase hex in JSON (either case accepted on input).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HexBytes(pub Vec<u8>);

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&yrd_contracts::tree::serde_hex::to_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        hex::decode(&text)
            .map(HexBytes)
            .map_err(|e| serde::de::Error::custom(format!("not hex: {e}")))
    }
}

/// One state read and its proof against the answer's state root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProofEntry {
    /// The state key, hex.
    pub key: HexBytes,
    /// Its value, hex; `null` when the key is absent (the proof then shows non-inclusion).
    pub value: Option<HexBytes>,
    /// Inclusion or non-inclusion proof.
    pub proof: StateProof,
}

/// The evidence part of an answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReadProof {
    /// The state version (block height) the query was evaluated at.
    pub version: u64,
    /// The state root of that version, hex.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub state_root: [u8; 32],
    /// Every key the query read, in the order it first read them.
    pub reads: Vec<ProofEntry>,
    /// borsh(BlockHeader) of the committed block whose `executed` is `{version, stateRoot}`, hex.
    pub header: HexBytes,
    /// borsh(CommitCertificate) proving that header committed, hex; `null` only when the header
    /// is the genesis header (committed by definition).
    pub certificate: Option<HexBytes>,
    /// borsh(CommitCertificate) of each reconfiguration block from the genesis epoch to the
    /// header's epoch, oldest first, hex.
    pub epoch_changes: Vec<HexBytes>,
}

/// What a read RPC returns when asked for `"proof": true`, and what `yrd verify --response`
/// reads.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvenAnswer {
    /// [`ANSWER_FORMAT`].
    pub format: String,
    /// The query, with its parameters in canonical form.
    pub query: ProvenQuery,
    /// The answer, exactly as the method returns it without a proof; `null` for "not found".
    pub value: serde_json::Value,
    /// The evidence.
    pub proof: ReadProof,
}
