//! `yrd bench statesync`: a new node restoring a certified snapshot from one peer, then from two
//! at once (the parallel ranges of `host::state_sync::ranges`), over real libp2p connections on
//! 127.0.0.1 in this process. The snapshot is a state tree of `--leaves` leaves written straight
//! into a RocksDB store (no execution), certified by the bench chain's validators; the second
//! server is a checkpoint of the first. Reported: leaves and bytes restored per second each way,
//! and the speed-up of two peers over one, beside the machine's blake3 reference (every leaf is
//! hashed into the rebuilt tree) and the disk's sequential synced write rate, measured in the
//! same run in the same folder (the ceiling of a restore that writes every leaf once).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use serde_json::json;
use tokio::sync::mpsc;
use yrd_contracts::tree::StateTree;
use yrd_node::host::state_sync::client::{CHUNK_REQUEST_BYTES, ConnectedPeers, state_sync};
use yrd_node::host::state_sync::serve::answer;
use yrd_node::host::state_sync::wire::SnapshotRequest;
use yrd_node::network::{
    self, BootstrapPeer, Multiaddr, NetworkConfig, NetworkEvent, NetworkHandle,
    public_key_from_secret,
};
use yrd_node::storage::{Store, StoreConfig};
use yrd_testkit::{Certifier, store_certified_blocks};
use yrd_verifier::chain_spec::ChainSpec;

use crate::Common;
use crate::chain::{genesis, validator_seeds};
use crate::report::{Report, Target};

/// `yrd bench statesync` arguments.
#[derive(Debug, clap::Args)]
pub struct StateSyncArgs {
    /// Leaves in the snapshot.
    #[arg(long, default_value_t = 300_000)]
    pub leaves: u64,
    /// Bytes of each leaf's value.
    #[arg(long, default_value_t = 100)]
    pub value_bytes: usize,
}

fn secret(i: u8) -> [u8; 32] {
    [0xd0 + i; 32]
}

