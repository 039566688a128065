//! Connection gate: only members may connect, banned peers may not, and the total number of
//! connections is bounded.
//!
//! This behaviour sits first in the composed behaviour, so its verdict is taken when a connection
//! has been authenticated by Noise (the remote `PeerId` is proven) and before any protocol handler
//! runs: a refused peer never reaches gossipsub or the direct protocol. Outbound dials to known
//! non-members are refused before a socket is opened. Every refusal is counted and logged.

use std::collections::{BTreeMap, BTreeSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use libp2p::core::Endpoint;
use libp2p::core::transport::PortUse;
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
    /// The connection limit is reached.
    #[error("connection limit of {0} reached")]
    ConnectionLimit(usize),
}

/// The gate behaviour. The network task updates members and bans; the swarm asks for verdicts.
pub(crate) struct MembershipGate {
    members: BTreeSet<PeerId>,
    banned_until: BTreeMap<PeerId, Instant>,
    max_connections: usize,
    established_connections: usize,
    metrics: Arc<MetricsCounters>,
}

impl MembershipGate {
    pub(crate) fn new(
        members: BTreeSet<PeerId>,
        max_connections: usize,
        metrics: Arc<MetricsCounters>,
    ) -> Self {
        Self {
            members,
            banned_until: BTreeMap::new(),
            max_connections,
            established_connections: 0,
            metrics,
        }
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
        if self.established_connections >= self.max_connections {
            increment(&self.metrics.connections_refused_limit);
            tracing::warn!(
                %peer,
                addr = %address,
                direction,
                reason = "connection limit",
                limit = self.max_connections,
                "connection refused"
            );
            return Err(ConnectionDenied::new(Refusal::ConnectionLimit(
                self.max_connections,
            )));
        }
        Ok(())
    }
}

impl NetworkBehaviour for MembershipGate {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_established_inbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _local_addr: &Multiaddr,
        remote_addr: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.check(peer, Some(remote_addr), "inbound")?;
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
            FromSwarm::ConnectionEstablished(_) => {
                self.established_connections = self.established_connections.saturating_add(1);
            }
            FromSwarm::ConnectionClosed(_) => {
                self.established_connections = self.established_connections.saturating_sub(1);
            }
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
        let metrics = Arc::new(MetricsCounters::default());
        let gate = MembershipGate::new(
            members.iter().copied().collect(),
            max_connections,
            Arc::clone(&metrics),
        );
        (gate, metrics)
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
        gate.established_connections = 1;
        assert!(gate.check(member, None, "inbound").is_err());
        assert_eq!(metrics.snapshot().connections_refused_limit, 1);
    }
}
