//! A local network of `yrd node` processes for the scenarios that run the real node, plus the
//! RPC calls and the issuer set-up they share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
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
use yrd_contracts::{ChainId, SignedTx, TxBody};

use crate::cli::devnet::{self, DevnetArgs, DevnetNode};

/// The licence type every scenario anchors.
pub const BENCH_TYPE: &str = "BENCH-1";

/// Expiry height of every bench transaction: a fresh bench chain stays far below it, and it is
/// within the default `mempool.max_expiry_blocks` of height 0 (an expiry further ahead than that
/// is refused at admission).
pub const BENCH_EXPIRY_HEIGHT: u64 = 100_000;

/// Config lines added to every node of a bench network.
#[derive(Debug, Clone, Default)]
pub struct Tweaks {
    /// Lines for `[consensus]`.
    pub consensus: String,
    /// Lines for `[rpc]`.
    pub rpc: String,
    /// Lines for a `[mempool]` table.
    pub mempool: String,
}

/// A running local network; stopped (SIGTERM, then kill) on drop.
pub struct LocalNet {
    /// Its folder.
    pub dir: PathBuf,
    /// The nodes.
    pub nodes: Vec<DevnetNode>,
    children: Vec<Option<Child>>,
    /// The chain id.
    pub chain_id: ChainId,
}

/// Ports for a bench network: away from the devnet's defaults, varied by process id so two
/// runs do not collide.
fn base_ports() -> (u16, u16) {
    let slot = (std::process::id() % 200) as u16;
    (31_000 + slot * 40, 31_020 + slot * 40)
}

impl LocalNet {
    /// Write keys, genesis and configs for `nodes` nodes under `dir` (which must not hold a
    /// chain yet), apply `tweaks`, start every node and wait until all serve RPC.
    pub fn start(dir: &Path, nodes: usize, tweaks: &Tweaks) -> anyhow::Result<Self> {
        Self::start_with_observers(dir, nodes, 0, tweaks)
    }

    /// [`LocalNet::start`], with `observers` observer folders written too (indices `nodes..`),
    /// not started: [`LocalNet::add_observers`] registers and starts them.
    pub fn start_with_observers(
        dir: &Path,
        nodes: usize,
        observers: usize,
        tweaks: &Tweaks,
    ) -> anyhow::Result<Self> {
        let (p2p_base_port, rpc_base_port) = base_ports();
        let args = DevnetArgs {
            dir: dir.to_path_buf(),
            nodes,
            p2p_base_port,
            rpc_base_port,
            init_only: true,
            observers,
        };
        let devnet_nodes = devnet::init(&args)?;
        for node in &devnet_nodes {
            let text = std::fs::read_to_string(&node.config)?;
            let mut text = text.replacen("[rpc]\n", &format!("[rpc]\n{}", tweaks.rpc), 1);
            // `[consensus]` is the last table the devnet writes.
            text.push_str(&tweaks.consensus);
            if !tweaks.mempool.is_empty() {
                text.push_str(&format!("\n[mempool]\n{}", tweaks.mempool));
            }
            std::fs::write(&node.config, text)?;
        }
        let genesis: yrd_contracts::Genesis = serde_json::from_str(
            &std::fs::read_to_string(dir.join("genesis.json")).context("reading genesis")?,
        )?;
        let mut net = Self {
            dir: dir.to_path_buf(),
            nodes: devnet_nodes,
            children: Vec::new(),
            chain_id: genesis.chain_id,
        };
        for i in 0..nodes {
            let child = net.spawn(i)?;
            net.children.push(Some(child));
        }
        for i in 0..nodes {
            net.wait_serving(i, Duration::from_secs(60))?;
        }
        Ok(net)
    }

    fn spawn(&self, i: usize) -> anyhow::Result<Child> {
        let exe = std::env::current_exe().context("locating the yrd binary")?;
        let node = &self.nodes[i];
        let folder = node.config.parent().unwrap_or_else(|| Path::new("."));
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(folder.join("node.log"))?;
        Command::new(exe)
            .arg("node")
            .arg("--config")
            .arg(&node.config)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting node {}", node.name))
    }

