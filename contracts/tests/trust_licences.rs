//! Attacks on licence ownership (THREAT-MODEL.md, "Licences belong to the issuer named in them"):
//! each test performs the attack and shows it refused or without effect.

mod common;

use common::*;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{self, Disclosure};
use yrd_contracts::records::{
    EventActor, IssuerRevocationRule, IssuerStatus, LicenceEventKind, LicenceStatus,
};
use yrd_contracts::tx::{
    AccreditIssuer, AnchorBatch, BatchMembership, LicenceStatusChange, LicenceTarget,
    LicenceTypeSpec, RenewLicence, StatusReason, SubjectKind,
};
use yrd_contracts::{DataClass, LicenceTypeCode, ProvinceCode, TxError, TxPayload};

const C: [u8; 32] = [0xc7; 32];
const SH: ProvinceCode = ProvinceCode::SHANGHAI;

fn target(issuer: &Uscc, commitment: [u8; 32], batch: Option<BatchMembership>) -> LicenceTarget {
    LicenceTarget {
        issuer: issuer.clone(),
        commitment,
        batch,
    }
}

fn suspend(issuer: &Uscc, c: [u8; 32]) -> TxPayload {
    TxPayload::SuspendLicence(status_change(issuer, c, StatusReason::AdministrativeAction))
}

fn revoke(issuer: &Uscc, c: [u8; 32]) -> TxPayload {
    TxPayload::RevokeLicence(status_change(issuer, c, StatusReason::Fraud))
}

fn reinstate(issuer: &Uscc, c: [u8; 32]) -> TxPayload {
    TxPayload::ReinstateLicence(status_change(issuer, c, StatusReason::Resolved))
}

fn verify(chain: &Chain, issuer: &Uscc, c: &[u8; 32]) -> query::LicenceVerification {
    query::licence_verify(&chain.state.snapshot(), issuer, c, SH, None).unwrap()
}

/// The genuine Shanghai issuer (seed 21) and a dishonest accredited Shanghai issuer (seed 23).
fn two_issuers() -> (
    Chain,
    LicenceTypeCode,
    (ed25519_dalek::SigningKey, Uscc),
    (ed25519_dalek::SigningKey, Uscc),
) {
    let (mut chain, genuine, code) = shanghai_issuer_chain();
    let attacker = key(23);
    chain.accredit(SH, &attacker, std::slice::from_ref(&code));
    let genuine_uscc = issuer_uscc(SH, &genuine);
    let attacker_uscc = issuer_uscc(SH, &attacker);
    (
        chain,
        code,
        (genuine, genuine_uscc),
        (attacker, attacker_uscc),
    )
}

#[test]
fn front_running_anchor_cannot_take_over_a_licence() {
    let (mut chain, code, (genuine, genuine_uscc), (attacker, attacker_uscc)) = two_issuers();
    // The attacker saw the genuine anchor in gossip and anchors the same commitment first.
    chain.run(&attacker, anchor(C, &code, 0, u64::MAX)).unwrap();
    // The genuine anchor still succeeds: records live under each issuer's own USCC.
    chain.run(&genuine, anchor(C, &code, 0, u64::MAX)).unwrap();
    let answer = verify(&chain, &genuine_uscc, &C);
    let details = answer.details.unwrap();
    assert_eq!(details.issuer.key, hex::encode(pk(&genuine)));
    assert_eq!(details.issuer.uscc, genuine_uscc);
    // The genuine issuer controls its licence; the attacker cannot touch it.
    assert_eq!(
        chain.run(&attacker, revoke(&genuine_uscc, C)),
        Err(TxError::NotLicenceIssuer {
            commitment: C,
            issuer: pk(&genuine)
        })
    );
    chain.run(&genuine, suspend(&genuine_uscc, C)).unwrap();
    assert_eq!(
        verify(&chain, &genuine_uscc, &C).status,
        Some(LicenceStatus::Suspended)
    );
    // The attacker's own record answers only a question naming the attacker's USCC.
    assert_eq!(
        verify(&chain, &attacker_uscc, &C).status,
        Some(LicenceStatus::Active)
    );
}

