//! Fair shares at admission, displacement from a full pool, and round-robin selection.

use super::*;

fn in_group(next_nonce: u64, group: u32) -> Admission {
    Admission {
        group: Some(group),
        ..at(next_nonce, 1)
    }
}

/// Ten transactions, 1000 bytes, fair shares from 50 %.
fn half_config() -> MempoolConfig {
    MempoolConfig {
        max_txs: 10,
        max_bytes: 1_000,
        max_txs_per_signer: 10,
        max_nonce_gap: 100,
        fair_share_from_percent: 50,
        ..config()
    }
}

#[test]
fn below_the_threshold_a_signer_may_hold_more_than_its_share() {
    let mut p = Mempool::new(MempoolConfig {
        fair_share_from_percent: 90,
        ..half_config()
    });
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    // Up to 9 of 10 no share applies: signer 1 holds 8, above its share of 5.
    for n in 0..8 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    assert!(matches!(
        p.insert(tx(1, 8), at(0, 1)),
        Err(MempoolError::OverFairShare {
            held_txs: 8,
            share_txs: 5,
            ..
        })
    ));
}

#[test]
fn nearly_full_signer_admitted_up_to_its_share_and_refused_past_it() {
    let mut p = Mempool::new(half_config());
    for n in 0..4 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    // 6 of 10 after this one (past 50 %); signer 1 would hold 5, two signers: share 5.
    p.insert(tx(1, 4), at(0, 1)).unwrap();
    let error = p.insert(tx(1, 5), at(0, 1)).unwrap_err();
    assert_eq!(
        error,
        MempoolError::OverFairShare {
            scope: ShareScope::Signer([1; 32]),
            held_txs: 5,
            held_bytes: 50,
            active: 2,
            share_txs: 5,
            share_bytes: 500,
        }
    );
    assert!(
        error.is_full(),
        "retry later, not a fault of the transaction"
    );
    // The other signer still gets in.
    p.insert(tx(2, 1), at(0, 1)).unwrap();
}

#[test]
fn nearly_full_signer_over_its_byte_share_refused() {
    let mut p = Mempool::new(half_config());
    let big = |n| FakeTx {
        len: 300,
        ..tx(1, n)
    };
    p.insert(big(0), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    // 610 of 1000 bytes after this one; signer 1 would hold 600 > 500.
    assert!(matches!(
        p.insert(big(1), at(0, 1)),
        Err(MempoolError::OverFairShare {
            scope: ShareScope::Signer(_),
            held_bytes: 300,
            ..
        })
    ));
}

#[test]
fn nearly_full_group_over_its_share_refused_while_another_group_is_admitted() {
    let mut p = Mempool::new(half_config());
    for (signer, count) in [(1u8, 2u64), (2, 2), (3, 1)] {
        for n in 0..count {
            p.insert(tx(signer, n), in_group(0, 1)).unwrap();
        }
    }
    p.insert(tx(9, 0), in_group(0, 2)).unwrap();
    // Province 1 holds 5 of 10 with two provinces waiting: at its share. Each of its signers is
    // within its own share (10 / 4), but the province is not.
    let error = p.insert(tx(3, 1), in_group(0, 1)).unwrap_err();
    assert_eq!(
        error,
        MempoolError::OverFairShare {
            scope: ShareScope::Group(Some(1)),
            held_txs: 5,
            held_bytes: 50,
            active: 2,
            share_txs: 5,
            share_bytes: 500,
        }
    );
    assert!(error.to_string().contains("province 1"), "{error}");
    // A fresh key of the same province is no way around it.
    assert!(matches!(
        p.insert(tx(4, 0), in_group(0, 1)),
        Err(MempoolError::OverFairShare {
            scope: ShareScope::Group(Some(1)),
            ..
        })
    ));
    // Province 2 may still grow, through its signer and a new one.
    p.insert(tx(9, 1), in_group(0, 2)).unwrap();
    p.insert(tx(10, 0), in_group(0, 2)).unwrap();
    assert_eq!(p.len(), 8);
}

#[test]
fn a_signer_keeps_its_first_group_while_it_has_transactions_waiting() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 20,
        ..half_config()
    });
    for signer in [1, 2] {
        for n in 0..5 {
            p.insert(tx(signer, n), in_group(0, 1)).unwrap();
        }
    }
    p.insert(tx(9, 0), in_group(0, 2)).unwrap();
    // Signer 1 is within its own share (6 of 20 among 3 signers); claiming province 3 does not
    // take it out of province 1, which is at its share.
    assert!(matches!(
        p.insert(tx(1, 5), in_group(0, 3)),
        Err(MempoolError::OverFairShare {
            scope: ShareScope::Group(Some(1)),
            ..
        })
    ));
}

/// Five transactions, bytes never the limit, fair shares only when full.
fn count_pool() -> Mempool<FakeTx> {
    Mempool::new(MempoolConfig {
        max_bytes: 1_000,
        ..config()
    })
}

#[test]
fn full_pool_displaces_the_heaviest_signers_newest_until_shares_are_equal() {
    let mut p = count_pool();
    for n in 0..3 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 1), at(0, 1)).unwrap();
    assert_eq!(p.len(), 5);
    p.insert(tx(3, 0), at(0, 1)).unwrap();
    assert_eq!(
        p.take_evicted(),
        vec![(tx(1, 2).hash(), EvictReason::Displaced)],
        "signer 1 held 3: its newest nonce goes"
    );
    p.insert(tx(4, 0), at(0, 1)).unwrap();
    p.insert(tx(5, 0), at(0, 1)).unwrap();
    assert_eq!(p.evictions().displaced, 3);
    // Five signers with one each: no one is heavier than a sixth would be.
    assert_eq!(
        p.insert(tx(6, 0), at(0, 1)),
        Err(MempoolError::FullCount { count: 5, limit: 5 })
    );
    // No signer was left with a gap: only newest nonces went.
    assert_eq!(p.gapped_len(), 0);
}

