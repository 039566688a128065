//! The node's own series in `GET /metrics`: the head (height, round, epoch, block time), its role,
//! peers and mempool as gauges, and every counter of `node_getStatus.counters` as a Prometheus
//! counter. Read from one `node_getStatus` snapshot per scrape, so the series agree with each
//! other and with what `node_getStatus` answers at the same moment.

use std::fmt::Write as _;

use super::views::{NodeRole, NodeStatus};

/// One series: name, type, help, value.
type Series = (&'static str, &'static str, &'static str, f64);

/// The node section of the exposition (Prometheus text format 0.0.4).
pub fn render_node(status: &NodeStatus) -> String {
    let head = &status.head;
    let c = &status.counters;
    let gauges: [Series; 9] = [
        (
            "yrd_head_height",
            "gauge",
            "Height of the latest committed block.",
            head.height as f64,
        ),
        (
            "yrd_head_round",
            "gauge",
            "Consensus round of the latest committed block.",
            head.round as f64,
        ),
        (
            "yrd_head_epoch",
            "gauge",
            "Consensus epoch of the latest committed block.",
            head.epoch as f64,
        ),
        (
            "yrd_head_block_time_seconds",
            "gauge",
            "Block time of the latest committed block, seconds since the Unix epoch (now minus this is the head's age).",
            head.block_time_ms as f64 / 1_000.0,
        ),
        (
            "yrd_node_is_validator",
            "gauge",
            "1 while this node is a validator of the current epoch, 0 while it observes.",
            f64::from(u8::from(status.role == NodeRole::Validator)),
        ),
        (
            "yrd_peers_connected",
            "gauge",
            "Members connected now.",
            f64::from(status.peer_count),
        ),
        (
            "yrd_mempool_transactions",
            "gauge",
            "Transactions waiting in the mempool.",
            f64::from(status.mempool_txs),
        ),
        (
            "yrd_mempool_bytes",
            "gauge",
            "Bytes of the transactions waiting in the mempool.",
            status.mempool_bytes as f64,
        ),
        (
            "yrd_highest_known_height",
            "gauge",
            "Highest height this node has seen from peers.",
            status.highest_known_height as f64,
        ),
    ];
    let counters: [Series; 14] = [
        (
            "yrd_txs_admitted_total",
            "counter",
            "Transactions admitted to the mempool (RPC or gossip).",
            c.txs_admitted as f64,
        ),
        (
            "yrd_txs_refused_total",
            "counter",
            "Transactions refused at admission, any reason.",
            c.txs_refused as f64,
        ),
        (
            "yrd_blocks_executed_total",
            "counter",
            "Committed blocks executed.",
            c.blocks_executed as f64,
        ),
        (
            "yrd_consensus_messages_malformed_total",
            "counter",
            "Consensus messages that did not decode, dropped.",
            c.consensus_messages_malformed as f64,
        ),
        (
            "yrd_connections_refused_non_member_total",
            "counter",
            "Connections refused: the peer is no member.",
            c.connections_refused_non_member as f64,
        ),
        (
            "yrd_connections_refused_banned_total",
            "counter",
            "Connections refused: the peer is banned.",
            c.connections_refused_banned as f64,
        ),
        (
            "yrd_connections_refused_limit_total",
            "counter",
            "Connections refused by a connection limit.",
            c.connections_refused_limit as f64,
        ),
        (
            "yrd_network_messages_dropped_total",
            "counter",
            "Network messages dropped (rate limits, full queues, refused frames).",
            c.network_messages_dropped as f64,
        ),
        (
            "yrd_peer_bans_total",
            "counter",
            "Peers banned by the scoring.",
            c.peer_bans as f64,
        ),
        (
            "yrd_gossip_txs_dropped_total",
            "counter",
            "Gossiped transactions dropped because the ingress queue was full.",
            c.gossip_txs_dropped as f64,
        ),
        (
            "yrd_sync_served_total",
            "counter",
            "Block-sync requests answered (validators and observers pulling).",
            c.sync_served as f64,
        ),
        (
            "yrd_sync_dropped_queue_full_total",
            "counter",
            "Block-sync requests dropped: the serve queue or the peer's share of it was full.",
            c.sync_dropped_queue_full as f64,
        ),
        (
            "yrd_sync_refused_budget_total",
            "counter",
            "Block-sync requests refused: the peer's byte budget was spent.",
            c.sync_refused_budget as f64,
        ),
        (
            "yrd_sync_read_faults_total",
            "counter",
            "Block-sync requests left unanswered because a store read failed.",
            c.sync_read_faults as f64,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in gauges.iter().chain(counters.iter()) {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {value}");
    }
    out
}
