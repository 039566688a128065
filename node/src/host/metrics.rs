//! The host's series in `GET /metrics`, added to each scrape's registry by the node's RPC
//! backend: the commit-latency and block-interval histograms, the consensus core's counters (QCs
//! and TCs formed, round timeouts, votes, refused and dropped messages, sync traffic, invalid
//! certificates per peer: what CometBFT and Aptos operators alert on), the storage engine's
//! figures, network traffic and mempool evictions.
//!
//! The consensus counters are counted since the process started (the core's start at zero with
//! it); the host publishes them at each round change and commit, and a scrape reads the last
//! published copy.

use std::sync::atomic::Ordering;

use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use yrd_consensus::Metrics;

use super::shared::NodeCounters;
use crate::mempool::EvictionCounts;
use crate::network::NetworkMetrics;
use crate::rpc::metrics::Sampled;
use crate::storage::EngineStats;

/// Bucket bounds in seconds for consensus timings (commit latency, block interval): from 10 ms
/// to a minute.
pub const SECONDS_BUCKETS: &[f64] = &[
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// Bucket bounds (seconds) of storage-write histograms: a synced RocksDB write takes from tens
/// of microseconds (fast NVMe with a write cache) to tens of milliseconds (a busy disk).
pub const STORAGE_SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// An empty histogram over [`STORAGE_SECONDS_BUCKETS`].
pub fn storage_histogram() -> Histogram {
    Histogram::new(STORAGE_SECONDS_BUCKETS.iter().copied())
}

/// An empty histogram over [`SECONDS_BUCKETS`].
pub fn timing_histogram() -> Histogram {
    Histogram::new(SECONDS_BUCKETS.iter().copied())
}

/// Puts the node's timing histograms in `registry`: commit latency and block interval.
pub fn register_timings(
    registry: &mut Registry,
    commit_latency: &Histogram,
    block_interval: &Histogram,
    db_commit_write: &Histogram,
    db_read: &Histogram,
) {
    registry.register(
        "yrd_db_read_seconds",
        "Seconds of RocksDB point reads (state-tree nodes and values, blocks, indexes), one read in 64 timed",
        db_read.clone(),
    );
    registry.register(
        "yrd_db_commit_write_seconds",
        "Seconds of the one atomic RocksDB write that stores a committed block (synced when durable)",
        db_commit_write.clone(),
    );
    registry.register(
        "yrd_commit_latency_seconds",
        "Seconds from a block's timestamp (its proposer's clock) to its commit at this node",
        commit_latency.clone(),
    );
    registry.register(
        "yrd_block_interval_seconds",
        "Seconds between consecutive commits at this node",
        block_interval.clone(),
    );
}

/// The storage engine's series.
pub fn engine_series(stats: &EngineStats, s: &mut Sampled) {
    s.gauge(
        "yrd_db_sst_bytes",
        "Bytes of RocksDB SST files on disk, all tables.",
        stats.sst_bytes,
    );
    s.gauge(
        "yrd_db_pending_compaction_bytes",
        "Bytes RocksDB estimates compaction still has to rewrite (a backlog that keeps growing slows writes).",
        stats.pending_compaction_bytes,
    );
    s.gauge(
        "yrd_db_running_compactions",
        "RocksDB compactions running now.",
        stats.running_compactions,
    );
    s.gauge(
        "yrd_db_memtable_bytes",
        "Bytes held in RocksDB memtables, all tables.",
        stats.memtable_bytes,
    );
    s.gauge(
        "yrd_data_dir_bytes",
        "Bytes of the files in the node's database folder (SST files, write-ahead logs, manifests): its disk usage.",
        stats.dir_bytes,
    );
    s.counter(
        "yrd_tree_cache_hits",
        "State-tree node reads answered by the node cache.",
        stats.tree_cache_hits,
    );
    s.counter(
        "yrd_tree_cache_misses",
        "State-tree node reads that went to the database (hit rate: hits / (hits + misses)).",
        stats.tree_cache_misses,
    );
}

/// Leader reputation: 1 for each validator of the current set that the election passes over in
/// the current round, 0 for the others (labels bounded by the validator set; a key's first 16
/// hex digits, as the logs print it).
pub fn leader_reputation_series(validators: &[[u8; 32]], excluded: &[[u8; 32]], s: &mut Sampled) {
    s.gauges_by(
        "yrd_consensus_leader_excluded",
        "1 while leader reputation passes over this validator (it failed to propose or showed no activity in the window), else 0.",
        "validator",
        validators.iter().map(|key| {
            (
                hex::encode(&key[..8]),
                u64::from(excluded.contains(key)),
            )
        }),
    );
}

/// The consensus core's current round, and its counters (`yrd_consensus_*_total`).
pub fn consensus_series(round: u64, m: &Metrics, s: &mut Sampled) {
    s.gauge(
        "yrd_consensus_round",
        "The consensus core's current round (rising while yrd_head_height stands still: rounds fail).",
        round,
    );
    let series: [(&'static str, &'static str, u64); 27] = [
        (
            "yrd_consensus_proposals_accepted",
            "Proposals accepted into the block tree.",
            m.proposals_accepted,
        ),
        (
            "yrd_consensus_proposals_rejected",
            "Proposals refused (bad signature, wrong leader, invalid header, oversize payload).",
            m.proposals_rejected,
        ),
        (
            "yrd_consensus_equivocations_seen",
            "Second, different proposals by one leader in one round.",
            m.equivocations_seen,
        ),
        (
            "yrd_consensus_votes_accepted",
            "Votes accepted.",
            m.votes_accepted,
        ),
        (
            "yrd_consensus_double_votes_seen",
            "Second, different votes by one validator in one round.",
            m.double_votes_seen,
        ),
        (
            "yrd_consensus_votes_sent",
            "Votes this node signed and sent.",
            m.votes_sent,
        ),
        (
            "yrd_consensus_votes_deferred",
            "Votes held back until this node's own state root at that height was known.",
            m.votes_deferred,
        ),
        (
            "yrd_consensus_timeouts_sent",
            "Timeout messages this node signed and sent.",
            m.timeouts_sent,
        ),
        (
            "yrd_consensus_qcs_formed",
            "Quorum certificates formed here.",
            m.qcs_formed,
        ),
        (
            "yrd_consensus_tcs_formed",
            "Timeout certificates formed here.",
            m.tcs_formed,
        ),
        (
            "yrd_consensus_rounds_entered",
            "Rounds entered.",
            m.rounds_entered,
        ),
        (
            "yrd_consensus_round_timeouts",
            "Round timers that fired (rounds per commit rise with these).",
            m.round_timeouts,
        ),
        (
            "yrd_consensus_blocks_committed",
            "Blocks committed by consensus (including through sync).",
            m.blocks_committed,
        ),
        (
            "yrd_consensus_epoch_changes",
            "Validator-set changes taken.",
            m.epoch_changes,
        ),
        (
            "yrd_consensus_dropped_non_validator",
            "Messages dropped: the sender is no validator.",
            m.dropped_non_validator,
        ),
        (
            "yrd_consensus_dropped_far_future",
            "Messages dropped: too far ahead in round, height or epoch.",
            m.dropped_far_future,
        ),
        (
            "yrd_consensus_dropped_stale",
            "Messages dropped: for a past round or height.",
            m.dropped_stale,
        ),
        (
            "yrd_consensus_dropped_invalid",
            "Messages dropped: invalid signature or content.",
            m.dropped_invalid,
        ),
        (
            "yrd_consensus_dropped_buffer_full",
            "Messages dropped: a bounded buffer was full.",
            m.dropped_buffer_full,
        ),
        (
            "yrd_consensus_dropped_not_started",
            "Inputs ignored because the core was not started yet.",
            m.dropped_not_started,
        ),
        (
            "yrd_consensus_sync_requests",
            "Block-sync requests sent.",
            m.sync_requests,
        ),
        (
            "yrd_consensus_sync_blocks_applied",
            "Blocks committed from sync answers.",
            m.sync_blocks_applied,
        ),
        (
            "yrd_consensus_sync_responses_rejected",
            "Sync answers refused (too large, unlinked, or not proven by their certificates).",
            m.sync_responses_rejected,
        ),
        (
            "yrd_consensus_sync_certificates_vouched",
            "Certificates of synced blocks proven by hash links to one fully verified certificate.",
            m.sync_certificates_vouched,
        ),
        (
            "yrd_consensus_far_future_qcs_learned",
            "Certificates learnt from far-future proposals (this node was far behind and began to sync).",
            m.far_future_qcs_learned,
        ),
        (
            "yrd_consensus_certificate_verifications",
            "Certificates (QCs, TCs) verified in full.",
            m.certificate_verifications,
        ),
        (
            "yrd_consensus_certificate_verdicts_reused",
            "Certificates answered from remembered verdicts instead of verified again.",
            m.certificate_verdicts_reused,
        ),
    ];
    for (name, help, value) in series {
        s.counter(name, help, value);
    }
    // Bounded by the core: its first `metrics_max_peers` peers, then "other".
    let by_peer = m
        .certificates_rejected_by_peer
        .iter()
        .map(|(peer, count)| (hex::encode(peer.0), *count))
        .chain([("other".to_owned(), m.certificates_rejected_other_peers)]);
    s.counters_by(
        "yrd_consensus_certificates_rejected",
        "Invalid certificates received, by sending peer (peers past the tracked number under the peer label other).",
        "peer",
        by_peer,
    );
}

/// Network traffic beyond `node_getStatus.counters`: messages in and out, failed sends, dials.
pub fn network_series(net: &NetworkMetrics, s: &mut Sampled) {
    s.counter(
        "yrd_network_messages_in",
        "Inbound messages accepted and handed to the host (gossip and direct).",
        net.messages_in,
    );
    s.counter(
        "yrd_network_messages_out",
        "Outbound messages handed to the transport (direct sends, requests and gossip publishes).",
        net.messages_out,
    );
    s.counter(
        "yrd_network_send_failures",
        "Outbound direct messages and requests that failed in transit or found no connection.",
        net.send_failures,
    );
    s.counter(
        "yrd_network_dial_attempts",
        "Dials started to members (bootstrap and re-dials).",
        net.dial_attempts,
    );
    s.counter(
        "yrd_network_dial_failures",
        "Dials to members that failed.",
        net.dial_failures,
    );
}

/// The host's counters that `node_getStatus.counters` leaves out.
pub fn host_counter_series(c: &NodeCounters, s: &mut Sampled) {
    let read = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    s.counter(
        "yrd_sync_bytes_served",
        "Bytes of block-sync answers sent.",
        read(&c.sync_bytes_served),
    );
    s.counter(
        "yrd_payloads_malformed",
        "Committed blocks whose payload did not decode (executed as empty).",
        read(&c.payloads_malformed),
    );
    s.counter(
        "yrd_snapshot_requests_served",
        "State-sync requests answered (manifests and chunks, answers of unavailable included).",
        read(&c.snapshot_requests_served),
    );
    s.counter(
        "yrd_snapshot_requests_dropped",
        "State-sync requests dropped (server busy, or the peer over its byte budget).",
        read(&c.snapshot_requests_dropped),
    );
}

/// Admission refusals by reason (the fixed set [`super::ingress::REFUSAL_REASONS`]).
pub fn refusal_series(c: &NodeCounters, s: &mut Sampled) {
    s.counters_by(
        "yrd_txs_refusals",
        "Transactions refused at admission, by reason (they add up to yrd_txs_refused_total).",
        "error",
        super::ingress::REFUSAL_REASONS
            .iter()
            .zip(&c.txs_refused_by_reason)
            .map(|(reason, count)| ((*reason).to_owned(), count.load(Ordering::Relaxed))),
    );
}

/// Mempool evictions by reason (a fixed set of five).
pub fn eviction_series(evictions: &EvictionCounts, s: &mut Sampled) {
    s.counters_by(
        "yrd_mempool_evictions",
        "Transactions evicted from the mempool, by reason.",
        "reason",
        [
            ("expired", evictions.expired),
            ("stale_nonce", evictions.stale_nonce),
            ("lifetime", evictions.lifetime),
            ("gap_age", evictions.gap_age),
            ("displaced", evictions.displaced),
        ]
        .map(|(reason, count)| (reason.to_owned(), count)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposition(sampled: Sampled) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(sampled));
        crate::rpc::metrics::encode(&registry).unwrap()
    }

    #[test]
    fn every_consensus_counter_is_one_series_with_help_and_type() {
        let mut metrics = Metrics {
            qcs_formed: 7,
            round_timeouts: 2,
            ..Metrics::default()
        };
        metrics
            .certificates_rejected_by_peer
            .insert(yrd_consensus::PublicKey([1; 32]), 3);
        let mut sampled = Sampled::default();
        consensus_series(9, &metrics, &mut sampled);
        let text = exposition(sampled);
        assert!(text.contains("# TYPE yrd_consensus_round gauge\nyrd_consensus_round 9\n"));
        assert!(text.contains("\nyrd_consensus_qcs_formed_total 7\n"));
        assert!(text.contains("\nyrd_consensus_round_timeouts_total 2\n"));
        assert!(text.contains(&format!(
            "yrd_consensus_certificates_rejected_total{{peer=\"{}\"}} 3",
            hex::encode([1u8; 32])
        )));
        assert!(text.contains("yrd_consensus_certificates_rejected_total{peer=\"other\"} 0"));
        let samples = text.lines().filter(|l| !l.starts_with('#')).count();
        let types = text.lines().filter(|l| l.starts_with("# TYPE")).count();
        assert_eq!(types, 29);
        assert_eq!(samples, 30);
    }

    #[test]
    fn leader_reputation_is_one_gauge_per_validator() {
        let mut sampled = Sampled::default();
        leader_reputation_series(&[[1; 32], [2; 32], [3; 32]], &[[2; 32]], &mut sampled);
        let text = exposition(sampled);
        assert!(text.contains("# TYPE yrd_consensus_leader_excluded gauge\n"));
        assert!(text.contains("yrd_consensus_leader_excluded{validator=\"0101010101010101\"} 0\n"));
        assert!(text.contains("yrd_consensus_leader_excluded{validator=\"0202020202020202\"} 1\n"));
        assert_eq!(text.matches("yrd_consensus_leader_excluded{").count(), 3);
    }

    #[test]
    fn a_standard_parser_reads_the_timing_buckets_cumulatively() {
        let commit_latency = timing_histogram();
        for seconds in [0.005, 0.3, 0.3, 4.0, 120.0] {
            commit_latency.observe(seconds);
        }
        let mut registry = Registry::default();
        register_timings(
            &mut registry,
            &commit_latency,
            &timing_histogram(),
            &storage_histogram(),
            &storage_histogram(),
        );
        let text = crate::rpc::metrics::encode(&registry).unwrap();
        let lines = text.lines().map(|line| Ok(line.to_owned()));
        let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
        let sample = scrape
            .samples
            .iter()
            .find(|s| s.metric == "yrd_commit_latency_seconds")
            .unwrap();
        let prometheus_parse::Value::Histogram(buckets) = &sample.value else {
            panic!("not read as a histogram: {:?}", sample.value);
        };
        let at = |le: f64| {
            buckets
                .iter()
                .find(|b| b.less_than == le || (b.less_than - le).abs() < 1e-9)
                .map(|b| b.count)
                .unwrap()
        };
        assert_eq!(at(0.01), 1.0);
        assert_eq!(at(0.5), 3.0);
        assert_eq!(at(5.0), 4.0);
        assert_eq!(at(60.0), 4.0, "120 s is above every bound");
        assert_eq!(at(f64::INFINITY), 5.0);
        assert!(text.contains("yrd_commit_latency_seconds_count 5\n"));
        assert!(text.contains("yrd_commit_latency_seconds_sum 124.605\n"));
        assert!(text.contains("yrd_block_interval_seconds_count 0\n"));
    }

    #[test]
    fn evictions_show_every_reason() {
        let mut sampled = Sampled::default();
        eviction_series(
            &EvictionCounts {
                gap_age: 2,
                ..EvictionCounts::default()
            },
            &mut sampled,
        );
        let text = exposition(sampled);
        assert!(text.contains("yrd_mempool_evictions_total{reason=\"gap_age\"} 2\n"));
        assert!(text.contains("yrd_mempool_evictions_total{reason=\"displaced\"} 0\n"));
    }
}
