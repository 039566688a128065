//! The scenarios' use of `yrd_testkit::LocalNet` (a local network of `yrd node` processes), plus
//! the RPC calls and the issuer set-up they share.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use ed25519_dalek::SigningKey;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::Value;
use yrd_contracts::did_id::DidId;
use yrd_contracts::tx::{AccreditIssuer, DidCreate, LicenceTypeSpec, SubjectKind, TxPayload};
use yrd_contracts::types::{DataClass, LicenceTypeCode};
use yrd_contracts::{ChainId, SignedTx};
use yrd_testkit::{ConfigTweaks, LocalNet, NetLayout, Signer};

/// The licence type every scenario anchors.
pub const BENCH_TYPE: &str = "BENCH-1";

/// Expiry height of every bench transaction: a fresh bench chain stays far below it, and it is
/// within the default `mempool.max_expiry_blocks` of height 0 (an expiry further ahead than that
/// is refused at admission).
pub const BENCH_EXPIRY_HEIGHT: u64 = 100_000;

/// How long a bench node may take to serve JSON-RPC after it starts.
const SERVE_LIMIT: Duration = Duration::from_secs(60);

/// How long a stopped bench node may take to shut down before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// The `yrd` binary the networks run: the one beside this benchmark binary (Cargo builds both
/// into the same folder).
pub fn yrd_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the yrd-bench binary")?;
    let yrd = exe
        .parent()
        .context("the yrd-bench binary has no parent folder")?
        .join(format!("yrd{}", std::env::consts::EXE_SUFFIX));
    if !yrd.is_file() {
        bail!(
            "{} is not built; build both binaries with \
             `cargo build --release --locked -p yrd-node --bin yrd -p yrd-bench`",
            yrd.display()
        );
    }
    Ok(yrd)
}

/// Writes keys, genesis and configs for `nodes` validators and `observers` observers under `dir`
/// (which must not hold a chain yet), applies `tweaks` to every configuration, starts every
/// validator and waits until all serve RPC. The observers are only written:
/// [`start_observers`] registers and starts them. The network is stopped (SIGTERM, then kill)
/// when dropped.
pub fn start(
    dir: &Path,
    nodes: usize,
    observers: usize,
    tweaks: &ConfigTweaks,
) -> anyhow::Result<LocalNet> {
    let layout = NetLayout::new(nodes)
        .in_dir(dir)
        .observers(observers)
        .crypto(yrd_consensus::CryptoSuite::current());
    let mut net = LocalNet::init(&yrd_binary()?, &layout)?;
    net.set_graceful_drop(true);
    net.set_node_env("RUST_LOG", "warn");
    net.tweak_configs(tweaks)?;
    net.start_validators(SERVE_LIMIT)?;
    Ok(net)
}

/// Registers every observer on chain (by the Shanghai authority, through node 0), then starts
/// each and waits until it serves. Returns how many were started.
pub fn start_observers(net: &mut LocalNet) -> anyhow::Result<usize> {
    Ok(net.start_observers(BENCH_EXPIRY_HEIGHT, SERVE_LIMIT)?)
}

/// Stops node `i` (SIGTERM, then kill after 10 s).
pub fn stop(net: &mut LocalNet, i: usize) {
    net.terminate(i, STOP_GRACE);
}

/// Stops node `i` and starts it again.
pub fn restart(net: &mut LocalNet, i: usize) -> anyhow::Result<()> {
    stop(net, i);
    net.start(i)?;
    Ok(())
}

/// The settings `tweaks` makes in table `table`, as TOML lines (what a report records).
pub fn table_text(tweaks: &ConfigTweaks, table: &str) -> anyhow::Result<String> {
    match tweaks.table(table) {
        Some(settings) => Ok(toml::to_string(settings)?),
        None => Ok(String::new()),
    }
}

/// An RPC client of node `i`.
pub fn node_client(net: &LocalNet, i: usize) -> anyhow::Result<HttpClient> {
    client(&net.nodes[i].rpc_url())
}

/// A current-thread runtime for the blocking parts of a scenario.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// An HTTP JSON-RPC client with generous limits.
pub fn client(url: &str) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(Duration::from_secs(60))
        .max_request_size(256 * 1024 * 1024)
        .max_response_size(256 * 1024 * 1024)
        .build(url)
        .with_context(|| format!("RPC address {url:?}"))
}

/// The committed head height.
pub async fn head_height(client: &HttpClient) -> anyhow::Result<u64> {
    let head: Value = client.request("chain_getHead", rpc_params![]).await?;
    head.get("height")
        .and_then(Value::as_u64)
        .context("chain_getHead without height")
}

