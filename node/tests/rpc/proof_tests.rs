//! Verifiable reads: every read method with `"proof": true`, checked by the offline verifier
//! against the genesis alone, and every kind of tampering refused with its own error.

use serde_json::{Value, json};
use yrd_consensus::types::{BlockHeader, ValidatorSet};
use yrd_consensus::{CertError, CommitCertificate, Ed25519Signer, Signer};
use yrd_contracts::batch::BatchTree;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::keys;
use yrd_contracts::records::{LicenceRecord, LicenceStatus, LicenceTypeRecord};
use yrd_contracts::tx::{AnchorBatch, TxPayload};
use yrd_contracts::types::LicenceTypeCode;
use yrd_node::rpc::error::{ACCESS_RESTRICTED, NOT_FOUND};
use yrd_testkit::Certifier;
use yrd_verifier::query::Evaluation;
use yrd_verifier::verdict::{LicenceVerdict, describe};
use yrd_verifier::{HexBytes, ProvenAnswer, VerifyError, verify_answer};

use crate::fixture::{ISSUER_USCC, UNCONDITIONAL_TYPE, suspend};
use crate::{Harness, call_err, within};

const SHANGHAI: u32 = 310_000;
const JIANGSU: u32 = 320_000;
const ANHUI: u32 = 340_000;

fn answer(value: Value) -> ProvenAnswer {
    serde_json::from_value(value).expect("a verifiable answer envelope")
}

async fn proven(h: &Harness, method: &str, mut params: Value) -> ProvenAnswer {
    params["proof"] = json!(true);
    answer(h.call(method, params).await.unwrap())
}

fn licence_verdict(verified: &yrd_verifier::VerifiedAnswer) -> LicenceVerdict {
    let Evaluation::Found(value) = &verified.evaluation else {
        panic!("licence_verify always answers");
    };
    LicenceVerdict::of(&serde_json::from_value(value.clone()).unwrap())
}

#[tokio::test]
async fn every_read_method_proves_its_plain_answer() {
    within(async {
        let h = Harness::start().await;
        let f = &h.fixture;
        let cases = [
            (
                "licence_verify",
                json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(f.unconditional), "region": JIANGSU }),
            ),
            ("licence_get", json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(f.unconditional) })),
            ("licence_getHistory", json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(f.unconditional) })),
            ("did_resolve", json!({ "did": f.issuer_did.to_string() })),
            ("did_resolve", json!({ "did": f.firm_did.to_string(), "versionId": 1 })),
            ("issuer_get", json!({ "key": hex::encode(f.issuer.verifying_key().to_bytes()) })),
            ("licenceType_get", json!({ "code": UNCONDITIONAL_TYPE })),
            (
                "policy_get",
                json!({ "recognising": JIANGSU, "issuing": SHANGHAI, "licenceType": UNCONDITIONAL_TYPE }),
            ),
        ];
        for (method, params) in cases {
            let plain = h.call(method, params.clone()).await.unwrap();
            let answer = proven(&h, method, params).await;
            assert_eq!(answer.query.method(), method);
            assert_eq!(answer.value, plain, "{method}: proven value differs from the plain one");
            let verified = verify_answer(&h.fixture.node.spec, &answer)
                .unwrap_or_else(|e| panic!("{method}: honest answer refused: {e}"));
            assert_eq!(verified.evaluation, Evaluation::Found(plain), "{method}");
            assert!(!answer.proof.reads.is_empty(), "{method} read nothing");
            assert!(answer.proof.certificate.is_some());
        }

        // The generic read: the raw record bytes under a key (one outside the licence tables).
        let code = LicenceTypeCode(UNCONDITIONAL_TYPE.into());
        let key = keys::licence_type(&code);
        let answer = answer(
            h.call("state_getProof", json!({ "key": hex::encode(&key) }))
                .await
                .unwrap(),
        );
        let verified = verify_answer(&h.fixture.node.spec, &answer).unwrap();
        let Evaluation::Found(Value::String(bytes)) = verified.evaluation else {
            panic!("the licence type record is present");
        };
        let record: LicenceTypeRecord = decode_canonical(&hex::decode(bytes).unwrap()).unwrap();
        assert_eq!(record.code, code);
    })
    .await;
}

