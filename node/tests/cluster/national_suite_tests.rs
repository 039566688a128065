//! The README walk-through on an `sm2-sm3` devnet, through the `yrd` CLI: Shanghai registers a
//! type and accredits an issuer holding an SM2 key; Jiangsu recognises the type; the issuer
//! anchors a licence through node A; node D answers it valid; it is revoked; node C's proven
//! answer verifies against the genesis file alone. What the suite cannot do is refused with the
//! reason: an ed25519 key on this chain, a W3C credential (`eddsa-jcs-2022` is ed25519), a node
//! whose network key the genesis does not list, and an outsider.

use std::time::Duration;

use serde_json::{Value, json};
use yrd_consensus::CryptoSuite;
use yrd_contracts::licence_id::{LicenceId, licence_commitment};

use crate::harness::{Cluster, RpcExt, serial};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;
const TYPE: &str = "SH-FOOD-BIZ";
const LICENCE_ID: &str = "1.2.156.3005.2.11100000000013338W009.113101050025002874.2025052201.002.3";
const ISSUER_USCC: &str = "113101050025002874";
const SALT: &str = "5a17d3b0c0ffee00112233445566778899aabbccddeeff00112233445566aa55";
const WAIT: Duration = Duration::from_secs(60);

fn install() {
    if let Err(error) = CryptoSuite::install(CryptoSuite::Sm2Sm3) {
        panic!("{error}");
    }
}

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn the_walk_through_runs_on_an_sm2_sm3_devnet() {
    install();
    let _serial = serial();
    let mut cluster = Cluster::running_on(CryptoSuite::Sm2Sm3, 2);

    // Every node reports the suite and its SM2 member key, and sees the three others.
    let genesis_path = cluster.path("genesis.json");
    let genesis: Value =
        serde_json::from_str(&std::fs::read_to_string(&genesis_path).expect("genesis"))
            .expect("JSON");
    assert_eq!(genesis["cryptoSuite"], "sm2-sm3");
    assert_eq!(genesis["networkKeys"].as_array().map(Vec::len), Some(4));
    for i in [A, B, C, D] {
        let status = cluster.rpc(i).ok("node_getStatus", json!([]));
        assert_eq!(status["cryptoSuite"], "sm2-sm3", "{status}");
        assert_eq!(
            status["nodeKey"],
            hex::encode(cluster.nodes[i].key),
            "{status}"
        );
        assert_eq!(status["peerCount"], 3, "node {i}: {status}");
    }

    let issuer_file = cluster.path("issuer-key.json");
    let issuer_path = issuer_file.to_str().expect("utf-8 path");
    let keygen = cluster.yrd(&["keygen", "--crypto", "sm2-sm3", "--out", issuer_path]);
    assert!(keygen.status.success(), "yrd keygen failed");
    let issuer_key = stdout(&keygen);
    assert_eq!(issuer_key.len(), 64, "{issuer_key}");

    // An ed25519 key is refused before anything is sent.
    let ed_file = cluster.path("ed25519-key.json");
    let ed_path = ed_file.to_str().expect("utf-8 path");
    assert!(cluster.yrd(&["keygen", "--out", ed_path]).status.success());
    let refused = cluster.yrd(&[
        "tx",
        "timestamp",
        "--digest",
        &hex::encode([5u8; 32]),
        "--rpc",
        &cluster.url(A),
        "--key",
        ed_path,
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "{stderr}");
    assert!(
        stderr.contains("ed25519-blake3 key, but the chain at"),
        "{stderr}"
    );

    // Shanghai: catalogue entry, issuer DID, accreditation (SM2-signed, through node A);
    // Jiangsu recognises the type (through node B).
    let issuer_did = cluster.accredit_issuer(TYPE, &issuer_key, ISSUER_USCC);
    // The DID document lists the SM2 key as an `sm2-pub` Multikey, resolved at another node.
    let document = cluster
        .rpc(C)
        .ok("did_resolve", json!({ "did": issuer_did }));
    let methods = document.to_string();
    assert!(methods.contains("Multikey"), "{methods}");

    // The issuer anchors a licence: its commitment is SM3's.
    let secret_file = cluster.path("licence.toml");
    std::fs::write(
        &secret_file,
        format!("licence_id = \"{LICENCE_ID}\"\nsalt = \"{SALT}\"\n"),
    )
    .expect("secret file");
    let secret_path = secret_file.to_str().expect("utf-8 path");
    let anchored = cluster.anchor(A, &issuer_file, &secret_file, TYPE);
    let anchored_height = anchored["height"].as_u64().expect("committed height");
    let id: LicenceId = LICENCE_ID.parse().expect("licence id");
    let salt: [u8; 32] = hex::decode(SALT).expect("hex").try_into().expect("32");
    let commitment = hex::encode(licence_commitment(&id, &salt));
    let printed = cluster.yrd(&[
        "tx",
        "commitment",
        "--crypto",
        "sm2-sm3",
        "--secret-file",
        secret_path,
    ]);
    assert_eq!(stdout(&printed), commitment);
    // Without --crypto it is the BLAKE3 commitment, which this chain does not hold.
    let blake3 = cluster.yrd(&["tx", "commitment", "--secret-file", secret_path]);
    assert_ne!(stdout(&blake3), commitment);

    cluster.wait_height(D, anchored_height, WAIT);
    let verdict = cluster.rpc(D).ok(
        "licence_verify",
        json!({"issuer": ISSUER_USCC, "commitment": commitment, "region": 320000}),
    );
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["status"], "active", "{verdict}");
    assert_eq!(verdict["recognition"]["recognised"], true, "{verdict}");

    // No W3C credential from an SM2 key: eddsa-jcs-2022 signs with ed25519 only.
    let vc = cluster.yrd(&[
        "vc",
        "issue",
        "--key",
        issuer_path,
        "--secret-file",
        secret_path,
        "--rpc",
        &cluster.url(A),
    ]);
    let stderr = String::from_utf8_lossy(&vc.stderr);
    assert!(!vc.status.success(), "{stderr}");
    assert!(stderr.contains("sm2-sm3 key"), "{stderr}");

    let revoked = cluster.tx(
        A,
        &issuer_file,
        &[
            "revoke-licence",
            "--secret-file",
            secret_path,
            "--reason",
            "fraud",
        ],
    );
    let revoked_height = revoked["height"].as_u64().expect("committed height");

    // Node C's proven answer checks against the genesis file alone, then offline.
    let saved = cluster.path("answer.json");
    let genesis_arg = genesis_path.to_str().expect("utf-8 path");
    let outcome = cluster.verify_licence_from(C, &secret_file, &saved, revoked_height);
    assert_eq!(outcome["value"]["status"], "revoked", "{outcome}");
    let offline = cluster.yrd(&[
        "verify",
        "--genesis",
        genesis_arg,
        "--response",
        saved.to_str().expect("utf-8 path"),
    ]);
    assert!(offline.status.success(), "{}", stdout(&offline));
    assert!(
        stdout(&offline).starts_with("VERIFIED"),
        "{}",
        stdout(&offline)
    );

    // An SM2 node whose key is in no genesis is refused by every member.
    let outsider = cluster.add_outsider();
    cluster.start(outsider);
    cluster.wait_serving(outsider);
    std::thread::sleep(Duration::from_secs(2));
    let status = cluster.rpc(outsider).ok("node_getStatus", json!([]));
    assert_eq!(status["peerCount"], 0, "{status}");
    for i in [A, B, C, D] {
        let status = cluster.rpc(i).ok("node_getStatus", json!([]));
        assert_eq!(status["peerCount"], 3, "node {i}: {status}");
    }
}

