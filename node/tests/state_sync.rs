//! State sync over real sockets, in one process: a syncing node fetches a certified snapshot from
//! two peers, one of which corrupts every chunk it serves. The corrupt chunks are refused, that
//! peer is dropped from the sync and reported, and the restore completes from the honest peer
//! with the certified root. A peer offering a manifest whose certificates do not verify is never
//! used.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use yrd_contracts::tree::StateTree;
use yrd_contracts::types::ProvinceCode;
use yrd_contracts::{ChainId, Genesis, GenesisAuthority, Parameters};
use yrd_node::host::state_sync::client::{ConnectedPeers, StateSyncReport, state_sync};
use yrd_node::host::state_sync::ranges::RANGE_BUFFER_CHUNKS;
use yrd_node::host::state_sync::serve::answer;
use yrd_node::host::state_sync::wire::{SnapshotRequest, SnapshotResponse};
use yrd_node::network::{
    self, BootstrapPeer, Multiaddr, NetworkConfig, NetworkEvent, NetworkHandle,
    public_key_from_secret,
};
use yrd_node::storage::{RangeChunk, Store, StoreConfig};
use yrd_testkit::{Certifier, store_certified_blocks};
use yrd_verifier::chain_spec::ChainSpec;

/// Small chunks, so the restore takes dozens of them and every peer is asked.
const CHUNK_BYTES: u32 = 8 * 1024;

/// The snapshot version the servers hold.
const VERSION: u64 = 3;

fn seed(i: u8) -> [u8; 32] {
    [20 + i; 32]
}

fn chain() -> ChainSpec {
    let provinces = [
        ProvinceCode::SHANGHAI,
        ProvinceCode::JIANGSU,
        ProvinceCode::ZHEJIANG,
        ProvinceCode::ANHUI,
    ];
    let key = |s: [u8; 32]| {
        ed25519_dalek::SigningKey::from_bytes(&s)
            .verifying_key()
            .to_bytes()
    };
    ChainSpec::from_genesis(Genesis {
        chain_id: ChainId("yrd-state-sync-test".into()),
        genesis_time_ms: 1_750_000_000_000,
        authorities: provinces
            .iter()
            .zip(0u8..)
            .map(|(province, i)| GenesisAuthority {
                province: *province,
                authority_key: key([10 + i; 32]),
                validator_keys: vec![key(seed(i))],
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::default(),
        network_keys: Vec::new(),
    })
    .unwrap()
}

/// A store holding state versions 0..=VERSION (the last with 3,000 keys), the certified block at
/// VERSION and a later block attesting its root as the committed head. Returns the root.
fn serving_store(dir: &std::path::Path, spec: &ChainSpec) -> [u8; 32] {
    let store = Store::open(dir, StoreConfig::default()).unwrap();
    let mut tree = StateTree::new(store.tree_store());
    let mut root = [0; 32];
    for version in 0..=VERSION {
        let writes = (0..1_000u32)
            .map(|i| {
                (
                    format!("key/{version}/{i}").into_bytes(),
                    Some(vec![version as u8; 40]),
                )
            })
            .collect();
        root = tree.apply(version, writes).unwrap().0;
    }
    store.commit_staged_tree().unwrap();
    let seeds: Vec<[u8; 32]> = (0..4).map(seed).collect();
    let mut certifier = Certifier::new(&spec.consensus, &seeds);
    // The block at VERSION (its own attestation is of an earlier version), then a later block
    // attesting {VERSION, root}.
    let (target, target_certificate) = certifier.certify(VERSION - 1, [9; 32]);
    assert_eq!(target.height, VERSION);
    let (anchor, anchor_certificate) = certifier.certify(VERSION, root);
    store_certified_blocks(
        &store,
        &[(target, target_certificate), (anchor, anchor_certificate)],
    )
    .unwrap();
    root
}

fn secret(i: u8) -> [u8; 32] {
    [0xc0 + i; 32]
}

fn member(i: u8) -> [u8; 32] {
    public_key_from_secret(&secret(i)).unwrap()
}

fn free_address() -> Multiaddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
}

async fn start(
    i: u8,
    listen: Multiaddr,
    bootstrap: &[(u8, Multiaddr)],
) -> (NetworkHandle, mpsc::Receiver<NetworkEvent>) {
    let mut config = NetworkConfig::new(secret(i), listen);
    config.members = (0..3).map(member).collect();
    config.bootstrap = bootstrap
        .iter()
        .map(|(peer, address)| BootstrapPeer {
            public_key: member(*peer),
            address: address.clone(),
        })
        .collect();
    config.reconnect_backoff_min_ms = 50;
    config.reconnect_backoff_max_ms = 400;
    config.request_timeout_ms = 5_000;
    let (handle, events, _) = network::start(config).await.unwrap();
    (handle, events)
}

/// How a serving peer behaves.
#[derive(Clone, Copy, PartialEq)]
enum Serving {
    Honest,
    /// Flips a byte of one value in every chunk.
    CorruptChunks,
    /// Answers manifests with a certificate from validators that are not the chain's.
    ForgedManifest,
}

fn serve(
    mut events: mpsc::Receiver<NetworkEvent>,
    store: Store,
    spec: ChainSpec,
    behaviour: Serving,
    served_chunks: Arc<Mutex<u64>>,
) {
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            let NetworkEvent::Request { bytes, respond, .. } = event else {
                continue;
            };
            let Some(Ok(request)) = SnapshotRequest::decode(&bytes) else {
                continue;
            };
            let mut answer = answer(&store, &spec, &request);
            match (&mut answer, behaviour) {
                (SnapshotResponse::Chunk(chunk), Serving::CorruptChunks)
                | (
                    SnapshotResponse::Range(RangeChunk {
                        chunk: Some(chunk), ..
                    }),
                    Serving::CorruptChunks,
                ) => {
                    chunk.leaves[0].1[0] ^= 1;
                }
                (SnapshotResponse::Manifest(manifest), Serving::ForgedManifest) => {
                    let rogue: Vec<[u8; 32]> = (0..4).map(|i| [60 + i; 32]).collect();
                    let mut forger = Certifier::new(&spec.consensus, &rogue);
                    let (_, certificate) = forger.certify(VERSION, [1; 32]);
                    manifest.anchor = certificate;
                }
                _ => {}
            }
            if matches!(
                answer,
                SnapshotResponse::Chunk(_)
                    | SnapshotResponse::Range(RangeChunk { chunk: Some(_), .. })
            ) {
                *served_chunks.lock().unwrap() += 1;
            }
            let _ = respond.send(answer.encode());
        }
    });
}

