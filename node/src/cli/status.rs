//! `yrd status --rpc URL`: the node's view of the chain and its peers.

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;

/// Print the node's status, head and peers.
pub fn run(rpc: &str) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let client = HttpClientBuilder::default()
            .build(rpc)
            .with_context(|| format!("RPC address {rpc:?}"))?;
        let status: serde_json::Value = client
            .request("node_getStatus", rpc_params![])
            .await
            .with_context(|| format!("asking {rpc} for node_getStatus"))?;
        let peers: serde_json::Value = client
            .request("net_getPeers", rpc_params![])
            .await
            .with_context(|| format!("asking {rpc} for net_getPeers"))?;
        let text =
            serde_json::to_string_pretty(&serde_json::json!({ "node": status, "peers": peers }))?;
        // A reader that stops early (`yrd status | head`) is not an error.
        match writeln!(std::io::stdout().lock(), "{text}") {
            Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
            _ => Ok(ExitCode::SUCCESS),
        }
    })
}
