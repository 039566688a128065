//! `yrd node --config node.toml [--state-sync [--reset]]`: run one node until SIGTERM or Ctrl-C.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError};

use anyhow::Context;
use tokio::sync::mpsc;
use yrd_consensus::Core;
use yrd_node::admin::AdminServer;
use yrd_node::config::NodeConfig;
use yrd_node::host::shared::Shared;
use yrd_node::host::state_sync;
use yrd_node::host::state_sync::client::ConnectedPeers;
use yrd_node::host::{Host, restart};
use yrd_node::mempool::Mempool;
use yrd_node::network::{self, NetworkConfig, NetworkEvent};
use yrd_node::storage::{Store, StoreConfig};
use yrd_verifier::chain_spec::ChainSpec;

/// How the node starts.
#[derive(Debug, Clone, Copy, Default)]
pub struct StartOptions {
    /// Start an empty data directory from a certified state snapshot (`--state-sync`).
    pub state_sync: bool,
    /// Wipe the data directory first (`--reset`, only with `--state-sync`).
    pub reset: bool,
}

/// Run a node.
pub fn run(config_path: &Path, options: StartOptions) -> anyhow::Result<ExitCode> {
    let config = NodeConfig::load(config_path)?;
    if options.reset && !options.state_sync {
        anyhow::bail!(
            "--reset wipes the data directory before a state sync: use it with --state-sync"
        );
    }
    if options.reset {
        reset_data_dir(&config.data_dir)?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("yrd")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(config, options))?;
    Ok(ExitCode::SUCCESS)
}

/// Remove the data directory, if it is one of ours (or absent). Anything else is refused.
fn reset_data_dir(data_dir: &Path) -> anyhow::Result<()> {
    if !data_dir.exists() {
        return Ok(());
    }
    let is_empty = std::fs::read_dir(data_dir)
        .with_context(|| format!("reading {}", data_dir.display()))?
        .next()
        .is_none();
    if !is_empty && !data_dir.join("CURRENT").is_file() {
        anyhow::bail!(
            "--reset: {} is not a node database (no CURRENT file); remove it yourself",
            data_dir.display()
        );
    }
    std::fs::remove_dir_all(data_dir)
        .with_context(|| format!("removing {}", data_dir.display()))?;
    tracing::warn!(data_dir = %data_dir.display(), "--reset: data directory removed");
    Ok(())
}

