//! Attacks on governance: a removed province acting through its delegates, re-admission with the
//! old identity, old votes counted again, and quorum rules that let one member decide alone.

mod common;

use common::*;
use yrd_contracts::query::{self, Disclosure};
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::tx::{GovernanceAction, SubjectKind};
use yrd_contracts::{DataClass, DidId, Parameters, ProvinceCode, State, TxError, TxPayload};

const AH: ProvinceCode = ProvinceCode::ANHUI;
const SH: ProvinceCode = ProvinceCode::SHANGHAI;
const JS: ProvinceCode = ProvinceCode::JIANGSU;
const ZJ: ProvinceCode = ProvinceCode::ZHEJIANG;
const SHANDONG: ProvinceCode = ProvinceCode(370_000);

fn propose(action: GovernanceAction) -> TxPayload {
    TxPayload::Propose(action)
}

fn vote(id: u64, approve: bool) -> TxPayload {
    TxPayload::Vote {
        proposal_id: id,
        approve,
    }
}

fn status(chain: &Chain, id: u64) -> String {
    query::proposal_get(&chain.state.snapshot(), id)
        .unwrap()
        .unwrap()
        .status
}

/// The first province proposes `action`, the others vote yes, each in its own block. Returns the
/// proposal id and the verdict of the last transaction.
fn pass(
    chain: &mut Chain,
    action: GovernanceAction,
    by: &[ProvinceCode],
) -> (u64, Result<(), TxError>) {
    let id = chain.next_proposal_id();
    let (first, rest) = by.split_first().unwrap();
    let mut last = chain.run(&authority(*first), propose(action));
    for p in rest {
        last = chain.run(&authority(*p), vote(id, true));
    }
    (id, last)
}

fn remove(province: ProvinceCode) -> GovernanceAction {
    GovernanceAction::RemoveMember { province }
}

fn readmit(province: ProvinceCode, seed: u8) -> GovernanceAction {
    GovernanceAction::AddMember {
        province,
        authority_key: pk(&key(seed)),
    }
}

fn is_member(chain: &Chain, province: ProvinceCode) -> bool {
    query::member_get(&chain.state.snapshot(), province)
        .unwrap()
        .is_some()
}

#[test]
fn removed_province_issuer_cannot_anchor() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    chain
        .run(&issuer, anchor([1; 32], &code, 0, u64::MAX))
        .unwrap();
    let (_, verdict) = pass(&mut chain, remove(SH), &[JS, ZJ, AH]);
    verdict.unwrap();
    assert!(!is_member(&chain, SH));
    // Frozen: neither new anchors nor status changes of its licences.
    let refused = chain
        .run(&issuer, anchor([2; 32], &code, 0, u64::MAX))
        .unwrap_err();
    assert_eq!(refused.code(), 311, "{refused}");
    assert!(refused.to_string().contains("310000"), "{refused}");
    let suspend = TxPayload::SuspendLicence(status_change(
        &issuer_uscc(SH, &issuer),
        [1; 32],
        yrd_contracts::tx::StatusReason::Fraud,
    ));
    assert_eq!(chain.run(&issuer, suspend).unwrap_err().code(), 311);
    // Nor timestamps.
    let stamp = TxPayload::TimestampDocument {
        digest: [9; 32],
        acting_did: None,
    };
    assert_eq!(chain.run(&issuer, stamp).unwrap_err().code(), 311);
}

