//! The node's TOML configuration (`yrd node --config node.toml`).
//!
//! Relative paths are resolved against the directory of the configuration file, so a node's folder
//! can be moved as a whole. Every section but `[p2p]` may be omitted; each limit has a default.
//!
//! ```toml
//! data_dir = "data"                      # RocksDB lives here
//! key_file = "node-key.json"             # the validator (or observer) key
//! genesis_file = "../genesis.json"
//!
//! [p2p]
//! listen_address = "/ip4/127.0.0.1/tcp/26601"
//! bootstrap = [{ public_key = "ab12…", address = "/ip4/127.0.0.1/tcp/26602" }]
//!
//! [rpc]
//! listen_address = "127.0.0.1:8601"
//!
//! [mempool]                              # see docs/OPERATIONS.md, "Limits"
//! max_txs = 50000
//! max_expiry_blocks = 100000
//!
//! [consensus]
//! round_timeout_base_ms = 1000
//!
//! [storage]
//! keep_versions = 100000
//! tree_node_cache_entries = 131072
//! max_total_wal_bytes = 268435456
//!
//! [state_sync]                           # only read with `yrd node --state-sync`
//! chunk_bytes = 4194304
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::host::sync_serve::SyncServeConfig;
use crate::mempool::MempoolConfig;
use crate::network::BootstrapPeer;
use crate::rpc::RpcConfig;

/// Why a configuration file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Reading failed.
    #[error("config file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a valid configuration.
    #[error("config file {path}: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Room kept in a network message for a proposal's header, signature and timeout certificate
/// around its payload (a proposal whose payload fills `max_payload_bytes` must still be sendable).
pub const PROPOSAL_ENVELOPE_BYTES: usize = 256 * 1024;

/// The whole node configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    /// Where the database lives.
    pub data_dir: PathBuf,
    /// The node key file (see `keys`).
    pub key_file: PathBuf,
    /// The genesis file.
    pub genesis_file: PathBuf,
    /// Peer-to-peer settings.
    pub p2p: P2pSection,
    /// JSON-RPC settings.
    #[serde(default)]
    pub rpc: RpcConfig,
    /// Mempool limits.
    #[serde(default)]
    pub mempool: MempoolConfig,
    /// Consensus timing and limits.
    #[serde(default)]
    pub consensus: ConsensusSection,
    /// Storage settings.
    #[serde(default)]
    pub storage: StorageSection,
    /// How `--state-sync` fetches a snapshot.
    #[serde(default)]
    pub state_sync: StateSyncSection,
}

/// `[p2p]`: where to listen and whom to dial. The member set comes from the chain, not from here.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct P2pSection {
    /// Multiaddr to listen on.
    pub listen_address: String,
    /// Peers to dial at start (and to redial with backoff).
    #[serde(default)]
    pub bootstrap: Vec<BootstrapPeer>,
    /// Connection limits, table `[p2p.limits]` (each defaults to the network layer's default;
    /// see docs/OPERATIONS.md).
    #[serde(default)]
    pub limits: P2pLimits,
    /// Longest a transaction admitted from a client waits for others before the batch it is in
    /// is gossiped (`host::tx_gossip`), in milliseconds; 0 sends what has arrived at once.
    #[serde(default = "default_tx_batch_delay_ms")]
    pub tx_batch_delay_ms: u64,
}

/// Default of `[p2p] tx_batch_delay_ms`: a fifth of the default `min_block_interval_ms`, so a
/// batch is at the other validators well before the next proposal.
pub const DEFAULT_TX_BATCH_DELAY_MS: u64 = 20;
/// Ceiling of `[p2p] tx_batch_delay_ms`.
pub const MAX_TX_BATCH_DELAY_MS: u64 = 1_000;

fn default_tx_batch_delay_ms() -> u64 {
    DEFAULT_TX_BATCH_DELAY_MS
}

/// `[p2p.limits]`: connection limits, applied to the network configuration at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct P2pLimits {
    /// Established connections, all peers together (a member's first connection aside).
    pub max_connections: usize,
    /// Established connections of one peer.
    pub max_connections_per_peer: usize,
    /// Incoming connections from one IP address, pending and established.
    pub max_connections_per_ip: usize,
    /// Incoming connections still in their handshake.
    pub max_pending_incoming: usize,
}

