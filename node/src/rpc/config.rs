//! Limits and settings of the JSON-RPC server, read from the `[rpc]` table of the node's TOML
//! config. Every field has a default; every limit is reached in `node/tests/rpc.rs`.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// Default listen address: loopback only, so a node never exposes RPC by accident.
pub const DEFAULT_LISTEN_ADDRESS: &str = "127.0.0.1:8645";
/// Default [`RpcConfig::max_request_body_bytes`]: 256 KiB (a transaction is at most 64 KiB,
/// 128 KiB as hex).
pub const DEFAULT_MAX_REQUEST_BODY_BYTES: u32 = 256 * 1024;
/// Default [`RpcConfig::max_response_body_bytes`]: 4 MiB.
pub const DEFAULT_MAX_RESPONSE_BODY_BYTES: u32 = 4 * 1024 * 1024;
/// Default [`RpcConfig::max_batch_len`].
pub const DEFAULT_MAX_BATCH_LEN: u32 = 32;
/// Default [`RpcConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: u32 = 256;
/// Default [`RpcConfig::max_subscriptions_per_connection`].
pub const DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION: u32 = 16;
/// Default [`RpcConfig::max_concurrent_backend_calls`].
pub const DEFAULT_MAX_CONCURRENT_BACKEND_CALLS: u32 = 64;
/// Default [`RpcConfig::max_commitments_per_status_subscription`].
pub const DEFAULT_MAX_COMMITMENTS_PER_STATUS_SUBSCRIPTION: u32 = 64;
/// Default [`RpcConfig::max_did_history_versions`].
pub const DEFAULT_MAX_DID_HISTORY_VERSIONS: u32 = 64;
/// Default [`RpcConfig::auth_max_clock_skew_ms`]: one minute.
pub const DEFAULT_AUTH_MAX_CLOCK_SKEW_MS: u64 = 60_000;
/// Default [`RpcConfig::auth_replay_cache_entries`].
pub const DEFAULT_AUTH_REPLAY_CACHE_ENTRIES: u32 = 100_000;
/// Default [`RpcConfig::max_batch_leaves_per_issuer`]: 4 Mi leaves (about 180 bytes of local
/// storage each, so about 750 MB per issuer).
pub const DEFAULT_MAX_BATCH_LEAVES_PER_ISSUER: u64 = 4 * 1024 * 1024;
/// Highest accepted [`RpcConfig::max_batch_leaves_per_issuer`]: 2^32 leaves.
pub const MAX_BATCH_LEAVES_PER_ISSUER_CEILING: u64 = 1 << 32;
/// Default [`RpcConfig::auth_replay_cache_entries_per_did`].
pub const DEFAULT_AUTH_REPLAY_CACHE_ENTRIES_PER_DID: u32 = 1_000;
/// Ceiling of the byte limits (`max_request_body_bytes`, `max_response_body_bytes`).
pub const MAX_BODY_BYTES_CEILING: u64 = 256 * 1024 * 1024;
/// Ceiling of the count limits (connections, batch length, subscriptions, backend calls,
/// commitments, history versions, buffered messages).
pub const MAX_COUNT_CEILING: u64 = 1_000_000;
/// Ceiling of `auth_max_clock_skew_ms` (one hour).
pub const MAX_AUTH_CLOCK_SKEW_MS_CEILING: u64 = 3_600_000;
/// Ceiling of `auth_replay_cache_entries`.
pub const MAX_AUTH_REPLAY_CACHE_ENTRIES_CEILING: u64 = 10_000_000;
/// Default [`RpcConfig::status_list_max_entries`]: 1 Mi licences per issuer (a list of 128 KiB
/// before compression; building it reads about four state keys per licence).
pub const DEFAULT_STATUS_LIST_MAX_ENTRIES: u64 = 1024 * 1024;
/// Highest accepted [`RpcConfig::status_list_max_entries`]: the most bits a verifier decodes
/// (`yrd_verifier::status_list::MAX_LIST_BYTES` × 8).
pub const STATUS_LIST_MAX_ENTRIES_CEILING: u64 =
    (yrd_verifier::status_list::MAX_LIST_BYTES as u64) * 8;