#[test]
fn readmitted_province_old_issuer_stays_frozen_until_reaccredited() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    pass(&mut chain, remove(SH), &[JS, ZJ, AH]).1.unwrap();
    pass(&mut chain, readmit(SH, 61), &[JS, ZJ]).1.unwrap();
    assert!(is_member(&chain, SH));
    // The issuer's accreditation predates the new admission.
    assert_eq!(
        chain
            .run(&issuer, anchor([2; 32], &code, 0, u64::MAX))
            .unwrap_err()
            .code(),
        312
    );
    // The new authority re-accredits it deliberately; then it acts again.
    let new_authority = key(61);
    let did = DidId::derive(&pk(&new_authority), chain.nonce_of(&new_authority));
    chain
        .run(
            &new_authority,
            TxPayload::DidCreate(yrd_contracts::tx::DidCreate {
                subject: SubjectKind::Issuer,
                controller_key: pk(&issuer),
                services: vec![],
            }),
        )
        .unwrap();
    chain
        .run(
            &new_authority,
            TxPayload::AccreditIssuer(yrd_contracts::tx::AccreditIssuer {
                issuer_key: pk(&issuer),
                issuer_did: did,
                uscc: issuer_uscc(SH, &issuer),
                licence_types: vec![code.clone()],
            }),
        )
        .unwrap();
    chain
        .run(&issuer, anchor([2; 32], &code, 0, u64::MAX))
        .unwrap();
}

#[test]
fn removed_province_authority_key_and_did_are_retired_and_validators_leave() {
    let mut chain = Chain::new();
    let outcome_validators = query::validators(&chain.state.snapshot()).unwrap().len();
    assert_eq!(outcome_validators, 4);
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    // Its key no longer acts.
    assert_eq!(
        chain
            .run(
                &authority(AH),
                TxPayload::RegisterLicenceType(type_spec(
                    &yrd_contracts::LicenceTypeCode("AH01".into()),
                    DataClass::Unconditional
                )),
            )
            .unwrap_err()
            .code(),
        300
    );
    // Its authority DID is deactivated.
    let did = DidId::genesis_authority(AH);
    let resolved = query::did_resolve(&chain.state.snapshot(), &did, None)
        .unwrap()
        .unwrap();
    assert!(resolved.did_document_metadata.deactivated);
    // Its validator left the set at once.
    let validators = query::validators(&chain.state.snapshot()).unwrap();
    assert_eq!(validators.len(), 3);
    assert!(validators.iter().all(|v| v.province != AH));
}

#[test]
fn removed_province_verifier_registration_no_longer_opens_its_data() {
    let mut chain = Chain::new();
    let code = yrd_contracts::LicenceTypeCode("AH-COND".into());
    chain
        .run(
            &authority(AH),
            TxPayload::RegisterLicenceType(type_spec(&code, DataClass::Conditional)),
        )
        .unwrap();
    let issuer = key(41);
    chain.accredit(AH, &issuer, std::slice::from_ref(&code));
    chain
        .run(&issuer, anchor([7; 32], &code, 0, u64::MAX))
        .unwrap();
    let window = key(42);
    let verifier = chain.create_did(AH, &window, SubjectKind::Verifier);
    chain
        .run(&authority(AH), TxPayload::RegisterVerifier { verifier })
        .unwrap();
    let ask = |chain: &Chain| {
        query::licence_verify(
            &chain.state.snapshot(),
            &issuer_uscc(AH, &issuer),
            &[7; 32],
            AH,
            Some(&verifier),
        )
        .unwrap()
        .disclosure
    };
    assert_eq!(ask(&chain), Disclosure::Full);
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    assert_eq!(ask(&chain), Disclosure::ValidityOnly);
    // Re-admission does not revive the old registration.
    pass(&mut chain, readmit(AH, 62), &[SH, JS]).1.unwrap();
    assert_eq!(ask(&chain), Disclosure::ValidityOnly);
}

#[test]
fn readmission_with_the_old_key_is_refused() {
    let mut chain = Chain::new();
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    let old = GovernanceAction::AddMember {
        province: AH,
        authority_key: pk(&authority(AH)),
    };
    assert_eq!(
        chain.run(&authority(SH), propose(old)).unwrap_err().code(),
        401
    );
}

