//! What each signer and each group holds, ordered so the heaviest is found in O(log n).

use std::collections::{BTreeMap, BTreeSet};

/// Count and bytes held by one signer or one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Transactions held.
    pub count: usize,
    /// Bytes held.
    pub bytes: usize,
}

impl Usage {
    /// This usage with one more transaction of `size` bytes.
    pub fn plus(self, size: usize) -> Usage {
        Usage {
            count: self.count.saturating_add(1),
            bytes: self.bytes.saturating_add(size),
        }
    }

    /// The load along one dimension.
    pub fn load(self, dimension: Dimension) -> usize {
        match dimension {
            Dimension::Count => self.count,
            Dimension::Bytes => self.bytes,
        }
    }
}

/// Which limit a full pool is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    /// `max_txs`.
    Count,
    /// `max_bytes`.
    Bytes,
}

/// Usage per key, indexed by count and by bytes.
#[derive(Debug)]
pub struct Loads<K: Ord + Copy> {
    usage: BTreeMap<K, Usage>,
    by_count: BTreeSet<(usize, K)>,
    by_bytes: BTreeSet<(usize, K)>,
}

impl<K: Ord + Copy> Default for Loads<K> {
    fn default() -> Self {
        Self {
            usage: BTreeMap::new(),
            by_count: BTreeSet::new(),
            by_bytes: BTreeSet::new(),
        }
    }
}

impl<K: Ord + Copy> Loads<K> {
    /// What `key` holds (zero if nothing).
    pub fn get(&self, key: &K) -> Usage {
        self.usage.get(key).copied().unwrap_or_default()
    }

    /// Keys holding anything.
    pub fn len(&self) -> usize {
        self.usage.len()
    }

    /// Whether no key holds anything.
    pub fn is_empty(&self) -> bool {
        self.usage.is_empty()
    }

    /// Whether `key` holds anything.
    pub fn contains(&self, key: &K) -> bool {
        self.usage.contains_key(key)
    }

    fn set(&mut self, key: K, old: Usage, new: Usage) {
        self.by_count.remove(&(old.count, key));
        self.by_bytes.remove(&(old.bytes, key));
        if new.count == 0 {
            self.usage.remove(&key);
        } else {
            self.usage.insert(key, new);
            self.by_count.insert((new.count, key));
            self.by_bytes.insert((new.bytes, key));
        }
    }

    /// Count one more transaction of `size` bytes for `key`.
    pub fn add(&mut self, key: K, size: usize) {
        let old = self.get(&key);
        self.set(key, old, old.plus(size));
    }

    /// Count one transaction of `size` bytes less for `key`.
    pub fn sub(&mut self, key: K, size: usize) {
        let old = self.get(&key);
        let new = Usage {
            count: old.count.saturating_sub(1),
            bytes: old.bytes.saturating_sub(size),
        };
        self.set(key, old, new);
    }

    /// The key holding most along `dimension` (ties: the greatest key), with its usage.
    pub fn heaviest(&self, dimension: Dimension) -> Option<(K, Usage)> {
        let index = match dimension {
            Dimension::Count => &self.by_count,
            Dimension::Bytes => &self.by_bytes,
        };
        index.last().map(|(_, key)| (*key, self.get(key)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heaviest_follows_adds_and_subs_in_both_dimensions() {
        let mut loads: Loads<u8> = Loads::default();
        assert_eq!(loads.heaviest(Dimension::Count), None);
        loads.add(1, 10);
        loads.add(1, 10);
        loads.add(2, 100);
        assert_eq!(loads.heaviest(Dimension::Count).map(|(k, _)| k), Some(1));
        assert_eq!(loads.heaviest(Dimension::Bytes).map(|(k, _)| k), Some(2));
        loads.sub(1, 10);
        loads.sub(1, 10);
        assert!(!loads.contains(&1));
        assert_eq!(loads.len(), 1);
        assert_eq!(
            loads.heaviest(Dimension::Count),
            Some((
                2,
                Usage {
                    count: 1,
                    bytes: 100
                }
            ))
        );
        loads.sub(2, 100);
        assert!(loads.is_empty());
        assert_eq!(loads.heaviest(Dimension::Bytes), None);
    }
}
