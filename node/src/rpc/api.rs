//! The JSON-RPC interface as traits, apart from their implementation (`handlers/`).
//!
//! Method names are a public contract: docs/RPC.md and `openrpc.json` describe exactly these,
//! and a test checks that the registered set equals the documented one. Parameters may be
//! passed by position (in the order below) or by name (the camelCase names below).

use jsonrpsee::core::{RpcResult, SubscriptionResult};
use jsonrpsee::proc_macros::rpc;
use yrd_contracts::did_document::DidResolution;
use yrd_contracts::query::{
    IssuerView, LicenceEventView, LicenceTypeView, LicenceVerification, PolicyView,
};
use yrd_verifier::ProvenAnswer;
use yrd_verifier::query::BatchParam;

use super::params::{AuthParam, BlockParam, ProvinceParam};
use super::views::{
    AccountNonce, BatchInclusionView, BatchLeavesReceipt, BlockView, DidHistory, HeadInfo,
    MaybeProven, NodeStatus, PeerView, TxDetails, TxStatus,
};

/// Transaction submission and tracking.
#[rpc(server, namespace = "tx")]
pub trait TxApi {
    /// Submits a signed transaction (canonical bytes, hex); returns its hash (hex).
    #[method(name = "submit")]
    async fn submit(&self, tx: String) -> RpcResult<String>;

    /// Where a transaction stands.
    #[method(name = "getStatus")]
    async fn get_status(&self, hash: String) -> RpcResult<TxStatus>;
}

/// Blocks, committed transactions and new heads.
#[rpc(server, namespace = "chain")]
pub trait ChainApi {
    /// The latest committed block.
    #[method(name = "getHead")]
    async fn get_head(&self) -> RpcResult<HeadInfo>;

    /// A committed block by height, by id (hex) or `"latest"`.
    #[method(name = "getBlock")]
    async fn get_block(&self, block: BlockParam) -> RpcResult<BlockView>;

    /// A committed transaction by hash (hex).
    #[method(name = "getTx")]
    async fn get_tx(&self, hash: String) -> RpcResult<TxDetails>;

    /// Pushes every new head (WebSocket only); notifications use method `chain_heads`.
    #[subscription(name = "subscribeHeads" => "heads", unsubscribe = "unsubscribeHeads", item = HeadInfo)]
    async fn subscribe_heads(&self) -> SubscriptionResult;
}

