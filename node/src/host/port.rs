//! What the host needs from the network, as a trait: the libp2p network ([`NetworkHandle`]) in a
//! running node, a simulated network in the simulator (`yrd-tests`), so the simulator drives this
//! host — the same loop, ingress, sync serving and observer pull — and not a copy of it.
//!
//! Inbound traffic reaches the host as [`crate::network::NetworkEvent`]s on a channel either way.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use crate::network::{Channel, GossipTicket, GossipVerdict, NetworkError, NetworkHandle};

/// The host's outbound side of the network. Futures are `Send`: the host hands some of them to
/// spawned tasks (sync requests, gossip).
pub trait HostNetwork: Clone + Send + Sync + 'static {
    /// Whether members are reached through the network keys [`HostNetwork::set_members`] names
    /// (the libp2p transport, ADR 020). A transport that addresses members by member key (the
    /// simulator's fabric) says no, and is given every member, bound or not.
    fn uses_network_keys(&self) -> bool {
        true
    }

    /// A one-way message to one member (best effort).
    fn send(
        &self,
        to: [u8; 32],
        channel: Channel,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send;

    /// A request to one member and its answer, or an error after the request timeout.
    fn request(
        &self,
        to: [u8; 32],
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, NetworkError>> + Send;

    /// Gossips a transaction this node admitted.
    fn publish_transaction(
        &self,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send;

    /// The host's verdict on a gossiped transaction (forward, ignore, or reject and penalise).
    fn gossip_verdict(
        &self,
        ticket: GossipTicket,
        verdict: GossipVerdict,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send;

    /// A member sent something invalid: one penalty point.
    fn report_invalid(
        &self,
        from: [u8; 32],
        reason: &str,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send;

    /// Replaces the membership: members no longer listed are disconnected and refused.
    /// `network_keys` names the network key of each member whose network key is not its member
    /// key (ADR 020).
    fn set_members(
        &self,
        members: BTreeSet<[u8; 32]>,
        network_keys: BTreeMap<[u8; 32], [u8; 32]>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send;
}

impl HostNetwork for NetworkHandle {
    fn send(
        &self,
        to: [u8; 32],
        channel: Channel,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send {
        NetworkHandle::send(self, to, channel, bytes)
    }

    fn request(
        &self,
        to: [u8; 32],
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<Vec<u8>, NetworkError>> + Send {
        NetworkHandle::request(self, to, bytes)
    }

    fn publish_transaction(
        &self,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send {
        NetworkHandle::publish_transaction(self, bytes)
    }

    fn gossip_verdict(
        &self,
        ticket: GossipTicket,
        verdict: GossipVerdict,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send {
        NetworkHandle::gossip_verdict(self, ticket, verdict)
    }

    fn report_invalid(
        &self,
        from: [u8; 32],
        reason: &str,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send {
        NetworkHandle::report_invalid(self, from, reason)
    }

    fn set_members(
        &self,
        members: BTreeSet<[u8; 32]>,
        network_keys: BTreeMap<[u8; 32], [u8; 32]>,
    ) -> impl Future<Output = Result<(), NetworkError>> + Send {
        NetworkHandle::set_members(self, members, network_keys)
    }
}