/// What a sync from two servers left: the report, chunks each server served, the restored
/// store, the certified root, and what must stay alive until the caller is done.
struct TwoServerSync {
    report: StateSyncReport,
    served: [u64; 2],
    target: Store,
    root: [u8; 32],
    spec: ChainSpec,
    client: NetworkHandle,
    peers: ConnectedPeers,
    _keep: (Vec<tempfile::TempDir>, NetworkHandle, NetworkHandle),
}

/// Two servers behaving as `behaviours` (server 0 and 1) and a client syncing from both.
async fn two_server_sync(behaviours: [Serving; 2]) -> TwoServerSync {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let spec = chain();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let root = serving_store(dirs[0].path(), &spec);
    assert_eq!(serving_store(dirs[1].path(), &spec), root);

    let addresses: Vec<Multiaddr> = (0..2).map(|_| free_address()).collect();
    let (server_0, events_0) = start(0, addresses[0].clone(), &[]).await;
    let (server_1, events_1) = start(1, addresses[1].clone(), &[]).await;
    let counts = [Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0))];
    let open = |i: usize| Store::open(dirs[i].path(), StoreConfig::default()).unwrap();
    serve(
        events_0,
        open(0),
        spec.clone(),
        behaviours[0],
        Arc::clone(&counts[0]),
    );
    serve(
        events_1,
        open(1),
        spec.clone(),
        behaviours[1],
        Arc::clone(&counts[1]),
    );

    let (client, mut client_events) = start(
        2,
        free_address(),
        &[(0, addresses[0].clone()), (1, addresses[1].clone())],
    )
    .await;
    let peers: ConnectedPeers = Arc::default();
    let tracked = Arc::clone(&peers);
    tokio::spawn(async move {
        while let Some(event) = client_events.recv().await {
            match event {
                NetworkEvent::PeerConnected { key, .. } => {
                    tracked.lock().unwrap().insert(key);
                }
                NetworkEvent::PeerDisconnected { key } => {
                    tracked.lock().unwrap().remove(&key);
                }
                _ => {}
            }
        }
    });
    // Both servers connected before the sync starts, so both are asked.
    tokio::time::timeout(Duration::from_secs(20), async {
        while peers.lock().unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("peers connect");

    let target = open(2);
    let report = tokio::time::timeout(
        Duration::from_secs(60),
        state_sync(&target, &spec, &client, &peers, CHUNK_BYTES),
    )
    .await
    .expect("state sync finishes")
    .expect("state sync succeeds");
    let served = [*counts[0].lock().unwrap(), *counts[1].lock().unwrap()];
    TwoServerSync {
        report,
        served,
        target,
        root,
        spec,
        client,
        peers,
        _keep: (dirs, server_0, server_1),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_honest_peers_serve_ranges_in_parallel_and_the_root_is_restored() {
    let sync = two_server_sync([Serving::Honest, Serving::Honest]).await;
    assert_eq!(sync.report.version, VERSION);
    assert_eq!(sync.report.chunks_refused, 0);
    // Both were asked: the key space was split between them.
    assert!(
        sync.served[0] >= 1 && sync.served[1] >= 1,
        "not fetched from both: {:?}",
        sync.served
    );
    let head = sync.target.committed_head().unwrap().unwrap();
    assert_eq!((head.height, head.state_root), (VERSION, sync.root));
    let tree = StateTree::new(sync.target.tree_store());
    assert_eq!(tree.root_at(VERSION).unwrap().0, sync.root);
    // The amnesia guard: the synced node starts with a safety floor above every round the
    // chain had certified (the manifest's anchor), so a wiped validator cannot vote again in a
    // round it may have voted in before.
    // The restored head's block is certified in an earlier round than the anchor that attests
    // its root, whose round plus the margin is the floor.
    let target_round = sync
        .target
        .get::<yrd_node::storage::tables::Blocks>(&VERSION)
        .unwrap()
        .unwrap()
        .header
        .round;
    let margin = yrd_node::host::state_sync::client::VOTE_MARGIN_ROUNDS;
    let safety = sync.target.safety_data().unwrap().unwrap();
    assert!(
        safety.last_voted_round > target_round + margin
            && safety.last_voted_round <= target_round + margin + 8,
        "floor {} for a head certified in round {target_round}",
        safety.last_voted_round
    );
    assert_eq!(safety.highest_timeout_round, safety.last_voted_round);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_peer_is_dropped_and_the_snapshot_completes_from_the_honest_one() {
    let sync = two_server_sync([Serving::Honest, Serving::CorruptChunks]).await;
    let TwoServerSync {
        report,
        target,
        root,
        spec,
        client,
        peers,
        ..
    } = &sync;
    let (honest_chunks, corrupt_chunks) = (sync.served[0], sync.served[1]);
    assert_eq!(report.version, VERSION);
    assert!(
        report.chunks_refused >= 1 && corrupt_chunks >= 1,
        "the corrupt peer was never asked: {report:?}"
    );
    assert!(honest_chunks >= 1);
    // Fetched in parallel, the corrupt peer's range task may have served the chunks it holds
    // ahead of the restore, and one more in flight, before the first was refused; if that first
    // one opened its range, nobody could be blamed and one chunk at a time it is asked once
    // more, refused and dropped. Never more.
    assert!(
        corrupt_chunks <= RANGE_BUFFER_CHUNKS as u64 + 3,
        "the corrupt peer kept being asked after its bad chunks: {corrupt_chunks}"
    );
    // The corrupt peer is banned (a false chunk proves it faulty), and only it: the honest one,
    // whose range end a boundary failure also put in doubt, stays connected.
    assert!(
        client.metrics().bans >= 1,
        "the corrupt peer was not banned"
    );
    tokio::time::timeout(Duration::from_secs(10), async {
        while peers.lock().unwrap().len() != 1 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("exactly one peer (the honest one) stays connected");
    let head = target.committed_head().unwrap().unwrap();
    assert_eq!((head.height, head.state_root), (VERSION, *root));
    let tree = StateTree::new(target.tree_store());
    assert_eq!(tree.root_at(VERSION).unwrap().0, *root);
    assert_eq!(
        tree.get(b"key/2/999", VERSION).unwrap(),
        Some(vec![2u8; 40])
    );
    // A second sync into the now non-empty store is refused.
    assert!(
        state_sync(target, spec, client, peers, CHUNK_BYTES)
            .await
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_manifest_is_refused_and_never_restored() {
    let spec = chain();
    let dirs: Vec<tempfile::TempDir> = (0..2).map(|_| tempfile::tempdir().unwrap()).collect();
    serving_store(dirs[0].path(), &spec);
    let address = free_address();
    let (_forger, forger_events) = start(0, address.clone(), &[]).await;
    let store = Store::open(dirs[0].path(), StoreConfig::default()).unwrap();
    serve(
        forger_events,
        store,
        spec.clone(),
        Serving::ForgedManifest,
        Arc::default(),
    );
    let (client, mut client_events) = start(2, free_address(), &[(0, address)]).await;
    let peers: ConnectedPeers = Arc::default();
    let tracked = Arc::clone(&peers);
    tokio::spawn(async move {
        while let Some(event) = client_events.recv().await {
            if let NetworkEvent::PeerConnected { key, .. } = event {
                tracked.lock().unwrap().insert(key);
            }
        }
    });
    let target = Store::open(dirs[1].path(), StoreConfig::default()).unwrap();
    // The only peer lies: the sync keeps looking (it never restores unproven state).
    let outcome = tokio::time::timeout(
        Duration::from_secs(3),
        state_sync(&target, &spec, &client, &peers, CHUNK_BYTES),
    )
    .await;
    assert!(outcome.is_err(), "the sync finished from a forged manifest");
    assert_eq!(target.restore_progress().unwrap(), None);
    assert_eq!(target.committed_head().unwrap(), None);
}

#[test]
fn hostile_snapshot_requests_get_bounded_answers_or_unavailable() {
    let spec = chain();
    let dir = tempfile::tempdir().unwrap();
    serving_store(dir.path(), &spec);
    let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
    let chunk = |version, start, max_bytes| {
        answer(
            &store,
            &spec,
            &SnapshotRequest::Chunk {
                version,
                start,
                max_bytes,
            },
        )
    };
    // The server's caps, not the request's, bound the answer; a zero budget still gets a leaf.
    let SnapshotResponse::Chunk(small) = chunk(VERSION, [0; 32], 1_000) else {
        panic!("no chunk");
    };
    assert!(!small.leaves.is_empty() && small.payload_bytes() <= 1_000 + 72);
    let SnapshotResponse::Chunk(whole) = chunk(VERSION, [0; 32], u32::MAX) else {
        panic!("no chunk");
    };
    assert!(whole.leaves.len() <= yrd_node::host::state_sync::serve::SERVED_CHUNK_LEAVES);
    assert!(whole.payload_bytes() <= yrd_node::storage::MAX_CHUNK_BYTES);
    let SnapshotResponse::Chunk(one) = chunk(VERSION, [0; 32], 0) else {
        panic!("no chunk");
    };
    assert_eq!(one.leaves.len(), 1);
    // Ranges: capped alike; an end at or before the start, or a range past the last leaf, is an
    // empty range that ended, not an error or a leaf outside it.
    let range = |start, end, max_bytes| {
        answer(
            &store,
            &spec,
            &SnapshotRequest::ChunkRange {
                version: VERSION,
                start,
                end,
                max_bytes,
            },
        )
    };
    let SnapshotResponse::Range(capped) = range([0; 32], None, u32::MAX) else {
        panic!("no range answer");
    };
    let capped = capped.chunk.unwrap();
    assert!(capped.payload_bytes() <= yrd_node::storage::MAX_CHUNK_BYTES);
    assert!(capped.leaves.len() <= yrd_node::host::state_sync::serve::SERVED_CHUNK_LEAVES);
    for empty in [
        range([0x80; 32], Some([0x10; 32]), 1_000),
        range([0x80; 32], Some([0x80; 32]), 1_000),
        range([u8::MAX; 32], None, 1_000),
    ] {
        assert_eq!(
            empty,
            SnapshotResponse::Range(RangeChunk {
                chunk: None,
                range_done: true
            })
        );
    }
    assert!(matches!(
        answer(
            &store,
            &spec,
            &SnapshotRequest::ChunkRange {
                version: VERSION + 100,
                start: [0; 32],
                end: None,
                max_bytes: 1_000,
            },
        ),
        SnapshotResponse::Unavailable(_)
    ));
    // Versions never committed, past the end of the tree, or with no attesting block are
    // refused with a reason, not served or panicked on.
    for refused in [
        chunk(VERSION + 100, [0; 32], 1_000),
        chunk(u64::MAX, [0; 32], 1_000),
        chunk(VERSION, [u8::MAX; 32], 1_000),
        answer(
            &store,
            &spec,
            &SnapshotRequest::Manifest { version: Some(0) },
        ),
        answer(
            &store,
            &spec,
            &SnapshotRequest::Manifest {
                version: Some(u64::MAX),
            },
        ),
    ] {
        assert!(
            matches!(refused, SnapshotResponse::Unavailable(_)),
            "{refused:?}"
        );
    }
}