async fn run_async(config: NodeConfig, options: StartOptions) -> anyhow::Result<()> {
    let chain = ChainSpec::load(&config.genesis_file)?;
    let key = yrd_node::keys::read_ledger_key(&config.key_file)?;
    if key.suite() != chain.genesis.crypto_suite {
        anyhow::bail!(
            "{}: an {} key, but the chain runs on {}",
            config.key_file.display(),
            key.suite(),
            chain.genesis.crypto_suite
        );
    }
    let public_key = key.public_key();
    if let Some(listed) = chain.genesis.network_key(&public_key)
        && listed != key.network_public_key()
    {
        // The other members would refuse this node's network key.
        anyhow::bail!(
            "{}: the genesis lists network key {} for this validator, but this key's network key \
             is {} (`yrd keygen --crypto sm2-sm3` prints it)",
            config.genesis_file.display(),
            hex::encode(listed),
            hex::encode(key.network_public_key())
        );
    }
    tracing::info!(
        chain = %chain.genesis.chain_id,
        genesis = %hex::encode(chain.genesis_hash),
        key = %hex::encode(public_key),
        data_dir = %config.data_dir.display(),
        "starting node"
    );

    let store_config = StoreConfig {
        keep_versions: config.storage.keep_versions,
        tree_node_cache_entries: config.storage.tree_node_cache_entries,
        max_total_wal_bytes: config.storage.max_total_wal_bytes,
        ..StoreConfig::default()
    };
    let store = Store::open(&config.data_dir, store_config)
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let existing = store.committed_head()?;
    let unfinished = store.restore_progress()?;
    let mut synced_network = None;
    if options.state_sync && existing.is_some() && unfinished.is_none() {
        tracing::warn!(
            height = existing.map(|head| head.height),
            "--state-sync: the data directory already holds a chain; continuing from it (state \
             sync only fills an empty data directory; --reset wipes it)"
        );
    } else if options.state_sync {
        // Until the snapshot tells who the members are, talk to the genesis validators and the
        // configured bootstrap peers.
        let members = chain
            .consensus
            .validator_set
            .validators
            .iter()
            .map(|validator| validator.public_key.0)
            .chain(config.p2p.bootstrap.iter().map(|peer| peer.public_key))
            .collect();
        // No state yet: the genesis file's network keys.
        let network_keys =
            yrd_node::host::network_keys::network_keys(&chain.genesis, &members, |_| None);
        let members =
            yrd_node::host::network_keys::reachable(&chain.genesis, &members, &network_keys);
        let (network, events, listen_info) =
            start_network(&config, &key, members, network_keys).await?;
        tracing::info!(addresses = ?listen_info, "p2p listening (state sync)");
        let peers = ConnectedPeers::default();
        let (host_events, syncing) = forward_events(events, Arc::clone(&peers));
        tokio::select! {
            report = state_sync::client::state_sync(&store, &chain, &network, &peers, config.state_sync.chunk_bytes) => {
                report.context("state sync")?;
            }
            () = shutdown_signal() => {
                network.shutdown().await;
                tracing::info!("stopped during state sync; start again with --state-sync to resume");
                return Ok(());
            }
        }
        syncing.store(false, std::sync::atomic::Ordering::Release);
        synced_network = Some((network, host_events));
    }
    let state = restart::open_state(&store, &chain)?;
    let start = restart::start_state(&store, &chain, &state)?;
    let head = restart::start_head(&store, &chain, &start)?;
    let is_validator = start
        .validator_set
        .validators
        .iter()
        .any(|validator| validator.public_key.0 == public_key);
    tracing::info!(
        height = head.height,
        epoch = start.validator_set.epoch,
        validator = is_validator,
        "resuming from committed head"
    );

    // Membership is the validator set of the committed tip's epoch (rebuilt from the stored
    // epoch changes), not the genesis file's, the validators the committed state lists (an
    // added one catches up before its epoch) and the registered observers: a restarted node
    // admits added members and refuses removed ones. The host keeps it current after every
    // commit.
    let observers = yrd_contracts::query::observer_keys(&state.snapshot())
        .context("reading the registered observers")?;
    let listed_validators = yrd_contracts::query::next_validator_keys(&state.snapshot())
        .context("reading the validator list")?;
    let members: BTreeSet<[u8; 32]> = start
        .validator_set
        .validators
        .iter()
        .map(|validator| validator.public_key.0)
        .chain(listed_validators)
        .chain(observers)
        .collect();
    let network_keys =
        yrd_node::host::network_keys::network_keys(&chain.genesis, &members, |key| {
            yrd_node::host::bound_network_key(&state.snapshot(), key)
        });
    let members = yrd_node::host::network_keys::reachable(&chain.genesis, &members, &network_keys);
    let (network, events) = match synced_network {
        Some((network, events)) => {
            network
                .set_members(members, network_keys)
                .await
                .context("setting the network membership")?;
            (network, events)
        }
        None => {
            let (network, events, listen_info) =
                start_network(&config, &key, members, network_keys).await?;
            tracing::info!(addresses = ?listen_info, "p2p listening");
            (network, events)
        }
    };

    let shared = Arc::new(Shared::new(
        chain.clone(),
        store,
        Mempool::new(config.mempool),
        head,
    ));
    let backend = yrd_node::host::rpc_backend::NodeBackend::new(
        Arc::clone(&shared),
        network.clone(),
        std::time::Duration::from_millis(config.p2p.tx_batch_delay_ms),
    );
    // Status lists are `eddsa-jcs-2022` credentials: signed by an ed25519 node key only (on
    // `sm2-sm3` a node serves none; docs/CREDENTIALS.md).
    let backend = match key.ed25519(&config.key_file) {
        Ok(ed25519) => backend
            .with_status_list_signer(ed25519)
            .context("the status-list signer")?,
        Err(_) => backend,
    };
    let backend = Arc::new(backend);
    let rpc = yrd_node::rpc::start(config.rpc.clone(), backend)
        .await
        .context("starting JSON-RPC")?;
    // The local admin socket (`yrd backup` of the running node). Without it the node still runs;
    // `yrd backup` then needs it stopped.
    let admin = match AdminServer::start(&config.data_dir, shared.store.clone()) {
        Ok(admin) => {
            tracing::info!(path = %admin.path().display(), "admin socket listening");
            Some(admin)
        }
        Err(error) => {
            tracing::warn!(%error, "no admin socket: `yrd backup` needs the node stopped");
            None
        }
    };

    let core = Core::new(config.consensus.core_config(), Box::new(key.clone()));
    let host = Host::new(
        core,
        state,
        Arc::clone(&shared),
        network.clone(),
        config.consensus.host_config(),
    );
    let result = host.run(start, events, shutdown_signal()).await;
    drop(admin);
    rpc.stop().await;
    network.shutdown().await;
    shared.store.flush().ok();
    result.context("node stopped with an error")?;
    tracing::info!("stopped cleanly");
    Ok(())
}

