//! `yrd tx <kind> … --key FILE --rpc URL`: build, sign, submit and wait for every transaction kind.
//!
//! The signer's next nonce, the chain id and the current height come from the node
//! (`account_getNextNonce`, `node_getStatus`, `chain_getHead`) unless given; the transaction expires
//! `--expiry-blocks` after the current height. `--dry-run` prints the signed transaction's hex and
//! hash without submitting it. After the commit it waits (within `--wait-secs`) until the node's
//! proven answers are read at the transaction's height, so that a proven read made next sees it.

mod kinds;
mod parse;
mod payload;
mod proposal_id;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use yrd_contracts::{ChainId, DidId, TxBody, TxPayload};

pub use kinds::{LicenceRef, TxKind};
pub use parse::{parse_hex32, parse_province, parse_uscc};
use payload::build_payload;

/// Options every transaction takes.
#[derive(Debug, Clone, Args)]
pub struct TxCommon {
    /// The signer's key file.
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// The node's JSON-RPC address.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
    /// Use this nonce instead of asking the node.
    #[arg(long, global = true)]
    pub nonce: Option<u64>,
    /// Blocks after the current height until the transaction expires.
    #[arg(long, global = true, default_value_t = 100)]
    pub expiry_blocks: u64,
    /// Submit and return without waiting for the commit.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Print the signed transaction and do not submit it.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// How long to wait for the commit (and for proven answers to cover it), in seconds.
    #[arg(long, global = true, default_value_t = 30)]
    pub wait_secs: u64,
}

/// `yrd tx`.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// Options for every kind.
    #[command(flatten)]
    pub common: TxCommon,
    /// The transaction kind.
    #[command(subcommand)]
    pub kind: TxKind,
}

