//! A local network of real `yrd node` processes on 127.0.0.1, and a blocking JSON-RPC client.
//!
//! `Cluster::new` runs `yrd devnet --init-only` into a temporary folder (keys, genesis, one
//! `node.toml` per province) on free ports; nodes are then started, killed (`SIGKILL`) and stopped
//! (`SIGTERM`) one by one. Dropping the cluster kills what is left; when a test is failing, the end
//! of every node's log is printed first.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use yrd_contracts::{ChainId, SignedTx, TxBody, TxPayload};

/// The `yrd` binary Cargo built for these tests.
pub const YRD: &str = env!("CARGO_BIN_EXE_yrd");
/// The devnet's chain id.
pub const CHAIN_ID: &str = "yrd-devnet";
/// Folder names of the four provinces, in node order (A, B, C, D).
pub const NAMES: [&str; 4] = ["shanghai", "jiangsu", "zhejiang", "anhui"];
/// Ports each cluster reserves: p2p for four nodes and one outsider, then RPC for the same.
const PORTS_PER_CLUSTER: u16 = 10;
const IO_TIMEOUT: Duration = Duration::from_secs(15);

static SERIAL: Mutex<()> = Mutex::new(());
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// Cluster tests run one at a time: four nodes each already keep two cores busy.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A base port such that `base..base + PORTS_PER_CLUSTER` can all be bound on 127.0.0.1 now.
fn free_port_block() -> u16 {
    let _ = NEXT_PORT.compare_exchange(
        0,
        20_000 + (std::process::id() % 2_000) as u16 * 10,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..500 {
        let mut base = NEXT_PORT.fetch_add(PORTS_PER_CLUSTER, Ordering::SeqCst);
        if base > 60_000 {
            NEXT_PORT.store(20_000, Ordering::SeqCst);
            base = 20_000;
        }
        let all_free = (0..PORTS_PER_CLUSTER)
            .all(|offset| TcpListener::bind(("127.0.0.1", base + offset)).is_ok());
        if all_free {
            return base;
        }
    }
    panic!("no block of {PORTS_PER_CLUSTER} free ports on 127.0.0.1");
}

/// One node process (running or not).
pub struct Node {
    /// Folder name (province).
    pub name: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its JSON-RPC address.
    pub rpc: SocketAddr,
    /// Its p2p port.
    pub p2p_port: u16,
    child: Option<Child>,
}

/// Four province nodes from one generated genesis.
pub struct Cluster {
    /// Keys, genesis, configs, data and logs.
    pub dir: tempfile::TempDir,
    /// Node 0 is Shanghai (A), 1 Jiangsu (B), 2 Zhejiang (C), 3 Anhui (D).
    pub nodes: Vec<Node>,
    base: u16,
}

impl Cluster {
    /// Keys, genesis and configs for four nodes; nothing started.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let base = free_port_block();
        let p2p_base = base;
        let rpc_base = base + PORTS_PER_CLUSTER / 2;
        let output = Command::new(YRD)
            .arg("devnet")
            .arg("--init-only")
            .arg("--dir")
            .arg(dir.path())
            .args(["--nodes", "4"])
            .args(["--p2p-base-port", &p2p_base.to_string()])
            .args(["--rpc-base-port", &rpc_base.to_string()])
            .output()
            .expect("running yrd devnet --init-only");
        assert!(
            output.status.success(),
            "yrd devnet --init-only failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let nodes = NAMES
            .iter()
            .enumerate()
            .map(|(i, name)| Node {
                name: (*name).to_owned(),
                config: dir.path().join(name).join("node.toml"),
                rpc: SocketAddr::from(([127, 0, 0, 1], rpc_base + i as u16)),
                p2p_port: p2p_base + i as u16,
                child: None,
            })
            .collect();
        Self { dir, nodes, base }
    }

    /// A folder inside the cluster's.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    /// The authority key file of a province (`shanghai`, `jiangsu`, …).
    pub fn authority_key_file(&self, province: &str) -> PathBuf {
        self.path(&format!("{province}/authority-key.json"))
    }

    /// The authority key of a province.
    pub fn authority_key(&self, province: &str) -> SigningKey {
        yrd_node::keys::read_key_file(&self.authority_key_file(province)).expect("authority key")
    }

    /// Adds a fifth node whose key is not in the genesis membership, bootstrapping to the four.
    /// Returns its index.
    pub fn add_outsider(&mut self) -> usize {
        let folder = self.path("outsider");
        std::fs::create_dir_all(&folder).expect("outsider folder");
        let key_file = folder.join("node-key.json");
        let out = Command::new(YRD)
            .args(["keygen", "--out"])
            .arg(&key_file)
            .output()
            .expect("yrd keygen");
        assert!(out.status.success(), "yrd keygen failed");
        let p2p_port = self.base + 4;
        let rpc_port = self.base + PORTS_PER_CLUSTER / 2 + 4;
        let bootstrap: Vec<String> = self
            .nodes
            .iter()
            .map(|node| {
                let key = yrd_node::keys::read_key_file(
                    &node.config.parent().expect("folder").join("node-key.json"),
                )
                .expect("node key");
                format!(
                    "{{ public_key = \"{}\", address = \"/ip4/127.0.0.1/tcp/{}\" }}",
                    hex::encode(key.verifying_key().to_bytes()),
                    node.p2p_port
                )
            })
            .collect();
        let config = folder.join("node.toml");
        std::fs::write(
            &config,
            format!(
                "data_dir = \"data\"\nkey_file = \"node-key.json\"\ngenesis_file = \"../genesis.json\"\n\n\
                 [p2p]\nlisten_address = \"/ip4/127.0.0.1/tcp/{p2p_port}\"\nbootstrap = [\n  {}\n]\n\n\
                 [rpc]\nlisten_address = \"127.0.0.1:{rpc_port}\"\n",
                bootstrap.join(",\n  ")
            ),
        )
        .expect("outsider config");
        self.nodes.push(Node {
            name: "outsider".into(),
            config,
            rpc: SocketAddr::from(([127, 0, 0, 1], rpc_port)),
            p2p_port,
            child: None,
        });
        self.nodes.len() - 1
    }

    /// Starts node `i` (`yrd node --config …`, output appended to `<node>/node.log`).
    pub fn start(&mut self, i: usize) {
        self.start_with(i, &[]);
    }

    /// Starts node `i` with extra `yrd node` arguments (such as `--state-sync`).
    pub fn start_with(&mut self, i: usize, extra: &[&str]) {
        let node = &mut self.nodes[i];
        assert!(node.child.is_none(), "node {} already running", node.name);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(node.config.parent().expect("folder").join("node.log"))
            .expect("log file");
        let child = Command::new(YRD)
            .arg("node")
            .arg("--config")
            .arg(&node.config)
            .args(extra)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("starting yrd node");
        node.child = Some(child);
    }

    /// Starts the four province nodes and waits until each answers JSON-RPC.
    pub fn start_all(&mut self) {
        for i in 0..NAMES.len() {
            self.start(i);
        }
        for i in 0..NAMES.len() {
            self.wait_serving(i);
        }
    }

    /// A new cluster with the four province nodes running and each past `height`.
    pub fn running(height: u64) -> Self {
        let mut cluster = Self::new();
        cluster.start_all();
        for i in 0..NAMES.len() {
            cluster.wait_height(i, height, Duration::from_secs(60));
        }
        cluster
    }

    /// Waits until node `i` answers `chain_getHead`.
    pub fn wait_serving(&mut self, i: usize) {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + Duration::from_secs(30);
        while rpc.call("chain_getHead", json!([])).is_err() {
            if let Some(child) = self.nodes[i].child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                panic!(
                    "node {} exited ({status}) before serving:\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 30)
                );
            }
            assert!(
                Instant::now() < deadline,
                "node {} does not serve JSON-RPC",
                self.nodes[i].name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `SIGKILL`: no shutdown path runs.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `SIGTERM`, then waits for the process; returns whether it exited successfully.
    pub fn terminate(&mut self, i: usize) -> bool {
        let Some(mut child) = self.nodes[i].child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return status.success(),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return false;
                }
            }
        }
    }

    /// Whether node `i`'s process is alive.
    pub fn is_running(&mut self, i: usize) -> bool {
        self.nodes[i]
            .child
            .as_mut()
            .is_some_and(|child| matches!(child.try_wait(), Ok(None)))
    }

    /// A client for node `i`.
    pub fn rpc(&self, i: usize) -> Rpc {
        Rpc {
            addr: self.nodes[i].rpc,
        }
    }

    /// The node's RPC URL, for `yrd` commands.
    pub fn url(&self, i: usize) -> String {
        format!("http://{}", self.nodes[i].rpc)
    }

    /// Runs `yrd <args>` and returns its output.
    pub fn yrd(&self, args: &[&str]) -> Output {
        Command::new(YRD).args(args).output().expect("running yrd")
    }

    /// Runs `yrd tx <args> --rpc <node i> --key <key>` and returns its JSON output; panics with
    /// the command's stderr if it failed.
    pub fn tx(&self, i: usize, key: &Path, args: &[&str]) -> Value {
        let mut all: Vec<&str> = vec!["tx"];
        all.extend_from_slice(args);
        let url = self.url(i);
        let key = key.to_string_lossy().into_owned();
        all.extend_from_slice(&["--rpc", &url, "--key", &key, "--wait-secs", "60"]);
        let output = self.yrd(&all);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "yrd {} failed ({}):\nstdout: {stdout}\nstderr: {}",
            all.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("yrd tx printed no JSON ({e}): {stdout}"))
    }

    /// Node `i`'s committed height.
    pub fn height(&self, i: usize) -> u64 {
        self.rpc(i).ok("chain_getHead", json!([]))["height"]
            .as_u64()
            .expect("height")
    }

    /// Waits until node `i` has committed `height`; panics after `timeout`.
    pub fn wait_height(&self, i: usize, height: u64, timeout: Duration) {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(head) = rpc.call("chain_getHead", json!([]))
                && head["height"].as_u64().unwrap_or(0) >= height
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "node {} did not reach height {height} in {timeout:?}:\n{}",
                self.nodes[i].name,
                self.log_tail(i, 30)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The state root node `i` holds for `height`.
    pub fn state_root_at(&self, i: usize, height: u64) -> String {
        let block = self.rpc(i).ok("chain_getBlock", json!([height]));
        block["head"]["stateRoot"]
            .as_str()
            .expect("stateRoot")
            .to_owned()
    }

    /// The block id node `i` holds for `height`.
    pub fn block_id_at(&self, i: usize, height: u64) -> String {
        let block = self.rpc(i).ok("chain_getBlock", json!([height]));
        block["head"]["blockId"]
            .as_str()
            .expect("blockId")
            .to_owned()
    }

    /// Waits until the transaction is committed as seen by node `i`; returns its status.
    pub fn wait_committed(&self, i: usize, hash: &str, timeout: Duration) -> Value {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(status) = rpc.call("tx_getStatus", json!([hash])) {
                match status["status"].as_str() {
                    Some("committed") => return status,
                    Some("rejected") => panic!("transaction {hash} rejected: {status}"),
                    _ => {}
                }
            }
            assert!(
                Instant::now() < deadline,
                "transaction {hash} not committed at node {} in {timeout:?}; its status there: {:?}\n{}",
                self.nodes[i].name,
                rpc.call("tx_getStatus", json!([hash])),
                (0..self.nodes.len())
                    .map(|n| format!("--- {} ---\n{}", self.nodes[n].name, self.log_tail(n, 15)))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last `lines` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        let path = self.nodes[i]
            .config
            .parent()
            .expect("folder")
            .join("node.log");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Keep the whole logs of a failed run (the temporary folder goes with the cluster).
            let kept = std::env::temp_dir().join(format!(
                "yrd-cluster-logs-{}-{}",
                std::process::id(),
                self.base
            ));
            let _ = std::fs::create_dir_all(&kept);
            for i in 0..self.nodes.len() {
                let log = self.nodes[i].config.parent().map(|f| f.join("node.log"));
                if let Some(log) = log {
                    let _ = std::fs::copy(log, kept.join(format!("{}.log", self.nodes[i].name)));
                }
                eprintln!(
                    "----- {} (last lines of node.log) -----\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 25)
                );
            }
            eprintln!("full node logs kept in {}", kept.display());
        }
        for i in 0..self.nodes.len() {
            self.kill(i);
        }
    }
}

