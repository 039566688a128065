use super::*;

#[derive(Debug, Clone, PartialEq)]
struct FakeTx {
    signer: u8,
    nonce: u64,
    expiry: u64,
    len: usize,
}

impl PoolTx for FakeTx {
    fn hash(&self) -> [u8; 32] {
        let mut h = [0u8; 32];
        h[0] = self.signer;
        h[1..9].copy_from_slice(&self.nonce.to_be_bytes());
        h[9..17].copy_from_slice(&self.expiry.to_be_bytes());
        h[17..25].copy_from_slice(&(self.len as u64).to_be_bytes());
        h
    }
    fn signer(&self) -> [u8; 32] {
        [self.signer; 32]
    }
    fn nonce(&self) -> u64 {
        self.nonce
    }
    fn expiry_height(&self) -> u64 {
        self.expiry
    }
    fn encoded_len(&self) -> usize {
        self.len
    }
}

fn tx(signer: u8, nonce: u64) -> FakeTx {
    FakeTx {
        signer,
        nonce,
        expiry: 100,
        len: 10,
    }
}

/// Admission at `height` for a signer whose next nonce is `next`, at time 0, no province.
fn at(next: u64, height: u64) -> Admission {
    Admission {
        next_nonce: next,
        height,
        now_ms: 0,
        province: None,
    }
}

fn config() -> MempoolConfig {
    MempoolConfig {
        max_txs: 5,
        max_bytes: 45,
        max_txs_per_signer: 3,
        max_bytes_per_signer: 45,
        max_txs_per_province: 5,
        max_bytes_per_province: 45,
        max_nonce_gap: 4,
        max_gapped_txs_per_signer: 3,
        max_gapped_age_blocks: 10,
        max_lifetime_blocks: 50,
        max_lifetime_ms: 60_000,
        max_expiry_ahead_blocks: 200,
    }
}

fn pool() -> Mempool<FakeTx> {
    Mempool::new(config())
}

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
fn count_limit_reached() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 2,
        ..config()
    });
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    assert_eq!(
        p.insert(tx(3, 0), at(0, 1)),
        Err(MempoolError::FullCount { count: 2, limit: 2 })
    );
}

#[test]
fn byte_limit_reached() {
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
    // A smaller one still fits.
    p.insert(FakeTx { len: 5, ..tx(5, 0) }, at(0, 1)).unwrap();
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
fn per_signer_byte_limit_reached() {
    let mut p = Mempool::new(MempoolConfig {
        max_bytes_per_signer: 25,
        ..config()
    });
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    assert_eq!(
        p.insert(tx(1, 2), at(0, 1)),
        Err(MempoolError::SignerBytesFull {
            signer: [1; 32],
            bytes: 20,
            adding: 10,
            limit: 25
        })
    );
    // Exactly at the limit fits.
    p.insert(FakeTx { len: 5, ..tx(1, 2) }, at(0, 1)).unwrap();
    assert_eq!(p.bytes(), 25);
}

#[test]
fn per_province_limits_reached_and_other_provinces_unaffected() {
    let mut p = Mempool::new(MempoolConfig {
        max_bytes: 100,
        max_txs_per_province: 2,
        max_bytes_per_province: 30,
        ..config()
    });
    let province = |code| Admission {
        province: code,
        ..at(0, 1)
    };
    p.insert(tx(1, 0), province(Some(7))).unwrap();
    p.insert(tx(2, 0), province(Some(7))).unwrap();
    assert_eq!(
        p.insert(tx(3, 0), province(Some(7))),
        Err(MempoolError::ProvinceFull {
            province: Some(7),
            count: 2,
            limit: 2
        })
    );
    // Another province, and the bucket of signers without one, still have their share.
    p.insert(tx(3, 0), province(Some(8))).unwrap();
    p.insert(
        FakeTx {
            len: 20,
            ..tx(4, 0)
        },
        province(None),
    )
    .unwrap();
    assert_eq!(
        p.insert(
            FakeTx {
                len: 11,
                ..tx(5, 0)
            },
            province(None)
        ),
        Err(MempoolError::ProvinceBytesFull {
            province: None,
            bytes: 20,
            adding: 11,
            limit: 30
        })
    );
    // Removing frees the share.
    p.remove(&tx(1, 0).hash());
    p.insert(tx(6, 0), province(Some(7))).unwrap();
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
    let other = FakeTx {
        expiry: 99,
        ..tx(1, 7)
    };
    assert_eq!(
        p.insert(other, at(3, 1)),
        Err(MempoolError::NonceTaken { nonce: 7 })
    );
}

#[test]
fn expired_refused_and_evicted() {
    let mut p = pool();
    let t = FakeTx {
        expiry: 5,
        ..tx(1, 0)
    };
    assert_eq!(
        p.insert(t.clone(), at(0, 5)),
        Err(MempoolError::Expired {
            expiry_height: 5,
            height: 5
        })
    );
    p.insert(t, at(0, 4)).unwrap();
    p.insert(tx(2, 0), at(0, 4)).unwrap();
    assert_eq!(p.remove_committed(&[], 5, 0, |_| 0), 1);
    assert_eq!(p.len(), 1);
    assert_eq!(p.evictions().get(EvictReason::Expired), 1);
}

#[test]
fn expiry_too_far_ahead_refused_at_the_edge() {
    let mut p = pool();
    // Committed height 10, bound 200: expiry 210 is the furthest admitted.
    let edge = FakeTx {
        expiry: 210,
        ..tx(1, 0)
    };
    p.insert(edge, at(0, 10)).unwrap();
    let beyond = FakeTx {
        expiry: 211,
        ..tx(2, 0)
    };
    let error = p.insert(beyond, at(0, 10)).unwrap_err();
    assert_eq!(
        error,
        MempoolError::ExpiryTooFar {
            expiry_height: 211,
            height: 10,
            max_ahead: 200
        }
    );
    assert!(error.to_string().contains("at most 210"), "{error}");
    let far = FakeTx {
        expiry: u64::MAX,
        ..tx(3, 0)
    };
    assert!(matches!(
        p.insert(far, at(0, 10)),
        Err(MempoolError::ExpiryTooFar { .. })
    ));
}

#[test]
fn lifetime_in_blocks_evicts_at_the_edge() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 10)).unwrap();
    p.insert(tx(2, 0), at(0, 11)).unwrap();
    // max_lifetime_blocks = 50: admitted at 10, still held at 59, gone at 60.
    assert_eq!(p.remove_committed(&[], 59, 0, |_| 0), 0);
    assert_eq!(p.remove_committed(&[], 60, 0, |_| 0), 1);
    assert!(!p.contains(&tx(1, 0).hash()));
    assert!(p.contains(&tx(2, 0).hash()));
    assert_eq!(p.evictions().get(EvictReason::LifetimeBlocks), 1);
}

