//! The pool's bookkeeping: admission, removal, eviction by age and by gap, and making room for a
//! signer within its fair share.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::error::{EvictReason, EvictionCounts, MempoolError, ShareScope};
use super::shares::{Dimension, Loads, Usage};
use super::{GroupKey, MempoolConfig, PoolTx};

/// Most transactions one admission may displace from a full pool (a large transaction may need
/// several small ones to go). Past it the admission is refused as full.
pub const MAX_DISPLACED_PER_ADMISSION: usize = 64;

/// Most evictions remembered for [`Mempool::take_evicted`] (oldest forgotten first).
pub const MAX_EVICTION_LOG: usize = 4_096;

/// What the caller knows at admission: chain position, wall time and the signer's group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Admission {
    /// The signer's next nonce in the latest committed state.
    pub next_nonce: u64,
    /// The latest committed height.
    pub height: u64,
    /// Wall time in ms, as the node read it (the pool never reads a clock).
    pub now_ms: u64,
    /// The signer's group for fair shares (the node passes its province). A signer keeps the
    /// group of its first waiting transaction until it has none left.
    pub group: GroupKey,
}

/// A committed block, as the pool needs to know it.
#[derive(Debug, Clone, Copy)]
pub struct Commit<'a> {
    /// Hashes of the block's transactions.
    pub included: &'a [[u8; 32]],
    /// Their signers (whose next nonces moved).
    pub signers: &'a [[u8; 32]],
    /// The block's height.
    pub height: u64,
    /// Wall time in ms, as the node read it.
    pub now_ms: u64,
}

/// A moment on the pool's clock. `seq` orders stamps; heights and times grow with it.
#[derive(Debug, Clone, Copy)]
pub(super) struct Stamp {
    pub seq: u64,
    pub height: u64,
    pub ms: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Entry<T> {
    pub tx: T,
    /// When it was admitted (also its key in `by_arrival`).
    pub arrival: Stamp,
    /// Since when it waits behind a nonce gap (also its key in `by_gap`), if it does.
    pub gapped: Option<Stamp>,
    pub group: GroupKey,
}

/// One signer's waiting transactions.
#[derive(Debug)]
pub(super) struct Queue {
    /// Nonce → hash.
    pub nonces: BTreeMap<u64, [u8; 32]>,
    /// The signer's next nonce, as last told.
    pub next: u64,
    /// The first nonce from `next` on that is not held: `next..ready_end` is proposable, every
    /// nonce above `ready_end` waits behind a gap.
    pub ready_end: u64,
    /// Transactions held above `ready_end`.
    pub gapped: usize,
    pub group: GroupKey,
}

/// The pool itself. Not thread-safe by design: the node wraps it in a lock held only briefly.
#[derive(Debug)]
pub struct Mempool<T: PoolTx> {
    pub(super) config: MempoolConfig,
    pub(super) by_hash: BTreeMap<[u8; 32], Entry<T>>,
    pub(super) queues: BTreeMap<[u8; 32], Queue>,
    /// Expiry height → hashes expiring there.
    by_expiry: BTreeMap<u64, BTreeSet<[u8; 32]>>,
    /// Admission order → hash.
    by_arrival: BTreeMap<u64, [u8; 32]>,
    /// Order in which they started waiting behind a gap → hash.
    by_gap: BTreeMap<u64, [u8; 32]>,
    groups: Loads<GroupKey>,
    /// Per group, its signers' usage.
    signers: BTreeMap<GroupKey, Loads<[u8; 32]>>,
    bytes: usize,
    /// The pool's clock: newest height and wall time seen, and the last stamp's sequence.
    height: u64,
    now_ms: u64,
    seq: u64,
    evicted: VecDeque<([u8; 32], EvictReason)>,
    evictions: EvictionCounts,
}

impl<T: PoolTx> Mempool<T> {
    /// An empty pool with these limits.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_hash: BTreeMap::new(),
            queues: BTreeMap::new(),
            by_expiry: BTreeMap::new(),
            by_arrival: BTreeMap::new(),
            by_gap: BTreeMap::new(),
            groups: Loads::default(),
            signers: BTreeMap::new(),
            bytes: 0,
            height: 0,
            now_ms: 0,
            seq: 0,
            evicted: VecDeque::new(),
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

