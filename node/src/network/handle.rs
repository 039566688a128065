//! What the host sees of the network: a cloneable handle for commands and a stream of events.
//!
//! Payloads are opaque bytes; the network never interprets them. Peers are named by their 32-byte
//! ed25519 public keys, the same keys the membership lists.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use libp2p::{Multiaddr, PeerId};
use tokio::sync::{mpsc, oneshot};

use super::codec::Channel;
use super::error::NetworkError;
use super::identity::PublicKeyBytes;
use super::metrics::{MetricsCounters, NetworkMetrics};

/// Longest reason kept from `report_invalid` (for logs).
const MAX_INVALID_REASON_CHARS: usize = 256;
/// Extra wait on top of the request timeout for the network task to report the outcome.
const REQUEST_REPLY_GRACE_MS: u64 = 1_000;

/// Something the network delivers to the host.
#[derive(Debug)]
pub enum NetworkEvent {
    /// A message of the transaction topic (the host reads a batch of transactions in it, see
    /// `host::tx_gossip`). Gossip is unsigned: what is known is the member that relayed it over
    /// its authenticated connection. Nothing is forwarded further until the host passes its
    /// verdict with [`NetworkHandle::gossip_verdict`], so members relay only messages they
    /// admitted, and `from` is the one to pass to `report_invalid` if the bytes are bad.
    Transaction {
        /// The member that relayed it to us.
        from: PublicKeyBytes,
        /// Opaque message bytes.
        bytes: Vec<u8>,
        /// Names this delivery in [`NetworkHandle::gossip_verdict`].
        ticket: GossipTicket,
    },
    /// A one-way direct message.
    Message {
        /// The sending member.
        from: PublicKeyBytes,
        /// The channel it was sent on.
        channel: Channel,
        /// Opaque payload.
        bytes: Vec<u8>,
    },
    /// A direct request; answer through `respond` before the request timeout. Dropping `respond`
    /// leaves the requester without an answer (it sees a failure).
    Request {
        /// The requesting member.
        from: PublicKeyBytes,
        /// Opaque payload.
        bytes: Vec<u8>,
        /// Where the answer goes.
        respond: oneshot::Sender<Vec<u8>>,
    },
    /// The first connection to a member opened.
    PeerConnected {
        /// The member's key.
        key: PublicKeyBytes,
        /// The remote address of that connection (a multiaddr), when the transport knows it.
        address: Option<String>,
    },
    /// The last connection to a member closed.
    PeerDisconnected {
        /// The member's key.
        key: PublicKeyBytes,
    },
}

/// Names one gossip delivery awaiting the host's verdict. A ticket without a verdict is
/// forgotten by gossipsub after a few heartbeats (the message is then neither forwarded nor
/// counted against anyone).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GossipTicket {
    pub(crate) message_id: libp2p::gossipsub::MessageId,
    pub(crate) source: PeerId,
}

impl GossipTicket {
    /// A ticket for a delivery that did not come through gossipsub (the simulator's network):
    /// `id` names the delivery and `relay` (a member's key) the member it came from. `None` if
    /// `relay` is not an ed25519 public key.
    pub fn detached(id: u64, relay: &PublicKeyBytes) -> Option<Self> {
        Some(Self {
            message_id: libp2p::gossipsub::MessageId::new(&id.to_be_bytes()),
            source: super::identity::peer_id_from_public_key(relay).ok()?,
        })
    }
}

/// The host's verdict on a gossiped transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipVerdict {
    /// Admitted: forward it to the other members.
    Accept,
    /// Not admitted but not the relay's fault (a duplicate, a full mempool, a nonce already
    /// used): drop it, no penalty.
    Ignore,
    /// Invalid (bad encoding, signature, chain): drop it; gossipsub scores the relay down. Call
    /// `report_invalid` as well for the node's own penalty.
    Reject,
}

/// A connected member as seen by this node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// The member's key.
    pub public_key: PublicKeyBytes,
    /// Its libp2p identity (derived from the key).
    pub peer_id: PeerId,
    /// Remote address of its first open connection.
    pub address: Multiaddr,
    /// When that connection opened (Unix time, milliseconds).
    pub connected_since_unix_ms: u64,
    /// Messages accepted from it (gossip and direct).
    pub messages_in: u64,
    /// Direct messages and requests sent to it.
    pub messages_out: u64,
    /// Zero for a clean record; minus one per penalty point since its last ban.
    pub score: i64,
    /// Whether it subscribed to the transaction gossip topic.
    pub subscribed_to_transactions: bool,
}

