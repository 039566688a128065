//! Counters the host can read and export (for example to Prometheus).

/// Monotonic counters of what the core saw and did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Proposals accepted into the block tree.
    pub proposals_accepted: u64,
    /// Proposals refused (bad signature, wrong leader, invalid header, oversize payload, ...).
    pub proposals_rejected: u64,
    /// Second, different proposals from the same leader for one round (equivocation).
    pub equivocations_seen: u64,
    /// Votes that entered a vote collector.
    pub votes_accepted: u64,
    /// A validator voting for two blocks in one round.
    pub double_votes_seen: u64,
    /// Votes signed by this node.
    pub votes_sent: u64,
    /// Votes postponed until the voter executed the height a proposal attests.
    pub votes_deferred: u64,
    /// Timeouts signed by this node (not counting resends).
    pub timeouts_sent: u64,
    /// Quorum certificates formed from votes here.
    pub qcs_formed: u64,
    /// Timeout certificates formed here.
    pub tcs_formed: u64,
    /// Messages from keys outside the validator set.
    pub dropped_non_validator: u64,
    /// Messages too far ahead (round beyond the future window, or a later epoch).
    pub dropped_far_future: u64,
    /// Messages for rounds or epochs already passed.
    pub dropped_stale: u64,
    /// Messages with signatures or certificates that failed verification.
    pub dropped_invalid: u64,
    /// Messages dropped because a bounded buffer was full.
    pub dropped_buffer_full: u64,
    /// Inputs ignored because the core was not started yet.
    pub dropped_not_started: u64,
    /// Sync requests sent.
    pub sync_requests: u64,
    /// Blocks applied from sync responses.
    pub sync_blocks_applied: u64,
    /// Sync responses refused.
    pub sync_responses_rejected: u64,
    /// Committed blocks from sync whose certificates were proven by hash links to one fully
    /// verified certificate instead of by their own signatures.
    pub sync_certificates_vouched: u64,
    /// Certificates learned from far-future proposals: this node was far behind and started
    /// syncing without waiting for its round to time out.
    pub far_future_qcs_learned: u64,
    /// Blocks committed.
    pub blocks_committed: u64,
    /// Epoch changes completed.
    pub epoch_changes: u64,
    /// Rounds entered.
    pub rounds_entered: u64,
    /// Round timers that fired in the current round.
    pub round_timeouts: u64,
}
