//! Counters the host can read and export (for example to Prometheus).

use std::collections::BTreeMap;

use crate::crypto::PublicKey;

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
    /// Full signature checks of QCs and TCs.
    pub certificate_verifications: u64,
    /// QC and TC checks answered from the remembered verdicts instead (see
    /// [`crate::Config::certificate_verdicts_len`]).
    pub certificate_verdicts_reused: u64,
    /// Messages whose QC or TC failed verification, per sending peer (the first
    /// [`crate::Config::metrics_max_peers`] peers to send one).
    ///
    /// What the host should do: every count is a message a correct validator never sends (a
    /// correct node forwards only certificates it verified), so a peer whose counter grows is
    /// faulty or impersonated. Score it down — rate-limit or disconnect it for a while, and stop
    /// choosing it for sync — and alert the operator. The core itself keeps serving it: the
    /// verdict cache makes each re-sent certificate cost one lookup.
    pub certificates_rejected_by_peer: BTreeMap<PublicKey, u64>,
    /// Rejected certificates from peers beyond the per-peer limit.
    pub certificates_rejected_other_peers: u64,
    /// Rounds entered.
    pub rounds_entered: u64,
    /// Round timers that fired in the current round.
    pub round_timeouts: u64,
}

impl Metrics {
    /// Count a rejected certificate from `peer`, with its own counter while fewer than
    /// `max_peers` peers have one.
    pub(crate) fn count_rejected_certificate(&mut self, peer: PublicKey, max_peers: usize) {
        if let Some(count) = self.certificates_rejected_by_peer.get_mut(&peer) {
            *count = count.saturating_add(1);
        } else if self.certificates_rejected_by_peer.len() < max_peers {
            self.certificates_rejected_by_peer.insert(peer, 1);
        } else {
            self.certificates_rejected_other_peers =
                self.certificates_rejected_other_peers.saturating_add(1);
        }
    }

    /// Rejected certificates counted against `peer`.
    pub fn certificates_rejected_from(&self, peer: &PublicKey) -> u64 {
        self.certificates_rejected_by_peer
            .get(peer)
            .copied()
            .unwrap_or(0)
    }
}