#[test]
fn lifetime_in_wall_time_evicts_at_the_edge_and_on_admission() {
    let mut p = pool();
    let now = |ms| Admission {
        now_ms: ms,
        ..at(0, 1)
    };
    p.insert(tx(1, 0), now(1_000)).unwrap();
    p.insert(tx(2, 0), now(2_000)).unwrap();
    // max_lifetime_ms = 60 000: the first is still held at 60 999 and gone at 61 000.
    assert_eq!(p.remove_committed(&[], 1, 60_999, |_| 0), 0);
    assert_eq!(p.remove_committed(&[], 1, 61_000, |_| 0), 1);
    assert_eq!(p.evictions().get(EvictReason::LifetimeTime), 1);
    // With no block committing, admission applies the bound too.
    p.insert(tx(3, 0), now(62_000)).unwrap();
    assert!(!p.contains(&tx(2, 0).hash()));
    assert_eq!(p.evictions().get(EvictReason::LifetimeTime), 2);
    // A clock stepping back does not make a newer transaction look older.
    p.insert(tx(4, 0), now(10)).unwrap();
    assert_eq!(p.remove_committed(&[], 1, 62_001, |_| 0), 0);
}

#[test]
fn gapped_count_bounded_per_signer() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs_per_signer: 5,
        max_gapped_txs_per_signer: 2,
        ..config()
    });
    // Next nonce 0 is missing: 1 and 2 wait behind the gap, 3 is one too many.
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    assert_eq!(
        p.insert(tx(1, 3), at(0, 1)),
        Err(MempoolError::TooManyGapped {
            count: 2,
            limit: 2,
            missing: 0
        })
    );
    // The missing nonce itself is always admitted, and closes the gap.
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 3), at(0, 1)).unwrap();
}

