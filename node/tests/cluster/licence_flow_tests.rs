//! The cross-province flow through the `yrd` CLI: Shanghai registers a licence type, creates and
//! accredits an issuer; Jiangsu declares that it recognises the type; the issuer anchors a licence
//! through node A (Shanghai) and a verifier asks node D (Anhui); the licence is revoked through A
//! and D reports it revoked. A DID created through node B resolves at node C.

use std::time::Duration;

use serde_json::{Value, json};
use yrd_contracts::licence_id::{LicenceId, licence_commitment};

use crate::harness::{Cluster, RpcExt, serial};

const A: usize = 0;
const B: usize = 1;
const C: usize = 2;
const D: usize = 3;
const TYPE: &str = "SH-FOOD-BIZ";
/// A GB/T 36904 licence identifier (food business licence issued in Hangzhou's Xihu district
/// format; the ledger only ever sees its commitment).
/// A Shanghai issuer's licence (the USCC's division, 310105, lies in Shanghai).
const LICENCE_ID: &str = "1.2.156.3005.2.11100000000013338W009.113101050025002874.2025052201.002.3";
/// The issuer's USCC, as the identifier names it.
const ISSUER_USCC: &str = "113101050025002874";
const SALT: &str = "5a17d3b0c0ffee00112233445566778899aabbccddeeff00112233445566aa55";
const WAIT: Duration = Duration::from_secs(60);

