//! Licence-type catalogue, recognition policies, document timestamps, verifier registration, and
//! how data classes shape what `licence_verify` discloses.

mod common;

use common::*;
use yrd_contracts::limits::MAX_TYPE_NAME_BYTES;
use yrd_contracts::query::{self, Disclosure, RecognitionBasis};
use yrd_contracts::records::LicenceStatus;
use yrd_contracts::tx::{DeclareRecognition, LicenceTypeSpec, RecognitionCondition, SubjectKind};
use yrd_contracts::{DataClass, LicenceTypeCode, ProvinceCode, TxError, TxPayload};

fn declare(
    code: &LicenceTypeCode,
    issuing: ProvinceCode,
    condition: Option<RecognitionCondition>,
) -> TxPayload {
    TxPayload::DeclareRecognition(DeclareRecognition {
        licence_type: code.clone(),
        issuing_province: issuing,
        condition,
    })
}

#[test]
fn catalogue_register_and_update() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let view = query::licence_type_get(&chain.state.snapshot(), &code)
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.owner, view.data_class),
        (ProvinceCode::SHANGHAI, DataClass::Unconditional)
    );
    assert_eq!(
        chain
            .run(
                &sh,
                TxPayload::RegisterLicenceType(type_spec(&code, DataClass::NonOpen))
            )
            .unwrap_err()
            .code(),
        401
    );
    // Only the registering province updates it.
    assert_eq!(
        chain.run(
            &authority(ProvinceCode::ZHEJIANG),
            TxPayload::UpdateLicenceType(type_spec(&code, DataClass::NonOpen))
        ),
        Err(TxError::NotTypeOwner {
            licence_type: "BL01".into(),
            owner: ProvinceCode::SHANGHAI
        })
    );
    chain
        .run(
            &sh,
            TxPayload::UpdateLicenceType(type_spec(&code, DataClass::NonOpen)),
        )
        .unwrap();
    let view = query::licence_type_get(&chain.state.snapshot(), &code)
        .unwrap()
        .unwrap();
    assert_eq!(view.data_class, DataClass::NonOpen);
    // A key with no role cannot register types (refused before its nonce is spent); unknown
    // types cannot be updated.
    assert_eq!(
        chain
            .run(
                &key(90),
                TxPayload::RegisterLicenceType(type_spec(
                    &LicenceTypeCode("X1".into()),
                    DataClass::NonOpen
                ))
            )
            .unwrap_err()
            .code(),
        109
    );
    assert_eq!(
        chain
            .run(
                &sh,
                TxPayload::UpdateLicenceType(type_spec(
                    &LicenceTypeCode("X1".into()),
                    DataClass::NonOpen
                ))
            )
            .unwrap_err()
            .code(),
        400
    );
    // Name length at and over its limit, blank names.
    let named = |name: String| {
        TxPayload::RegisterLicenceType(LicenceTypeSpec {
            code: LicenceTypeCode("N1".into()),
            name,
            schema_digest: [0; 32],
            data_class: DataClass::Conditional,
            on_issuer_revoked: Default::default(),
        })
    };
    assert_eq!(
        chain.run(&sh, named("证".repeat(MAX_TYPE_NAME_BYTES / 3 + 1))),
        Err(TxError::FieldTooLong {
            field: "name",
            len: (MAX_TYPE_NAME_BYTES / 3 + 1) * 3,
            max: MAX_TYPE_NAME_BYTES
        })
    );
    assert_eq!(chain.run(&sh, named("  ".into())).unwrap_err().code(), 200);
    assert_eq!(
        chain.run(&sh, named("a".repeat(MAX_TYPE_NAME_BYTES))),
        Ok(())
    );
}

