//! Issuer accreditation: by the authority of the issuer's own province only.

mod common;

use common::*;
use yrd_contracts::query;
use yrd_contracts::records::IssuerStatus;
use yrd_contracts::tx::{AccreditIssuer, StatusReason, SubjectKind};
use yrd_contracts::{DataClass, DidId, LicenceTypeCode, ProvinceCode, TxError, TxPayload};

fn accredit_payload(issuer: [u8; 32], did: DidId, types: Vec<LicenceTypeCode>) -> TxPayload {
    TxPayload::AccreditIssuer(AccreditIssuer {
        issuer_key: issuer,
        issuer_did: did,
        uscc: uscc_for(ProvinceCode::SHANGHAI, &issuer),
        licence_types: types,
    })
}

#[test]
fn accredit_suspend_reaccredit_revoke() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let sh = authority(ProvinceCode::SHANGHAI);
    let view = query::issuer_get(&chain.state.snapshot(), &pk(&issuer))
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.status, view.licence_types.clone()),
        (IssuerStatus::Active, vec![code.clone()])
    );

    chain
        .run(
            &sh,
            TxPayload::SuspendIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::AdministrativeAction,
            },
        )
        .unwrap();
    let view = query::issuer_get(&chain.state.snapshot(), &pk(&issuer))
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.status, view.reason),
        (IssuerStatus::Suspended, StatusReason::AdministrativeAction)
    );
    // A suspended issuer cannot anchor.
    let err = chain
        .run(&issuer, anchor([1; 32], &code, 0, 1))
        .unwrap_err();
    assert_eq!(
        err,
        TxError::IssuerSuspended {
            issuer: pk(&issuer)
        }
    );
    // Suspending twice is an invalid transition.
    let again = chain.run(
        &sh,
        TxPayload::SuspendIssuer {
            issuer: pk(&issuer),
            reason: StatusReason::Unspecified,
        },
    );
    assert_eq!(again.unwrap_err().code(), 402);

    // Re-accreditation lifts the suspension (and replaces the type list).
    let second = chain.register_type("BL02", DataClass::Unconditional);
    let did = view.did;
    chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), did, vec![code.clone(), second.clone()]),
        )
        .unwrap();
    let view = query::issuer_get(&chain.state.snapshot(), &pk(&issuer))
        .unwrap()
        .unwrap();
    assert_eq!(
        (view.status, view.licence_types.len()),
        (IssuerStatus::Active, 2)
    );
    chain.run(&issuer, anchor([1; 32], &second, 0, 1)).unwrap();

    chain
        .run(
            &sh,
            TxPayload::RevokeIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::KeyCompromise,
            },
        )
        .unwrap();
    assert_eq!(
        chain.run(&issuer, anchor([2; 32], &code, 0, 1)),
        Err(TxError::IssuerRevoked {
            issuer: pk(&issuer)
        })
    );
    // Revoked is final.
    assert_eq!(
        chain
            .run(&sh, accredit_payload(pk(&issuer), did, vec![code]))
            .unwrap_err()
            .code(),
        402
    );
}

