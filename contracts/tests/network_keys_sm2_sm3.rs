//! Network keys on an `sm2-sm3` chain (ADR 020): the genesis binds its validators' network keys;
//! a province authority binds those of its own nodes, each with the network key's signature
//! over the binding; one node per network key; an observer's removal drops its binding. This
//! test binary installs `sm2-sm3` before anything hashes.

mod common;

use common::*;
use ed25519_dalek::{Signer as _, SigningKey};
use yrd_consensus::CryptoSuite;
use yrd_contracts::hashing::network_binding_message;
use yrd_contracts::{NetworkKeyBinding, ProvinceCode, TxError, TxPayload, query};

const SH: ProvinceCode = ProvinceCode::SHANGHAI;
const JS: ProvinceCode = ProvinceCode::JIANGSU;

fn install() {
    if let Err(error) = CryptoSuite::install(CryptoSuite::Sm2Sm3) {
        panic!("{error}");
    }
}

/// The ed25519 network key of seed `seed`.
fn network(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// A binding of `node_key` to `network`'s key, signed by `signing` over `chain`'s message.
fn binding(
    chain: &str,
    node_key: [u8; 32],
    network: &SigningKey,
    signing: &SigningKey,
) -> TxPayload {
    let network_key = network.verifying_key().to_bytes();
    let message = network_binding_message(chain, &node_key, &network_key);
    TxPayload::BindNetworkKey {
        node_key,
        network_key,
        possession: signing.sign(&message).to_bytes(),
    }
}

fn bind(node_key: [u8; 32], network: &SigningKey) -> TxPayload {
    binding(CHAIN, node_key, network, network)
}

fn bound(chain: &Chain, node_key: [u8; 32]) -> Option<[u8; 32]> {
    query::network_key(&chain.state.snapshot(), &node_key).unwrap()
}

/// The four-province genesis on `sm2-sm3`, with the Shanghai validator's network key bound.
fn sm_chain() -> Chain {
    let mut genesis = genesis();
    genesis.crypto_suite = CryptoSuite::Sm2Sm3;
    genesis.network_keys = vec![NetworkKeyBinding {
        validator_key: pk(&key(11)),
        network_key: network(111).verifying_key().to_bytes(),
    }];
    Chain::from_genesis(&genesis)
}

#[test]
fn the_genesis_binds_its_validators_and_an_authority_binds_its_observer() {
    install();
    let mut chain = sm_chain();
    assert_eq!(
        bound(&chain, pk(&key(11))),
        Some(network(111).verifying_key().to_bytes())
    );
    assert_eq!(bound(&chain, pk(&key(12))), None);

    // Jiangsu binds its genesis validator; Shanghai registers an observer and binds it.
    chain
        .run(&authority(JS), bind(pk(&key(12)), &network(112)))
        .unwrap();
    assert_eq!(
        bound(&chain, pk(&key(12))),
        Some(network(112).verifying_key().to_bytes())
    );
    chain
        .run(
            &authority(SH),
            TxPayload::RegisterObserver { key: pk(&key(100)) },
        )
        .unwrap();
    chain
        .run(&authority(SH), bind(pk(&key(100)), &network(200)))
        .unwrap();
    assert_eq!(
        bound(&chain, pk(&key(100))),
        Some(network(200).verifying_key().to_bytes())
    );

    // Rebinding replaces the key and frees the old one for another node.
    chain
        .run(&authority(SH), bind(pk(&key(100)), &network(201)))
        .unwrap();
    assert_eq!(
        bound(&chain, pk(&key(100))),
        Some(network(201).verifying_key().to_bytes())
    );
    chain
        .run(&authority(JS), bind(pk(&key(12)), &network(200)))
        .unwrap();

    // Removing the observer drops its binding and frees its key.
    chain
        .run(
            &authority(SH),
            TxPayload::RemoveObserver { key: pk(&key(100)) },
        )
        .unwrap();
    assert_eq!(bound(&chain, pk(&key(100))), None);
    chain
        .run(&authority(SH), bind(pk(&key(11)), &network(201)))
        .unwrap();
}

#[test]
fn bindings_that_would_hijack_or_forge_are_refused() {
    install();
    let mut chain = sm_chain();
    chain
        .run(
            &authority(SH),
            TxPayload::RegisterObserver { key: pk(&key(100)) },
        )
        .unwrap();
    let observer = pk(&key(100));

    // Another province's node: Jiangsu cannot bind Shanghai's observer or validator.
    let refused = chain.run(&authority(JS), bind(observer, &network(200)));
    assert!(
        matches!(refused, Err(TxError::WrongProvince { .. })),
        "{refused:?}"
    );
    let refused = chain.run(&authority(JS), bind(pk(&key(11)), &network(200)));
    assert!(
        matches!(refused, Err(TxError::WrongProvince { .. })),
        "{refused:?}"
    );
    // A key that is no validator or observer.
    let refused = chain.run(&authority(SH), bind(pk(&key(99)), &network(200)));
    assert!(
        matches!(refused, Err(TxError::NotFound { .. })),
        "{refused:?}"
    );
    // Not an authority: the observer's own key has no role that may sign at all, and a
    // validator's key is no authority.
    let refused = chain.run(&key(100), bind(observer, &network(200)));
    assert!(
        matches!(refused, Err(TxError::UnregisteredSigner { .. })),
        "{refused:?}"
    );
    let refused = chain.run(&key(11), bind(observer, &network(200)));
    assert!(
        matches!(refused, Err(TxError::NotAuthority { .. })),
        "{refused:?}"
    );

    // No possession: signed by another key, for another chain, or for another node.
    let refused = chain.run(
        &authority(SH),
        binding(CHAIN, observer, &network(200), &network(201)),
    );
    assert!(
        matches!(refused, Err(TxError::InvalidField { .. })),
        "{refused:?}"
    );
    let refused = chain.run(
        &authority(SH),
        binding("yrd-other-chain", observer, &network(200), &network(200)),
    );
    assert!(
        matches!(refused, Err(TxError::InvalidField { .. })),
        "{refused:?}"
    );
    let network_key = network(200).verifying_key().to_bytes();
    let for_validator =
        network(200).sign(&network_binding_message(CHAIN, &pk(&key(11)), &network_key));
    let refused = chain.run(
        &authority(SH),
        TxPayload::BindNetworkKey {
            node_key: observer,
            network_key,
            possession: for_validator.to_bytes(),
        },
    );
    assert!(
        matches!(refused, Err(TxError::InvalidField { .. })),
        "{refused:?}"
    );
    // A network key that is no ed25519 point.
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let refused = chain.run(
        &authority(SH),
        TxPayload::BindNetworkKey {
            node_key: observer,
            network_key: not_a_point,
            possession: [0; 64],
        },
    );
    assert!(
        matches!(refused, Err(TxError::InvalidField { .. })),
        "{refused:?}"
    );

    // A network key another node holds (the genesis validator's), even with its signature: one
    // node per network key.
    let refused = chain.run(&authority(SH), bind(observer, &network(111)));
    assert!(
        matches!(refused, Err(TxError::AlreadyExists { .. })),
        "{refused:?}"
    );
    assert_eq!(bound(&chain, observer), None);
}

/// The binding message is docs/PROOFS.md 12.3's, recomputed with plain SM3.
#[test]
fn the_binding_message_is_the_documented_sm3_hash() {
    use sm3::{Digest, Sm3};
    install();
    let (node_key, network_key) = ([0x11; 32], [0x22; 32]);
    let context = b"yrd-ledger 2026 network key binding v1";
    let mut hasher = Sm3::new();
    hasher.update([context.len() as u8]);
    hasher.update(context);
    hasher.update(b"yrd-test-1");
    hasher.update([0]);
    hasher.update(node_key);
    hasher.update(network_key);
    let expected: [u8; 32] = hasher.finalize().into();
    assert_eq!(
        network_binding_message(CHAIN, &node_key, &network_key),
        expected
    );
}