/// Where the node listens and who it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListenInfo {
    /// This node's libp2p identity.
    pub peer_id: PeerId,
    /// This node's public key.
    pub public_key: PublicKeyBytes,
    /// The bound listen addresses (with the real port when the configured port was 0).
    pub listen_addresses: Vec<Multiaddr>,
}

/// Commands from handles to the network task.
pub(crate) enum Command {
    Publish {
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<(), NetworkError>>,
    },
    Send {
        to: PublicKeyBytes,
        channel: Channel,
        bytes: Vec<u8>,
    },
    Broadcast {
        channel: Channel,
        bytes: Vec<u8>,
    },
    Request {
        to: PublicKeyBytes,
        bytes: Vec<u8>,
        reply: oneshot::Sender<Result<Vec<u8>, NetworkError>>,
    },
    ReportInvalid {
        from: PublicKeyBytes,
        reason: String,
        /// The message proves the member faulty: ban at once rather than add a point.
        proven: bool,
    },
    GossipVerdict {
        ticket: GossipTicket,
        verdict: GossipVerdict,
    },
    SetMembers {
        members: BTreeSet<PublicKeyBytes>,
        network_keys: BTreeMap<PublicKeyBytes, PublicKeyBytes>,
    },
    Peers {
        reply: oneshot::Sender<Vec<PeerInfo>>,
    },
    Shutdown {
        done: oneshot::Sender<()>,
    },
}

/// A cloneable handle to the running network. Commands wait for room in a bounded queue, so a
/// busy network slows its callers down instead of growing memory.
#[derive(Clone, Debug)]
pub struct NetworkHandle {
    commands: mpsc::Sender<Command>,
    metrics: Arc<MetricsCounters>,
    local_public_key: PublicKeyBytes,
    local_peer_id: PeerId,
    max_message_bytes: usize,
    max_gossip_bytes: usize,
    request_timeout_ms: u64,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Publish { .. } => "Publish",
            Self::Send { .. } => "Send",
            Self::Broadcast { .. } => "Broadcast",
            Self::Request { .. } => "Request",
            Self::ReportInvalid { .. } => "ReportInvalid",
            Self::GossipVerdict { .. } => "GossipVerdict",
            Self::SetMembers { .. } => "SetMembers",
            Self::Peers { .. } => "Peers",
            Self::Shutdown { .. } => "Shutdown",
        };
        f.write_str(name)
    }
}

/// Limits the handle checks before queueing a command.
pub(crate) struct HandleLimits {
    pub(crate) max_message_bytes: usize,
    pub(crate) max_gossip_bytes: usize,
    pub(crate) request_timeout_ms: u64,
}

impl NetworkHandle {
    pub(crate) fn new(
        commands: mpsc::Sender<Command>,
        metrics: Arc<MetricsCounters>,
        local_public_key: PublicKeyBytes,
        local_peer_id: PeerId,
        limits: HandleLimits,
    ) -> Self {
        Self {
            commands,
            metrics,
            local_public_key,
            local_peer_id,
            max_message_bytes: limits.max_message_bytes,
            max_gossip_bytes: limits.max_gossip_bytes,
            request_timeout_ms: limits.request_timeout_ms,
        }
    }

    /// This node's public key.
    pub fn local_public_key(&self) -> PublicKeyBytes {
        self.local_public_key
    }

    /// This node's libp2p identity.
    pub fn local_peer_id(&self) -> PeerId {
        self.local_peer_id
    }

    /// The largest gossip message this node sends or accepts (`max_gossip_bytes`).
    pub fn max_gossip_bytes(&self) -> usize {
        self.max_gossip_bytes
    }

    /// Gossips a message of the transaction topic (a batch of transactions, see
    /// `host::tx_gossip`) to all members. Fails if it is larger than `max_gossip_bytes` or
    /// gossipsub cannot publish (no subscribed member yet, or the same bytes were already
    /// published recently).
    pub async fn publish_transaction(&self, bytes: Vec<u8>) -> Result<(), NetworkError> {
        check_size(bytes.len(), self.max_gossip_bytes)?;
        let (reply, answer) = oneshot::channel();
        self.submit(Command::Publish { bytes, reply }).await?;
        answer.await.map_err(|_| NetworkError::ShutDown)?
    }

