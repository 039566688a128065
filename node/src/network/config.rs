//! Network configuration as it appears in the node's TOML file.
//!
//! Keys are lowercase hex, addresses are multiaddr strings. Every limit has a default suited to a
//! handful of province validators plus observers; `validate` rejects values that would make the
//! network misbehave (zero capacities, inverted backoff bounds, limits beyond the wire format).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use libp2p::Multiaddr;
use serde::{Deserialize, Serialize};

use super::error::NetworkError;
use super::identity::PublicKeyBytes;

/// Largest direct message the wire format is allowed to carry, whatever the configuration says.
pub const MAX_MESSAGE_BYTES_CEILING: usize = 64 * 1024 * 1024;
/// Largest gossip payload allowed, whatever the configuration says.
pub const MAX_GOSSIP_BYTES_CEILING: usize = 4 * 1024 * 1024;
/// Most connections any connection-count field may allow.
pub const MAX_CONNECTION_COUNT_CEILING: usize = 65_536;
/// Longest duration any `*_ms` field may hold (30 days), so deadlines never overflow a clock.
pub const MAX_DURATION_MS_CEILING: u64 = 30 * 24 * 60 * 60 * 1_000;
/// Default limit of a direct message (proposals and block-sync batches are the large ones): room
/// for a proposal whose payload fills the consensus default `max_payload_bytes` (4 MiB).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// Default limit of a gossiped transaction.
pub const DEFAULT_MAX_GOSSIP_BYTES: usize = 256 * 1024;

/// A member to dial at start-up and to re-dial whenever the connection drops.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BootstrapPeer {
    /// The member's ed25519 public key (hex).
    #[serde(with = "hex::serde")]
    pub public_key: PublicKeyBytes,
    /// Where it listens, e.g. `/ip4/10.0.0.2/tcp/7100`.
    #[serde(with = "multiaddr_string")]
    pub address: Multiaddr,
}

