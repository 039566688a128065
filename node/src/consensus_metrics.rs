//! The consensus core's counters in `GET /metrics`: what CometBFT and Aptos operators alert on —
//! QCs and TCs formed, round timeouts, votes, refused and dropped messages, sync traffic and
//! certificates refused per peer. Counted since the node's process started (the core's counters
//! start at zero with it); the host publishes them at each round change and commit.

use std::fmt::Write as _;

use yrd_consensus::Metrics;

/// The consensus section of the exposition (Prometheus text format 0.0.4).
pub fn render_consensus(m: &Metrics) -> String {
    let series: [(&str, &str, u64); 24] = [
        (
            "proposals_accepted",
            "Proposals accepted into the block tree.",
            m.proposals_accepted,
        ),
        (
            "proposals_rejected",
            "Proposals refused (bad signature, wrong leader, invalid header, oversize payload).",
            m.proposals_rejected,
        ),
        (
            "equivocations_seen",
            "Second, different proposals by one leader in one round.",
            m.equivocations_seen,
        ),
        ("votes_accepted", "Votes accepted.", m.votes_accepted),
        (
            "double_votes_seen",
            "Second, different votes by one validator in one round.",
            m.double_votes_seen,
        ),
        (
            "votes_sent",
            "Votes this node signed and sent.",
            m.votes_sent,
        ),
        (
            "votes_deferred",
            "Votes held back until this node's own state root at that height was known.",
            m.votes_deferred,
        ),
        (
            "timeouts_sent",
            "Timeout messages this node signed and sent.",
            m.timeouts_sent,
        ),
        (
            "qcs_formed",
            "Quorum certificates formed here.",
            m.qcs_formed,
        ),
        (
            "tcs_formed",
            "Timeout certificates formed here.",
            m.tcs_formed,
        ),
        ("rounds_entered", "Rounds entered.", m.rounds_entered),
        (
            "round_timeouts",
            "Round timers that fired (rounds per commit rise with these).",
            m.round_timeouts,
        ),
        (
            "blocks_committed",
            "Blocks committed by consensus (including through sync).",
            m.blocks_committed,
        ),
        (
            "epoch_changes",
            "Validator-set changes taken.",
            m.epoch_changes,
        ),
        (
            "dropped_non_validator",
            "Messages dropped: the sender is no validator.",
            m.dropped_non_validator,
        ),
        (
            "dropped_far_future",
            "Messages dropped: too far ahead in round, height or epoch.",
            m.dropped_far_future,
        ),
        (
            "dropped_stale",
            "Messages dropped: for a past round or height.",
            m.dropped_stale,
        ),
        (
            "dropped_invalid",
            "Messages dropped: invalid signature or content.",
            m.dropped_invalid,
        ),
        (
            "dropped_buffer_full",
            "Messages dropped: a bounded buffer was full.",
            m.dropped_buffer_full,
        ),
        (
            "sync_requests",
            "Block-sync requests sent.",
            m.sync_requests,
        ),
        (
            "sync_blocks_applied",
            "Blocks committed from sync answers.",
            m.sync_blocks_applied,
        ),
        (
            "sync_responses_rejected",
            "Sync answers refused (too large, unlinked, or not proven by their certificates).",
            m.sync_responses_rejected,
        ),
        (
            "certificate_verifications",
            "Certificates (QCs, TCs) verified in full.",
            m.certificate_verifications,
        ),
        (
            "certificate_verdicts_reused",
            "Certificates answered from remembered verdicts instead of verified again.",
            m.certificate_verdicts_reused,
        ),
    ];
    let mut out = String::new();
    for (name, help, value) in series {
        let _ = writeln!(out, "# HELP yrd_consensus_{name}_total {help}");
        let _ = writeln!(out, "# TYPE yrd_consensus_{name}_total counter");
        let _ = writeln!(out, "yrd_consensus_{name}_total {value}");
    }
    let name = "yrd_consensus_certificates_rejected_total";
    let _ = writeln!(
        out,
        "# HELP {name} Invalid certificates received, by sending peer (peers past the tracked number under peer=\"other\")."
    );
    let _ = writeln!(out, "# TYPE {name} counter");
    for (peer, count) in &m.certificates_rejected_by_peer {
        let _ = writeln!(out, "{name}{{peer=\"{}\"}} {count}", hex::encode(peer.0));
    }
    let _ = writeln!(
        out,
        "{name}{{peer=\"other\"}} {}",
        m.certificates_rejected_other_peers
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_is_one_series_with_help_and_type() {
        let mut metrics = Metrics {
            qcs_formed: 7,
            round_timeouts: 2,
            ..Metrics::default()
        };
        metrics
            .certificates_rejected_by_peer
            .insert(yrd_consensus::PublicKey([1; 32]), 3);
        let text = render_consensus(&metrics);
        assert!(text.contains("\nyrd_consensus_qcs_formed_total 7\n"));
        assert!(text.contains("\nyrd_consensus_round_timeouts_total 2\n"));
        assert!(text.contains(&format!(
            "yrd_consensus_certificates_rejected_total{{peer=\"{}\"}} 3",
            hex::encode([1u8; 32])
        )));
        let samples = text.lines().filter(|l| !l.starts_with('#')).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(types, 25);
        assert_eq!(samples, 26);
    }
}