/// Starts the network with the node's network key; on `sm2-sm3` that is the key derived from the
/// node's SM2 key, and `network_keys` maps members to theirs (ADR 020).
async fn start_network(
    config: &NodeConfig,
    key: &yrd_node::keys::LedgerKey,
    members: BTreeSet<[u8; 32]>,
    network_keys: std::collections::BTreeMap<[u8; 32], [u8; 32]>,
) -> anyhow::Result<(
    network::NetworkHandle,
    mpsc::Receiver<NetworkEvent>,
    network::ListenInfo,
)> {
    let listen = config
        .p2p
        .listen_address
        .parse()
        .with_context(|| format!("p2p listen address {:?}", config.p2p.listen_address))?;
    let mut network_config = NetworkConfig::new(key.network_secret(), listen);
    network_config.bootstrap = config.p2p.bootstrap.clone();
    config.p2p.limits.apply(&mut network_config);
    network_config.network_keys = network_keys;
    network_config.members = members;
    if key.network_public_key() != key.public_key() {
        network_config.member_key = Some(key.public_key());
    }
    network::start(network_config)
        .await
        .context("starting the network")
}

/// Reads the network's events while the node state-syncs: keeps the connected peers for the
/// sync, and passes connection events on to the host that starts afterwards. Until `syncing`
/// turns false everything else is dropped (a syncing node has no state to judge transactions
/// or consensus messages by, and serves no requests); after, everything is passed on.
fn forward_events(
    mut events: mpsc::Receiver<NetworkEvent>,
    peers: ConnectedPeers,
) -> (mpsc::Receiver<NetworkEvent>, Arc<AtomicBool>) {
    let (forward, host_events) = mpsc::channel(FORWARDED_EVENTS);
    let syncing = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&syncing);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let keep = match &event {
                NetworkEvent::PeerConnected { key, .. } => {
                    peers
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(*key);
                    true
                }
                NetworkEvent::PeerDisconnected { key } => {
                    peers
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .remove(key);
                    true
                }
                _ => !flag.load(Ordering::Acquire),
            };
            if keep && forward.send(event).await.is_err() {
                return;
            }
        }
    });
    (host_events, syncing)
}

/// Network events buffered for the host while it starts.
const FORWARDED_EVENTS: usize = 1_024;

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received"),
                    _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C received"),
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
