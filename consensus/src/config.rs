//! Consensus configuration: every limit and timing knob, with defaults.

/// Configuration of a [`crate::Core`]. All durations are milliseconds of the host's clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Timeout of a round entered right after a certified round.
    pub round_timeout_base_ms: u64,
    /// Upper bound of the exponentially backed-off round timeout.
    pub round_timeout_max_ms: u64,
    /// Largest exponent of the backoff (`base × 2^k`, `k` = rounds since the last QC).
    pub round_timeout_backoff_exponent_max: u32,
    /// How far a proposal's timestamp may be from the voter's clock, either way.
    pub max_clock_drift_ms: u64,
    /// Largest payload a proposal may carry.
    pub max_payload_bytes: usize,
    /// Rounds looked back over when judging leader reputation (0 disables reputation).
    pub reputation_window_rounds: u64,
    /// Most recent rounds left out of the reputation window, so that all honest nodes have
    /// committed them before they decide leaders.
    pub reputation_exclude_recent_rounds: u64,
    /// Votes and timeouts more than this many rounds ahead are dropped.
    pub max_future_rounds: u64,
    /// Proposals kept while their parent is being synced.
    pub max_pending_proposals: usize,
    /// Uncommitted blocks kept in the block tree.
    pub max_tree_blocks: usize,
    /// Blocks a sync response may carry (committed plus uncommitted).
    pub sync_max_blocks_per_response: usize,
    /// Missing blocks named by verified certificates tracked for sync at once (the oldest is
    /// forgotten for a newer one).
    pub sync_max_targets: usize,
    /// Unverified sync hints (blocks named by messages of a later epoch, which cannot be checked
    /// before catching up) kept per sending validator; they never displace verified targets.
    pub sync_max_hints_per_peer: usize,
    /// Requests sent for one sync target (the first and its retries) without the committed
    /// height advancing, before it is dropped.
    pub sync_max_attempts: u64,
    /// Delay before a sync request without an answer is sent again (to another peer).
    pub sync_retry_ms: u64,
    /// Executed heights (with their state roots) remembered for checking proposals.
    pub executed_history_len: usize,
    /// Verification verdicts of QCs and TCs remembered by digest, for valid and for invalid
    /// certificates each (oldest forgotten first): a certificate re-sent many times costs one
    /// signature check.
    pub certificate_verdicts_len: usize,
    /// Peers with their own counter in [`crate::Metrics::certificates_rejected_by_peer`]; the
    /// rejections of others are summed in `certificates_rejected_other_peers`.
    pub metrics_max_peers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            round_timeout_base_ms: 1_000,
            round_timeout_max_ms: 30_000,
            round_timeout_backoff_exponent_max: 6,
            max_clock_drift_ms: 5_000,
            max_payload_bytes: 4 * 1024 * 1024,
            reputation_window_rounds: 40,
            reputation_exclude_recent_rounds: 10,
            max_future_rounds: 100,
            max_pending_proposals: 16,
            max_tree_blocks: 2_048,
            sync_max_blocks_per_response: 256,
            sync_max_targets: 8,
            sync_max_hints_per_peer: 2,
            sync_max_attempts: 8,
            sync_retry_ms: 500,
            executed_history_len: 1_024,
            certificate_verdicts_len: 512,
            metrics_max_peers: 256,
        }
    }
}

/// A configuration value out of its allowed range.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A limit that must be at least `min`.
    #[error("{name} is {value}, below its minimum {min}")]
    BelowMinimum {
        /// Field name.
        name: &'static str,
        /// Its value.
        value: u64,
        /// The smallest allowed value.
        min: u64,
    },
    /// Two fields in the wrong order.
    #[error("{lower_name} ({lower}) exceeds {upper_name} ({upper})")]
    Inverted {
        /// Field that must be the smaller.
        lower_name: &'static str,
        /// Its value.
        lower: u64,
        /// Field that must be the larger.
        upper_name: &'static str,
        /// Its value.
        upper: u64,
    },
}

impl Config {
    /// Check that every limit lets the protocol work: a zero here would silently stop sync,
    /// proposals or certificate checks. [`crate::Core`] refuses to start with an invalid one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let at_least = |name: &'static str, value: u64, min: u64| {
            if value < min {
                Err(ConfigError::BelowMinimum { name, value, min })
            } else {
                Ok(())
            }
        };
        let size = |value: usize| u64::try_from(value).unwrap_or(u64::MAX);
        at_least("round_timeout_base_ms", self.round_timeout_base_ms, 1)?;
        at_least("max_future_rounds", self.max_future_rounds, 1)?;
        at_least("max_payload_bytes", size(self.max_payload_bytes), 1)?;
        at_least("max_pending_proposals", size(self.max_pending_proposals), 1)?;
        at_least("max_tree_blocks", size(self.max_tree_blocks), 2)?;
        at_least(
            "sync_max_blocks_per_response",
            size(self.sync_max_blocks_per_response),
            1,
        )?;
        at_least("sync_max_targets", size(self.sync_max_targets), 1)?;
        at_least(
            "sync_max_hints_per_peer",
            size(self.sync_max_hints_per_peer),
            1,
        )?;
        at_least("sync_max_attempts", self.sync_max_attempts, 2)?;
        at_least("sync_retry_ms", self.sync_retry_ms, 1)?;
        at_least("executed_history_len", size(self.executed_history_len), 1)?;
        at_least(
            "certificate_verdicts_len",
            size(self.certificate_verdicts_len),
            1,
        )?;
        if self.round_timeout_base_ms > self.round_timeout_max_ms {
            return Err(ConfigError::Inverted {
                lower_name: "round_timeout_base_ms",
                lower: self.round_timeout_base_ms,
                upper_name: "round_timeout_max_ms",
                upper: self.round_timeout_max_ms,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_valid_and_zero_limits_are_refused() {
        assert_eq!(Config::default().validate(), Ok(()));
        let config = Config {
            sync_max_hints_per_peer: 0,
            ..Config::default()
        };
        assert_eq!(
            config.validate(),
            Err(ConfigError::BelowMinimum {
                name: "sync_max_hints_per_peer",
                value: 0,
                min: 1
            })
        );
    }
}
