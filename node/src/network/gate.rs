//! Connection gate: only members may connect, banned peers may not, and connections are bounded
//! in total, per peer and per IP address, with one slot reserved for each member.
//!
//! Before any handshake, an incoming connection counts against `max_pending_incoming` (all
//! remotes together) and `max_connections_per_ip` (pending and established from one address), so
//! strangers cannot hold every socket open while Noise runs. Once the remote key is proven, a
//! member's *first* connection is always admitted (its reserved slot: the membership is small and
//! known, so these are bounded by it). Any further connection of a peer counts against
//! `max_connections_per_peer`, and is admitted only while the established connections plus one
//! slot for each member (other than this node) not connected yet stay below `max_connections`:
//! one member opening connections can never take the last slots the others need.
//!
//! This behaviour sits first in the composed behaviour, so its verdict is taken when a connection
//! has been authenticated by Noise (the remote `PeerId` is proven) and before any protocol handler
//! runs: a refused peer never reaches gossipsub or the direct protocol. Outbound dials to known
//! non-members are refused before a socket is opened. Every refusal is counted and logged.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::net::IpAddr;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm, dummy,
};
use libp2p::{Multiaddr, PeerId};

use super::metrics::{MetricsCounters, increment};

/// Why the gate refused a connection (the error inside `ConnectionDenied`).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Refusal {
    /// The remote key is not in the membership.
    #[error("peer {0} is not a member")]
    NotMember(PeerId),
    /// The remote is serving a ban.
    #[error("peer {0} is banned")]
    Banned(PeerId),
    /// The connection limit is reached, counting the slots reserved for members not connected yet.
    #[error("connection limit of {0} reached ({1} slots reserved for members not connected yet)")]
    ConnectionLimit(usize, usize),
    /// The peer already has its most connections.
    #[error("peer {0} already has {1} connections")]
    PeerLimit(PeerId, usize),
    /// The remote address already has its most connections (pending and established).
    #[error("address {0} already has {1} connections")]
    IpLimit(IpAddr, usize),
    /// Too many incoming connections are still in their handshake.
    #[error("{0} incoming connections are still in their handshake")]
    PendingLimit(usize),
}

/// The gate's limits (from the network configuration).
#[derive(Debug, Clone, Copy)]
pub(crate) struct GateLimits {
    /// Established connections, all peers together (members' first connections aside).
    pub max_connections: usize,
    /// Established connections of one peer.
    pub max_connections_per_peer: usize,
    /// Pending and established connections from one IP address.
    pub max_connections_per_ip: usize,
    /// Incoming connections not yet through their handshake.
    pub max_pending_incoming: usize,
}

