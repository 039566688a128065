//! `yrd node --config node.toml`: run one node until SIGTERM or Ctrl-C.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use yrd_consensus::{Core, Ed25519Signer};
use yrd_node::config::NodeConfig;
use yrd_node::host::shared::Shared;
use yrd_node::host::{Host, restart};
use yrd_node::mempool::Mempool;
use yrd_node::network::{self, NetworkConfig};
use yrd_node::rpc::views::HeadInfo;
use yrd_node::storage::{Store, StoreConfig};
use yrd_verifier::chain_spec::ChainSpec;

/// Run a node.
pub fn run(config_path: &Path) -> anyhow::Result<ExitCode> {
    let config = NodeConfig::load(config_path)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("yrd")
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_async(config))?;
    Ok(ExitCode::SUCCESS)
}

async fn run_async(config: NodeConfig) -> anyhow::Result<()> {
    let chain = ChainSpec::load(&config.genesis_file)?;
    let key = yrd_node::keys::read_key_file(&config.key_file)?;
    let public_key = key.verifying_key().to_bytes();
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
        ..StoreConfig::default()
    };
    let store = Store::open(&config.data_dir, store_config)
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let state = restart::open_state(&store, &chain)?;
    let start = restart::start_state(&store, &chain, &state)?;
    let head = match store.committed_head()? {
        Some(h) => HeadInfo {
            height: h.height,
            block_id: h.block_hash,
            parent_id: start.committed_tip.parent_id.0,
            state_root: h.state_root,
            block_time_ms: start.committed_tip.timestamp_ms,
            epoch: start.committed_tip.epoch,
            round: start.committed_tip.round,
            tx_count: 0,
        },
        None => HeadInfo {
            height: 0,
            block_id: chain.consensus.header().id().0,
            state_root: chain.consensus.state_root,
            block_time_ms: chain.genesis.genesis_time_ms,
            ..HeadInfo::default()
        },
    };
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

    let listen = config
        .p2p
        .listen_address
        .parse()
        .with_context(|| format!("p2p listen address {:?}", config.p2p.listen_address))?;
    let mut network_config = NetworkConfig::new(key.to_bytes(), listen);
    network_config.bootstrap = config.p2p.bootstrap.clone();
    config.p2p.limits.apply(&mut network_config);
    // Membership is the validator set of the committed tip's epoch (rebuilt from the stored
    // epoch changes), not the genesis file's, the validators the committed state lists (an
    // added one catches up before its epoch) and the registered observers: a restarted node
    // admits added members and refuses removed ones. The host keeps it current after every
    // commit.
    let observers = yrd_contracts::query::observer_keys(&state.snapshot())
        .context("reading the registered observers")?;
    let listed_validators = yrd_contracts::query::next_validator_keys(&state.snapshot())
        .context("reading the validator list")?;
    network_config.members = start
        .validator_set
        .validators
        .iter()
        .map(|validator| validator.public_key.0)
        .chain(listed_validators)
        .chain(observers)
        .collect();
    let (network, events, listen_info) = network::start(network_config)
        .await
        .context("starting the network")?;
    tracing::info!(addresses = ?listen_info, "p2p listening");

    let shared = Arc::new(Shared::new(
        chain.clone(),
        store,
        Mempool::new(config.mempool),
        head,
    ));
    let backend = Arc::new(yrd_node::host::rpc_backend::NodeBackend::new(
        Arc::clone(&shared),
        network.clone(),
    ));
    let rpc = yrd_node::rpc::start(config.rpc.clone(), backend)
        .await
        .context("starting JSON-RPC")?;

    let core = Core::new(
        config.consensus.core_config(),
        Box::new(Ed25519Signer::from_secret_bytes(&key.to_bytes())),
    );
    let host = Host::new(
        core,
        state,
        Arc::clone(&shared),
        network.clone(),
        config.consensus.host_config(),
    );
    let result = host.run(start, events, shutdown_signal()).await;
    rpc.stop().await;
    network.shutdown().await;
    shared.store.flush().ok();
    result.context("node stopped with an error")?;
    tracing::info!("stopped cleanly");
    Ok(())
}

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
