//! A local network of real `yrd node` processes on 127.0.0.1, for process tests and benchmarks.
//!
//! [`LocalNet::init`] runs `yrd devnet --init-only` (keys, genesis, one `node.toml` per node) into
//! a folder of the caller's or a temporary one, on a block of ports found free; nothing runs yet.
//! [`ConfigTweaks`] then edits the nodes' configuration files as TOML, checked against the node's
//! own configuration type. Nodes are started, killed (`SIGKILL`) and stopped (`SIGTERM`) one by one;
//! each appends its output to `<node>/node.log`. Dropping the network stops what is left (killed, or
//! stopped gracefully after [`LocalNet::set_graceful_drop`]); when the dropping thread is panicking
//! (a failing test), the end of every node's log is printed first and the whole logs are copied to
//! the system's temporary folder (`yrd-cluster-logs-*`).

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde::Serialize;
use serde_json::{Value, json};
use yrd_contracts::{ChainId, TxPayload};
use yrd_node::config::NodeConfig;
use yrd_node::keys::KeyFileError;

use crate::rpc::{Rpc, RpcError};
use crate::signer::Signer;

/// Folder names of the four founding provinces, in node order (A, B, C, D).
pub const PROVINCES: [&str; 4] = ["shanghai", "jiangsu", "zhejiang", "anhui"];

/// Ports handed out so far in this process (0: none yet).
static NEXT_PORT: AtomicU16 = AtomicU16::new(0);