impl Default for P2pLimits {
    fn default() -> Self {
        let network = crate::network::NetworkConfig::new([0; 32], libp2p::Multiaddr::empty());
        Self {
            max_connections: network.max_connections,
            max_connections_per_peer: network.max_connections_per_peer,
            max_connections_per_ip: network.max_connections_per_ip,
            max_pending_incoming: network.max_pending_incoming,
        }
    }
}

impl P2pLimits {
    /// Write these limits into a network configuration (validated when the network starts and
    /// by [`NodeConfig::validate`]).
    pub fn apply(&self, network: &mut crate::network::NetworkConfig) {
        network.max_connections = self.max_connections;
        network.max_connections_per_peer = self.max_connections_per_peer;
        network.max_connections_per_ip = self.max_connections_per_ip;
        network.max_pending_incoming = self.max_pending_incoming;
    }
}

/// Most bootstrap peers in `[p2p] bootstrap`.
pub const MAX_BOOTSTRAP_PEERS: usize = 1_024;

impl P2pSection {
    /// The listen address must be a multiaddr and the bootstrap list bounded.
    pub fn validate(&self) -> Result<(), String> {
        self.listen_address
            .parse::<libp2p::Multiaddr>()
            .map_err(|e| format!("p2p.listen_address = {:?}: {e}", self.listen_address))?;
        if self.tx_batch_delay_ms > MAX_TX_BATCH_DELAY_MS {
            return Err(format!(
                "p2p.tx_batch_delay_ms = {} (at most {MAX_TX_BATCH_DELAY_MS})",
                self.tx_batch_delay_ms
            ));
        }
        if self.bootstrap.len() > MAX_BOOTSTRAP_PEERS {
            return Err(format!(
                "p2p.bootstrap lists {} peers (at most {MAX_BOOTSTRAP_PEERS})",
                self.bootstrap.len()
            ));
        }
        let mut network = crate::network::NetworkConfig::new([0; 32], libp2p::Multiaddr::empty());
        self.limits.apply(&mut network);
        network.validate().map_err(|e| format!("p2p: {e}"))?;
        Ok(())
    }
}

/// `[consensus]`: timing and payload limits of this validator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusSection {
    /// First round timeout.
    pub round_timeout_base_ms: u64,
    /// Upper bound of the backed-off round timeout.
    pub round_timeout_max_ms: u64,
    /// Largest proposal payload this node builds or accepts.
    pub max_payload_bytes: usize,
    /// Most transactions in a proposal this node builds.
    pub max_block_txs: usize,
    /// How far a proposer's timestamp may be ahead of this node's clock.
    pub max_clock_drift_ms: u64,
    /// How long this node, as leader with nothing to propose, waits before proposing an empty
    /// block (a transaction arriving ends the wait). Capped at half the base round timeout so
    /// followers never time out on a waiting leader; 0 proposes at once.
    pub empty_block_delay_ms: u64,
    /// How long a leader holding some transactions, but fewer than `max_block_txs`, waits after
    /// entering its round for more before proposing: blocks then carry a batch instead of the one
    /// or two transactions that arrived since the last block. Capped at a quarter of the base round
    /// timeout; 0 proposes at once.
    pub min_block_interval_ms: u64,
    /// Sync requests from peers waiting to be served (off the consensus loop, one at a time);
    /// more are dropped and counted until the server catches up.
    pub sync_serve_queue: usize,
    /// Sync requests of one peer waiting in that queue; more of its requests are dropped and
    /// counted, so one peer cannot fill the queue for the others.
    pub sync_serve_queue_per_peer: usize,
    /// Bytes of sync answers each peer earns per second (a token bucket in bytes).
    pub sync_peer_bytes_per_sec: u64,
    /// Most bytes of sync answers one peer may take in a burst; at least one network message,
    /// so a peer far behind always gets a full answer once its bucket has refilled.
    pub sync_peer_burst_bytes: u64,
}

