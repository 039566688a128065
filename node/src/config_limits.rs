//! Startup validation of the `[consensus]` and `[storage]` sections: every value zero or absurd
//! is refused with the key's name and its allowed range. Each section has one `validate()`,
//! called by [`crate::config::NodeConfig::validate`] when the file is loaded.

use crate::config::{ConsensusSection, StorageSection};

/// Ceiling of the round timeouts (ten minutes).
pub const MAX_ROUND_TIMEOUT_MS: u64 = 600_000;
/// Ceiling of `max_clock_drift_ms` (one hour).
pub const MAX_CLOCK_DRIFT_MS: u64 = 3_600_000;
/// Ceiling of the leader's waits (`empty_block_delay_ms`, `min_block_interval_ms`).
pub const MAX_LEADER_WAIT_MS: u64 = 60_000;
/// Ceiling of `[storage] tree_node_cache_entries` (about 16 GiB of decoded nodes).
pub const MAX_TREE_NODE_CACHE_ENTRIES: u64 = 16 * 1024 * 1024;
/// Floor of `[storage] max_total_wal_bytes`: one memtable's worth (below it every write would
/// flush a table).
pub const MIN_TOTAL_WAL_BYTES: u64 = 32 * 1024 * 1024;
/// Ceiling of `[storage] max_total_wal_bytes` (64 GiB).
pub const MAX_TOTAL_WAL_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// Ceiling of `[storage] keep_versions`.
pub const MAX_KEEP_VERSIONS: u64 = 1_000_000_000;

fn range(key: &str, value: u64, min: u64, max: u64) -> Result<(), String> {
    if value < min || value > max {
        return Err(format!(
            "{key} = {value} is out of range (must be between {min} and {max})"
        ));
    }
    Ok(())
}

impl ConsensusSection {
    /// Refuse zero, absurd and inconsistent values, naming the key and its range (the sync
    /// serving settings included).
    pub fn validate(&self) -> Result<(), String> {
        validate_consensus(self)?;
        self.sync_serve_config()
            .validate(crate::network::DEFAULT_MAX_MESSAGE_BYTES)
            .map_err(|e| e.to_string())
    }
}

impl StorageSection {
    /// Refuse zero and absurd values, naming the key and its range.
    pub fn validate(&self) -> Result<(), String> {
        validate_storage(self)
    }
}

fn validate_consensus(c: &ConsensusSection) -> Result<(), String> {
    range(
        "consensus.round_timeout_base_ms",
        c.round_timeout_base_ms,
        1,
        MAX_ROUND_TIMEOUT_MS,
    )?;
    range(
        "consensus.round_timeout_max_ms",
        c.round_timeout_max_ms,
        c.round_timeout_base_ms,
        MAX_ROUND_TIMEOUT_MS,
    )?;
    range(
        "consensus.max_payload_bytes",
        c.max_payload_bytes as u64,
        1,
        u64::MAX,
    )?;
    range(
        "consensus.max_block_txs",
        c.max_block_txs as u64,
        1,
        yrd_contracts::limits::MAX_BLOCK_TXS as u64,
    )?;
    range(
        "consensus.max_clock_drift_ms",
        c.max_clock_drift_ms,
        1,
        MAX_CLOCK_DRIFT_MS,
    )?;
    range(
        "consensus.empty_block_delay_ms",
        c.empty_block_delay_ms,
        0,
        MAX_LEADER_WAIT_MS,
    )?;
    range(
        "consensus.min_block_interval_ms",
        c.min_block_interval_ms,
        0,
        MAX_LEADER_WAIT_MS,
    )?;
    Ok(())
}

/// `tree_node_cache_entries = 0` disables the cache (documented); larger than the ceiling would
/// reserve more memory than a node has.
fn validate_storage(s: &StorageSection) -> Result<(), String> {
    range(
        "storage.keep_versions",
        s.keep_versions,
        1,
        MAX_KEEP_VERSIONS,
    )?;
    range(
        "storage.tree_node_cache_entries",
        s.tree_node_cache_entries,
        0,
        MAX_TREE_NODE_CACHE_ENTRIES,
    )?;
    range(
        "storage.max_total_wal_bytes",
        s.max_total_wal_bytes,
        MIN_TOTAL_WAL_BYTES,
        MAX_TOTAL_WAL_BYTES,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(ConsensusSection::default().validate(), Ok(()));
        assert_eq!(StorageSection::default().validate(), Ok(()));
    }

    #[test]
    fn consensus_zero_and_absurd_refused_at_the_edge() {
        let base = ConsensusSection::default();
        let zero = ConsensusSection {
            round_timeout_base_ms: 0,
            ..base
        };
        let error = validate_consensus(&zero).unwrap_err();
        assert!(error.contains("round_timeout_base_ms = 0"), "{error}");
        let max_below_base = ConsensusSection {
            round_timeout_max_ms: base.round_timeout_base_ms - 1,
            ..base
        };
        assert!(validate_consensus(&max_below_base).is_err());
        let edge = ConsensusSection {
            max_block_txs: yrd_contracts::limits::MAX_BLOCK_TXS,
            ..base
        };
        assert_eq!(validate_consensus(&edge), Ok(()));
        let beyond = ConsensusSection {
            max_block_txs: yrd_contracts::limits::MAX_BLOCK_TXS + 1,
            ..base
        };
        assert!(
            validate_consensus(&beyond)
                .unwrap_err()
                .contains("max_block_txs")
        );
        let no_txs = ConsensusSection {
            max_block_txs: 0,
            ..base
        };
        assert!(validate_consensus(&no_txs).is_err());
    }

    #[test]
    fn storage_cache_and_window_bounded() {
        let base = StorageSection::default();
        let off = StorageSection {
            tree_node_cache_entries: 0,
            ..base
        };
        assert_eq!(validate_storage(&off), Ok(()), "0 disables the cache");
        let edge = StorageSection {
            tree_node_cache_entries: MAX_TREE_NODE_CACHE_ENTRIES,
            ..base
        };
        assert_eq!(validate_storage(&edge), Ok(()));
        let absurd = StorageSection {
            tree_node_cache_entries: MAX_TREE_NODE_CACHE_ENTRIES + 1,
            ..base
        };
        let error = validate_storage(&absurd).unwrap_err();
        assert!(error.contains("storage.tree_node_cache_entries"), "{error}");
        let nothing_kept = StorageSection {
            keep_versions: 0,
            ..base
        };
        assert!(validate_storage(&nothing_kept).is_err());
        for (wal, ok) in [
            (MIN_TOTAL_WAL_BYTES - 1, false),
            (MIN_TOTAL_WAL_BYTES, true),
            (MAX_TOTAL_WAL_BYTES, true),
            (MAX_TOTAL_WAL_BYTES + 1, false),
        ] {
            let section = StorageSection {
                max_total_wal_bytes: wal,
                ..base
            };
            let outcome = validate_storage(&section);
            assert_eq!(outcome.is_ok(), ok, "{wal}: {outcome:?}");
            if let Err(error) = outcome {
                assert!(error.contains("storage.max_total_wal_bytes"), "{error}");
            }
        }
    }
}
