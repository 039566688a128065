//! The mempool: transactions waiting to be proposed.
//!
//! Bounded by count and by bytes in total and per signer; deduplicated by transaction hash.
//! Transactions whose nonce is ahead of their signer's next nonce are held back (not proposable)
//! until the gap closes: at most `max_gapped_txs_per_signer` of them per signer, each for at most
//! `max_gapped_age_ms` of wall time (never counted in blocks: see [`MempoolConfig`]). Every transaction leaves after
//! `max_lifetime_blocks` or `max_lifetime_ms`, whichever comes first, or when the chain passes
//! its expiry height, which at admission may lie at most `max_expiry_blocks` ahead.
//!
//! Fair shares: each signer belongs to a group (the node passes its province). Once the pool is
//! more than `fair_share_from_percent` full, a signer or group that would hold more than its
//! share (the limit divided by the signers, or groups, holding transactions) is refused, and a
//! full pool makes room for a signer within its share by evicting the newest transaction of the
//! heaviest signer of the heaviest group. Payloads are taken round-robin across groups and,
//! within one, across signers ([`Mempool::select`]), so one issuer flooding cannot push others'
//! transactions out of the pool or out of the next block.
//!
//! Signatures are checked *before* a transaction reaches this structure (see `host::ingress`), so
//! everything here is well-formed and authentic; whether it will *succeed* is decided only by
//! execution. The pool never reads a clock: the caller passes the height and the wall time.
//!
//! The pool is generic over [`PoolTx`] so that its bookkeeping is testable without the contracts'
//! transaction type. Every operation is O(log n) per transaction it admits, removes or chooses.

mod config;
mod error;
mod pool;
mod select;
mod shares;
#[cfg(test)]
mod tests;

pub use config::{
    MAX_BLOCKS_CEILING, MAX_BYTES_CEILING, MAX_MS_CEILING, MAX_TXS_CEILING, MIN_BYTES_FLOOR,
    MempoolConfig, MempoolConfigError,
};
pub use error::{EvictReason, EvictionCounts, MempoolError, ShareScope};
pub use pool::{Admission, Commit, MAX_DISPLACED_PER_ADMISSION, MAX_EVICTION_LOG, Mempool};

/// A signer's group for fair shares: the node passes the signer's province; `None` is the one
/// group of all signers without a province.
pub type GroupKey = Option<u32>;

/// What the mempool needs to know about a transaction.
pub trait PoolTx: Clone {
    /// The transaction hash (blake3 over its canonical bytes).
    fn hash(&self) -> [u8; 32];
    /// The signer's public key.
    fn signer(&self) -> [u8; 32];
    /// The signer's nonce this transaction uses.
    fn nonce(&self) -> u64;
    /// The last height at which this transaction may be included.
    fn expiry_height(&self) -> u64;
    /// Size of the canonical encoding in bytes.
    fn encoded_len(&self) -> usize;
}
