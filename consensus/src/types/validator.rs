//! Validator sets: who may vote in an epoch, and with how much power.
//!
//! Bytes: `ValidatorSet = epoch: u64 || u32 count || count × (public_key: [u8;32] || power: u64)`,
//! validators strictly ascending by public key bytes, every power > 0, total power fits in `u64`.
//! A decoded set must pass [`ValidatorSet::validate`] before use.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::crypto::PublicKey;

/// Most validators a set may hold (bounds certificate sizes and per-round vote buffers).
pub const MAX_VALIDATORS: usize = 256;

/// One validator and its voting power.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorInfo {
    /// The validator's signing key; also its identity.
    pub public_key: PublicKey,
    /// Its voting power (> 0).
    pub voting_power: u64,
}

/// The validators of one epoch, sorted by public key.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorSet {
    /// The epoch this set votes in.
    pub epoch: u64,
    /// Validators, strictly ascending by public key.
    pub validators: Vec<ValidatorInfo>,
}

/// Why a validator set is not well formed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidatorSetError {
    /// No validators.
    #[error("validator set of epoch {epoch} is empty")]
    Empty {
        /// Epoch of the set.
        epoch: u64,
    },
    /// More than [`MAX_VALIDATORS`].
    #[error("validator set has {count} validators, over the limit of {limit}")]
    TooMany {
        /// How many it has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// A validator with zero power.
    #[error("validator {key} has zero voting power")]
    ZeroPower {
        /// The validator.
        key: PublicKey,
    },
    /// Keys not strictly ascending (duplicate or unsorted).
    #[error("validator {key} is duplicated or out of order")]
    NotSortedOrDuplicate {
        /// The offending key.
        key: PublicKey,
    },
    /// Total power overflows `u64`.
    #[error("total voting power overflows")]
    PowerOverflow,
}

impl ValidatorSet {
    /// A set from validators in any order; sorts them and checks the rules.
    pub fn new(epoch: u64, mut validators: Vec<ValidatorInfo>) -> Result<Self, ValidatorSetError> {
        validators.sort_by_key(|v| v.public_key);
        let set = Self { epoch, validators };
        set.validate()?;
        Ok(set)
    }

    /// A set where every key has power 1.
    pub fn equal_power(epoch: u64, keys: &[PublicKey]) -> Result<Self, ValidatorSetError> {
        Self::new(
            epoch,
            keys.iter()
                .map(|key| ValidatorInfo {
                    public_key: *key,
                    voting_power: 1,
                })
                .collect(),
        )
    }

    /// Check the canonical-form rules (used on every set decoded from outside).
    pub fn validate(&self) -> Result<(), ValidatorSetError> {
        if self.validators.is_empty() {
            return Err(ValidatorSetError::Empty { epoch: self.epoch });
        }
        if self.validators.len() > MAX_VALIDATORS {
            return Err(ValidatorSetError::TooMany {
                count: self.validators.len(),
                limit: MAX_VALIDATORS,
            });
        }
        let mut total: u64 = 0;
        let mut previous: Option<&PublicKey> = None;
        for validator in &self.validators {
            if validator.voting_power == 0 {
                return Err(ValidatorSetError::ZeroPower {
                    key: validator.public_key,
                });
            }
            if previous.is_some_and(|p| *p >= validator.public_key) {
                return Err(ValidatorSetError::NotSortedOrDuplicate {
                    key: validator.public_key,
                });
            }
            previous = Some(&validator.public_key);
            total = total
                .checked_add(validator.voting_power)
                .ok_or(ValidatorSetError::PowerOverflow)?;
        }
        Ok(())
    }

    /// Sum of all voting power (saturating; a validated set never saturates).
    pub fn total_power(&self) -> u64 {
        self.validators
            .iter()
            .fold(0u64, |sum, v| sum.saturating_add(v.voting_power))
    }

