//! `GET /metrics`, assembled: one registry per scrape holding the RPC metrics, the node's own
//! series — the head (height, round, epoch, block time), its role, sync state, peers and mempool
//! as gauges, and every counter of `node_getStatus.counters` as a counter — and whatever the
//! backend adds ([`super::backend::RpcBackend::register_metrics`]). The node's series are read
//! from one `node_getStatus` snapshot per scrape, so they agree with each other and with what
//! `node_getStatus` answers at the same moment.

use std::sync::Arc;

use prometheus_client::registry::Registry;

use super::context::RpcContext;
use super::metrics::{OPENMETRICS_CONTENT_TYPE, Sampled, encode};
use super::views::{NodeRole, NodeStatus};

/// The node's series from one status snapshot.
pub fn node_series(status: &NodeStatus) -> Sampled {
    let head = &status.head;
    let c = &status.counters;
    let mut s = Sampled::default();
    s.gauge(
        "yrd_head_height",
        "Height of the latest committed block.",
        head.height,
    );
    s.gauge(
        "yrd_head_round",
        "Consensus round of the latest committed block.",
        head.round,
    );
    s.gauge(
        "yrd_head_epoch",
        "Consensus epoch of the latest committed block.",
        head.epoch,
    );
    s.gauge_f64(
        "yrd_head_block_time_seconds",
        "Block time of the latest committed block, seconds since the Unix epoch (now minus this is the head's age).",
        head.block_time_ms as f64 / 1_000.0,
    );
    s.gauge(
        "yrd_node_is_validator",
        "1 while this node is a validator of the current epoch, 0 while it observes.",
        u64::from(status.role == NodeRole::Validator),
    );
    s.gauge(
        "yrd_node_syncing",
        "1 while the head is more than 3 blocks below the highest certified height known (catching up), else 0.",
        u64::from(status.syncing),
    );
    s.gauge(
        "yrd_peers_connected",
        "Members connected now.",
        u64::from(status.peer_count),
    );
    s.gauge(
        "yrd_mempool_transactions",
        "Transactions waiting in the mempool.",
        u64::from(status.mempool_txs),
    );
    s.gauge(
        "yrd_mempool_bytes",
        "Bytes of the transactions waiting in the mempool.",
        status.mempool_bytes,
    );
    s.gauge(
        "yrd_highest_known_height",
        "Highest height this node knows to be certified (sync progress: this minus yrd_head_height is the lag).",
        status.highest_known_height,
    );
    let counters: [(&'static str, &'static str, u64); 15] = [
        (
            "yrd_txs_admitted",
            "Transactions admitted to the mempool (RPC or gossip).",
            c.txs_admitted,
        ),
        (
            "yrd_txs_refused",
            "Transactions refused at admission, any reason.",
            c.txs_refused,
        ),
        (
            "yrd_blocks_executed",
            "Committed blocks executed.",
            c.blocks_executed,
        ),
        (
            "yrd_consensus_messages_malformed",
            "Consensus messages that did not decode, dropped.",
            c.consensus_messages_malformed,
        ),
        (
            "yrd_connections_refused_non_member",
            "Connections refused: the peer is no member.",
            c.connections_refused_non_member,
        ),
        (
            "yrd_connections_refused_banned",
            "Connections refused: the peer is banned.",
            c.connections_refused_banned,
        ),
        (
            "yrd_connections_refused_limit",
            "Connections refused by a connection limit.",
            c.connections_refused_limit,
        ),
        (
            "yrd_network_messages_dropped",
            "Network messages dropped (rate limits, full queues, refused frames).",
            c.network_messages_dropped,
        ),
        ("yrd_peer_bans", "Peers banned by the scoring.", c.peer_bans),
        (
            "yrd_gossip_txs_dropped",
            "Gossip messages (transaction batches) dropped because the ingress queue was full.",
            c.gossip_txs_dropped,
        ),
        (
            "yrd_gossip_batches_malformed",
            "Gossip messages refused whole as malformed transaction batches.",
            c.gossip_batches_malformed,
        ),
        (
            "yrd_sync_served",
            "Block-sync requests answered (validators and observers pulling).",
            c.sync_served,
        ),
        (
            "yrd_sync_dropped_queue_full",
            "Block-sync requests dropped: the serve queue or the peer's share of it was full.",
            c.sync_dropped_queue_full,
        ),
        (
            "yrd_sync_refused_budget",
            "Block-sync requests refused: the peer's byte budget was spent.",
            c.sync_refused_budget,
        ),
        (
            "yrd_sync_read_faults",
            "Block-sync requests left unanswered because a store read failed.",
            c.sync_read_faults,
        ),
    ];
    for (name, help, value) in counters {
        s.counter(name, help, value);
    }
    s
}

/// The answer to `GET /metrics`: status, content type and body. The RPC series always; the
/// node's while the node answers (a node that cannot still shows its RPC series; `/health` says
/// why).
pub async fn scrape(ctx: &Arc<RpcContext>) -> (u16, &'static str, String) {
    let node = ctx
        .run_blocking(|ctx| {
            let status = ctx.backend.node_status()?;
            let mut registry = Registry::default();
            ctx.metrics.register(&mut registry);
            registry.register_collector(Box::new(node_series(&status)));
            ctx.backend.register_metrics(&mut registry);
            Ok(registry)
        })
        .await;
    let registry = node.unwrap_or_else(|_| {
        let mut registry = Registry::default();
        ctx.metrics.register(&mut registry);
        registry
    });
    match encode(&registry) {
        Ok(body) => (200, OPENMETRICS_CONTENT_TYPE, body),
        Err(error) => {
            tracing::warn!(%error, "encoding /metrics failed");
            (
                500,
                "text/plain; charset=utf-8",
                "the metrics could not be encoded\n".to_owned(),
            )
        }
    }
}