#[test]
fn recognition_policies_and_their_verdicts() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let js = authority(ProvinceCode::JIANGSU);
    let c = [0xab; 32];
    chain
        .run(
            &issuer,
            anchor(c, &code, GENESIS_TIME_MS, GENESIS_TIME_MS + 40 * DAY_MS),
        )
        .unwrap();
    let verdict = |chain: &Chain, region| {
        query::licence_verify(
            &chain.state.snapshot(),
            &issuer_uscc(ProvinceCode::SHANGHAI, &issuer),
            &c,
            region,
            None,
        )
        .unwrap()
        .recognition
        .unwrap()
    };
    assert_eq!(
        verdict(&chain, ProvinceCode::SHANGHAI).basis,
        RecognitionBasis::HomeProvince
    );
    assert_eq!(
        verdict(&chain, ProvinceCode::JIANGSU).basis,
        RecognitionBasis::NoPolicy
    );
    assert!(!verdict(&chain, ProvinceCode::JIANGSU).recognised);

    chain
        .run(
            &js,
            declare(
                &code,
                ProvinceCode::SHANGHAI,
                Some(RecognitionCondition::MinRemainingValidityDays { days: 30 }),
            ),
        )
        .unwrap();
    assert_eq!(
        verdict(&chain, ProvinceCode::JIANGSU).basis,
        RecognitionBasis::Policy
    );
    // Zhejiang has no policy; Jiangsu's does not apply to it.
    assert_eq!(
        verdict(&chain, ProvinceCode::ZHEJIANG).basis,
        RecognitionBasis::NoPolicy
    );
    // 15 days later, fewer than 30 days remain.
    chain.advance_days(15);
    let v = verdict(&chain, ProvinceCode::JIANGSU);
    assert_eq!(
        (v.recognised, v.basis),
        (false, RecognitionBasis::ConditionNotMet)
    );
    // Re-declared without a condition: revision 2.
    chain
        .run(&js, declare(&code, ProvinceCode::SHANGHAI, None))
        .unwrap();
    let v = verdict(&chain, ProvinceCode::JIANGSU);
    assert_eq!((v.recognised, v.policy.unwrap().revision), (true, 2));
    chain
        .run(
            &js,
            TxPayload::WithdrawRecognition {
                licence_type: code.clone(),
                issuing_province: ProvinceCode::SHANGHAI,
            },
        )
        .unwrap();
    assert_eq!(
        verdict(&chain, ProvinceCode::JIANGSU).basis,
        RecognitionBasis::PolicyWithdrawn
    );
    let policy = query::policy_get(
        &chain.state.snapshot(),
        ProvinceCode::JIANGSU,
        ProvinceCode::SHANGHAI,
        &code,
    )
    .unwrap()
    .unwrap();
    assert_eq!((policy.active, policy.revision), (false, 3));
    // Withdrawing twice, withdrawing nothing.
    let withdraw = TxPayload::WithdrawRecognition {
        licence_type: code.clone(),
        issuing_province: ProvinceCode::SHANGHAI,
    };
    assert_eq!(chain.run(&js, withdraw).unwrap_err().code(), 402);
    let withdraw = TxPayload::WithdrawRecognition {
        licence_type: code.clone(),
        issuing_province: ProvinceCode::ANHUI,
    };
    assert_eq!(chain.run(&js, withdraw).unwrap_err().code(), 400);

    // Refusals: own province, unknown type, non-member province, zero days, not an authority.
    assert_eq!(
        chain.run(&js, declare(&code, ProvinceCode::JIANGSU, None)),
        Err(TxError::SelfRecognition {
            province: ProvinceCode::JIANGSU
        })
    );
    assert_eq!(
        chain
            .run(
                &js,
                declare(&LicenceTypeCode("ZZ".into()), ProvinceCode::SHANGHAI, None)
            )
            .unwrap_err()
            .code(),
        400
    );
    assert_eq!(
        chain
            .run(&js, declare(&code, ProvinceCode(370_000), None))
            .unwrap_err()
            .code(),
        400
    );
    let zero = Some(RecognitionCondition::MinRemainingValidityDays { days: 0 });
    assert_eq!(
        chain
            .run(&js, declare(&code, ProvinceCode::SHANGHAI, zero))
            .unwrap_err()
            .code(),
        203
    );
    assert_eq!(
        chain
            .run(&issuer, declare(&code, ProvinceCode::SHANGHAI, None))
            .unwrap_err()
            .code(),
        300
    );
}

