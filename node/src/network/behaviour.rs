//! The composed libp2p behaviour and the swarm around it (TCP + Noise + Yamux on tokio).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use libp2p::identity::Keypair;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    PeerId, Swarm, SwarmBuilder, gossipsub, identify, noise, ping, request_response, tcp, yamux,
};

use super::codec::{DIRECT_PROTOCOL, DirectCodec};
use super::config::NetworkConfig;
use super::error::NetworkError;
use super::gate::{GateLimits, MembershipGate};
use super::metrics::MetricsCounters;

/// Gossip topic carrying transactions, in batches (`host::tx_gossip`; version 1 carried one
/// transaction per message, and nodes of the two versions do not exchange transaction gossip).
pub(crate) const TRANSACTION_TOPIC: &str = "/yrd/transactions/2";
/// Domain tag of a gossip message id: `BLAKE3(GOSSIP_MESSAGE_ID_TAG || data)`. Identical
/// transactions share an id, so gossipsub delivers and forwards each one once.
pub(crate) const GOSSIP_MESSAGE_ID_TAG: &[u8] = b"yrd-network/v1/gossip-message-id";
/// Room for the gossipsub envelope (topic and framing; messages are unsigned) on top of the
/// payload limit.
const GOSSIP_ENVELOPE_OVERHEAD_BYTES: usize = 1_024;
/// Protocol version announced by identify; peers with another version are still gated by key.
const IDENTIFY_PROTOCOL_VERSION: &str = "/yrd/1";
/// Interval between liveness pings on each connection.
const PING_INTERVAL_MS: u64 = 5_000;
/// How long a connection with no protocol wanting it stays open. Member connections are meant
/// to be permanent; this only bounds connections every protocol has let go of.
const IDLE_CONNECTION_TIMEOUT_MS: u64 = 60 * 60 * 1_000;

/// All protocols of a node. The gate comes first: it vetoes a connection before any other
/// protocol sees it.
#[derive(NetworkBehaviour)]
pub(crate) struct NodeBehaviour {
    pub(crate) gate: MembershipGate,
    pub(crate) gossipsub: gossipsub::Behaviour,
    pub(crate) direct: request_response::Behaviour<DirectCodec>,
    pub(crate) identify: identify::Behaviour,
    pub(crate) ping: ping::Behaviour,
}

/// The gossip message id of a payload.
pub(crate) fn gossip_message_id(data: &[u8]) -> gossipsub::MessageId {
    let mut hasher = blake3::Hasher::new();
    hasher.update(GOSSIP_MESSAGE_ID_TAG);
    hasher.update(data);
    gossipsub::MessageId::from(hasher.finalize().as_bytes().to_vec())
}

fn build_behaviour(
    config: &NetworkConfig,
    keypair: &Keypair,
    members: BTreeSet<PeerId>,
    metrics: Arc<MetricsCounters>,
) -> Result<NodeBehaviour, NetworkError> {
    // Messages are unsigned (`Anonymous`): every connection is already a Noise channel to a
    // member admitted by the gate, so the relaying member is known, and a transaction carries its
    // own signature. A gossipsub signature per message and per hop cost more than the
    // transaction's own check (see docs/adr/006). `validate_messages`: nothing is forwarded until
    // the host has admitted the transaction, so a member only ever relays valid transactions and
    // the relay is the one to blame for a bad one.
    let gossip_config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(Duration::from_millis(config.gossip_heartbeat_interval_ms))
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|message: &gossipsub::Message| gossip_message_id(&message.data))
        .max_transmit_size(
            config
                .max_gossip_bytes
                .saturating_add(GOSSIP_ENVELOPE_OVERHEAD_BYTES),
        )
        .build()
        .map_err(|err| NetworkError::Transport(format!("gossipsub config: {err}")))?;
    let mut gossipsub =
        gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, gossip_config)
            .map_err(|err| NetworkError::Transport(format!("gossipsub: {err}")))?;
    gossipsub
        .subscribe(&gossipsub::IdentTopic::new(TRANSACTION_TOPIC))
        .map_err(|err| NetworkError::Transport(format!("gossipsub subscribe: {err}")))?;

    let direct = request_response::Behaviour::with_codec(
        DirectCodec::new(config.max_message_bytes),
        [(DIRECT_PROTOCOL, request_response::ProtocolSupport::Full)],
        request_response::Config::default()
            .with_request_timeout(Duration::from_millis(config.request_timeout_ms))
            .with_max_concurrent_streams(config.max_concurrent_streams_per_connection),
    );
    let identify = identify::Behaviour::new(identify::Config::new(
        IDENTIFY_PROTOCOL_VERSION.to_owned(),
        keypair.public(),
    ));
    let ping = ping::Behaviour::new(
        ping::Config::new().with_interval(Duration::from_millis(PING_INTERVAL_MS)),
    );
    Ok(NodeBehaviour {
        gate: MembershipGate::new(
            members,
            keypair.public().to_peer_id(),
            GateLimits {
                max_connections: config.max_connections,
                max_connections_per_peer: config.max_connections_per_peer,
                max_connections_per_ip: config.max_connections_per_ip,
                max_pending_incoming: config.max_pending_incoming,
            },
            metrics,
        ),
        gossipsub,
        direct,
        identify,
        ping,
    })
}

/// Builds the swarm; nothing listens or dials yet.
pub(crate) fn build_swarm(
    config: &NetworkConfig,
    keypair: Keypair,
    members: BTreeSet<PeerId>,
    metrics: Arc<MetricsCounters>,
) -> Result<Swarm<NodeBehaviour>, NetworkError> {
    let behaviour = build_behaviour(config, &keypair, members, metrics)?;
    let swarm = SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|err| NetworkError::Transport(format!("noise: {err}")))?
        // `/dns4/…` and `/dns6/…` bootstrap addresses resolve through the system's resolver
        // configuration; who may connect is still decided by the key, not the name.
        .with_dns()
        .map_err(|err| NetworkError::Transport(format!("dns: {err}")))?
        .with_behaviour(|_| behaviour)
        .map_err(|err| NetworkError::Transport(format!("behaviour: {err}")))?
        .with_swarm_config(|swarm_config| {
            swarm_config
                .with_idle_connection_timeout(Duration::from_millis(IDLE_CONNECTION_TIMEOUT_MS))
        })
        .build();
    Ok(swarm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gossip_message_id_is_a_tagged_blake3_of_the_data() {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"yrd-network/v1/gossip-message-id");
        hasher.update(b"tx");
        assert_eq!(
            gossip_message_id(b"tx"),
            gossipsub::MessageId::from(hasher.finalize().as_bytes().to_vec())
        );
        assert_eq!(gossip_message_id(b"tx"), gossip_message_id(b"tx"));
        assert_ne!(gossip_message_id(b"tx"), gossip_message_id(b"ty"));
    }
}
