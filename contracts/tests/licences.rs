//! Licence anchoring (single and batch) and status changes by the issuing issuer only.

mod common;

use common::*;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::limits::{MAX_BATCH_COUNT, MAX_LICENCE_HISTORY};
use yrd_contracts::query::{self, Disclosure};
use yrd_contracts::records::{LicenceEventKind, LicenceStatus};
use yrd_contracts::tx::{
    AnchorBatch, BatchMembership, LicenceStatusChange, LicenceTarget, RenewLicence, StatusReason,
};
use yrd_contracts::{DataClass, LicenceTypeCode, ProvinceCode, TxError, TxPayload};

const C: [u8; 32] = [0xc1; 32];

/// The USCC of the Shanghai issuer of `shanghai_issuer_chain` (seed 21).
fn sh() -> yrd_contracts::licence_id::Uscc {
    issuer_uscc(ProvinceCode::SHANGHAI, &key(21))
}

fn suspend(c: [u8; 32]) -> TxPayload {
    TxPayload::SuspendLicence(status_change(&sh(), c, StatusReason::AdministrativeAction))
}
fn reinstate(c: [u8; 32]) -> TxPayload {
    TxPayload::ReinstateLicence(status_change(&sh(), c, StatusReason::Resolved))
}
fn revoke(c: [u8; 32]) -> TxPayload {
    TxPayload::RevokeLicence(status_change(&sh(), c, StatusReason::IssuedInError))
}
fn renew(c: [u8; 32], from: u64, until: u64) -> TxPayload {
    TxPayload::RenewLicence(RenewLicence {
        target: LicenceTarget {
            issuer: sh(),
            commitment: c,
            batch: None,
        },
        reason: StatusReason::Renewal,
        valid_from_ms: from,
        valid_until_ms: until,
    })
}

#[test]
fn anchor_and_every_status_transition() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let until = GENESIS_TIME_MS + 10 * DAY_MS;
    chain
        .run(&issuer, anchor(C, &code, GENESIS_TIME_MS, until))
        .unwrap();
    assert_eq!(chain.licence_status(&sh(), &C), Some(LicenceStatus::Active));
    // Reinstating an active licence is not a transition.
    assert_eq!(chain.run(&issuer, reinstate(C)).unwrap_err().code(), 402);
    chain.run(&issuer, suspend(C)).unwrap();
    assert_eq!(
        chain.licence_status(&sh(), &C),
        Some(LicenceStatus::Suspended)
    );
    assert_eq!(chain.run(&issuer, suspend(C)).unwrap_err().code(), 402);
    chain.run(&issuer, reinstate(C)).unwrap();
    assert_eq!(chain.licence_status(&sh(), &C), Some(LicenceStatus::Active));
    chain
        .run(&issuer, renew(C, GENESIS_TIME_MS, until + 100 * DAY_MS))
        .unwrap();
    let verdict = query::licence_verify(
        &chain.state.snapshot(),
        &sh(),
        &C,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap();
    assert_eq!(
        verdict.details.unwrap().valid_until_ms,
        Some(until + 100 * DAY_MS)
    );
    // An empty window is refused.
    assert_eq!(chain.run(&issuer, renew(C, 5, 5)).unwrap_err().code(), 204);
    chain.run(&issuer, revoke(C)).unwrap();
    assert_eq!(
        chain.licence_status(&sh(), &C),
        Some(LicenceStatus::Revoked)
    );
    for payload in [suspend(C), reinstate(C), revoke(C), renew(C, 1, 2)] {
        assert_eq!(chain.run(&issuer, payload).unwrap_err().code(), 402);
    }
    let history = query::licence_history(&chain.state.snapshot(), &sh(), &C, None)
        .unwrap()
        .unwrap();
    let kinds: Vec<LicenceEventKind> = history.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        vec![
            LicenceEventKind::Anchored,
            LicenceEventKind::Suspended,
            LicenceEventKind::Reinstated,
            LicenceEventKind::Renewed,
            LicenceEventKind::Revoked
        ]
    );
    assert_eq!(history[3].reason, StatusReason::Renewal);
}

