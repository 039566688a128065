//! Executing a block without writing, then committing it; and reopening a state from its store.

mod common;

use common::*;
use yrd_contracts::{BlockError, ProvinceCode, SignatureMode, State, TxPayload};

#[test]
fn execute_then_commit_equals_apply() {
    let (chain, issuer, code) = shanghai_issuer_chain();
    let txs = chain.txs(
        &issuer,
        (0..5u8)
            .map(|i| anchor([i; 32], &code, 0, u64::MAX))
            .collect(),
    );
    let ctx = chain.context();
    let mut reference = State::open(chain.state.tree().store().clone()).unwrap();
    let applied = reference.apply_block(&ctx, &txs).unwrap();

    let mut state = State::open(chain.state.tree().store().clone()).unwrap();
    let before = state.root().unwrap();
    let executed = state
        .execute_block(&ctx, &txs, SignatureMode::Individual)
        .unwrap();
    // Nothing written yet.
    assert_eq!(state.version(), chain.state.version());
    assert_eq!(state.root().unwrap(), before);
    assert_eq!(executed.outcome, applied);
    let committed = state.commit_block(executed).unwrap();
    assert_eq!(committed, applied);
    assert_eq!(state.root().unwrap(), applied.state_root);
}

#[test]
fn a_stale_execution_cannot_be_committed() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let tx = chain.tx(
        &sh,
        TxPayload::TimestampDocument {
            digest: [1; 32],
            acting_did: None,
        },
    );
    let ctx = chain.context();
    let executed = chain
        .state
        .execute_block(&ctx, std::slice::from_ref(&tx), SignatureMode::Individual)
        .unwrap();
    chain.apply(&[tx]);
    assert!(matches!(
        chain.state.commit_block(executed),
        Err(BlockError::HeightMismatch { .. })
    ));
}

#[test]
fn reopened_state_continues() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    chain
        .run(&issuer, anchor([7; 32], &code, 0, u64::MAX))
        .unwrap();
    let reopened = State::open(chain.state.tree().store().clone()).unwrap();
    assert_eq!(reopened.version(), chain.state.version());
    assert_eq!(reopened.root().unwrap(), chain.state.root().unwrap());
    // The genesis cannot be written twice into a used store.
    let again = State::genesis(&genesis(), chain.state.tree().store().clone());
    assert!(matches!(
        again,
        Err(yrd_contracts::GenesisError::AlreadyInitialised(_))
    ));
}