/// A JSON-RPC error object.
#[derive(Debug, Clone)]
pub struct RpcError {
    /// `error.code`, or 0 when the transport failed.
    pub code: i64,
    /// `error.message` (or the transport failure).
    pub message: String,
    /// `error.data`.
    pub data: Value,
}

/// A blocking JSON-RPC 2.0 client over HTTP/1.1 (one connection per call).
#[derive(Debug, Clone, Copy)]
pub struct Rpc {
    /// The node's RPC address.
    pub addr: SocketAddr,
}

impl Rpc {
    /// POSTs `body` as JSON and returns the HTTP status and the body.
    pub fn post_raw(&self, body: &[u8]) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect_timeout(&self.addr, IO_TIMEOUT)?;
        stream.set_read_timeout(Some(IO_TIMEOUT))?;
        stream.set_write_timeout(Some(IO_TIMEOUT))?;
        let head = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            body.len()
        );
        stream.write_all(head.as_bytes())?;
        // The server may answer (413) and close before reading all of an oversized body.
        let _ = stream.write_all(body);
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        parse_http(&raw)
            .ok_or_else(|| std::io::Error::other(format!("not an HTTP response: {raw:?}")))
    }

    /// Calls `method`; the result, or the error object (code 0 for a transport failure).
    pub fn call(&self, method: &str, params: Value) -> Result<Value, RpcError> {
        let request = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (_, body) = self
            .post_raw(request.to_string().as_bytes())
            .map_err(|e| RpcError {
                code: 0,
                message: e.to_string(),
                data: Value::Null,
            })?;
        let mut reply: Value = serde_json::from_str(&body).map_err(|e| RpcError {
            code: 0,
            message: format!("reply is not JSON ({e}): {body}"),
            data: Value::Null,
        })?;
        if let Some(error) = reply.get("error") {
            return Err(RpcError {
                code: error["code"].as_i64().unwrap_or(0),
                message: error["message"].as_str().unwrap_or("").to_owned(),
                data: error.get("data").cloned().unwrap_or(Value::Null),
            });
        }
        Ok(reply["result"].take())
    }

    /// Calls `method` and panics on an error.
    pub fn ok(&self, method: &str, params: Value) -> Value {
        self.call(method, params).unwrap_or_else(|e| {
            panic!(
                "{method} failed at {}: {} ({}, data {})",
                self.addr, e.message, e.code, e.data
            )
        })
    }
}