#[test]
fn only_the_issuers_own_province_acts() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let js = authority(ProvinceCode::JIANGSU);
    let did = query::issuer_get(&chain.state.snapshot(), &pk(&issuer))
        .unwrap()
        .unwrap()
        .did;
    let wrong = TxError::WrongProvince {
        signer: ProvinceCode::JIANGSU,
        target: ProvinceCode::SHANGHAI,
    };
    assert_eq!(
        chain.run(
            &js,
            TxPayload::SuspendIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::Unspecified
            }
        ),
        Err(wrong.clone())
    );
    assert_eq!(
        chain.run(
            &js,
            TxPayload::RevokeIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::Unspecified
            }
        ),
        Err(wrong.clone())
    );
    assert_eq!(
        chain.run(&js, accredit_payload(pk(&issuer), did, vec![code])),
        Err(wrong)
    );
    // Not an authority at all: a key with no role is refused before any rule of the kind.
    let err = chain.run(
        &key(70),
        TxPayload::SuspendIssuer {
            issuer: pk(&issuer),
            reason: StatusReason::Unspecified,
        },
    );
    assert_eq!(err.unwrap_err().code(), 109);
    // An issuer (a role, but not an authority) gets NotAuthority.
    let err = chain.run(
        &issuer,
        TxPayload::SuspendIssuer {
            issuer: pk(&issuer),
            reason: StatusReason::Unspecified,
        },
    );
    assert_eq!(err.unwrap_err().code(), 300);
    // An issuer cannot accredit another issuer.
    let err = chain.run(
        &issuer,
        accredit_payload(pk(&key(71)), did, vec![LicenceTypeCode("BL01".into())]),
    );
    assert_eq!(
        err,
        Err(TxError::NotAuthority {
            signer: pk(&issuer)
        })
    );
}

#[test]
fn accreditation_needs_known_types_and_an_active_did() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let issuer = key(21);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &issuer, SubjectKind::Issuer);
    // Unknown type.
    let err = chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), did, vec![LicenceTypeCode("NOPE".into())]),
        )
        .unwrap_err();
    assert_eq!(err.code(), 400);
    // Unknown DID.
    let err = chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), DidId([9; 16]), vec![code.clone()]),
        )
        .unwrap_err();
    assert_eq!(err.code(), 400);
    // Unsorted or duplicate type lists, empty lists.
    let second = chain.register_type("BL02", DataClass::Unconditional);
    let err = chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), did, vec![second.clone(), code.clone()]),
        )
        .unwrap_err();
    assert_eq!(err.code(), 200);
    let err = chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), did, vec![code.clone(), code.clone()]),
        )
        .unwrap_err();
    assert_eq!(err.code(), 200);
    assert_eq!(
        chain
            .run(&sh, accredit_payload(pk(&issuer), did, vec![]))
            .unwrap_err()
            .code(),
        202
    );
    // An authority key cannot be an issuer key.
    let err = chain
        .run(
            &sh,
            accredit_payload(pk(&authority(ProvinceCode::ANHUI)), did, vec![code.clone()]),
        )
        .unwrap_err();
    assert_eq!(err.code(), 200);
    // A deactivated DID.
    chain
        .run(&issuer, TxPayload::DidDeactivate { did })
        .unwrap();
    let err = chain
        .run(&sh, accredit_payload(pk(&issuer), did, vec![code]))
        .unwrap_err();
    assert_eq!(
        err,
        TxError::DidDeactivated {
            did: did.to_string()
        }
    );
}

#[test]
fn type_list_at_its_limit() {
    use yrd_contracts::limits::MAX_ACCREDITED_TYPES;
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let codes: Vec<LicenceTypeCode> = (0..=MAX_ACCREDITED_TYPES)
        .map(|i| LicenceTypeCode(format!("T{i:03}")))
        .collect();
    let registrations = chain.txs(
        &sh,
        codes
            .iter()
            .map(|c| TxPayload::RegisterLicenceType(type_spec(c, DataClass::Unconditional)))
            .collect(),
    );
    assert!(chain.apply(&registrations).errors.is_empty());
    let issuer = key(21);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &issuer, SubjectKind::Issuer);
    let err = chain
        .run(&sh, accredit_payload(pk(&issuer), did, codes.clone()))
        .unwrap_err();
    assert_eq!(
        err,
        TxError::ListTooLong {
            field: "licence_types",
            len: MAX_ACCREDITED_TYPES + 1,
            max: MAX_ACCREDITED_TYPES
        }
    );
    chain
        .run(
            &sh,
            accredit_payload(pk(&issuer), did, codes[..MAX_ACCREDITED_TYPES].to_vec()),
        )
        .unwrap();
}
