//! Book-keeping per member: live connection facts, rate-limit buckets and penalty points.
//!
//! Buckets and penalties are kept per member across reconnects (a peer cannot refill its bucket
//! or clear its record by reconnecting) and are dropped when the key leaves the membership, so
//! every map here is bounded by the membership size.

use std::collections::BTreeMap;
use std::time::Instant;

use libp2p::{Multiaddr, PeerId};

use super::handle::PeerInfo;
use super::identity::PublicKeyBytes;
use super::rate_limit::TokenBucket;

/// A member with at least one open connection.
#[derive(Clone, Debug)]
struct ConnectedPeer {
    public_key: PublicKeyBytes,
    address: Multiaddr,
    connected_since_unix_ms: u64,
    messages_in: u64,
    messages_out: u64,
    subscribed_to_transactions: bool,
}

/// Outcome of a penalty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PenaltyOutcome {
    /// The peer stays, with this many penalty points.
    Recorded { penalty_points: u32 },
    /// The peer reached the threshold: ban it. Its points start again from zero.
    ThresholdReached,
}

/// State of all members the node talks to.
#[derive(Debug)]
pub(crate) struct PeerBook {
    connected: BTreeMap<PeerId, ConnectedPeer>,
    buckets: BTreeMap<PeerId, TokenBucket>,
    penalty_points: BTreeMap<PeerId, u32>,
    rate_limit_messages_per_sec: u32,
    rate_limit_burst_messages: u32,
    penalty_threshold: u32,
}

impl PeerBook {
    pub(crate) fn new(
        rate_limit_messages_per_sec: u32,
        rate_limit_burst_messages: u32,
        penalty_threshold: u32,
    ) -> Self {
        Self {
            connected: BTreeMap::new(),
            buckets: BTreeMap::new(),
            penalty_points: BTreeMap::new(),
            rate_limit_messages_per_sec,
            rate_limit_burst_messages,
            penalty_threshold,
        }
    }

    /// Records the first connection of a member; later connections keep the first one's facts.
    pub(crate) fn on_connected(
        &mut self,
        peer: PeerId,
        public_key: PublicKeyBytes,
        address: Multiaddr,
        now_unix_ms: u64,
    ) {
        self.connected.entry(peer).or_insert(ConnectedPeer {
            public_key,
            address,
            connected_since_unix_ms: now_unix_ms,
            messages_in: 0,
            messages_out: 0,
            subscribed_to_transactions: false,
        });
    }

    /// Forgets the live facts of a peer whose last connection closed; returns its key if it
    /// was connected.
    pub(crate) fn on_disconnected(&mut self, peer: &PeerId) -> Option<PublicKeyBytes> {
        self.connected.remove(peer).map(|state| state.public_key)
    }

    pub(crate) fn is_connected(&self, peer: &PeerId) -> bool {
        self.connected.contains_key(peer)
    }

    /// Connected members, in `PeerId` order.
    pub(crate) fn connected_peers(&self) -> Vec<PeerId> {
        self.connected.keys().copied().collect()
    }

    pub(crate) fn set_subscribed(&mut self, peer: &PeerId, subscribed: bool) {
        if let Some(state) = self.connected.get_mut(peer) {
            state.subscribed_to_transactions = subscribed;
        }
    }

    /// Takes a rate-limit token for an inbound message; `false` means drop it.
    pub(crate) fn admit_inbound(&mut self, peer: PeerId, now: Instant) -> bool {
        let (rate, burst) = (
            self.rate_limit_messages_per_sec,
            self.rate_limit_burst_messages,
        );
        let admitted = self
            .buckets
            .entry(peer)
            .or_insert_with(|| TokenBucket::new(rate, burst, now))
            .try_take(now);
        if admitted && let Some(state) = self.connected.get_mut(&peer) {
            state.messages_in = state.messages_in.saturating_add(1);
        }
        admitted
    }

    pub(crate) fn record_outbound(&mut self, peer: &PeerId) {
        if let Some(state) = self.connected.get_mut(peer) {
            state.messages_out = state.messages_out.saturating_add(1);
        }
    }

