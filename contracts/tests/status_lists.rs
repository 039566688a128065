//! Status-list indexes: assigned per issuer from a counter when a licence record is first written
//! (anchored, or imported from a batch), stable, never reused, the same on every node; and the
//! entries a status list is built from.

mod common;

use common::*;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::keys;
use yrd_contracts::query::{self, ListedStatus, StatusListError};
use yrd_contracts::reader::read_record;
use yrd_contracts::tx::{
    AnchorBatch, BatchMembership, LicenceStatusChange, LicenceTarget, StatusReason,
};
use yrd_contracts::{DataClass, ProvinceCode, TxPayload};

fn sh() -> yrd_contracts::licence_id::Uscc {
    issuer_uscc(ProvinceCode::SHANGHAI, &key(21))
}

fn c(i: u8) -> [u8; 32] {
    [i; 32]
}

fn index_of(
    chain: &Chain,
    uscc: &yrd_contracts::licence_id::Uscc,
    commitment: &[u8; 32],
) -> Option<u64> {
    query::licence_verify(
        &chain.state.snapshot(),
        uscc,
        commitment,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap()
    .details
    .and_then(|d| d.status_list_index)
}

fn until() -> u64 {
    GENESIS_TIME_MS + 10 * DAY_MS
}

#[test]
fn indexes_count_up_per_issuer_and_map_back_to_the_commitment() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let other = key(24);
    chain.accredit(ProvinceCode::SHANGHAI, &other, std::slice::from_ref(&code));
    let other_uscc = issuer_uscc(ProvinceCode::SHANGHAI, &other);
    for i in 1..=3 {
        chain
            .run(&issuer, anchor(c(i), &code, GENESIS_TIME_MS, until()))
            .unwrap();
    }
    // The other issuer's counter is its own: it starts at 0 too.
    chain
        .run(&other, anchor(c(9), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    for i in 1..=3u8 {
        assert_eq!(index_of(&chain, &sh(), &c(i)), Some(u64::from(i - 1)));
    }
    assert_eq!(index_of(&chain, &other_uscc, &c(9)), Some(0));
    let snapshot = chain.state.snapshot();
    assert_eq!(query::status_list_counter(&snapshot, &sh()).unwrap(), 3);
    assert_eq!(
        query::status_list_counter(&snapshot, &other_uscc).unwrap(),
        1
    );
    for i in 0..3u64 {
        let entry: Option<[u8; 32]> =
            read_record(&snapshot, &keys::status_list_entry(&sh(), i)).unwrap();
        assert_eq!(entry, Some(c(i as u8 + 1)));
    }
}

#[test]
fn an_index_is_stable_and_never_reused() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    chain
        .run(&issuer, anchor(c(1), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    // A refused anchor (the same commitment again) takes no index.
    assert_eq!(
        chain
            .run(&issuer, anchor(c(1), &code, GENESIS_TIME_MS, until()))
            .unwrap_err()
            .code(),
        401
    );
    // Status changes keep the index; revocation does not free it.
    let revoke = TxPayload::RevokeLicence(status_change(&sh(), c(1), StatusReason::Fraud));
    chain.run(&issuer, revoke).unwrap();
    assert_eq!(index_of(&chain, &sh(), &c(1)), Some(0));
    chain
        .run(&issuer, anchor(c(2), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    assert_eq!(index_of(&chain, &sh(), &c(2)), Some(1));
    assert_eq!(index_of(&chain, &sh(), &c(1)), Some(0));
}

#[test]
fn batch_members_take_an_index_when_first_imported() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let leaves: Vec<[u8; 32]> = (0..4u8).map(|i| *blake3::hash(&[i]).as_bytes()).collect();
    let tree = BatchTree::build(leaves.clone()).unwrap();
    let root = tree.root();
    chain
        .run(
            &issuer,
            TxPayload::AnchorBatch(AnchorBatch {
                root,
                count: 4,
                licence_type: code.clone(),
            }),
        )
        .unwrap();
    chain
        .run(&issuer, anchor(c(1), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    let membership = BatchMembership {
        root,
        proof: tree.proof(2).unwrap(),
    };
    // Not imported yet: its answer (through the batch) shows no index.
    let answer = query::licence_verify_in_batch(
        &chain.state.snapshot(),
        &sh(),
        &leaves[2],
        &membership,
        ProvinceCode::SHANGHAI,
        None,
    )
    .unwrap();
    assert_eq!(answer.details.unwrap().status_list_index, None);
    let suspend = TxPayload::SuspendLicence(LicenceStatusChange {
        target: LicenceTarget {
            issuer: sh(),
            commitment: leaves[2],
            batch: Some(membership),
        },
        reason: StatusReason::CourtOrder,
    });
    chain.run(&issuer, suspend).unwrap();
    assert_eq!(index_of(&chain, &sh(), &leaves[2]), Some(1));
    let entries = query::status_list_entries(&chain.state.snapshot(), &sh(), 10).unwrap();
    assert_eq!(
        entries.entries,
        vec![ListedStatus::Active, ListedStatus::Suspended]
    );
}

#[test]
fn assignment_is_deterministic() {
    let run = || {
        let (mut chain, issuer, code) = shanghai_issuer_chain();
        for i in 1..=5 {
            chain
                .run(&issuer, anchor(c(i), &code, GENESIS_TIME_MS, until()))
                .unwrap();
        }
        chain.state.root().unwrap()
    };
    assert_eq!(run(), run());
}

#[test]
fn entries_show_status_only_for_unconditional_licences() {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", DataClass::Unconditional);
    let closed = chain.register_type("BL02", DataClass::NonOpen);
    let conditional = chain.register_type("BL03", DataClass::Conditional);
    let issuer = key(21);
    chain.accredit(
        ProvinceCode::SHANGHAI,
        &issuer,
        &[code.clone(), closed.clone(), conditional.clone()],
    );
    chain
        .run(&issuer, anchor(c(1), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    chain
        .run(&issuer, anchor(c(2), &closed, GENESIS_TIME_MS, until()))
        .unwrap();
    chain
        .run(
            &issuer,
            anchor(c(3), &conditional, GENESIS_TIME_MS, until()),
        )
        .unwrap();
    chain
        .run(&issuer, anchor(c(4), &code, GENESIS_TIME_MS, until()))
        .unwrap();
    for i in [1, 2, 3] {
        let revoke = TxPayload::RevokeLicence(status_change(&sh(), c(i), StatusReason::Fraud));
        chain.run(&issuer, revoke).unwrap();
    }
    let entries = query::status_list_entries(&chain.state.snapshot(), &sh(), 4).unwrap();
    assert_eq!(
        entries.entries,
        vec![
            ListedStatus::Revoked,
            ListedStatus::NotListed,
            ListedStatus::NotListed,
            ListedStatus::Active
        ]
    );
    assert_eq!(entries.height, chain.next_height() - 1);
    // The cap is checked before anything is read.
    assert!(matches!(
        query::status_list_entries(&chain.state.snapshot(), &sh(), 3),
        Err(StatusListError::TooMany {
            count: 4,
            max: 3,
            ..
        })
    ));
    // An issuer never accredited under a USCC has no list.
    let stranger = issuer_uscc(ProvinceCode::JIANGSU, &key(99));
    assert!(matches!(
        query::status_list_entries(&chain.state.snapshot(), &stranger, 10),
        Err(StatusListError::Query(query::QueryError::NotFound { .. }))
    ));
}
