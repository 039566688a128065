//! The test vectors in `docs/proof-vectors/`: a genesis, answers of every kind, tampered answers,
//! and the outcome each must get (`expected.json`). This test regenerates them from the fixture
//! and fails if the files differ (the format changed: regenerate with `YRD_WRITE_VECTORS=1` and
//! review the diff), then checks every file from disk against its expected outcome.

use std::path::PathBuf;

use serde_json::{Value, json};
use yrd_consensus::types::{BlockHeader, ValidatorSet};
use yrd_consensus::{CommitCertificate, Signer};
use yrd_contracts::batch::BatchTree;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::keys;
use yrd_contracts::records::{LicenceRecord, LicenceStatus};
use yrd_contracts::tx::{
    AnchorBatch, AnchorLicence, LicenceStatusChange, LicenceTarget, StatusReason, TxPayload,
};
use yrd_contracts::types::LicenceTypeCode;
use yrd_testkit::Certifier;
use yrd_verifier::chain_spec::ChainSpec;
use yrd_verifier::verdict::describe;
use yrd_verifier::{HexBytes, ProvenAnswer, verify_answer};

use crate::fake::GENESIS_TIME_MS;
use crate::fixture::{ISSUER_USCC, UNCONDITIONAL_TYPE, VALIDITY_MS, issuer_uscc, suspend};
use crate::{Harness, within};

const SHANGHAI: u32 = 310_000;
const JIANGSU: u32 = 320_000;
const ANHUI: u32 = 340_000;

/// `docs/proof-vectors/` for `ed25519-blake3`, `docs/proof-vectors/sm2-sm3/` for the national
/// suite (the same answers, made by the same fixture on that suite).
fn vectors_dir() -> PathBuf {
    let base = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/proof-vectors"
    ));
    match crate::SUITE {
        yrd_consensus::CryptoSuite::Ed25519Blake3 => base,
        suite => base.join(suite.name()),
    }
}

async fn ask(h: &Harness, method: &str, mut params: Value) -> ProvenAnswer {
    if method != "state_getProof" {
        params["proof"] = json!(true);
    }
    serde_json::from_value(h.call(method, params).await.unwrap()).unwrap()
}

/// One vector: a file name, a description, the answer, and the check it must fail (if any).
struct Vector {
    file: String,
    about: &'static str,
    answer: ProvenAnswer,
    reject: Option<&'static str>,
}

fn accept(file: &str, about: &'static str, answer: ProvenAnswer) -> Vector {
    Vector {
        file: format!("{file}.json"),
        about,
        answer,
        reject: None,
    }
}

fn reject(file: &str, about: &'static str, answer: ProvenAnswer, check: &'static str) -> Vector {
    Vector {
        file: format!("{file}.json"),
        about,
        answer,
        reject: Some(check),
    }
}

fn certificate_of(answer: &ProvenAnswer) -> CommitCertificate {
    decode_canonical(&answer.proof.certificate.as_ref().unwrap().0).unwrap()
}