    /// Transactions held behind a nonce gap.
    pub fn gapped_len(&self) -> usize {
        self.by_gap.len()
    }

    /// Up to `limit` signers with their lowest waiting nonce (for diagnostics: a signer whose
    /// lowest nonce is above its next nonce is waiting behind a gap).
    pub fn lowest_nonces(&self, limit: usize) -> Vec<([u8; 32], u64)> {
        self.queues
            .iter()
            .filter_map(|(signer, q)| q.nonces.keys().next().map(|n| (*signer, *n)))
            .take(limit)
            .collect()
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

    /// The transactions evicted since the last call, with why (at most [`MAX_EVICTION_LOG`]).
    pub fn take_evicted(&mut self) -> Vec<([u8; 32], EvictReason)> {
        self.evicted.drain(..).collect()
    }

    /// Admit a transaction whose signature the caller has already verified.
    ///
    /// Transactions that outlived the pool's bounds at `at.height` and `at.now_ms` are evicted
    /// first. In a full pool, a signer within its fair share may displace the newest transaction
    /// of a heavier signer (see [`MempoolConfig::fair_share_from_percent`]).
    pub fn insert(&mut self, tx: T, at: Admission) -> Result<(), MempoolError> {
        self.advance_clock(at.height, at.now_ms);
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate(hash));
        }
        let height = at.height;
        let expiry_height = tx.expiry_height();
        if expiry_height <= height {
            return Err(MempoolError::Expired {
                expiry_height,
                height,
            });
        }
        if expiry_height - height > self.config.max_expiry_blocks {
            return Err(MempoolError::ExpiryTooFar {
                expiry_height,
                height,
                max_expiry_blocks: self.config.max_expiry_blocks,
            });
        }
        let signer = tx.signer();
        self.sync_next(&signer, at.next_nonce, &BTreeSet::new());
        let queue = self.queues.get(&signer);
        let next = queue.map_or(at.next_nonce, |q| q.next.max(at.next_nonce));
        let nonce = tx.nonce();
        if nonce < next {
            return Err(MempoolError::NonceTooLow { nonce, next });
        }
        if nonce - next > self.config.max_nonce_gap {
            return Err(MempoolError::NonceTooHigh {
                nonce,
                next,
                max_gap: self.config.max_nonce_gap,
            });
        }
        let (group, ready_end) = queue.map_or((at.group, next), |q| (q.group, q.ready_end));
        if let Some(q) = queue {
            if q.nonces.contains_key(&nonce) {
                return Err(MempoolError::NonceTaken { nonce });
            }
            if q.nonces.len() >= self.config.max_txs_per_signer {
                return Err(MempoolError::SignerFull {
                    signer,
                    count: q.nonces.len(),
                    limit: self.config.max_txs_per_signer,
                });
            }
        }
        let gapped_now = queue.map_or(0, |q| q.gapped);
        if nonce > ready_end && gapped_now >= self.config.max_gapped_txs_per_signer {
            return Err(MempoolError::TooManyGapped {
                count: gapped_now,
                limit: self.config.max_gapped_txs_per_signer,
                missing: ready_end,
            });
        }
        let size = tx.encoded_len();
        let full = self.len() >= self.config.max_txs
            || self.bytes.saturating_add(size) > self.config.max_bytes;
        if full {
            self.make_room(&signer, group, size)?;
        } else {
            self.check_fair_share(&signer, group, size)?;
        }