/// Everything the network layer needs to start. Construct with [`NetworkConfig::new`] and adjust
/// fields, or deserialize from TOML (fields other than `secret_key` and `listen_address` default).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// The node's ed25519 secret (hex): the validator or observer key.
    #[serde(with = "hex::serde")]
    pub secret_key: [u8; 32],
    /// The address to listen on; `/ip4/127.0.0.1/tcp/0` picks a free port.
    #[serde(with = "multiaddr_string")]
    pub listen_address: Multiaddr,
    /// Members dialed at start-up and re-dialed with backoff.
    #[serde(default)]
    pub bootstrap: Vec<BootstrapPeer>,
    /// Public keys allowed to connect (validators and registered observers). Connections from
    /// or to any other key are refused when they are established.
    #[serde(default, with = "hex_key_set")]
    pub members: BTreeSet<PublicKeyBytes>,
    /// Member key → the ed25519 key it proves on the network, for members whose network key is
    /// not their member key (on an `sm2-sm3` chain, ADR 020); any other member's network key is
    /// its member key. From the genesis and the chain, never from a file.
    #[serde(skip)]
    pub network_keys: BTreeMap<PublicKeyBytes, PublicKeyBytes>,
    /// The key this node is a member under, when it is not the key of `secret_key` (on an
    /// `sm2-sm3` chain: its SM2 validator or observer key). Events and the handle name members,
    /// this node included, by member key.
    #[serde(skip)]
    pub member_key: Option<PublicKeyBytes>,
    /// Largest direct message payload (consensus, sync, requests and responses).
    #[serde(default = "defaults::max_message_bytes")]
    pub max_message_bytes: usize,
    /// Largest gossiped transaction payload.
    #[serde(default = "defaults::max_gossip_bytes")]
    pub max_gossip_bytes: usize,
    /// Sustained inbound messages accepted per peer and second (gossip and direct together).
    #[serde(default = "defaults::rate_limit_messages_per_sec")]
    pub rate_limit_messages_per_sec: u32,
    /// Inbound messages a peer may send at once before the sustained rate applies.
    #[serde(default = "defaults::rate_limit_burst_messages")]
    pub rate_limit_burst_messages: u32,
    /// First re-dial delay after a member disconnects or a dial fails.
    #[serde(default = "defaults::reconnect_backoff_min_ms")]
    pub reconnect_backoff_min_ms: u64,
    /// Ceiling of the doubling re-dial delay.
    #[serde(default = "defaults::reconnect_backoff_max_ms")]
    pub reconnect_backoff_max_ms: u64,
    /// Established connections allowed at once, all peers together.
    #[serde(default = "defaults::max_connections")]
    pub max_connections: usize,
    /// Established connections of one peer. A member's first connection is always admitted (its
    /// reserved slot); further ones count against this and `max_connections`.
    #[serde(default = "defaults::max_connections_per_peer")]
    pub max_connections_per_peer: usize,
    /// Incoming connections from one IP address, pending (before the handshake) and established.
    #[serde(default = "defaults::max_connections_per_ip")]
    pub max_connections_per_ip: usize,
    /// Incoming connections still in their handshake (before the remote key is known), all
    /// remotes together.
    #[serde(default = "defaults::max_pending_incoming")]
    pub max_pending_incoming: usize,
    /// Penalty points (one per invalid, oversized or malformed message) at which a peer is
    /// disconnected and banned.
    #[serde(default = "defaults::invalid_message_score_threshold")]
    pub invalid_message_score_threshold: u32,
    /// How long a banned peer is refused.
    #[serde(default = "defaults::ban_duration_ms")]
    pub ban_duration_ms: u64,
    /// How long a direct request waits for its answer.
    #[serde(default = "defaults::request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Capacity of the event channel to the host; when full, events are dropped and counted.
    #[serde(default = "defaults::event_channel_capacity")]
    pub event_channel_capacity: usize,
    /// Capacity of the command channel from handles to the network task.
    #[serde(default = "defaults::command_channel_capacity")]
    pub command_channel_capacity: usize,
    /// Outbound direct messages and requests awaiting an answer, all peers together.
    #[serde(default = "defaults::max_pending_outbound_requests")]
    pub max_pending_outbound_requests: usize,
    /// Inbound requests handed to the host and not yet answered, all peers together.
    #[serde(default = "defaults::max_pending_inbound_requests")]
    pub max_pending_inbound_requests: usize,
    /// Concurrent request-response streams per connection.
    #[serde(default = "defaults::max_concurrent_streams_per_connection")]
    pub max_concurrent_streams_per_connection: usize,
    /// Gossipsub heartbeat (mesh maintenance) interval.
    #[serde(default = "defaults::gossip_heartbeat_interval_ms")]
    pub gossip_heartbeat_interval_ms: u64,
}

impl NetworkConfig {
    /// A configuration with default limits, no bootstrap peers and an empty membership.
    pub fn new(secret_key: [u8; 32], listen_address: Multiaddr) -> Self {
        Self {
            secret_key,
            listen_address,
            bootstrap: Vec::new(),
            members: BTreeSet::new(),
            network_keys: BTreeMap::new(),
            member_key: None,
            max_message_bytes: defaults::max_message_bytes(),
            max_gossip_bytes: defaults::max_gossip_bytes(),
            rate_limit_messages_per_sec: defaults::rate_limit_messages_per_sec(),
            rate_limit_burst_messages: defaults::rate_limit_burst_messages(),
            reconnect_backoff_min_ms: defaults::reconnect_backoff_min_ms(),
            reconnect_backoff_max_ms: defaults::reconnect_backoff_max_ms(),
            max_connections: defaults::max_connections(),
            max_connections_per_peer: defaults::max_connections_per_peer(),
            max_connections_per_ip: defaults::max_connections_per_ip(),
            max_pending_incoming: defaults::max_pending_incoming(),
            invalid_message_score_threshold: defaults::invalid_message_score_threshold(),
            ban_duration_ms: defaults::ban_duration_ms(),
            request_timeout_ms: defaults::request_timeout_ms(),
            event_channel_capacity: defaults::event_channel_capacity(),
            command_channel_capacity: defaults::command_channel_capacity(),
            max_pending_outbound_requests: defaults::max_pending_outbound_requests(),
            max_pending_inbound_requests: defaults::max_pending_inbound_requests(),
            max_concurrent_streams_per_connection: defaults::max_concurrent_streams_per_connection(
            ),
            gossip_heartbeat_interval_ms: defaults::gossip_heartbeat_interval_ms(),
        }
    }