async fn build_vectors() -> (ChainSpec, Vec<Vector>) {
    let mut h = Harness::start().await;
    let spec = h.fixture.node.spec.clone();
    let f_unconditional = h.fixture.unconditional;
    let verify = |commitment: [u8; 32], region: u32| json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(commitment), "region": region });
    let mut out = Vec::new();

    // A second unconditional licence, revoked; a batch of four.
    let revoked = [0xa2; 32];
    let leaves: Vec<[u8; 32]> = (0u8..4).map(|i| [0xb0 + i; 32]).collect();
    let tree = BatchTree::build(leaves.clone()).unwrap();
    let txs = [
        h.fixture.issuer_tx(TxPayload::AnchorLicence(AnchorLicence {
            commitment: revoked,
            licence_type: LicenceTypeCode(UNCONDITIONAL_TYPE.into()),
            valid_from_ms: GENESIS_TIME_MS,
            valid_until_ms: GENESIS_TIME_MS + VALIDITY_MS,
        })),
        h.fixture.issuer_tx(TxPayload::AnchorBatch(AnchorBatch {
            root: tree.root(),
            count: leaves.len() as u64,
            licence_type: LicenceTypeCode(UNCONDITIONAL_TYPE.into()),
        })),
    ];
    h.fixture.node.commit(&txs);
    let revoke = h
        .fixture
        .issuer_tx(TxPayload::RevokeLicence(LicenceStatusChange {
            target: LicenceTarget {
                issuer: issuer_uscc(),
                commitment: revoked,
                batch: None,
            },
            reason: StatusReason::IssuedInError,
        }));
    h.fixture.node.commit(&[revoke]);

    let valid = ask(&h, "licence_verify", verify(f_unconditional, JIANGSU)).await;
    out.push(accept(
        "licence-verify-valid-recognised",
        "valid, recognised in Jiangsu by policy",
        valid.clone(),
    ));
    out.push(accept(
        "licence-verify-not-recognised",
        "valid, not recognised in Anhui (no policy)",
        ask(&h, "licence_verify", verify(f_unconditional, ANHUI)).await,
    ));
    out.push(accept(
        "licence-verify-revoked",
        "revoked",
        ask(&h, "licence_verify", verify(revoked, SHANGHAI)).await,
    ));
    out.push(accept(
        "licence-verify-never-anchored",
        "never anchored (absence proven)",
        ask(&h, "licence_verify", verify([0x77; 32], JIANGSU)).await,
    ));
    let member = tree.proof(2).unwrap();
    let mut in_batch = verify(leaves[2], JIANGSU);
    in_batch["batch"] = json!({ "root": hex::encode(tree.root()), "proof": member });
    out.push(accept(
        "licence-verify-batch-member",
        "valid through a batch inclusion proof",
        ask(&h, "licence_verify", in_batch).await,
    ));
    out.push(accept(
        "licence-get-validity-only",
        "conditional data class, anonymous caller: validity only",
        ask(
            &h,
            "licence_get",
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(h.fixture.conditional) }),
        )
        .await,
    ));
    out.push(accept(
        "licence-get-history",
        "status history of the revoked licence",
        ask(
            &h,
            "licence_getHistory",
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(revoked) }),
        )
        .await,
    ));
    out.push(accept(
        "did-resolve",
        "the issuer's DID document",
        ask(
            &h,
            "did_resolve",
            json!({ "did": h.fixture.issuer_did.to_string() }),
        )
        .await,
    ));
    out.push(accept(
        "issuer-get",
        "the accredited issuer",
        ask(
            &h,
            "issuer_get",
            json!({ "key": hex::encode(yrd_testkit::ledger_public(&h.fixture.issuer)) }),
        )
        .await,
    ));
    out.push(accept(
        "licence-type-get",
        "a catalogue entry",
        ask(&h, "licenceType_get", json!({ "code": UNCONDITIONAL_TYPE })).await,
    ));
    out.push(accept(
        "policy-get",
        "Jiangsu's policy for Shanghai's U1 licences",
        ask(
            &h,
            "policy_get",
            json!({ "recognising": JIANGSU, "issuing": SHANGHAI, "licenceType": UNCONDITIONAL_TYPE }),
        )
        .await,
    ));
    out.push(accept(
        "policy-get-absent",
        "Anhui has no policy (absence proven)",
        ask(
            &h,
            "policy_get",
            json!({ "recognising": ANHUI, "issuing": SHANGHAI, "licenceType": UNCONDITIONAL_TYPE }),
        )
        .await,
    ));
    out.push(accept(
        "state-get",
        "the raw licence-type record under its key (licence keys are refused by state_getProof)",
        ask(
            &h,
            "state_getProof",
            json!({ "key": hex::encode(keys::licence_type(&LicenceTypeCode(UNCONDITIONAL_TYPE.into()))) }),
        )
        .await,
    ));

    // Suspend the licence, then the tampered answers about it.
    let tx = h.fixture.issuer_tx(suspend(f_unconditional));
    h.fixture.node.commit(&[tx]);
    let suspended = ask(&h, "licence_verify", verify(f_unconditional, JIANGSU)).await;
    out.push(accept(
        "licence-verify-suspended",
        "suspended",
        suspended.clone(),
    ));

    let mut lie = suspended.clone();
    lie.value["status"] = json!("active");
    lie.value["valid"] = json!(true);
    out.push(reject(
        "reject-status-lie",
        "a node reports the suspended licence as active",
        lie.clone(),
        "value-mismatch",
    ));
    let licence_key = keys::licence(&crate::fixture::issuer_uscc(), &f_unconditional);
    let mut forged = lie;
    let entry = forged
        .proof
        .reads
        .iter_mut()
        .find(|e| e.key.0 == licence_key)
        .unwrap();
    let mut record: LicenceRecord = decode_canonical(&entry.value.as_ref().unwrap().0).unwrap();
    record.status = LicenceStatus::Active;
    entry.value = Some(HexBytes(encode(&record)));
    out.push(reject(
        "reject-forged-record",
        "... and forges the record to match",
        forged,
        "state-proof",
    ));
    let mut partial = suspended.clone();
    partial.proof.reads.retain(|e| e.key.0 != licence_key);
    out.push(reject(
        "reject-missing-read",
        "the licence record's proof left out",
        partial,
        "incomplete",
    ));
    let mut thin = certificate_of(&suspended);
    thin.qc.signatures.truncate(2);
    let mut two_signatures = suspended.clone();
    two_signatures.proof.certificate = Some(HexBytes(encode(&thin)));
    out.push(reject(
        "reject-two-signatures",
        "the certificate's QC cut to 2 of 4 signatures",
        two_signatures,
        "certificate",
    ));
    let mut outsider_cert = certificate_of(&suspended);
    let outsider = yrd_testkit::suite_signer(&[99; 32]);
    let digest = outsider_cert.qc.vote_data.signing_digest();
    outsider_cert.qc.signatures[0] = (outsider.public_key(), outsider.sign(&digest));
    outsider_cert.qc.signatures.sort_by_key(|s| s.0);
    let mut outsider_answer = suspended.clone();
    outsider_answer.proof.certificate = Some(HexBytes(encode(&outsider_cert)));
    out.push(reject(
        "reject-non-member-signer",
        "a signature by a key outside the validator set",
        outsider_answer,
        "certificate",
    ));
    let mut other_block = suspended.clone();
    other_block.proof.header = valid.proof.header.clone();
    other_block.proof.certificate = valid.proof.certificate.clone();
    out.push(reject(
        "reject-root-of-another-block",
        "a genuinely certified header that attests another state",
        other_block,
        "root-not-attested",
    ));

    // An answer certified in epoch 1 after a validator-set change, and a stale-epoch one.
    let (version, root) = (suspended.proof.version, suspended.proof.state_root);
    let old_seeds: Vec<[u8; 32]> = (20u8..24).map(|i| [i; 32]).collect();
    let new_seeds: Vec<[u8; 32]> = (40u8..44).map(|i| [i; 32]).collect();
    let new_keys: Vec<_> = new_seeds
        .iter()
        .map(|s| yrd_testkit::suite_signer(s).public_key())
        .collect();
    let mut chain = Certifier::new(&spec.consensus, &old_seeds);
    let (_, reconfiguration) = chain.certify_with(
        version,
        root,
        Some(ValidatorSet::equal_power(1, &new_keys).unwrap()),
    );
    chain.enter_epoch(1, &new_seeds);
    let (header, certificate): (BlockHeader, CommitCertificate) = chain.certify(version, root);
    let mut epoch_1 = suspended.clone();
    epoch_1.proof.header = HexBytes(encode(&header));
    epoch_1.proof.certificate = Some(HexBytes(encode(&certificate)));
    epoch_1.proof.epoch_changes = vec![HexBytes(encode(&reconfiguration))];
    out.push(accept(
        "epoch-1-licence-verify-suspended",
        "certified by the validators of epoch 1, with the epoch change from genesis",
        epoch_1.clone(),
    ));
    let mut skipped = epoch_1;
    skipped.proof.epoch_changes.clear();
    out.push(reject(
        "reject-epoch-change-missing",
        "the epoch-1 answer without its epoch change",
        skipped,
        "wrong-epoch",
    ));
    let mut stale = suspended;
    stale.proof.epoch_changes = vec![HexBytes(encode(&reconfiguration))];
    out.push(reject(
        "reject-stale-epoch",
        "an epoch-0 header presented after the set moved to epoch 1",
        stale,
        "wrong-epoch",
    ));
    (spec, out)
}