/// Run the scenario.
pub fn run(args: &StateSyncArgs, common: &Common) -> anyhow::Result<Report> {
    let (leaves, value_bytes) = if common.smoke {
        (3_000, 64)
    } else {
        (args.leaves.max(1), args.value_bytes.max(1))
    };
    let spec = ChainSpec::from_genesis(genesis())?;
    eprintln!("building a certified snapshot of {leaves} leaves ...");
    let built = Instant::now();
    let source_dir = common.work_dir.join("server-0");
    let (version, root) = build_snapshot(&source_dir, &spec, leaves, value_bytes)?;
    let copy_dir = common.work_dir.join("server-1");
    Store::open(&source_dir, StoreConfig::default())?.checkpoint(&copy_dir)?;
    let build_secs = built.elapsed().as_secs_f64();
    let probe_bytes = if common.smoke {
        16 << 20
    } else {
        DISK_PROBE_BYTES
    };
    let disk_mb_s = disk_write_mb_per_s(&common.work_dir, probe_bytes)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (one, two) = runtime.block_on(async {
        let servers = [
            Store::open(&source_dir, StoreConfig::default())?,
            Store::open(&copy_dir, StoreConfig::default())?,
        ];
        let addresses = [free_address()?, free_address()?];
        let mut handles = Vec::new();
        for (i, store) in servers.into_iter().enumerate() {
            let (handle, events) = start(i as u8, addresses[i].clone(), &[]).await?;
            serve(events, store, spec.clone());
            handles.push(handle);
        }
        let (client, events) = start(
            2,
            free_address()?,
            &[(0, addresses[0].clone()), (1, addresses[1].clone())],
        )
        .await?;
        let connected = track(events);
        tokio::time::timeout(Duration::from_secs(30), async {
            while connected.lock().map(|set| set.len()).unwrap_or(0) < 2 {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .context("the servers did not connect")?;
        let keys: Vec<[u8; 32]> = (0..2)
            .map(|i| public_key_from_secret(&secret(i)))
            .collect::<Result<_, _>>()?;
        let mut runs = Vec::new();
        for (run, peers) in [vec![keys[0]], keys.clone()].into_iter().enumerate() {
            let target = Store::open(
                common.work_dir.join(format!("client-{run}")),
                StoreConfig::default(),
            )?;
            let asked: ConnectedPeers = Arc::new(Mutex::new(peers.into_iter().collect()));
            eprintln!("restoring from {} peer(s) ...", run + 1);
            let started = Instant::now();
            let report = state_sync(&target, &spec, &client, &asked, CHUNK_REQUEST_BYTES)
                .await
                .context("state sync")?;
            let secs = started.elapsed().as_secs_f64();
            anyhow::ensure!(
                report.version == version
                    && target.committed_head()?.map(|head| head.state_root) == Some(root),
                "the restored state is not the certified one"
            );
            runs.push((report.leaves, report.bytes, secs));
        }
        for handle in handles {
            handle.shutdown().await;
        }
        client.shutdown().await;
        anyhow::Ok((runs[0], runs[1]))
    })?;

    let rate = |(leaves, _, secs): (u64, u64, f64)| leaves as f64 / secs.max(1e-9);
    let mbps = |(_, bytes, secs): (u64, u64, f64)| bytes as f64 / 1e6 / secs.max(1e-9);
    let mut report = Report::new(
        "statesync",
        common.smoke,
        common.machine,
        json!({ "leaves": leaves, "value_bytes": value_bytes, "chunk_bytes": CHUNK_REQUEST_BYTES }),
    );
    report.figure("restore from one peer", rate(one), "leaves/s");
    report.figure("restore from two peers at once", rate(two), "leaves/s");
    report.figure("restore from one peer, bytes", mbps(one), "MB/s");
    report.figure("restore from two peers, bytes", mbps(two), "MB/s");
    let speedup = rate(two) / rate(one).max(1e-9);
    report.figure("two peers over one", speedup, "ratio");
    // Fetching from two peers must pay for itself even when servers and client share the
    // machine's cores (on separate machines the gain is larger).
    report
        .targets
        .push(Target::at_least("two peers over one", speedup, 1.2));
    report.figure("seconds to a restored store, two peers", two.2, "s");
    report.figure("disk: sequential synced write", disk_mb_s, "MB/s");
    report.figure(
        "restore from two peers, bytes ÷ disk sequential write",
        mbps(two) / disk_mb_s.max(1e-9),
        "ratio",
    );
    report.figure(
        "restore from two peers ÷ blake3 1 KiB hashes on one core",
        rate(two) / common.machine.blake3_1kib_per_s_one_core.max(1e-9),
        "ratio",
    );
    report.detail = json!({
        "one_peer": { "leaves": one.0, "bytes": one.1, "secs": one.2 },
        "two_peers": { "leaves": two.0, "bytes": two.1, "secs": two.2 },
        "build_secs": build_secs,
    });
    report.notes.push(
        "servers and the restoring node share this machine's cores; every restored leaf is \
         checked against the certified root as it arrives and written with a synced progress \
         record per chunk"
            .to_owned(),
    );
    Ok(report)
}

/// Most leaves written in one tree version while building the snapshot (under the state tree's
/// write-set limit).
const LEAVES_PER_VERSION: u64 = 500_000;

/// A store holding `leaves` leaves at its last version, the block at that height and a later
/// one attesting its root, certified by the bench validators. Returns the version and root.
fn build_snapshot(
    dir: &std::path::Path,
    spec: &ChainSpec,
    leaves: u64,
    value_bytes: usize,
) -> anyhow::Result<(u64, [u8; 32])> {
    let store = Store::open(dir, StoreConfig::default())?;
    let mut certifier = Certifier::new(&spec.consensus, &validator_seeds());
    // The leaves go in over versions of at most `LEAVES_PER_VERSION` (a block's write set is
    // bounded); the certified block's height is the snapshot's version, and a later block
    // attests its root.
    let versions = leaves.div_ceil(LEAVES_PER_VERSION).max(1);
    let (target, target_certificate) = certifier.certify(versions - 1, [9; 32]);
    let version = target.height;
    anyhow::ensure!(
        version == versions,
        "the certified block is at {version}, not {versions}"
    );
    let mut tree = StateTree::new(store.tree_store());
    // Version 0 is the genesis's; the leaves go in over versions 1..=version.
    tree.apply(
        0,
        vec![(b"bench/statesync/genesis".to_vec(), Some(vec![0]))],
    )
    .map_err(|e| anyhow::anyhow!("writing the tree: {e}"))?;
    let per_version = leaves.div_ceil(version);
    let mut root = [0; 32];
    for v in 1..=version {
        let from = (v - 1) * per_version;
        let to = (v * per_version).min(leaves);
        let writes = (from..to)
            .map(|i| {
                let mut value = vec![0u8; value_bytes];
                let n = 8.min(value_bytes);
                value[..n].copy_from_slice(&i.to_le_bytes()[..n]);
                (format!("bench/statesync/{i}").into_bytes(), Some(value))
            })
            .collect();
        root = tree
            .apply(v, writes)
            .map_err(|e| anyhow::anyhow!("writing the tree: {e}"))?
            .0;
        // Staged versions are bounded; write each out as a node commits each block.
        store.commit_staged_tree()?;
    }
    let (anchor, anchor_certificate) = certifier.certify(version, root);
    store_certified_blocks(
        &store,
        &[(target, target_certificate), (anchor, anchor_certificate)],
    )?;
    Ok((version, root))
}

/// Bytes written for the disk reference: enough to pass the page cache's write-back batching.
const DISK_PROBE_BYTES: usize = 256 << 20;

/// The disk's sequential write rate in `dir`, MB/s: `bytes` in 1 MiB writes, then one `fsync`
/// (the file is removed afterwards).
fn disk_write_mb_per_s(dir: &std::path::Path, bytes: usize) -> anyhow::Result<f64> {
    use std::io::Write as _;
    let path = dir.join("disk-probe");
    let chunk = vec![0x5a_u8; 1 << 20];
    let started = Instant::now();
    let mut file = std::fs::File::create(&path).context("creating the disk probe")?;
    for _ in 0..bytes / chunk.len() {
        file.write_all(&chunk).context("writing the disk probe")?;
    }
    file.sync_all().context("syncing the disk probe")?;
    let secs = started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path).context("removing the disk probe")?;
    Ok(bytes as f64 / 1e6 / secs.max(1e-9))
}

fn free_address() -> anyhow::Result<Multiaddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    Ok(format!("/ip4/127.0.0.1/tcp/{port}").parse()?)
}

async fn start(
    i: u8,
    listen: Multiaddr,
    bootstrap: &[(u8, Multiaddr)],
) -> anyhow::Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>)> {
    let mut config = NetworkConfig::new(secret(i), listen);
    config.members = (0..3)
        .map(|i| public_key_from_secret(&secret(i)))
        .collect::<Result<_, _>>()?;
    config.bootstrap = bootstrap
        .iter()
        .map(|(peer, address)| {
            Ok(BootstrapPeer {
                public_key: public_key_from_secret(&secret(*peer))?,
                address: address.clone(),
            })
        })
        .collect::<anyhow::Result<_>>()?;
    config.reconnect_backoff_min_ms = 50;
    config.reconnect_backoff_max_ms = 400;
    config.request_timeout_ms = 30_000;
    let (handle, events, _) = network::start(config).await?;
    Ok((handle, events))
}

/// Answers state-sync requests from `store`, off the async threads.
fn serve(mut events: mpsc::Receiver<NetworkEvent>, store: Store, spec: ChainSpec) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let NetworkEvent::Request { bytes, respond, .. } = event else {
                continue;
            };
            let Some(Ok(request)) = SnapshotRequest::decode(&bytes) else {
                continue;
            };
            let (store, spec) = (store.clone(), spec.clone());
            tokio::task::spawn_blocking(move || {
                let _ = respond.send(answer(&store, &spec, &request).encode());
            });
        }
    });
}

/// The peers connected to the client, from its network events.
fn track(mut events: mpsc::Receiver<NetworkEvent>) -> ConnectedPeers {
    let peers: ConnectedPeers = Arc::default();
    let tracked = Arc::clone(&peers);
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let Ok(mut set) = tracked.lock() else {
                return;
            };
            match event {
                NetworkEvent::PeerConnected { key, .. } => {
                    set.insert(key);
                }
                NetworkEvent::PeerDisconnected { key } => {
                    set.remove(&key);
                }
                _ => {}
            }
        }
    });
    peers
}