/// Build, sign, submit and (unless `--no-wait`) wait.
pub fn run(args: TxArgs) -> anyhow::Result<ExitCode> {
    if let TxKind::Commitment { licence, crypto } = &args.kind {
        yrd_consensus::CryptoSuite::install(*crypto)?;
        println!("{}", hex::encode(licence.resolve()?.commitment));
        return Ok(ExitCode::SUCCESS);
    }
    let common = args.common;
    let key_path = common.key.clone().context("--key is required")?;
    let key = yrd_node::keys::read_ledger_key(&key_path)?;
    // Transaction hashes, DID identifiers and commitments are the key's suite's (ADR 019): the
    // suite is fixed before the payload computes any of them.
    yrd_consensus::CryptoSuite::install(key.suite())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(&common.rpc)
            .with_context(|| format!("RPC address {:?}", common.rpc))?;
        let signer = key.public_key();
        let status: serde_json::Value = client
            .request("node_getStatus", rpc_params![])
            .await
            .context("node_getStatus")?;
        // A node of an older version reports no suite: its chain is on the default one.
        let chain_suite = status
            .get("cryptoSuite")
            .and_then(|v| v.as_str())
            .unwrap_or(yrd_consensus::CryptoSuite::Ed25519Blake3.name());
        if chain_suite != key.suite().name() {
            anyhow::bail!(
                "{} holds an {} key, but the chain at {} runs on {chain_suite}",
                key_path.display(),
                key.suite(),
                common.rpc
            );
        }
        let chain_id = status
            .get("chainId")
            .and_then(|v| v.as_str())
            .context("node_getStatus did not report chainId")?
            .to_owned();
        // The suite is fixed (above) before the payload computes any hash; a network-key binding
        // signs the chain id.
        let payload = build_payload(&args.kind, &chain_id)?;
        let head: serde_json::Value = client
            .request("chain_getHead", rpc_params![])
            .await
            .context("chain_getHead")?;
        let height = head
            .get("height")
            .and_then(|v| v.as_u64())
            .context("chain_getHead did not report height")?;
        let nonce = match common.nonce {
            Some(n) => n,
            None => {
                let value: serde_json::Value = client
                    .request("account_getNextNonce", rpc_params![hex::encode(signer)])
                    .await
                    .context("account_getNextNonce")?;
                value
                    .as_u64()
                    .or_else(|| value.get("nonce").and_then(|n| n.as_u64()))
                    .context("nonce")?
            }
        };
        let body = TxBody {
            chain_id: ChainId(chain_id),
            signer,
            nonce,
            expiry_height: height.saturating_add(common.expiry_blocks),
            payload,
        };
        // A DID's identifier derives from its creator and the creating transaction's nonce.
        let created_did = matches!(body.payload, TxPayload::DidCreate(_))
            .then(|| DidId::derive(&body.signer, body.nonce).to_string());
        // A proposal's id is assigned on execution; it is read back after the commit.
        let proposed = match &body.payload {
            TxPayload::Propose(action) => Some(action.clone()),
            _ => None,
        };
        let tx = body.sign_with(&key);
        let bytes = tx.to_bytes();
        let hash = hex::encode(tx.hash());
        if common.dry_run {
            println!(
                "{}",
                serde_json::json!({ "hash": hash, "tx": hex::encode(&bytes) })
            );
            return Ok(ExitCode::SUCCESS);
        }
        let submitted: String = match client
            .request("tx_submit", rpc_params![hex::encode(&bytes)])
            .await
        {
            Ok(submitted) => submitted,
            Err(jsonrpsee::core::ClientError::Call(error)) => {
                // The ledger's own code and name when the node gives them (`data`), else the
                // JSON-RPC error's.
                let data: Option<serde_json::Value> = error
                    .data()
                    .and_then(|raw| serde_json::from_str(raw.get()).ok());
                let name = data
                    .as_ref()
                    .and_then(|d| d.get("name"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("refused by the node");
                let code = data
                    .as_ref()
                    .and_then(|d| d.get("code"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or(i64::from(error.code()));
                return Ok(refused(name, code, error.message()));
            }
            Err(error) => return Err(error).context("tx_submit"),
        };
        eprintln!("submitted {submitted} (nonce {nonce})");
        if let Some(did) = &created_did {
            eprintln!("creates {did}");
        }
        if common.no_wait {
            println!("{submitted}");
            return Ok(ExitCode::SUCCESS);
        }
        wait_for(
            &client,
            &submitted,
            Duration::from_secs(common.wait_secs),
            created_did,
            proposed,
        )
        .await
    })
}

/// Exit status of `yrd tx` when the transaction was refused: by the node at submission (a
/// JSON-RPC error), or committed with a failing receipt, or rejected (expired, evicted).
pub const EXIT_REFUSED: u8 = 3;
/// Exit status of `yrd tx` when the transaction was still pending at the end of `--wait-secs`.
pub const EXIT_PENDING: u8 = 4;

/// The exit statuses, for `yrd tx --help`.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 committed with effect (receipt code 0), or \
submitted with --no-wait, or --dry-run; 1 the transaction could not be built or the node not \
asked (bad key file, unreachable node, …); 2 bad arguments; 3 refused: by the node at submission, \
or committed with a failing receipt, or rejected (the error's name and code are printed on \
stderr); 4 still pending when --wait-secs ran out.";

/// Prints why a transaction was refused (`name (code): message`) on stderr; returns
/// [`EXIT_REFUSED`].
fn refused(name: &str, code: i64, message: &str) -> ExitCode {
    eprintln!("refused: {name} ({code}): {message}");
    ExitCode::from(EXIT_REFUSED)
}

/// The refusal a committed or rejected transaction's status carries.
fn receipt_refusal(status: &serde_json::Value) -> ExitCode {
    let receipt = status.get("receipt");
    let field = |name: &str| receipt.and_then(|r| r.get(name));
    refused(
        field("name").and_then(|v| v.as_str()).unwrap_or("unknown"),
        field("code").and_then(|v| v.as_i64()).unwrap_or(-1),
        field("message").and_then(|v| v.as_str()).unwrap_or(""),
    )
}

/// Whether a committed transaction's status (`tx_getStatus`) carries a receipt with code 0: a
/// transaction included with an error code had no effect, and `yrd tx` then exits non-zero.
fn receipt_ok(status: &serde_json::Value) -> bool {
    status
        .pointer("/receipt/code")
        .and_then(serde_json::Value::as_u64)
        == Some(0)
}

/// Wait for the commit and print the status (with `did` added when the transaction creates one).
async fn wait_for(
    client: &HttpClient,
    hash: &str,
    limit: Duration,
    created_did: Option<String>,
    proposed: Option<yrd_contracts::tx::GovernanceAction>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    loop {
        let mut status: serde_json::Value = client
            .request("tx_getStatus", rpc_params![hash])
            .await
            .context("tx_getStatus")?;
        if let (Some(did), Some(object)) = (&created_did, status.as_object_mut()) {
            object.insert("did".into(), serde_json::Value::String(did.clone()));
        }
        let state = status.get("status").and_then(|s| s.as_str()).unwrap_or("");
        match state {
            "committed" => {
                if receipt_ok(&status)
                    && let Some(height) = status.get("height").and_then(|h| h.as_u64())
                {
                    wait_provable(client, height, limit.saturating_sub(started.elapsed())).await;
                    if let Some(action) = &proposed {
                        add_proposal_id(client, height, action, &mut status).await;
                    }
                }
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(if receipt_ok(&status) {
                    ExitCode::SUCCESS
                } else {
                    receipt_refusal(&status)
                });
            }
            "rejected" => {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(receipt_refusal(&status));
            }
            _ if started.elapsed() > limit => {
                println!("{}", serde_json::to_string_pretty(&status)?);
                eprintln!(
                    "still {state} after {}s: the transaction {hash} may yet commit",
                    limit.as_secs()
                );
                return Ok(ExitCode::from(EXIT_PENDING));
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// Adds `proposalId` to a committed proposal's status and names it on stderr; says why not when
/// it cannot be found (the transaction is committed either way).
async fn add_proposal_id(
    client: &HttpClient,
    height: u64,
    action: &yrd_contracts::tx::GovernanceAction,
    status: &mut serde_json::Value,
) {
    match proposal_id::opened_proposal(client, height, action).await {
        Ok(proposal_id::Found::One(id)) => {
            eprintln!(
                "opened proposal {id}: the other members vote with `yrd tx vote --proposal {id}` (`--reject` to vote no)"
            );
            if let Some(object) = status.as_object_mut() {
                object.insert("proposalId".into(), serde_json::Value::from(id));
            }
        }
        Ok(proposal_id::Found::Several(ids)) => eprintln!(
            "proposals {ids:?} were all opened at height {height} with this action; \
             `yrd tx` cannot tell which is this transaction's"
        ),
        Ok(proposal_id::Found::None) => eprintln!(
            "no proposal opened at height {height} with this action was found among the newest ones"
        ),
        Err(error) => eprintln!("could not read the proposal's id back: {error:#}"),
    }
}

/// A state key every chain holds (the chain parameters, `00 02`): its proof's version is the
/// height proven answers are read at.
const ALWAYS_PRESENT_KEY: &str = "0002";

/// Waits (at most `limit`) until the node's proven answers are read at `height` or later, so that
/// a proven read made right after `yrd tx` returns sees the transaction: answers are read at the
/// latest certified state, normally two blocks behind the head (docs/RPC.md). Says so on stderr
/// when the limit runs out first; the transaction is committed either way.
async fn wait_provable(client: &HttpClient, height: u64, limit: Duration) {
    let started = Instant::now();
    loop {
        let proven: Option<u64> = client
            .request::<serde_json::Value, _>("state_getProof", rpc_params![ALWAYS_PRESENT_KEY])
            .await
            .ok()
            .and_then(|answer| answer.pointer("/proof/version").and_then(|v| v.as_u64()));
        match proven {
            Some(version) if version >= height => return,
            _ if started.elapsed() >= limit => {
                eprintln!(
                    "committed at height {height}; proven answers still read an earlier height ({}): \
                     they cover this transaction once the next blocks certify it",
                    proven.map_or("unknown".to_string(), |v| v.to_string())
                );
                return;
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_receipt_with_code_zero_counts_as_success() {
        let status = |receipt: serde_json::Value| serde_json::json!({"status": "committed", "receipt": receipt});
        assert!(receipt_ok(&status(
            serde_json::json!({"code": 0, "name": "Ok"})
        )));
        assert!(!receipt_ok(&status(
            serde_json::json!({"code": 305, "name": "NotAccreditedForType"})
        )));
        assert!(!receipt_ok(&serde_json::json!({"status": "committed"})));
    }
}
