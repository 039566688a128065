//! Role-less signers: a key with no role in state cannot create state, not even a nonce record,
//! whatever transaction a (Byzantine) proposer puts in a block for it. See
//! `yrd_contracts::query::signer_may_submit`.

mod common;

use common::*;
use yrd_contracts::keys;
use yrd_contracts::query::{self, SignerRole};
use yrd_contracts::tx::{DidCreate, GovernanceAction, ServiceSpec, SubjectKind};
use yrd_contracts::types::Fragment;
use yrd_contracts::{DataClass, ProvinceCode, StateReader, TxError, TxPayload};

fn stamp(digest: u8, acting_did: Option<yrd_contracts::DidId>) -> TxPayload {
    TxPayload::TimestampDocument {
        digest: [digest; 32],
        acting_did,
    }
}

fn service(fragment: &str) -> ServiceSpec {
    ServiceSpec {
        fragment: Fragment(fragment.into()),
        service_type: "LinkedDomains".into(),
        endpoint: "https://example.org".into(),
    }
}

#[test]
fn anonymous_signer_is_refused_in_execution_and_creates_no_nonce_record() {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let firm = key(92);
    let firm_did = chain.create_did(ProvinceCode::ZHEJIANG, &firm, SubjectKind::Organisation);
    let stranger = key(91);
    let payloads = vec![
        stamp(1, None),
        stamp(2, Some(firm_did)),
        TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Organisation,
            controller_key: pk(&stranger),
            services: vec![],
        }),
        TxPayload::DidAddService {
            did: firm_did,
            service: service("svc-1"),
        },
        TxPayload::Propose(GovernanceAction::RemoveMember {
            province: ProvinceCode::ANHUI,
        }),
        anchor([7; 32], &code, chain.time_ms, chain.time_ms + 30 * DAY_MS),
    ];
    for payload in payloads {
        // Every transaction with nonce 0, as a proposer would include it: none spends it.
        let tx = chain.body(&stranger, 0, payload).sign(&stranger);
        assert_eq!(
            chain.submit(tx),
            Err(TxError::UnregisteredSigner {
                signer: pk(&stranger)
            })
        );
        assert_eq!(
            chain
                .state
                .snapshot()
                .get(&keys::nonce(&pk(&stranger)))
                .unwrap(),
            None,
            "a role-less signer's nonce record exists"
        );
    }
    assert!(
        !query::signer_may_submit(&chain.state.snapshot(), &pk(&stranger), &stamp(3, None))
            .unwrap()
    );
}

#[test]
fn role_less_tx_in_a_block_is_refused_while_the_rest_of_the_block_applies() {
    let mut chain = Chain::new();
    let stranger = key(93);
    let sh = authority(ProvinceCode::SHANGHAI);
    let txs = vec![
        chain.body(&stranger, 0, stamp(1, None)).sign(&stranger),
        chain.tx(&sh, stamp(1, None)),
    ];
    let outcome = chain.apply(&txs);
    assert_eq!(outcome.receipts[0].code, 109);
    assert_eq!(outcome.receipts[1].code, 0);
    assert_eq!(chain.nonce_of(&stranger), 0);
    assert_eq!(
        chain
            .state
            .snapshot()
            .get(&keys::nonce(&pk(&stranger)))
            .unwrap(),
        None
    );
}

#[test]
fn every_role_may_submit_and_a_did_controller_only_for_its_own_did() {
    let (mut chain, issuer, _) = shanghai_issuer_chain();
    let snapshot_role = |chain: &Chain, signer: &[u8; 32], payload: &TxPayload| {
        query::signer_role(&chain.state.snapshot(), signer, payload).unwrap()
    };
    let anything = stamp(1, None);
    assert_eq!(
        snapshot_role(&chain, &pk(&issuer), &anything),
        Some(SignerRole::Issuer)
    );
    assert_eq!(
        snapshot_role(&chain, &pk(&authority(ProvinceCode::ANHUI)), &anything),
        Some(SignerRole::Authority)
    );
    assert_eq!(
        snapshot_role(&chain, &pk(&key(12)), &anything),
        Some(SignerRole::Validator)
    );
    let firm = key(94);
    let firm_did = chain.create_did(ProvinceCode::ZHEJIANG, &firm, SubjectKind::Organisation);
    assert_eq!(snapshot_role(&chain, &pk(&firm), &anything), None);
    assert_eq!(
        snapshot_role(&chain, &pk(&firm), &stamp(1, Some(firm_did))),
        Some(SignerRole::DidController)
    );
    // A key that controls only another DID, acting for this one, has no role.
    let other = key(95);
    let other_did = chain.create_did(ProvinceCode::ZHEJIANG, &other, SubjectKind::Organisation);
    assert_eq!(
        snapshot_role(&chain, &pk(&other), &stamp(1, Some(firm_did))),
        None
    );
    // Through a controller DID (one level), as the DID rules allow.
    chain
        .run(
            &firm,
            TxPayload::DidAddController {
                did: firm_did,
                controller: other_did,
            },
        )
        .unwrap();
    assert_eq!(
        snapshot_role(
            &chain,
            &pk(&other),
            &TxPayload::DidAddService {
                did: firm_did,
                service: service("svc-1"),
            }
        ),
        Some(SignerRole::DidController)
    );
}

#[test]
fn a_did_controller_with_no_other_role_still_edits_its_did_and_timestamps_for_it() {
    let mut chain = Chain::new();
    let firm = key(96);
    let did = chain.create_did(ProvinceCode::ZHEJIANG, &firm, SubjectKind::Organisation);
    chain
        .run(
            &firm,
            TxPayload::DidAddService {
                did,
                service: service("svc-1"),
            },
        )
        .unwrap();
    chain.run(&firm, stamp(4, Some(did))).unwrap();
    assert_eq!(chain.nonce_of(&firm), 2);
    // Without naming its DID it has no role.
    assert_eq!(
        chain.run(&firm, stamp(5, None)),
        Err(TxError::UnregisteredSigner { signer: pk(&firm) })
    );
    assert_eq!(chain.nonce_of(&firm), 2);
}
