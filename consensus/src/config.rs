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
    /// Missing blocks tracked for sync at once.
    pub sync_max_targets: usize,
    /// Delay before a sync request without an answer is sent again (to another peer).
    pub sync_retry_ms: u64,
    /// Executed heights (with their state roots) remembered for checking proposals.
    pub executed_history_len: usize,
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
            sync_retry_ms: 500,
            executed_history_len: 1_024,
        }
    }
}
