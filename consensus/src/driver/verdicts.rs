//! Verdicts of certificate verification, remembered by digest.
//!
//! A QC or TC rides in many messages (every timeout carries its author's highest QC, every
//! proposal its parent's), and a Byzantine peer can re-send one with bad signatures as often as
//! it likes. Both outcomes are remembered, each in its own bounded FIFO, so that a certificate
//! costs one signature check however often it arrives, and a flood of distinct invalid
//! certificates can only push out other invalid ones, never the verdicts of valid ones. A
//! verdict depends only on the certificate's bytes and the validator set, so both caches are
//! cleared at every epoch change and the core stays deterministic.

use std::collections::{BTreeMap, VecDeque};

use crate::certificates::CertError;
use crate::hashing::{CERT_CACHE_TAG, hash_encoded};

/// One bounded FIFO of digests with a value each.
struct Fifo<V> {
    order: VecDeque<[u8; 32]>,
    known: BTreeMap<[u8; 32], V>,
    capacity: usize,
}

impl<V> Fifo<V> {
    fn new(capacity: usize) -> Self {
        Self {
            order: VecDeque::new(),
            known: BTreeMap::new(),
            capacity,
        }
    }

    fn insert(&mut self, key: [u8; 32], value: V) {
        if self.known.insert(key, value).is_none() {
            self.order.push_back(key);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.known.remove(&old);
                }
            }
        }
    }

    fn clear(&mut self) {
        self.order.clear();
        self.known.clear();
    }
}

/// Verdicts of QC and TC checks under the current validator set.
pub(crate) struct CertVerdicts {
    valid: Fifo<()>,
    invalid: Fifo<CertError>,
}

impl CertVerdicts {
    /// Caches of `capacity` valid and `capacity` invalid verdicts.
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            valid: Fifo::new(capacity),
            invalid: Fifo::new(capacity),
        }
    }

    /// The digest a certificate is remembered by (its whole encoding, signatures included).
    pub(crate) fn key<T: borsh::BorshSerialize>(value: &T) -> [u8; 32] {
        hash_encoded(CERT_CACHE_TAG, value)
    }

    /// The remembered verdict for `key`, if any.
    pub(crate) fn get(&self, key: &[u8; 32]) -> Option<Result<(), CertError>> {
        if self.valid.known.contains_key(key) {
            return Some(Ok(()));
        }
        self.invalid.known.get(key).map(|e| Err(e.clone()))
    }

    /// Remember a verdict.
    pub(crate) fn insert(&mut self, key: [u8; 32], verdict: &Result<(), CertError>) {
        match verdict {
            Ok(()) => self.valid.insert(key, ()),
            Err(error) => self.invalid.insert(key, error.clone()),
        }
    }

    /// Remember a certificate known valid (formed here, or proven by a verified chain).
    pub(crate) fn insert_valid(&mut self, key: [u8; 32]) {
        self.valid.insert(key, ());
    }

    /// Forget everything (the validator set changed).
    pub(crate) fn clear(&mut self) {
        self.valid.clear();
        self.invalid.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_verdicts_never_push_out_valid_ones() {
        let mut verdicts = CertVerdicts::new(2);
        verdicts.insert_valid([1; 32]);
        for n in 10..20 {
            verdicts.insert(
                [n; 32],
                &Err(CertError::DuplicateSigner {
                    signer: crate::crypto::PublicKey([n; 32]),
                }),
            );
        }
        assert_eq!(verdicts.get(&[1; 32]), Some(Ok(())));
        assert!(
            verdicts.get(&[10; 32]).is_none(),
            "oldest invalid forgotten"
        );
        assert!(matches!(verdicts.get(&[19; 32]), Some(Err(_))));
    }
}