/// Why a network could not be set up or did not do what was waited for.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The failure.
        #[source]
        source: std::io::Error,
    },
    /// No block of free ports was found.
    #[error("no block of {0} free ports on 127.0.0.1")]
    NoFreePorts(u16),
    /// `yrd devnet --init-only` failed or printed something unexpected.
    #[error("yrd devnet --init-only: {0}")]
    Devnet(String),
    /// A configuration or genesis file could not be read, edited or written.
    #[error("{path}: {reason}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A key file could not be read.
    #[error(transparent)]
    Key(#[from] KeyFileError),
    /// A JSON-RPC call failed.
    #[error("JSON-RPC: {0}")]
    Rpc(#[from] RpcError),
    /// A node process exited before it served JSON-RPC.
    #[error("node {name} exited ({status}) before serving:\n{log}")]
    Exited {
        /// The node.
        name: String,
        /// How it exited.
        status: ExitStatus,
        /// The end of its log.
        log: String,
    },
    /// A node was started twice.
    #[error("node {0} is already running")]
    AlreadyRunning(String),
    /// No port was reserved for another node ([`NetLayout::spare`]).
    #[error("no spare port slot left for another node")]
    NoSpareSlot,
    /// A transaction was refused.
    #[error("transaction {hash} rejected: {status}")]
    Rejected {
        /// Its hash (hex).
        hash: String,
        /// Its status as `tx_getStatus` answered.
        status: Value,
    },
    /// Something waited for did not happen in time.
    #[error("{0}")]
    Timeout(String),
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> NetError {
    let what = what.into();
    move |source| NetError::Io { what, source }
}

/// What [`LocalNet::init`] lays out.
#[derive(Debug, Clone)]
pub struct NetLayout {
    /// The folder (it must not hold a chain yet); `None`: a new temporary folder, removed with the
    /// network.
    pub dir: Option<PathBuf>,
    /// Validators (spread over the four provinces, as `yrd devnet` does).
    pub nodes: usize,
    /// Observers (written, not registered; see [`LocalNet::start_observers`]).
    pub observers: usize,
    /// Port slots kept for nodes added later ([`LocalNet::add_outsider`]).
    pub spare: usize,
    /// The chain's crypto suite (`yrd devnet --crypto`).
    pub crypto: yrd_consensus::CryptoSuite,
}

impl NetLayout {
    /// `nodes` validators in a temporary folder, no observers, no spare slot.
    pub fn new(nodes: usize) -> Self {
        Self {
            dir: None,
            nodes,
            observers: 0,
            spare: 0,
            crypto: yrd_consensus::CryptoSuite::Ed25519Blake3,
        }
    }

    /// On the crypto suite `suite`.
    pub fn crypto(mut self, suite: yrd_consensus::CryptoSuite) -> Self {
        self.crypto = suite;
        self
    }

    /// In `dir` instead of a temporary folder.
    pub fn in_dir(mut self, dir: &Path) -> Self {
        self.dir = Some(dir.to_path_buf());
        self
    }

    /// With `observers` observer folders.
    pub fn observers(mut self, observers: usize) -> Self {
        self.observers = observers;
        self
    }

    /// With `spare` port slots for nodes added later.
    pub fn spare(mut self, spare: usize) -> Self {
        self.spare = spare;
        self
    }
}

/// Settings merged into tables of every node's configuration file (`rpc`, `mempool`,
/// `consensus`, …): the file is read as TOML, each table gets the settings (replacing any of the
/// same name), the result must be a valid node configuration, and it is written back.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ConfigTweaks {
    tables: BTreeMap<String, toml::Table>,
}

impl ConfigTweaks {
    /// No change.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also sets `key = value` in table `table`.
    pub fn set(mut self, table: &str, key: &str, value: impl Into<toml::Value>) -> Self {
        self.tables
            .entry(table.to_owned())
            .or_default()
            .insert(key.to_owned(), value.into());
        self
    }

    /// Also sets every setting of `other` (the later wins).
    pub fn merge(mut self, other: &ConfigTweaks) -> Self {
        for (table, settings) in &other.tables {
            let mine = self.tables.entry(table.clone()).or_default();
            for (key, value) in settings {
                mine.insert(key.clone(), value.clone());
            }
        }
        self
    }

    /// The settings for table `table`, if any.
    pub fn table(&self, table: &str) -> Option<&toml::Table> {
        self.tables.get(table)
    }

    /// Whether there is nothing to change.
    pub fn is_empty(&self) -> bool {
        self.tables.values().all(toml::Table::is_empty)
    }

    /// Edits the configuration file `path`.
    pub fn apply(&self, path: &Path) -> Result<(), NetError> {
        let invalid = |reason: String| NetError::Config {
            path: path.to_path_buf(),
            reason,
        };
        let text =
            std::fs::read_to_string(path).map_err(io(format!("reading {}", path.display())))?;
        let mut document: toml::Table =
            toml::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        for (table, settings) in &self.tables {
            let entry = document
                .entry(table.clone())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            let toml::Value::Table(existing) = entry else {
                return Err(invalid(format!("`{table}` is not a table")));
            };
            for (key, value) in settings {
                existing.insert(key.clone(), value.clone());
            }
        }
        // The node's own configuration type decides what is a setting.
        toml::Value::Table(document.clone())
            .try_into::<NodeConfig>()
            .map_err(|e| invalid(e.to_string()))?;
        let text = toml::to_string(&document).map_err(|e| invalid(e.to_string()))?;
        std::fs::write(path, text).map_err(io(format!("writing {}", path.display())))?;
        NodeConfig::load(path).map_err(|e| invalid(e.to_string()))?;
        Ok(())
    }
}

/// One node process of a [`LocalNet`] (running or not).
#[derive(Debug)]
pub struct Node {
    /// Folder name (province, `observer-N`, `outsider`).
    pub name: String,
    /// Its configuration file.
    pub config: PathBuf,
    /// Its JSON-RPC address.
    pub rpc: SocketAddr,
    /// Its p2p port.
    pub p2p_port: u16,
    /// Its node key (public).
    pub key: [u8; 32],
    /// Whether it is an observer (written by the devnet, registered on chain by
    /// [`LocalNet::start_observers`]).
    pub observer: bool,
    child: Option<Child>,
}

impl Node {
    /// Its folder (configuration, key, data, log).
    pub fn folder(&self) -> PathBuf {
        self.config
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Its JSON-RPC URL.
    pub fn rpc_url(&self) -> String {
        format!("http://{}", self.rpc)
    }

    /// Its log file.
    pub fn log_file(&self) -> PathBuf {
        self.folder().join("node.log")
    }
}

/// A network of `yrd node` processes on 127.0.0.1.
pub struct LocalNet {
    yrd: PathBuf,
    dir: PathBuf,
    temp: Option<tempfile::TempDir>,
    /// The nodes: the validators, then the observers, then nodes added later.
    pub nodes: Vec<Node>,
    /// The chain id of its genesis.
    pub chain_id: ChainId,
    /// The crypto suite of its genesis.
    pub suite: yrd_consensus::CryptoSuite,
    p2p_base: u16,
    rpc_base: u16,
    slots: u16,
    node_env: Vec<(String, String)>,
    graceful_drop: bool,
}

/// A base port such that `base..base + count` can all be bound on 127.0.0.1 now.
fn free_port_block(count: u16) -> Result<u16, NetError> {
    let _ = NEXT_PORT.compare_exchange(
        0,
        20_000 + (std::process::id() % 2_000) as u16 * 10,
        Ordering::SeqCst,
        Ordering::SeqCst,
    );
    for _ in 0..500 {
        let mut base = NEXT_PORT.fetch_add(count, Ordering::SeqCst);
        if base > 60_000 {
            NEXT_PORT.store(20_000, Ordering::SeqCst);
            base = 20_000;
        }
        let all_free =
            (0..count).all(|offset| TcpListener::bind(("127.0.0.1", base + offset)).is_ok());
        if all_free {
            return Ok(base);
        }
    }
    Err(NetError::NoFreePorts(count))
}

impl LocalNet {
    /// Lays out a network with the `yrd` binary at `yrd`: keys, genesis and configurations, on
    /// free ports. Nothing is started.
    pub fn init(yrd: &Path, layout: &NetLayout) -> Result<Self, NetError> {
        let (temp, dir) = match &layout.dir {
            Some(dir) => {
                std::fs::create_dir_all(dir).map_err(io(format!("creating {}", dir.display())))?;
                (None, dir.clone())
            }
            None => {
                let temp = tempfile::tempdir().map_err(io("creating a temporary folder"))?;
                let dir = temp.path().to_path_buf();
                (Some(temp), dir)
            }
        };
        let slots = (layout.nodes + layout.observers + layout.spare) as u16;
        let base = free_port_block(2 * slots)?;
        let (p2p_base, rpc_base) = (base, base + slots);
        let output = Command::new(yrd)
            .arg("devnet")
            .arg("--init-only")
            .arg("--dir")
            .arg(&dir)
            .args(["--nodes", &layout.nodes.to_string()])
            .args(["--observers", &layout.observers.to_string()])
            .args(["--p2p-base-port", &p2p_base.to_string()])
            .args(["--rpc-base-port", &rpc_base.to_string()])
            .args(["--crypto", layout.crypto.name()])
            .output()
            .map_err(io(format!("running {}", yrd.display())))?;
        if !output.status.success() {
            return Err(NetError::Devnet(
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ));
        }
        // Besides what it says about the genesis, it prints `<name>: <config file>` per node,
        // validators then observers.
        let stdout = String::from_utf8_lossy(&output.stdout);
        let configs = stdout.lines().filter_map(|line| {
            line.split_once(": ")
                .filter(|(_, config)| config.ends_with("node.toml"))
        });
        let mut nodes = Vec::new();
        for (i, (name, config)) in configs.enumerate() {
            let config = PathBuf::from(config);
            let key_file = config.parent().map_or_else(
                || PathBuf::from("node-key.json"),
                |f| f.join("node-key.json"),
            );
            let key = yrd_node::keys::read_ledger_key(&key_file)?.public_key();
            nodes.push(Node {
                name: name.to_owned(),
                config,
                rpc: SocketAddr::from(([127, 0, 0, 1], rpc_base + i as u16)),
                p2p_port: p2p_base + i as u16,
                key,
                observer: i >= layout.nodes,
                child: None,
            });
        }
        if nodes.len() != layout.nodes + layout.observers {
            return Err(NetError::Devnet(format!(
                "{} nodes written, {} asked for",
                nodes.len(),
                layout.nodes + layout.observers
            )));
        }
        let genesis_path = dir.join("genesis.json");
        let genesis_text = std::fs::read_to_string(&genesis_path)
            .map_err(io(format!("reading {}", genesis_path.display())))?;
        let genesis: yrd_contracts::Genesis =
            serde_json::from_str(&genesis_text).map_err(|e| NetError::Config {
                path: genesis_path.clone(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            yrd: yrd.to_path_buf(),
            dir,
            temp,
            nodes,
            chain_id: genesis.chain_id,
            suite: genesis.crypto_suite,
            p2p_base,
            rpc_base,
            slots,
            node_env: Vec::new(),
            graceful_drop: false,
        })
    }

    /// The network's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A path inside the network's folder.
    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// The `yrd` binary the nodes run.
    pub fn yrd(&self) -> &Path {
        &self.yrd
    }

    /// A `yrd` command (add the arguments).
    pub fn command(&self) -> Command {
        Command::new(&self.yrd)
    }

    /// Sets an environment variable for every node started from now on (such as `RUST_LOG`).
    pub fn set_node_env(&mut self, key: &str, value: &str) {
        self.node_env.push((key.to_owned(), value.to_owned()));
    }

    /// Whether dropping the network stops the nodes with `SIGTERM` (up to 10 s each) instead of
    /// killing them.
    pub fn set_graceful_drop(&mut self, graceful: bool) {
        self.graceful_drop = graceful;
    }

    /// Applies `tweaks` to every node's configuration file written so far.
    pub fn tweak_configs(&self, tweaks: &ConfigTweaks) -> Result<(), NetError> {
        if tweaks.is_empty() {
            return Ok(());
        }
        for node in &self.nodes {
            tweaks.apply(&node.config)?;
        }
        Ok(())
    }

    /// The authority key file of a province folder (`shanghai`, `jiangsu`, …).
    pub fn authority_key_file(&self, province: &str) -> PathBuf {
        self.dir.join(province).join("authority-key.json")
    }

    /// The authority key of a province folder.
    pub fn authority_key(&self, province: &str) -> Result<SigningKey, NetError> {
        // The secret bytes, whichever suite's: the test kit's signers read them as a key of the
        // process's suite (`crate::ledger_signer`), which is the chain's.
        let key = yrd_node::keys::read_ledger_key(&self.authority_key_file(province))?;
        Ok(SigningKey::from_bytes(&key.secret_bytes()))
    }

    /// Node `i`'s data folder.
    pub fn data_dir(&self, i: usize) -> PathBuf {
        self.nodes[i].folder().join("data")
    }

    /// A JSON-RPC client of node `i`.
    pub fn rpc(&self, i: usize) -> Rpc {
        Rpc {
            addr: self.nodes[i].rpc,
        }
    }

    /// Adds a node whose key is in no membership (a new key), bootstrapping to the validators, on
    /// a spare port slot. Returns its index.
    pub fn add_outsider(&mut self) -> Result<usize, NetError> {
        let slot = self.nodes.len() as u16;
        if slot >= self.slots {
            return Err(NetError::NoSpareSlot);
        }
        let folder = self.path("outsider");
        std::fs::create_dir_all(&folder).map_err(io(format!("creating {}", folder.display())))?;
        let key_file = folder.join("node-key.json");
        let output = self
            .command()
            .args(["keygen", "--crypto", self.suite.name(), "--out"])
            .arg(&key_file)
            .output()
            .map_err(io("running yrd keygen"))?;
        if !output.status.success() {
            return Err(NetError::Io {
                what: "yrd keygen".into(),
                source: std::io::Error::other(String::from_utf8_lossy(&output.stderr).into_owned()),
            });
        }
        let key = yrd_node::keys::read_ledger_key(&key_file)?.public_key();
        let p2p_port = self.p2p_base + slot;
        let rpc_port = self.rpc_base + slot;
        let bootstrap: Vec<toml::Value> = self
            .nodes
            .iter()
            .filter(|node| !node.observer)
            .map(|node| {
                let mut peer = toml::Table::new();
                peer.insert("public_key".into(), hex::encode(node.key).into());
                peer.insert(
                    "address".into(),
                    format!("/ip4/127.0.0.1/tcp/{}", node.p2p_port).into(),
                );
                toml::Value::Table(peer)
            })
            .collect();
        let mut p2p = toml::Table::new();
        p2p.insert(
            "listen_address".into(),
            format!("/ip4/127.0.0.1/tcp/{p2p_port}").into(),
        );
        p2p.insert("bootstrap".into(), toml::Value::Array(bootstrap));
        let mut rpc = toml::Table::new();
        rpc.insert(
            "listen_address".into(),
            format!("127.0.0.1:{rpc_port}").into(),
        );
        let mut document = toml::Table::new();
        document.insert("data_dir".into(), "data".into());
        document.insert("key_file".into(), "node-key.json".into());
        document.insert("genesis_file".into(), "../genesis.json".into());
        document.insert("p2p".into(), toml::Value::Table(p2p));
        document.insert("rpc".into(), toml::Value::Table(rpc));
        let config = folder.join("node.toml");
        let invalid = |reason: String| NetError::Config {
            path: config.clone(),
            reason,
        };
        let text = toml::to_string(&document).map_err(|e| invalid(e.to_string()))?;
        std::fs::write(&config, text).map_err(io(format!("writing {}", config.display())))?;
        NodeConfig::load(&config).map_err(|e| invalid(e.to_string()))?;
        self.nodes.push(Node {
            name: "outsider".into(),
            config,
            rpc: SocketAddr::from(([127, 0, 0, 1], rpc_port)),
            p2p_port,
            key,
            observer: false,
            child: None,
        });
        Ok(self.nodes.len() - 1)
    }

    /// Starts node `i` (`yrd node --config …`, output appended to its `node.log`).
    pub fn start(&mut self, i: usize) -> Result<(), NetError> {
        self.start_with(i, &[])
    }

    /// Starts node `i` with extra `yrd node` arguments (such as `--state-sync`).
    pub fn start_with(&mut self, i: usize, extra: &[&str]) -> Result<(), NetError> {
        let node = &self.nodes[i];
        if node.child.is_some() {
            return Err(NetError::AlreadyRunning(node.name.clone()));
        }
        let log_file = node.log_file();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_file)
            .map_err(io(format!("opening {}", log_file.display())))?;
        let log_too = log
            .try_clone()
            .map_err(io(format!("opening {}", log_file.display())))?;
        let child = Command::new(&self.yrd)
            .arg("node")
            .arg("--config")
            .arg(&node.config)
            .args(extra)
            .envs(self.node_env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log_too)
            .stderr(log)
            .spawn()
            .map_err(io(format!("starting node {}", node.name)))?;
        self.nodes[i].child = Some(child);
        Ok(())
    }

    /// Starts every validator, then waits until each answers JSON-RPC (at most `limit` each).
    pub fn start_validators(&mut self, limit: Duration) -> Result<(), NetError> {
        let validators: Vec<usize> = (0..self.nodes.len())
            .filter(|&i| !self.nodes[i].observer)
            .collect();
        for &i in &validators {
            self.start(i)?;
        }
        for &i in &validators {
            self.wait_serving(i, limit)?;
        }
        Ok(())
    }

    /// Registers every observer on chain (by the Shanghai authority, through node 0, its
    /// transactions expiring at `expiry_height`), then starts each and waits until it serves (at
    /// most `limit`). Returns how many were started.
    pub fn start_observers(
        &mut self,
        expiry_height: u64,
        limit: Duration,
    ) -> Result<usize, NetError> {
        let observers: Vec<(usize, [u8; 32])> = self
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.observer)
            .map(|(i, node)| (i, node.key))
            .collect();
        if observers.is_empty() {
            return Ok(0);
        }
        let rpc = self.rpc(0);
        let authority = self.authority_key(PROVINCES[0])?;
        let nonce = rpc.next_nonce(&crate::ledger_public(&authority))?;
        let mut authority = Signer::new(authority, nonce);
        let mut last = String::new();
        for (i, key) in &observers {
            let tx = authority.sign(
                &self.chain_id,
                TxPayload::RegisterObserver { key: *key },
                expiry_height,
            );
            last = rpc.submit(&tx)?;
            if self.suite != yrd_consensus::CryptoSuite::Ed25519Blake3 {
                // On sm2-sm3 the members admit an observer once its network key is bound.
                let node = yrd_node::keys::read_ledger_key(
                    &self.nodes[*i].folder().join("node-key.json"),
                )?;
                let tx = authority.sign(
                    &self.chain_id,
                    node.network_binding(&self.chain_id.0),
                    expiry_height,
                );
                last = rpc.submit(&tx)?;
            }
        }
        let status = self.wait_committed(0, &last, Duration::from_secs(60))?;
        if status["receipt"]["code"].as_u64().unwrap_or(0) != 0 {
            return Err(NetError::Rejected { hash: last, status });
        }
        for (i, _) in &observers {
            self.start(*i)?;
        }
        for (i, _) in &observers {
            self.wait_serving(*i, limit)?;
        }
        Ok(observers.len())
    }

    /// Waits until node `i` answers `chain_getHead`; fails at once if its process exited.
    pub fn wait_serving(&mut self, i: usize, limit: Duration) -> Result<(), NetError> {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + limit;
        while rpc.call("chain_getHead", json!([])).is_err() {
            if let Some(child) = self.nodes[i].child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                return Err(NetError::Exited {
                    name: self.nodes[i].name.clone(),
                    status,
                    log: self.log_tail(i, 30),
                });
            }
            if Instant::now() >= deadline {
                return Err(NetError::Timeout(format!(
                    "node {} does not serve JSON-RPC after {limit:?}",
                    self.nodes[i].name
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(())
    }

    /// `SIGKILL`: no shutdown path runs.
    pub fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `SIGTERM`, then waits up to `grace` for the process (and kills it after that); returns
    /// whether it exited successfully in time. A node not running counts as success.
    pub fn terminate(&mut self, i: usize, grace: Duration) -> bool {
        let Some(mut child) = self.nodes[i].child.take() else {
            return true;
        };
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let deadline = Instant::now() + grace;
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

    /// Node `i`'s committed height.
    pub fn height(&self, i: usize) -> Result<u64, NetError> {
        Ok(self.rpc(i).height()?)
    }

    /// Waits until node `i` has committed `height` (at most `limit`).
    pub fn wait_height(&self, i: usize, height: u64, limit: Duration) -> Result<(), NetError> {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + limit;
        loop {
            if rpc.height().is_ok_and(|h| h >= height) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(NetError::Timeout(format!(
                    "node {} did not reach height {height} in {limit:?}:\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 30)
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until transaction `hash` is committed as node `i` sees it (at most `limit`);
    /// returns its status. A committed transaction whose receipt holds an error code counts as
    /// committed; a refused one is an error.
    pub fn wait_committed(&self, i: usize, hash: &str, limit: Duration) -> Result<Value, NetError> {
        let rpc = self.rpc(i);
        let deadline = Instant::now() + limit;
        loop {
            if let Ok(status) = rpc.call("tx_getStatus", json!([hash])) {
                match status["status"].as_str() {
                    Some("committed") => return Ok(status),
                    Some("rejected") => {
                        return Err(NetError::Rejected {
                            hash: hash.to_owned(),
                            status,
                        });
                    }
                    _ => {}
                }
            }
            if Instant::now() >= deadline {
                return Err(NetError::Timeout(format!(
                    "transaction {hash} not committed at node {} in {limit:?}; its status there: \
                     {:?}\n{}",
                    self.nodes[i].name,
                    rpc.call("tx_getStatus", json!([hash])),
                    (0..self.nodes.len())
                        .map(|n| format!(
                            "--- {} ---\n{}",
                            self.nodes[n].name,
                            self.log_tail(n, 15)
                        ))
                        .collect::<Vec<_>>()
                        .join("\n")
                )));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The last `lines` lines of node `i`'s log.
    pub fn log_tail(&self, i: usize, lines: usize) -> String {
        let text = std::fs::read_to_string(self.nodes[i].log_file()).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }
}

impl Drop for LocalNet {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // Keep the whole logs of a failed run (a temporary folder goes with the network).
            let kept = std::env::temp_dir().join(format!(
                "yrd-cluster-logs-{}-{}",
                std::process::id(),
                self.p2p_base
            ));
            let _ = std::fs::create_dir_all(&kept);
            for i in 0..self.nodes.len() {
                let _ = std::fs::copy(
                    self.nodes[i].log_file(),
                    kept.join(format!("{}.log", self.nodes[i].name)),
                );
                eprintln!(
                    "----- {} (last lines of node.log) -----\n{}",
                    self.nodes[i].name,
                    self.log_tail(i, 25)
                );
            }
            eprintln!("full node logs kept in {}", kept.display());
        }
        for i in 0..self.nodes.len() {
            if self.graceful_drop {
                self.terminate(i, Duration::from_secs(10));
            } else {
                self.kill(i);
            }
        }
        // The processes are gone before their folder is.
        drop(self.temp.take());
    }
}
