//! The mempool: transactions waiting to be proposed.
//!
//! Bounded by count and by bytes, in total, per signer and per province (a signer's province is
//! its record's in the state; signers without one share a bucket); deduplicated by transaction
//! hash; transactions whose nonce is ahead of their signer's next nonce are held back (not
//! proposable) until the gap closes, at most `max_gapped_txs_per_signer` of them per signer and
//! for at most `max_gapped_age_blocks`. Every transaction leaves after `max_lifetime_blocks` or
//! `max_lifetime_ms`, whichever comes first, or when the chain passes its expiry height, which at
//! admission may lie at most `max_expiry_ahead_blocks` ahead. Payloads are taken round-robin
//! across provinces and, within one, across signers ([`select`]), so one issuer flooding
//! cannot push others' transactions out of the next block.
//!
//! Signatures are checked *before* a transaction reaches this structure (see `node::ingress`), so
//! everything here is well-formed and authentic; whether it will *succeed* is decided only by
//! execution. The pool never reads a clock: the caller passes the height and the wall time.
//!
//! The pool is generic over [`PoolTx`] so that its bookkeeping is testable without the contracts'
//! transaction type.

mod config;
mod error;
pub mod province;
mod select;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};

pub use config::{
    MAX_BLOCKS_CEILING, MAX_BYTES_CEILING, MAX_LIFETIME_MS_CEILING, MAX_TXS_CEILING, MempoolConfig,
    MempoolConfigError,
};
pub use error::{EvictReason, EvictionCounts, MempoolError};

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

/// What the caller knows at admission: chain position, time and the signer's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The signer's next nonce in the latest committed state.
    pub next_nonce: u64,
    /// The latest committed height.
    pub height: u64,
    /// Wall time in ms, as the host read it.
    pub now_ms: u64,
    /// The signer's province from its state record, `None` if it has none.
    pub province: Option<u32>,
}

#[derive(Debug, Clone)]
struct Entry<T> {
    tx: T,
    arrival: u64,
    admitted_height: u64,
    admitted_ms: u64,
    province: Option<u32>,
}

/// Count and bytes held by one signer or one province.
#[derive(Debug, Clone, Copy, Default)]
struct Usage {
    count: usize,
    bytes: usize,
}

/// The pool itself. Not thread-safe by design: the node wraps it in a lock held only briefly.
#[derive(Debug)]
pub struct Mempool<T: PoolTx> {
    config: MempoolConfig,
    by_hash: BTreeMap<[u8; 32], Entry<T>>,
    /// Per signer: nonce → hash.
    by_signer: BTreeMap<[u8; 32], BTreeMap<u64, [u8; 32]>>,
    signer_usage: BTreeMap<[u8; 32], Usage>,
    province_usage: BTreeMap<Option<u32>, Usage>,
    /// Expiry height → hashes expiring there.
    by_expiry: BTreeMap<u64, BTreeSet<[u8; 32]>>,
    /// Arrival order → hash (admission heights and times grow with it).
    by_arrival: BTreeMap<u64, [u8; 32]>,
    bytes: usize,
    next_arrival: u64,
    /// Newest wall time seen, so admission times never go backwards with the clock.
    latest_ms: u64,
    evictions: EvictionCounts,
}

