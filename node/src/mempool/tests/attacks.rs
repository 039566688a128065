//! One test per attack on the pool, each performing it and showing it refused or bounded.

use super::*;

/// A pool of 100 transactions where any key may hold all of them, shares from 75 %.
fn flood_config() -> MempoolConfig {
    MempoolConfig {
        max_txs: 100,
        max_bytes: 100_000,
        max_txs_per_signer: 100,
        max_nonce_gap: 1_000,
        max_gapped_txs_per_signer: 100,
        max_gapped_age_ms: 10_000,
        max_lifetime_blocks: 50,
        max_lifetime_ms: 100_000,
        max_expiry_blocks: 200,
        fair_share_from_percent: 75,
    }
}

fn admission(group: GroupKey, next_nonce: u64, height: u64) -> Admission {
    Admission {
        next_nonce,
        height,
        now_ms: 0,
        group,
    }
}

#[test]
fn attack_gapped_nonces_evicted_after_the_bound() {
    // Attack: fill every pool with transactions that can never be proposed (their signer's next
    // nonce never arrives), from many keys, and let them sit forever.
    let mut p = Mempool::new(MempoolConfig {
        max_gapped_txs_per_signer: 5,
        ..flood_config()
    });
    for key in 1..=10u8 {
        for nonce in 1..=5 {
            p.insert(tx_expiring(key, nonce, 150), admission(None, 0, 1))
                .unwrap();
        }
        // A sixth behind the same gap is refused outright.
        assert!(matches!(
            p.insert(tx_expiring(key, 6, 150), admission(None, 0, 1)),
            Err(MempoolError::TooManyGapped { limit: 5, .. })
        ));
    }
    assert_eq!(p.gapped_len(), 50);
    assert!(p.select(100, 100_000, |_| 0).is_empty());
    // The honest signer's transaction is unaffected.
    p.insert(tx_expiring(20, 0, 150), admission(None, 0, 1))
        .unwrap();
    // max_gapped_age_ms 10 000: nothing gapped survives ten seconds, however few blocks passed.
    assert_eq!(commit(&mut p, &[], 2, 9_999, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 2, 10_000, |_| 0), 50);
    assert_eq!(p.len(), 1);
    assert_eq!(p.gapped_len(), 0);
    assert_eq!(p.evictions().gap_age, 50);
}

#[test]
fn attack_far_expiry_refused() {
    // Attack: a transaction with an expiry far in the future (u64::MAX) that stays valid, and
    // waiting, for good.
    let mut p = Mempool::new(flood_config());
    let error = p
        .insert(tx_expiring(1, 0, u64::MAX), admission(None, 0, 7))
        .unwrap_err();
    assert_eq!(
        error,
        MempoolError::ExpiryTooFar {
            expiry_height: u64::MAX,
            height: 7,
            max_expiry_blocks: 200
        }
    );
    assert!(p.is_empty());
    // The furthest expiry allowed is admitted, but no transaction outlives max_lifetime_blocks.
    p.insert(tx_expiring(1, 0, 207), admission(None, 0, 7))
        .unwrap();
    assert_eq!(commit(&mut p, &[], 56, 0, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 57, 0, |_| 0), 1);
}

#[test]
fn attack_one_signer_flooding_at_10x_cannot_starve_another_signers_transactions() {
    // Attack: signer A submits ten times what a block holds, every block; signer B submits one
    // transaction per block. Oldest-first selection would put every B transaction behind A's
    // backlog. Here each of B's transactions goes into the very next proposal.
    const BLOCK_TXS: usize = 10;
    let mut p = Mempool::new(flood_config());
    let (a, b) = (1u8, 2u8);
    let mut committed = [0u64; 256];
    for height in 1..=30u64 {
        // A sends 10x a block's worth of new transactions, in nonce order, retrying a refused
        // nonce (refusals are expected once the pool is full).
        let mut a_nonce = committed[a as usize];
        let mut sent = 0;
        while sent < 10 * BLOCK_TXS {
            match p.insert(
                tx_expiring(a, a_nonce, 150),
                admission(None, committed[a as usize], height),
            ) {
                Err(MempoolError::Duplicate(_)) => a_nonce += 1,
                Ok(()) => {
                    a_nonce += 1;
                    sent += 1;
                }
                Err(_) => sent += 1,
            }
        }
        let b_tx = tx_expiring(b, committed[b as usize], 150);
        p.insert(b_tx.clone(), admission(None, committed[b as usize], height))
            .unwrap_or_else(|e| panic!("height {height}: B refused: {e}"));
        let proposal = p.select(BLOCK_TXS, 100_000, |s| committed[s[0] as usize]);
        assert!(
            proposal.contains(&b_tx),
            "height {height}: B's transaction is in the next proposal"
        );
        assert_eq!(proposal.len(), BLOCK_TXS, "A still fills the rest");
        for t in &proposal {
            committed[t.signer as usize] = t.nonce + 1;
        }
        commit(&mut p, &proposal, height + 1, 0, |s| committed[s as usize]);
    }
    assert_eq!(
        committed[b as usize], 30,
        "every one of B's transactions committed"
    );
}

