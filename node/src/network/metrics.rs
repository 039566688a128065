//! Counters of the network layer, readable at any time without asking the network task.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the network counters (all monotonic since start).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkMetrics {
    /// Connections refused because the remote key is not a member (inbound and outbound).
    pub connections_refused_non_member: u64,
    /// Connections refused because the remote is banned.
    pub connections_refused_banned: u64,
    /// Connections refused because `max_connections` was reached.
    pub connections_refused_limit: u64,
    /// Inbound messages dropped because they exceeded the size limit.
    pub oversized_messages_dropped: u64,
    /// Inbound messages dropped because the sender exceeded its rate limit.
    pub rate_limited_messages_dropped: u64,
    /// Inbound frames dropped because they were malformed (unknown kind, trailing bytes).
    pub malformed_messages_dropped: u64,
    /// Invalid messages reported by the host through `report_invalid`.
    pub invalid_messages_reported: u64,
    /// Peers banned after reaching the penalty threshold.
    pub bans: u64,
    /// Inbound messages accepted and handed to the host (gossip and direct).
    pub messages_in: u64,
    /// Outbound messages handed to libp2p (direct sends, requests and gossip publishes).
    pub messages_out: u64,
    /// Outbound direct messages and requests that failed in transit or found no connection.
    pub send_failures: u64,
    /// Events dropped because the host's event channel was full.
    pub events_dropped_channel_full: u64,
    /// Inbound requests dropped because too many were already waiting for the host.
    pub inbound_requests_dropped_overload: u64,
    /// Dials started to members (bootstrap and re-dials).
    pub dial_attempts: u64,
    /// Dials that failed.
    pub dial_failures: u64,
}

/// The live counters behind [`NetworkMetrics`], shared between the network task and handles.
#[derive(Debug, Default)]
pub(crate) struct MetricsCounters {
    pub(crate) connections_refused_non_member: AtomicU64,
    pub(crate) connections_refused_banned: AtomicU64,
    pub(crate) connections_refused_limit: AtomicU64,
    pub(crate) oversized_messages_dropped: AtomicU64,
    pub(crate) rate_limited_messages_dropped: AtomicU64,
    pub(crate) malformed_messages_dropped: AtomicU64,
    pub(crate) invalid_messages_reported: AtomicU64,
    pub(crate) bans: AtomicU64,
    pub(crate) messages_in: AtomicU64,
    pub(crate) messages_out: AtomicU64,
    pub(crate) send_failures: AtomicU64,
    pub(crate) events_dropped_channel_full: AtomicU64,
    pub(crate) inbound_requests_dropped_overload: AtomicU64,
    pub(crate) dial_attempts: AtomicU64,
    pub(crate) dial_failures: AtomicU64,
}

/// Adds one to a counter.
pub(crate) fn increment(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl MetricsCounters {
    /// Reads every counter.
    pub(crate) fn snapshot(&self) -> NetworkMetrics {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        NetworkMetrics {
            connections_refused_non_member: read(&self.connections_refused_non_member),
            connections_refused_banned: read(&self.connections_refused_banned),
            connections_refused_limit: read(&self.connections_refused_limit),
            oversized_messages_dropped: read(&self.oversized_messages_dropped),
            rate_limited_messages_dropped: read(&self.rate_limited_messages_dropped),
            malformed_messages_dropped: read(&self.malformed_messages_dropped),
            invalid_messages_reported: read(&self.invalid_messages_reported),
            bans: read(&self.bans),
            messages_in: read(&self.messages_in),
            messages_out: read(&self.messages_out),
            send_failures: read(&self.send_failures),
            events_dropped_channel_full: read(&self.events_dropped_channel_full),
            inbound_requests_dropped_overload: read(&self.inbound_requests_dropped_overload),
            dial_attempts: read(&self.dial_attempts),
            dial_failures: read(&self.dial_failures),
        }
    }
}