#[test]
fn full_pool_does_not_let_a_signer_displace_one_no_heavier_than_itself() {
    let mut p = count_pool();
    for n in 0..3 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 1), at(0, 1)).unwrap();
    // Signer 2 would hold 3, as many as signer 1: refused, nothing displaced.
    assert_eq!(
        p.insert(tx(2, 2), at(0, 1)),
        Err(MempoolError::FullCount { count: 5, limit: 5 })
    );
    assert!(p.take_evicted().is_empty());
}

#[test]
fn full_pool_by_bytes_displaces_the_heaviest_by_bytes() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 100,
        ..config()
    });
    let fat = |n| FakeTx {
        len: 15,
        ..tx(1, n)
    };
    p.insert(fat(0), at(0, 1)).unwrap();
    p.insert(fat(1), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    p.insert(FakeTx { len: 5, ..tx(3, 0) }, at(0, 1)).unwrap();
    assert_eq!(p.bytes(), 45);
    p.insert(tx(4, 0), at(0, 1)).unwrap();
    assert_eq!(
        p.take_evicted(),
        vec![(fat(1).hash(), EvictReason::Displaced)]
    );
    assert_eq!(p.bytes(), 40);
}

#[test]
fn full_pool_displaces_from_a_heavier_group_not_from_a_lighter_one() {
    let mut p = count_pool();
    p.insert(tx(1, 0), in_group(0, 1)).unwrap();
    p.insert(tx(2, 0), in_group(0, 1)).unwrap();
    p.insert(tx(3, 0), in_group(0, 1)).unwrap();
    p.insert(tx(8, 0), in_group(0, 2)).unwrap();
    p.insert(tx(8, 1), in_group(0, 2)).unwrap();
    // Province 3's first transaction: province 1 (3) is the heaviest; its heaviest signer loses
    // its newest (all hold one: the greatest key), not province 2's signer 8, which holds more.
    p.insert(tx(9, 0), in_group(0, 3)).unwrap();
    assert_eq!(
        p.take_evicted(),
        vec![(tx(3, 0).hash(), EvictReason::Displaced)]
    );
    // Province 3 would hold 2, as many as the heaviest: no more room for it.
    assert_eq!(
        p.insert(tx(9, 1), in_group(0, 3)),
        Err(MempoolError::FullCount { count: 5, limit: 5 })
    );
    assert!(p.contains(&tx(8, 1).hash()));
}

#[test]
fn displacement_is_bounded_per_admission() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 1_000,
        max_bytes: 200,
        max_txs_per_signer: 1_000,
        max_nonce_gap: 1_000,
        ..config()
    });
    for n in 0..200 {
        p.insert(FakeTx { len: 1, ..tx(1, n) }, at(0, 1)).unwrap();
    }
    // Needs 100 one-byte transactions to go; at most MAX_DISPLACED_PER_ADMISSION may.
    let error = p
        .insert(
            FakeTx {
                len: 100,
                ..tx(2, 0)
            },
            at(0, 1),
        )
        .unwrap_err();
    assert!(matches!(error, MempoolError::FullBytes { .. }), "{error}");
    assert_eq!(p.evictions().displaced, MAX_DISPLACED_PER_ADMISSION as u64);
    // One that needs fewer displaced gets in.
    p.insert(
        FakeTx {
            len: 80,
            ..tx(3, 0)
        },
        at(0, 1),
    )
    .unwrap();
    assert_eq!(p.bytes(), 200);
}

#[test]
fn selection_round_robins_across_signers() {
    let mut p = pool();
    for n in 0..3 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    assert_eq!(
        picked(&p.select(10, 1_000, |_| 0)),
        vec![(1, 0), (2, 0), (1, 1), (1, 2)]
    );
    assert_eq!(picked(&p.select(2, 1_000, |_| 0)), vec![(1, 0), (2, 0)]);
    assert_eq!(p.len(), 4, "selection does not remove");
}

#[test]
fn selection_round_robins_across_groups_before_signers() {
    let mut p = Mempool::new(half_config());
    for signer in 1..=3 {
        p.insert(tx(signer, 0), in_group(0, 1)).unwrap();
    }
    p.insert(tx(9, 0), in_group(0, 2)).unwrap();
    p.insert(tx(9, 1), in_group(0, 2)).unwrap();
    assert_eq!(
        picked(&p.select(10, 10_000, |_| 0)),
        vec![(1, 0), (9, 0), (2, 0), (9, 1), (3, 0)]
    );
}

#[test]
fn selection_respects_bytes_and_a_misfit_ends_only_its_signers_run() {
    let mut p = Mempool::new(half_config());
    p.insert(
        FakeTx {
            len: 50,
            ..tx(1, 0)
        },
        at(0, 1),
    )
    .unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 1), at(0, 1)).unwrap();
    assert_eq!(picked(&p.select(10, 25, |_| 0)), vec![(2, 0), (2, 1)]);
    assert_eq!(picked(&p.select(10, 60, |_| 0)), vec![(1, 0), (2, 0)]);
}

#[test]
fn selection_starts_at_the_callers_next_nonce() {
    let mut p = pool();
    for n in 0..3 {
        p.insert(tx(1, n), at(0, 1)).unwrap();
    }
    // Nonces 0 and 1 are in a proposal not yet committed.
    assert_eq!(picked(&p.select(10, 1_000, |_| 2)), vec![(1, 2)]);
    assert!(p.select(10, 1_000, |_| 3).is_empty());
}