/// Default [`RpcConfig::connection_buffer_messages`].
pub const DEFAULT_CONNECTION_BUFFER_MESSAGES: u32 = 256;

/// Settings of the JSON-RPC server. HTTP and WebSocket share `listen_address`; the plain HTTP
/// routes (`/health`, `/metrics`, `/1.0/identifiers/{did}`) are served on the same port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RpcConfig {
    /// Address to listen on (`127.0.0.1:8645`; use `0.0.0.0:8645` only behind a TLS proxy).
    pub listen_address: SocketAddr,
    /// Largest HTTP request body or WebSocket message, in bytes. Over it: HTTP 413 with a
    /// JSON-RPC error `-32007` (HTTP), or a `-32007` error with `id: null` (WebSocket, the
    /// connection stays open).
    pub max_request_body_bytes: u32,
    /// Largest response of one call, in bytes. Over it: error `-32008` instead of the result.
    pub max_response_body_bytes: u32,
    /// Most calls in one JSON-RPC batch. Over it: one error `-32010` for the whole batch.
    /// 0 disables batches (error `-32005`).
    pub max_batch_len: u32,
    /// Most open WebSocket connections plus in-flight HTTP requests. Over it: HTTP 429 (and a
    /// refused WebSocket upgrade).
    pub max_connections: u32,
    /// Most live subscriptions on one WebSocket connection. Over it: error `-32006`.
    pub max_subscriptions_per_connection: u32,
    /// Most backend calls (state queries, submissions, DID resolutions) running at once on the
    /// blocking pool. Over it: error `-33030` (HTTP 503 on the plain routes).
    pub max_concurrent_backend_calls: u32,
    /// Most commitments one `licence_subscribeStatus` may watch.
    pub max_commitments_per_status_subscription: u32,
    /// Most versions one `did_getHistory` call returns.
    pub max_did_history_versions: u32,
    /// How far the timestamp of a verifier authentication may be from the node's clock, in ms.
    pub auth_max_clock_skew_ms: u64,
    /// Most verifier-authentication signatures remembered to refuse replays.
    pub auth_replay_cache_entries: u32,
    /// Most of those signatures one DID may hold at once: a DID past it gets `-33030` until its
    /// own entries expire, and no other DID is affected. `auth_replay_cache_entries /
    /// auth_replay_cache_entries_per_did` DIDs can hold signatures at once.
    pub auth_replay_cache_entries_per_did: u32,
    /// Messages (responses and notifications) buffered per WebSocket connection; a subscription
    /// whose notification finds the buffer full is closed with an error notification.
    pub connection_buffer_messages: u32,
    /// Most batch leaves (commitments) one issuer may keep with this node through
    /// `batch_submitLeaves`, over all its batches. Over it: error `-33041`. At most
    /// [`MAX_BATCH_LEAVES_PER_ISSUER_CEILING`].
    pub max_batch_leaves_per_issuer: u64,
    /// Most entries (licences) of one issuer that `GET /status/{uscc}/{purpose}` lists. An
    /// issuer with more gets HTTP 503 (`LIST_TOO_LARGE`). At most
    /// [`STATUS_LIST_MAX_ENTRIES_CEILING`].
    pub status_list_max_entries: u64,
}

impl Default for RpcConfig {
    fn default() -> Self {
        Self {
            listen_address: SocketAddr::from(([127, 0, 0, 1], 8645)),
            max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
            max_response_body_bytes: DEFAULT_MAX_RESPONSE_BODY_BYTES,
            max_batch_len: DEFAULT_MAX_BATCH_LEN,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_subscriptions_per_connection: DEFAULT_MAX_SUBSCRIPTIONS_PER_CONNECTION,
            max_concurrent_backend_calls: DEFAULT_MAX_CONCURRENT_BACKEND_CALLS,
            max_commitments_per_status_subscription:
                DEFAULT_MAX_COMMITMENTS_PER_STATUS_SUBSCRIPTION,
            max_did_history_versions: DEFAULT_MAX_DID_HISTORY_VERSIONS,
            auth_max_clock_skew_ms: DEFAULT_AUTH_MAX_CLOCK_SKEW_MS,
            auth_replay_cache_entries: DEFAULT_AUTH_REPLAY_CACHE_ENTRIES,
            auth_replay_cache_entries_per_did: DEFAULT_AUTH_REPLAY_CACHE_ENTRIES_PER_DID,
            connection_buffer_messages: DEFAULT_CONNECTION_BUFFER_MESSAGES,
            max_batch_leaves_per_issuer: DEFAULT_MAX_BATCH_LEAVES_PER_ISSUER,
            status_list_max_entries: DEFAULT_STATUS_LIST_MAX_ENTRIES,
        }
    }
}