/// Licence verification, under the data-class rules of the licence's type.
#[rpc(server, namespace = "licence")]
pub trait LicenceApi {
    /// Verifies a licence commitment of the issuer `issuer` (the USCC the licence identifier
    /// names: only that issuer's records answer) for a verifier in `region`. A `verifierDid` claim must come
    /// with an `auth` signature (see docs/RPC.md). `batch` (root and inclusion proof) verifies a
    /// licence anchored only inside a batch. With `proof: true` the answer comes in a verifiable
    /// envelope (docs/PROOFS.md).
    #[method(name = "verify")]
    async fn verify(
        &self,
        issuer: String,
        commitment: String,
        region: ProvinceParam,
        #[argument(rename = "verifierDid")] verifier_did: Option<String>,
        auth: Option<AuthParam>,
        batch: Option<BatchParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceVerification>>;

    /// The licence record as its data class allows, without a recognition verdict.
    #[method(name = "get")]
    async fn get(
        &self,
        issuer: String,
        commitment: String,
        #[argument(rename = "verifierDid")] verifier_did: Option<String>,
        auth: Option<AuthParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceVerification>>;

    /// The status history, to callers allowed full disclosure.
    #[method(name = "getHistory")]
    async fn get_history(
        &self,
        issuer: String,
        commitment: String,
        #[argument(rename = "verifierDid")] verifier_did: Option<String>,
        auth: Option<AuthParam>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<Vec<LicenceEventView>>>;

    /// Pushes a fresh `licence_verify` answer whenever one of `commitments` changes status
    /// (WebSocket only); notifications use method `licence_status`.
    #[subscription(name = "subscribeStatus" => "status", unsubscribe = "unsubscribeStatus", item = LicenceVerification)]
    async fn subscribe_status(
        &self,
        issuer: String,
        commitments: Vec<String>,
        region: ProvinceParam,
        #[argument(rename = "verifierDid")] verifier_did: Option<String>,
        auth: Option<AuthParam>,
    ) -> SubscriptionResult;
}

/// The `did:yrd` registry.
#[rpc(server, namespace = "did")]
pub trait DidApi {
    /// Resolves a DID (latest version, or `versionId`).
    #[method(name = "resolve")]
    async fn resolve(
        &self,
        did: String,
        #[argument(rename = "versionId")] version_id: Option<u32>,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<DidResolution>>;

    /// Versions of a DID, oldest first, from `fromVersion` (default 1), at most `limit`.
    #[method(name = "getHistory")]
    async fn get_history(
        &self,
        did: String,
        #[argument(rename = "fromVersion")] from_version: Option<u32>,
        limit: Option<u32>,
    ) -> RpcResult<DidHistory>;
}

/// Issuers, the licence-type catalogue and recognition policies.
#[rpc(server)]
pub trait RegistryApi {
    /// An issuer by signing key (hex).
    #[method(name = "issuer_get")]
    async fn issuer_get(
        &self,
        key: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<IssuerView>>;

    /// The nonce the next transaction signed by `key` (hex) must carry.
    #[method(name = "account_getNextNonce")]
    async fn account_get_next_nonce(&self, key: String) -> RpcResult<AccountNonce>;

    /// A catalogue entry by type code.
    #[method(name = "licenceType_get")]
    async fn licence_type_get(
        &self,
        code: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<LicenceTypeView>>;

    /// The policy of `recognising` for `licenceType` licences issued in `issuing`.
    #[method(name = "policy_get")]
    async fn policy_get(
        &self,
        recognising: ProvinceParam,
        issuing: ProvinceParam,
        #[argument(rename = "licenceType")] licence_type: String,
        proof: Option<bool>,
    ) -> RpcResult<MaybeProven<PolicyView>>;
}

/// Verifiable state reads and batch inclusion proofs.
#[rpc(server)]
pub trait ProofApi {
    /// The raw value under a state key (hex), always in a verifiable envelope; `value` is `null`
    /// when the key is absent (the proof then shows non-inclusion).
    #[method(name = "state_getProof")]
    async fn state_get_proof(&self, key: String) -> RpcResult<ProvenAnswer>;

    /// An issuer (named by its USCC) leaves the commitments of an anchored batch (hex, in batch order) with this
    /// node, which keeps them locally (never replicated) to hand holders inclusion proofs. The
    /// `signature` (ed25519, hex) is by the key that anchored the batch (`super::batch_leaves`).
    #[method(name = "batch_submitLeaves")]
    async fn batch_submit_leaves(
        &self,
        issuer: String,
        leaves: Vec<String>,
        signature: String,
    ) -> RpcResult<BatchLeavesReceipt>;

    /// The inclusion proof of a commitment in a batch whose leaves this node keeps.
    #[method(name = "batch_getInclusionProof")]
    async fn batch_get_inclusion_proof(
        &self,
        issuer: String,
        commitment: String,
    ) -> RpcResult<BatchInclusionView>;
}

/// Node and network status, and the interface description.
#[rpc(server)]
pub trait NodeApi {
    /// This node's status.
    #[method(name = "node_getStatus")]
    async fn node_get_status(&self) -> RpcResult<NodeStatus>;

    /// Known peers.
    #[method(name = "net_getPeers")]
    async fn net_get_peers(&self) -> RpcResult<Vec<PeerView>>;

    /// The OpenRPC 1.3 document describing every method.
    #[method(name = "rpc.discover")]
    fn discover(&self) -> RpcResult<serde_json::Value>;
}
