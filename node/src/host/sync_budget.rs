//! Per-peer byte budgets for serving block sync: a token bucket in bytes per peer.
//!
//! Counting messages says nothing about what answering them costs: one sync request can make this
//! node read, decode and encode up to a network message's worth of blocks. So each peer gets
//! `peer_bytes_per_sec` of sync answers, with bursts up to `peer_burst_bytes`. A request is served
//! only while the peer's bucket holds something; the answer's real size is then taken from it,
//! which may leave it below zero (at most one answer's worth), and the peer waits until refill
//! brings it back above zero. Time is passed in, never read here.

use std::collections::BTreeMap;

/// Why a request is not served now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("sync byte budget exhausted: {balance} bytes (refills at {per_sec} bytes/s)")]
pub struct BudgetExhausted {
    /// The peer's balance in whole bytes, rounded down (below one).
    pub balance: i64,
    /// Its refill rate.
    pub per_sec: u64,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a byte available (so slow refill rates lose nothing to rounding);
    /// negative after an answer larger than what was left.
    milli: i128,
    updated_ms: u64,
}

/// Byte budgets of every peer this node serves.
#[derive(Debug)]
pub struct ByteBudgets {
    per_sec: u64,
    burst_milli: i128,
    buckets: BTreeMap<[u8; 32], Bucket>,
}

impl ByteBudgets {
    /// Budgets refilling at `per_sec` bytes a second up to `burst` bytes (both at least 1; the
    /// node's configuration is validated at startup).
    pub fn new(per_sec: u64, burst: u64) -> Self {
        Self {
            per_sec: per_sec.max(1),
            burst_milli: i128::from(burst.max(1)) * 1_000,
            buckets: BTreeMap::new(),
        }
    }

    fn refilled(&mut self, peer: [u8; 32], now_ms: u64) -> &mut Bucket {
        let burst = self.burst_milli;
        let per_sec = i128::from(self.per_sec);
        let bucket = self.buckets.entry(peer).or_insert(Bucket {
            milli: burst,
            updated_ms: now_ms,
        });
        let elapsed = i128::from(now_ms.saturating_sub(bucket.updated_ms));
        bucket.milli = bucket.milli.saturating_add(elapsed * per_sec).min(burst);
        bucket.updated_ms = bucket.updated_ms.max(now_ms);
        bucket
    }

    /// Whether `peer` may be served at `now_ms`.
    pub fn check(&mut self, peer: [u8; 32], now_ms: u64) -> Result<(), BudgetExhausted> {
        let per_sec = self.per_sec;
        let bucket = self.refilled(peer, now_ms);
        if bucket.milli >= 1_000 {
            Ok(())
        } else {
            Err(BudgetExhausted {
                balance: i64::try_from(bucket.milli.div_euclid(1_000)).unwrap_or(i64::MIN),
                per_sec,
            })
        }
    }

    /// Take what an answer to `peer` cost.
    pub fn charge(&mut self, peer: [u8; 32], bytes: usize, now_ms: u64) {
        let bucket = self.refilled(peer, now_ms);
        let cost = i128::try_from(bytes).unwrap_or(i128::MAX / 2_000) * 1_000;
        bucket.milli = bucket.milli.saturating_sub(cost);
    }

    /// Forget peers whose bucket is full again (they cost nothing to re-create).
    pub fn forget_idle(&mut self, now_ms: u64) {
        let peers: Vec<[u8; 32]> = self.buckets.keys().copied().collect();
        for peer in peers {
            if self.refilled(peer, now_ms).milli >= self.burst_milli {
                self.buckets.remove(&peer);
            }
        }
    }

    /// Peers with a bucket.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no peer has a bucket.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: [u8; 32] = [1; 32];
    const B: [u8; 32] = [2; 32];

    #[test]
    fn exhausted_until_refilled_then_served_again() {
        // 1000 bytes/s, burst 3000.
        let mut budgets = ByteBudgets::new(1_000, 3_000);
        budgets.check(A, 0).unwrap();
        budgets.charge(A, 3_000, 0);
        assert_eq!(
            budgets.check(A, 0),
            Err(BudgetExhausted {
                balance: 0,
                per_sec: 1_000
            })
        );
        // One millisecond later one byte has been earned: served again.
        budgets.check(A, 1).unwrap();
        // An answer larger than the balance leaves a debt that must be refilled first.
        budgets.charge(A, 5_000, 1);
        assert!(budgets.check(A, 4_000).is_err(), "-4999 + 3999 = -1000");
        assert!(budgets.check(A, 5_000).is_err(), "balance exactly 0");
        budgets.check(A, 5_001).unwrap();
        // Another peer was never affected.
        budgets.check(B, 1).unwrap();
    }

    #[test]
    fn refill_capped_at_burst() {
        let mut budgets = ByteBudgets::new(1_000, 3_000);
        budgets.check(A, 0).unwrap();
        // A long idle time refills only up to the burst.
        budgets.charge(A, 3_000, 1_000_000);
        assert!(budgets.check(A, 1_000_000).is_err());
    }

    #[test]
    fn slow_refill_rates_are_not_rounded_away() {
        // 1 byte/s: 999 ms earns nothing yet, but the time is kept, so 1000 ms earns one byte.
        let mut budgets = ByteBudgets::new(1, 10);
        budgets.charge(A, 10, 0);
        assert!(budgets.check(A, 999).is_err());
        budgets.check(A, 1_000).unwrap();
    }

    #[test]
    fn idle_full_buckets_forgotten() {
        let mut budgets = ByteBudgets::new(1_000, 3_000);
        budgets.charge(A, 3_000, 0);
        budgets.check(B, 0).unwrap();
        budgets.forget_idle(0);
        assert_eq!(budgets.len(), 1, "B is full, A is not");
        budgets.forget_idle(3_000);
        assert!(budgets.is_empty());
    }
}