#[test]
fn attack_full_pool_of_one_signer_cannot_keep_another_signer_out() {
    // Attack: one key fills the whole pool first, so every other submission is refused as full.
    let mut p = Mempool::new(flood_config());
    for nonce in 0..100 {
        p.insert(tx_expiring(1, nonce, 150), admission(None, 0, 1))
            .unwrap();
    }
    assert_eq!(p.len(), 100);
    // B is within its share: A's newest transaction makes room, and B goes in the next proposal.
    let b_tx = tx_expiring(2, 0, 150);
    p.insert(b_tx.clone(), admission(None, 0, 1)).unwrap();
    assert_eq!(
        p.take_evicted(),
        vec![(tx_expiring(1, 99, 150).hash(), EvictReason::Displaced)]
    );
    assert_eq!(picked(&p.select(2, 100_000, |_| 0)), vec![(1, 0), (2, 0)]);
    // A cannot take the room back.
    assert!(matches!(
        p.insert(tx_expiring(1, 99, 150), admission(None, 0, 1)),
        Err(MempoolError::FullCount { .. })
    ));
}

#[test]
fn attack_fifty_fresh_keys_cannot_crowd_out_a_province() {
    // Attack: fifty fresh keys without a province fill the pool. They share one group, so a
    // province's issuer keeps half of a nearly full pool and half of every proposal.
    let mut p = Mempool::new(flood_config());
    for key in 1..=50u8 {
        for nonce in 0..2 {
            p.insert(tx_expiring(key, nonce, 150), admission(None, 0, 1))
                .unwrap();
        }
    }
    assert_eq!(p.len(), 100);
    let issuer = 200u8;
    let province = Some(310_000);
    for nonce in 0..3 {
        p.insert(tx_expiring(issuer, nonce, 150), admission(province, 0, 1))
            .unwrap();
    }
    assert_eq!(
        p.len(),
        100,
        "each admission displaced a fresh key's newest"
    );
    assert_eq!(p.evictions().displaced, 3);
    let proposal = picked(&p.select(6, 100_000, |_| 0));
    let from_issuer = proposal.iter().filter(|(s, _)| *s == issuer).count();
    assert_eq!(from_issuer, 3, "one in two proposal slots: {proposal:?}");
}

#[test]
fn attack_one_province_flooding_cannot_starve_another_province() {
    // Attack: one province's twenty issuers flood; another province's single issuer submits
    // a few. The flooding province is held to its share of a nearly full pool, and proposals
    // alternate between provinces.
    let mut p = Mempool::new(flood_config());
    let (flooding, quiet) = (Some(110_000), Some(320_000));
    let mut refused = 0;
    for key in 1..=20u8 {
        for nonce in 0..10 {
            if p.insert(tx_expiring(key, nonce, 150), admission(flooding, 0, 1))
                .is_err()
            {
                refused += 1;
            }
        }
    }
    assert!(refused > 0, "the flooding province met a limit");
    let quiet_issuer = 99u8;
    for nonce in 0..10 {
        p.insert(
            tx_expiring(quiet_issuer, nonce, 150),
            admission(quiet, 0, 1),
        )
        .unwrap_or_else(|e| panic!("quiet province refused at nonce {nonce}: {e}"));
    }
    let proposal = picked(&p.select(10, 100_000, |_| 0));
    let quiet_slots: Vec<usize> = proposal
        .iter()
        .enumerate()
        .filter(|(_, (s, _))| *s == quiet_issuer)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        quiet_slots,
        vec![1, 3, 5, 7, 9],
        "every other slot: {proposal:?}"
    );
}
