//! The three ways a block's signatures are checked give the same receipts and the same root.

mod common;

use std::collections::BTreeSet;

use common::*;
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::{BlockOutcome, SignedTx, State, TxError};

/// 40 anchoring transactions from two issuers; optionally one with a corrupted signature.
fn block(
    chain: &Chain,
    issuers: &[ed25519_dalek::SigningKey; 2],
    bad: Option<usize>,
) -> Vec<SignedTx> {
    let code = yrd_contracts::LicenceTypeCode("BL01".into());
    let mut txs = Vec::new();
    for (which, issuer) in issuers.iter().enumerate() {
        let payloads = (0..20u8)
            .map(|i| anchor([i + 20 * which as u8; 32], &code, 0, u64::MAX))
            .collect();
        txs.extend(chain.txs(issuer, payloads));
    }
    if let Some(index) = bad {
        txs[index].signature[40] ^= 0x04;
    }
    txs
}

fn setup() -> (Chain, [ed25519_dalek::SigningKey; 2]) {
    let (mut chain, first, code) = shanghai_issuer_chain();
    let second = key(22);
    chain.accredit(yrd_contracts::ProvinceCode::SHANGHAI, &second, &[code]);
    (chain, [first, second])
}

fn fork(chain: &Chain) -> State<MemoryTreeStore> {
    // Two independent states over copies of the same store.
    State::open(chain.state.tree().store().clone()).unwrap()
}

#[test]
fn one_bad_signature_fails_exactly_its_transaction_in_every_mode() {
    let (chain, issuers) = setup();
    let txs = block(&chain, &issuers, Some(13));
    let ctx = chain.context();
    let mut individual = fork(&chain);
    let mut batched = fork(&chain);
    let a: BlockOutcome = individual.apply_block(&ctx, &txs).unwrap();
    let b: BlockOutcome = batched.apply_block_batch_verified(&ctx, &txs).unwrap();
    assert_eq!(a, b);
    let failed: Vec<usize> = a
        .receipts
        .iter()
        .enumerate()
        .filter(|(_, r)| r.code != 0)
        .map(|(i, _)| i)
        .collect();
    // The bad one fails on its signature; the issuer's later ones then fail on their nonce.
    assert_eq!(a.errors[0], (13, TxError::BadSignature));
    assert_eq!(failed, (13..20).collect::<Vec<_>>());
    assert!(a.errors[1..].iter().all(|(_, e)| e.code() == 105));
}

#[test]
fn all_valid_batch_matches_individual() {
    let (chain, issuers) = setup();
    let txs = block(&chain, &issuers, None);
    let ctx = chain.context();
    let mut individual = fork(&chain);
    let mut batched = fork(&chain);
    let a = individual.apply_block(&ctx, &txs).unwrap();
    let b = batched.apply_block_batch_verified(&ctx, &txs).unwrap();
    assert!(a.errors.is_empty());
    assert_eq!(a, b);
}

#[test]
fn preverified_hashes_cover_the_signature() {
    let (chain, issuers) = setup();
    let good = block(&chain, &issuers, None);
    let bad = block(&chain, &issuers, Some(0));
    let ctx = chain.context();
    // The caller vouched for the good transactions' hashes; the corrupted one has another hash,
    // so it is checked and refused.
    let verified: BTreeSet<[u8; 32]> = good.iter().map(SignedTx::hash).collect();
    assert!(!verified.contains(&bad[0].hash()));
    let mut state = fork(&chain);
    let outcome = state
        .apply_block_preverified(&ctx, &bad, &verified)
        .unwrap();
    assert_eq!(outcome.errors[0], (0, TxError::BadSignature));
    let mut reference = fork(&chain);
    assert_eq!(outcome, reference.apply_block(&ctx, &bad).unwrap());
}
