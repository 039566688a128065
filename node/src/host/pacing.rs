//! When a leader proposes: the pacing rule as a pure function of what the payload holds and how
//! long the round has run, so it is tested without a network or a clock.
//!
//! - A full block (or no batching interval) goes at once.
//! - Some transactions but not a block's worth: wait for the rest of the batching interval
//!   (`min_block_interval`, counted from entering the round), once, so a steady stream fills
//!   blocks instead of producing one tiny block per arrival.
//! - Nothing to propose: wait up to `empty_block_delay` (a transaction arriving ends the wait) —
//!   unless an uncommitted ancestor carries transactions, which commit only under certified
//!   descendants, so the empty block that carries them must not wait.

use std::time::Duration;

/// The pacing settings (from `[consensus]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pacing {
    /// Most transactions per proposal.
    pub max_block_txs: usize,
    /// The batching interval; zero proposes at once.
    pub min_block_interval: Duration,
    /// The empty-block wait; zero proposes at once.
    pub empty_block_delay: Duration,
}

/// What the payload built now would hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    /// Transactions in it.
    pub tx_count: usize,
    /// Whether an uncommitted ancestor carries transactions.
    pub carrying: bool,
}

/// What to do with a payload request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Propose the payload built now.
    Ready,
    /// Build it again after this long (the rest of the batching interval); the batching wait is
    /// then spent.
    WaitForBatch(Duration),
    /// Build it again after the empty-block delay, or as soon as a transaction arrives.
    WaitForTransactions(Duration),
}

impl Pacing {
    /// The decision for `candidate`, `in_round` after entering the round; `batched` when the
    /// batching wait for this request was already spent.
    pub fn decide(&self, candidate: Candidate, in_round: Duration, batched: bool) -> Decision {
        let interval = self.min_block_interval;
        if !batched
            && !interval.is_zero()
            && in_round < interval
            && candidate.tx_count > 0
            && candidate.tx_count < self.max_block_txs
        {
            return Decision::WaitForBatch(interval.saturating_sub(in_round));
        }
        if candidate.tx_count == 0 && !candidate.carrying && !self.empty_block_delay.is_zero() {
            return Decision::WaitForTransactions(self.empty_block_delay);
        }
        Decision::Ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PACING: Pacing = Pacing {
        max_block_txs: 100,
        min_block_interval: Duration::from_millis(100),
        empty_block_delay: Duration::from_millis(400),
    };

    fn with(tx_count: usize, carrying: bool) -> Candidate {
        Candidate { tx_count, carrying }
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_partial_block_waits_for_the_rest_of_the_interval_once() {
        assert_eq!(
            PACING.decide(with(5, false), ms(30), false),
            Decision::WaitForBatch(ms(70))
        );
        // After the wait, or once the interval has passed, it goes.
        assert_eq!(PACING.decide(with(5, false), ms(30), true), Decision::Ready);
        assert_eq!(
            PACING.decide(with(5, false), ms(100), false),
            Decision::Ready
        );
    }

    #[test]
    fn a_full_block_goes_at_once() {
        assert_eq!(
            PACING.decide(with(100, false), ms(0), false),
            Decision::Ready
        );
        assert_eq!(
            PACING.decide(with(250, false), ms(0), false),
            Decision::Ready
        );
    }

    #[test]
    fn an_empty_block_waits_unless_it_carries_an_ancestor() {
        assert_eq!(
            PACING.decide(with(0, false), ms(0), false),
            Decision::WaitForTransactions(ms(400))
        );
        // Still empty after a batching wait: the empty-block rule applies.
        assert_eq!(
            PACING.decide(with(0, false), ms(500), true),
            Decision::WaitForTransactions(ms(400))
        );
        assert_eq!(PACING.decide(with(0, true), ms(0), false), Decision::Ready);
    }

    #[test]
    fn zero_settings_propose_at_once() {
        let eager = Pacing {
            max_block_txs: 100,
            min_block_interval: Duration::ZERO,
            empty_block_delay: Duration::ZERO,
        };
        assert_eq!(eager.decide(with(0, false), ms(0), false), Decision::Ready);
        assert_eq!(eager.decide(with(5, false), ms(0), false), Decision::Ready);
    }
}
