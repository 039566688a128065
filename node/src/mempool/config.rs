//! `[mempool]`: the pool's limits, with their startup validation.

/// Limits of the mempool. Every one of them is reached in tests; [`MempoolConfig::validate`]
/// refuses zero, absurd and inconsistent values at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most transactions held at once.
    pub max_txs: usize,
    /// Most bytes (sum of canonical encodings) held at once.
    pub max_bytes: usize,
    /// Most transactions held for one signer (caps what one key can crowd out).
    pub max_txs_per_signer: usize,
    /// How far ahead of the signer's next nonce a transaction may be and still be held.
    pub max_nonce_gap: u64,
    /// Most transactions of one signer held behind a nonce gap (not proposable until the missing
    /// nonce arrives); more are refused.
    pub max_gapped_txs_per_signer: usize,
    /// Milliseconds (wall time, as the node reads it) a transaction may wait behind a nonce gap
    /// before it is evicted.
    ///
    /// Wall time only, never blocks: the missing nonce is often held by another node (a client
    /// spreading its nonces over several nodes, gossip arriving out of order, a node restarting),
    /// and blocks can pass a hundred in a few seconds. A block bound would evict a transaction
    /// that an honest pool elsewhere is about to complete, at every node at once, and every later
    /// nonce of the signer would follow it. The default lies well above a node's restart time.
    pub max_gapped_age_ms: u64,
    /// Blocks any transaction may wait before it is evicted, whatever its expiry height.
    pub max_lifetime_blocks: u64,
    /// Milliseconds (wall time) any transaction may wait before it is evicted.
    pub max_lifetime_ms: u64,
    /// Furthest a transaction's expiry height may lie past the committed height at admission;
    /// a later expiry is refused.
    pub max_expiry_blocks: u64,
    /// Occupancy (percent of `max_txs` or of `max_bytes`) from which fair shares apply: a signer,
    /// or a group of signers (a province), that would then hold more than its fair share is
    /// refused. A full pool makes room for a signer within its share by evicting the newest
    /// transaction of the heaviest signer of the heaviest group.
    pub fair_share_from_percent: u8,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 50_000,
            max_bytes: 64 * 1024 * 1024,
            max_txs_per_signer: 1_000,
            max_nonce_gap: 1_000,
            max_gapped_txs_per_signer: 64,
            max_gapped_age_ms: 2 * 60 * 1_000,
            max_lifetime_blocks: 1_800,
            max_lifetime_ms: 30 * 60 * 1_000,
            max_expiry_blocks: 100_000,
            fair_share_from_percent: 75,
        }
    }
}

/// Ceiling of `max_txs` and of the per-signer counts.
pub const MAX_TXS_CEILING: usize = 10_000_000;
/// Ceiling of `max_bytes`.
pub const MAX_BYTES_CEILING: usize = 16 * 1024 * 1024 * 1024;
/// Floor of `max_bytes`: the largest transaction the ledger allows must fit.
pub const MIN_BYTES_FLOOR: usize = yrd_contracts::limits::MAX_TX_BYTES_CEILING as usize;
/// Ceiling of the block-count bounds (`max_nonce_gap`,
/// `max_lifetime_blocks`, `max_expiry_blocks`).
pub const MAX_BLOCKS_CEILING: u64 = 10_000_000;
/// Ceiling of the wall-time bounds (one week).
pub const MAX_MS_CEILING: u64 = 7 * 24 * 3_600 * 1_000;

/// Why a `[mempool]` section is refused at startup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolConfigError {
    /// A limit is outside its allowed range.
    #[error("mempool.{key} = {value} is out of range (must be between {min} and {max})")]
    OutOfRange {
        /// The key.
        key: &'static str,
        /// Its value.
        value: u64,
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// A narrower limit exceeds the wider one it lives in.
    #[error("mempool.{narrow} = {narrow_value} exceeds mempool.{wide} = {wide_value}")]
    Inconsistent {
        /// The narrower key.
        narrow: &'static str,
        /// Its value.
        narrow_value: u64,
        /// The wider key.
        wide: &'static str,
        /// Its value.
        wide_value: u64,
    },
}

