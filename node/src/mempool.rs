//! The mempool: transactions waiting to be proposed.
//!
//! Bounded by count and by bytes; deduplicated by transaction hash; transactions whose nonce is ahead
//! of their signer's next nonce are held back (not proposable) until the gap closes; expired ones are
//! evicted when the chain moves past their expiry height. Signatures are checked *before* a
//! transaction reaches this structure (see `node::ingress`), so everything here is well-formed and
//! authentic; whether it will *succeed* is decided only by execution.
//!
//! The pool is generic over [`PoolTx`] so that its bookkeeping is testable without the contracts'
//! transaction type.

use std::collections::{BTreeMap, BTreeSet};

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

/// Limits of the mempool. Every one of them is reached in tests.
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
}

impl Default for MempoolConfig {
    fn default() -> Self {
        Self {
            max_txs: 50_000,
            max_bytes: 64 * 1024 * 1024,
            max_txs_per_signer: 1_000,
            max_nonce_gap: 1_000,
        }
    }
}

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
}

#[derive(Debug, Clone)]
struct Entry<T> {
    tx: T,
    arrival: u64,
}

/// The pool itself. Not thread-safe by design: the node wraps it in a lock held only briefly.
#[derive(Debug)]
pub struct Mempool<T: PoolTx> {
    config: MempoolConfig,
    by_hash: BTreeMap<[u8; 32], Entry<T>>,
    /// Per signer: nonce → hash.
    by_signer: BTreeMap<[u8; 32], BTreeMap<u64, [u8; 32]>>,
    /// Expiry height → hashes expiring there.
    by_expiry: BTreeMap<u64, BTreeSet<[u8; 32]>>,
    bytes: usize,
    next_arrival: u64,
}

impl<T: PoolTx> Mempool<T> {
    /// An empty pool with these limits.
    pub fn new(config: MempoolConfig) -> Self {
        Self {
            config,
            by_hash: BTreeMap::new(),
            by_signer: BTreeMap::new(),
            by_expiry: BTreeMap::new(),
            bytes: 0,
            next_arrival: 0,
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

    /// Admit a transaction whose signature the caller has already verified.
    ///
    /// `next_nonce` is the signer's next nonce in the latest executed state and `height` the latest
    /// committed height.
    pub fn insert(&mut self, tx: T, next_nonce: u64, height: u64) -> Result<(), MempoolError> {
        let hash = tx.hash();
        if self.by_hash.contains_key(&hash) {
            return Err(MempoolError::Duplicate(hash));
        }
        if tx.expiry_height() <= height {
            return Err(MempoolError::Expired {
                expiry_height: tx.expiry_height(),
                height,
            });
        }
        let nonce = tx.nonce();
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
        if let Some(nonces) = self.by_signer.get(&signer) {
            if nonces.contains_key(&nonce) {
                return Err(MempoolError::NonceTaken { nonce });
            }
            if nonces.len() >= self.config.max_txs_per_signer {
                return Err(MempoolError::SignerFull {
                    signer,
                    count: nonces.len(),
                    limit: self.config.max_txs_per_signer,
                });
            }
        }
        if self.by_hash.len() >= self.config.max_txs {
            return Err(MempoolError::FullCount {
                count: self.by_hash.len(),
                limit: self.config.max_txs,
            });
        }
        let size = tx.encoded_len();
        if self.bytes.saturating_add(size) > self.config.max_bytes {
            return Err(MempoolError::FullBytes {
                bytes: self.bytes,
                adding: size,
                limit: self.config.max_bytes,
            });
        }
        self.by_signer
            .entry(signer)
            .or_default()
            .insert(nonce, hash);
        self.by_expiry
            .entry(tx.expiry_height())
            .or_default()
            .insert(hash);
        self.bytes += size;
        let arrival = self.next_arrival;
        self.next_arrival += 1;
        self.by_hash.insert(hash, Entry { tx, arrival });
        Ok(())
    }

    /// Pick a proposal payload: transactions whose nonces continue their signer's next nonce without
    /// a gap, at most `max_txs` of them and `max_bytes` in total. Across signers the oldest arrival
    /// goes first; within one signer, nonce order.
    ///
    /// The transactions stay in the pool until [`Mempool::remove_committed`] sees them committed, so
    /// a proposal that fails to commit loses nothing.
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) -> Vec<T> {
        // Per signer, the run of consecutive nonces starting at its next nonce is proposable.
        let mut runs: BTreeMap<[u8; 32], std::collections::VecDeque<&Entry<T>>> = BTreeMap::new();
        for (signer, nonces) in &self.by_signer {
            let mut expected = next_nonce(signer);
            let mut run = std::collections::VecDeque::new();
            for (nonce, hash) in nonces.range(expected..) {
                if *nonce != expected {
                    break;
                }
                if let Some(entry) = self.by_hash.get(hash) {
                    run.push_back(entry);
                }
                expected = expected.saturating_add(1);
            }
            if !run.is_empty() {
                runs.insert(*signer, run);
            }
        }
        // Merge the runs by the arrival of each run's head: (head arrival, signer) → ready.
        let mut heads: BTreeSet<(u64, [u8; 32])> = runs
            .iter()
            .filter_map(|(s, run)| run.front().map(|e| (e.arrival, *s)))
            .collect();
        let mut chosen = Vec::new();
        let mut chosen_bytes = 0usize;
        while chosen.len() < max_txs {
            let Some((_, signer)) = heads.pop_first() else {
                break;
            };
            let Some(run) = runs.get_mut(&signer) else {
                continue;
            };
            let Some(entry) = run.pop_front() else {
                continue;
            };
            let size = entry.tx.encoded_len();
            if chosen_bytes.saturating_add(size) > max_bytes {
                // This signer's later nonces cannot go without this one; other signers might fit.
                continue;
            }
            chosen_bytes += size;
            chosen.push(entry.tx.clone());
            if let Some(next) = run.front() {
                heads.insert((next.arrival, signer));
            }
        }
        chosen
    }

    /// Forget what a committed block settled: the transactions it included, any transaction whose
    /// nonce is now stale, and every transaction that expired at or before `height`.
    ///
    /// `next_nonce` answers from the state after the block.
    pub fn remove_committed(
        &mut self,
        included: &[[u8; 32]],
        height: u64,
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
            for hash in stale {
                self.remove(&hash);
            }
        }
        let expired: Vec<[u8; 32]> = self
            .by_expiry
            .range(..=height)
            .flat_map(|(_, hashes)| hashes.iter().copied())
            .collect();
        for hash in expired {
            self.remove(&hash);
        }
        before - self.by_hash.len()
    }