        let arrival = self.stamp();
        let queue = self.queues.entry(signer).or_insert_with(|| Queue {
            nonces: BTreeMap::new(),
            next,
            ready_end: next,
            gapped: 0,
            group,
        });
        queue.nonces.insert(nonce, hash);
        let gapped = if nonce > queue.ready_end {
            queue.gapped += 1;
            self.by_gap.insert(arrival.seq, hash);
            Some(arrival)
        } else {
            None
        };
        let extends = nonce == queue.ready_end;
        self.by_arrival.insert(arrival.seq, hash);
        self.by_expiry
            .entry(expiry_height)
            .or_default()
            .insert(hash);
        self.bytes += size;
        self.groups.add(group, size);
        self.signers.entry(group).or_default().add(signer, size);
        self.by_hash.insert(
            hash,
            Entry {
                tx,
                arrival,
                gapped,
                group,
            },
        );
        if extends {
            self.extend_ready(&signer);
        }
        Ok(())
    }

    /// Forget what a committed block settled: the transactions it included, every waiting
    /// transaction whose nonce it spent, every transaction that expired at or before its height,
    /// and those that outlived the lifetime or gap bounds at `commit.now_ms`.
    ///
    /// `next_nonce` answers from the state after the block. Returns how many left the pool.
    pub fn remove_committed(
        &mut self,
        commit: Commit<'_>,
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) -> usize {
        let before = self.by_hash.len();
        self.set_clock(commit.height, commit.now_ms);
        let included: BTreeSet<[u8; 32]> = commit.included.iter().copied().collect();
        let mut touched: BTreeSet<[u8; 32]> = commit.signers.iter().copied().collect();
        touched.extend(
            commit
                .included
                .iter()
                .filter_map(|h| self.by_hash.get(h).map(|e| e.tx.signer())),
        );
        for signer in touched {
            self.sync_next(&signer, next_nonce(&signer), &included);
        }
        // Included but not below its signer's new next nonce (the state could not say).
        for hash in commit.included {
            self.take(hash);
        }
        let expired: Vec<[u8; 32]> = self
            .by_expiry
            .range(..=commit.height)
            .flat_map(|(_, hashes)| hashes.iter().copied())
            .collect();
        for hash in expired {
            self.evict(&hash, EvictReason::Expired);
        }
        self.evict_aged();
        before - self.by_hash.len()
    }

    /// Remove one transaction, if held (not counted as an eviction).
    pub fn remove(&mut self, hash: &[u8; 32]) -> Option<T> {
        self.take(hash).map(|entry| entry.tx)
    }

    fn stamp(&mut self) -> Stamp {
        self.seq = self.seq.saturating_add(1);
        Stamp {
            seq: self.seq,
            height: self.height,
            ms: self.now_ms,
        }
    }

    /// Move the pool's clock (never backwards) and evict what outlived the lifetime and gap
    /// bounds. Both indexes are in stamp order, so only what leaves is looked at.
    fn advance_clock(&mut self, height: u64, now_ms: u64) {
        self.set_clock(height, now_ms);
        self.evict_aged();
    }

    fn set_clock(&mut self, height: u64, now_ms: u64) {
        self.height = self.height.max(height);
        self.now_ms = self.now_ms.max(now_ms);
    }

    fn evict_aged(&mut self) {
        let config = self.config;
        while let Some((_, hash)) = self.by_arrival.first_key_value() {
            let hash = *hash;
            let Some(entry) = self.by_hash.get(&hash) else {
                self.by_arrival.pop_first();
                continue;
            };
            let reason = if self.height - entry.arrival.height >= config.max_lifetime_blocks {
                EvictReason::LifetimeBlocks
            } else if self.now_ms - entry.arrival.ms >= config.max_lifetime_ms {
                EvictReason::LifetimeTime
            } else {
                break;
            };
            self.evict(&hash, reason);
        }
        while let Some((_, hash)) = self.by_gap.first_key_value() {
            let hash = *hash;
            let Some(since) = self.by_hash.get(&hash).and_then(|e| e.gapped) else {
                self.by_gap.pop_first();
                continue;
            };
            if self.now_ms - since.ms < config.max_gapped_age_ms {
                break;
            }
            self.evict(&hash, EvictReason::GapAge);
        }
    }