#[test]
fn timestamps_by_registered_parties_only() {
    let (mut chain, issuer, _) = shanghai_issuer_chain();
    let stamp = |digest: [u8; 32], acting_did| TxPayload::TimestampDocument { digest, acting_did };
    let sh = authority(ProvinceCode::SHANGHAI);
    chain.run(&sh, stamp([1; 32], None)).unwrap();
    chain.run(&issuer, stamp([1; 32], None)).unwrap();
    let view = query::timestamp_get(&chain.state.snapshot(), &[1; 32], &pk(&issuer))
        .unwrap()
        .unwrap();
    assert_eq!(view.block_time_ms, chain.time_ms);
    // The same digest by the same signer twice.
    assert_eq!(
        chain.run(&issuer, stamp([1; 32], None)).unwrap_err().code(),
        401
    );
    // An unregistered key: it has no role at all, so it is refused before its nonce is spent.
    let stranger = key(91);
    assert_eq!(
        chain.run(&stranger, stamp([2; 32], None)),
        Err(TxError::UnregisteredSigner {
            signer: pk(&stranger)
        })
    );
    // A pilot firm acting for its DID.
    let firm = key(92);
    let did = chain.create_did(ProvinceCode::ZHEJIANG, &firm, SubjectKind::Organisation);
    chain.run(&firm, stamp([2; 32], Some(did))).unwrap();
    assert_eq!(
        query::timestamp_get(&chain.state.snapshot(), &[2; 32], &pk(&firm))
            .unwrap()
            .unwrap()
            .acting_did,
        Some(did)
    );
    // Someone naming a DID it does not control has no role either.
    assert_eq!(
        chain
            .run(&stranger, stamp([3; 32], Some(did)))
            .unwrap_err()
            .code(),
        109
    );
    // A suspended issuer is no longer a registered party.
    chain
        .run(
            &sh,
            TxPayload::SuspendIssuer {
                issuer: pk(&issuer),
                reason: yrd_contracts::tx::StatusReason::Unspecified,
            },
        )
        .unwrap();
    // A suspended issuer is refused as such.
    assert_eq!(
        chain.run(&issuer, stamp([4; 32], None)).unwrap_err().code(),
        303
    );
}

#[test]
fn verifier_registration() {
    let mut chain = Chain::new();
    let js = authority(ProvinceCode::JIANGSU);
    let window = key(93);
    let did = chain.create_did(ProvinceCode::JIANGSU, &window, SubjectKind::Verifier);
    chain
        .run(&js, TxPayload::RegisterVerifier { verifier: did })
        .unwrap();
    assert_eq!(
        chain
            .run(&js, TxPayload::RegisterVerifier { verifier: did })
            .unwrap_err()
            .code(),
        401
    );
    // The verifier's own key controls only its DID: no role for a registration.
    assert_eq!(
        chain
            .run(&window, TxPayload::RegisterVerifier { verifier: did })
            .unwrap_err()
            .code(),
        109
    );
    // Anhui has no registration of its own to remove; Jiangsu's is out of its reach.
    assert_eq!(
        chain
            .run(
                &authority(ProvinceCode::ANHUI),
                TxPayload::DeregisterVerifier { verifier: did }
            )
            .unwrap_err()
            .code(),
        400
    );
    chain
        .run(&js, TxPayload::DeregisterVerifier { verifier: did })
        .unwrap();
    assert!(
        !query::verifier_get(&chain.state.snapshot(), ProvinceCode::JIANGSU, &did)
            .unwrap()
            .unwrap()
            .active
    );
    assert_eq!(
        chain
            .run(&js, TxPayload::DeregisterVerifier { verifier: did })
            .unwrap_err()
            .code(),
        400
    );
    // Another province registers it for its own data; Jiangsu's registration stays withdrawn.
    chain
        .run(
            &authority(ProvinceCode::ANHUI),
            TxPayload::RegisterVerifier { verifier: did },
        )
        .unwrap();
    assert_eq!(
        query::verifier_get(&chain.state.snapshot(), ProvinceCode::ANHUI, &did)
            .unwrap()
            .unwrap()
            .registrar,
        ProvinceCode::ANHUI
    );
    assert!(
        !query::verifier_get(&chain.state.snapshot(), ProvinceCode::JIANGSU, &did)
            .unwrap()
            .unwrap()
            .active
    );
    assert_eq!(
        chain
            .run(
                &js,
                TxPayload::RegisterVerifier {
                    verifier: yrd_contracts::DidId([8; 16])
                }
            )
            .unwrap_err()
            .code(),
        400
    );
}