#[test]
fn no_gapped_transactions_when_the_bound_is_zero() {
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
fn gapped_transactions_evicted_after_their_age_bound() {
    let mut p = pool();
    // Signer 1 waits behind a missing nonce 0; signer 2's transaction is proposable.
    p.insert(tx(1, 1), at(0, 5)).unwrap();
    p.insert(tx(2, 0), at(0, 5)).unwrap();
    // max_gapped_age_blocks = 10: held at 14, evicted at 15; the proposable one stays.
    assert_eq!(p.remove_committed(&[], 14, 0, |_| 0), 0);
    assert_eq!(p.remove_committed(&[], 15, 0, |_| 0), 1);
    assert!(!p.contains(&tx(1, 1).hash()));
    assert!(p.contains(&tx(2, 0).hash()));
    assert_eq!(p.evictions().get(EvictReason::GapAge), 1);
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
    let picked: Vec<u64> = p.select(10, 1000, |_| 0).iter().map(|t| t.nonce).collect();
    assert_eq!(
        picked,
        vec![0, 1, 2],
        "nonce order even though 0 arrived last"
    );
}

#[test]
fn select_respects_count_and_bytes_and_arrival_order() {
    let mut p = pool();
    p.insert(tx(3, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    let signers: Vec<u8> = p.select(2, 1000, |_| 0).iter().map(|t| t.signer).collect();
    assert_eq!(signers, vec![3, 1]);
    assert_eq!(p.select(10, 25, |_| 0).len(), 2);
    assert_eq!(p.len(), 3, "selection does not remove");
}

#[test]
fn select_is_round_robin_across_provinces_then_signers() {
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 100,
        max_bytes: 1_000,
        max_txs_per_signer: 10,
        max_bytes_per_signer: 1_000,
        max_txs_per_province: 100,
        max_bytes_per_province: 1_000,
        ..config()
    });
    let province = |code| Admission {
        province: Some(code),
        ..at(0, 1)
    };
    // Province 1: signers 1 and 2, three each, all arrived first. Province 2: signer 3, last.
    for n in 0..3 {
        p.insert(tx(1, n), province(1)).unwrap();
    }
    for n in 0..3 {
        p.insert(tx(2, n), province(1)).unwrap();
    }
    p.insert(tx(3, 0), province(2)).unwrap();
    let order: Vec<(u8, u64)> = p
        .select(100, 10_000, |_| 0)
        .iter()
        .map(|t| (t.signer, t.nonce))
        .collect();
    assert_eq!(
        order,
        vec![(1, 0), (3, 0), (2, 0), (1, 1), (2, 1), (1, 2), (2, 2)]
    );
}

#[test]
fn a_flooding_signer_does_not_starve_another() {
    // One signer submits far beyond its share; another signer's transactions are still admitted
    // and go into the next payload, even though they arrived after everything of the flooder.
    let cfg = MempoolConfig {
        max_txs: 1_000,
        max_bytes: 100_000,
        max_txs_per_signer: 50,
        max_bytes_per_signer: 10_000,
        max_txs_per_province: 100,
        max_bytes_per_province: 20_000,
        max_nonce_gap: 10_000,
        max_gapped_txs_per_signer: 10,
        ..config()
    };
    let mut p = Mempool::new(cfg);
    let flooder = Admission {
        province: Some(1),
        ..at(0, 1)
    };
    let mut refused = 0;
    for n in 0..5_000 {
        if p.insert(tx(1, n), flooder).is_err() {
            refused += 1;
        }
    }
    assert_eq!(p.len(), 50, "the flooder holds its share and no more");
    assert_eq!(refused, 4_950);
    // Another signer of the same province, and one of another province.
    let same = Admission {
        province: Some(1),
        ..at(0, 1)
    };
    let other = Admission {
        province: Some(2),
        ..at(0, 1)
    };
    for n in 0..3 {
        p.insert(tx(2, n), same).unwrap();
        p.insert(tx(3, n), other).unwrap();
    }
    // A block of 10: the other signers' six go in alongside four of the flooder's.
    let payload = p.select(10, 10_000, |_| 0);
    let of = |s: u8| payload.iter().filter(|t| t.signer == s).count();
    assert_eq!((of(1), of(2), of(3)), (4, 3, 3));
}

#[test]
fn committed_and_stale_removed() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(2, 0), at(0, 1)).unwrap();
    // Block included signer 1's nonce 0; meanwhile its nonce 1 was used by another tx too.
    let removed = p.remove_committed(&[tx(1, 0).hash()], 2, 0, |s| if s[0] == 1 { 2 } else { 0 });
    assert_eq!(removed, 2);
    assert!(p.contains(&tx(2, 0).hash()));
    assert_eq!(p.bytes(), 10);
    assert_eq!(p.evictions().get(EvictReason::StaleNonce), 1);
}

#[test]
fn fresh_keys_holding_gaps_cannot_fill_the_pool() {
    // Fifty fresh keys each submit only gapped nonces (which never become proposable).
    let mut p = Mempool::new(MempoolConfig {
        max_txs: 500,
        max_bytes: 1 << 20,
        max_txs_per_signer: 10,
        max_bytes_per_signer: 1 << 20,
        max_txs_per_province: 100,
        max_bytes_per_province: 1 << 20,
        max_nonce_gap: 1_000,
        max_gapped_txs_per_signer: 10,
        max_gapped_age_blocks: 10,
        max_lifetime_blocks: 50,
        ..config()
    });
    for key in 0..50u8 {
        for n in 1..=10 {
            let _ = p.insert(tx(key + 10, n), at(0, 1));
        }
    }
    assert_eq!(
        p.len(),
        100,
        "signers without a province share one province's share"
    );
    // A registered signer still gets in...
    let registered = Admission {
        province: Some(1),
        ..at(0, 1)
    };
    p.insert(tx(1, 0), registered).unwrap();
    // ...and the gapped transactions leave after their age bound.
    p.remove_committed(&[], 11, 0, |_| 0);
    assert_eq!(p.len(), 1);
    assert_eq!(p.evictions().get(EvictReason::GapAge), 100);
}
