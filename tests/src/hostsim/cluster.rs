//! The simulated nodes: each is the real host (`yrd_node::host::Host`) over its own RocksDB
//! directory, started, crashed and restarted as a process would be — a restart reopens the same
//! directory through the node's own restart path (`host::restart`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use yrd_consensus::Core;
use yrd_contracts::types::ProvinceCode;
use yrd_contracts::{ChainId, Genesis, GenesisAuthority, Parameters};
use yrd_node::clock::Clock;
use yrd_node::config::ConsensusSection;
use yrd_node::host::shared::Shared;
use yrd_node::host::{Host, HostError, restart};
use yrd_node::mempool::{Mempool, MempoolConfig};
use yrd_node::storage::{CloseWatch, Store, StoreConfig};
use yrd_verifier::chain_spec::ChainSpec;

use super::fabric::SharedFabric;

/// The genesis time of every simulated chain (the virtual clock starts here).
pub const GENESIS_TIME_MS: u64 = 1_767_225_600_000;
/// The four member provinces.
pub const PROVINCES: [ProvinceCode; 4] = [
    ProvinceCode::SHANGHAI,
    ProvinceCode::JIANGSU,
    ProvinceCode::ZHEJIANG,
    ProvinceCode::ANHUI,
];
/// How long (in real time) a restart waits for the crashed instance to let go of its database.
/// Real, not virtual: the instance's blocking tasks run on real threads, and virtual time jumps
/// ahead whenever the runtime is idle.
const RELEASE_WAIT: Duration = Duration::from_secs(30);

/// Why a simulated node could not start.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// Opening the database failed (for longer than [`RELEASE_WAIT`]).
    #[error("opening the database: {0}")]
    Open(String),
    /// The node's restart path refused the directory.
    #[error("restart: {0}")]
    Restart(#[from] restart::RestartError),
}

/// Ledger keys of the simulator's secrets on the process's suite (ADR 019).
pub use yrd_testkit::{ledger_public, ledger_signer};

/// An authority's signing key (deterministic per province index).
pub fn authority_key(index: usize) -> SigningKey {
    SigningKey::from_bytes(&[0xA0 + index as u8; 32])
}

/// A validator's node key (deterministic per province index).
pub fn validator_key(index: usize) -> SigningKey {
    SigningKey::from_bytes(&[0xB0 + index as u8; 32])
}

/// The province operating validator `index` (the fifth to seventh validators are a second one
/// of Shanghai, Jiangsu and Zhejiang).
pub fn province_of_validator(index: usize) -> usize {
    index % PROVINCES.len()
}