/// Attack: read a licence record, its history or a batch record of a restricted type through the
/// generic `state_getProof`, bypassing the data class that `licence_verify` applies. Refused for
/// every licence-table key, present or absent, with one message that names the right methods.
#[tokio::test]
async fn state_get_proof_refuses_licence_keys() {
    within(async {
        let h = Harness::start().await;
        let f = &h.fixture;
        let uscc = crate::fixture::issuer_uscc();
        let refused = [
            keys::licence(&uscc, &f.non_open),
            keys::licence(&uscc, &f.conditional),
            keys::licence(&uscc, &f.unconditional),
            keys::licence(&uscc, &[0x55; 32]),
            keys::licence_history(&uscc, &f.non_open, 0),
            keys::licence_history(&uscc, &[0x55; 32], 0),
            keys::batch(&uscc, &[0x77; 32]),
            keys::licence_part(&uscc, &f.non_open, keys::LicencePart::Gate),
            keys::licence_part(&uscc, &f.non_open, keys::LicencePart::Status),
            keys::licence_part(&uscc, &f.conditional, keys::LicencePart::Validity),
            vec![keys::table::LICENCE],
        ];
        let mut messages = Vec::new();
        for key in refused {
            let error = call_err(
                h.addr,
                "state_getProof",
                json!({ "key": hex::encode(&key) }),
            )
            .await;
            assert_eq!(error.code(), ACCESS_RESTRICTED, "{}", hex::encode(&key));
            assert!(error.data().is_none());
            messages.push(error.message().to_owned());
        }
        messages.dedup();
        assert_eq!(
            messages.len(),
            1,
            "one message whatever the key: {messages:?}"
        );
        assert!(messages[0].contains("licence_verify"), "{}", messages[0]);
        // Other tables are still served, including the per-type data-class history.
        for key in [
            keys::issuer_by_uscc(&uscc),
            keys::data_class_history(&LicenceTypeCode(UNCONDITIONAL_TYPE.into())),
        ] {
            let answer = answer(
                h.call("state_getProof", json!({ "key": hex::encode(&key) }))
                    .await
                    .unwrap(),
            );
            verify_answer(&f.node.spec, &answer).unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn recognition_and_revocation_are_proven_not_asserted() {
    within(async {
        let mut h = Harness::start().await;
        let spec = h.fixture.node.spec.clone();
        let commitment = h.fixture.unconditional;
        let ask = |region: u32| json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(commitment), "region": region });
        let jiangsu =
            verify_answer(&spec, &proven(&h, "licence_verify", ask(JIANGSU)).await).unwrap();
        assert_eq!(licence_verdict(&jiangsu), LicenceVerdict::Valid);
        let lines = describe(&jiangsu).join("\n");
        assert!(lines.contains("recognised in region 320000"), "{lines}");
        let anhui = verify_answer(&spec, &proven(&h, "licence_verify", ask(ANHUI)).await).unwrap();
        assert!(
            describe(&anhui)
                .join("\n")
                .contains("not recognised in region 340000")
        );

        let tx = h.fixture.issuer_tx(suspend(commitment));
        h.fixture.node.commit(&[tx]);
        let suspended =
            verify_answer(&spec, &proven(&h, "licence_verify", ask(JIANGSU)).await).unwrap();
        assert_eq!(licence_verdict(&suspended), LicenceVerdict::Suspended);

        let unknown = json!({ "issuer": ISSUER_USCC, "commitment": hex::encode([0x77; 32]), "region": JIANGSU });
        let never = verify_answer(&spec, &proven(&h, "licence_verify", unknown).await).unwrap();
        assert_eq!(licence_verdict(&never), LicenceVerdict::NeverAnchored);
    })
    .await;
}

#[tokio::test]
async fn not_found_is_a_proof_of_absence_and_restricted_stays_an_error() {
    within(async {
        let h = Harness::start().await;
        let f = &h.fixture;
        let absent = [
            ("licence_get", json!({ "issuer": ISSUER_USCC, "commitment": hex::encode([0x55; 32]) })),
            ("issuer_get", json!({ "key": hex::encode([0x66; 32]) })),
            ("licenceType_get", json!({ "code": "ZZ9" })),
            (
                "policy_get",
                json!({ "recognising": ANHUI, "issuing": SHANGHAI, "licenceType": UNCONDITIONAL_TYPE }),
            ),
            ("did_resolve", json!({ "did": f.issuer_did.to_string(), "versionId": 9 })),
        ];
        for (method, params) in absent {
            assert_eq!(call_err(h.addr, method, params.clone()).await.code(), NOT_FOUND, "{method}");
            let answer = proven(&h, method, params).await;
            assert_eq!(answer.value, Value::Null, "{method}");
            let verified = verify_answer(&f.node.spec, &answer).unwrap();
            assert_eq!(verified.evaluation, Evaluation::NotFound, "{method}");
        }
        let state = answer(
            h.call("state_getProof", json!({ "key": hex::encode(b"no such key") }))
                .await
                .unwrap(),
        );
        assert_eq!(state.value, Value::Null);
        assert_eq!(
            verify_answer(&f.node.spec, &state).unwrap().evaluation,
            Evaluation::NotFound
        );
        // A non-open licence to an anonymous caller: refused, with or without a proof.
        let error = call_err(
            h.addr,
            "licence_get",
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(f.non_open), "proof": true }),
        )
        .await;
        assert_eq!(error.code(), ACCESS_RESTRICTED);
    })
    .await;
}