#[test]
fn data_classes_shape_disclosure() {
    let mut chain = Chain::new();
    let open = chain.register_type("OPEN", DataClass::Unconditional);
    let conditional = chain.register_type("COND", DataClass::Conditional);
    let closed = chain.register_type("SHUT", DataClass::NonOpen);
    let issuer = key(21);
    let mut types = vec![open.clone(), conditional.clone(), closed.clone()];
    types.sort();
    chain.accredit(ProvinceCode::SHANGHAI, &issuer, &types);
    let window = key(94);
    let registered = chain.create_did(ProvinceCode::JIANGSU, &window, SubjectKind::Verifier);
    // Registered by the licences' province (Shanghai): only its registration opens its data.
    chain
        .run(
            &authority(ProvinceCode::SHANGHAI),
            TxPayload::RegisterVerifier {
                verifier: registered,
            },
        )
        .unwrap();
    let unregistered = chain.create_did(ProvinceCode::JIANGSU, &key(95), SubjectKind::Verifier);
    for (n, code) in [(1u8, &open), (2, &conditional), (3, &closed)] {
        chain
            .run(&issuer, anchor([n; 32], code, 0, u64::MAX))
            .unwrap();
    }
    let ask = |chain: &Chain, n: u8, who| {
        query::licence_verify(
            &chain.state.snapshot(),
            &issuer_uscc(ProvinceCode::SHANGHAI, &issuer),
            &[n; 32],
            ProvinceCode::JIANGSU,
            who,
        )
        .unwrap()
    };
    for who in [None, Some(&unregistered), Some(&registered)] {
        assert_eq!(ask(&chain, 1, who).disclosure, Disclosure::Full);
    }
    let anon = ask(&chain, 2, Some(&unregistered));
    assert_eq!(
        (anon.disclosure, anon.valid, anon.status.is_none()),
        (Disclosure::ValidityOnly, Some(true), true)
    );
    assert_eq!(
        ask(&chain, 2, Some(&registered)).disclosure,
        Disclosure::Full
    );
    let denied = ask(&chain, 3, None);
    assert_eq!(
        (denied.disclosure, denied.valid, denied.status),
        (Disclosure::Denied, None, None)
    );
    let status_only = ask(&chain, 3, Some(&registered));
    assert_eq!(status_only.disclosure, Disclosure::StatusOnly);
    assert_eq!(
        (
            status_only.status,
            status_only.valid,
            status_only.details.is_none()
        ),
        (Some(LicenceStatus::Active), None, true)
    );
    // History follows the same rule.
    assert!(
        query::licence_history(
            &chain.state.snapshot(),
            &issuer_uscc(ProvinceCode::SHANGHAI, &issuer),
            &[2; 32],
            None
        )
        .unwrap()
        .is_none()
    );
    assert!(
        query::licence_history(
            &chain.state.snapshot(),
            &issuer_uscc(ProvinceCode::SHANGHAI, &issuer),
            &[2; 32],
            Some(&registered)
        )
        .unwrap()
        .is_some()
    );
    // A deactivated verifier DID loses its access.
    chain
        .run(&window, TxPayload::DidDeactivate { did: registered })
        .unwrap();
    assert_eq!(
        ask(&chain, 2, Some(&registered)).disclosure,
        Disclosure::ValidityOnly
    );
    // Unknown commitments.
    assert_eq!(ask(&chain, 9, None).disclosure, Disclosure::NotFound);
}