/// A validator whose genesis lists another network key than its key file derives refuses to
/// start and names both keys: the other members would refuse its connections.
#[test]
fn a_node_whose_network_key_the_genesis_does_not_list_refuses_to_start() {
    install();
    let cluster = Cluster::on_suite(CryptoSuite::Sm2Sm3);
    let genesis_path = cluster.path("genesis.json");
    let mut genesis: Value =
        serde_json::from_str(&std::fs::read_to_string(&genesis_path).expect("genesis"))
            .expect("JSON");
    let member = hex::encode(cluster.nodes[A].key);
    let bindings = genesis["networkKeys"].as_array_mut().expect("networkKeys");
    let binding = bindings
        .iter_mut()
        .find(|b| b["validatorKey"] == member.as_str())
        .expect("node A's binding");
    let wrong = ed25519_dalek::SigningKey::from_bytes(&[42; 32])
        .verifying_key()
        .to_bytes();
    binding["networkKey"] = json!(hex::encode(wrong));
    std::fs::write(&genesis_path, genesis.to_string()).expect("write genesis");
    let output = cluster
        .command()
        .arg("node")
        .arg("--config")
        .arg(&cluster.nodes[A].config)
        .output()
        .expect("run yrd node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("lists network key") && stderr.contains(&hex::encode(wrong)),
        "{stderr}"
    );
}