impl Default for ConsensusSection {
    fn default() -> Self {
        let core = yrd_consensus::Config::default();
        let sync = SyncServeConfig::default();
        Self {
            round_timeout_base_ms: core.round_timeout_base_ms,
            round_timeout_max_ms: core.round_timeout_max_ms,
            max_payload_bytes: core.max_payload_bytes,
            max_block_txs: 5_000,
            max_clock_drift_ms: core.max_clock_drift_ms,
            empty_block_delay_ms: 400,
            min_block_interval_ms: 100,
            sync_serve_queue: sync.serve_queue,
            sync_serve_queue_per_peer: sync.serve_queue_per_peer,
            sync_peer_bytes_per_sec: sync.peer_bytes_per_sec,
            sync_peer_burst_bytes: sync.peer_burst_bytes,
        }
    }
}

impl ConsensusSection {
    /// The host's configuration.
    pub fn host_config(&self) -> crate::host::HostConfig {
        crate::host::HostConfig {
            max_block_txs: self.max_block_txs,
            empty_block_delay: std::time::Duration::from_millis(
                self.empty_block_delay_ms
                    .min(self.round_timeout_base_ms / 2),
            ),
            sync_max_blocks_per_response: self.core_config().sync_max_blocks_per_response,
            sync_max_response_bytes: crate::network::DEFAULT_MAX_MESSAGE_BYTES,
            min_block_interval: std::time::Duration::from_millis(
                self.min_block_interval_ms
                    .min(self.round_timeout_base_ms / 4),
            ),
            sync: self.sync_serve_config(),
        }
    }

    /// How sync requests are served.
    pub fn sync_serve_config(&self) -> SyncServeConfig {
        SyncServeConfig {
            serve_queue: self.sync_serve_queue,
            serve_queue_per_peer: self.sync_serve_queue_per_peer,
            peer_bytes_per_sec: self.sync_peer_bytes_per_sec,
            peer_burst_bytes: self.sync_peer_burst_bytes,
        }
    }

    /// The consensus core's configuration.
    pub fn core_config(&self) -> yrd_consensus::Config {
        yrd_consensus::Config {
            round_timeout_base_ms: self.round_timeout_base_ms,
            round_timeout_max_ms: self.round_timeout_max_ms,
            max_payload_bytes: self.max_payload_bytes,
            max_clock_drift_ms: self.max_clock_drift_ms,
            ..yrd_consensus::Config::default()
        }
    }
}

/// `[storage]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageSection {
    /// State-tree versions kept before pruning.
    pub keep_versions: u64,
    /// Most decoded internal state-tree nodes kept in memory (about 1 KiB each), and as many
    /// prepared for proofs (about 1.2 KiB each); 0 disables both.
    pub tree_node_cache_entries: u64,
    /// Most bytes of write-ahead log on disk before the oldest memtables are flushed.
    pub max_total_wal_bytes: u64,
}

impl Default for StorageSection {
    fn default() -> Self {
        let store = crate::storage::StoreConfig::default();
        Self {
            keep_versions: store.keep_versions,
            tree_node_cache_entries: store.tree_node_cache_entries,
            max_total_wal_bytes: store.max_total_wal_bytes,
        }
    }
}

/// `[state_sync]`: how `yrd node --state-sync` fetches a snapshot (the serving side's limits are
/// `[consensus] sync_peer_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateSyncSection {
    /// Bytes of leaves asked for per chunk; a served chunk holds at least one leaf whatever the
    /// size, and at most 16,384. Smaller chunks make every answer smaller on a slow or lossy link
    /// (and a restore interrupted more often than it finishes loses less), at the cost of more
    /// requests and range proofs.
    pub chunk_bytes: u32,
}

impl Default for StateSyncSection {
    fn default() -> Self {
        Self {
            chunk_bytes: crate::host::state_sync::client::CHUNK_REQUEST_BYTES,
        }
    }
}

impl StateSyncSection {
    /// `chunk_bytes` from 1 byte (one leaf per chunk) to the largest chunk a peer serves.
    pub fn validate(&self) -> Result<(), String> {
        let most = crate::storage::MAX_CHUNK_BYTES;
        if self.chunk_bytes == 0 || self.chunk_bytes as usize > most {
            return Err(format!(
                "state_sync.chunk_bytes = {} (from 1 to {most})",
                self.chunk_bytes
            ));
        }
        Ok(())
    }
}