    /// The power of `key`, or `None` when it is not a validator.
    pub fn power_of(&self, key: &PublicKey) -> Option<u64> {
        self.validators
            .binary_search_by(|v| v.public_key.cmp(key))
            .ok()
            .and_then(|index| self.validators.get(index))
            .map(|v| v.voting_power)
    }

    /// True when `key` is in the set.
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.power_of(key).is_some()
    }

    /// True when `power` is strictly more than two thirds of the total (a quorum).
    pub fn is_quorum(&self, power: u64) -> bool {
        u128::from(power) * 3 > u128::from(self.total_power()) * 2
    }

    /// True when `power` is strictly more than one third of the total (at least one honest).
    pub fn exceeds_one_third(&self, power: u64) -> bool {
        u128::from(power) * 3 > u128::from(self.total_power())
    }

    /// The smallest power that is a quorum.
    pub fn quorum_power(&self) -> u64 {
        let total = u128::from(self.total_power());
        (total * 2 / 3 + 1) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> PublicKey {
        PublicKey([byte; 32])
    }

    #[test]
    fn quorum_is_strictly_more_than_two_thirds() {
        let set = ValidatorSet::equal_power(0, &[key(1), key(2), key(3), key(4)]).unwrap();
        assert_eq!(set.quorum_power(), 3);
        assert!(!set.is_quorum(2));
        assert!(set.is_quorum(3));
        assert!(set.exceeds_one_third(2));
        assert!(!set.exceeds_one_third(1));
        let set = ValidatorSet::equal_power(0, &[key(1), key(2), key(3)]).unwrap();
        assert_eq!(set.quorum_power(), 3);
    }

    #[test]
    fn new_sorts_and_rejects_duplicates_and_zero_power() {
        let set = ValidatorSet::equal_power(0, &[key(3), key(1)]).unwrap();
        assert_eq!(set.validators[0].public_key, key(1));
        assert_eq!(
            ValidatorSet::equal_power(0, &[key(1), key(1)]),
            Err(ValidatorSetError::NotSortedOrDuplicate { key: key(1) })
        );
        let zero = vec![ValidatorInfo {
            public_key: key(1),
            voting_power: 0,
        }];
        assert_eq!(
            ValidatorSet::new(0, zero),
            Err(ValidatorSetError::ZeroPower { key: key(1) })
        );
        assert_eq!(
            ValidatorSet::new(4, vec![]),
            Err(ValidatorSetError::Empty { epoch: 4 })
        );
    }

    #[test]
    fn size_limit_enforced_at_the_limit() {
        let keys: Vec<PublicKey> = (0..=MAX_VALIDATORS as u32)
            .map(|i| {
                let mut bytes = [0u8; 32];
                bytes[..4].copy_from_slice(&i.to_be_bytes());
                PublicKey(bytes)
            })
            .collect();
        assert!(ValidatorSet::equal_power(0, &keys[..MAX_VALIDATORS]).is_ok());
        assert!(matches!(
            ValidatorSet::equal_power(0, &keys),
            Err(ValidatorSetError::TooMany { count, .. }) if count == MAX_VALIDATORS + 1
        ));
    }

    #[test]
    fn overflow_rejected() {
        let validators = vec![
            ValidatorInfo {
                public_key: key(1),
                voting_power: u64::MAX,
            },
            ValidatorInfo {
                public_key: key(2),
                voting_power: 1,
            },
        ];
        assert_eq!(
            ValidatorSet::new(0, validators),
            Err(ValidatorSetError::PowerOverflow)
        );
    }

    #[test]
    fn weighted_quorum() {
        let validators = vec![
            ValidatorInfo {
                public_key: key(1),
                voting_power: 5,
            },
            ValidatorInfo {
                public_key: key(2),
                voting_power: 1,
            },
            ValidatorInfo {
                public_key: key(3),
                voting_power: 1,
            },
        ];
        let set = ValidatorSet::new(0, validators).unwrap();
        assert!(!set.is_quorum(4));
        assert!(set.is_quorum(5));
        assert_eq!(set.power_of(&key(1)), Some(5));
        assert_eq!(set.power_of(&key(9)), None);
    }
}
