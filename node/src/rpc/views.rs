//! Chain, transaction and node facts as the RPC serialises them (camelCase JSON, bytes as
//! lowercase hex). The backend fills these from consensus, storage and the network; ledger
//! records are not re-modelled here: the RPC returns the `yrd_contracts::query` types as they are.

use serde::{Deserialize, Serialize};
use yrd_contracts::TxError;
use yrd_contracts::tree::serde_hex::{bytes32, bytes32_vec};
use yrd_contracts::types::{Digest32, TxHash};

use super::error::tx_error_name;

/// The latest committed block, as `chain_getHead` returns it and `chain_subscribeHeads` pushes it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HeadInfo {
    /// Block height (= state version).
    pub height: u64,
    /// Block id (hash of the header), hex.
    #[serde(with = "bytes32")]
    pub block_id: [u8; 32],
    /// Parent block id, hex.
    #[serde(with = "bytes32")]
    pub parent_id: [u8; 32],
    /// State root after the block, hex.
    #[serde(with = "bytes32")]
    pub state_root: [u8; 32],
    /// Block time agreed by consensus, ms since the Unix epoch.
    pub block_time_ms: u64,
    /// Consensus epoch.
    pub epoch: u64,
    /// Consensus round the block was proposed in.
    pub round: u64,
    /// Transactions in the block.
    pub tx_count: u32,
}

/// A block: header fields, its transactions' hashes and its commit certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockView {
    /// Header facts.
    pub head: HeadInfo,
    /// Proposer's consensus key, hex.
    #[serde(with = "bytes32")]
    pub proposer: [u8; 32],
    /// Digest of the payload, hex.
    #[serde(with = "bytes32")]
    pub payload_digest: [u8; 32],
    /// Transaction hashes in block order, hex.
    #[serde(with = "bytes32_vec")]
    pub tx_hashes: Vec<TxHash>,
    /// The certificate that committed the block, when the node holds one.
    pub commit_certificate: Option<CertificateView>,
}

/// A commit certificate in its canonical encoding, for offline verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateView {
    /// Number of validator signatures in it.
    pub signer_count: u32,
    /// Canonical (borsh) bytes of the consensus crate's commit certificate, hex.
    #[serde(with = "hex::serde")]
    pub encoding: Vec<u8>,
}

/// Which block `chain_getBlock` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockRef {
    /// By height.
    Height(u64),
    /// By block id.
    Id([u8; 32]),
}

/// The outcome of an executed transaction: code 0 or a `TxError` code, its name and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptView {
    /// 0 on success, else the stable `TxError` code.
    pub code: u32,
    /// `Ok`, or the `TxError` variant name (`BadNonce`, ...).
    pub name: String,
    /// The full error message with the offending values, when known.
    pub message: Option<String>,
}

impl ReceiptView {
    /// A successful receipt.
    pub fn success() -> Self {
        Self {
            code: 0,
            name: "Ok".to_owned(),
            message: None,
        }
    }

    /// A refused transaction's receipt, with the full message.
    pub fn from_error(error: &TxError) -> Self {
        Self {
            code: error.code(),
            name: tx_error_name(error.code()).to_owned(),
            message: Some(error.to_string()),
        }
    }

    /// A receipt known only by its code (the message is not kept).
    pub fn from_code(code: u32) -> Self {
        let name = if code == 0 { "Ok" } else { tx_error_name(code) };
        Self {
            code,
            name: name.to_owned(),
            message: None,
        }
    }
}

/// Where a transaction stands, as `tx_getStatus` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "status")]
pub enum TxStatus {
    /// Waiting in the mempool.
    Pending,
    /// Included in a committed block; `receipt.code` says whether it took effect.
    #[serde(rename_all = "camelCase")]
    Committed {
        /// Block height.
        height: u64,
        /// Block id, hex.
        #[serde(with = "bytes32")]
        block_id: [u8; 32],
        /// Position in the block.
        index: u32,
        /// The execution receipt.
        receipt: ReceiptView,
    },
    /// Dropped before inclusion (expired in the mempool, evicted, refused on re-check).
    Rejected {
        /// Why.
        receipt: ReceiptView,
    },
    /// The node knows nothing of this hash.
    Unknown,
}