fn range(key: &'static str, value: u64, min: u64, max: u64) -> Result<(), MempoolConfigError> {
    if value < min || value > max {
        return Err(MempoolConfigError::OutOfRange {
            key,
            value,
            min,
            max,
        });
    }
    Ok(())
}

fn within(
    narrow: (&'static str, u64),
    wide: (&'static str, u64),
) -> Result<(), MempoolConfigError> {
    if narrow.1 > wide.1 {
        return Err(MempoolConfigError::Inconsistent {
            narrow: narrow.0,
            narrow_value: narrow.1,
            wide: wide.0,
            wide_value: wide.1,
        });
    }
    Ok(())
}

fn n(value: usize) -> u64 {
    u64::try_from(value).unwrap_or(u64::MAX)
}

impl MempoolConfig {
    /// Refuse zero, absurd and inconsistent limits, naming the key.
    pub fn validate(&self) -> Result<(), MempoolConfigError> {
        range("max_txs", n(self.max_txs), 1, n(MAX_TXS_CEILING))?;
        range(
            "max_bytes",
            n(self.max_bytes),
            n(MIN_BYTES_FLOOR),
            n(MAX_BYTES_CEILING),
        )?;
        range(
            "max_txs_per_signer",
            n(self.max_txs_per_signer),
            1,
            n(MAX_TXS_CEILING),
        )?;
        range("max_nonce_gap", self.max_nonce_gap, 0, MAX_BLOCKS_CEILING)?;
        range(
            "max_gapped_txs_per_signer",
            n(self.max_gapped_txs_per_signer),
            0,
            n(MAX_TXS_CEILING),
        )?;
        range(
            "max_gapped_age_ms",
            self.max_gapped_age_ms,
            1,
            MAX_MS_CEILING,
        )?;
        range(
            "max_lifetime_blocks",
            self.max_lifetime_blocks,
            1,
            MAX_BLOCKS_CEILING,
        )?;
        range("max_lifetime_ms", self.max_lifetime_ms, 1, MAX_MS_CEILING)?;
        range(
            "max_expiry_blocks",
            self.max_expiry_blocks,
            1,
            MAX_BLOCKS_CEILING,
        )?;
        range(
            "fair_share_from_percent",
            u64::from(self.fair_share_from_percent),
            1,
            100,
        )?;
        within(
            ("max_txs_per_signer", n(self.max_txs_per_signer)),
            ("max_txs", n(self.max_txs)),
        )?;
        within(
            (
                "max_gapped_txs_per_signer",
                n(self.max_gapped_txs_per_signer),
            ),
            ("max_txs_per_signer", n(self.max_txs_per_signer)),
        )?;
        within(
            ("max_gapped_age_ms", self.max_gapped_age_ms),
            ("max_lifetime_ms", self.max_lifetime_ms),
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_key(config: MempoolConfig) -> &'static str {
        match config.validate() {
            Err(MempoolConfigError::OutOfRange { key, .. }) => key,
            Err(MempoolConfigError::Inconsistent { narrow, .. }) => narrow,
            Ok(()) => "accepted",
        }
    }

    #[test]
    fn defaults_are_valid() {
        assert_eq!(MempoolConfig::default().validate(), Ok(()));
    }

    #[test]
    fn every_range_refused_just_past_its_edge_and_accepted_at_it() {
        let base = MempoolConfig::default();
        let cases: Vec<(&str, MempoolConfig, MempoolConfig)> = vec![
            (
                "max_txs",
                MempoolConfig { max_txs: 0, ..base },
                MempoolConfig {
                    max_txs: MAX_TXS_CEILING,
                    ..base
                },
            ),
            (
                "max_bytes",
                MempoolConfig {
                    max_bytes: MIN_BYTES_FLOOR - 1,
                    ..base
                },
                MempoolConfig {
                    max_bytes: MIN_BYTES_FLOOR,
                    ..base
                },
            ),
            (
                "max_bytes",
                MempoolConfig {
                    max_bytes: MAX_BYTES_CEILING + 1,
                    ..base
                },
                MempoolConfig {
                    max_bytes: MAX_BYTES_CEILING,
                    ..base
                },
            ),
            (
                "max_txs_per_signer",
                MempoolConfig {
                    max_txs_per_signer: 0,
                    max_gapped_txs_per_signer: 0,
                    ..base
                },
                MempoolConfig {
                    max_txs_per_signer: 1,
                    max_gapped_txs_per_signer: 0,
                    ..base
                },
            ),
            (
                "max_nonce_gap",
                MempoolConfig {
                    max_nonce_gap: MAX_BLOCKS_CEILING + 1,
                    ..base
                },
                MempoolConfig {
                    max_nonce_gap: 0,
                    ..base
                },
            ),
            (
                "max_gapped_age_ms",
                MempoolConfig {
                    max_gapped_age_ms: 0,
                    ..base
                },
                MempoolConfig {
                    max_gapped_age_ms: 1,
                    ..base
                },
            ),
            (
                "max_lifetime_blocks",
                MempoolConfig {
                    max_lifetime_blocks: MAX_BLOCKS_CEILING + 1,
                    ..base
                },
                MempoolConfig {
                    max_lifetime_blocks: MAX_BLOCKS_CEILING,
                    ..base
                },
            ),
            (
                "max_lifetime_ms",
                MempoolConfig {
                    max_lifetime_ms: MAX_MS_CEILING + 1,
                    ..base
                },
                MempoolConfig {
                    max_lifetime_ms: MAX_MS_CEILING,
                    ..base
                },
            ),
            (
                "max_expiry_blocks",
                MempoolConfig {
                    max_expiry_blocks: 0,
                    ..base
                },
                MempoolConfig {
                    max_expiry_blocks: 1,
                    ..base
                },
            ),
            (
                "fair_share_from_percent",
                MempoolConfig {
                    fair_share_from_percent: 101,
                    ..base
                },
                MempoolConfig {
                    fair_share_from_percent: 100,
                    ..base
                },
            ),
            (
                "fair_share_from_percent",
                MempoolConfig {
                    fair_share_from_percent: 0,
                    ..base
                },
                MempoolConfig {
                    fair_share_from_percent: 1,
                    ..base
                },
            ),
        ];
        for (key, refused, accepted) in cases {
            assert_eq!(refused_key(refused), key, "{key} past its edge");
            assert_eq!(accepted.validate(), Ok(()), "{key} at its edge");
        }
    }

    #[test]
    fn narrower_limit_above_wider_refused() {
        let base = MempoolConfig::default();
        assert_eq!(
            refused_key(MempoolConfig {
                max_txs_per_signer: base.max_txs + 1,
                ..base
            }),
            "max_txs_per_signer"
        );
        assert_eq!(
            refused_key(MempoolConfig {
                max_gapped_txs_per_signer: base.max_txs_per_signer + 1,
                ..base
            }),
            "max_gapped_txs_per_signer"
        );
        assert_eq!(
            refused_key(MempoolConfig {
                max_gapped_age_ms: base.max_lifetime_ms + 1,
                ..base
            }),
            "max_gapped_age_ms"
        );
        // Equal is fine.
        let equal = MempoolConfig {
            max_txs_per_signer: base.max_txs,
            max_gapped_txs_per_signer: base.max_txs,
            max_gapped_age_ms: base.max_lifetime_ms,
            ..base
        };
        assert_eq!(equal.validate(), Ok(()));
    }

    #[test]
    fn error_names_the_key_and_range() {
        let error = MempoolConfig {
            max_expiry_blocks: 0,
            ..MempoolConfig::default()
        }
        .validate()
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("mempool.max_expiry_blocks = 0") && error.contains("between 1 and"),
            "{error}"
        );
    }
}