    /// Learn that `signer`'s next nonce is `next`: drop its transactions below it (evicted as
    /// stale unless `included` holds them) and let the proposable run grow from it.
    fn sync_next(&mut self, signer: &[u8; 32], next: u64, included: &BTreeSet<[u8; 32]>) {
        let Some(queue) = self.queues.get_mut(signer) else {
            return;
        };
        if next <= queue.next {
            return;
        }
        queue.next = next;
        queue.ready_end = queue.ready_end.max(next);
        let spent: Vec<[u8; 32]> = queue.nonces.range(..next).map(|(_, h)| *h).collect();
        for hash in spent {
            if included.contains(&hash) {
                self.take(&hash);
            } else {
                self.evict(&hash, EvictReason::StaleNonce);
            }
        }
        self.extend_ready(signer);
    }

    /// Grow `signer`'s proposable run over the nonces now held right after it: they no longer
    /// wait behind a gap.
    fn extend_ready(&mut self, signer: &[u8; 32]) {
        let Some(queue) = self.queues.get_mut(signer) else {
            return;
        };
        while let Some(hash) = queue.nonces.get(&queue.ready_end).copied() {
            queue.ready_end = queue.ready_end.saturating_add(1);
            if let Some(since) = self.by_hash.get_mut(&hash).and_then(|e| e.gapped.take()) {
                self.by_gap.remove(&since.seq);
                queue.gapped = queue.gapped.saturating_sub(1);
            }
            if queue.ready_end == u64::MAX {
                break;
            }
        }
    }

    /// Refuse a signer or group that would hold more than its fair share of a nearly full pool
    /// (one with room left: a full one is [`Mempool::make_room`]'s).
    fn check_fair_share(
        &self,
        signer: &[u8; 32],
        group: GroupKey,
        size: usize,
    ) -> Result<(), MempoolError> {
        let config = &self.config;
        let percent = u128::from(config.fair_share_from_percent);
        let wide = |v: usize| v as u128;
        let near_full = wide(self.len() + 1) * 100 > wide(config.max_txs) * percent
            || wide(self.bytes.saturating_add(size)) * 100 > wide(config.max_bytes) * percent;
        if !near_full {
            return Ok(());
        }
        let over = |held: Usage, active: usize| -> Result<(), (Usage, usize)> {
            let after = held.plus(size);
            if wide(after.count) * wide(active) > wide(config.max_txs)
                || wide(after.bytes) * wide(active) > wide(config.max_bytes)
            {
                return Err((held, active));
            }
            Ok(())
        };
        let refuse =
            |scope: ShareScope, (held, active): (Usage, usize)| MempoolError::OverFairShare {
                scope,
                held_txs: held.count,
                held_bytes: held.bytes,
                active,
                share_txs: config.max_txs / active.max(1),
                share_bytes: config.max_bytes / active.max(1),
            };
        let signer_held = self
            .signers
            .get(&group)
            .map_or(Usage::default(), |l| l.get(signer));
        let signers_active = self.queues.len() + usize::from(!self.queues.contains_key(signer));
        over(signer_held, signers_active).map_err(|e| refuse(ShareScope::Signer(*signer), e))?;
        let groups_active = self.groups.len() + usize::from(!self.groups.contains(&group));
        over(self.groups.get(&group), groups_active)
            .map_err(|e| refuse(ShareScope::Group(group), e))?;
        Ok(())
    }

    /// Make room for `size` more bytes and one more transaction by displacing the newest
    /// transactions of heavier signers, or refuse as full.
    fn make_room(
        &mut self,
        signer: &[u8; 32],
        group: GroupKey,
        size: usize,
    ) -> Result<(), MempoolError> {
        let mut displaced = 0;
        loop {
            let dimension = if self.len() >= self.config.max_txs {
                Dimension::Count
            } else if self.bytes.saturating_add(size) > self.config.max_bytes {
                Dimension::Bytes
            } else {
                return Ok(());
            };
            let victim = if displaced < MAX_DISPLACED_PER_ADMISSION {
                self.victim(signer, group, size, dimension)
            } else {
                None
            };
            let Some(victim) = victim else {
                return Err(match dimension {
                    Dimension::Count => MempoolError::FullCount {
                        count: self.len(),
                        limit: self.config.max_txs,
                    },
                    Dimension::Bytes => MempoolError::FullBytes {
                        bytes: self.bytes,
                        adding: size,
                        limit: self.config.max_bytes,
                    },
                });
            };
            self.evict(&victim, EvictReason::Displaced);
            displaced += 1;
        }
    }