#[test]
fn licence_anchored_at_a_is_verified_and_revoked_at_d_and_did_from_b_resolves_at_c() {
    let _serial = serial();
    let cluster = Cluster::running(1);

    // `yrd status` reports the node's chain and peers.
    let status = cluster.yrd(&["status", "--rpc", &cluster.url(D)]);
    assert!(status.status.success(), "yrd status failed");
    let status: serde_json::Value =
        serde_json::from_slice(&status.stdout).expect("yrd status prints JSON");
    assert_eq!(status["node"]["chainId"], "yrd-devnet");
    assert_eq!(status["node"]["role"], "validator");
    // The network view for people: a row per node asked, then the first one's members.
    let view = cluster.yrd(&[
        "status",
        "--format",
        "text",
        "--rpc",
        &cluster.url(A),
        "--rpc",
        &cluster.url(D),
    ]);
    assert!(view.status.success(), "yrd status --format text failed");
    let view = String::from_utf8_lossy(&view.stdout);
    for expected in [
        cluster.url(A),
        cluster.url(D),
        "chain yrd-devnet".to_owned(),
        format!("members as {} sees them", cluster.url(A)),
        "Shanghai".to_owned(),
        "Anhui".to_owned(),
    ] {
        assert!(
            view.contains(&expected),
            "{expected:?} missing from:\n{view}"
        );
    }

    let jiangsu = cluster.authority_key_file("jiangsu");
    let issuer_file = cluster.path("issuer-key.json");
    let keygen = cluster.yrd(&["keygen", "--out", issuer_file.to_str().expect("utf-8 path")]);
    assert!(keygen.status.success(), "yrd keygen failed");
    let issuer_key = String::from_utf8_lossy(&keygen.stdout).trim().to_owned();
    assert_eq!(
        issuer_key.len(),
        64,
        "keygen prints the public key: {issuer_key}"
    );

    // Shanghai: catalogue entry, issuer DID, accreditation (through node A); Jiangsu recognises
    // Shanghai's licences of this type (through node B).
    let issuer_did = cluster.accredit_issuer(TYPE, &issuer_key, ISSUER_USCC);
    let issuer_did = issuer_did.as_str();

    // The licence's secrets travel in a file, never on the command line.
    let secret_file = cluster.path("licence-secret.toml");
    std::fs::write(
        &secret_file,
        format!("licence_id = \"{LICENCE_ID}\"\nsalt = \"{SALT}\"\n"),
    )
    .expect("secret file");
    let secret_path = secret_file.to_str().expect("utf-8 path");

    // The issuer anchors the licence through node A.
    let anchored = cluster.anchor(A, &issuer_file, &secret_file, TYPE);
    let anchored_height = anchored["height"].as_u64().expect("committed height");
    let id: LicenceId = LICENCE_ID.parse().expect("licence id");
    let salt: [u8; 32] = hex::decode(SALT)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    let commitment = hex::encode(licence_commitment(&id, &salt));
    // `yrd tx commitment` derives the same commitment the node stored, from the secret file and
    // from the argument form kept for test fixtures.
    let printed = cluster.yrd(&["tx", "commitment", "--secret-file", secret_path]);
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), commitment);
    let printed = cluster.yrd(&[
        "tx",
        "commitment",
        "--licence-id",
        LICENCE_ID,
        "--salt",
        SALT,
    ]);
    assert_eq!(String::from_utf8_lossy(&printed.stdout).trim(), commitment);

    // A Jiangsu verifier asks node D.
    cluster.wait_height(D, anchored_height, WAIT);
    let verdict = cluster.rpc(D).ok(
        "licence_verify",
        json!({"issuer": ISSUER_USCC, "commitment": commitment, "region": 320000}),
    );
    assert_eq!(verdict["valid"], true, "{verdict}");
    assert_eq!(verdict["status"], "active", "{verdict}");
    assert_eq!(verdict["recognition"]["recognised"], true, "{verdict}");
    assert_eq!(verdict["recognition"]["basis"], "policy", "{verdict}");
    assert_eq!(verdict["details"]["issuer"]["did"], issuer_did, "{verdict}");
    // Anhui declared nothing: genuine and valid, but not recognised there.
    let in_anhui = cluster.rpc(D).ok(
        "licence_verify",
        json!({"issuer": ISSUER_USCC, "commitment": commitment, "region": 340000}),
    );
    assert_eq!(in_anhui["valid"], true);
    assert_eq!(in_anhui["recognition"]["recognised"], false, "{in_anhui}");

    // The issuer exports the attestation as a W3C VC (eddsa-jcs-2022); a verifier checks it
    // through node D with proofs against the genesis file.
    let genesis_path = cluster.path("genesis.json");
    let genesis_arg = genesis_path.to_str().expect("utf-8 path").to_owned();
    let issued = cluster.yrd(&[
        "vc",
        "issue",
        "--key",
        issuer_file.to_str().expect("utf-8 path"),
        "--secret-file",
        secret_path,
        "--rpc",
        &cluster.url(A),
    ]);
    assert!(
        issued.status.success(),
        "yrd vc issue failed: {}",
        String::from_utf8_lossy(&issued.stderr)
    );
    let credential: serde_json::Value =
        serde_json::from_slice(&issued.stdout).expect("yrd vc issue prints the credential");
    assert_eq!(credential["issuer"], issuer_did, "{credential}");
    assert_eq!(
        credential["credentialSubject"]["licenceCommitment"], commitment,
        "{credential}"
    );
    assert!(
        !credential.to_string().contains(LICENCE_ID),
        "the credential carries the licence identifier"
    );
    let credential_path = cluster.path("credential.json");
    std::fs::write(&credential_path, credential.to_string()).expect("credential");
    let credential_arg = credential_path.to_str().expect("utf-8 path").to_owned();
    let vc_verify = |path: &str| {
        cluster.yrd(&[
            "vc",
            "verify",
            path,
            "--rpc",
            &cluster.url(D),
            "--genesis",
            &genesis_arg,
            "--region",
            "jiangsu",
        ])
    };
    // Proven answers are read at the latest certified height, a little behind the head: wait
    // until it holds the anchoring.
    let until = |code: i32, text: &str| {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let checked = vc_verify(&credential_arg);
            let stdout = String::from_utf8_lossy(&checked.stdout).into_owned();
            if checked.status.code() == Some(code) && stdout.contains(text) {
                return stdout;
            }
            assert!(
                std::time::Instant::now() < deadline && checked.status.code() != Some(1),
                "yrd vc verify: {:?} {stdout}{}",
                checked.status.code(),
                String::from_utf8_lossy(&checked.stderr)
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    let stdout = until(0, "status active");
    assert!(stdout.contains("VERIFIED proof"), "{stdout}");
    let mut tampered = credential.clone();
    tampered["credentialSubject"]["licenceCommitment"] = json!("00".repeat(32));
    let tampered_path = cluster.path("credential-tampered.json");
    std::fs::write(&tampered_path, tampered.to_string()).expect("credential");
    let refused = vc_verify(tampered_path.to_str().expect("utf-8 path"));
    let stdout = String::from_utf8_lossy(&refused.stdout);
    assert_eq!(refused.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("NOT VERIFIED"), "{stdout}");

    // Revoked through node A: node D reports it revoked.
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
    cluster.wait_height(D, revoked_height, WAIT);
    let verdict = cluster.rpc(D).ok(
        "licence_verify",
        json!({"issuer": ISSUER_USCC, "commitment": commitment, "region": 320000}),
    );
    assert_eq!(verdict["status"], "revoked", "{verdict}");
    // The credential still carries a valid proof, but the ledger says the licence is revoked.
    let stdout = until(3, "status revoked");
    assert!(stdout.contains("valid false"), "{stdout}");
    assert_eq!(verdict["valid"], false, "{verdict}");
    let history = cluster.rpc(D).ok(
        "licence_getHistory",
        json!({"issuer": ISSUER_USCC, "commitment": commitment}),
    );
    let kinds: Vec<&str> = history
        .as_array()
        .expect("history")
        .iter()
        .map(|entry| entry["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["anchored", "revoked"]);

    // Node C's answer carries its own evidence: `yrd verify licence` checks it against the
    // genesis file alone (answers with proofs are read at the latest certified height, which
    // trails the head by a block or two, so ask until it covers the revocation).
    let genesis = cluster.path("genesis.json");
    let saved = cluster.path("revoked-answer.json");
    let outcome = cluster.verify_licence_from(C, &secret_file, &saved, revoked_height);
    assert_eq!(outcome["value"]["status"], "revoked", "{outcome}");
    let summary = outcome["summary"].to_string();
    assert!(summary.contains("licence: revoked"), "{summary}");
    // The saved answer re-verifies offline; with one byte of its header changed it does not.
    let offline = cluster.yrd(&[
        "verify",
        "--genesis",
        genesis.to_str().expect("utf-8 path"),
        "--response",
        saved.to_str().expect("utf-8 path"),
    ]);
    assert!(
        offline.status.success(),
        "{}",
        String::from_utf8_lossy(&offline.stdout)
    );
    let mut answer: Value =
        serde_json::from_str(&std::fs::read_to_string(&saved).expect("saved answer"))
            .expect("JSON");
    let header = answer["proof"]["header"]
        .as_str()
        .expect("header hex")
        .to_owned();
    let flipped = format!(
        "{}{}",
        if header.starts_with('0') { "1" } else { "0" },
        &header[1..]
    );
    answer["proof"]["header"] = json!(flipped);
    std::fs::write(&saved, answer.to_string()).expect("write");
    let tampered = cluster.yrd(&[
        "verify",
        "--genesis",
        genesis.to_str().expect("utf-8 path"),
        "--response",
        saved.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(
        tampered.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&tampered.stdout)
    );
    // Other reads prove too: the issuer and the recognising policy, straight from node B.
    for (method, params) in [
        ("issuer_get", json!({"key": issuer_key, "proof": true})),
        (
            "policy_get",
            json!({"recognising": 320000, "issuing": 310000, "licenceType": TYPE, "proof": true}),
        ),
    ] {
        let answer = cluster.rpc(B).ok(method, params);
        let answer: yrd_verifier::ProvenAnswer = serde_json::from_value(answer).expect("envelope");
        let spec = yrd_verifier::chain_spec::ChainSpec::load(&genesis).expect("genesis");
        yrd_verifier::verify_answer(&spec, &answer).unwrap_or_else(|e| panic!("{method}: {e}"));
    }

    // A firm's DID created through node B (by Jiangsu) resolves at node C.
    let firm_key = hex::encode(yrd_node::keys::generate_key().verifying_key().to_bytes());
    let created = cluster.tx(
        B,
        &jiangsu,
        &[
            "did-create",
            "--subject",
            "organisation",
            "--controller-key",
            &firm_key,
        ],
    );
    let did = created["did"].as_str().expect("did");
    cluster.wait_height(C, created["height"].as_u64().expect("height"), WAIT);
    let resolved = cluster.rpc(C).ok("did_resolve", json!({"did": did}));
    assert_eq!(resolved["didDocument"]["id"], did, "{resolved}");
    assert_eq!(resolved["didDocumentMetadata"]["deactivated"], false);

    // Every node holds the same state at the last height.
    let last = created["height"].as_u64().expect("height");
    let root = cluster.state_root_at(A, last);
    for i in 1..4 {
        cluster.wait_height(i, last, WAIT);
        assert_eq!(cluster.state_root_at(i, last), root, "node {i} diverged");
    }
}
