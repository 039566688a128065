//! The implementation of the API traits in `api.rs`, over an [`RpcContext`].
//!
//! Every handler parses its parameters first (cheap, on the runtime), then does its backend work
//! in one [`RpcContext::run_blocking`] call, so state reads never run on the async runtime.

mod chain;
mod did;
mod licence;
mod node;
mod proofs;
mod registry;
mod subscriptions;

use std::sync::Arc;

use jsonrpsee::RpcModule;
use jsonrpsee::server::RegisterMethodError;
use yrd_verifier::{Evaluation, ProvenAnswer, ProvenQuery};

use super::api::{
    ChainApiServer, DidApiServer, LicenceApiServer, NodeApiServer, ProofApiServer,
    RegistryApiServer, TxApiServer,
};
use super::context::RpcContext;
use super::error::RpcError;
use super::views::MaybeProven;

/// Implements every API trait.
#[derive(Debug, Clone)]
pub struct RpcHandlers {
    ctx: Arc<RpcContext>,
}

impl RpcHandlers {
    /// Handlers over `ctx`.
    pub fn new(ctx: Arc<RpcContext>) -> Self {
        Self { ctx }
    }
}

/// All methods, merged into one module.
pub fn rpc_module(ctx: Arc<RpcContext>) -> Result<RpcModule<()>, RegisterMethodError> {
    let handlers = RpcHandlers::new(ctx);
    let mut module = RpcModule::new(());
    module.merge(TxApiServer::into_rpc(handlers.clone()))?;
    module.merge(ChainApiServer::into_rpc(handlers.clone()))?;
    module.merge(LicenceApiServer::into_rpc(handlers.clone()))?;
    module.merge(DidApiServer::into_rpc(handlers.clone()))?;
    module.merge(RegistryApiServer::into_rpc(handlers.clone()))?;
    module.merge(ProofApiServer::into_rpc(handlers.clone()))?;
    module.merge(NodeApiServer::into_rpc(handlers))?;
    Ok(module)
}

/// Evaluate `query` with proofs at the latest attested state (on the blocking pool); a restricted
/// outcome is the same `-33020` error the plain method gives, and "not found" is an envelope
/// whose `value` is `null` (the proof shows absence).
pub(super) fn prove(ctx: &RpcContext, query: ProvenQuery) -> Result<ProvenAnswer, RpcError> {
    let (evaluation, answer) = crate::proof::collect::prove(&*ctx.backend, query)?;
    match evaluation {
        Evaluation::Restricted(why) => Err(RpcError::AccessRestricted(why.to_owned())),
        Evaluation::Found(_) | Evaluation::NotFound => Ok(answer),
    }
}

/// [`prove`] as a method's answer.
pub(super) fn proven<T>(ctx: &RpcContext, query: ProvenQuery) -> Result<MaybeProven<T>, RpcError> {
    prove(ctx, query).map(|answer| MaybeProven::Proven(Box::new(answer)))
}