/// An observer of an `sm2-sm3` chain: registered by Shanghai, it is refused by the members until
/// Shanghai binds its network key (`yrd tx bind-network-key`, which Jiangsu may not do for it);
/// then it follows the chain.
#[test]
fn an_observer_is_admitted_once_its_network_key_is_bound() {
    install();
    let _serial = serial();
    let mut cluster = Cluster::running_on(CryptoSuite::Sm2Sm3, 1);
    let observer = cluster.add_outsider();
    let observer_hex = hex::encode(cluster.nodes[observer].key);
    let key_file = cluster.path("outsider/node-key.json");
    let key_path = key_file.to_str().expect("utf-8 path");
    let shanghai = cluster.authority_key_file("shanghai");
    let jiangsu = cluster.authority_key_file("jiangsu");
    let registered = cluster.tx(
        A,
        &shanghai,
        &["register-observer", "--node-key", &observer_hex],
    );
    assert_eq!(registered["receipt"]["code"], 0, "{registered}");
    cluster.start(observer);
    cluster.wait_serving(observer);
    std::thread::sleep(Duration::from_secs(3));
    let status = cluster.rpc(observer).ok("node_getStatus", json!([]));
    assert_eq!(
        status["peerCount"], 0,
        "admitted before its binding: {status}"
    );
    // A member restarted meanwhile starts with the unbound observer in its membership (its SM2 key
    // is never taken for a network key).
    assert!(cluster.terminate(C), "node C did not stop cleanly");
    cluster.start(C);
    cluster.wait_serving(C);

    // Jiangsu cannot bind Shanghai's observer: `yrd tx` exits 3 and names the ledger error.
    let refused = cluster.yrd(&[
        "tx",
        "bind-network-key",
        "--node-key-file",
        key_path,
        "--rpc",
        &cluster.url(B),
        "--key",
        jiangsu.to_str().expect("utf-8 path"),
        "--wait-secs",
        "60",
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("WrongProvince"), "{stderr}");

    let bound = cluster.tx(
        A,
        &shanghai,
        &["bind-network-key", "--node-key-file", key_path],
    );
    assert_eq!(bound["receipt"]["code"], 0, "{bound}");
    let target = cluster.height(B) + 3;
    cluster.wait_height(observer, target, WAIT);
    cluster.wait_height(B, target, WAIT);
    assert_eq!(
        cluster.block_id_at(observer, target),
        cluster.block_id_at(B, target)
    );
    let status = cluster.rpc(observer).ok("node_getStatus", json!([]));
    assert_eq!(status["role"], "observer", "{status}");
    assert_eq!(status["nodeKey"], observer_hex.as_str(), "{status}");
}

/// `yrd genesis` writes an `sm2-sm3` genesis from a spec naming the suite and each validator's
/// network key (as `yrd keygen --crypto sm2-sm3` prints it).
#[test]
fn yrd_genesis_writes_a_national_suite_genesis_with_network_keys() {
    install();
    let dir = tempfile::tempdir().expect("temporary folder");
    let yrd = |args: &[&str]| {
        std::process::Command::new(crate::harness::YRD)
            .args(args)
            .output()
            .expect("run yrd")
    };
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let authority = yrd(&["keygen", "--crypto", "sm2-sm3", "--out", &path("a.json")]);
    let validator = yrd(&["keygen", "--crypto", "sm2-sm3", "--out", &path("v.json")]);
    let network = String::from_utf8_lossy(&validator.stderr)
        .trim()
        .strip_prefix("network key ")
        .expect("keygen prints the network key")
        .to_owned();
    std::fs::write(
        path("spec.toml"),
        format!(
            "chain_id = \"yrd-sm\"\ncrypto_suite = \"sm2-sm3\"\n\
             [[provinces]]\nprovince = 310000\nauthority_key = \"{}\"\nvalidator_keys = [\"{}\"]\n\
             [[network_keys]]\nvalidator_key = \"{}\"\nnetwork_key = \"{network}\"\n",
            stdout(&authority),
            stdout(&validator),
            stdout(&validator)
        ),
    )
    .expect("spec");
    let written = yrd(&[
        "genesis",
        "--spec",
        &path("spec.toml"),
        "--out",
        &path("g.json"),
    ]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let genesis: Value =
        serde_json::from_str(&std::fs::read_to_string(path("g.json")).expect("genesis"))
            .expect("JSON");
    assert_eq!(genesis["cryptoSuite"], "sm2-sm3");
    assert_eq!(genesis["networkKeys"][0]["networkKey"], network.as_str());
}

/// A new observer of an `sm2-sm3` chain joins by state sync: registered and bound by Shanghai,
/// it reaches the genesis validators through the genesis file's network keys before it holds any
/// state, restores the SM3 snapshot, then follows the chain with the same state root, and its
/// proven answer checks against the genesis file.
#[test]
fn an_observer_joins_an_sm2_sm3_chain_by_state_sync() {
    install();
    let _serial = serial();
    let mut cluster = Cluster::running_on(CryptoSuite::Sm2Sm3, 3);
    let observer = cluster.add_outsider();
    let observer_hex = hex::encode(cluster.nodes[observer].key);
    let key_file = cluster.path("outsider/node-key.json");
    let shanghai = cluster.authority_key_file("shanghai");
    cluster.tx(
        A,
        &shanghai,
        &["register-observer", "--node-key", &observer_hex],
    );
    let bound = cluster.tx(
        A,
        &shanghai,
        &[
            "bind-network-key",
            "--node-key-file",
            key_file.to_str().expect("utf-8 path"),
        ],
    );
    assert_eq!(bound["receipt"]["code"], 0, "{bound}");

    cluster.start_with(observer, &["--state-sync"]);
    cluster.wait_serving(observer);
    let log = cluster.log_tail(observer, 400);
    assert!(log.contains("state sync finished"), "{log}");
    let target = cluster.height(B) + 3;
    cluster.wait_height(observer, target, WAIT);
    cluster.wait_height(B, target, WAIT);
    assert_eq!(
        cluster.state_root_at(observer, target),
        cluster.state_root_at(B, target)
    );
    let proven = cluster.assert_state_synced_and_proving(observer, "0007");
    assert!(proven.contains(&observer_hex));
}