/// Attack: ask for a proof of a licence whose data class withholds its record, and read the
/// record out of the proof's reads. The reads follow the disclosure: the gate leaf alone for a
/// caller who may learn nothing, the gate, status and validity leaves for valid / invalid only,
/// and the whole record only under full disclosure. Each answer still verifies.
#[tokio::test]
async fn restricted_answers_prove_only_the_disclosed_leaves() {
    within(async {
        let h = Harness::start().await;
        let f = &h.fixture;
        let uscc = crate::fixture::issuer_uscc();
        let part = |c: &[u8; 32], p| keys::licence_part(&uscc, c, p);
        let cases = [
            (f.non_open, "denied", vec![part(&f.non_open, keys::LicencePart::Gate)]),
            (
                f.conditional,
                "validityOnly",
                vec![
                    part(&f.conditional, keys::LicencePart::Gate),
                    part(&f.conditional, keys::LicencePart::Status),
                    part(&f.conditional, keys::LicencePart::Validity),
                ],
            ),
            (
                f.unconditional,
                "full",
                vec![
                    part(&f.unconditional, keys::LicencePart::Gate),
                    keys::licence(&uscc, &f.unconditional),
                ],
            ),
        ];
        for (commitment, disclosure, expected) in cases {
            let answer = proven(
                &h,
                "licence_verify",
                json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(commitment), "region": SHANGHAI }),
            )
            .await;
            assert_eq!(answer.value["disclosure"], disclosure);
            let mut opened: Vec<Vec<u8>> = answer
                .proof
                .reads
                .iter()
                .map(|read| read.key.0.clone())
                .filter(|key| key.first() == Some(&keys::table::LICENCE))
                .collect();
            opened.sort();
            let mut expected = expected;
            expected.sort();
            assert_eq!(opened, expected, "{disclosure}: licence leaves opened");
            verify_answer(&f.node.spec, &answer)
                .unwrap_or_else(|e| panic!("{disclosure}: honest answer refused: {e}"));
        }
    })
    .await;
}

/// A licence_verify answer about a suspended licence, and the harness.
async fn suspended_answer() -> (Harness, ProvenAnswer) {
    let mut h = Harness::start().await;
    let tx = h.fixture.issuer_tx(suspend(h.fixture.unconditional));
    h.fixture.node.commit(&[tx]);
    let params = json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(h.fixture.unconditional), "region": JIANGSU });
    let answer = proven(&h, "licence_verify", params).await;
    (h, answer)
}

fn certificate_of(answer: &ProvenAnswer) -> CommitCertificate {
    decode_canonical(&answer.proof.certificate.as_ref().unwrap().0).unwrap()
}

fn with_certificate(mut answer: ProvenAnswer, certificate: &CommitCertificate) -> ProvenAnswer {
    answer.proof.certificate = Some(HexBytes(encode(certificate)));
    answer
}

