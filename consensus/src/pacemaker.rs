//! Pacemaker: which round this node is in and how long it waits before timing out.
//!
//! A node enters round `r + 1` when it sees a QC or a TC for round `r`. Each round gets one timer:
//! `round_timeout_base_ms × 2^k`, capped at `round_timeout_max_ms`, where `k` is the number of
//! rounds since the highest QC (bounded exponential backoff: consecutive failures wait longer so
//! that after the network stabilises rounds last long enough for a quorum to form). When the timer
//! fires in the same round, the node signs a timeout (and broadcasts its vote of the round, if
//! any, so a quorum survives a silent next leader); later firings in that round come every
//! `round_timeout_base_ms`, not backed off, and resend it, which keeps the protocol live over
//! lossy links: a lost timeout costs one base interval.

use crate::config::Config;
use crate::types::{TimeoutCert, TimeoutMsg};

/// Round state of one node.
#[derive(Clone, Debug)]
pub struct Pacemaker {
    round: u64,
    last_round_tc: Option<TimeoutCert>,
    own_timeout: Option<TimeoutMsg>,
}

impl Pacemaker {
    /// A pacemaker at `round`.
    pub fn new(round: u64) -> Self {
        Self {
            round,
            last_round_tc: None,
            own_timeout: None,
        }
    }

    /// The current round.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// The TC through which the current round was entered, if it was.
    pub fn last_round_tc(&self) -> Option<&TimeoutCert> {
        self.last_round_tc.as_ref()
    }

    /// The timeout this node signed in the current round, if any.
    pub fn own_timeout(&self) -> Option<&TimeoutMsg> {
        self.own_timeout.as_ref()
    }

    /// Remember the timeout signed for the current round (for resending).
    pub fn set_own_timeout(&mut self, timeout: TimeoutMsg) {
        if timeout.round == self.round {
            self.own_timeout = Some(timeout);
        }
    }

    /// Enter `round` if it is ahead; returns true when the round changed.
    pub fn advance_to(&mut self, round: u64, via_tc: Option<TimeoutCert>) -> bool {
        if round <= self.round {
            return false;
        }
        self.round = round;
        self.last_round_tc = via_tc.filter(|tc| tc.round.checked_add(1) == Some(round));
        self.own_timeout = None;
        true
    }

    /// Remember `tc` when it is the TC of the round before the current one and none is known
    /// yet (a node can be in a round without holding the TC that ended the previous one, for
    /// example after a restart; it needs that TC to time out safely).
    pub fn observe_tc(&mut self, tc: &TimeoutCert) {
        if self.last_round_tc.is_none() && tc.round.checked_add(1) == Some(self.round) {
            self.last_round_tc = Some(tc.clone());
        }
    }

    /// Timer duration for the current round given the highest QC round.
    pub fn timeout_ms(&self, config: &Config, highest_qc_round: u64) -> u64 {
        round_timeout_ms(config, self.round, highest_qc_round)
    }
}

/// `base × 2^min(k, exponent_max)` capped at the maximum, `k = round - highest_qc_round - 1`.
pub fn round_timeout_ms(config: &Config, round: u64, highest_qc_round: u64) -> u64 {
    let rounds_without_qc = round.saturating_sub(highest_qc_round).saturating_sub(1);
    let exponent = rounds_without_qc.min(u64::from(config.round_timeout_backoff_exponent_max));
    let factor = 1u64.checked_shl(exponent as u32).unwrap_or(u64::MAX);
    config
        .round_timeout_base_ms
        .saturating_mul(factor)
        .min(config.round_timeout_max_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let config = Config {
            round_timeout_base_ms: 100,
            round_timeout_max_ms: 1_000,
            round_timeout_backoff_exponent_max: 10,
            ..Config::default()
        };
        assert_eq!(round_timeout_ms(&config, 5, 4), 100);
        assert_eq!(round_timeout_ms(&config, 6, 4), 200);
        assert_eq!(round_timeout_ms(&config, 7, 4), 400);
        assert_eq!(round_timeout_ms(&config, 8, 4), 800);
        assert_eq!(round_timeout_ms(&config, 9, 4), 1_000);
        assert_eq!(round_timeout_ms(&config, u64::MAX, 0), 1_000);
    }

    #[test]
    fn advance_only_forward() {
        let mut pacemaker = Pacemaker::new(3);
        assert!(!pacemaker.advance_to(3, None));
        assert!(!pacemaker.advance_to(2, None));
        assert!(pacemaker.advance_to(4, None));
        assert_eq!(pacemaker.round(), 4);
    }
}
