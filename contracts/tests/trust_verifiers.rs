//! Attacks on verifier registration: using one province's registration to read another
//! province's data, and restoring access a province withdrew through another's registration.

mod common;

use common::*;
use yrd_contracts::query::{self, Disclosure};
use yrd_contracts::tx::SubjectKind;
use yrd_contracts::{DataClass, DidId, LicenceTypeCode, ProvinceCode, TxPayload};

/// A conditional type, a Shanghai licence `[1; 32]` and a Jiangsu licence `[2; 32]` of it, and a
/// verifier DID (created by Jiangsu).
fn setup() -> (Chain, DidId) {
    let mut chain = Chain::new();
    let code: LicenceTypeCode = chain.register_type("COND", DataClass::Conditional);
    let sh_issuer = key(21);
    let js_issuer = key(22);
    chain.accredit(
        ProvinceCode::SHANGHAI,
        &sh_issuer,
        std::slice::from_ref(&code),
    );
    chain.accredit(
        ProvinceCode::JIANGSU,
        &js_issuer,
        std::slice::from_ref(&code),
    );
    chain
        .run(&sh_issuer, anchor([1; 32], &code, 0, u64::MAX))
        .unwrap();
    chain
        .run(&js_issuer, anchor([2; 32], &code, 0, u64::MAX))
        .unwrap();
    let verifier = chain.create_did(ProvinceCode::JIANGSU, &key(31), SubjectKind::Verifier);
    (chain, verifier)
}

fn disclosure(chain: &Chain, commitment: u8, verifier: &DidId) -> Disclosure {
    let issuer = if commitment == 1 {
        issuer_uscc(ProvinceCode::SHANGHAI, &key(21))
    } else {
        issuer_uscc(ProvinceCode::JIANGSU, &key(22))
    };
    query::licence_verify(
        &chain.state.snapshot(),
        &issuer,
        &[commitment; 32],
        ProvinceCode::JIANGSU,
        Some(verifier),
    )
    .unwrap()
    .disclosure
}

#[test]
fn verifier_registered_by_one_province_cannot_read_another_provinces_data() {
    let (mut chain, verifier) = setup();
    chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            TxPayload::RegisterVerifier { verifier },
        )
        .unwrap();
    assert_eq!(disclosure(&chain, 2, &verifier), Disclosure::Full);
    assert_eq!(disclosure(&chain, 1, &verifier), Disclosure::ValidityOnly);
    let history = query::licence_history(
        &chain.state.snapshot(),
        &issuer_uscc(ProvinceCode::SHANGHAI, &key(21)),
        &[1; 32],
        Some(&verifier),
    )
    .unwrap();
    assert!(history.is_none());
}

#[test]
fn another_provinces_registration_does_not_restore_withdrawn_access() {
    let (mut chain, verifier) = setup();
    let sh = authority(ProvinceCode::SHANGHAI);
    let js = authority(ProvinceCode::JIANGSU);
    chain
        .run(&sh, TxPayload::RegisterVerifier { verifier })
        .unwrap();
    assert_eq!(disclosure(&chain, 1, &verifier), Disclosure::Full);
    chain
        .run(&sh, TxPayload::DeregisterVerifier { verifier })
        .unwrap();
    // Jiangsu registers the same DID afterwards, for its own data.
    chain
        .run(&js, TxPayload::RegisterVerifier { verifier })
        .unwrap();
    assert_eq!(disclosure(&chain, 2, &verifier), Disclosure::Full);
    assert_eq!(disclosure(&chain, 1, &verifier), Disclosure::ValidityOnly);
    // And Jiangsu cannot touch Shanghai's registration.
    assert_eq!(
        chain
            .run(&js, TxPayload::DeregisterVerifier { verifier })
            .map(|_| ()),
        Ok(())
    );
    assert_eq!(
        chain
            .run(&js, TxPayload::DeregisterVerifier { verifier })
            .unwrap_err()
            .code(),
        400
    );
}