#[test]
fn anchoring_refusals() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    // Not an issuer at all (an authority is not an issuer).
    let err = chain
        .run(&authority(ProvinceCode::SHANGHAI), anchor(C, &code, 0, 1))
        .unwrap_err();
    assert_eq!(err.code(), 302);
    // A key with no role at all is refused before any rule of the kind (UnregisteredSigner).
    assert_eq!(
        chain
            .run(&key(88), anchor(C, &code, 0, 1))
            .unwrap_err()
            .code(),
        109
    );
    // Not accredited for the type (even if the type exists).
    let other = chain.register_type("BL09", DataClass::Unconditional);
    assert_eq!(
        chain.run(&issuer, anchor(C, &other, 0, 1)),
        Err(TxError::NotAccreditedForType {
            issuer: pk(&issuer),
            licence_type: "BL09".into()
        })
    );
    // Empty validity window.
    assert_eq!(
        chain
            .run(&issuer, anchor(C, &code, 10, 10))
            .unwrap_err()
            .code(),
        204
    );
    chain.run(&issuer, anchor(C, &code, 0, 1)).unwrap();
    // Twice.
    assert_eq!(
        chain
            .run(&issuer, anchor(C, &code, 0, 1))
            .unwrap_err()
            .code(),
        401
    );
    // Status change of an unknown licence.
    assert_eq!(
        chain.run(&issuer, suspend([0xee; 32])).unwrap_err().code(),
        400
    );
}

#[test]
fn jiangsu_issuer_cannot_touch_a_shanghai_licence() {
    let (mut chain, sh_issuer, code) = shanghai_issuer_chain();
    let js_issuer = key(22);
    chain.accredit(
        ProvinceCode::JIANGSU,
        &js_issuer,
        std::slice::from_ref(&code),
    );
    chain.run(&sh_issuer, anchor(C, &code, 0, 1)).unwrap();
    for payload in [suspend(C), revoke(C), renew(C, 1, 2)] {
        assert_eq!(
            chain.run(&js_issuer, payload),
            Err(TxError::NotLicenceIssuer {
                commitment: C,
                issuer: pk(&sh_issuer)
            })
        );
    }
    assert_eq!(chain.licence_status(&sh(), &C), Some(LicenceStatus::Active));
    // Another Shanghai issuer cannot either: only the issuing issuer.
    let sh_other = key(23);
    chain.accredit(
        ProvinceCode::SHANGHAI,
        &sh_other,
        std::slice::from_ref(&code),
    );
    assert_eq!(chain.run(&sh_other, revoke(C)).unwrap_err().code(), 306);
    // A suspended issuer cannot change status either.
    chain
        .run(
            &authority(ProvinceCode::SHANGHAI),
            TxPayload::SuspendIssuer {
                issuer: pk(&sh_issuer),
                reason: StatusReason::Unspecified,
            },
        )
        .unwrap();
    assert_eq!(chain.run(&sh_issuer, revoke(C)).unwrap_err().code(), 303);
}

