//! Why a transaction is not admitted, and why one is evicted.

use super::GroupKey;

/// Whose fair share a refusal is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareScope {
    /// One signer.
    Signer([u8; 32]),
    /// A group of signers (the node groups by province; `None` is the group of signers without
    /// one).
    Group(GroupKey),
}

impl std::fmt::Display for ShareScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShareScope::Signer(key) => write!(f, "signer {}", hex::encode(key)),
            ShareScope::Group(Some(group)) => write!(f, "province {group}"),
            ShareScope::Group(None) => f.write_str("the signers without a province"),
        }
    }
}

/// Why a transaction was not admitted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MempoolError {
    /// The same transaction is already waiting.
    #[error("transaction {} is already in the mempool", hex::encode(.0))]
    Duplicate([u8; 32]),
    /// The pool is at its transaction-count limit and no heavier signer could make room.
    #[error("mempool full: {count} transactions held, limit {limit}")]
    FullCount {
        /// Transactions held.
        count: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The pool is at its byte limit and no heavier signer could make room.
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
    /// The pool is nearly full and this signer or its group would hold more than its fair share.
    #[error(
        "mempool nearly full: {scope} holds {held_txs} transactions and {held_bytes} bytes; \
         its fair share among {active} is {share_txs} transactions and {share_bytes} bytes"
    )]
    OverFairShare {
        /// The signer or group over its share.
        scope: ShareScope,
        /// Transactions it holds.
        held_txs: usize,
        /// Bytes it holds.
        held_bytes: usize,
        /// Signers (or groups) holding transactions, this one included.
        active: usize,
        /// Its share of `max_txs`.
        share_txs: usize,
        /// Its share of `max_bytes`.
        share_bytes: usize,
    },
    /// The signer already has as many transactions waiting behind a nonce gap as allowed.
    #[error(
        "signer already has {count} transactions waiting behind the missing nonce {missing} \
         (limit {limit}); submit nonce {missing} first"
    )]
    TooManyGapped {
        /// Transactions waiting behind the gap.
        count: usize,
        /// The configured limit.
        limit: usize,
        /// The first nonce missing.
        missing: u64,
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
    /// The expiry height lies further ahead than the pool accepts.
    #[error(
        "expiry height {expiry_height} is more than {max_expiry_blocks} blocks past the \
         committed height {height}; use an expiry height of at most {}",
        latest_expiry(.height, .max_expiry_blocks)
    )]
    ExpiryTooFar {
        /// The transaction's expiry height.
        expiry_height: u64,
        /// The committed height.
        height: u64,
        /// The configured bound.
        max_expiry_blocks: u64,
    },
}

fn latest_expiry(height: &u64, max_expiry_blocks: &u64) -> u64 {
    height.saturating_add(*max_expiry_blocks)
}

impl MempoolError {
    /// Whether the refusal is about room (the submitter may retry the same transaction later),
    /// not about the transaction.
    pub fn is_full(&self) -> bool {
        matches!(
            self,
            MempoolError::FullCount { .. }
                | MempoolError::FullBytes { .. }
                | MempoolError::SignerFull { .. }
                | MempoolError::OverFairShare { .. }
        )
    }
}

/// Why a waiting transaction left the pool without being included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum EvictReason {
    /// The chain passed its expiry height.
    Expired,
    /// Its nonce was used by another committed transaction.
    StaleNonce,
    /// It waited `max_lifetime_blocks`.
    LifetimeBlocks,
    /// It waited `max_lifetime_ms`.
    LifetimeTime,
    /// It waited behind a nonce gap for `max_gapped_age_ms`.
    GapAge,
    /// A signer within its fair share needed the room in a full pool.
    Displaced,
}

impl EvictReason {
    /// A short stable name, for logs and status messages.
    pub fn label(self) -> &'static str {
        match self {
            EvictReason::Expired => "expired",
            EvictReason::StaleNonce => "stale nonce",
            EvictReason::LifetimeBlocks => "lifetime in blocks reached",
            EvictReason::LifetimeTime => "lifetime in time reached",
            EvictReason::GapAge => "waited too long behind a nonce gap",
            EvictReason::Displaced => "displaced by a signer within its fair share",
        }
    }
}

/// Evictions by reason since the pool was created.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EvictionCounts {
    /// [`EvictReason::Expired`].
    pub expired: u64,
    /// [`EvictReason::StaleNonce`].
    pub stale_nonce: u64,
    /// [`EvictReason::LifetimeBlocks`] and [`EvictReason::LifetimeTime`].
    pub lifetime: u64,
    /// [`EvictReason::GapAge`].
    pub gap_age: u64,
    /// [`EvictReason::Displaced`].
    pub displaced: u64,
}

impl EvictionCounts {
    pub(super) fn add(&mut self, reason: EvictReason) {
        let counter = match reason {
            EvictReason::Expired => &mut self.expired,
            EvictReason::StaleNonce => &mut self.stale_nonce,
            EvictReason::LifetimeBlocks | EvictReason::LifetimeTime => &mut self.lifetime,
            EvictReason::GapAge => &mut self.gap_age,
            EvictReason::Displaced => &mut self.displaced,
        };
        *counter = counter.saturating_add(1);
    }
}