impl NodeConfig {
    /// Refuse zero, absurd and inconsistent values in every section, naming the key.
    pub fn validate(&self) -> Result<(), String> {
        let limit = crate::network::DEFAULT_MAX_MESSAGE_BYTES;
        if self
            .consensus
            .max_payload_bytes
            .saturating_add(PROPOSAL_ENVELOPE_BYTES)
            > limit
        {
            return Err(format!(
                "consensus.max_payload_bytes = {} leaves no room in a network message of {limit} bytes for the proposal around it (at most {})",
                self.consensus.max_payload_bytes,
                limit.saturating_sub(PROPOSAL_ENVELOPE_BYTES)
            ));
        }
        self.consensus.validate()?;
        self.storage.validate()?;
        self.state_sync.validate()?;
        self.mempool.validate().map_err(|e| e.to_string())?;
        self.rpc.validate().map_err(|e| e.to_string())?;
        self.p2p.validate()?;
        Ok(())
    }

    /// Load a configuration file, resolving relative paths against its directory.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Io {
            path: path.to_owned(),
            source,
        })?;
        let mut config: NodeConfig = toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        config.validate().map_err(|reason| ConfigError::Invalid {
            path: path.to_owned(),
            reason,
        })?;
        let base = path.parent().unwrap_or_else(|| Path::new("."));
        for p in [
            &mut config.data_dir,
            &mut config.key_file,
            &mut config.genesis_file,
        ] {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_config_loads_with_defaults_and_relative_paths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "data_dir = \"data\"\nkey_file = \"k.json\"\ngenesis_file = \"../g.json\"\n\
             [p2p]\nlisten_address = \"/ip4/127.0.0.1/tcp/0\"\n",
        )
        .unwrap();
        let config = NodeConfig::load(&path).unwrap();
        assert_eq!(config.data_dir, dir.path().join("data"));
        assert_eq!(config.genesis_file, dir.path().join("../g.json"));
        assert_eq!(config.mempool, MempoolConfig::default());
    }

    #[test]
    fn unknown_field_refused_with_its_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(&path, "data_dir = \"d\"\nkey_file = \"k\"\ngenesis_file = \"g\"\nbogus = 1\n[p2p]\nlisten_address = \"x\"\n").unwrap();
        let error = NodeConfig::load(&path).unwrap_err().to_string();
        assert!(error.contains("bogus"), "{error}");
    }

    #[test]
    fn payload_limit_must_leave_room_in_a_network_message() {
        // A proposal whose payload fills `max_payload_bytes` must still fit one network message,
        // or the leader could build blocks no one receives.
        let with_payload =
            |payload: usize| load_with(&format!("[consensus]\nmax_payload_bytes = {payload}\n"));
        let largest = crate::network::DEFAULT_MAX_MESSAGE_BYTES - PROPOSAL_ENVELOPE_BYTES;
        assert_eq!(
            with_payload(largest).unwrap().consensus.max_payload_bytes,
            largest
        );
        let error = with_payload(largest + 1).unwrap_err().to_string();
        assert!(error.contains("max_payload_bytes"), "{error}");
        // The default fits.
        assert!(
            ConsensusSection::default().max_payload_bytes + PROPOSAL_ENVELOPE_BYTES
                <= crate::network::DEFAULT_MAX_MESSAGE_BYTES
        );
    }

    #[test]
    fn mempool_limits_validated_at_load_with_the_key_named() {
        let error = load_with("[mempool]\nmax_lifetime_ms = 0\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("mempool.max_lifetime_ms = 0"), "{error}");
        let error = load_with("[mempool]\nmax_gapped_age_ms = 5000\nmax_lifetime_ms = 100\n")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("max_gapped_age_ms") && error.contains("max_lifetime_ms"),
            "{error}"
        );
        // The block-counted gap bound that evicted honest transactions is gone for good.
        assert!(load_with("[mempool]\nmax_gapped_age_blocks = 100\n").is_err());
        let config = load_with(
            "[mempool]\nmax_lifetime_ms = 1\nmax_gapped_age_ms = 1\nfair_share_from_percent = 100\n",
        )
        .unwrap();
        assert_eq!(config.mempool.max_lifetime_ms, 1);
        assert_eq!(config.mempool.fair_share_from_percent, 100);
    }

    fn load_with(section: &str) -> Result<NodeConfig, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            format!(
                "data_dir = \"d\"\nkey_file = \"k\"\ngenesis_file = \"g\"\n\
                 [p2p]\nlisten_address = \"/ip4/127.0.0.1/tcp/0\"\n{section}"
            ),
        )
        .unwrap();
        NodeConfig::load(&path)
    }

    #[test]
    fn every_section_validated_at_load_naming_the_key() {
        let refused = [
            (
                "[consensus]\nmax_block_txs = 0\n",
                "consensus.max_block_txs",
            ),
            (
                "[consensus]\nsync_serve_queue = 0\n",
                "consensus.sync_serve_queue",
            ),
            (
                "[consensus]\nsync_peer_burst_bytes = 1024\n",
                "consensus.sync_peer_burst_bytes",
            ),
            (
                "[consensus]\nsync_serve_queue_per_peer = 17\n",
                "consensus.sync_serve_queue_per_peer",
            ),
            (
                "[storage]\ntree_node_cache_entries = 16777217\n",
                "storage.tree_node_cache_entries",
            ),
            (
                "[rpc]\nauth_replay_cache_entries_per_did = 0\n",
                "rpc.auth_replay_cache_entries_per_did",
            ),
            (
                "[p2p.limits]\nmax_connections_per_ip = 0\n",
                "max_connections_per_ip",
            ),
            (
                "[storage]\ntree_node_cache_entries = 100000000\n",
                "storage.tree_node_cache_entries",
            ),
            (
                "[storage]\nmax_total_wal_bytes = 1048576\n",
                "storage.max_total_wal_bytes",
            ),
            ("[rpc]\nmax_connections = 0\n", "rpc.max_connections"),
            ("[state_sync]\nchunk_bytes = 0\n", "state_sync.chunk_bytes"),
            (
                "[state_sync]\nchunk_bytes = 8388609\n",
                "state_sync.chunk_bytes",
            ),
            (
                "[rpc]\nauth_replay_cache_entries_per_did = 100001\n",
                "rpc.auth_replay_cache_entries_per_did",
            ),
        ];
        for (section, key) in refused {
            let error = load_with(section).unwrap_err().to_string();
            assert!(error.contains(key), "{section}: {error}");
        }
        assert!(load_with("").is_ok());
    }

    #[test]
    fn p2p_listen_address_must_be_a_multiaddr() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("node.toml");
        std::fs::write(
            &path,
            "data_dir = \"d\"\nkey_file = \"k\"\ngenesis_file = \"g\"\n[p2p]\nlisten_address = \"x\"\n",
        )
        .unwrap();
        let error = NodeConfig::load(&path).unwrap_err().to_string();
        assert!(error.contains("p2p.listen_address"), "{error}");
    }

    #[test]
    fn tx_batch_delay_defaults_and_is_bounded_at_its_ceiling() {
        // The key follows `listen_address` in the `[p2p]` table `load_with` writes.
        let default = load_with("").unwrap();
        assert_eq!(default.p2p.tx_batch_delay_ms, DEFAULT_TX_BATCH_DELAY_MS);
        let ceiling = load_with(&format!("tx_batch_delay_ms = {MAX_TX_BATCH_DELAY_MS}\n")).unwrap();
        assert_eq!(ceiling.p2p.tx_batch_delay_ms, MAX_TX_BATCH_DELAY_MS);
        assert_eq!(
            load_with("tx_batch_delay_ms = 0\n")
                .unwrap()
                .p2p
                .tx_batch_delay_ms,
            0
        );
        let error = load_with(&format!(
            "tx_batch_delay_ms = {}\n",
            MAX_TX_BATCH_DELAY_MS + 1
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("p2p.tx_batch_delay_ms"), "{error}");
    }

    #[test]
    fn p2p_limits_validated_and_applied() {
        let error = load_with("[p2p.limits]\nmax_pending_incoming = 0\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_pending_incoming"), "{error}");
        let error = load_with("[p2p.limits]\nmax_connections = 2\nmax_connections_per_peer = 3\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("max_connections_per_peer"), "{error}");
        let config = load_with("[p2p.limits]\nmax_connections_per_ip = 3\n").unwrap();
        let mut network = crate::network::NetworkConfig::new([0; 32], libp2p::Multiaddr::empty());
        config.p2p.limits.apply(&mut network);
        assert_eq!(network.max_connections_per_ip, 3);
    }
}
