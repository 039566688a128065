//! Why a transaction is not admitted, and why one is evicted.

/// Why a transaction was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The same transaction is already waiting.
    #[error("transaction {} is already in the mempool", hex::encode(.0))]
    Duplicate([u8; 32]),
    /// The pool is at its transaction-count limit.
    #[error("mempool full: {count} transactions held, limit {limit}")]
    FullCount {
        /// Transactions held.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The pool is at its byte limit.
    #[error("mempool full: {bytes} bytes held, adding {adding} would pass the limit {limit}")]
    FullBytes {
        /// Bytes held.
        bytes: usize,
        /// Size of the refused transaction.
        adding: usize,
        /// The configured limit.
        limit: usize,
    },
    /// This signer already has as many transactions waiting as allowed.
    #[error("signer {} already has {count} transactions waiting (limit {limit})", hex::encode(.signer))]
    SignerFull {
        /// The signer.
        signer: [u8; 32],
        /// Transactions it has waiting.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// This signer already has as many bytes waiting as allowed.
    #[error("signer {} already has {bytes} bytes waiting; adding {adding} would pass its limit {limit}", hex::encode(.signer))]
    SignerBytesFull {
        /// The signer.
        signer: [u8; 32],
        /// Bytes it has waiting.
        bytes: usize,
        /// Size of the refused transaction.
        adding: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The signer's province (or the bucket of signers without one) holds its share of the pool.
    #[error("province {} already has {count} transactions waiting (limit {limit})", province_name(.province))]
    ProvinceFull {
        /// The province, or `None` for signers without one.
        province: Option<u32>,
        /// Transactions it has waiting.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The signer's province holds its share of the pool's bytes.
    #[error("province {} already has {bytes} bytes waiting; adding {adding} would pass its limit {limit}", province_name(.province))]
    ProvinceBytesFull {
        /// The province, or `None` for signers without one.
        province: Option<u32>,
        /// Bytes it has waiting.
        bytes: usize,
        /// Size of the refused transaction.
        adding: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The nonce was already used on chain.
    #[error("nonce {nonce} is stale: the signer's next nonce is {next}")]
    NonceTooLow {
        /// The transaction's nonce.
        nonce: u64,
        /// The signer's next nonce on chain.
        next: u64,
    },
    /// The nonce is too far ahead of the signer's next nonce.
    #[error("nonce {nonce} is more than {max_gap} ahead of the signer's next nonce {next}")]
    NonceTooHigh {
        /// The transaction's nonce.
        nonce: u64,
        /// The signer's next nonce on chain.
        next: u64,
        /// The configured gap limit.
        max_gap: u64,
    },
    /// The signer already has as many transactions waiting behind a nonce gap as allowed.
    #[error(
        "signer already has {count} transactions waiting behind a nonce gap (limit {limit}); submit the missing nonce {missing} first"
    )]
    TooManyGapped {
        /// Gapped transactions it has waiting.
        count: usize,
        /// The configured limit.
        limit: usize,
        /// The first nonce missing.
        missing: u64,
    },
    /// Another waiting transaction of this signer uses the same nonce.
    #[error("another transaction of this signer with nonce {nonce} is already waiting")]
    NonceTaken {
        /// The contested nonce.
        nonce: u64,
    },
    /// The transaction expired before it could be included.
    #[error("transaction expired at height {expiry_height}; the chain is at {height}")]
    Expired {
        /// The transaction's expiry height.
        expiry_height: u64,
        /// The current height.
        height: u64,
    },
    /// The expiry lies further ahead than the pool holds transactions for.
    #[error("expiry height {expiry_height} is more than {max_ahead} blocks after the committed height {height}; choose an expiry at most {}", .height.saturating_add(*.max_ahead))]
    ExpiryTooFar {
        /// The transaction's expiry height.
        expiry_height: u64,
        /// The committed height.
        height: u64,
        /// The configured bound.
        max_ahead: u64,
    },
}

fn province_name(province: &Option<u32>) -> String {
    match province {
        Some(code) => code.to_string(),
        None => "(none: unregistered signers)".to_owned(),
    }
}

/// Why a transaction left the pool without being included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvictReason {
    /// A committed block used its nonce.
    StaleNonce,
    /// The chain passed its expiry height.
    Expired,
    /// It waited `max_lifetime_blocks`.
    LifetimeBlocks,
    /// It waited `max_lifetime_ms`.
    LifetimeTime,
    /// It waited `max_gapped_age_blocks` behind a nonce gap.
    GapAge,
}

impl EvictReason {
    /// Every reason, for exporting counters.
    pub const ALL: [EvictReason; 5] = [
        EvictReason::StaleNonce,
        EvictReason::Expired,
        EvictReason::LifetimeBlocks,
        EvictReason::LifetimeTime,
        EvictReason::GapAge,
    ];

    /// A stable label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            EvictReason::StaleNonce => "stale_nonce",
            EvictReason::Expired => "expired",
            EvictReason::LifetimeBlocks => "lifetime_blocks",
            EvictReason::LifetimeTime => "lifetime_time",
            EvictReason::GapAge => "gap_age",
        }
    }
}

/// Evictions counted by reason since the pool was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvictionCounts {
    counts: [u64; 5],
}

impl EvictionCounts {
    /// Count one eviction.
    pub fn add(&mut self, reason: EvictReason) {
        if let Some(c) = self.counts.get_mut(reason as usize) {
            *c = c.saturating_add(1);
        }
    }

    /// Evictions for `reason`.
    pub fn get(&self, reason: EvictReason) -> u64 {
        self.counts.get(reason as usize).copied().unwrap_or(0)
    }
}
