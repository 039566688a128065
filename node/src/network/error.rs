//! Errors returned by the network layer to the host.

use libp2p::Multiaddr;

/// Everything that can go wrong when starting the network or asking it to do something.
///
/// Peer keys are shown as lowercase hex so log lines and error messages can be matched against
/// the membership list.
#[derive(Debug, thiserror::Error)]
pub enum NetworkError {
    /// A configuration value is out of range or inconsistent with another one.
    #[error("invalid network configuration: {field}: {reason}")]
    InvalidConfig {
        /// The offending field of `NetworkConfig`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The 32-byte node secret could not be turned into a libp2p keypair.
    #[error("invalid node secret key: {0}")]
    InvalidSecretKey(String),
    /// A 32-byte value is not a valid ed25519 public key.
    #[error("invalid ed25519 public key {key_hex}")]
    InvalidPublicKey {
        /// The rejected key.
        key_hex: String,
    },
    /// The libp2p transport or behaviours could not be built.
    #[error("failed to build the libp2p swarm: {0}")]
    Transport(String),
    /// The node could not listen on its configured address.
    #[error("cannot listen on {address}: {reason}")]
    Listen {
        /// The configured listen address.
        address: Multiaddr,
        /// Why the listener failed.
        reason: String,
    },
    /// The listener did not report a bound address in time.
    #[error("no listen address reported for {address} within {waited_ms} ms")]
    ListenTimeout {
        /// The configured listen address.
        address: Multiaddr,
        /// How long the start-up waited.
        waited_ms: u64,
    },
    /// A payload is larger than the configured limit for its kind of message.
    #[error("message of {size_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    MessageTooLarge {
        /// Size of the rejected payload.
        size_bytes: usize,
        /// The configured limit.
        limit_bytes: usize,
    },
    /// The destination is not a member of the current membership.
    #[error("peer {key_hex} is not a member")]
    NotMember {
        /// The destination key.
        key_hex: String,
    },
    /// The destination member is not connected right now.
    #[error("peer {key_hex} is not connected")]
    NotConnected {
        /// The destination key.
        key_hex: String,
    },
    /// A direct request failed in transit (stream error, connection closed, protocol mismatch).
    #[error("request to {key_hex} failed: {reason}")]
    RequestFailed {
        /// The destination key.
        key_hex: String,
        /// The transport-level reason.
        reason: String,
    },
    /// A direct request got no answer within the request timeout.
    #[error("request to {key_hex} timed out after {waited_ms} ms")]
    RequestTimeout {
        /// The destination key.
        key_hex: String,
        /// How long the request waited.
        waited_ms: u64,
    },
    /// Too many outbound requests are waiting for answers.
    #[error("too many pending outbound requests (limit {limit})")]
    TooManyPendingRequests {
        /// The configured limit.
        limit: usize,
    },
    /// Gossipsub refused to publish (no subscribed peers, duplicate, queues full).
    #[error("gossip publish failed: {0}")]
    Publish(String),
    /// The network task has stopped; the handle is no longer usable.
    #[error("the network task has shut down")]
    ShutDown,
}
