//! Admission limits: duplicates, count, bytes, per signer, nonce window, expiry window, gaps.

use super::*;

#[test]
fn duplicate_refused() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    assert_eq!(
        p.insert(tx(1, 0), at(0, 1)),
        Err(MempoolError::Duplicate(tx(1, 0).hash()))
    );
}

#[test]
fn count_limit_reached_when_no_one_is_heavier() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 2,
        ..config()
    });
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    let refused = p.insert(tx(3, 0), at(0, 1));
    assert_eq!(refused, Err(MempoolError::FullCount { count: 2, limit: 2 }));
    assert!(refused.unwrap_err().is_full());
    assert_eq!(p.len(), 2);
}

#[test]
fn byte_limit_reached_when_no_one_is_heavier() {
    let mut p = pool();
    for s in 1..=4 {
        p.insert(tx(s, 0), at(0, 1)).unwrap();
    }
    assert_eq!(p.bytes(), 40);
    assert_eq!(
        p.insert(tx(5, 0), at(0, 1)),
        Err(MempoolError::FullBytes {
            bytes: 40,
            adding: 10,
            limit: 45
        })
    );
    // A smaller one still fits, exactly at the limit.
    p.insert(FakeTx { len: 5, ..tx(5, 0) }, at(0, 1)).unwrap();
    assert_eq!(p.bytes(), 45);
}

#[test]
fn per_signer_limit_reached() {
    let mut p = pool();
    for n in 0..3 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    assert!(matches!(
        p.insert(tx(1, 3), at(0, 1)),
        Err(MempoolError::SignerFull { count: 3, .. })
    ));
}

#[test]
fn nonce_window_enforced() {
    let mut p = pool();
    assert_eq!(
        p.insert(tx(1, 2), at(3, 1)),
        Err(MempoolError::NonceTooLow { nonce: 2, next: 3 })
    );
    assert_eq!(
        p.insert(tx(1, 8), at(3, 1)),
        Err(MempoolError::NonceTooHigh {
            nonce: 8,
            next: 3,
            max_gap: 4
        })
    );
    p.insert(tx(1, 7), at(3, 1)).unwrap();
    let other = tx_expiring(1, 7, 99);
    assert_eq!(
        p.insert(other, at(3, 1)),
        Err(MempoolError::NonceTaken { nonce: 7 })
    );
}

#[test]
fn expired_refused_and_evicted() {
    let mut p = pool();
    let t = tx_expiring(1, 0, 5);
    assert_eq!(
        p.insert(t.clone(), at(0, 5)),
        Err(MempoolError::Expired {
            expiry_height: 5,
            height: 5
        })
    );
    p.insert(t.clone(), at(0, 4)).unwrap();
    p.insert(tx(2, 0), at(0, 4)).unwrap();
    assert_eq!(commit(&mut p, &[], 5, 0, |_| 0), 1);
    assert_eq!(p.len(), 1);
    assert_eq!(p.take_evicted(), vec![(t.hash(), EvictReason::Expired)]);
    assert_eq!(p.evictions().expired, 1);
}

#[test]
fn expiry_exactly_at_the_bound_admitted_one_past_refused() {
    let mut p = pool();
    // Head 10, max_expiry_blocks 200: 210 is the furthest expiry admitted.
    let edge = tx_expiring(1, 0, 210);
    p.insert(edge, at(0, 10)).unwrap();
    let past = tx_expiring(2, 0, 211);
    let error = p.insert(past, at(0, 10)).unwrap_err();
    assert_eq!(
        error,
        MempoolError::ExpiryTooFar {
            expiry_height: 211,
            height: 10,
            max_expiry_blocks: 200
        }
    );
    assert!(!error.is_full());
    assert!(error.to_string().contains("at most 210"), "{error}");
}

#[test]
fn gapped_per_signer_bound_reached() {
    let mut p = pool();
    // Next nonce 0, nonce 0 missing: 1 and 2 wait behind the gap (limit 2); 3 is one too many.
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    assert_eq!(p.gapped_len(), 2);
    let error = p
        .insert(FakeTx { len: 1, ..tx(1, 3) }, at(0, 1))
        .unwrap_err();
    assert_eq!(
        error,
        MempoolError::TooManyGapped {
            count: 2,
            limit: 2,
            missing: 0
        }
    );
    assert!(
        error.to_string().contains("submit nonce 0 first"),
        "{error}"
    );
    // The missing nonce itself is always welcome, and closes the gap.
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    assert_eq!(p.gapped_len(), 0);
}

#[test]
fn zero_gapped_allowed_means_nonces_in_order_only() {
    let mut p = Mempool::new(MempoolConfig {
        max_gapped_txs_per_signer: 0,
        ..config()
    });
    assert!(matches!(
        p.insert(tx(1, 1), at(0, 1)),
        Err(MempoolError::TooManyGapped { .. })
    ));
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
}

#[test]
fn gapped_nonces_held_back_until_gap_closes() {
    let mut p = pool();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    assert!(
        p.select(10, 1000, |_| 0).is_empty(),
        "nonce 0 missing: nothing proposable"
    );
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    assert_eq!(
        picked(&p.select(10, 1000, |_| 0)),
        vec![(1, 0), (1, 1), (1, 2)],
        "nonce order even though 0 arrived last"
    );
}

#[test]
fn committed_and_stale_removed() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    // The block included signer 1's nonce 0; its nonce 1 was spent by another transaction.
    let removed = commit(&mut p, &[tx(1, 0)], 2, 0, |s| if s == 1 { 2 } else { 0 });
    assert_eq!(removed, 2);
    assert!(p.contains(&tx(2, 0).hash()));
    assert_eq!(p.bytes(), 10);
    assert_eq!(
        p.take_evicted(),
        vec![(tx(1, 1).hash(), EvictReason::StaleNonce)],
        "the included one is not an eviction"
    );
}

#[test]
fn stale_nonce_removed_when_a_block_spends_it_with_a_transaction_never_seen() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    // Another node's transaction of signer 1, nonce 0, was committed: only its signer is known.
    let removed = p.remove_committed(
        Commit {
            included: &[[9; 32]],
            signers: &[[1; 32]],
            height: 2,
            now_ms: 0,
        },
        |_| 1,
    );
    assert_eq!(removed, 1);
    assert!(p.is_empty());
}

#[test]
fn admission_learns_a_later_next_nonce_and_drops_what_it_spent() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 3), at(2, 1)).unwrap();
    assert_eq!(p.len(), 1, "nonces 0 and 1 were spent");
    assert_eq!(p.evictions().stale_nonce, 2);
}

#[test]
fn eviction_log_is_bounded() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: MAX_EVICTION_LOG + 10,
        max_bytes: usize::MAX / 2,
        max_txs_per_signer: MAX_EVICTION_LOG + 10,
        max_nonce_gap: 1_000,
        ..config()
    });
    for s in 0..(MAX_EVICTION_LOG + 10) {
        let t = FakeTx {
            signer: (s % 256) as u8,
            nonce: (s / 256) as u64,
            expiry: 100,
            len: 1,
        };
        p.insert(t, at(0, 1)).unwrap();
    }
    assert_eq!(commit(&mut p, &[], 100, 0, |_| 0), MAX_EVICTION_LOG + 10);
    assert_eq!(p.take_evicted().len(), MAX_EVICTION_LOG);
    assert_eq!(p.evictions().expired, (MAX_EVICTION_LOG + 10) as u64);
}
