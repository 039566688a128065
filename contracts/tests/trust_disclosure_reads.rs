//! Attack: learn more of a licence than its data class discloses from what the evaluation reads
//! (a proof carries exactly those reads). Each disclosure reads its own licence leaves and never
//! the record unless the disclosure is full (ADR 010); the leaves follow every status change.

mod common;

use std::cell::RefCell;
use std::collections::BTreeSet;

use common::*;
use yrd_contracts::keys::{self, LicencePart};
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::{self, Disclosure};
use yrd_contracts::reader::{ReadError, StateReader, read_record};
use yrd_contracts::records::{LicenceRecord, LicenceStatusLeaf, LicenceValidityLeaf};
use yrd_contracts::tx::{RenewLicence, StatusReason, SubjectKind};
use yrd_contracts::{DataClass, DidId, ProvinceCode, TxPayload};

const SH: ProvinceCode = ProvinceCode::SHANGHAI;

/// A reader that remembers every key asked for.
struct Recording<R> {
    inner: R,
    keys: RefCell<BTreeSet<Vec<u8>>>,
}

impl<R: StateReader> StateReader for Recording<R> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ReadError> {
        self.keys.borrow_mut().insert(key.to_vec());
        self.inner.get(key)
    }
}

/// The licence keys (table `06`) read by `licence_verify` for `verifier`.
fn licence_reads(
    chain: &Chain,
    issuer: &Uscc,
    c: &[u8; 32],
    verifier: Option<&DidId>,
) -> (Disclosure, BTreeSet<Vec<u8>>) {
    let reader = Recording {
        inner: chain.state.snapshot(),
        keys: RefCell::new(BTreeSet::new()),
    };
    let answer = query::licence_verify(&reader, issuer, c, SH, verifier).unwrap();
    let read = reader
        .keys
        .into_inner()
        .into_iter()
        .filter(|k| k.first() == Some(&keys::table::LICENCE))
        .collect();
    (answer.disclosure, read)
}

#[test]
fn each_disclosure_reads_only_its_own_licence_leaves() {
    let mut chain = Chain::new();
    let open = chain.register_type("OPEN", DataClass::Unconditional);
    let cond = chain.register_type("COND", DataClass::Conditional);
    let closed = chain.register_type("SHUT", DataClass::NonOpen);
    let issuer = key(21);
    chain.accredit(SH, &issuer, &[open.clone(), cond.clone(), closed.clone()]);
    let uscc = issuer_uscc(SH, &issuer);
    for (c, code) in [([1; 32], &open), ([2; 32], &cond), ([3; 32], &closed)] {
        chain.run(&issuer, anchor(c, code, 0, u64::MAX)).unwrap();
    }
    let verifier = chain.create_did(SH, &key(31), SubjectKind::Verifier);
    chain
        .run(&authority(SH), TxPayload::RegisterVerifier { verifier })
        .unwrap();
    let part = |c: [u8; 32], p| keys::licence_part(&uscc, &c, p);
    let record = |c: [u8; 32]| keys::licence(&uscc, &c);
    let cases = [
        (
            [3; 32],
            None,
            Disclosure::Denied,
            vec![part([3; 32], LicencePart::Gate)],
        ),
        (
            [3; 32],
            Some(&verifier),
            Disclosure::StatusOnly,
            vec![
                part([3; 32], LicencePart::Gate),
                part([3; 32], LicencePart::Status),
            ],
        ),
        (
            [2; 32],
            None,
            Disclosure::ValidityOnly,
            vec![
                part([2; 32], LicencePart::Gate),
                part([2; 32], LicencePart::Status),
                part([2; 32], LicencePart::Validity),
            ],
        ),
        (
            [1; 32],
            None,
            Disclosure::Full,
            vec![part([1; 32], LicencePart::Gate), record([1; 32])],
        ),
        (
            [9; 32],
            None,
            Disclosure::NotFound,
            vec![part([9; 32], LicencePart::Gate)],
        ),
    ];
    for (c, who, expected_disclosure, expected_reads) in cases {
        let (disclosure, read) = licence_reads(&chain, &uscc, &c, who);
        assert_eq!(disclosure, expected_disclosure);
        assert_eq!(
            read,
            expected_reads.into_iter().collect::<BTreeSet<_>>(),
            "{disclosure:?}"
        );
    }
}

#[test]
fn leaves_follow_the_record_through_every_status_change() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let uscc = issuer_uscc(SH, &issuer);
    let c = [5; 32];
    chain.run(&issuer, anchor(c, &code, 0, u64::MAX)).unwrap();
    let check = |chain: &Chain| {
        let state = chain.state.snapshot();
        let record: LicenceRecord = read_record(&state, &keys::licence(&uscc, &c))
            .unwrap()
            .unwrap();
        let gate = query::licence_gate(&state, &uscc, &c).unwrap().unwrap();
        let status: LicenceStatusLeaf =
            read_record(&state, &keys::licence_part(&uscc, &c, LicencePart::Status))
                .unwrap()
                .unwrap();
        let validity: LicenceValidityLeaf = read_record(
            &state,
            &keys::licence_part(&uscc, &c, LicencePart::Validity),
        )
        .unwrap()
        .unwrap();
        assert_eq!(gate, record.gate());
        assert_eq!(status.status, record.status);
        assert_eq!(validity.validity, record.validity);
    };
    check(&chain);
    let change = |reason| status_change(&uscc, c, reason);
    let steps = [
        TxPayload::SuspendLicence(change(StatusReason::AdministrativeAction)),
        TxPayload::RenewLicence(RenewLicence {
            target: change(StatusReason::Renewal).target,
            reason: StatusReason::Renewal,
            valid_from_ms: 7,
            valid_until_ms: 9_000_000_000_000,
        }),
        TxPayload::ReinstateLicence(change(StatusReason::Resolved)),
        TxPayload::RevokeLicence(change(StatusReason::Fraud)),
    ];
    for step in steps {
        chain.run(&issuer, step).unwrap();
        check(&chain);
    }
}
