//! `[mempool]`: the pool's limits, with their startup validation.

/// Limits of the mempool. Every one of them is reached in tests.
///
/// A signer's *province* is the one its record in the state names (an issuer's or a member
/// authority's); signers without such a record share one bucket, so keys that are fresh or
/// unregistered cannot together take more than one province's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MempoolConfig {
    /// Most transactions held at once.
    pub max_txs: usize,
    /// Most bytes (sum of canonical encodings) held at once.
    pub max_bytes: usize,
    /// Most transactions held for one signer (caps what one key can crowd out).
    pub max_txs_per_signer: usize,
    /// Most bytes held for one signer.
    pub max_bytes_per_signer: usize,
    /// Most transactions held for the signers of one province (or for all signers without one).
    pub max_txs_per_province: usize,
    /// Most bytes held for the signers of one province (or for all signers without one).
    pub max_bytes_per_province: usize,
    /// How far ahead of the signer's next nonce a transaction may be and still be held.
    pub max_nonce_gap: u64,
    /// Most transactions of one signer held behind a nonce gap (not proposable until the gap
    /// closes); more are refused.
    pub max_gapped_txs_per_signer: usize,
    /// Blocks a transaction may wait behind a nonce gap before it is evicted.
    pub max_gapped_age_blocks: u64,
    /// Blocks any transaction may wait in the pool before it is evicted, whatever its expiry.
    pub max_lifetime_blocks: u64,
    /// Milliseconds any transaction may wait in the pool before it is evicted (wall time as the
    /// host reads it; checked on admission and on every commit).
    pub max_lifetime_ms: u64,
    /// Furthest a transaction's expiry height may lie ahead of the committed height at
    /// admission; a later expiry is refused.
    pub max_expiry_ahead_blocks: u64,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 50_000,
            max_bytes: 64 * 1024 * 1024,
            max_txs_per_signer: 1_000,
            max_bytes_per_signer: 4 * 1024 * 1024,
            max_txs_per_province: 10_000,
            max_bytes_per_province: 16 * 1024 * 1024,
            max_nonce_gap: 1_000,
            max_gapped_txs_per_signer: 64,
            max_gapped_age_blocks: 100,
            max_lifetime_blocks: 1_000,
            max_lifetime_ms: 10 * 60 * 1_000,
            max_expiry_ahead_blocks: 2_000,
        }
    }
}

/// Ceiling of `max_txs` (a pool this large would no longer fit a node's memory budget).
pub const MAX_TXS_CEILING: usize = 10_000_000;
/// Ceiling of `max_bytes`.
pub const MAX_BYTES_CEILING: usize = 16 * 1024 * 1024 * 1024;
/// Ceiling of the block-count bounds (`max_lifetime_blocks`, `max_gapped_age_blocks`,
/// `max_expiry_ahead_blocks`, `max_nonce_gap`).
pub const MAX_BLOCKS_CEILING: u64 = 10_000_000;
/// Ceiling of `max_lifetime_ms` (one week).
pub const MAX_LIFETIME_MS_CEILING: u64 = 7 * 24 * 3_600 * 1_000;

/// Why a `[mempool]` section is refused at startup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolConfigError {
    /// A limit is zero or beyond its ceiling.
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
    narrow: &'static str,
    narrow_value: u64,
    wide: &'static str,
    wide_value: u64,
) -> Result<(), MempoolConfigError> {
    if narrow_value > wide_value {
        return Err(MempoolConfigError::Inconsistent {
            narrow,
            narrow_value,
            wide,
            wide_value,
        });
    }
    Ok(())
}