    /// Checks ranges and relations between fields.
    pub fn validate(&self) -> Result<(), NetworkError> {
        fn invalid(field: &'static str, reason: String) -> Result<(), NetworkError> {
            Err(NetworkError::InvalidConfig { field, reason })
        }
        if self.max_message_bytes == 0 || self.max_message_bytes > MAX_MESSAGE_BYTES_CEILING {
            return invalid(
                "max_message_bytes",
                format!(
                    "{} is outside 1..={MAX_MESSAGE_BYTES_CEILING}",
                    self.max_message_bytes
                ),
            );
        }
        if self.max_gossip_bytes == 0 || self.max_gossip_bytes > MAX_GOSSIP_BYTES_CEILING {
            return invalid(
                "max_gossip_bytes",
                format!(
                    "{} is outside 1..={MAX_GOSSIP_BYTES_CEILING}",
                    self.max_gossip_bytes
                ),
            );
        }
        let positive: [(&'static str, u64); 16] = [
            (
                "max_connections_per_peer",
                self.max_connections_per_peer as u64,
            ),
            ("max_connections_per_ip", self.max_connections_per_ip as u64),
            ("max_pending_incoming", self.max_pending_incoming as u64),
            (
                "rate_limit_messages_per_sec",
                u64::from(self.rate_limit_messages_per_sec),
            ),
            (
                "rate_limit_burst_messages",
                u64::from(self.rate_limit_burst_messages),
            ),
            ("reconnect_backoff_min_ms", self.reconnect_backoff_min_ms),
            ("max_connections", self.max_connections as u64),
            (
                "invalid_message_score_threshold",
                u64::from(self.invalid_message_score_threshold),
            ),
            ("ban_duration_ms", self.ban_duration_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            ("event_channel_capacity", self.event_channel_capacity as u64),
            (
                "command_channel_capacity",
                self.command_channel_capacity as u64,
            ),
            (
                "max_pending_outbound_requests",
                self.max_pending_outbound_requests as u64,
            ),
            (
                "max_pending_inbound_requests",
                self.max_pending_inbound_requests as u64,
            ),
            (
                "max_concurrent_streams_per_connection",
                self.max_concurrent_streams_per_connection as u64,
            ),
            (
                "gossip_heartbeat_interval_ms",
                self.gossip_heartbeat_interval_ms,
            ),
        ];
        for (field, value) in positive {
            if value == 0 {
                return invalid(field, "must be greater than zero".to_owned());
            }
        }
        let durations: [(&'static str, u64); 5] = [
            ("reconnect_backoff_min_ms", self.reconnect_backoff_min_ms),
            ("reconnect_backoff_max_ms", self.reconnect_backoff_max_ms),
            ("ban_duration_ms", self.ban_duration_ms),
            ("request_timeout_ms", self.request_timeout_ms),
            (
                "gossip_heartbeat_interval_ms",
                self.gossip_heartbeat_interval_ms,
            ),
        ];
        for (field, value) in durations {
            if value > MAX_DURATION_MS_CEILING {
                return invalid(field, format!("{value} exceeds {MAX_DURATION_MS_CEILING}"));
            }
        }
        let counts: [(&'static str, usize); 5] = [
            ("max_connections", self.max_connections),
            ("max_connections_per_peer", self.max_connections_per_peer),
            ("max_connections_per_ip", self.max_connections_per_ip),
            ("max_pending_incoming", self.max_pending_incoming),
            (
                "max_concurrent_streams_per_connection",
                self.max_concurrent_streams_per_connection,
            ),
        ];
        for (field, value) in counts {
            if value > MAX_CONNECTION_COUNT_CEILING {
                return invalid(
                    field,
                    format!("{value} exceeds {MAX_CONNECTION_COUNT_CEILING}"),
                );
            }
        }
        if self.max_connections_per_peer > self.max_connections {
            return invalid(
                "max_connections_per_peer",
                format!(
                    "{} exceeds max_connections {}",
                    self.max_connections_per_peer, self.max_connections
                ),
            );
        }
        if self.reconnect_backoff_max_ms < self.reconnect_backoff_min_ms {
            return invalid(
                "reconnect_backoff_max_ms",
                format!(
                    "{} is below reconnect_backoff_min_ms {}",
                    self.reconnect_backoff_max_ms, self.reconnect_backoff_min_ms
                ),
            );
        }
        Ok(())
    }
}

impl fmt::Debug for NetworkConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the secret key.
        f.debug_struct("NetworkConfig")
            .field("secret_key", &"<redacted>")
            .field("listen_address", &self.listen_address)
            .field("bootstrap", &self.bootstrap)
            .field(
                "members",
                &self.members.iter().map(hex::encode).collect::<Vec<_>>(),
            )
            .field("max_message_bytes", &self.max_message_bytes)
            .field("max_gossip_bytes", &self.max_gossip_bytes)
            .field(
                "rate_limit_messages_per_sec",
                &self.rate_limit_messages_per_sec,
            )
            .field("rate_limit_burst_messages", &self.rate_limit_burst_messages)
            .field("reconnect_backoff_min_ms", &self.reconnect_backoff_min_ms)
            .field("reconnect_backoff_max_ms", &self.reconnect_backoff_max_ms)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_peer", &self.max_connections_per_peer)
            .field("max_connections_per_ip", &self.max_connections_per_ip)
            .field("max_pending_incoming", &self.max_pending_incoming)
            .field(
                "invalid_message_score_threshold",
                &self.invalid_message_score_threshold,
            )
            .field("ban_duration_ms", &self.ban_duration_ms)
            .field("request_timeout_ms", &self.request_timeout_ms)
            .finish_non_exhaustive()
    }
}

/// Default values, one function per field so serde can call them.
mod defaults {
    pub(super) fn max_message_bytes() -> usize {
        super::DEFAULT_MAX_MESSAGE_BYTES
    }
    pub(super) fn max_gossip_bytes() -> usize {
        super::DEFAULT_MAX_GOSSIP_BYTES
    }
    pub(super) fn rate_limit_messages_per_sec() -> u32 {
        1_000
    }
    pub(super) fn rate_limit_burst_messages() -> u32 {
        2_000
    }
    pub(super) fn reconnect_backoff_min_ms() -> u64 {
        500
    }
    pub(super) fn reconnect_backoff_max_ms() -> u64 {
        30_000
    }
    pub(super) fn max_connections() -> usize {
        128
    }
    pub(super) fn max_connections_per_peer() -> usize {
        4
    }
    pub(super) fn max_connections_per_ip() -> usize {
        16
    }
    pub(super) fn max_pending_incoming() -> usize {
        64
    }
    pub(super) fn invalid_message_score_threshold() -> u32 {
        10
    }
    pub(super) fn ban_duration_ms() -> u64 {
        10 * 60 * 1_000
    }
    pub(super) fn request_timeout_ms() -> u64 {
        10_000
    }
    pub(super) fn event_channel_capacity() -> usize {
        8_192
    }
    pub(super) fn command_channel_capacity() -> usize {
        1_024
    }
    pub(super) fn max_pending_outbound_requests() -> usize {
        4_096
    }
    pub(super) fn max_pending_inbound_requests() -> usize {
        1_024
    }
    pub(super) fn max_concurrent_streams_per_connection() -> usize {
        256
    }
    pub(super) fn gossip_heartbeat_interval_ms() -> u64 {
        1_000
    }
}

/// Serde for a multiaddr as its string form.
mod multiaddr_string {
    use libp2p::Multiaddr;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(
        address: &Multiaddr,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_str(address)
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Multiaddr, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse()
            .map_err(|err| D::Error::custom(format!("invalid multiaddr {text:?}: {err}")))
    }
}

/// Serde for a set of 32-byte keys as a list of hex strings.
mod hex_key_set {
    use std::collections::BTreeSet;

    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(super) fn serialize<S: Serializer>(
        keys: &BTreeSet<[u8; 32]>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(keys.iter().map(hex::encode))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<BTreeSet<[u8; 32]>, D::Error> {
        let texts = Vec::<String>::deserialize(deserializer)?;
        let mut keys = BTreeSet::new();
        for text in texts {
            let mut key = [0u8; 32];
            hex::decode_to_slice(&text, &mut key)
                .map_err(|err| D::Error::custom(format!("invalid member key {text:?}: {err}")))?;
            if !keys.insert(key) {
                return Err(D::Error::custom(format!("duplicate member key {text}")));
            }
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NetworkConfig {
        NetworkConfig::new([9; 32], "/ip4/127.0.0.1/tcp/0".parse().unwrap())
    }

    #[test]
    fn defaults_are_valid() {
        sample().validate().unwrap();
    }

    #[test]
    fn toml_round_trip_keeps_every_field() {
        let mut config = sample();
        config.members.insert([1; 32]);
        config.members.insert([2; 32]);
        config.bootstrap.push(BootstrapPeer {
            public_key: [1; 32],
            address: "/ip4/10.0.0.2/tcp/7100".parse().unwrap(),
        });
        config.max_message_bytes = 12_345;
        let text = toml::to_string(&config).unwrap();
        let parsed: NetworkConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed, config);
    }

    #[test]
    fn minimal_toml_fills_defaults() {
        let text = format!(
            "secret_key = \"{}\"\nlisten_address = \"/ip4/0.0.0.0/tcp/7100\"\nmembers = [\"{}\"]\n",
            hex::encode([3u8; 32]),
            hex::encode([4u8; 32])
        );
        let parsed: NetworkConfig = toml::from_str(&text).unwrap();
        assert_eq!(parsed.max_message_bytes, DEFAULT_MAX_MESSAGE_BYTES);
        assert_eq!(parsed.members.len(), 1);
        assert!(parsed.members.contains(&[4u8; 32]));
    }

    #[test]
    fn bad_keys_and_addresses_are_rejected() {
        let short_key = "secret_key = \"abcd\"\nlisten_address = \"/ip4/0.0.0.0/tcp/1\"\n";
        assert!(toml::from_str::<NetworkConfig>(short_key).is_err());
        let bad_address = format!(
            "secret_key = \"{}\"\nlisten_address = \"not-an-address\"\n",
            hex::encode([3u8; 32])
        );
        assert!(toml::from_str::<NetworkConfig>(&bad_address).is_err());
        let duplicate_member = format!(
            "secret_key = \"{k}\"\nlisten_address = \"/ip4/0.0.0.0/tcp/1\"\nmembers = [\"{k}\", \"{k}\"]\n",
            k = hex::encode([3u8; 32])
        );
        assert!(toml::from_str::<NetworkConfig>(&duplicate_member).is_err());
    }

    #[test]
    fn validate_rejects_out_of_range_values() {
        let mut config = sample();
        config.max_message_bytes = MAX_MESSAGE_BYTES_CEILING + 1;
        assert!(config.validate().is_err());
        config.max_message_bytes = MAX_MESSAGE_BYTES_CEILING;
        config.validate().unwrap();

        let mut config = sample();
        config.reconnect_backoff_max_ms = config.reconnect_backoff_min_ms - 1;
        assert!(config.validate().is_err());

        let mut config = sample();
        config.ban_duration_ms = MAX_DURATION_MS_CEILING + 1;
        assert!(config.validate().is_err());

        let mut config = sample();
        config.event_channel_capacity = 0;
        assert!(matches!(
            config.validate(),
            Err(NetworkError::InvalidConfig {
                field: "event_channel_capacity",
                ..
            })
        ));
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let text = format!("{:?}", sample());
        assert!(!text.contains(&hex::encode([9u8; 32])));
        assert!(!text.contains("9, 9, 9"));
    }
}