#[test]
fn batch_member_cannot_be_claimed_by_another_issuer() {
    let (mut chain, code, (genuine, genuine_uscc), (attacker, _)) = two_issuers();
    let leaves: Vec<[u8; 32]> = (0..5u8).map(|i| [i + 1; 32]).collect();
    let tree = BatchTree::build(leaves.clone()).unwrap();
    chain
        .run(
            &genuine,
            TxPayload::AnchorBatch(AnchorBatch {
                root: tree.root(),
                count: 5,
                licence_type: code.clone(),
            }),
        )
        .unwrap();
    // The attacker anchors a member of the genuine batch as its own licence.
    chain
        .run(&attacker, anchor(leaves[2], &code, 0, 1))
        .unwrap();
    let membership = BatchMembership {
        root: tree.root(),
        proof: tree.proof(2).unwrap(),
    };
    // The verifier holding the genuine batch proof still gets the genuine issuer's answer,
    // valid (the attacker's record has an expired window and would answer "not valid").
    let answer = query::licence_verify_in_batch(
        &chain.state.snapshot(),
        &genuine_uscc,
        &leaves[2],
        &membership,
        SH,
        None,
    )
    .unwrap();
    assert_eq!(answer.valid, Some(true));
    assert_eq!(
        answer.details.unwrap().issuer.key,
        hex::encode(pk(&genuine))
    );
    // And the genuine issuer can still change the member's status.
    chain
        .run(
            &genuine,
            TxPayload::SuspendLicence(LicenceStatusChange {
                target: target(&genuine_uscc, leaves[2], Some(membership)),
                reason: StatusReason::CourtOrder,
            }),
        )
        .unwrap();
    assert_eq!(
        verify(&chain, &genuine_uscc, &leaves[2]).status,
        Some(LicenceStatus::Suspended)
    );
}

#[test]
fn front_running_a_batch_root_does_not_block_the_genuine_issuer() {
    let (mut chain, code, (genuine, genuine_uscc), (attacker, attacker_uscc)) = two_issuers();
    let tree = BatchTree::build(vec![[9; 32], [10; 32]]).unwrap();
    let batch = TxPayload::AnchorBatch(AnchorBatch {
        root: tree.root(),
        count: 2,
        licence_type: code.clone(),
    });
    chain.run(&attacker, batch.clone()).unwrap();
    chain.run(&genuine, batch).unwrap();
    let view = query::batch_get(&chain.state.snapshot(), &genuine_uscc, &tree.root())
        .unwrap()
        .unwrap();
    assert_eq!(view.issuer, hex::encode(pk(&genuine)));
    let theirs = query::batch_get(&chain.state.snapshot(), &attacker_uscc, &tree.root())
        .unwrap()
        .unwrap();
    assert_eq!(theirs.issuer, hex::encode(pk(&attacker)));
}

#[test]
fn an_issuer_cannot_be_accredited_under_another_province_or_issuers_uscc() {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let issuer = key(40);
    let did = chain.create_did(ProvinceCode::JIANGSU, &issuer, SubjectKind::Issuer);
    let accredit = |uscc: Uscc| {
        TxPayload::AccreditIssuer(AccreditIssuer {
            issuer_key: pk(&issuer),
            issuer_did: did,
            uscc,
            licence_types: vec![code.clone()],
        })
    };
    // Jiangsu cannot accredit an issuer whose USCC names a Shanghai division.
    let err = chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            accredit(uscc_for(SH, &pk(&issuer))),
        )
        .unwrap_err();
    assert_eq!(err.code(), 200, "{err}");
    chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            accredit(uscc_for(ProvinceCode::JIANGSU, &pk(&issuer))),
        )
        .unwrap();
    // Its USCC never changes afterwards.
    let err = chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            accredit(uscc_for(ProvinceCode::JIANGSU, &[7; 32])),
        )
        .unwrap_err();
    assert_eq!(err.code(), 200, "{err}");
    // Another key cannot be accredited under the same USCC (it would write under it).
    let impostor = key(41);
    let impostor_did = chain.create_did(ProvinceCode::JIANGSU, &impostor, SubjectKind::Issuer);
    let err = chain
        .run(
            &authority(ProvinceCode::JIANGSU),
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: pk(&impostor),
                issuer_did: impostor_did,
                uscc: uscc_for(ProvinceCode::JIANGSU, &pk(&issuer)),
                licence_types: vec![code.clone()],
            }),
        )
        .unwrap_err();
    assert_eq!(err.code(), 401, "{err}");
}

#[test]
fn status_change_needs_the_accreditation_for_the_licence_type() {
    let mut chain = Chain::new();
    let first = chain.register_type("BL01", DataClass::Unconditional);
    let second = chain.register_type("BL02", DataClass::Unconditional);
    let issuer = key(21);
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    let did = chain.accredit(SH, &issuer, &both);
    let uscc = issuer_uscc(SH, &issuer);
    chain.run(&issuer, anchor(C, &second, 0, u64::MAX)).unwrap();
    // Re-accredited for the first type only: it may no longer change the second type's licences.
    chain
        .run(
            &authority(SH),
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: pk(&issuer),
                issuer_did: did,
                uscc: uscc.clone(),
                licence_types: vec![first],
            }),
        )
        .unwrap();
    assert_eq!(
        chain.run(&issuer, suspend(&uscc, C)),
        Err(TxError::NotAccreditedForType {
            issuer: pk(&issuer),
            licence_type: second.to_string()
        })
    );
    assert_eq!(chain.licence_status(&uscc, &C), Some(LicenceStatus::Active));
}