    /// Registers every observer folder on chain (by the Shanghai authority, through node 0),
    /// then starts each and waits until it serves. Returns how many were started.
    pub fn add_observers(&mut self) -> anyhow::Result<usize> {
        let observers: Vec<(usize, [u8; 32])> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.registered_by.is_some())
            .map(|(i, node)| (i, node.key))
            .collect();
        if observers.is_empty() {
            return Ok(0);
        }
        let client = self.client(0)?;
        let authority = self.authority("shanghai")?;
        let chain = self.chain_id.clone();
        runtime()?.block_on(async {
            let next: Value = client
                .request(
                    "account_getNextNonce",
                    rpc_params![hex::encode(authority.verifying_key().to_bytes())],
                )
                .await?;
            let mut account = Account {
                key: authority,
                nonce: next["nonce"].as_u64().context("nonce")?,
            };
            let mut last = String::new();
            for (_, key) in &observers {
                let tx = account.sign(&chain, TxPayload::RegisterObserver { key: *key });
                last = submit(&client, &tx).await?;
            }
            wait_committed(&client, &last, Duration::from_secs(60)).await?;
            anyhow::Ok(())
        })?;
        for (i, _) in &observers {
            let child = self.spawn(*i)?;
            self.children.push(Some(child));
        }
        for (i, _) in &observers {
            self.wait_serving(*i, Duration::from_secs(60))?;
        }
        Ok(observers.len())
    }

    /// A node's data folder.
    pub fn data_dir(&self, i: usize) -> PathBuf {
        self.nodes[i]
            .config
            .parent()
            .unwrap_or_else(|| Path::new("."))
            .join("data")
    }

    /// An authority key of a province folder (`shanghai`, ...).
    pub fn authority(&self, province: &str) -> anyhow::Result<SigningKey> {
        Ok(yrd_node::keys::read_key_file(
            &self.dir.join(province).join("authority-key.json"),
        )?)
    }

    /// An RPC client of node `i`.
    pub fn client(&self, i: usize) -> anyhow::Result<HttpClient> {
        client(&self.nodes[i].rpc_url)
    }

    /// Wait until node `i` answers `chain_getHead`.
    pub fn wait_serving(&self, i: usize, limit: Duration) -> anyhow::Result<()> {
        let client = self.client(i)?;
        let deadline = Instant::now() + limit;
        let runtime = runtime()?;
        runtime.block_on(async {
            loop {
                if head_height(&client).await.is_ok() {
                    return Ok(());
                }
                if Instant::now() > deadline {
                    bail!("node {} did not start serving", self.nodes[i].name);
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    }

    /// Stop node `i` (SIGTERM, then kill after 10 s).
    pub fn stop(&mut self, i: usize) {
        if let Some(mut child) = self.children.get_mut(i).and_then(Option::take) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(child.id().to_string())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Start node `i` again.
    pub fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        self.stop(i);
        let child = self.spawn(i)?;
        self.children[i] = Some(child);
        Ok(())
    }
}

impl Drop for LocalNet {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.stop(i);
        }
    }
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

/// `[rpc]` limits raised so that the RPC server never refuses a load generator's batches: the
/// scenarios that offer load measure the ledger, not these limits.
pub const LOAD_RPC_LIMITS: &str = "max_request_body_bytes = 16777216\nmax_response_body_bytes = 67108864\n\
     max_batch_len = 1024\nmax_connections = 4096\nmax_concurrent_backend_calls = 4096\n";

/// A signer with its next nonce.
pub struct Account {
    /// The key.
    pub key: SigningKey,
    /// The nonce of its next transaction.
    pub nonce: u64,
}

impl Account {
    /// A deterministic key from `seed`.
    pub fn from_seed(seed: u64, nonce: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8] = 0xbe;
        Self {
            key: SigningKey::from_bytes(&bytes),
            nonce,
        }
    }

    /// Sign `payload` with the next nonce, expiring at [`BENCH_EXPIRY_HEIGHT`].
    pub fn sign(&mut self, chain: &ChainId, payload: TxPayload) -> SignedTx {
        let body = TxBody {
            chain_id: chain.clone(),
            signer: self.key.verifying_key().to_bytes(),
            nonce: self.nonce,
            expiry_height: BENCH_EXPIRY_HEIGHT,
            payload,
        };
        self.nonce += 1;
        body.sign(&self.key)
    }
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
) -> anyhow::Result<Vec<Account>> {
    let authority_pub = authority.verifying_key().to_bytes();
    let next: Value = client
        .request(
            "account_getNextNonce",
            rpc_params![hex::encode(authority_pub)],
        )
        .await?;
    let mut authority = Account {
        key: authority,
        nonce: next["nonce"].as_u64().context("nonce")?,
    };
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
        ),
    )
    .await?;
    let mut issuers = Vec::with_capacity(count);
    for i in 0..count {
        let issuer = Account::from_seed(1_000_000 + i as u64, 0);
        let create_nonce = authority.nonce;
        submit(
            client,
            &authority.sign(
                chain,
                TxPayload::DidCreate(DidCreate {
                    subject: SubjectKind::Issuer,
                    controller_key: issuer.key.verifying_key().to_bytes(),
                    services: Vec::new(),
                }),
            ),
        )
        .await?;
        last = submit(
            client,
            &authority.sign(
                chain,
                TxPayload::AccreditIssuer(AccreditIssuer {
                    issuer_key: issuer.key.verifying_key().to_bytes(),
                    issuer_did: DidId::derive(&authority_pub, create_nonce),
                    uscc: issuer_uscc(i as u64),
                    licence_types: vec![code.clone()],
                }),
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