/// The chain of a run: four provinces and `validators` validators (4 to 8), validator `i`
/// operated by province [`province_of_validator`]`(i)`.
pub fn chain_spec(validators: usize) -> ChainSpec {
    let genesis = Genesis {
        chain_id: ChainId("yrd-host-sim".into()),
        genesis_time_ms: GENESIS_TIME_MS,
        authorities: PROVINCES
            .iter()
            .enumerate()
            .map(|(index, province)| GenesisAuthority {
                province: *province,
                authority_key: ledger_public(&authority_key(index)),
                validator_keys: (0..validators)
                    .filter(|v| province_of_validator(*v) == index)
                    .map(|v| ledger_public(&validator_key(v)))
                    .collect(),
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::current(),
        network_keys: Vec::new(),
    };
    // The genesis above is fixed and valid; a failure here is a bug in this file.
    #[allow(clippy::expect_used)]
    ChainSpec::from_genesis(genesis).expect("the simulator's genesis is valid")
}

/// A running instance of a node.
struct Running {
    shared: Arc<Shared>,
    task: JoinHandle<Result<(), HostError>>,
    _stop: oneshot::Sender<()>,
}

/// One simulated node: its instance index on the network, its key, its data directory, and
/// its running instance if up.
pub struct SimNode {
    /// Its index on the simulated network.
    pub instance: usize,
    /// The node key.
    pub key: SigningKey,
    dir: PathBuf,
    running: Option<Running>,
    /// How many times it was crashed.
    pub crashes: u32,
    /// After a power cut: the write-ahead logs' sizes at the instant of the cut, and a watch on
    /// the dead instance's database. The next start (or wipe) waits for that database to close,
    /// then cuts each log back, so the unsynced writes are lost.
    power_cut: Option<(Vec<(PathBuf, u64)>, CloseWatch)>,
    /// Write-ahead-log bytes its power cuts took away (written, never synced).
    pub unsynced_bytes_lost: u64,
    /// Its store's `sync_block_commits` (an operator may turn it off).
    sync_block_commits: bool,
}

impl SimNode {
    /// A node that has not started yet, keeping its data in `dir`, syncing its block commits
    /// to disk or not.
    pub fn new(instance: usize, key: SigningKey, dir: PathBuf, sync_block_commits: bool) -> Self {
        Self {
            instance,
            key,
            dir,
            running: None,
            crashes: 0,
            power_cut: None,
            unsynced_bytes_lost: 0,
            sync_block_commits,
        }
    }

    /// The node's public key.
    pub fn public_key(&self) -> [u8; 32] {
        ledger_public(&self.key)
    }

    /// The running instance's shared state (what the RPC would read), if up.
    pub fn shared(&self) -> Option<&Arc<Shared>> {
        self.running.as_ref().map(|running| &running.shared)
    }

    /// Whether the node is running (a host that stopped with an error counts as down).
    pub fn is_up(&self) -> bool {
        self.running
            .as_ref()
            .is_some_and(|running| !running.task.is_finished())
    }

    /// A host that ended by itself, and how (a fatal host error is a finding).
    pub async fn take_failure(&mut self) -> Option<String> {
        let finished = self
            .running
            .as_ref()
            .is_some_and(|running| running.task.is_finished());
        if !finished {
            return None;
        }
        let running = self.running.take()?;
        Some(match running.task.await {
            Ok(Ok(())) => "the host stopped by itself".to_string(),
            Ok(Err(error)) => format!("the host failed: {error}"),
            Err(error) => format!("the host task ended abnormally: {error}"),
        })
    }

    /// Starts the node from its directory, as `yrd node` does: open the store, rebuild the start
    /// state from it, and run the real host on the simulated network.
    pub async fn start(
        &mut self,
        chain: &ChainSpec,
        fabric: &SharedFabric,
        clock: Arc<dyn Clock>,
        consensus: &ConsensusSection,
    ) -> Result<(), NodeError> {
        self.lose_unsynced_writes().await?;
        let store = open_when_released(&self.dir, self.sync_block_commits).await?;
        let state = restart::open_state(&store, chain)?;
        let start = restart::start_state(&store, chain, &state)?;
        let head = restart::start_head(&store, chain, &start)?;
        let shared = Arc::new(Shared::with_clock(
            chain.clone(),
            store,
            Mempool::new(MempoolConfig::default()),
            head,
            clock,
        ));
        let me = self.public_key();
        let events = fabric.attach(self.instance, me);
        let core = Core::new(consensus.core_config(), Box::new(ledger_signer(&self.key)));
        let host = Host::new(
            core,
            state,
            Arc::clone(&shared),
            fabric.handle(self.instance, me),
            consensus.host_config(),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        // Every log line of this host names its instance (`--log` replays read as per-node).
        let span = tracing::info_span!("node", instance = self.instance);
        let task = tokio::spawn(tracing::Instrument::instrument(
            host.run(start, events, async move {
                let _ = stopped.await;
            }),
            span,
        ));
        self.running = Some(Running {
            shared,
            task,
            _stop: stop,
        });
        Ok(())
    }

    /// Kills the running instance mid-flight: its host task is dropped wherever it was, what
    /// was in flight to it is lost, and its mempool with it. What it wrote stays (a process
    /// crash; [`SimNode::power_cut`] also loses what was not synced).
    pub fn crash(&mut self, fabric: &SharedFabric) {
        if let Some(running) = self.running.take() {
            running.task.abort();
            fabric.detach(self.instance);
            self.crashes += 1;
        }
    }

    /// Cuts the power: like [`SimNode::crash`], and what was written but not synced is lost too.
    /// The store keeps write-ahead-log bytes in the process until a synced write
    /// (`StoreConfig::manual_wal_flush`), so the logs' sizes on disk now are exactly what was
    /// synced; the dying instance still writes its buffered tail when it closes, and the next
    /// start cuts that off again. (A write racing the cut on a blocking thread may be cut mid
    /// record, as a real power cut would; the host that asked for it never runs again.)
    pub fn power_cut(&mut self, fabric: &SharedFabric) {
        let Some(running) = self.running.as_ref() else {
            return;
        };
        let watch = running.shared.store.close_watch();
        let logs = std::fs::read_dir(&self.dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
                    .filter_map(|entry| Some((entry.path(), entry.metadata().ok()?.len())))
                    .collect()
            })
            .unwrap_or_default();
        self.crash(fabric);
        self.power_cut = Some((logs, watch));
    }

    /// After a power cut: waits (in real time) for the dead instance's database to close, then
    /// cuts its write-ahead logs back to their sizes at the cut.
    async fn lose_unsynced_writes(&mut self) -> Result<(), NodeError> {
        let Some((logs, watch)) = self.power_cut.take() else {
            return Ok(());
        };
        let closed = wait_released(|| watch.is_closed().then_some(())).await;
        if closed.is_none() {
            return Err(NodeError::Open(
                "the instance cut off by the power cut never closed its database".into(),
            ));
        }
        for (path, len) in logs {
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .and_then(|file| {
                    let written = file.metadata()?.len();
                    file.set_len(len)?;
                    Ok(written.saturating_sub(len))
                });
            match file {
                Ok(lost) => {
                    self.unsynced_bytes_lost = self.unsynced_bytes_lost.saturating_add(lost);
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(NodeError::Open(format!(
                        "cutting {} back after the power cut: {error}",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }

    /// Wipes the data folder of a crashed node: it restarts from genesis with its key and no
    /// memory of what it voted (amnesia, or an operator replacing a disk).
    pub async fn wipe(&mut self) -> Result<(), NodeError> {
        // Once the crashed instance has let go of the database, nothing writes there any more.
        self.lose_unsynced_writes().await?;
        if self.dir.exists() {
            drop(open_when_released(&self.dir, self.sync_block_commits).await?);
        }
        match std::fs::remove_dir_all(&self.dir) {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(error) => Err(NodeError::Open(format!("wiping: {error}"))),
        }
    }
}

/// Opens the store, waiting (in virtual time) while a crashed instance's tasks still hold it.
async fn open_when_released(
    dir: &std::path::Path,
    sync_block_commits: bool,
) -> Result<Store, NodeError> {
    let config = StoreConfig {
        // What the disk holds is what was synced: a power cut loses the rest.
        manual_wal_flush: true,
        sync_block_commits,
        ..StoreConfig::default()
    };
    let mut last_error = None;
    let opened = wait_released(|| match Store::open(dir, config.clone()) {
        Ok(store) => Some(store),
        Err(error) => {
            last_error = Some(error.to_string());
            None
        }
    })
    .await;
    opened.ok_or_else(|| NodeError::Open(last_error.unwrap_or_default()))
}

/// Tries `attempt` until it gives a value or [`RELEASE_WAIT`] (real time) has passed, letting the
/// runtime drop what a crash aborted, and the blocking threads finish, between tries.
async fn wait_released<T>(mut attempt: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = std::time::Instant::now() + RELEASE_WAIT;
    loop {
        if let Some(value) = attempt() {
            return Some(value);
        }
        if std::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        std::thread::sleep(Duration::from_millis(2));
    }
}
