//! State sync: an observer registered by Zhejiang joins a running chain from a certified snapshot
//! (`yrd node --state-sync`), without replaying the blocks before it, then follows, serves proven
//! reads that check against the genesis file, and restarts like any node.

use std::time::{Duration, Instant};

use serde_json::json;
use yrd_testkit::ConfigTweaks;

use crate::harness::{Cluster, NAMES, RpcExt, Signer, chain, serial, timestamp_payload};

const WAIT: Duration = Duration::from_secs(60);

#[test]
fn an_observer_joins_by_state_sync_serves_proven_reads_and_restarts() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let (observer, observer_hex) = registered_observer(&mut cluster);
    let zhejiang = cluster.authority_key_file("zhejiang");
    // A little history the observer will not replay: DIDs created before it joins.
    let mut dids = Vec::new();
    for i in 0..3u8 {
        let created = cluster.tx(
            2,
            &zhejiang,
            &[
                "did-create",
                "--subject",
                "issuer",
                "--controller-key",
                &hex::encode(
                    ed25519_dalek::SigningKey::from_bytes(&[i + 1; 32])
                        .verifying_key()
                        .to_bytes(),
                ),
            ],
        );
        dids.push(created["did"].as_str().expect("did").to_owned());
    }
    let before = cluster.height(1);

    // `--reset` without `--state-sync` is refused before anything is touched.
    let refused = cluster.yrd(&[
        "node",
        "--config",
        cluster.nodes[observer].config.to_str().expect("utf-8 path"),
        "--reset",
    ]);
    assert!(!refused.status.success());

    cluster.start_with(observer, &["--state-sync"]);
    cluster.wait_serving(observer);
    let log = cluster.log_tail(observer, 400);
    assert!(log.contains("state sync finished"), "{log}");
    let target = follows_with_the_same_state(&cluster, observer);
    assert!(before >= 2);
    // It started from the snapshot, and its proven reads check against the genesis file alone.
    let proven = cluster.assert_state_synced_and_proving(observer, "0007");
    assert!(proven.contains(&observer_hex));
    let spec =
        yrd_verifier::chain_spec::ChainSpec::load(&cluster.path("genesis.json")).expect("genesis");
    for did in &dids {
        let resolved = cluster
            .rpc(observer)
            .ok("did_resolve", json!({"did": did, "proof": true}));
        let resolved: yrd_verifier::ProvenAnswer =
            serde_json::from_value(resolved).expect("envelope");
        yrd_verifier::verify_answer(&spec, &resolved).expect("the DID answer verifies");
        assert!(resolved.value.to_string().contains(did.as_str()));
    }
    // It never votes.
    let block = cluster.rpc(1).ok("chain_getBlock", json!([target]));
    assert!(!block.to_string().contains(&observer_hex), "{block}");

    // Restarted (with the flag still given, as a service unit would): it continues from its own
    // data directory instead of syncing again, and keeps following.
    assert!(cluster.terminate(observer));
    cluster.start_with(observer, &["--state-sync"]);
    cluster.wait_serving(observer);
    let after = cluster.height(1) + 3;
    cluster.wait_height(observer, after, WAIT);
    let log = cluster.log_tail(observer, 200);
    assert!(log.contains("continuing from it"), "{log}");
}

/// Adds a fifth node (not started) and has Zhejiang's authority register it as an observer;
/// returns its index and its key, hex.
fn registered_observer(cluster: &mut Cluster) -> (usize, String) {
    let observer = cluster.add_outsider();
    let observer_hex = hex::encode(
        yrd_node::keys::read_key_file(&cluster.path("outsider/node-key.json"))
            .expect("observer key")
            .verifying_key()
            .to_bytes(),
    );
    let zhejiang = cluster.authority_key_file("zhejiang");
    let registered = cluster.tx(
        2,
        &zhejiang,
        &["register-observer", "--node-key", &observer_hex],
    );
    assert_eq!(registered["receipt"]["code"], 0, "{registered}");
    (observer, observer_hex)
}