fn pretty(value: &impl serde::Serialize) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text
}

#[tokio::test]
async fn proof_vectors_in_docs_are_current_and_hold() {
    within(async {
        let (spec, vectors) = build_vectors().await;
        let dir = vectors_dir();
        let mut expected = Vec::new();
        for vector in &vectors {
            let outcome = match vector.reject {
                None => {
                    let verified = verify_answer(&spec, &vector.answer)
                        .unwrap_or_else(|e| panic!("{}: {e}", vector.file));
                    json!({ "file": vector.file, "about": vector.about, "expect": "accept",
                            "verdict": describe(&verified) })
                }
                Some(check) => {
                    json!({ "file": vector.file, "about": vector.about, "expect": "reject",
                            "check": check })
                }
            };
            expected.push(outcome);
        }
        let files: Vec<(String, String)> =
            std::iter::once(("genesis.json".to_owned(), pretty(&spec.genesis)))
                .chain(vectors.iter().map(|v| (v.file.clone(), pretty(&v.answer))))
                .chain(std::iter::once((
                    "expected.json".to_owned(),
                    pretty(&json!({ "genesis": "genesis.json", "vectors": expected })),
                )))
                .collect();
        if std::env::var_os("YRD_WRITE_VECTORS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            for (name, text) in &files {
                std::fs::write(dir.join(name), text).unwrap();
            }
        }
        for (name, text) in &files {
            let on_disk = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
            assert!(
                on_disk == *text,
                "{} is out of date: run this test with YRD_WRITE_VECTORS=1 and review the diff",
                dir.join(name).display()
            );
        }

        // What a third party does: load the files and check each outcome.
        let spec = ChainSpec::load(&dir.join("genesis.json")).unwrap();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap())
                .unwrap();
        for entry in expected["vectors"].as_array().unwrap() {
            let file = entry["file"].as_str().unwrap();
            let answer: ProvenAnswer =
                serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
            match (
                entry["expect"].as_str().unwrap(),
                verify_answer(&spec, &answer),
            ) {
                ("accept", Ok(verified)) => {
                    assert_eq!(json!(describe(&verified)), entry["verdict"], "{file}")
                }
                ("reject", Err(error)) => {
                    assert_eq!(error.check(), entry["check"], "{file}: {error}")
                }
                (expect, outcome) => panic!("{file}: expected {expect}, got {outcome:?}"),
            }
        }
    })
    .await;
}