#[tokio::test]
async fn tampered_answers_are_refused_with_a_specific_error() {
    within(async {
        let (h, honest) = suspended_answer().await;
        let spec = &h.fixture.node.spec;
        verify_answer(spec, &honest).unwrap();

        // A Byzantine node reports the suspended licence as valid.
        let mut lie = honest.clone();
        lie.value["status"] = json!("active");
        lie.value["valid"] = json!(true);
        assert!(matches!(
            verify_answer(spec, &lie),
            Err(VerifyError::ValueMismatch { .. })
        ));

        // ... and forges the record behind it: the state proof no longer holds.
        let mut forged = lie.clone();
        let key = keys::licence(&crate::fixture::issuer_uscc(), &h.fixture.unconditional);
        let entry = forged
            .proof
            .reads
            .iter_mut()
            .find(|e| e.key.0 == key)
            .unwrap();
        let mut record: LicenceRecord = decode_canonical(&entry.value.as_ref().unwrap().0).unwrap();
        assert_eq!(record.status, LicenceStatus::Suspended);
        record.status = LicenceStatus::Active;
        entry.value = Some(HexBytes(encode(&record)));
        assert!(matches!(
            verify_answer(spec, &forged),
            Err(VerifyError::StateProof(_))
        ));

        // A read left out.
        let mut partial = honest.clone();
        partial.proof.reads.retain(|e| e.key.0 != key);
        assert!(matches!(
            verify_answer(spec, &partial),
            Err(VerifyError::Incomplete(_))
        ));

        // One of four signatures removed still leaves a quorum of three; two removed do not.
        let mut certificate = certificate_of(&honest);
        certificate.qc.signatures.pop();
        verify_answer(spec, &with_certificate(honest.clone(), &certificate)).unwrap();
        certificate.qc.signatures.pop();
        assert!(matches!(
            verify_answer(spec, &with_certificate(honest.clone(), &certificate)),
            Err(VerifyError::Certificate(
                CertError::InsufficientPower { .. }
            ))
        ));

        // A signer outside the validator set, with a genuine signature of its own.
        let mut certificate = certificate_of(&honest);
        let outsider = Ed25519Signer::from_secret_bytes(&[99; 32]);
        let digest = certificate.qc.vote_data.signing_digest();
        certificate.qc.signatures[0] = (outsider.public_key(), outsider.sign(&digest));
        certificate.qc.signatures.sort_by_key(|a| a.0);
        assert!(matches!(
            verify_answer(spec, &with_certificate(honest.clone(), &certificate)),
            Err(VerifyError::Certificate(CertError::UnknownSigner { .. }))
        ));

        // A header altered to attest another root: its id no longer matches the certificate.
        let mut altered = honest.clone();
        let mut header: BlockHeader = decode_canonical(&altered.proof.header.0).unwrap();
        header.executed.state_root = [0xee; 32];
        altered.proof.header = HexBytes(encode(&header));
        altered.proof.state_root = [0xee; 32];
        assert!(matches!(
            verify_answer(spec, &altered),
            Err(VerifyError::Certificate(CertError::WrongBlock { .. }))
        ));

        // The proof's root swapped for another, with the header unchanged.
        let mut swapped = honest.clone();
        swapped.proof.state_root = [0xee; 32];
        assert!(matches!(
            verify_answer(spec, &swapped),
            Err(VerifyError::RootNotAttested { .. })
        ));

        // A genuinely certified header of another block (attesting an older state).
        *h.fixture.node.anchor_version.lock().unwrap() = Some(honest.proof.version - 1);
        let params =
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(h.fixture.unconditional), "region": JIANGSU });
        let older = proven(&h, "licence_verify", params).await;
        verify_answer(spec, &older).unwrap();
        let mut mixed = honest.clone();
        mixed.proof.header = older.proof.header.clone();
        mixed.proof.certificate = older.proof.certificate.clone();
        assert!(matches!(
            verify_answer(spec, &mixed),
            Err(VerifyError::RootNotAttested { .. })
        ));

        // No certificate at all, for a header that is not the genesis header.
        let mut bare = honest.clone();
        bare.proof.certificate = None;
        assert!(matches!(
            verify_answer(spec, &bare),
            Err(VerifyError::MissingCertificate { .. })
        ));

        // Non-canonical bytes (a trailing byte) in the header.
        let mut trailing = honest.clone();
        trailing.proof.header.0.push(0);
        assert!(matches!(
            verify_answer(spec, &trailing),
            Err(VerifyError::Malformed { what: "header", .. })
        ));

        // Another format.
        let mut other = honest.clone();
        other.format = "yrd-answer/v0".into();
        assert!(matches!(
            verify_answer(spec, &other),
            Err(VerifyError::Format { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn epoch_changes_lead_from_genesis_to_the_certifying_set() {
    within(async {
        let (h, honest) = suspended_answer().await;
        let spec = &h.fixture.node.spec;
        let (version, root) = (honest.proof.version, honest.proof.state_root);
        let old_seeds: Vec<[u8; 32]> = (20u8..24).map(|i| [i; 32]).collect();
        let new_seeds: Vec<[u8; 32]> = (40u8..44).map(|i| [i; 32]).collect();
        let new_keys: Vec<_> = new_seeds
            .iter()
            .map(|s| Ed25519Signer::from_secret_bytes(s).public_key())
            .collect();
        let next_set = ValidatorSet::equal_power(1, &new_keys).unwrap();

        let mut chain = Certifier::new(&spec.consensus, &old_seeds);
        let (_, reconfiguration) = chain.certify_with(version, root, Some(next_set));
        chain.enter_epoch(1, &new_seeds);
        let (header, certificate) = chain.certify(version, root);
        let mut in_epoch_1 = with_certificate(honest.clone(), &certificate);
        in_epoch_1.proof.header = HexBytes(encode(&header));
        in_epoch_1.proof.epoch_changes = vec![HexBytes(encode(&reconfiguration))];
        let verified = verify_answer(spec, &in_epoch_1).unwrap();
        assert_eq!(verified.epoch, 1);

        // Without the epoch change, the new validators are strangers to a genesis-only verifier.
        let mut skipped = in_epoch_1.clone();
        skipped.proof.epoch_changes.clear();
        assert!(matches!(
            verify_answer(spec, &skipped),
            Err(VerifyError::WrongEpoch {
                header_epoch: 1,
                proven_epoch: 0
            })
        ));

        // A stale epoch: a header of epoch 0 presented after the set has moved on.
        let mut stale = honest.clone();
        stale.proof.epoch_changes = vec![HexBytes(encode(&reconfiguration))];
        assert!(matches!(
            verify_answer(spec, &stale),
            Err(VerifyError::WrongEpoch {
                header_epoch: 0,
                proven_epoch: 1
            })
        ));

        // An epoch change signed by the incoming validators instead of the outgoing ones.
        let mut rogue = Certifier::new(&spec.consensus, &new_seeds);
        let keys: Vec<_> = new_keys.clone();
        let (_, self_appointed) = rogue.certify_with(
            version,
            root,
            Some(ValidatorSet::equal_power(1, &keys).unwrap()),
        );
        let mut usurped = in_epoch_1.clone();
        usurped.proof.epoch_changes = vec![HexBytes(encode(&self_appointed))];
        assert!(matches!(
            verify_answer(spec, &usurped),
            Err(VerifyError::EpochChange(CertError::UnknownSigner { .. }))
        ));
    })
    .await;
}

#[tokio::test]
async fn a_batch_member_verifies_through_its_inclusion_proof() {
    within(async {
        let mut h = Harness::start().await;
        let leaves: Vec<[u8; 32]> = (0u8..5).map(|i| [0xb0 + i; 32]).collect();
        let tree = BatchTree::build(leaves.clone()).unwrap();
        let hex_leaves: Vec<String> = leaves.iter().map(hex::encode).collect();

        let signature = hex::encode(yrd_node::rpc::batch_leaves::sign_batch_leaves(
            &h.fixture.issuer,
            &h.fixture.chain,
            &crate::fixture::issuer_uscc(),
            &tree.root(),
            &leaves,
        ));
        // Leaves of a batch not anchored are refused.
        let error = call_err(
            h.addr,
            "batch_submitLeaves",
            json!({ "issuer": ISSUER_USCC, "leaves": hex_leaves, "signature": signature }),
        )
        .await;
        assert_eq!(error.code(), NOT_FOUND, "{}", error.message());

        let tx = h.fixture.issuer_tx(TxPayload::AnchorBatch(AnchorBatch {
            root: tree.root(),
            count: 5,
            licence_type: LicenceTypeCode(UNCONDITIONAL_TYPE.into()),
        }));
        h.fixture.node.commit(&[tx]);
        let kept = h
            .call(
                "batch_submitLeaves",
                json!({ "issuer": ISSUER_USCC, "leaves": hex_leaves, "signature": signature }),
            )
            .await
            .unwrap();
        assert_eq!(kept["root"], hex::encode(tree.root()));
        assert_eq!(kept["count"], 5);

        let member = leaves[3];
        let inclusion = h
            .call(
                "batch_getInclusionProof",
                json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(member) }),
            )
            .await
            .unwrap();
        assert_eq!(inclusion["root"], hex::encode(tree.root()));
        assert_eq!(inclusion["proof"]["index"], 3);

        let spec = &h.fixture.node.spec;
        let alone = json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(member), "region": JIANGSU });
        let verified = verify_answer(spec, &proven(&h, "licence_verify", alone).await).unwrap();
        assert_eq!(licence_verdict(&verified), LicenceVerdict::NeverAnchored);

        let batch = json!({ "root": inclusion["root"], "proof": inclusion["proof"] });
        let with_batch =
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(member), "region": JIANGSU, "batch": batch });
        let answer = proven(&h, "licence_verify", with_batch).await;
        let verified = verify_answer(spec, &answer).unwrap();
        assert_eq!(licence_verdict(&verified), LicenceVerdict::Valid);
        assert_eq!(
            answer.value["details"]["batchRoot"],
            hex::encode(tree.root())
        );

        // Another leaf's proof does not make a non-member valid.
        let stranger =
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode([0x42; 32]), "region": JIANGSU, "batch": batch });
        let verified = verify_answer(spec, &proven(&h, "licence_verify", stranger).await).unwrap();
        assert_eq!(licence_verdict(&verified), LicenceVerdict::NeverAnchored);

        let unknown = call_err(
            h.addr,
            "batch_getInclusionProof",
            json!({ "issuer": ISSUER_USCC, "commitment": hex::encode([0x42; 32]) }),
        )
        .await;
        assert_eq!(unknown.code(), NOT_FOUND);
    })
    .await;
}