/// Waits until `observer` and Jiangsu's validator both reach three blocks past Jiangsu's head,
/// checks they hold the same state root there, and returns that height.
fn follows_with_the_same_state(cluster: &Cluster, observer: usize) -> u64 {
    let target = cluster.height(1) + 3;
    cluster.wait_height(observer, target, WAIT);
    cluster.wait_height(1, target, WAIT);
    assert_eq!(
        cluster.state_root_at(observer, target),
        cluster.state_root_at(1, target)
    );
    target
}

/// Saves `answer` as `name` in the cluster folder and checks it with `yrd verify` against the
/// genesis file alone.
fn assert_yrd_verifies(cluster: &Cluster, answer: &serde_json::Value, name: &str) {
    let saved = cluster.path(name);
    std::fs::write(&saved, answer.to_string()).expect("saving the answer");
    let verified = cluster.yrd(&[
        "verify",
        "--genesis",
        cluster.path("genesis.json").to_str().expect("utf-8 path"),
        "--response",
        saved.to_str().expect("utf-8 path"),
    ]);
    assert!(
        verified.status.success(),
        "yrd verify refused {name}: {}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// Timestamps added before the state-sync drill: a leaf each.
const STATE_LEAVES: u64 = 2_000;

/// Fills the state with `per_signer` timestamping transactions from each province's authority
/// (one leaf each), sent from one thread per authority straight to a node's `tx_submit`; returns
/// when the last of each has committed.
fn fill_state(cluster: &Cluster, per_signer: u64) {
    std::thread::scope(|scope| {
        let senders: Vec<_> = NAMES
            .iter()
            .enumerate()
            .map(|(node, province)| {
                let rpc = cluster.rpc(node);
                let key = cluster.authority_key(province);
                let nonce = rpc
                    .next_nonce(&key.verifying_key().to_bytes())
                    .expect("the authority's nonce");
                scope.spawn(move || {
                    let mut signer = Signer::new(key, nonce);
                    let mut last = String::new();
                    for _ in 0..per_signer {
                        let seed = (node as u64) << 32 | signer.next_nonce;
                        let tx = signer.sign(&chain(), timestamp_payload(seed), 100_000);
                        let deadline = Instant::now() + WAIT;
                        last = loop {
                            match rpc.submit(&tx) {
                                Ok(hash) => break hash,
                                // Already in the pool (an earlier try got through).
                                Err(e) if e.code == -33012 => break hex::encode(tx.hash()),
                                // The signer's pending limit: wait for a block.
                                Err(_) if Instant::now() < deadline => {
                                    std::thread::sleep(Duration::from_millis(50));
                                }
                                Err(e) => panic!("tx_submit at node {node}: {e}"),
                            }
                        };
                    }
                    (node, last)
                })
            })
            .collect();
        for sender in senders {
            let (node, last) = sender.join().expect("sender thread");
            cluster.wait_committed(node, &last, WAIT);
        }
    });
}

/// Waits until the log of node `i`, from byte `from` on, holds `line`; returns that part of the
/// log.
fn wait_log(cluster: &Cluster, i: usize, from: usize, line: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let log = std::fs::read(cluster.nodes[i].log_file()).unwrap_or_default();
        let log = String::from_utf8_lossy(log.get(from..).unwrap_or_default()).into_owned();
        if log.contains(line) {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "node {i} never logged {line:?}:\n{}",
            cluster.log_tail(i, 30)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The length of node `i`'s log so far (restarts append to it).
fn log_len(cluster: &Cluster, i: usize) -> usize {
    std::fs::metadata(cluster.nodes[i].log_file()).map_or(0, |meta| meta.len() as usize)
}

#[test]
fn a_state_sync_killed_mid_restore_resumes_after_restart_and_finishes() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let (observer, observer_hex) = registered_observer(&mut cluster);
    fill_state(&cluster, STATE_LEAVES / NAMES.len() as u64);

    // One leaf per chunk: thousands of requests, so the restore runs for a while.
    ConfigTweaks::new()
        .set("state_sync", "chunk_bytes", 1)
        .apply(&cluster.nodes[observer].config)
        .expect("tweaking the observer's configuration");
    cluster.start_with(observer, &["--state-sync"]);
    // Progress is logged once the first chunk is on disk: `kill -9` then, with more to come.
    wait_log(&cluster, observer, 0, "state sync: progress", WAIT);
    cluster.kill(observer);
    let first = wait_log(&cluster, observer, 0, "state sync: progress", WAIT);
    assert!(
        !first.contains("state sync finished"),
        "the restore finished before it could be interrupted:\n{first}"
    );
    assert!(first.contains("resumed=false"), "{first}");

    // A start without `--state-sync` refuses the half-restored data folder.
    let refused = cluster.yrd(&[
        "node",
        "--config",
        cluster.nodes[observer].config.to_str().expect("utf-8 path"),
    ]);
    assert!(
        !refused.status.success(),
        "a half-restored data folder was opened without --state-sync"
    );

    // Restarted with the same data folder: it resumes the same version after the leaves on
    // disk, finishes, and starts serving.
    let from = log_len(&cluster, observer);
    cluster.start_with(observer, &["--state-sync"]);
    if let Err(e) = cluster.net.wait_serving(observer, WAIT) {
        panic!("{e}");
    }
    let second = wait_log(&cluster, observer, from, "state sync finished", WAIT);
    assert!(second.contains("resumed=true"), "{second}");
    let field = |log: &str, line: &str, name: &str| {
        log.lines()
            .find(|l| l.contains(line))
            .and_then(|l| l.split(&format!(" {name}=")).nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no {name} in {line:?}:\n{log}"))
    };
    assert_eq!(
        field(&first, "snapshot chosen", "version"),
        field(&second, "snapshot chosen", "version"),
        "the restart restored another version"
    );
    // It went on from where the killed run stood, not from the start of the key space.
    let next = field(&second, "resuming after the leaves already on disk", "next");
    assert_ne!(next, "00000000", "{second}");

    // It reaches the chain's head and holds the same state.
    follows_with_the_same_state(&cluster, observer);
    // Its proven read (the observer list) passes `yrd verify` against the genesis file alone.
    let answer = cluster
        .rpc(observer)
        .ok("state_getProof", json!({"key": "0007"}));
    assert!(
        answer["value"].to_string().contains(&observer_hex),
        "{answer}"
    );
    assert_yrd_verifies(&cluster, &answer, "observer-list-answer.json");
}

/// Rewrites, in the stopped node `i`'s database, every timestamp record one of the province
/// authorities made: one bit of its transaction hash flipped. The record still decodes, so the
/// node itself runs on (nothing it executes reads those records again, and the state tree's
/// nodes, which hold the values' hashes, are untouched), but every chunk it serves holding one
/// fails its range proof against the certified root. Returns how many records it changed.
fn corrupt_timestamp_values(cluster: &Cluster, i: usize) -> usize {
    use yrd_contracts::records::TimestampRecord;
    use yrd_node::storage::tables::{TreeLatestValues, TreeValues};
    use yrd_node::storage::{Store, StoreConfig, WriteBatch};

    let authorities: Vec<[u8; 32]> = NAMES
        .iter()
        .map(|name| cluster.authority_key(name).verifying_key().to_bytes())
        .collect();
    let store = Store::open(cluster.net.data_dir(i), StoreConfig::default()).expect("opening");
    let mut batch = WriteBatch::new();
    let mut changed = 0;
    let mut start = [0u8; 32];
    loop {
        let entries = store
            .iter_from::<TreeLatestValues>(&start, 1_024)
            .expect("reading the latest values");
        for (key_hash, (version, value)) in &entries {
            let Some(bytes) = value else { continue };
            let Ok(mut record) =
                yrd_contracts::reader::decode_record::<TimestampRecord>(key_hash, bytes)
            else {
                continue;
            };
            if !authorities.contains(&record.signer) {
                continue;
            }
            record.tx_hash[0] ^= 0x01;
            let forged = Some(yrd_contracts::codec::encode(&record));
            batch
                .put::<TreeLatestValues>(key_hash, &(*version, forged.clone()))
                .expect("staging");
            batch
                .put::<TreeValues>(&(*key_hash, *version), &forged)
                .expect("staging");
            changed += 1;
        }
        match entries
            .last()
            .and_then(|(last, _)| yrd_node::storage::key_after(last))
        {
            Some(next) if entries.len() == 1_024 => start = next,
            _ => break,
        }
    }
    store
        .write_synced(batch)
        .expect("writing the forged values");
    changed
}

/// Drill: a member serving state-sync chunks that do not prove against the certified root is
/// caught at the first such chunk, banned by the syncing node, and the snapshot completes from
/// the other members. The faulty member runs on as a validator.
#[test]
fn a_member_serving_corrupt_chunks_is_banned_and_the_sync_completes_from_the_others() {
    let _serial = serial();
    let mut cluster = Cluster::running(1);
    let (observer, _) = registered_observer(&mut cluster);
    fill_state(&cluster, STATE_LEAVES / NAMES.len() as u64);

    // Anhui's node (3) gets false values on disk, then rejoins and keeps validating.
    const FAULTY: usize = 3;
    let faulty_hex = hex::encode(
        yrd_node::keys::read_key_file(&cluster.path(&format!("{}/node-key.json", NAMES[FAULTY])))
            .expect("node key")
            .verifying_key()
            .to_bytes(),
    );
    // Every node holds every timestamp before the faulty one stops (it may trail the node the
    // last transaction committed at by a block).
    let filled = (0..NAMES.len())
        .map(|i| cluster.height(i))
        .max()
        .unwrap_or(0);
    cluster.wait_height(FAULTY, filled, WAIT);
    assert!(cluster.terminate(FAULTY));
    let changed = corrupt_timestamp_values(&cluster, FAULTY);
    assert!(
        changed as u64 >= STATE_LEAVES,
        "only {changed} timestamp records were rewritten"
    );
    cluster.start(FAULTY);
    cluster.wait_serving(FAULTY);
    let height = cluster.height(1);
    cluster.wait_height(FAULTY, height + 2, WAIT);

    cluster.start_with(observer, &["--state-sync"]);
    if let Err(e) = cluster.net.wait_serving(observer, WAIT) {
        panic!("{e}");
    }
    let log = wait_log(&cluster, observer, 0, "state sync finished", WAIT);
    // Caught: a chunk from the faulty member was refused, and the member banned.
    let refused = log
        .lines()
        .find(|line| line.contains("chunk refused") && line.contains(&faulty_hex));
    assert!(
        refused.is_some(),
        "no chunk of {faulty_hex} was refused:\n{log}"
    );
    assert!(log.contains("peer banned and disconnected"), "{log}");
    let status = cluster.rpc(observer).ok("node_getStatus", json!([]));
    assert!(
        status["counters"]["peerBans"]
            .as_u64()
            .is_some_and(|b| b >= 1),
        "{status}"
    );
    let peers = cluster.rpc(observer).ok("net_getPeers", json!([]));
    let faulty_connected = peers
        .as_array()
        .expect("peers")
        .iter()
        .any(|peer| peer["nodeKey"] == faulty_hex.as_str() && peer["connected"] == true);
    assert!(
        !faulty_connected,
        "the banned member is still connected: {peers}"
    );

    // Completed from the others: the observer holds the validators' state and follows.
    follows_with_the_same_state(&cluster, observer);
    // Its proven read passes `yrd verify` against the genesis file alone.
    let answer = cluster
        .rpc(observer)
        .ok("state_getProof", json!({"key": "0007"}));
    assert_yrd_verifies(&cluster, &answer, "observer-list-after-ban.json");
    // The faulty member still validates: the chain commits with it.
    let later = cluster.height(1) + 2;
    cluster.wait_height(FAULTY, later, WAIT);
}

/// Licence records on the chain an observer joins in drill 3 (`YRD_DRILL_RECORDS` overrides the
/// issue's 10^6, for a quicker run while working on it).
fn drill_records() -> u64 {
    std::env::var("YRD_DRILL_RECORDS")
        .ok()
        .and_then(|records| records.parse().ok())
        .unwrap_or(1_000_000)
}

/// Anchorings per forged block (the default `consensus.max_block_txs` is far above).
const FORGED_BLOCK_TXS: u64 = 2_000;
/// The drill's licence type and issuer.
const DRILL_TYPE: &str = "ZJ-DRILL-3";

/// The `i`-th commitment anchored for drill 3.
fn drill_commitment(i: u64) -> [u8; 32] {
    *blake3::hash(&i.to_le_bytes()).as_bytes()
}

/// Drill 3 of issue 17: an observer registered by Zhejiang joins a chain holding 10^6 licence
/// records by state sync, serves proven `licence_verify` answers that `yrd verify` accepts, and
/// never appears in a QC.
///
/// The million anchorings are not sent through live consensus (four debug-build nodes on two
/// cores would take about twenty minutes): Shanghai's validator directory is written first with
/// [`yrd_testkit::Forge`] (real signed transactions, executed by the contracts as a node executes
/// them, each block certified with the validators' own keys), copied to the other three, and the
/// four validators then carry the chain on live from its head.
#[test]
fn an_observer_joins_a_chain_of_a_million_licence_records_by_state_sync() {
    use yrd_contracts::did_id::DidId;
    use yrd_contracts::tx::{
        AccreditIssuer, AnchorLicence, DidCreate, LicenceTypeSpec, SubjectKind, TxPayload,
    };
    use yrd_contracts::types::{DataClass, LicenceTypeCode};
    use yrd_node::storage::{Store, StoreConfig};

    let _serial = serial();
    let records = drill_records();
    let mut cluster = Cluster::new();
    let spec =
        yrd_verifier::chain_spec::ChainSpec::load(&cluster.path("genesis.json")).expect("genesis");
    let seeds: Vec<[u8; 32]> = NAMES
        .iter()
        .map(|name| {
            yrd_node::keys::read_key_file(&cluster.path(&format!("{name}/node-key.json")))
                .expect("validator key")
                .to_bytes()
        })
        .collect();
    let genesis_ms = spec.genesis.genesis_time_ms;

    // The history: one block registering the type and accrediting the issuer, then the
    // anchorings, signed on a second thread while the previous block executes.
    let forged_at = Instant::now();
    let store = Store::open(cluster.data_dir(0), StoreConfig::default()).expect("store");
    let mut forge = yrd_testkit::Forge::open(store, spec.clone(), &seeds).expect("forge");
    let mut shanghai = Signer::new(cluster.authority_key("shanghai"), 0);
    let issuer_key = ed25519_dalek::SigningKey::from_bytes(&[0x3a; 32]);
    let issuer_uscc = yrd_contracts::licence_id::Uscc::with_check_character("91310000000000030")
        .expect("a valid USCC");
    let code = LicenceTypeCode(DRILL_TYPE.into());
    let expiry = 10_000_000;
    let setup = vec![
        shanghai.sign(
            &chain(),
            TxPayload::RegisterLicenceType(LicenceTypeSpec {
                code: code.clone(),
                name: "drill 3 licence".into(),
                schema_digest: [3; 32],
                data_class: DataClass::Unconditional,
                on_issuer_revoked: Default::default(),
            }),
            expiry,
        ),
        shanghai.sign(
            &chain(),
            TxPayload::DidCreate(DidCreate {
                subject: SubjectKind::Issuer,
                controller_key: issuer_key.verifying_key().to_bytes(),
                services: Vec::new(),
            }),
            expiry,
        ),
        shanghai.sign(
            &chain(),
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: issuer_key.verifying_key().to_bytes(),
                issuer_did: DidId::derive(&shanghai.key.verifying_key().to_bytes(), 1),
                uscc: issuer_uscc.clone(),
                licence_types: vec![code.clone()],
            }),
            expiry,
        ),
    ];
    let outcome = forge.append(setup).expect("set-up block");
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    std::thread::scope(|scope| {
        let (blocks, signed) = std::sync::mpsc::sync_channel(2);
        let issuer_key = &issuer_key;
        let code = &code;
        scope.spawn(move || {
            let mut issuer = Signer::new(issuer_key.clone(), 0);
            let mut next = 0;
            while next < records {
                let end = (next + FORGED_BLOCK_TXS).min(records);
                let txs: Vec<_> = (next..end)
                    .map(|i| {
                        issuer.sign(
                            &chain(),
                            TxPayload::AnchorLicence(AnchorLicence {
                                commitment: drill_commitment(i),
                                licence_type: code.clone(),
                                valid_from_ms: genesis_ms,
                                valid_until_ms: genesis_ms + 3_650 * 86_400_000,
                            }),
                            expiry,
                        )
                    })
                    .collect();
                if blocks.send(txs).is_err() {
                    return;
                }
                next = end;
            }
        });
        for txs in signed {
            let outcome = forge.append(txs).expect("anchoring block");
            assert!(outcome.errors.is_empty(), "{:?}", outcome.errors.first());
        }
    });
    let forged_height = forge.finish().expect("finishing the history");
    eprintln!(
        "drill 3: {records} licence records in {forged_height} blocks written in {:.1} s",
        forged_at.elapsed().as_secs_f64()
    );
    for i in 1..NAMES.len() {
        Store::open(cluster.data_dir(0), StoreConfig::default())
            .expect("store")
            .checkpoint(cluster.data_dir(i))
            .expect("copying the history to another validator");
    }

    // The four validators carry the chain on live; Zhejiang registers the observer.
    cluster.start_all();
    for i in 0..NAMES.len() {
        cluster.wait_height(i, forged_height + 2, WAIT);
    }
    let (observer, observer_hex) = registered_observer(&mut cluster);
    let synced_at = Instant::now();
    cluster.start_with(observer, &["--state-sync"]);
    if let Err(e) = cluster.net.wait_serving(observer, Duration::from_secs(600)) {
        panic!("{e}");
    }
    let log = wait_log(&cluster, observer, 0, "state sync finished", WAIT);
    let joined = cluster.height(observer);
    eprintln!(
        "drill 3: the observer serves from height {joined} after {:.1} s",
        synced_at.elapsed().as_secs_f64()
    );
    assert!(log.contains("state sync finished"), "{log}");
    assert!(joined > forged_height, "the snapshot predates the records");
    let target = follows_with_the_same_state(&cluster, observer);

    // Proven answers about licences spread over the whole history, checked by `yrd verify`
    // against the genesis file alone.
    for (n, i) in [0, records / 2, records - 1].into_iter().enumerate() {
        let answer = cluster.rpc(observer).ok(
            "licence_verify",
            json!({"issuer": issuer_uscc.as_str(), "commitment": hex::encode(drill_commitment(i)),
                   "region": 330000, "proof": true}),
        );
        assert_eq!(answer["value"]["valid"], true, "licence {i}: {answer}");
        assert_yrd_verifies(&cluster, &answer, &format!("drill-3-licence-{n}.json"));
    }
    // A commitment never anchored is proven absent, not invented.
    let absent = cluster.rpc(observer).ok(
        "licence_verify",
        json!({"issuer": issuer_uscc.as_str(), "commitment": hex::encode(drill_commitment(records)),
               "region": 330000, "proof": true}),
    );
    assert_ne!(absent["value"]["valid"], true, "{absent}");
    assert_yrd_verifies(&cluster, &absent, "drill-3-absent.json");

    // It never votes: no commit certificate from its joining on carries its key (the
    // certificate's encoding holds every signer's key).
    let mut certified = 0;
    for height in joined..=target {
        let block = cluster.rpc(1).ok("chain_getBlock", json!([height]));
        certified += usize::from(block["commitCertificate"].is_object());
        assert!(
            !block.to_string().contains(&observer_hex),
            "height {height}: {block}"
        );
    }
    assert!(
        certified > 0,
        "no certificate between {joined} and {target}"
    );
}