#[test]
fn batch_anchor_then_member_status_by_proof() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let leaves: Vec<[u8; 32]> = (0..7u8).map(|i| *blake3::hash(&[i]).as_bytes()).collect();
    let tree = BatchTree::build(leaves.clone()).unwrap();
    let root = tree.root();
    let batch = |count| {
        TxPayload::AnchorBatch(AnchorBatch {
            root,
            count,
            licence_type: code.clone(),
        })
    };
    assert_eq!(chain.run(&issuer, batch(0)).unwrap_err().code(), 203);
    assert_eq!(
        chain
            .run(&issuer, batch(MAX_BATCH_COUNT + 1))
            .unwrap_err()
            .code(),
        203
    );
    chain.run(&issuer, batch(7)).unwrap();
    assert_eq!(chain.run(&issuer, batch(7)).unwrap_err().code(), 401);
    let view = query::batch_get(&chain.state.snapshot(), &sh(), &root)
        .unwrap()
        .unwrap();
    assert_eq!(view.count, 7);

    // A member verifies through its proof before any status change.
    let membership = BatchMembership {
        root,
        proof: tree.proof(3).unwrap(),
    };
    let answer = query::licence_verify_in_batch(
        &chain.state.snapshot(),
        &sh(),
        &leaves[3],
        &membership,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap();
    assert_eq!(
        (answer.disclosure, answer.valid),
        (Disclosure::Full, Some(true))
    );
    assert_eq!(answer.details.unwrap().batch_root, Some(hex::encode(root)));
    // A wrong leaf with that proof is not found.
    let wrong = query::licence_verify_in_batch(
        &chain.state.snapshot(),
        &sh(),
        &leaves[4],
        &membership,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap();
    assert_eq!(wrong.disclosure, Disclosure::NotFound);

    // Suspending a member needs a valid proof.
    let with = |c: [u8; 32], membership: Option<BatchMembership>| {
        TxPayload::SuspendLicence(LicenceStatusChange {
            target: LicenceTarget {
                issuer: sh(),
                commitment: c,
                batch: membership,
            },
            reason: StatusReason::CourtOrder,
        })
    };
    assert_eq!(
        chain
            .run(&issuer, with(leaves[3], None))
            .unwrap_err()
            .code(),
        400
    );
    assert_eq!(
        chain.run(&issuer, with(leaves[4], Some(membership.clone()))),
        Err(TxError::BatchProofInvalid {
            root,
            commitment: leaves[4]
        })
    );
    // Another issuer cannot, even with a valid proof.
    let other = key(24);
    chain.accredit(ProvinceCode::SHANGHAI, &other, std::slice::from_ref(&code));
    assert_eq!(
        chain
            .run(&other, with(leaves[3], Some(membership.clone())))
            .unwrap_err()
            .code(),
        306
    );
    chain
        .run(&issuer, with(leaves[3], Some(membership.clone())))
        .unwrap();
    assert_eq!(
        chain.licence_status(&sh(), &leaves[3]),
        Some(LicenceStatus::Suspended)
    );
    let history = query::licence_history(&chain.state.snapshot(), &sh(), &leaves[3], None)
        .unwrap()
        .unwrap();
    assert_eq!(
        history.iter().map(|e| e.kind).collect::<Vec<_>>(),
        vec![
            LicenceEventKind::ImportedFromBatch,
            LicenceEventKind::Suspended
        ]
    );
    // Later changes need no proof; the batch query sees the record.
    chain.run(&issuer, reinstate(leaves[3])).unwrap();
    let answer = query::licence_verify_in_batch(
        &chain.state.snapshot(),
        &sh(),
        &leaves[3],
        &membership,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap();
    assert_eq!(answer.details.unwrap().history_length, 3);
}

#[test]
fn history_stops_at_its_limit() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    chain.run(&issuer, anchor(C, &code, 0, u64::MAX)).unwrap();
    // Anchoring is event 0; fill the rest with alternating suspend / reinstate in one block.
    let changes = (1..MAX_LICENCE_HISTORY)
        .map(|i| if i % 2 == 1 { suspend(C) } else { reinstate(C) })
        .collect();
    let txs = chain.txs(&issuer, changes);
    let outcome = chain.apply(&txs);
    assert!(outcome.errors.is_empty());
    let next = if MAX_LICENCE_HISTORY % 2 == 1 {
        suspend(C)
    } else {
        reinstate(C)
    };
    assert_eq!(
        chain.run(&issuer, next),
        Err(TxError::LimitReached {
            what: "licence history",
            max: u64::from(MAX_LICENCE_HISTORY)
        })
    );
    let history = query::licence_history(&chain.state.snapshot(), &sh(), &C, None)
        .unwrap()
        .unwrap();
    assert_eq!(history.len(), MAX_LICENCE_HISTORY as usize);
}

#[test]
fn type_code_format_is_checked() {
    let (mut chain, issuer, _) = shanghai_issuer_chain();
    let bad = LicenceTypeCode("bl01".into());
    assert_eq!(
        chain
            .run(&issuer, anchor(C, &bad, 0, 1))
            .unwrap_err()
            .code(),
        200
    );
}
