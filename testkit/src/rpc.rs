//! A blocking JSON-RPC 2.0 client over [`crate::http`] (one connection per call).

use std::net::SocketAddr;

use serde_json::{Value, json};
use yrd_contracts::SignedTx;

use crate::http::{self, HttpReply};

/// A JSON-RPC error object, or a transport failure (code 0).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message} (code {code}, data {data})")]
pub struct RpcError {
    /// `error.code`, or 0 when the transport failed.
    pub code: i64,
    /// `error.message` (or the transport failure).
    pub message: String,
    /// `error.data`.
    pub data: Value,
}

impl RpcError {
    fn transport(message: String) -> Self {
        Self {
            code: 0,
            message,
            data: Value::Null,
        }
    }
}

/// A node's JSON-RPC endpoint.
#[derive(Debug, Clone, Copy)]
pub struct Rpc {
    /// The node's RPC address.
    pub addr: SocketAddr,
}

impl Rpc {
    /// POSTs `body` as JSON and returns the HTTP status and the body.
    pub fn post_raw(&self, body: &[u8]) -> std::io::Result<(u16, String)> {
        let HttpReply { status, body, .. } = http::post_json(self.addr, body)?;
        Ok((status, body))
    }

    /// Calls `method`; the result, or the error object (code 0 for a transport failure).
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, body) = self
            .post_raw(request.to_string().as_bytes())
            .map_err(|e| RpcError::transport(e.to_string()))?;
        let mut reply: Value = serde_json::from_str(&body)
            .map_err(|e| RpcError::transport(format!("reply is not JSON ({e}): {body}")))?;
        if let Some(error) = reply.get("error") {
            return Err(RpcError {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or("").to_owned(),
                data: error.get("data").cloned().unwrap_or(Value::Null),
            });
        }
        Ok(reply["result"].take())
    }

    /// `tx_submit` of a signed transaction; its hash (hex).
    pub fn submit(&self, tx: &SignedTx) -> Result<String, RpcError> {
        self.call("tx_submit", json!([hex::encode(tx.to_bytes())]))
            .map(|hash| hash.as_str().unwrap_or_default().to_owned())
    }

    /// The committed head height (`chain_getHead`).
    pub fn height(&self) -> Result<u64, RpcError> {
        let head = self.call("chain_getHead", json!([]))?;
        head["height"]
            .as_u64()
            .ok_or_else(|| RpcError::transport(format!("chain_getHead without height: {head}")))
    }

    /// The next nonce of the signer with public key `key` (`account_getNextNonce`).
    pub fn next_nonce(&self, key: &[u8; 32]) -> Result<u64, RpcError> {
        let answer = self.call("account_getNextNonce", json!([hex::encode(key)]))?;
        answer["nonce"].as_u64().ok_or_else(|| {
            RpcError::transport(format!("account_getNextNonce without nonce: {answer}"))
        })
    }
}
