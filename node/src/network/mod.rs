//! The permissioned peer-to-peer network of a node (libp2p on tokio).
//!
//! What it does: connects members over TCP with Noise authentication and Yamux multiplexing;
//! refuses, at connection time, every peer whose key is not in the membership (validators and
//! registered observers); spreads transactions with gossipsub; carries consensus messages,
//! requests and block sync over a direct request-response protocol; re-dials members with
//! exponential backoff; limits message sizes and per-peer message rates; scores down peers that
//! send invalid data and bans them for a while at a threshold.
//!
//! What it must never do: interpret payloads (they are opaque bytes for the consensus core and
//! the mempool), block on the host (events are dropped and counted when the host lags), grow a
//! queue or table without bound, or panic on anything a peer sends.
//!
//! The host talks to it through a [`NetworkHandle`] and a bounded stream of [`NetworkEvent`]s,
//! both returned by [`start`]. Peers are named by their 32-byte ed25519 public keys, the same
//! keys that sign consensus messages.

mod behaviour;
mod codec;
mod config;
mod dialer;
mod driver;
mod error;
mod gate;
mod handle;
mod identity;
mod metrics;
mod peers;
mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use libp2p::Swarm;
use libp2p::swarm::SwarmEvent;
use tokio::sync::mpsc;

#[cfg(feature = "fuzzing")]
pub use codec::check_frame_bytes;
pub use codec::{Channel, DIRECT_PROTOCOL};
pub use config::{
    BootstrapPeer, DEFAULT_MAX_GOSSIP_BYTES, DEFAULT_MAX_MESSAGE_BYTES, MAX_DURATION_MS_CEILING,
    MAX_GOSSIP_BYTES_CEILING, MAX_MESSAGE_BYTES_CEILING, NetworkConfig,
};
pub use error::NetworkError;
pub use handle::{GossipTicket, GossipVerdict, ListenInfo, NetworkEvent, NetworkHandle, PeerInfo};
pub use identity::{
    PublicKeyBytes, keypair_from_secret, peer_id_from_public_key, public_key_from_peer_id,
    public_key_from_secret,
};
pub use libp2p::{Multiaddr, PeerId};
pub use metrics::NetworkMetrics;

use behaviour::{NodeBehaviour, NodeBehaviourEvent, build_swarm};
use driver::{Driver, member_map};
use handle::HandleLimits;
use metrics::MetricsCounters;

/// How long start-up waits for the listener to report its bound address.
const LISTEN_STARTUP_TIMEOUT_MS: u64 = 5_000;

/// Starts the network on the current tokio runtime: listens, spawns the network task and begins
/// dialing the bootstrap members. Returns the handle, the event stream and the bound address.
pub async fn start(
    config: NetworkConfig,
) -> Result<(NetworkHandle, mpsc::Receiver<NetworkEvent>, ListenInfo), NetworkError> {
    config.validate()?;
    let keypair = keypair_from_secret(&config.secret_key)?;
    let network_public_key = public_key_from_secret(&config.secret_key)?;
    let local_public_key = config.member_key.unwrap_or(network_public_key);
    let local_peer_id = keypair.public().to_peer_id();
    let members = member_map(config.members.iter().copied(), &config.network_keys)?;
    let metrics = Arc::new(MetricsCounters::default());

    let mut swarm = build_swarm(
        &config,
        keypair,
        members.keys().copied().collect(),
        Arc::clone(&metrics),
    )?;
    swarm
        .listen_on(config.listen_address.clone())
        .map_err(|err| NetworkError::Listen {
            address: config.listen_address.clone(),
            reason: err.to_string(),
        })?;
    let (listen_addresses, early_events) = wait_for_listener(&mut swarm, &config).await?;
    tracing::info!(
        peer = %local_peer_id,
        key = %hex::encode(local_public_key),
        network_key = %hex::encode(network_public_key),
        addrs = ?listen_addresses,
        members = members.len(),
        "network started"
    );

    let (command_sender, command_receiver) = mpsc::channel(config.command_channel_capacity);
    let (event_sender, event_receiver) = mpsc::channel(config.event_channel_capacity);
    let handle = NetworkHandle::new(
        command_sender,
        Arc::clone(&metrics),
        local_public_key,
        local_peer_id,
        HandleLimits {
            max_message_bytes: config.max_message_bytes,
            max_gossip_bytes: config.max_gossip_bytes,
            request_timeout_ms: config.request_timeout_ms,
        },
    );
    let driver = Driver::new(
        swarm,
        &config,
        members,
        command_receiver,
        event_sender,
        metrics,
    );
    tokio::spawn(driver.run(early_events));
    let listen_info = ListenInfo {
        peer_id: local_peer_id,
        public_key: local_public_key,
        listen_addresses,
    };
    Ok((handle, event_receiver, listen_info))
}

/// Polls the swarm until the listener reports its address; other events that arrive meanwhile
/// are kept for the network task.
async fn wait_for_listener(
    swarm: &mut Swarm<NodeBehaviour>,
    config: &NetworkConfig,
) -> Result<(Vec<libp2p::Multiaddr>, Vec<SwarmEvent<NodeBehaviourEvent>>), NetworkError> {
    let mut early_events = Vec::new();
    let wait = async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::NewListenAddr { address, .. } => return Ok(vec![address]),
                SwarmEvent::ListenerClosed { reason, .. } => {
                    return Err(NetworkError::Listen {
                        address: config.listen_address.clone(),
                        reason: format!("listener closed: {reason:?}"),
                    });
                }
                SwarmEvent::ListenerError { error, .. } => {
                    return Err(NetworkError::Listen {
                        address: config.listen_address.clone(),
                        reason: error.to_string(),
                    });
                }
                other => early_events.push(other),
            }
        }
    };
    match tokio::time::timeout(Duration::from_millis(LISTEN_STARTUP_TIMEOUT_MS), wait).await {
        Ok(Ok(addresses)) => Ok((addresses, early_events)),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(NetworkError::ListenTimeout {
            address: config.listen_address.clone(),
            waited_ms: LISTEN_STARTUP_TIMEOUT_MS,
        }),
    }
}