impl<T: PoolTx> Mempool<T> {
    /// An empty pool with these limits.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_hash: BTreeMap::new(),
            by_signer: BTreeMap::new(),
            signer_usage: BTreeMap::new(),
            province_usage: BTreeMap::new(),
            by_expiry: BTreeMap::new(),
            by_arrival: BTreeMap::new(),
            bytes: 0,
            next_arrival: 0,
            latest_ms: 0,
            evictions: EvictionCounts::default(),
        }
    }

    /// Transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// Bytes held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether a transaction with this hash is waiting.
    pub fn contains(&self, hash: &[u8; 32]) -> bool {
        self.by_hash.contains_key(hash)
    }

    /// The limits in force.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Evictions by reason since the pool was created.
    pub fn evictions(&self) -> EvictionCounts {
        self.evictions
    }

    /// Admit a transaction whose signature the caller has already verified.
    ///
    /// Transactions that outlived the pool's lifetime bounds at `at.now_ms` are evicted first.
    pub fn insert(&mut self, tx: T, at: Admission) -> Result<(), MempoolError> {
        self.evict_aged(at.height, at.now_ms);
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate(hash));
        }
        let height = at.height;
        if tx.expiry_height() <= height {
            return Err(MempoolError::Expired {
                expiry_height: tx.expiry_height(),
                height,
            });
        }
        if tx.expiry_height() - height > self.config.max_expiry_ahead_blocks {
            return Err(MempoolError::ExpiryTooFar {
                expiry_height: tx.expiry_height(),
                height,
                max_ahead: self.config.max_expiry_ahead_blocks,
            });
        }
        let nonce = tx.nonce();
        let next_nonce = at.next_nonce;
        if nonce < next_nonce {
            return Err(MempoolError::NonceTooLow {
                nonce,
                next: next_nonce,
            });
        }
        if nonce - next_nonce > self.config.max_nonce_gap {
            return Err(MempoolError::NonceTooHigh {
                nonce,
                next: next_nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        let signer = tx.signer();
        let size = tx.encoded_len();
        self.check_signer(&signer, nonce, next_nonce, size)?;
        if self.by_hash.len() >= self.config.max_txs {
            return Err(MempoolError::FullCount {
                count: self.by_hash.len(),
                limit: self.config.max_txs,
            });
        }
        if self.bytes.saturating_add(size) > self.config.max_bytes {
            return Err(MempoolError::FullBytes {
                bytes: self.bytes,
                adding: size,
                limit: self.config.max_bytes,
            });
        }
        self.check_province(at.province, size)?;
        self.by_signer
            .entry(signer)
            .or_default()
            .insert(nonce, hash);
        let usage = self.signer_usage.entry(signer).or_default();
        usage.count += 1;
        usage.bytes += size;
        let usage = self.province_usage.entry(at.province).or_default();
        usage.count += 1;
        usage.bytes += size;
        self.by_expiry
            .entry(tx.expiry_height())
            .or_default()
            .insert(hash);
        self.bytes += size;
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.by_arrival.insert(arrival, hash);
        self.latest_ms = self.latest_ms.max(at.now_ms);
        self.by_hash.insert(
            hash,
            Entry {
                tx,
                arrival,
                admitted_height: height,
                admitted_ms: self.latest_ms,
                province: at.province,
            },
        );
        Ok(())
    }

    /// The signer's own limits: nonce taken, count, bytes, and how many wait behind a gap.
    fn check_signer(
        &self,
        signer: &[u8; 32],
        nonce: u64,
        next_nonce: u64,
        size: usize,
    ) -> Result<(), MempoolError> {
        let Some(nonces) = self.by_signer.get(signer) else {
            return self.check_gapped(0, nonce, next_nonce);
        };
        if nonces.contains_key(&nonce) {
            return Err(MempoolError::NonceTaken { nonce });
        }
        if nonces.len() >= self.config.max_txs_per_signer {
            return Err(MempoolError::SignerFull {
                signer: *signer,
                count: nonces.len(),
                limit: self.config.max_txs_per_signer,
            });
        }
        let held = self.signer_usage.get(signer).map_or(0, |u| u.bytes);
        if held.saturating_add(size) > self.config.max_bytes_per_signer {
            return Err(MempoolError::SignerBytesFull {
                signer: *signer,
                bytes: held,
                adding: size,
                limit: self.config.max_bytes_per_signer,
            });
        }
        // The run of consecutive nonces from the next one is proposable; the rest waits on a gap.
        let missing = first_missing(nonces, next_nonce);
        if nonce <= missing {
            return Ok(());
        }
        let gapped = nonces.range(missing..).count();
        self.check_gapped(gapped, nonce, missing)
    }

    fn check_gapped(&self, gapped: usize, nonce: u64, missing: u64) -> Result<(), MempoolError> {
        if nonce > missing && gapped >= self.config.max_gapped_txs_per_signer {
            return Err(MempoolError::TooManyGapped {
                count: gapped,
                limit: self.config.max_gapped_txs_per_signer,
                missing,
            });
        }
        Ok(())
    }

    fn check_province(&self, province: Option<u32>, size: usize) -> Result<(), MempoolError> {
        let usage = self
            .province_usage
            .get(&province)
            .copied()
            .unwrap_or_default();
        if usage.count >= self.config.max_txs_per_province {
            return Err(MempoolError::ProvinceFull {
                province,
                count: usage.count,
                limit: self.config.max_txs_per_province,
            });
        }
        if usage.bytes.saturating_add(size) > self.config.max_bytes_per_province {
            return Err(MempoolError::ProvinceBytesFull {
                province,
                bytes: usage.bytes,
                adding: size,
                limit: self.config.max_bytes_per_province,
            });
        }
        Ok(())
    }

    /// Pick a proposal payload: transactions whose nonces continue their signer's next nonce
    /// without a gap, at most `max_txs` of them and `max_bytes` in total, round-robin across
    /// provinces and within each across signers (see [`select::round_robin`]).
    ///
    /// The transactions stay in the pool until [`Mempool::remove_committed`] sees them committed, so
    /// a proposal that fails to commit loses nothing.
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) -> Vec<T> {
        let mut runs = Vec::new();
        for (signer, nonces) in &self.by_signer {
            let mut expected = next_nonce(signer);
            let mut run = Vec::new();
            for (nonce, hash) in nonces.range(expected..) {
                if *nonce != expected {
                    break;
                }
                if let Some(entry) = self.by_hash.get(hash) {
                    run.push(select::Ready {
                        arrival: entry.arrival,
                        province: entry.province,
                        signer: *signer,
                        tx: &entry.tx,
                    });
                }
                expected = expected.saturating_add(1);
            }
            if !run.is_empty() {
                runs.push(run);
            }
        }
        select::round_robin(runs, max_txs, max_bytes)
    }

    /// Forget what a committed block settled: the transactions it included, any transaction whose
    /// nonce is now stale, every transaction that expired at or before `height`, those that
    /// outlived the lifetime bounds at `now_ms`, and those that waited too long behind a gap.
    ///
    /// `next_nonce` answers from the state after the block. Returns how many left the pool.
    pub fn remove_committed(
        &mut self,
        included: &[[u8; 32]],
        height: u64,
        now_ms: u64,
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) -> usize {
        let before = self.by_hash.len();
        let mut touched_signers = BTreeSet::new();
        for hash in included {
            if let Some(signer) = self.by_hash.get(hash).map(|e| e.tx.signer()) {
                touched_signers.insert(signer);
            }
            self.remove(hash);
        }
        for signer in touched_signers {
            let next = next_nonce(&signer);
            let stale: Vec<[u8; 32]> = self
                .by_signer
                .get(&signer)
                .map(|n| n.range(..next).map(|(_, h)| *h).collect())
                .unwrap_or_default();
            self.evict_all(&stale, EvictReason::StaleNonce);
        }
        let expired: Vec<[u8; 32]> = self
            .by_expiry
            .range(..=height)
            .flat_map(|(_, hashes)| hashes.iter().copied())
            .collect();
        self.evict_all(&expired, EvictReason::Expired);
        self.evict_aged(height, now_ms);
        self.evict_gapped(height, &next_nonce);
        before - self.by_hash.len()
    }

    /// Evict, oldest first, every transaction past `max_lifetime_blocks` or `max_lifetime_ms`.
    fn evict_aged(&mut self, height: u64, now_ms: u64) {
        while let Some((_, hash)) = self.by_arrival.first_key_value() {
            let hash = *hash;
            let Some(entry) = self.by_hash.get(&hash) else {
                self.by_arrival.pop_first();
                continue;
            };
            let reason = if height.saturating_sub(entry.admitted_height)
                >= self.config.max_lifetime_blocks
            {
                EvictReason::LifetimeBlocks
            } else if now_ms.saturating_sub(entry.admitted_ms) >= self.config.max_lifetime_ms {
                EvictReason::LifetimeTime
            } else {
                break;
            };
            self.evict_all(&[hash], reason);
        }
    }

    /// Evict transactions that have waited `max_gapped_age_blocks` or longer behind a nonce gap.
    /// Only transactions admitted that long ago are looked at (the oldest part of the pool).
    fn evict_gapped(&mut self, height: u64, next_nonce: &impl Fn(&[u8; 32]) -> u64) {
        let mut missing: BTreeMap<[u8; 32], u64> = BTreeMap::new();
        let mut gapped = Vec::new();
        for hash in self.by_arrival.values() {
            let Some(entry) = self.by_hash.get(hash) else {
                continue;
            };
            if height.saturating_sub(entry.admitted_height) < self.config.max_gapped_age_blocks {
                break;
            }
            let signer = entry.tx.signer();
            let first_missing = *missing.entry(signer).or_insert_with(|| {
                let next = next_nonce(&signer);
                self.by_signer
                    .get(&signer)
                    .map_or(next, |nonces| first_missing(nonces, next))
            });
            if entry.tx.nonce() > first_missing {
                gapped.push(*hash);
            }
        }
        self.evict_all(&gapped, EvictReason::GapAge);
    }

    fn evict_all(&mut self, hashes: &[[u8; 32]], reason: EvictReason) {
        for hash in hashes {
            if let Some(tx) = self.remove(hash) {
                self.evictions.add(reason);
                tracing::debug!(
                    tx = %hex::encode(hash),
                    signer = %hex::encode(tx.signer()),
                    nonce = tx.nonce(),
                    reason = reason.label(),
                    "mempool eviction"
                );
            }
        }
    }

    /// Remove one transaction, if held.
    pub fn remove(&mut self, hash: &[u8; 32]) -> Option<T> {
        let entry = self.by_hash.remove(hash)?;
        let tx = entry.tx;
        let size = tx.encoded_len();
        self.bytes -= size;
        self.by_arrival.remove(&entry.arrival);
        let signer = tx.signer();
        if let Some(nonces) = self.by_signer.get_mut(&signer) {
            nonces.remove(&tx.nonce());
            if nonces.is_empty() {
                self.by_signer.remove(&signer);
            }
        }
        release(&mut self.signer_usage, signer, size);
        release(&mut self.province_usage, entry.province, size);
        if let Some(hashes) = self.by_expiry.get_mut(&tx.expiry_height()) {
            hashes.remove(hash);
            if hashes.is_empty() {
                self.by_expiry.remove(&tx.expiry_height());
            }
        }
        Some(tx)
    }
}

/// The first nonce from `next` on that the signer has no transaction for: those below it (from
/// `next`) are proposable, those above it wait behind a gap.
fn first_missing(nonces: &BTreeMap<u64, [u8; 32]>, next: u64) -> u64 {
    let mut missing = next;
    for nonce in nonces.range(next..).map(|(n, _)| *n) {
        if nonce != missing {
            break;
        }
        missing = missing.saturating_add(1);
    }
    missing
}

fn release<K: Ord>(usage: &mut BTreeMap<K, Usage>, key: K, size: usize) {
    if let Some(u) = usage.get_mut(&key) {
        u.count = u.count.saturating_sub(1);
        u.bytes = u.bytes.saturating_sub(size);
        if u.count == 0 {
            usage.remove(&key);
        }
    }
}