    /// The transaction a full pool gives up for `signer`: the newest nonce of the heaviest signer
    /// of the heaviest group, if that group (or, within the signer's own group, that signer)
    /// holds strictly more than the newcomer would after admission.
    fn victim(
        &self,
        signer: &[u8; 32],
        group: GroupKey,
        size: usize,
        dimension: Dimension,
    ) -> Option<[u8; 32]> {
        let (heavy_group, heavy_usage) = self.groups.heaviest(dimension)?;
        let members = self.signers.get(&heavy_group)?;
        let (victim, victim_usage) = members.heaviest(dimension)?;
        if heavy_group != group {
            let own = self.groups.get(&group).plus(size);
            if heavy_usage.load(dimension) <= own.load(dimension) {
                return None;
            }
        } else {
            let own = members.get(signer).plus(size);
            if victim == *signer || victim_usage.load(dimension) <= own.load(dimension) {
                return None;
            }
        }
        let queue = self.queues.get(&victim)?;
        queue.nonces.last_key_value().map(|(_, hash)| *hash)
    }

    fn evict(&mut self, hash: &[u8; 32], reason: EvictReason) {
        let Some(entry) = self.take(hash) else {
            return;
        };
        self.evictions.add(reason);
        if self.evicted.len() >= MAX_EVICTION_LOG {
            self.evicted.pop_front();
        }
        self.evicted.push_back((*hash, reason));
        tracing::debug!(
            tx = %hex::encode(hash),
            signer = %hex::encode(entry.tx.signer()),
            nonce = entry.tx.nonce(),
            reason = reason.label(),
            "mempool eviction"
        );
    }

    /// Remove one transaction from every index. Removing a nonce inside its signer's proposable
    /// run puts the rest of the run behind a gap (stamped now).
    fn take(&mut self, hash: &[u8; 32]) -> Option<Entry<T>> {
        let entry = self.by_hash.remove(hash)?;
        let size = entry.tx.encoded_len();
        let signer = entry.tx.signer();
        let nonce = entry.tx.nonce();
        self.bytes = self.bytes.saturating_sub(size);
        self.by_arrival.remove(&entry.arrival.seq);
        if let Some(since) = entry.gapped {
            self.by_gap.remove(&since.seq);
        }
        let expiry = entry.tx.expiry_height();
        if let Some(hashes) = self.by_expiry.get_mut(&expiry) {
            hashes.remove(hash);
            if hashes.is_empty() {
                self.by_expiry.remove(&expiry);
            }
        }
        self.groups.sub(entry.group, size);
        if let Some(members) = self.signers.get_mut(&entry.group) {
            members.sub(signer, size);
            if members.is_empty() {
                self.signers.remove(&entry.group);
            }
        }
        let mut cut = Vec::new();
        if let Some(queue) = self.queues.get_mut(&signer) {
            queue.nonces.remove(&nonce);
            if entry.gapped.is_some() {
                queue.gapped = queue.gapped.saturating_sub(1);
            } else if nonce >= queue.next && nonce < queue.ready_end {
                cut = queue
                    .nonces
                    .range(nonce.saturating_add(1)..queue.ready_end)
                    .map(|(_, h)| *h)
                    .collect();
                queue.ready_end = nonce;
                queue.gapped += cut.len();
            }
            if queue.nonces.is_empty() {
                self.queues.remove(&signer);
            }
        }
        if !cut.is_empty() {
            let since = self.stamp();
            for (i, h) in cut.into_iter().enumerate() {
                // One stamp per transaction keeps `by_gap` keys distinct; all share the moment.
                let stamp = if i == 0 { since } else { self.stamp() };
                if let Some(e) = self.by_hash.get_mut(&h) {
                    e.gapped = Some(stamp);
                    self.by_gap.insert(stamp.seq, h);
                }
            }
        }
        Some(entry)
    }
}