/// A committed transaction as the backend stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredTx {
    /// Canonical bytes of the signed envelope.
    pub bytes: Vec<u8>,
    /// Block height.
    pub height: u64,
    /// Block id.
    pub block_id: [u8; 32],
    /// Position in the block.
    pub index: u32,
    /// Its receipt.
    pub receipt: ReceiptView,
}

/// A committed transaction as `chain_getTx` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TxDetails {
    /// Transaction hash, hex.
    #[serde(with = "bytes32")]
    pub hash: TxHash,
    /// Block height.
    pub height: u64,
    /// Block id, hex.
    #[serde(with = "bytes32")]
    pub block_id: [u8; 32],
    /// Position in the block.
    pub index: u32,
    /// Signer key, hex.
    #[serde(with = "bytes32")]
    pub signer: [u8; 32],
    /// Nonce.
    pub nonce: u64,
    /// Expiry height.
    pub expiry_height: u64,
    /// Payload kind (`anchorLicence`, `didCreate`, ...).
    pub kind: String,
    /// The receipt (for a withheld payload, without the message, which can name licence data).
    pub receipt: ReceiptView,
    /// Whether the payload is withheld: true for every licence-bearing kind (anchoring, batch
    /// anchoring, status changes, renewal), whose payload only member nodes receive, over sync.
    pub payload_withheld: bool,
    /// Canonical bytes of the signed envelope, hex (decode them for the full payload); `null`
    /// when the payload is withheld.
    pub raw: Option<yrd_verifier::HexBytes>,
}

/// What this node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum NodeRole {
    /// Votes in consensus.
    Validator,
    /// Follows the chain and serves reads.
    Observer,
}

/// `node_getStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeStatus {
    /// Chain id.
    pub chain_id: String,
    /// The chain's crypto suite (ADR 019): how clients must sign and hash for this chain.
    #[serde(default)]
    pub crypto_suite: yrd_consensus::CryptoSuite,
    /// Node software version.
    pub version: String,
    /// This node's key as a member (validator or observer), hex; on `ed25519-blake3` also its
    /// network key.
    #[serde(with = "bytes32")]
    pub node_key: [u8; 32],
    /// Validator or observer.
    pub role: NodeRole,
    /// The province operating this node as the committed state names it (validator record,
    /// genesis authority or observer registration); `None` if none does.
    pub province: Option<yrd_contracts::types::ProvinceCode>,
    /// The latest committed block.
    pub head: HeadInfo,
    /// Whether the node is catching up: its head is more than `SYNCING_LAG_BLOCKS` (3) below
    /// `highest_known_height`.
    pub syncing: bool,
    /// The highest height this node knows to be certified (its highest QC's, or a block it is
    /// fetching because a certificate it verified names it); at least the head's.
    pub highest_known_height: u64,
    /// Connected peers.
    pub peer_count: u32,
    /// Transactions in the mempool.
    pub mempool_txs: u32,
    /// Bytes in the mempool.
    pub mempool_bytes: u64,
    /// Monotonic counters since the node started.
    #[serde(default)]
    pub counters: NodeCountersView,
}

/// Counters of `node_getStatus` (all monotonic since the node started).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeCountersView {
    /// Transactions admitted to the mempool (through RPC or gossip).
    pub txs_admitted: u64,
    /// Transactions refused at admission, any reason.
    pub txs_refused: u64,
    /// Blocks executed and stored.
    pub blocks_executed: u64,
    /// Consensus messages that did not decode.
    pub consensus_messages_malformed: u64,
    /// Connections refused because the remote key is not a member.
    pub connections_refused_non_member: u64,
    /// Connections refused because the remote is banned.
    pub connections_refused_banned: u64,
    /// Inbound network messages dropped as oversized, rate-limited or malformed.
    pub network_messages_dropped: u64,
    /// Peers banned after repeated invalid messages.
    pub peer_bans: u64,
    /// Gossip messages (transaction batches) dropped because the admission queue was full (not
    /// forwarded; the submitting node still holds their transactions).
    #[serde(default)]
    pub gossip_txs_dropped: u64,
    /// Gossip messages refused whole as malformed transaction batches (the relay is penalised).
    #[serde(default)]
    pub gossip_batches_malformed: u64,
    /// Sync requests answered.
    #[serde(default)]
    pub sync_served: u64,
    /// Sync requests dropped because the serve queue was full.
    #[serde(default)]
    pub sync_dropped_queue_full: u64,
    /// Sync requests refused because the peer's byte budget was spent.
    #[serde(default)]
    pub sync_refused_budget: u64,
    /// Sync requests left unanswered because a store read failed.
    #[serde(default)]
    pub sync_read_faults: u64,
    /// Connections refused by a connection limit (total, per peer, per IP, pending handshakes).
    #[serde(default)]
    pub connections_refused_limit: u64,
}