    /// Passes the host's verdict on a gossiped transaction: forward it, drop it, or drop it and
    /// score the relay down.
    pub async fn gossip_verdict(
        &self,
        ticket: GossipTicket,
        verdict: GossipVerdict,
    ) -> Result<(), NetworkError> {
        self.submit(Command::GossipVerdict { ticket, verdict })
            .await
    }

    /// Sends a one-way message to one member. Delivery is best effort: a member that is not
    /// connected or a failure in transit is counted in `send_failures`, not reported here.
    pub async fn send(
        &self,
        to: PublicKeyBytes,
        channel: Channel,
        bytes: Vec<u8>,
    ) -> Result<(), NetworkError> {
        check_size(bytes.len(), self.max_message_bytes)?;
        self.submit(Command::Send { to, channel, bytes }).await
    }

    /// Sends a one-way message to every connected member.
    pub async fn broadcast(&self, channel: Channel, bytes: Vec<u8>) -> Result<(), NetworkError> {
        check_size(bytes.len(), self.max_message_bytes)?;
        self.submit(Command::Broadcast { channel, bytes }).await
    }

    /// Sends a request to one member and waits for its answer (block-sync style).
    pub async fn request(
        &self,
        to: PublicKeyBytes,
        bytes: Vec<u8>,
    ) -> Result<Vec<u8>, NetworkError> {
        check_size(bytes.len(), self.max_message_bytes)?;
        let (reply, answer) = oneshot::channel();
        self.submit(Command::Request { to, bytes, reply }).await?;
        let waited_ms = self
            .request_timeout_ms
            .saturating_add(REQUEST_REPLY_GRACE_MS);
        match tokio::time::timeout(Duration::from_millis(waited_ms), answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(NetworkError::ShutDown),
            Err(_) => Err(NetworkError::RequestTimeout {
                key_hex: hex::encode(to),
                waited_ms,
            }),
        }
    }

    /// Reports that a member sent something invalid. One penalty point; at the configured
    /// threshold the member is disconnected and banned for `ban_duration_ms`.
    pub async fn report_invalid(
        &self,
        from: PublicKeyBytes,
        reason: &str,
    ) -> Result<(), NetworkError> {
        self.report(from, reason, false).await
    }

    /// Bans a member at once for `ban_duration_ms` (disconnected and refused): for answers that
    /// prove it faulty, such as a state-sync chunk that fails its range proof against a
    /// certified root, where one is evidence enough (unlike a garbled message, which costs a
    /// penalty point).
    pub async fn ban_proven_faulty(
        &self,
        from: PublicKeyBytes,
        reason: &str,
    ) -> Result<(), NetworkError> {
        self.report(from, reason, true).await
    }

    async fn report(
        &self,
        from: PublicKeyBytes,
        reason: &str,
        proven: bool,
    ) -> Result<(), NetworkError> {
        let reason = reason.chars().take(MAX_INVALID_REASON_CHARS).collect();
        self.submit(Command::ReportInvalid {
            from,
            reason,
            proven,
        })
        .await
    }

    /// Replaces the membership (at an epoch change): members no longer listed are disconnected
    /// and refused from now on.
    /// `network_keys` names the network key of each member whose network key is not its member
    /// key (ADR 020).
    pub async fn set_members(
        &self,
        members: BTreeSet<PublicKeyBytes>,
        network_keys: BTreeMap<PublicKeyBytes, PublicKeyBytes>,
    ) -> Result<(), NetworkError> {
        self.submit(Command::SetMembers {
            members,
            network_keys,
        })
        .await
    }

    /// The connected members.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, NetworkError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Command::Peers { reply }).await?;
        answer.await.map_err(|_| NetworkError::ShutDown)
    }

    /// The counters.
    pub fn metrics(&self) -> NetworkMetrics {
        self.metrics.snapshot()
    }

    /// Stops the network task and waits until its sockets are closed. Calling it again, or
    /// after the task stopped, returns at once.
    pub async fn shutdown(&self) {
        let (done, finished) = oneshot::channel();
        if self.commands.send(Command::Shutdown { done }).await.is_ok() {
            // An error means the task ended without acknowledging: it is gone either way.
            let _ = finished.await;
        }
    }

    async fn submit(&self, command: Command) -> Result<(), NetworkError> {
        self.commands
            .send(command)
            .await
            .map_err(|_| NetworkError::ShutDown)
    }
}

fn check_size(size_bytes: usize, limit_bytes: usize) -> Result<(), NetworkError> {
    if size_bytes > limit_bytes {
        return Err(NetworkError::MessageTooLarge {
            size_bytes,
            limit_bytes,
        });
    }
    Ok(())
}