/// Wait until the node's committed head reaches `height` (error if `limit` passes first).
pub async fn wait_height(client: &HttpClient, height: u64, limit: Duration) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while head_height(client).await? < height {
        if Instant::now() > deadline {
            bail!("height {height} not reached within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// `[rpc]` limits raised so that the RPC server never refuses a load generator's batches: the
/// scenarios that offer load measure the ledger, not these limits.
pub fn load_rpc_limits() -> ConfigTweaks {
    ConfigTweaks::new()
        .set("rpc", "max_request_body_bytes", 16_777_216)
        .set("rpc", "max_response_body_bytes", 67_108_864)
        .set("rpc", "max_batch_len", 1024)
        .set("rpc", "max_connections", 4096)
        .set("rpc", "max_concurrent_backend_calls", 4096)
}

/// Submit one transaction; returns its hash (hex).
pub async fn submit(client: &HttpClient, tx: &SignedTx) -> anyhow::Result<String> {
    let hash: String = client
        .request("tx_submit", rpc_params![hex::encode(tx.to_bytes())])
        .await?;
    Ok(hash)
}

/// Wait until `hash` is committed (error if it was refused or `limit` passes).
pub async fn wait_committed(
    client: &HttpClient,
    hash: &str,
    limit: Duration,
) -> anyhow::Result<u64> {
    let deadline = Instant::now() + limit;
    loop {
        let status: Value = client.request("tx_getStatus", rpc_params![hash]).await?;
        match status.get("status").and_then(Value::as_str) {
            Some("committed") => {
                if status["receipt"]["code"].as_u64().unwrap_or(0) != 0 {
                    bail!("transaction {hash} failed: {status}");
                }
                return status["height"]
                    .as_u64()
                    .context("committed without height");
            }
            Some("rejected") => bail!("transaction {hash} rejected: {status}"),
            _ => {}
        }
        if Instant::now() > deadline {
            bail!("transaction {hash} not committed within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Register [`BENCH_TYPE`] and accredit `count` issuers (by the Shanghai authority) through
/// `client`; returns the issuers with their nonces.
pub async fn setup_issuers(
    client: &HttpClient,
    chain: &ChainId,
    authority: SigningKey,
    count: usize,
) -> anyhow::Result<Vec<Signer>> {
    let authority_pub = yrd_testkit::ledger_public(&authority);
    let next: Value = client
        .request(
            "account_getNextNonce",
            rpc_params![hex::encode(authority_pub)],
        )
        .await?;
    let mut authority = Signer::new(authority, next["nonce"].as_u64().context("nonce")?);
    let code = LicenceTypeCode(BENCH_TYPE.into());
    let mut last = submit(
        client,
        &authority.sign(
            chain,
            TxPayload::RegisterLicenceType(LicenceTypeSpec {
                code: code.clone(),
                name: "benchmark licence".into(),
                schema_digest: [7; 32],
                data_class: DataClass::Unconditional,
                on_issuer_revoked: Default::default(),
            }),
            BENCH_EXPIRY_HEIGHT,
        ),
    )
    .await?;
    let mut issuers = Vec::with_capacity(count);
    for i in 0..count {
        let issuer = Signer::from_seed(1_000_000 + i as u64, 0);
        let create_nonce = authority.next_nonce;
        submit(
            client,
            &authority.sign(
                chain,
                TxPayload::DidCreate(DidCreate {
                    subject: SubjectKind::Issuer,
                    controller_key: issuer.public_key(),
                    services: Vec::new(),
                }),
                BENCH_EXPIRY_HEIGHT,
            ),
        )
        .await?;
        last = submit(
            client,
            &authority.sign(
                chain,
                TxPayload::AccreditIssuer(AccreditIssuer {
                    issuer_key: issuer.public_key(),
                    issuer_did: DidId::derive(&authority_pub, create_nonce),
                    uscc: issuer_uscc(i as u64),
                    licence_types: vec![code.clone()],
                }),
                BENCH_EXPIRY_HEIGHT,
            ),
        )
        .await?;
        issuers.push(issuer);
        // Stay inside the mempool's per-signer window.
        if (i + 1) % 200 == 0 {
            wait_committed(client, &last, Duration::from_secs(120)).await?;
        }
    }
    wait_committed(client, &last, Duration::from_secs(120)).await?;
    Ok(issuers)
}

/// An anchoring of `commitment` as a [`BENCH_TYPE`] licence valid for ten years from `from_ms`.
pub fn anchor(commitment: [u8; 32], from_ms: u64) -> TxPayload {
    TxPayload::AnchorLicence(yrd_contracts::tx::AnchorLicence {
        commitment,
        licence_type: LicenceTypeCode(BENCH_TYPE.into()),
        valid_from_ms: from_ms,
        valid_until_ms: from_ms + 3_650 * 86_400_000,
    })
}

/// The `i`-th benchmark commitment of a run.
/// The USCC of benchmark issuer `index` (all Shanghai): `91310000`, eight digits, `0`, check.
pub fn issuer_uscc(index: u64) -> yrd_contracts::licence_id::Uscc {
    let first_17 = format!("91310000{:08}0", index % 100_000_000);
    // Digits only, completed with their check character: always a valid code.
    yrd_contracts::licence_id::Uscc::with_check_character(&first_17)
        .unwrap_or_else(|_| unreachable!("benchmark USCC {first_17}… is valid"))
}

pub fn commitment(run: u64, i: u64) -> [u8; 32] {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&run.to_le_bytes());
    bytes[8..].copy_from_slice(&i.to_le_bytes());
    *blake3::hash(&bytes).as_bytes()
}
