//! The network task: owns the swarm, executes commands from handles, turns swarm events into
//! host events, and keeps members connected.
//!
//! The task never blocks on the host: events go out with `try_send` and are dropped and counted
//! when the host's channel is full. Everything it keeps per peer or per request is bounded by the
//! membership size or by a configured limit.

mod inbound;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::FuturesUnordered;
use libp2p::request_response::{OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::{PeerId, Swarm, gossipsub, identify, ping};
use tokio::sync::{mpsc, oneshot};
use tokio::time::MissedTickBehavior;

use super::behaviour::{NodeBehaviour, NodeBehaviourEvent, TRANSACTION_TOPIC};
use super::codec::{DirectRequest, DirectResponse};
use super::config::{BootstrapPeer, NetworkConfig};
use super::dialer::{MAX_ADDRESSES_PER_PEER, Redialer};
use super::error::NetworkError;
use super::handle::{Command, GossipVerdict, NetworkEvent};
use super::identity::{PublicKeyBytes, peer_id_from_public_key};
use super::metrics::{MetricsCounters, increment};
use super::peers::{PeerBook, PenaltyOutcome};

/// How often bans are expired and due re-dials are started.
const MAINTENANCE_INTERVAL_MS: u64 = 50;

/// What an outbound direct request is waiting for.
enum PendingOutbound {
    /// A one-way message: the answer is only an acknowledgement.
    Message { to: PublicKeyBytes },
    /// A request whose answer goes back to the caller.
    Request {
        to: PublicKeyBytes,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    },
}

/// The host's answer (or lack of one) to an inbound request.
struct InboundAnswer {
    peer: PeerId,
    channel: ResponseChannel<DirectResponse>,
    answer: Option<Vec<u8>>,
}

/// Limits and durations the task applies, copied from the configuration.
struct DriverLimits {
    max_message_bytes: usize,
    max_gossip_bytes: usize,
    max_pending_outbound_requests: usize,
    max_pending_inbound_requests: usize,
    request_timeout: Duration,
    ban_duration: Duration,
}

/// The network task's state.
pub(crate) struct Driver {
    swarm: Swarm<NodeBehaviour>,
    commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<NetworkEvent>,
    metrics: Arc<MetricsCounters>,
    local_peer_id: PeerId,
    /// Member `PeerId` → public key.
    members: BTreeMap<PeerId, PublicKeyBytes>,
    /// Member public key → `PeerId`.
    member_peer_ids: BTreeMap<PublicKeyBytes, PeerId>,
    bootstrap: Vec<BootstrapPeer>,
    transaction_topic: gossipsub::TopicHash,
    peers: PeerBook,
    redialer: Redialer,
    pending_outbound: HashMap<OutboundRequestId, PendingOutbound>,
    pending_inbound: FuturesUnordered<BoxFuture<'static, InboundAnswer>>,
    limits: DriverLimits,
}

/// Maps member keys to the peer ids of their network keys (`network_keys`, else the member key
/// itself), rejecting network keys that are not ed25519 points.
pub(crate) fn member_map(
    keys: impl IntoIterator<Item = PublicKeyBytes>,
    network_keys: &BTreeMap<PublicKeyBytes, PublicKeyBytes>,
) -> Result<BTreeMap<PeerId, PublicKeyBytes>, NetworkError> {
    keys.into_iter()
        .map(|key| {
            let network_key = network_keys.get(&key).unwrap_or(&key);
            Ok((peer_id_from_public_key(network_key)?, key))
        })
        .collect()
}

impl Driver {
    pub(crate) fn new(
        swarm: Swarm<NodeBehaviour>,
        config: &NetworkConfig,
        members: BTreeMap<PeerId, PublicKeyBytes>,
        commands: mpsc::Receiver<Command>,
        events: mpsc::Sender<NetworkEvent>,
        metrics: Arc<MetricsCounters>,
    ) -> Self {
        let local_peer_id = *swarm.local_peer_id();
        let mut driver = Self {
            swarm,
            commands,
            events,
            metrics,
            local_peer_id,
            member_peer_ids: members.iter().map(|(peer, key)| (*key, *peer)).collect(),
            members,
            bootstrap: config.bootstrap.clone(),
            transaction_topic: gossipsub::IdentTopic::new(TRANSACTION_TOPIC).hash(),
            peers: PeerBook::new(
                config.rate_limit_messages_per_sec,
                config.rate_limit_burst_messages,
                config.invalid_message_score_threshold,
            ),
            redialer: Redialer::new(
                Duration::from_millis(config.reconnect_backoff_min_ms),
                Duration::from_millis(config.reconnect_backoff_max_ms),
            ),
            pending_outbound: HashMap::new(),
            pending_inbound: FuturesUnordered::new(),
            limits: DriverLimits {
                max_message_bytes: config.max_message_bytes,
                max_gossip_bytes: config.max_gossip_bytes,
                max_pending_outbound_requests: config.max_pending_outbound_requests,
                max_pending_inbound_requests: config.max_pending_inbound_requests,
                request_timeout: Duration::from_millis(config.request_timeout_ms),
                ban_duration: Duration::from_millis(config.ban_duration_ms),
            },
        };
        driver.schedule_bootstrap(Instant::now());
        driver
    }

    /// Runs until a shutdown command or until every handle is dropped; `early_events` are swarm
    /// events that arrived while start-up waited for the listener.
    pub(crate) async fn run(mut self, early_events: Vec<SwarmEvent<NodeBehaviourEvent>>) {
        for event in early_events {
            self.on_swarm_event(event);
        }
        let mut maintenance = tokio::time::interval(Duration::from_millis(MAINTENANCE_INTERVAL_MS));
        maintenance.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let done = loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    None => break None,
                    Some(Command::Shutdown { done }) => break Some(done),
                    Some(command) => self.on_command(command),
                },
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                Some(answer) = self.pending_inbound.next(), if !self.pending_inbound.is_empty() => {
                    self.on_inbound_answer(answer);
                }
                _ = maintenance.tick() => self.on_maintenance(),
            }
        };
        tracing::info!(peer = %self.local_peer_id, "network task stopping");
        // Dropping the swarm closes the listener and every connection; only then is the
        // shutdown acknowledged, so a restart can bind the same port.
        drop(self);
        if let Some(done) = done {
            let _ = done.send(());
        }
    }

    // ---------------------------------------------------------------- membership and dialing

    fn schedule_bootstrap(&mut self, now: Instant) {
        for entry in &self.bootstrap {
            let Some(peer) = self.member_peer_ids.get(&entry.public_key).copied() else {
                tracing::warn!(
                    key = %hex::encode(entry.public_key),
                    addr = %entry.address,
                    reason = "not a member",
                    "bootstrap peer skipped"
                );
                continue;
            };
            if peer == self.local_peer_id {
                continue;
            }
            self.redialer
                .add_addresses(peer, [entry.address.clone()], now);
        }
    }

    fn set_members(
        &mut self,
        keys: std::collections::BTreeSet<PublicKeyBytes>,
        network_keys: &BTreeMap<PublicKeyBytes, PublicKeyBytes>,
    ) {
        let mut members = BTreeMap::new();
        for key in keys {
            let network_key = network_keys.get(&key).unwrap_or(&key);
            match peer_id_from_public_key(network_key) {
                Ok(peer) => {
                    if let Some(other) = members.insert(peer, key) {
                        // Two members claiming one network key: neither is reachable by it.
                        tracing::warn!(
                            key = %hex::encode(key),
                            other = %hex::encode(other),
                            "two members share a network key; both skipped"
                        );
                        members.remove(&peer);
                    }
                }
                Err(err) => {
                    tracing::warn!(key = %hex::encode(key), error = %err, "member key skipped")
                }
            }
        }
        self.swarm
            .behaviour_mut()
            .gate
            .set_members(members.keys().copied().collect());
        for peer in self.peers.connected_peers() {
            if !members.contains_key(&peer) {
                tracing::info!(%peer, reason = "no longer a member", "disconnecting peer");
                let _ = self.swarm.disconnect_peer_id(peer);
            }
        }
        self.peers.retain_records(|peer| members.contains_key(peer));
        self.redialer.retain(|peer| members.contains_key(peer));
        self.member_peer_ids = members.iter().map(|(peer, key)| (*key, *peer)).collect();
        self.members = members;
        tracing::info!(members = self.members.len(), "membership updated");
        self.schedule_bootstrap(Instant::now());
    }

    fn on_maintenance(&mut self) {
        let now = Instant::now();
        self.swarm.behaviour_mut().gate.prune_expired_bans(now);
        let gate = &self.swarm.behaviour().gate;
        let due = self
            .redialer
            .take_due(now, |peer| gate.is_banned(peer, now));
        for (peer, addresses) in due {
            increment(&self.metrics.dial_attempts);
            let options = DialOpts::peer_id(peer)
                .addresses(addresses)
                .condition(PeerCondition::DisconnectedAndNotDialing)
                .allocate_new_port()
                .build();
            if let Err(err) = self.swarm.dial(options) {
                if self.swarm.is_connected(&peer) {
                    self.redialer.on_connected(&peer, now);
                } else {
                    increment(&self.metrics.dial_failures);
                    tracing::debug!(%peer, error = %err, "dial not started");
                    self.redialer.on_dial_failed(&peer, now);
                }
            }
        }
    }

    // ---------------------------------------------------------------- penalties

    fn penalize(&mut self, peer: PeerId, reason: &str) {
        match self.peers.penalize(peer) {
            PenaltyOutcome::Recorded { penalty_points } => {
                tracing::info!(%peer, reason, penalty_points, "peer penalized");
            }
            PenaltyOutcome::ThresholdReached => self.ban(peer, reason),
        }
    }

    /// Disconnect `peer` and refuse it for `ban_duration`.
    fn ban(&mut self, peer: PeerId, reason: &str) {
        increment(&self.metrics.bans);
        let until = Instant::now() + self.limits.ban_duration;
        self.swarm.behaviour_mut().gate.ban(peer, until);
        let _ = self.swarm.disconnect_peer_id(peer);
        tracing::warn!(
            %peer,
            reason,
            ban_ms = self.limits.ban_duration.as_millis() as u64,
            "peer banned and disconnected"
        );
    }

    // ---------------------------------------------------------------- commands

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish { bytes, reply } => {
                let topic = self.transaction_topic.clone();
                let result = match self.swarm.behaviour_mut().gossipsub.publish(topic, bytes) {
                    Ok(_) => {
                        increment(&self.metrics.messages_out);
                        Ok(())
                    }
                    Err(err) => Err(NetworkError::Publish(err.to_string())),
                };
                let _ = reply.send(result);
            }
            Command::Send { to, channel, bytes } => {
                let request = DirectRequest::Message {
                    channel,
                    payload: bytes,
                };
                if let Err((err, _)) =
                    self.send_direct(to, request, PendingOutbound::Message { to })
                {
                    tracing::debug!(key = %hex::encode(to), error = %err, "direct message not sent");
                }
            }
            Command::Broadcast { channel, bytes } => {
                for peer in self.peers.connected_peers() {
                    let Some(to) = self.members.get(&peer).copied() else {
                        continue;
                    };
                    let request = DirectRequest::Message {
                        channel,
                        payload: bytes.clone(),
                    };
                    if let Err((err, _)) =
                        self.send_direct(to, request, PendingOutbound::Message { to })
                    {
                        tracing::debug!(%peer, error = %err, "broadcast message not sent");
                    }
                }
            }
            Command::Request { to, bytes, reply } => {
                let request = DirectRequest::Request { payload: bytes };
                let pending = PendingOutbound::Request { to, reply };
                if let Err((err, PendingOutbound::Request { reply, .. })) =
                    self.send_direct(to, request, pending)
                {
                    let _ = reply.send(Err(err));
                }
            }
            Command::ReportInvalid {
                from,
                reason,
                proven,
            } => {
                increment(&self.metrics.invalid_messages_reported);
                match self.member_peer_ids.get(&from).copied() {
                    Some(peer) if proven => self.ban(peer, &reason),
                    Some(peer) => self.penalize(peer, &reason),
                    None => tracing::debug!(
                        key = %hex::encode(from),
                        reason,
                        "invalid message reported for a non-member"
                    ),
                }
            }
            Command::GossipVerdict { ticket, verdict } => {
                let acceptance = match verdict {
                    GossipVerdict::Accept => gossipsub::MessageAcceptance::Accept,
                    GossipVerdict::Ignore => gossipsub::MessageAcceptance::Ignore,
                    GossipVerdict::Reject => gossipsub::MessageAcceptance::Reject,
                };
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .gossipsub
                    .report_message_validation_result(
                        &ticket.message_id,
                        &ticket.source,
                        acceptance,
                    );
            }
            Command::SetMembers {
                members,
                network_keys,
            } => self.set_members(members, &network_keys),
            Command::Peers { reply } => {
                let _ = reply.send(self.peers.peer_infos());
            }
            // Handled by the loop before dispatch.
            Command::Shutdown { done } => {
                let _ = done.send(());
            }
        }
    }

    /// Queues a direct request to a connected member and remembers what waits for its answer.
    /// On failure the caller gets the error back together with its `pending` entry.
    fn send_direct(
        &mut self,
        to: PublicKeyBytes,
        request: DirectRequest,
        pending: PendingOutbound,
    ) -> Result<(), (NetworkError, PendingOutbound)> {
        let key_hex = || hex::encode(to);
        let failure = match self.member_peer_ids.get(&to).copied() {
            None => NetworkError::NotMember { key_hex: key_hex() },
            Some(peer) if !self.peers.is_connected(&peer) => {
                NetworkError::NotConnected { key_hex: key_hex() }
            }
            Some(_) if self.pending_outbound.len() >= self.limits.max_pending_outbound_requests => {
                NetworkError::TooManyPendingRequests {
                    limit: self.limits.max_pending_outbound_requests,
                }
            }
            Some(peer) => {
                let request_id = self
                    .swarm
                    .behaviour_mut()
                    .direct
                    .send_request(&peer, Ok(request));
                self.pending_outbound.insert(request_id, pending);
                self.peers.record_outbound(&peer);
                increment(&self.metrics.messages_out);
                return Ok(());
            }
        };
        increment(&self.metrics.send_failures);
        Err((failure, pending))
    }

    // ---------------------------------------------------------------- swarm events

    fn on_swarm_event(&mut self, event: SwarmEvent<NodeBehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(NodeBehaviourEvent::Gossipsub(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(NodeBehaviourEvent::Direct(event)) => self.on_direct(event),
            SwarmEvent::Behaviour(NodeBehaviourEvent::Identify(event)) => self.on_identify(event),
            SwarmEvent::Behaviour(NodeBehaviourEvent::Ping(event)) => self.on_ping(event),
            SwarmEvent::Behaviour(NodeBehaviourEvent::Gate(never)) => match never {},
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                num_established,
                ..
            } => {
                let address = endpoint.get_remote_address().clone();
                let Some(key) = self.members.get(&peer_id).copied() else {
                    // Only possible if the membership changed while the connection was set up.
                    tracing::warn!(peer = %peer_id, addr = %address, reason = "not a member", "closing connection");
                    self.swarm.close_connection(connection_id);
                    return;
                };
                let now = Instant::now();
                self.redialer.on_connected(&peer_id, now);
                tracing::debug!(peer = %peer_id, addr = %address, connections = num_established.get(), "connection established");
                if num_established.get() == 1 {
                    tracing::info!(peer = %peer_id, addr = %address, "peer connected");
                    self.peers
                        .on_connected(peer_id, key, address.clone(), crate::clock::unix_ms());
                    let _ = self.emit(NetworkEvent::PeerConnected {
                        key,
                        address: Some(address.to_string()),
                    });
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                endpoint,
                num_established,
                cause,
                ..
            } => {
                let address = endpoint.get_remote_address();
                let reason = cause.map(|cause| cause.to_string()).unwrap_or_default();
                tracing::debug!(peer = %peer_id, addr = %address, reason, "connection closed");
                if num_established == 0 {
                    self.redialer.on_disconnected(&peer_id, Instant::now());
                    if let Some(key) = self.peers.on_disconnected(&peer_id) {
                        tracing::info!(peer = %peer_id, addr = %address, "peer disconnected");
                        let _ = self.emit(NetworkEvent::PeerDisconnected { key });
                    }
                }
            }
            SwarmEvent::OutgoingConnectionError {
                peer_id: Some(peer),
                error,
                ..
            } => {
                increment(&self.metrics.dial_failures);
                self.redialer.on_dial_failed(&peer, Instant::now());
                tracing::debug!(%peer, error = %error, "dial failed");
            }
            SwarmEvent::IncomingConnectionError {
                send_back_addr,
                error,
                peer_id,
                ..
            } => {
                let peer = peer_id.map(|peer| peer.to_string()).unwrap_or_default();
                tracing::debug!(peer, addr = %send_back_addr, error = %error, "incoming connection failed");
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(addr = %address, "listening");
            }
            SwarmEvent::ListenerClosed {
                addresses, reason, ..
            } => {
                tracing::warn!(addrs = ?addresses, reason = ?reason, "listener closed");
            }
            SwarmEvent::ListenerError { error, .. } => {
                tracing::warn!(error = %error, "listener error");
            }
            _ => {}
        }
    }

    fn on_identify(&mut self, event: identify::Event) {
        if let identify::Event::Received { peer_id, info, .. } = event {
            if !self.members.contains_key(&peer_id) {
                return;
            }
            let now = Instant::now();
            let addresses = info.listen_addrs.into_iter().take(MAX_ADDRESSES_PER_PEER);
            self.redialer.add_addresses(peer_id, addresses, now);
            if self.peers.is_connected(&peer_id) {
                self.redialer.on_connected(&peer_id, now);
            }
        }
    }

    fn on_ping(&mut self, event: ping::Event) {
        if let Err(failure) = event.result {
            tracing::info!(peer = %event.peer, error = %failure, "ping failed; closing connection");
            self.swarm.close_connection(event.connection);
        }
    }

    /// Hands an event to the host without ever waiting.
    /// Hands an event to the host; false if it was dropped (queue full or host gone).
    fn emit(&self, event: NetworkEvent) -> bool {
        match self.events.try_send(event) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                increment(&self.metrics.events_dropped_channel_full);
                tracing::warn!(reason = "event channel full", "event dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::debug!(reason = "event receiver dropped", "event dropped");
                false
            }
        }
    }
}