/// The IP address a multiaddr starts with, if any.
fn ip_of(address: &Multiaddr) -> Option<IpAddr> {
    address.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

/// The gate behaviour. The network task updates members and bans; the swarm asks for verdicts.
pub(crate) struct MembershipGate {
    members: BTreeSet<PeerId>,
    /// This node, which is a member but never connects to itself.
    local: PeerId,
    banned_until: BTreeMap<PeerId, Instant>,
    limits: GateLimits,
    established_connections: usize,
    /// Established connections per peer.
    by_peer: BTreeMap<PeerId, usize>,
    /// Pending and established connections per remote IP, and the address of each.
    by_ip: BTreeMap<IpAddr, usize>,
    ip_of_connection: BTreeMap<ConnectionId, IpAddr>,
    /// Incoming connections in their handshake.
    pending_incoming: BTreeSet<ConnectionId>,
    metrics: Arc<MetricsCounters>,
}

impl MembershipGate {
    pub(crate) fn new(
        members: BTreeSet<PeerId>,
        local: PeerId,
        limits: GateLimits,
        metrics: Arc<MetricsCounters>,
    ) -> Self {
        Self {
            members,
            local,
            banned_until: BTreeMap::new(),
            limits,
            established_connections: 0,
            by_peer: BTreeMap::new(),
            by_ip: BTreeMap::new(),
            ip_of_connection: BTreeMap::new(),
            pending_incoming: BTreeSet::new(),
            metrics,
        }
    }

    /// The pre-handshake checks of an incoming connection from `remote`.
    fn check_pending_inbound(
        &mut self,
        connection: ConnectionId,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        if self.pending_incoming.len() >= self.limits.max_pending_incoming {
            increment(&self.metrics.connections_refused_limit);
            tracing::warn!(addr = %remote, reason = "pending incoming limit", limit = self.limits.max_pending_incoming, "connection refused");
            return Err(ConnectionDenied::new(Refusal::PendingLimit(
                self.limits.max_pending_incoming,
            )));
        }
        if let Some(ip) = ip_of(remote) {
            let held = self.by_ip.get(&ip).copied().unwrap_or(0);
            if held >= self.limits.max_connections_per_ip {
                increment(&self.metrics.connections_refused_limit);
                tracing::warn!(addr = %remote, reason = "per-IP limit", limit = self.limits.max_connections_per_ip, "connection refused");
                return Err(ConnectionDenied::new(Refusal::IpLimit(ip, held)));
            }
            *self.by_ip.entry(ip).or_default() += 1;
            self.ip_of_connection.insert(connection, ip);
        }
        self.pending_incoming.insert(connection);
        Ok(())
    }

    /// A connection ended (closed, or failed before it was established).
    fn forget_connection(&mut self, connection: ConnectionId) {
        self.pending_incoming.remove(&connection);
        if let Some(ip) = self.ip_of_connection.remove(&connection)
            && let Some(count) = self.by_ip.get_mut(&ip)
        {
            *count = count.saturating_sub(1);
            if *count == 0 {
                self.by_ip.remove(&ip);
            }
        }
    }

    /// Slots held back for members (other than this node) with no connection yet.
    fn slots_reserved(&self) -> usize {
        self.members
            .iter()
            .filter(|member| **member != self.local && !self.by_peer.contains_key(member))
            .count()
    }

    /// Replaces the membership; connections already open are the caller's to close.
    pub(crate) fn set_members(&mut self, members: BTreeSet<PeerId>) {
        self.banned_until.retain(|peer, _| members.contains(peer));
        self.members = members;
    }

    /// Refuses the peer until `until`.
    pub(crate) fn ban(&mut self, peer: PeerId, until: Instant) {
        self.banned_until.insert(peer, until);
    }

    pub(crate) fn is_banned(&self, peer: &PeerId, now: Instant) -> bool {
        self.banned_until
            .get(peer)
            .is_some_and(|until| *until > now)
    }

    /// Forgets bans that have run out.
    pub(crate) fn prune_expired_bans(&mut self, now: Instant) {
        self.banned_until.retain(|_, until| *until > now);
    }

    fn check(
        &self,
        peer: PeerId,
        address: Option<&Multiaddr>,
        direction: &'static str,
    ) -> Result<(), ConnectionDenied> {
        let address = address.map(ToString::to_string).unwrap_or_default();
        if !self.members.contains(&peer) {
            increment(&self.metrics.connections_refused_non_member);
            tracing::warn!(%peer, addr = %address, direction, reason = "not a member", "connection refused");
            return Err(ConnectionDenied::new(Refusal::NotMember(peer)));
        }
        if self.is_banned(&peer, Instant::now()) {
            increment(&self.metrics.connections_refused_banned);
            tracing::info!(%peer, addr = %address, direction, reason = "banned", "connection refused");
            return Err(ConnectionDenied::new(Refusal::Banned(peer)));
        }
        let of_peer = self.by_peer.get(&peer).copied().unwrap_or(0);
        if of_peer == 0 {
            // The member's reserved slot.
            return Ok(());
        }
        let reserved = self.slots_reserved();
        if of_peer >= self.limits.max_connections_per_peer {
            increment(&self.metrics.connections_refused_limit);
            tracing::warn!(%peer, addr = %address, direction, reason = "per-peer limit", limit = self.limits.max_connections_per_peer, "connection refused");
            return Err(ConnectionDenied::new(Refusal::PeerLimit(peer, of_peer)));
        }
        if self.established_connections.saturating_add(reserved) >= self.limits.max_connections {
            increment(&self.metrics.connections_refused_limit);
            tracing::warn!(
                %peer,
                addr = %address,
                direction,
                reason = "connection limit",
                limit = self.limits.max_connections,
                reserved,
                "connection refused"
            );
            return Err(ConnectionDenied::new(Refusal::ConnectionLimit(
                self.limits.max_connections,
                reserved,
            )));
        }
        Ok(())
    }
}

impl NetworkBehaviour for MembershipGate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _local_addr: &Multiaddr,
        remote_addr: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.check_pending_inbound(connection_id, remote_addr)
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        // The handshake is over either way.
        self.pending_incoming.remove(&connection_id);
        if let Err(denied) = self.check(peer, Some(remote_addr), "inbound") {
            self.forget_connection(connection_id);
            return Err(denied);
        }
        Ok(dummy::ConnectionHandler)
    }

    fn handle_pending_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        maybe_peer: Option<PeerId>,
        addresses: &[Multiaddr],
        _effective_role: Endpoint,
    ) -> Result<Vec<Multiaddr>, ConnectionDenied> {
        if let Some(peer) = maybe_peer {
            self.check(peer, addresses.first(), "outbound")?;
        }
        Ok(Vec::new())
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        addr: &Multiaddr,
        _role_override: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, Some(addr), "outbound")?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm<'_>) {
        match event {
            FromSwarm::ConnectionEstablished(established) => {
                self.established_connections = self.established_connections.saturating_add(1);
                *self.by_peer.entry(established.peer_id).or_default() += 1;
                self.pending_incoming.remove(&established.connection_id);
            }
            FromSwarm::ConnectionClosed(closed) => {
                self.established_connections = self.established_connections.saturating_sub(1);
                if let Some(count) = self.by_peer.get_mut(&closed.peer_id) {
                    *count = count.saturating_sub(1);
                    if *count == 0 {
                        self.by_peer.remove(&closed.peer_id);
                    }
                }
                self.forget_connection(closed.connection_id);
            }
            FromSwarm::ListenFailure(failure) => self.forget_connection(failure.connection_id),
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer_id: PeerId,
        _connection_id: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        match event {}
    }

    fn poll(
        &mut self,
        _cx: &mut Context<'_>,
    ) -> Poll<ToSwarm<Self::ToSwarm, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn gate(members: &[PeerId], max_connections: usize) -> (MembershipGate, Arc<MetricsCounters>) {
        gate_with(
            members,
            GateLimits {
                max_connections,
                max_connections_per_peer: 8,
                max_connections_per_ip: 8,
                max_pending_incoming: 8,
            },
        )
    }

    fn gate_with(members: &[PeerId], limits: GateLimits) -> (MembershipGate, Arc<MetricsCounters>) {
        let metrics = Arc::new(MetricsCounters::default());
        let gate = MembershipGate::new(
            members.iter().copied().collect(),
            PeerId::random(),
            limits,
            Arc::clone(&metrics),
        );
        (gate, metrics)
    }

    /// Records an established connection as the swarm would report it.
    fn established(gate: &mut MembershipGate, peer: PeerId, id: usize) {
        *gate.by_peer.entry(peer).or_default() += 1;
        gate.established_connections += 1;
        gate.pending_incoming
            .remove(&ConnectionId::new_unchecked(id));
    }

    fn from_ip(ip: &str) -> Multiaddr {
        format!("/ip4/{ip}/tcp/4000").parse().unwrap()
    }

    #[test]
    fn one_member_cannot_take_every_slot() {
        let greedy = PeerId::random();
        let other = PeerId::random();
        let (mut gate, metrics) = gate_with(
            &[greedy, other],
            GateLimits {
                max_connections: 3,
                max_connections_per_peer: 2,
                max_connections_per_ip: 100,
                max_pending_incoming: 100,
            },
        );
        // The greedy member's first connection (reserved) and a second (per-peer limit 2).
        assert!(gate.check(greedy, None, "inbound").is_ok());
        established(&mut gate, greedy, 1);
        assert!(gate.check(greedy, None, "inbound").is_ok());
        established(&mut gate, greedy, 2);
        assert!(gate.check(greedy, None, "inbound").is_err());
        assert_eq!(metrics.snapshot().connections_refused_limit, 1);
        // Fill the global limit with a third peer's extra connections: another member's first
        // connection still gets its reserved slot.
        gate.established_connections = 3;
        assert!(gate.check(other, None, "inbound").is_ok());
        established(&mut gate, other, 3);
        // Its second connection is subject to the global limit.
        assert!(gate.check(other, None, "inbound").is_err());
    }

    #[test]
    fn extra_connections_cannot_take_slots_reserved_for_unconnected_members() {
        let local = PeerId::random();
        let greedy = PeerId::random();
        let late = PeerId::random();
        let later = PeerId::random();
        let metrics = Arc::new(MetricsCounters::default());
        let mut gate = MembershipGate::new(
            [local, greedy, late, later].into_iter().collect(),
            local,
            GateLimits {
                max_connections: 4,
                max_connections_per_peer: 4,
                max_connections_per_ip: 100,
                max_pending_incoming: 100,
            },
            Arc::clone(&metrics),
        );
        // Two slots are held back for `late` and `later` (never for this node itself), so of
        // four the greedy member gets two.
        assert!(gate.check(greedy, None, "inbound").is_ok());
        established(&mut gate, greedy, 1);
        assert!(gate.check(greedy, None, "inbound").is_ok());
        established(&mut gate, greedy, 2);
        let refused = gate
            .check(greedy, None, "inbound")
            .err()
            .and_then(|denied| denied.downcast_ref::<Refusal>().map(ToString::to_string))
            .unwrap_or_default();
        assert!(
            refused.contains("2 slots reserved"),
            "its third connection would take a reserved slot: {refused:?}"
        );
        assert_eq!(metrics.snapshot().connections_refused_limit, 1);
        // The members it would have crowded out still get in, and fill the limit exactly.
        assert!(gate.check(late, None, "inbound").is_ok());
        established(&mut gate, late, 3);
        assert!(
            gate.check(greedy, None, "inbound").is_err(),
            "one slot still reserved"
        );
        assert!(gate.check(later, None, "inbound").is_ok());
        established(&mut gate, later, 4);
        assert_eq!(gate.established_connections, 4);
        assert!(
            gate.check(late, None, "inbound").is_err(),
            "the limit is reached"
        );
    }

    #[test]
    fn pending_incoming_bounded_before_the_handshake() {
        let (mut gate, metrics) = gate_with(
            &[],
            GateLimits {
                max_connections: 100,
                max_connections_per_peer: 2,
                max_connections_per_ip: 100,
                max_pending_incoming: 2,
            },
        );
        let local = address();
        for id in 0..2 {
            assert!(
                gate.handle_pending_inbound_connection(
                    ConnectionId::new_unchecked(id),
                    &local,
                    &from_ip(&format!("10.0.0.{id}"))
                )
                .is_ok()
            );
        }
        assert!(
            gate.handle_pending_inbound_connection(
                ConnectionId::new_unchecked(2),
                &local,
                &from_ip("10.0.0.9")
            )
            .is_err()
        );
        assert_eq!(metrics.snapshot().connections_refused_limit, 1);
        // A stranger whose handshake ends is refused and frees its pending slot.
        let stranger = PeerId::random();
        assert!(
            gate.handle_established_inbound_connection(
                ConnectionId::new_unchecked(0),
                stranger,
                &local,
                &from_ip("10.0.0.0")
            )
            .is_err()
        );
        assert!(
            gate.handle_pending_inbound_connection(
                ConnectionId::new_unchecked(3),
                &local,
                &from_ip("10.0.0.9")
            )
            .is_ok()
        );
    }

    #[test]
    fn per_ip_limit_counts_pending_connections() {
        let (mut gate, _) = gate_with(
            &[],
            GateLimits {
                max_connections: 100,
                max_connections_per_peer: 2,
                max_connections_per_ip: 2,
                max_pending_incoming: 100,
            },
        );
        let local = address();
        let one = from_ip("192.0.2.1");
        for id in 0..2 {
            assert!(
                gate.handle_pending_inbound_connection(
                    ConnectionId::new_unchecked(id),
                    &local,
                    &one
                )
                .is_ok()
            );
        }
        assert!(
            gate.handle_pending_inbound_connection(ConnectionId::new_unchecked(2), &local, &one)
                .is_err()
        );
        // Another address is unaffected; a connection that ends frees its address's slot.
        assert!(
            gate.handle_pending_inbound_connection(
                ConnectionId::new_unchecked(3),
                &local,
                &from_ip("192.0.2.2")
            )
            .is_ok()
        );
        gate.forget_connection(ConnectionId::new_unchecked(0));
        assert!(
            gate.handle_pending_inbound_connection(ConnectionId::new_unchecked(4), &local, &one)
                .is_ok()
        );
    }

    fn address() -> Multiaddr {
        "/ip4/127.0.0.1/tcp/1".parse().unwrap()
    }

    #[test]
    fn members_pass_and_strangers_are_refused_and_counted() {
        let member = PeerId::random();
        let stranger = PeerId::random();
        let (mut gate, metrics) = gate(&[member], 8);
        let local = address();
        assert!(
            gate.handle_established_inbound_connection(
                ConnectionId::new_unchecked(1),
                member,
                &local,
                &local
            )
            .is_ok()
        );
        assert!(
            gate.handle_established_inbound_connection(
                ConnectionId::new_unchecked(2),
                stranger,
                &local,
                &local
            )
            .is_err()
        );
        assert!(
            gate.handle_pending_outbound_connection(
                ConnectionId::new_unchecked(3),
                Some(stranger),
                std::slice::from_ref(&local),
                Endpoint::Dialer,
            )
            .is_err()
        );
        assert_eq!(metrics.snapshot().connections_refused_non_member, 2);
    }

    #[test]
    fn bans_refuse_until_they_expire() {
        let member = PeerId::random();
        let (mut gate, metrics) = gate(&[member], 8);
        let now = Instant::now();
        gate.ban(member, now + Duration::from_secs(60));
        assert!(gate.check(member, None, "inbound").is_err());
        assert_eq!(metrics.snapshot().connections_refused_banned, 1);
        assert!(gate.is_banned(&member, now));
        assert!(!gate.is_banned(&member, now + Duration::from_secs(61)));
        gate.prune_expired_bans(now + Duration::from_secs(61));
        assert!(gate.check(member, None, "inbound").is_ok());
    }

    #[test]
    fn removing_a_member_refuses_it() {
        let member = PeerId::random();
        let (mut gate, metrics) = gate(&[member], 8);
        assert!(gate.check(member, None, "inbound").is_ok());
        gate.set_members(BTreeSet::new());
        assert!(gate.check(member, None, "inbound").is_err());
        assert_eq!(metrics.snapshot().connections_refused_non_member, 1);
    }

    #[test]
    fn connection_limit_is_enforced_at_the_limit() {
        let member = PeerId::random();
        let (mut gate, metrics) = gate(&[member], 1);
        assert!(gate.check(member, None, "inbound").is_ok());
        established(&mut gate, member, 1);
        assert!(gate.check(member, None, "inbound").is_err());
        assert_eq!(metrics.snapshot().connections_refused_limit, 1);
    }
}