    /// Remove one transaction, if held.
    pub fn remove(&mut self, hash: &[u8; 32]) -> Option<T> {
        let entry = self.by_hash.remove(hash)?;
        let tx = entry.tx;
        self.bytes -= tx.encoded_len();
        let signer = tx.signer();
        if let Some(nonces) = self.by_signer.get_mut(&signer) {
            nonces.remove(&tx.nonce());
            if nonces.is_empty() {
                self.by_signer.remove(&signer);
            }
        }
        if let Some(hashes) = self.by_expiry.get_mut(&tx.expiry_height()) {
            hashes.remove(hash);
            if hashes.is_empty() {
                self.by_expiry.remove(&tx.expiry_height());
            }
        }
        Some(tx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct FakeTx {
        signer: u8,
        nonce: u64,
        expiry: u64,
        len: usize,
    }

    impl PoolTx for FakeTx {
        fn hash(&self) -> [u8; 32] {
            let mut h = [0u8; 32];
            h[0] = self.signer;
            h[1..9].copy_from_slice(&self.nonce.to_be_bytes());
            h[9..17].copy_from_slice(&self.expiry.to_be_bytes());
            h
        }
        fn signer(&self) -> [u8; 32] {
            [self.signer; 32]
        }
        fn nonce(&self) -> u64 {
            self.nonce
        }
        fn expiry_height(&self) -> u64 {
            self.expiry
        }
        fn encoded_len(&self) -> usize {
            self.len
        }
    }

    fn tx(signer: u8, nonce: u64) -> FakeTx {
        FakeTx {
            signer,
            nonce,
            expiry: 100,
            len: 10,
        }
    }

    fn pool() -> Mempool<FakeTx> {
        Mempool::new(MempoolConfig {
            max_txs: 5,
            max_bytes: 45,
            max_txs_per_signer: 3,
            max_nonce_gap: 4,
        })
    }

    #[test]
    fn duplicate_refused() {
        let mut p = pool();
        p.insert(tx(1, 0), 0, 1).unwrap();
        assert_eq!(
            p.insert(tx(1, 0), 0, 1),
            Err(MempoolError::Duplicate(tx(1, 0).hash()))
        );
    }

    #[test]
    fn count_limit_reached() {
        let mut p = Mempool::new(MempoolConfig {
            max_txs: 2,
            ..pool().config
        });
        p.insert(tx(1, 0), 0, 1).unwrap();
        p.insert(tx(2, 0), 0, 1).unwrap();
        assert_eq!(
            p.insert(tx(3, 0), 0, 1),
            Err(MempoolError::FullCount { count: 2, limit: 2 })
        );
    }

    #[test]
    fn byte_limit_reached() {
        let mut p = pool();
        for s in 1..=4 {
            p.insert(tx(s, 0), 0, 1).unwrap();
        }
        assert_eq!(p.bytes(), 40);
        assert_eq!(
            p.insert(tx(5, 0), 0, 1),
            Err(MempoolError::FullBytes {
                bytes: 40,
                adding: 10,
                limit: 45
            })
        );
        // A smaller one still fits.
        p.insert(FakeTx { len: 5, ..tx(5, 0) }, 0, 1).unwrap();
    }

    #[test]
    fn per_signer_limit_reached() {
        let mut p = pool();
        for n in 0..3 {
            p.insert(tx(1, n), 0, 1).unwrap();
        }
        assert!(matches!(
            p.insert(tx(1, 3), 0, 1),
            Err(MempoolError::SignerFull { count: 3, .. })
        ));
    }

    #[test]
    fn nonce_window_enforced() {
        let mut p = pool();
        assert_eq!(
            p.insert(tx(1, 2), 3, 1),
            Err(MempoolError::NonceTooLow { nonce: 2, next: 3 })
        );
        assert_eq!(
            p.insert(tx(1, 8), 3, 1),
            Err(MempoolError::NonceTooHigh {
                nonce: 8,
                next: 3,
                max_gap: 4
            })
        );
        p.insert(tx(1, 7), 3, 1).unwrap();
        let other = FakeTx {
            expiry: 99,
            ..tx(1, 7)
        };
        assert_eq!(
            p.insert(other, 3, 1),
            Err(MempoolError::NonceTaken { nonce: 7 })
        );
    }

    #[test]
    fn expired_refused_and_evicted() {
        let mut p = pool();
        let t = FakeTx {
            expiry: 5,
            ..tx(1, 0)
        };
        assert_eq!(
            p.insert(t.clone(), 0, 5),
            Err(MempoolError::Expired {
                expiry_height: 5,
                height: 5
            })
        );
        p.insert(t, 0, 4).unwrap();
        p.insert(tx(2, 0), 0, 4).unwrap();
        assert_eq!(p.remove_committed(&[], 5, |_| 0), 1);
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn gapped_nonces_held_back_until_gap_closes() {
        let mut p = pool();
        p.insert(tx(1, 1), 0, 1).unwrap();
        p.insert(tx(1, 2), 0, 1).unwrap();
        assert!(
            p.select(10, 1000, |_| 0).is_empty(),
            "nonce 0 missing: nothing proposable"
        );
        p.insert(tx(1, 0), 0, 1).unwrap();
        let picked: Vec<u64> = p.select(10, 1000, |_| 0).iter().map(|t| t.nonce).collect();
        assert_eq!(
            picked,
            vec![0, 1, 2],
            "nonce order even though 0 arrived last"
        );
    }

    #[test]
    fn select_respects_count_and_bytes_and_arrival_order() {
        let mut p = pool();
        p.insert(tx(3, 0), 0, 1).unwrap();
        p.insert(tx(1, 0), 0, 1).unwrap();
        p.insert(tx(2, 0), 0, 1).unwrap();
        let signers: Vec<u8> = p.select(2, 1000, |_| 0).iter().map(|t| t.signer).collect();
        assert_eq!(signers, vec![3, 1]);
        assert_eq!(p.select(10, 25, |_| 0).len(), 2);
        assert_eq!(p.len(), 3, "selection does not remove");
    }

    #[test]
    fn committed_and_stale_removed() {
        let mut p = pool();
        p.insert(tx(1, 0), 0, 1).unwrap();
        p.insert(tx(1, 1), 0, 1).unwrap();
        p.insert(tx(2, 0), 0, 1).unwrap();
        // Block included signer 1's nonce 0; meanwhile its nonce 1 was used by another tx too.
        let removed = p.remove_committed(&[tx(1, 0).hash()], 2, |s| if s[0] == 1 { 2 } else { 0 });
        assert_eq!(removed, 2);
        assert!(p.contains(&tx(2, 0).hash()));
        assert_eq!(p.bytes(), 10);
    }
}
