//! Authority key rotation by governance: the new key acts for the province at once, the old one
//! never again (not even through the authority DID), and no used key can be the new one.

mod common;

use common::*;
use yrd_contracts::query;
use yrd_contracts::tx::GovernanceAction;
use yrd_contracts::types::Fragment;
use yrd_contracts::{ProvinceCode, TxError, TxPayload};

const SH: ProvinceCode = ProvinceCode::SHANGHAI;
const JS: ProvinceCode = ProvinceCode::JIANGSU;
const ZJ: ProvinceCode = ProvinceCode::ZHEJIANG;

/// Jiangsu proposes rotating Shanghai's key to `new_key`; Zhejiang and Anhui vote yes.
fn rotate(chain: &mut Chain, new_key: [u8; 32]) -> Result<(), TxError> {
    let id = chain.next_proposal_id();
    chain.run(
        &authority(JS),
        TxPayload::Propose(GovernanceAction::RotateAuthorityKey {
            province: SH,
            new_key,
        }),
    )?;
    chain.run(&authority(ZJ), vote(id))?;
    chain.run(&authority(ProvinceCode::ANHUI), vote(id))
}

fn vote(id: u64) -> TxPayload {
    TxPayload::Vote {
        proposal_id: id,
        approve: true,
    }
}

fn register_observer(seed: u8) -> TxPayload {
    TxPayload::RegisterObserver {
        key: pk(&key(seed)),
    }
}

#[test]
fn the_new_key_acts_for_the_province_and_the_old_one_never_again() {
    let mut chain = Chain::new();
    let new_authority = key(90);
    rotate(&mut chain, pk(&new_authority)).unwrap();
    let member = query::member_get(&chain.state.snapshot(), SH)
        .unwrap()
        .expect("still a member");
    assert_eq!(member.authority_key, hex::encode(pk(&new_authority)));

    // The old key is refused as the province's authority; the new one is accepted.
    let refused = chain
        .run(&authority(SH), register_observer(100))
        .unwrap_err();
    assert_eq!(refused.code(), 300, "{refused}");
    chain.run(&new_authority, register_observer(100)).unwrap();

    // The authority DID's key moved with it: the old key can no longer edit the DID, the new
    // one can.
    let did = member.authority_did;
    let edit = |new_key: [u8; 32]| TxPayload::DidRotateKey {
        did,
        fragment: Fragment("key-1".into()),
        new_key,
    };
    assert_eq!(
        chain
            .run(&authority(SH), edit(pk(&key(91))))
            .unwrap_err()
            .code(),
        307
    );
    chain.run(&new_authority, edit(pk(&key(92)))).unwrap();
}

#[test]
fn a_used_key_can_never_become_an_authority_key() {
    let (mut chain, issuer, _) = shanghai_issuer_chain();
    // Another province's authority key, an issuer's key, and (after one rotation) the
    // rotated-out key itself.
    for used in [pk(&authority(JS)), pk(&issuer)] {
        let refused = rotate(&mut chain, used).unwrap_err();
        assert!(matches!(refused.code(), 200 | 401), "{refused}");
    }
    rotate(&mut chain, pk(&key(90))).unwrap();
    let refused = rotate(&mut chain, pk(&authority(SH))).unwrap_err();
    assert!(matches!(refused.code(), 200 | 401), "{refused}");
    let member = query::member_get(&chain.state.snapshot(), SH)
        .unwrap()
        .unwrap();
    assert_eq!(member.authority_key, hex::encode(pk(&key(90))));
}