    /// Adds one penalty point.
    pub(crate) fn penalize(&mut self, peer: PeerId) -> PenaltyOutcome {
        let points = self.penalty_points.entry(peer).or_insert(0);
        *points = points.saturating_add(1);
        if *points >= self.penalty_threshold {
            self.penalty_points.remove(&peer);
            PenaltyOutcome::ThresholdReached
        } else {
            PenaltyOutcome::Recorded {
                penalty_points: *points,
            }
        }
    }

    /// Forgets the rate-limit and penalty records of peers for which `keep` is false. Live
    /// connection facts stay until the connection closes (`on_disconnected`).
    pub(crate) fn retain_records(&mut self, mut keep: impl FnMut(&PeerId) -> bool) {
        self.buckets.retain(|peer, _| keep(peer));
        self.penalty_points.retain(|peer, _| keep(peer));
    }

    /// A description of every connected member.
    pub(crate) fn peer_infos(&self) -> Vec<PeerInfo> {
        self.connected
            .iter()
            .map(|(peer_id, state)| PeerInfo {
                public_key: state.public_key,
                peer_id: *peer_id,
                address: state.address.clone(),
                connected_since_unix_ms: state.connected_since_unix_ms,
                messages_in: state.messages_in,
                messages_out: state.messages_out,
                score: -i64::from(self.penalty_points.get(peer_id).copied().unwrap_or(0)),
                subscribed_to_transactions: state.subscribed_to_transactions,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address() -> Multiaddr {
        "/ip4/127.0.0.1/tcp/9".parse().unwrap()
    }

    #[test]
    fn penalties_accumulate_to_the_threshold_then_restart() {
        let peer = PeerId::random();
        let mut book = PeerBook::new(10, 10, 3);
        assert_eq!(
            book.penalize(peer),
            PenaltyOutcome::Recorded { penalty_points: 1 }
        );
        assert_eq!(
            book.penalize(peer),
            PenaltyOutcome::Recorded { penalty_points: 2 }
        );
        assert_eq!(book.penalize(peer), PenaltyOutcome::ThresholdReached);
        assert_eq!(
            book.penalize(peer),
            PenaltyOutcome::Recorded { penalty_points: 1 }
        );
    }

    #[test]
    fn score_and_counters_show_in_peer_info() {
        let peer = PeerId::random();
        let mut book = PeerBook::new(10, 2, 5);
        book.on_connected(peer, [1; 32], address(), 42);
        let now = Instant::now();
        assert!(book.admit_inbound(peer, now));
        assert!(book.admit_inbound(peer, now));
        assert!(!book.admit_inbound(peer, now));
        book.record_outbound(&peer);
        let _ = book.penalize(peer);
        let _ = book.penalize(peer);
        let infos = book.peer_infos();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].public_key, [1; 32]);
        assert_eq!(infos[0].messages_in, 2);
        assert_eq!(infos[0].messages_out, 1);
        assert_eq!(infos[0].score, -2);
        assert_eq!(infos[0].connected_since_unix_ms, 42);
    }

    #[test]
    fn reconnecting_does_not_refill_the_bucket() {
        let peer = PeerId::random();
        let mut book = PeerBook::new(1, 1, 5);
        let now = Instant::now();
        book.on_connected(peer, [1; 32], address(), 1);
        assert!(book.admit_inbound(peer, now));
        assert_eq!(book.on_disconnected(&peer), Some([1; 32]));
        assert_eq!(book.on_disconnected(&peer), None);
        book.on_connected(peer, [1; 32], address(), 2);
        assert!(!book.admit_inbound(peer, now));
    }

    #[test]
    fn retain_records_forgets_removed_members_but_not_live_connections() {
        let peer = PeerId::random();
        let mut book = PeerBook::new(1, 1, 5);
        book.on_connected(peer, [1; 32], address(), 1);
        let _ = book.penalize(peer);
        book.retain_records(|_| false);
        // Still connected until the connection actually closes.
        assert!(book.is_connected(&peer));
        assert_eq!(book.peer_infos()[0].score, 0);
        assert_eq!(
            book.penalize(peer),
            PenaltyOutcome::Recorded { penalty_points: 1 }
        );
    }
}