#[test]
fn readmission_gets_a_new_did_and_the_old_one_stays_deactivated() {
    let mut chain = Chain::new();
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    pass(&mut chain, readmit(AH, 63), &[SH, JS]).1.unwrap();
    let member = query::member_get(&chain.state.snapshot(), AH)
        .unwrap()
        .unwrap();
    let old_did = DidId::genesis_authority(AH);
    assert_ne!(member.authority_did, old_did);
    assert_eq!(member.authority_key, hex::encode(pk(&key(63))));
    let snapshot = chain.state.snapshot();
    let old = query::did_resolve(&snapshot, &old_did, None)
        .unwrap()
        .unwrap();
    assert!(old.did_document_metadata.deactivated);
    let new = query::did_resolve(&snapshot, &member.authority_did, None)
        .unwrap()
        .unwrap();
    assert!(!new.did_document_metadata.deactivated);
    // The new key acts, the old one does not.
    chain
        .run(
            &key(63),
            TxPayload::RegisterLicenceType(type_spec(
                &yrd_contracts::LicenceTypeCode("AH02".into()),
                DataClass::Unconditional,
            )),
        )
        .unwrap();
    assert_eq!(
        chain
            .run(
                &authority(AH),
                TxPayload::RegisterLicenceType(type_spec(
                    &yrd_contracts::LicenceTypeCode("AH03".into()),
                    DataClass::Unconditional,
                )),
            )
            .unwrap_err()
            .code(),
        300
    );
}

#[test]
fn readmitted_province_pre_removal_vote_is_not_counted() {
    let mut chain = Chain::new();
    let add_shandong = GovernanceAction::AddMember {
        province: SHANDONG,
        authority_key: pk(&key(5)),
    };
    // Shanghai proposes, Anhui votes yes: 2 of 4.
    let (target, verdict) = pass(&mut chain, add_shandong, &[SH, AH]);
    verdict.unwrap();
    assert_eq!(status(&chain, target), "open");
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    pass(&mut chain, readmit(AH, 64), &[SH, JS]).1.unwrap();
    // Zhejiang's yes would make 3 of 4 if Anhui's old vote still counted.
    chain.run(&authority(ZJ), vote(target, true)).unwrap();
    assert_eq!(status(&chain, target), "open");
    assert!(!is_member(&chain, SHANDONG));
    // Anhui's new authority votes afresh; now 3 of 4 current votes.
    chain.run(&key(64), vote(target, true)).unwrap();
    assert_eq!(status(&chain, target), "passed");
    assert!(is_member(&chain, SHANDONG));
}

#[test]
fn readmission_in_the_block_of_the_removal_is_refused() {
    let mut chain = Chain::new();
    let id = chain.next_proposal_id();
    chain.run(&authority(SH), propose(remove(AH))).unwrap();
    chain.run(&authority(JS), vote(id, true)).unwrap();
    // One block: the removal passes, then a re-admission is proposed at once.
    let txs = vec![
        chain.tx(&authority(ZJ), vote(id, true)),
        chain.tx(&authority(SH), propose(readmit(AH, 65))),
    ];
    let outcome = chain.apply(&txs);
    let codes: Vec<u32> = outcome.receipts.iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![0, 402]);
    assert!(!is_member(&chain, AH));
    // In a later block it may proceed.
    pass(&mut chain, readmit(AH, 65), &[SH, JS]).1.unwrap();
    assert!(is_member(&chain, AH));
}

#[test]
fn removal_proposed_before_a_readmission_cannot_remove_the_new_admission() {
    let mut chain = Chain::new();
    let stale = chain.next_proposal_id();
    chain.run(&authority(SH), propose(remove(AH))).unwrap();
    pass(&mut chain, remove(AH), &[SH, JS, ZJ]).1.unwrap();
    pass(&mut chain, readmit(AH, 66), &[SH, JS]).1.unwrap();
    // The old proposal reaches its quorum but refers to the earlier admission.
    chain.run(&authority(JS), vote(stale, true)).unwrap();
    assert_eq!(
        chain
            .run(&authority(ZJ), vote(stale, true))
            .unwrap_err()
            .code(),
        312
    );
    assert!(is_member(&chain, AH));
}

