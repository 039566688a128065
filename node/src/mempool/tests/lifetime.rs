//! Lifetimes in blocks and in wall time, and how long a transaction may wait behind a gap.

use super::*;

fn at_time(next_nonce: u64, height: u64, now_ms: u64) -> Admission {
    Admission {
        now_ms,
        ..at(next_nonce, height)
    }
}

#[test]
fn lifetime_in_blocks_evicts_exactly_at_the_bound() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    // max_lifetime_blocks 50: admitted at 1, still held at 50, gone once the head is 51.
    assert_eq!(commit(&mut p, &[], 50, 0, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 51, 0, |_| 0), 1);
    assert_eq!(
        p.take_evicted(),
        vec![(tx(1, 0).hash(), EvictReason::LifetimeBlocks)]
    );
    assert_eq!(p.evictions().lifetime, 1);
}

#[test]
fn lifetime_in_time_evicts_exactly_at_the_bound() {
    let mut p = pool();
    p.insert(tx(1, 0), at_time(0, 1, 1_000)).unwrap();
    // max_lifetime_ms 100 000.
    assert_eq!(commit(&mut p, &[], 2, 100_999, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 3, 101_000, |_| 0), 1);
    assert_eq!(
        p.take_evicted(),
        vec![(tx(1, 0).hash(), EvictReason::LifetimeTime)]
    );
}

#[test]
fn lifetime_is_enforced_at_admission_too() {
    let mut p = pool();
    p.insert(tx(1, 0), at_time(0, 1, 0)).unwrap();
    // No block for a long while: the next admission finds the old transaction past its time.
    p.insert(tx(2, 0), at_time(0, 1, 100_000)).unwrap();
    assert!(!p.contains(&tx(1, 0).hash()));
    assert!(p.contains(&tx(2, 0).hash()));
}

#[test]
fn the_clock_never_runs_backwards() {
    let mut p = pool();
    p.insert(tx(1, 0), at_time(0, 1, 50_000)).unwrap();
    // A later call with an earlier time (a clock step back) does not make the pool younger.
    p.insert(tx(2, 0), at_time(0, 1, 10)).unwrap();
    assert_eq!(commit(&mut p, &[], 2, 149_999, |_| 0), 0);
    assert_eq!(
        commit(&mut p, &[], 3, 150_000, |_| 0),
        2,
        "tx 2 was stamped 50 000, not 10"
    );
}

#[test]
fn gapped_survives_fast_blocks_within_the_time_bound() {
    // Regression: a gap bound counted in blocks evicted, at every node at once, a transaction
    // whose missing nonce another node was about to commit (blocks under load pass a hundred in
    // seconds), and every later nonce of its signer followed it. Only wall time counts now.
    let mut p = pool();
    p.insert(tx(1, 0), at_time(0, 1, 0)).unwrap();
    p.insert(tx(1, 2), at_time(0, 1, 0)).unwrap();
    for height in 2..=40 {
        assert_eq!(commit(&mut p, &[], height, 9_999, |_| 0), 0);
    }
    assert_eq!(p.gapped_len(), 1);
    // The missing nonce arrives: what waited behind it is proposable.
    p.insert(tx(1, 1), at_time(0, 40, 9_999)).unwrap();
    assert_eq!(p.gapped_len(), 0);
    assert_eq!(p.select(10, 100_000, |_| 0).len(), 3);
}

#[test]
fn gapped_evicted_exactly_at_the_time_bound_however_few_blocks() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    // max_gapped_age_ms 10 000: held at 9 999 ms, gone at 10 000 ms, in the same block.
    assert_eq!(commit(&mut p, &[], 1, 9_999, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 1, 10_000, |_| 0), 1);
    assert!(p.contains(&tx(1, 0).hash()), "the proposable one stays");
    assert_eq!(
        p.take_evicted(),
        vec![(tx(1, 2).hash(), EvictReason::GapAge)]
    );
    assert_eq!(p.evictions().gap_age, 1);
    assert_eq!(p.gapped_len(), 0);
}

#[test]
fn gapped_evicted_exactly_at_the_time_bound() {
    let mut p = pool();
    p.insert(tx(1, 1), at_time(0, 1, 0)).unwrap();
    // max_gapped_age_ms 10 000.
    assert_eq!(commit(&mut p, &[], 2, 9_999, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 3, 10_000, |_| 0), 1);
}

#[test]
fn a_gap_closed_in_time_saves_what_waited_behind_it() {
    let mut p = pool();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    p.insert(tx(1, 0), at(0, 5)).unwrap();
    assert_eq!(p.gapped_len(), 0);
    assert_eq!(commit(&mut p, &[], 20, 0, |_| 0), 0);
    assert_eq!(p.len(), 3);
}

#[test]
fn a_gap_opened_by_an_eviction_is_timed_from_then() {
    let mut p = pool();
    let short = tx_expiring(1, 0, 5);
    p.insert(short, at(0, 1)).unwrap();
    p.insert(tx(1, 1), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    assert_eq!(p.gapped_len(), 0);
    // Nonce 0 expires at 5 (time 50 000): 1 and 2 now wait behind a gap, from then.
    assert_eq!(commit(&mut p, &[], 5, 50_000, |_| 0), 1);
    assert_eq!(p.gapped_len(), 2);
    assert!(p.select(10, 1000, |_| 0).is_empty());
    assert_eq!(commit(&mut p, &[], 6, 59_999, |_| 0), 0);
    assert_eq!(commit(&mut p, &[], 7, 60_000, |_| 0), 2);
    assert!(p.is_empty());
}

#[test]
fn a_commit_moves_the_gap_and_what_becomes_proposable_is_no_longer_gapped() {
    let mut p = pool();
    p.insert(tx(1, 0), at(0, 1)).unwrap();
    p.insert(tx(1, 2), at(0, 1)).unwrap();
    assert_eq!(p.gapped_len(), 1);
    // Nonces 0 and 1 committed (1 from elsewhere): 2 is now next and proposable.
    commit(&mut p, &[tx(1, 0)], 3, 0, |_| 2);
    assert_eq!(p.gapped_len(), 0);
    assert_eq!(picked(&p.select(10, 1000, |_| 2)), vec![(1, 2)]);
    assert_eq!(
        commit(&mut p, &[], 30, 20_000, |_| 2),
        0,
        "no gap age any more"
    );
}