#[test]
fn province_authority_stops_the_licences_of_a_revoked_issuer() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let uscc = issuer_uscc(SH, &issuer);
    let other = [0xd1; 32];
    chain.run(&issuer, anchor(C, &code, 0, u64::MAX)).unwrap();
    chain
        .run(&issuer, anchor(other, &code, 0, u64::MAX))
        .unwrap();
    chain
        .run(
            &authority(SH),
            TxPayload::RevokeIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::Fraud,
            },
        )
        .unwrap();
    // The revoked issuer changes nothing any more.
    assert_eq!(
        chain.run(&issuer, revoke(&uscc, C)).unwrap_err().code(),
        304
    );
    // Another province's authority has no say over Shanghai's licences.
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), revoke(&uscc, C))
            .unwrap_err()
            .code(),
        301
    );
    // Shanghai's authority suspends one and revokes the other, on the record.
    chain.run(&authority(SH), suspend(&uscc, C)).unwrap();
    chain.run(&authority(SH), revoke(&uscc, other)).unwrap();
    assert_eq!(
        chain.licence_status(&uscc, &C),
        Some(LicenceStatus::Suspended)
    );
    assert_eq!(
        chain.licence_status(&uscc, &other),
        Some(LicenceStatus::Revoked)
    );
    let history = query::licence_history(&chain.state.snapshot(), &uscc, &other, None)
        .unwrap()
        .unwrap();
    let last = history.last().unwrap();
    assert_eq!(
        (last.kind, last.actor, last.reason),
        (
            LicenceEventKind::Revoked,
            EventActor::ProvinceAuthority,
            StatusReason::Fraud
        )
    );
    // The authority may not renew: a validity window is the issuer's statement.
    let renew = TxPayload::RenewLicence(RenewLicence {
        target: target(&uscc, C, None),
        reason: StatusReason::Renewal,
        valid_from_ms: 0,
        valid_until_ms: u64::MAX,
    });
    assert_eq!(chain.run(&authority(SH), renew).unwrap_err().code(), 306);
}

#[test]
fn an_issuer_cannot_lift_a_suspension_by_its_province_authority() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let uscc = issuer_uscc(SH, &issuer);
    chain.run(&issuer, anchor(C, &code, 0, u64::MAX)).unwrap();
    chain.run(&authority(SH), suspend(&uscc, C)).unwrap();
    assert_eq!(
        chain.run(&issuer, reinstate(&uscc, C)).unwrap_err().code(),
        402
    );
    assert_eq!(
        chain.licence_status(&uscc, &C),
        Some(LicenceStatus::Suspended)
    );
    // The authority can; afterwards the issuer's own suspensions are its own again.
    chain.run(&authority(SH), reinstate(&uscc, C)).unwrap();
    chain.run(&issuer, suspend(&uscc, C)).unwrap();
    chain.run(&issuer, reinstate(&uscc, C)).unwrap();
    assert_eq!(chain.licence_status(&uscc, &C), Some(LicenceStatus::Active));
}

#[test]
fn answers_flag_a_revoked_issuer_and_apply_the_type_rule() {
    let mut chain = Chain::new();
    let flagged = chain.register_type("BL01", DataClass::Unconditional);
    let strict = LicenceTypeCode("BL02".into());
    chain
        .run(
            &authority(SH),
            TxPayload::RegisterLicenceType(LicenceTypeSpec {
                on_issuer_revoked: IssuerRevocationRule::Invalidate,
                ..type_spec(&strict, DataClass::Conditional)
            }),
        )
        .unwrap();
    let issuer = key(21);
    let mut both = vec![flagged.clone(), strict.clone()];
    both.sort();
    chain.accredit(SH, &issuer, &both);
    let uscc = issuer_uscc(SH, &issuer);
    let strict_licence = [0xe1; 32];
    chain
        .run(&issuer, anchor(C, &flagged, 0, u64::MAX))
        .unwrap();
    chain
        .run(&issuer, anchor(strict_licence, &strict, 0, u64::MAX))
        .unwrap();
    assert_eq!(
        verify(&chain, &uscc, &C).issuer_status,
        Some(IssuerStatus::Active)
    );
    chain
        .run(
            &authority(SH),
            TxPayload::RevokeIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::KeyCompromise,
            },
        )
        .unwrap();
    // Default rule: issued before the revocation, still valid, but the answer says so.
    let answer = verify(&chain, &uscc, &C);
    assert_eq!(answer.valid, Some(true));
    assert_eq!(answer.issuer_status, Some(IssuerStatus::Revoked));
    // The stricter type's rule voids it, also for a caller who learns validity only.
    let answer = verify(&chain, &uscc, &strict_licence);
    assert_eq!(answer.disclosure, Disclosure::ValidityOnly);
    assert_eq!(answer.valid, Some(false));
    assert_eq!(answer.issuer_status, Some(IssuerStatus::Revoked));
}