#[test]
fn single_member_quorum_is_refused() {
    // As a parameter change.
    let mut chain = Chain::new();
    for (n, d) in [(1, 1), (2, 2), (1, 2)] {
        let params = Parameters {
            quorum_numerator: n,
            quorum_denominator: d,
            ..Parameters::default()
        };
        assert_eq!(
            chain
                .run(
                    &authority(SH),
                    propose(GovernanceAction::SetParameters(params))
                )
                .unwrap_err()
                .code(),
            200,
            "{n}/{d}"
        );
    }
    // In a genesis.
    let mut unanimity = genesis();
    unanimity.parameters.quorum_numerator = 1;
    unanimity.parameters.quorum_denominator = 1;
    assert!(State::genesis(&unanimity, MemoryTreeStore::new()).is_err());
    // A one-member chain: its member's own vote never passes anything, its own removal included.
    let mut alone = genesis();
    alone.authorities.truncate(1);
    let mut chain = Chain::from_genesis(&alone);
    chain
        .run(
            &authority(SH),
            propose(GovernanceAction::SetParameters(Parameters {
                proposal_ttl_blocks: 5,
                ..Parameters::default()
            })),
        )
        .unwrap();
    assert_eq!(status(&chain, 0), "open");
    assert_eq!(
        query::parameters(&chain.state.snapshot()).unwrap(),
        Parameters::default()
    );
}

#[test]
fn removal_that_would_leave_one_member_is_refused() {
    let mut two = genesis();
    two.authorities.truncate(2);
    let mut chain = Chain::from_genesis(&two);
    let refused = chain.run(&authority(SH), propose(remove(JS))).unwrap_err();
    assert_eq!(refused.code(), 408, "{refused}");
}

#[test]
fn removal_of_the_province_holding_every_validator_is_refused() {
    let mut g = genesis();
    for authority in g.authorities.iter_mut().skip(1) {
        authority.validator_keys.clear();
    }
    let mut chain = Chain::from_genesis(&g);
    assert_eq!(
        chain.run(&authority(JS), propose(remove(SH))),
        Err(TxError::WouldEmpty { what: "validator" })
    );
}

#[test]
fn a_removed_or_replaced_authority_key_changes_no_licence_status() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let uscc = issuer_uscc(SH, &issuer);
    chain
        .run(&issuer, anchor([1; 32], &code, 0, u64::MAX))
        .unwrap();
    let suspend = || {
        TxPayload::SuspendLicence(status_change(
            &uscc,
            [1; 32],
            yrd_contracts::tx::StatusReason::AdministrativeAction,
        ))
    };
    let old_authority = authority(SH);
    let old_key_refused = |chain: &mut Chain| {
        let refused = chain.run(&old_authority, suspend()).unwrap_err();
        assert!(
            matches!(
                refused,
                TxError::NotAuthority { .. } | TxError::UnregisteredSigner { .. }
            ),
            "{refused}"
        );
    };
    pass(&mut chain, remove(SH), &[JS, ZJ, AH]).1.unwrap();
    // The removed province's authority key no longer speaks for any licence.
    old_key_refused(&mut chain);
    // Readmitted under a new key: the old key still speaks for nothing.
    pass(&mut chain, readmit(SH, 61), &[JS, ZJ]).1.unwrap();
    old_key_refused(&mut chain);
    assert_eq!(
        chain.licence_status(&uscc, &[1; 32]),
        Some(yrd_contracts::records::LicenceStatus::Active)
    );
    // The new key does.
    chain.run(&key(61), suspend()).unwrap();
    assert_eq!(
        chain.licence_status(&uscc, &[1; 32]),
        Some(yrd_contracts::records::LicenceStatus::Suspended)
    );
}