/// `yrd verify --genesis --response`: exit 0 and "VERIFIED" for an honest answer (saved as the
/// whole JSON-RPC response), exit 1 and the failed check for a tampered one.
#[tokio::test]
async fn the_cli_checks_saved_answers_offline() {
    within(async {
        let (h, honest) = suspended_answer().await;
        let dir = tempfile::tempdir().unwrap();
        let genesis = dir.path().join("genesis.json");
        std::fs::write(
            &genesis,
            serde_json::to_string_pretty(&h.fixture.node.spec.genesis).unwrap(),
        )
        .unwrap();
        let response = json!({ "jsonrpc": "2.0", "id": 1, "result": honest });
        let good = dir.path().join("answer.json");
        std::fs::write(&good, response.to_string()).unwrap();
        let mut lie = honest.clone();
        lie.value["status"] = json!("active");
        let bad = dir.path().join("lie.json");
        std::fs::write(&bad, serde_json::to_string(&lie).unwrap()).unwrap();

        let run = |answer: &std::path::Path| {
            std::process::Command::new(env!("CARGO_BIN_EXE_yrd"))
                .args(["verify", "--genesis"])
                .arg(&genesis)
                .arg("--response")
                .arg(answer)
                .output()
                .unwrap()
        };
        let ok = run(&good);
        let stdout = String::from_utf8_lossy(&ok.stdout);
        assert!(
            ok.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        assert!(
            stdout.contains("VERIFIED") && stdout.contains("licence: suspended"),
            "{stdout}"
        );
        let refused = run(&bad);
        let stdout = String::from_utf8_lossy(&refused.stdout);
        assert_eq!(refused.status.code(), Some(1), "{stdout}");
        assert!(
            stdout.contains("NOT VERIFIED") && stdout.contains("differs"),
            "{stdout}"
        );
    })
    .await;
}