fn parse_http(raw: &[u8]) -> Option<(u16, String)> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let mut body = raw[split + 4..].to_vec();
    let chunked = head.lines().any(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("transfer-encoding:") && lower.contains("chunked")
    });
    if chunked {
        body = dechunk(&body)?;
    }
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&data[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

/// A signer that numbers its own transactions.
pub struct Signer {
    /// Its key.
    pub key: SigningKey,
    /// The nonce its next transaction carries.
    pub next_nonce: u64,
}

impl Signer {
    /// A signer whose next nonce is `next_nonce`.
    pub fn new(key: SigningKey, next_nonce: u64) -> Self {
        Self { key, next_nonce }
    }

    /// Signs `payload` with the next nonce (and advances it), expiring at `expiry_height`.
    pub fn sign(&mut self, payload: TxPayload, expiry_height: u64) -> SignedTx {
        let tx = sign_with_nonce(&self.key, self.next_nonce, payload, expiry_height);
        self.next_nonce += 1;
        tx
    }
}

/// Signs a devnet transaction with an explicit nonce.
pub fn sign_with_nonce(
    key: &SigningKey,
    nonce: u64,
    payload: TxPayload,
    expiry_height: u64,
) -> SignedTx {
    TxBody {
        chain_id: ChainId(CHAIN_ID.into()),
        signer: key.verifying_key().to_bytes(),
        nonce,
        expiry_height,
        payload,
    }
    .sign(key)
}

/// A timestamping transaction payload for a distinct digest (any authority may send it).
pub fn timestamp_payload(seed: u64) -> TxPayload {
    TxPayload::TimestampDocument {
        digest: *blake3::hash(&seed.to_le_bytes()).as_bytes(),
        acting_did: None,
    }
}

/// `tx_submit` of a signed transaction; the hash (hex) or the error.
pub fn submit(rpc: &Rpc, tx: &SignedTx) -> Result<String, RpcError> {
    rpc.call("tx_submit", json!([hex::encode(tx.to_bytes())]))
        .map(|hash| hash.as_str().unwrap_or_default().to_owned())
}
