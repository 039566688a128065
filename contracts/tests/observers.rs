//! Observer registration: only a member province's authority registers observers, at most
//! `MAX_OBSERVERS_PER_PROVINCE` each, removes only its own, and an observer of a removed province
//! no longer counts.

mod common;

use common::*;
use yrd_contracts::limits::MAX_OBSERVERS_PER_PROVINCE;
use yrd_contracts::query;
use yrd_contracts::tx::GovernanceAction;
use yrd_contracts::{ProvinceCode, TxPayload};

const SH: ProvinceCode = ProvinceCode::SHANGHAI;
const JS: ProvinceCode = ProvinceCode::JIANGSU;
const ZJ: ProvinceCode = ProvinceCode::ZHEJIANG;
const AH: ProvinceCode = ProvinceCode::ANHUI;

fn register(seed: u8) -> TxPayload {
    TxPayload::RegisterObserver {
        key: pk(&key(seed)),
    }
}

fn observers(chain: &Chain) -> Vec<[u8; 32]> {
    query::observer_keys(&chain.state.snapshot()).unwrap()
}

#[test]
fn an_authority_registers_an_observer_once_and_others_cannot() {
    let mut chain = Chain::new();
    chain.run(&authority(SH), register(100)).unwrap();
    assert_eq!(observers(&chain), vec![pk(&key(100))]);

    // Twice, by the same or another province.
    assert_eq!(
        chain.run(&authority(SH), register(100)).unwrap_err().code(),
        401
    );
    assert_eq!(
        chain.run(&authority(JS), register(100)).unwrap_err().code(),
        401
    );
    // Not an authority: an accredited issuer, or the observer itself.
    let (mut issuer_chain, issuer, _) = shanghai_issuer_chain();
    assert_eq!(
        issuer_chain.run(&issuer, register(101)).unwrap_err().code(),
        300
    );
    // A validator's key (genesis validators are keys 11..=14).
    assert_eq!(
        chain.run(&authority(SH), register(11)).unwrap_err().code(),
        401
    );
    // A key of small order is never a usable node key.
    let small_order = TxPayload::RegisterObserver { key: [0; 32] };
    assert_eq!(
        chain.run(&authority(SH), small_order).unwrap_err().code(),
        200
    );
    assert_eq!(observers(&chain), vec![pk(&key(100))]);
}

#[test]
fn a_province_registers_at_most_its_share_and_others_are_unaffected() {
    let mut chain = Chain::new();
    for seed in 0..MAX_OBSERVERS_PER_PROVINCE as u8 {
        chain.run(&authority(SH), register(100 + seed)).unwrap();
    }
    let full = chain.run(&authority(SH), register(200)).unwrap_err();
    assert_eq!(full.code(), 404, "{full}");
    chain.run(&authority(JS), register(200)).unwrap();
    assert_eq!(observers(&chain).len(), MAX_OBSERVERS_PER_PROVINCE + 1);
    // Keys come out ascending, whatever the registration order.
    let keys = observers(&chain);
    assert!(keys.windows(2).all(|pair| pair[0] < pair[1]));
}

#[test]
fn only_the_registering_province_removes_its_observer() {
    let mut chain = Chain::new();
    chain.run(&authority(SH), register(100)).unwrap();
    let remove = TxPayload::RemoveObserver { key: pk(&key(100)) };
    let refused = chain.run(&authority(JS), remove.clone()).unwrap_err();
    assert_eq!(refused.code(), 400, "{refused}");
    assert_eq!(observers(&chain), vec![pk(&key(100))]);
    chain.run(&authority(SH), remove.clone()).unwrap();
    assert!(observers(&chain).is_empty());
    assert_eq!(chain.run(&authority(SH), remove).unwrap_err().code(), 400);
}

#[test]
fn observers_of_a_removed_province_lapse() {
    let mut chain = Chain::new();
    chain.run(&authority(SH), register(100)).unwrap();
    chain.run(&authority(JS), register(101)).unwrap();
    chain
        .run(
            &authority(JS),
            TxPayload::Propose(GovernanceAction::RemoveMember { province: SH }),
        )
        .unwrap();
    for province in [ZJ, AH] {
        chain
            .run(
                &authority(province),
                TxPayload::Vote {
                    proposal_id: 0,
                    approve: true,
                },
            )
            .unwrap();
    }
    assert!(
        query::member_get(&chain.state.snapshot(), SH)
            .unwrap()
            .is_none()
    );
    assert_eq!(observers(&chain), vec![pk(&key(101))]);
}

/// On `ed25519-blake3` a node's network key is its node key: a binding is refused, even a
/// well-signed one.
#[test]
fn an_ed25519_chain_refuses_network_key_bindings() {
    use ed25519_dalek::Signer as _;
    let mut chain = Chain::new();
    chain.run(&authority(SH), register(100)).unwrap();
    let network = key(200);
    let network_key = pk(&network);
    let message =
        yrd_contracts::hashing::network_binding_message(CHAIN, &pk(&key(100)), &network_key);
    let refused = chain.run(
        &authority(SH),
        TxPayload::BindNetworkKey {
            node_key: pk(&key(100)),
            network_key,
            possession: network.sign(&message).to_bytes(),
        },
    );
    assert!(
        matches!(refused, Err(yrd_contracts::TxError::InvalidField { .. })),
        "{refused:?}"
    );
}
