//! The whole story: genesis → accredit a Shanghai issuer → register a type → anchor → Jiangsu
//! recognises it → a Jiangsu verifier gets "valid and recognised" → revoke → "revoked".

mod common;

use common::*;
use yrd_contracts::licence_id;
use yrd_contracts::query::{self, Disclosure, RecognitionBasis};
use yrd_contracts::records::LicenceStatus;
use yrd_contracts::tx::{DeclareRecognition, StatusReason, SubjectKind};
use yrd_contracts::{DataClass, ProvinceCode, TxPayload};

#[test]
fn shanghai_licence_recognised_in_jiangsu_then_revoked() {
    let mut chain = Chain::new();
    let jiangsu = authority(ProvinceCode::JIANGSU);

    // Accredit a Shanghai issuer (its DID first), for a type registered in the catalogue.
    // Conditional class, so the verifier's registration matters.
    // A GB/T 36902 type code (the defining authority's USCC and a sequence number).
    let code = chain.register_type("11100000000013338W009", DataClass::Conditional);
    let issuer = key(21);
    let issuer_did = chain.accredit(ProvinceCode::SHANGHAI, &issuer, std::slice::from_ref(&code));
    let uscc = issuer_uscc(ProvinceCode::SHANGHAI, &issuer);
    let view = query::issuer_get(&chain.state.snapshot(), &pk(&issuer))
        .unwrap()
        .unwrap();
    assert_eq!(view.province, ProvinceCode::SHANGHAI);
    assert_eq!(view.did, issuer_did);

    // Anchor a licence valid for a year: only the salted commitment of its GB/T 36904 identifier
    // reaches the ledger; the salt travels with the licence.
    let id = licence_id::parse(
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    )
    .unwrap();
    assert_eq!(id.type_code().as_str(), code.0);
    let salt = [0x5a; 32];
    let commitment = licence_id::licence_commitment(&id, &salt);
    let from = GENESIS_TIME_MS;
    let until = GENESIS_TIME_MS + 365 * DAY_MS;
    chain
        .run(&issuer, anchor(commitment, &code, from, until))
        .unwrap();

    // Jiangsu recognises BL01 from Shanghai if at least 30 days of validity remain.
    chain
        .run(
            &jiangsu,
            TxPayload::DeclareRecognition(DeclareRecognition {
                licence_type: code.clone(),
                issuing_province: ProvinceCode::SHANGHAI,
                condition: Some(
                    yrd_contracts::tx::RecognitionCondition::MinRemainingValidityDays { days: 30 },
                ),
            }),
        )
        .unwrap();

    // Jiangsu registers a verifier (a service window with its own DID).
    let window_key = key(31);
    let window_did = chain.create_did(ProvinceCode::JIANGSU, &window_key, SubjectKind::Verifier);
    chain
        .run(
            &jiangsu,
            TxPayload::RegisterVerifier {
                verifier: window_did,
            },
        )
        .unwrap();
    // Registration is per province: the licence is Shanghai's conditional data, so Shanghai must
    // register the window too before it sees details.
    let before = query::licence_verify(
        &chain.state.snapshot(),
        &uscc,
        &commitment,
        ProvinceCode::JIANGSU,
        Some(&window_did),
    )
    .unwrap();
    assert_eq!(before.disclosure, Disclosure::ValidityOnly);
    chain
        .run(
            &authority(ProvinceCode::SHANGHAI),
            TxPayload::RegisterVerifier {
                verifier: window_did,
            },
        )
        .unwrap();

    // The Jiangsu verifier: valid and recognised, under Jiangsu's policy.
    let answer = query::licence_verify(
        &chain.state.snapshot(),
        &uscc,
        &commitment,
        ProvinceCode::JIANGSU,
        Some(&window_did),
    )
    .unwrap();
    assert_eq!(answer.disclosure, Disclosure::Full);
    assert_eq!(answer.valid, Some(true));
    assert_eq!(answer.status, Some(LicenceStatus::Active));
    let recognition = answer.recognition.clone().unwrap();
    assert!(recognition.recognised);
    assert_eq!(recognition.basis, RecognitionBasis::Policy);
    let policy = recognition.policy.unwrap();
    assert_eq!(
        (policy.recognising, policy.issuing),
        (ProvinceCode::JIANGSU, ProvinceCode::SHANGHAI)
    );
    let details = answer.details.clone().unwrap();
    assert_eq!(details.issuer.did, Some(issuer_did));
    assert_eq!(details.licence_type, code);
    assert_eq!(
        (details.valid_from_ms, details.valid_until_ms),
        (Some(from), Some(until))
    );

    // The JSON the RPC will return is camelCase.
    let json = serde_json::to_value(&answer).unwrap();
    assert_eq!(json["recognition"]["basis"], "policy");
    assert_eq!(json["details"]["validUntilMs"], until);

    // An unregistered caller learns only valid/invalid.
    let anonymous = query::licence_verify(
        &chain.state.snapshot(),
        &uscc,
        &commitment,
        ProvinceCode::JIANGSU,
        None,
    )
    .unwrap();
    assert_eq!(anonymous.disclosure, Disclosure::ValidityOnly);
    assert_eq!(anonymous.valid, Some(true));
    assert!(
        anonymous.details.is_none()
            && anonymous.recognition.is_none()
            && anonymous.status.is_none()
    );

    // Revoke: the verifier now gets "revoked".
    chain
        .run(
            &issuer,
            TxPayload::RevokeLicence(status_change(&uscc, commitment, StatusReason::Fraud)),
        )
        .unwrap();
    let answer = query::licence_verify(
        &chain.state.snapshot(),
        &uscc,
        &commitment,
        ProvinceCode::JIANGSU,
        Some(&window_did),
    )
    .unwrap();
    assert_eq!(answer.status, Some(LicenceStatus::Revoked));
    assert_eq!(answer.valid, Some(false));

    // The history keeps both events, with the reason.
    let history = query::licence_history(
        &chain.state.snapshot(),
        &uscc,
        &commitment,
        Some(&window_did),
    )
    .unwrap()
    .unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1].reason, StatusReason::Fraud);

    // Older state versions still answer "valid": every version is kept.
    let before_revoke = chain.state.snapshot_at(chain.state.version() - 1);
    let old = query::licence_verify(
        &before_revoke,
        &uscc,
        &commitment,
        ProvinceCode::JIANGSU,
        Some(&window_did),
    )
    .unwrap();
    assert_eq!(old.valid, Some(true));
}
