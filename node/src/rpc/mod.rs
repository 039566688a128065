//! The node's JSON-RPC 2.0 server (HTTP and WebSocket on one port), for verifiers, issuers and
//! operators, plus the W3C DID Resolution HTTP binding, `/health` and Prometheus `/metrics`.
//!
//! Layout: [`api`] declares the interface as traits (method names are a public contract, see
//! docs/RPC.md and `openrpc.json`); `handlers` implements them over an [`RpcBackend`], the one
//! trait the node's host loop implements; [`server::start`] wires jsonrpsee, the limits of
//! [`RpcConfig`], the counting middleware and the plain HTTP routes.
//!
//! What this module must never do: trust a client's claim to be a registered verifier (claims are
//! authenticated, see [`auth`]); disclose licence data beyond what the contracts queries allow
//! for the caller, on any path (see [`disclosure`]); log licence queries anywhere but the
//! [`verification_log`] target (verification logs are private); run state reads on the async
//! runtime (they go to the blocking pool, bounded); grow any buffer, map or label set with
//! client input; panic on client input.

pub mod api;
pub mod auth;
pub mod backend;
pub mod batch_leaves;
pub mod config;
pub mod console;
pub mod context;
pub mod did_http;
pub mod disclosure;
pub mod error;
mod handlers;
pub mod http_routes;
pub mod metrics;
pub mod middleware;
pub mod node_metrics;
pub mod params;
pub mod server;
pub mod status_http;
pub mod verification_log;
pub mod views;

pub use backend::{BackendError, RpcBackend, StateHandle, SubmitError};
pub use config::RpcConfig;
pub use error::RpcError;
pub use handlers::rpc_module;
pub use server::{RpcServer, RpcStartError, start};
pub use views::{
    BlockRef, BlockView, CertificateView, DidHistory, HeadInfo, LicenceStatusChange, NodeRole,
    NodeStatus, PeerReportView, PeerView, ReceiptView, StoredTx, TxDetails, TxStatus,
};