/// The answer of `account_getNextNonce`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountNonce {
    /// The account's signing key, hex.
    #[serde(with = "bytes32")]
    pub key: [u8; 32],
    /// The nonce its next transaction must carry, as of the committed head.
    pub nonce: u64,
    /// The committed height this was read at.
    pub height: u64,
}

/// One peer of `net_getPeers`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerView {
    /// The peer's network key, hex.
    #[serde(with = "bytes32")]
    pub node_key: [u8; 32],
    /// Its address, when connected.
    pub address: Option<String>,
    /// Connected now.
    pub connected: bool,
    /// Whether the peer is a validator in the current set.
    pub validator: bool,
    /// The province operating it (a validator's record, or the authority that registered an
    /// observer), from the committed state; `None` if the state names none.
    pub province: Option<yrd_contracts::types::ProvinceCode>,
    /// What its newest consensus message to this node showed, unverified; `None` if it has
    /// sent none since this node started.
    pub reported: Option<PeerReportView>,
}

/// A peer's newest report of its own progress (`net_getPeers`): the epoch, round and block
/// height carried by the newest consensus message it sent, and when it arrived. Not verified:
/// a faulty member can claim anything; a healthy one shows the network's round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerReportView {
    /// Epoch of the message.
    pub epoch: u64,
    /// Round of the message.
    pub round: u64,
    /// Height of the block it names.
    pub height: u64,
    /// When it arrived, by this node's clock (ms since the Unix epoch).
    pub at_ms: u64,
}

/// A licence changed status at `height` (published by the backend after that version is readable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LicenceStatusChange {
    /// The licence commitment.
    pub commitment: Digest32,
    /// The USCC the change names (status changes); `None` for an anchoring, whose issuer is the
    /// signer's own.
    pub issuer: Option<[u8; 18]>,
    /// The transaction that changed it (kept server-side; never forwarded to subscribers).
    pub tx_hash: TxHash,
    /// Height of the change.
    pub height: u64,
}

/// `did_getHistory`: consecutive versions of one DID, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidHistory {
    /// The DID.
    pub did: String,
    /// Its latest version number.
    pub latest_version: u32,
    /// The asked versions, each as a DID resolution result.
    pub versions: Vec<yrd_contracts::did_document::DidResolution>,
    /// The version to ask for next (`fromVersion`), when more remain.
    pub next_version: Option<u32>,
}

/// A read answer: the plain value, or with `"proof": true` the verifiable envelope.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MaybeProven<T> {
    /// The value alone.
    Plain(T),
    /// The value with its evidence (docs/PROOFS.md).
    Proven(Box<yrd_verifier::ProvenAnswer>),
}

/// What `batch_submitLeaves` kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchLeavesReceipt {
    /// The batch root the leaves rebuild (anchored on the ledger), hex.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub root: [u8; 32],
    /// Leaves kept.
    pub count: u64,
}

/// What `batch_getInclusionProof` returns: pass `root` and `proof` as `licence_verify`'s `batch`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInclusionView {
    /// The commitment, hex.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub commitment: [u8; 32],
    /// The batch root, hex.
    #[serde(with = "yrd_contracts::tree::serde_hex::bytes32")]
    pub root: [u8; 32],
    /// Inclusion proof of the commitment under `root`.
    pub proof: yrd_contracts::batch::BatchProof,
}