/// A setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rpc.{field} = {value}: {reason} (allowed range {min} to {max})")]
pub struct RpcConfigError {
    /// The setting.
    pub field: &'static str,
    /// Its value.
    pub value: u64,
    /// Why it is refused.
    pub reason: &'static str,
    /// The smallest value allowed.
    pub min: u64,
    /// The largest value allowed.
    pub max: u64,
}

impl RpcConfig {
    /// Refuses zero limits that would make the server useless (batches may be disabled with 0),
    /// values beyond their ceilings, and a per-DID replay bound larger than the whole cache.
    pub fn validate(&self) -> Result<(), RpcConfigError> {
        let body = MAX_BODY_BYTES_CEILING;
        let count = MAX_COUNT_CEILING;
        let limits = [
            (
                "max_request_body_bytes",
                u64::from(self.max_request_body_bytes),
                1,
                body,
            ),
            (
                "max_response_body_bytes",
                u64::from(self.max_response_body_bytes),
                1,
                body,
            ),
            ("max_batch_len", u64::from(self.max_batch_len), 0, count),
            ("max_connections", u64::from(self.max_connections), 1, count),
            (
                "max_subscriptions_per_connection",
                u64::from(self.max_subscriptions_per_connection),
                0,
                count,
            ),
            (
                "max_concurrent_backend_calls",
                u64::from(self.max_concurrent_backend_calls),
                1,
                count,
            ),
            (
                "max_commitments_per_status_subscription",
                u64::from(self.max_commitments_per_status_subscription),
                1,
                count,
            ),
            (
                "max_did_history_versions",
                u64::from(self.max_did_history_versions),
                1,
                count,
            ),
            (
                "auth_max_clock_skew_ms",
                self.auth_max_clock_skew_ms,
                1,
                MAX_AUTH_CLOCK_SKEW_MS_CEILING,
            ),
            (
                "auth_replay_cache_entries",
                u64::from(self.auth_replay_cache_entries),
                1,
                MAX_AUTH_REPLAY_CACHE_ENTRIES_CEILING,
            ),
            (
                "auth_replay_cache_entries_per_did",
                u64::from(self.auth_replay_cache_entries_per_did),
                1,
                u64::from(self.auth_replay_cache_entries),
            ),
            (
                "connection_buffer_messages",
                u64::from(self.connection_buffer_messages),
                1,
                count,
            ),
            (
                "max_batch_leaves_per_issuer",
                self.max_batch_leaves_per_issuer,
                1,
                MAX_BATCH_LEAVES_PER_ISSUER_CEILING,
            ),
            (
                "status_list_max_entries",
                self.status_list_max_entries,
                1,
                STATUS_LIST_MAX_ENTRIES_CEILING,
            ),
        ];
        for (field, value, min, max) in limits {
            if value < min {
                return Err(RpcConfigError {
                    field,
                    value,
                    reason: "is below its floor",
                    min,
                    max,
                });
            }
            if value > max {
                return Err(RpcConfigError {
                    field,
                    value,
                    reason: if field == "auth_replay_cache_entries_per_did" {
                        "must not exceed auth_replay_cache_entries"
                    } else {
                        "is beyond its ceiling"
                    },
                    min,
                    max,
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_toml_overrides_one_field() {
        assert_eq!(RpcConfig::default().validate(), Ok(()));
        let parsed: RpcConfig = toml::from_str("max_batch_len = 4").unwrap();
        assert_eq!(parsed.max_batch_len, 4);
        assert_eq!(parsed.max_connections, DEFAULT_MAX_CONNECTIONS);
        assert_eq!(parsed.listen_address.to_string(), DEFAULT_LISTEN_ADDRESS);
        assert!(toml::from_str::<RpcConfig>("max_batch = 4").is_err());
    }

    #[test]
    fn zero_limits_refused() {
        let config = RpcConfig {
            max_connections: 0,
            ..RpcConfig::default()
        };
        assert_eq!(config.validate().unwrap_err().field, "max_connections");
        let batches_off = RpcConfig {
            max_batch_len: 0,
            ..RpcConfig::default()
        };
        assert_eq!(batches_off.validate(), Ok(()));
    }

    #[test]
    fn batch_leaves_per_issuer_is_refused_at_zero_and_above_the_ceiling() {
        let with = |max_batch_leaves_per_issuer| RpcConfig {
            max_batch_leaves_per_issuer,
            ..RpcConfig::default()
        };
        assert_eq!(
            with(0).validate().unwrap_err().field,
            "max_batch_leaves_per_issuer"
        );
        assert_eq!(with(1).validate(), Ok(()));
        assert_eq!(with(MAX_BATCH_LEAVES_PER_ISSUER_CEILING).validate(), Ok(()));
        assert_eq!(
            with(MAX_BATCH_LEAVES_PER_ISSUER_CEILING + 1)
                .validate()
                .unwrap_err()
                .field,
            "max_batch_leaves_per_issuer"
        );
        let parsed: RpcConfig = toml::from_str("max_batch_leaves_per_issuer = 10").unwrap();
        assert_eq!(parsed.max_batch_leaves_per_issuer, 10);
    }

    #[test]
    fn status_list_cap_is_refused_at_zero_and_above_the_ceiling() {
        let with = |status_list_max_entries| RpcConfig {
            status_list_max_entries,
            ..RpcConfig::default()
        };
        assert_eq!(
            with(0).validate().unwrap_err().field,
            "status_list_max_entries"
        );
        assert_eq!(with(STATUS_LIST_MAX_ENTRIES_CEILING).validate(), Ok(()));
        assert_eq!(
            with(STATUS_LIST_MAX_ENTRIES_CEILING + 1)
                .validate()
                .unwrap_err()
                .field,
            "status_list_max_entries"
        );
    }

    #[test]
    fn absurd_limits_refused_at_their_ceiling() {
        let at_ceiling = RpcConfig {
            auth_max_clock_skew_ms: MAX_AUTH_CLOCK_SKEW_MS_CEILING,
            ..RpcConfig::default()
        };
        assert_eq!(at_ceiling.validate(), Ok(()));
        let beyond = RpcConfig {
            auth_max_clock_skew_ms: MAX_AUTH_CLOCK_SKEW_MS_CEILING + 1,
            ..RpcConfig::default()
        };
        assert_eq!(
            beyond.validate().unwrap_err().field,
            "auth_max_clock_skew_ms"
        );
        let huge_body = RpcConfig {
            max_request_body_bytes: u32::MAX,
            ..RpcConfig::default()
        };
        assert_eq!(
            huge_body.validate().unwrap_err().field,
            "max_request_body_bytes"
        );
    }

    #[test]
    fn per_did_replay_bound_within_the_whole() {
        let equal = RpcConfig {
            auth_replay_cache_entries: 10,
            auth_replay_cache_entries_per_did: 10,
            ..RpcConfig::default()
        };
        assert_eq!(equal.validate(), Ok(()));
        let larger = RpcConfig {
            auth_replay_cache_entries_per_did: 11,
            ..equal.clone()
        };
        let error = larger.validate().unwrap_err();
        assert_eq!(error.field, "auth_replay_cache_entries_per_did");
        assert!(
            error.to_string().contains("auth_replay_cache_entries"),
            "{error}"
        );
        let zero = RpcConfig {
            auth_replay_cache_entries_per_did: 0,
            ..equal
        };
        assert!(zero.validate().is_err());
    }
}