impl MempoolConfig {
    /// Refuse zero, absurd and inconsistent limits.
    pub fn validate(&self) -> Result<(), MempoolConfigError> {
        let n = |v: usize| v as u64;
        range("max_txs", n(self.max_txs), 1, n(MAX_TXS_CEILING))?;
        range("max_bytes", n(self.max_bytes), 1, n(MAX_BYTES_CEILING))?;
        range(
            "max_txs_per_signer",
            n(self.max_txs_per_signer),
            1,
            n(MAX_TXS_CEILING),
        )?;
        range(
            "max_bytes_per_signer",
            n(self.max_bytes_per_signer),
            1,
            n(MAX_BYTES_CEILING),
        )?;
        range(
            "max_txs_per_province",
            n(self.max_txs_per_province),
            1,
            n(MAX_TXS_CEILING),
        )?;
        range(
            "max_bytes_per_province",
            n(self.max_bytes_per_province),
            1,
            n(MAX_BYTES_CEILING),
        )?;
        range("max_nonce_gap", self.max_nonce_gap, 0, MAX_BLOCKS_CEILING)?;
        range(
            "max_gapped_txs_per_signer",
            n(self.max_gapped_txs_per_signer),
            0,
            n(MAX_TXS_CEILING),
        )?;
        range(
            "max_gapped_age_blocks",
            self.max_gapped_age_blocks,
            1,
            MAX_BLOCKS_CEILING,
        )?;
        range(
            "max_lifetime_blocks",
            self.max_lifetime_blocks,
            1,
            MAX_BLOCKS_CEILING,
        )?;
        range(
            "max_lifetime_ms",
            self.max_lifetime_ms,
            1,
            MAX_LIFETIME_MS_CEILING,
        )?;
        range(
            "max_expiry_ahead_blocks",
            self.max_expiry_ahead_blocks,
            1,
            MAX_BLOCKS_CEILING,
        )?;
        within(
            "max_txs_per_signer",
            n(self.max_txs_per_signer),
            "max_txs_per_province",
            n(self.max_txs_per_province),
        )?;
        within(
            "max_txs_per_province",
            n(self.max_txs_per_province),
            "max_txs",
            n(self.max_txs),
        )?;
        within(
            "max_bytes_per_signer",
            n(self.max_bytes_per_signer),
            "max_bytes_per_province",
            n(self.max_bytes_per_province),
        )?;
        within(
            "max_bytes_per_province",
            n(self.max_bytes_per_province),
            "max_bytes",
            n(self.max_bytes),
        )?;
        within(
            "max_gapped_txs_per_signer",
            n(self.max_gapped_txs_per_signer),
            "max_txs_per_signer",
            n(self.max_txs_per_signer),
        )?;
        within(
            "max_gapped_age_blocks",
            self.max_gapped_age_blocks,
            "max_lifetime_blocks",
            self.max_lifetime_blocks,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(MempoolConfig::default().validate(), Ok(()));
    }

    #[test]
    fn zero_and_absurd_values_refused_at_the_edge() {
        let base = MempoolConfig::default();
        let zero = MempoolConfig {
            max_lifetime_ms: 0,
            ..base
        };
        assert!(matches!(
            zero.validate(),
            Err(MempoolConfigError::OutOfRange {
                key: "max_lifetime_ms",
                ..
            })
        ));
        let one = MempoolConfig {
            max_lifetime_ms: 1,
            ..base
        };
        assert_eq!(one.validate(), Ok(()));
        let at_ceiling = MempoolConfig {
            max_expiry_ahead_blocks: MAX_BLOCKS_CEILING,
            ..base
        };
        assert_eq!(at_ceiling.validate(), Ok(()));
        let absurd = MempoolConfig {
            max_expiry_ahead_blocks: MAX_BLOCKS_CEILING + 1,
            ..base
        };
        assert!(absurd.validate().is_err());
        let no_txs = MempoolConfig { max_txs: 0, ..base };
        assert!(no_txs.validate().is_err());
    }

    #[test]
    fn narrower_limit_above_wider_refused() {
        let base = MempoolConfig::default();
        let bad = MempoolConfig {
            max_txs_per_province: base.max_txs + 1,
            ..base
        };
        assert!(matches!(
            bad.validate(),
            Err(MempoolConfigError::Inconsistent {
                narrow: "max_txs_per_province",
                wide: "max_txs",
                ..
            })
        ));
        let equal = MempoolConfig {
            max_txs_per_province: base.max_txs,
            ..base
        };
        assert_eq!(equal.validate(), Ok(()));
    }
}
