//! Which validator set the ledger schedules next: the rule that turns the contracts' validator
//! list into the consensus core's next set. It decides who votes, so every node (a running host,
//! a restart rebuilding its epochs, a verifier following reconfigurations) applies this one copy.
//!
//! After executing a block of epoch `e` under the set `S_e`, the state's validator list `L`
//! schedules a change iff `L`'s keys differ from `S_e`'s (as a set: order does not matter); the
//! scheduled set is `L` with equal power in epoch `e + 1`. A change that lands while an earlier one
//! is being handed over (after the reconfiguration block was proposed, before it committed) is
//! therefore scheduled again in the new epoch rather than forgotten.

use yrd_consensus::PublicKey;
use yrd_consensus::types::{ValidatorSet, ValidatorSetError};
use yrd_contracts::query::QueryError;
use yrd_contracts::reader::StateReader;

/// Why no set could be derived from the state. The ledger's own rules never produce either;
/// a node meeting one schedules nothing and reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The validator list could not be read.
    #[error("reading the validator list: {0}")]
    Read(#[from] QueryError),
    /// The list makes no valid validator set.
    #[error("the validator list makes no valid set: {0}")]
    InvalidSet(#[from] ValidatorSetError),
}

/// The set the state schedules for the epoch after `current`'s, if it differs from `current`.
pub fn scheduled_next_set(
    reader: &impl StateReader,
    current: &ValidatorSet,
) -> Result<Option<ValidatorSet>, ScheduleError> {
    let keys: Vec<PublicKey> = yrd_contracts::query::next_validator_keys(reader)?
        .into_iter()
        .map(PublicKey)
        .collect();
    let next = ValidatorSet::equal_power(current.epoch.saturating_add(1), &keys)?;
    Ok((next.validators != current.validators).then_some(next))
}

#[cfg(test)]
mod tests {
    use yrd_contracts::reader::MapReader;
    use yrd_contracts::records::{ValidatorList, ValidatorRecord};
    use yrd_contracts::types::ProvinceCode;

    use super::*;

    fn set(epoch: u64, keys: &[u8]) -> ValidatorSet {
        let keys: Vec<PublicKey> = keys.iter().map(|k| PublicKey([*k; 32])).collect();
        ValidatorSet::equal_power(epoch, &keys).unwrap()
    }

    fn state_with(keys: &[u8]) -> MapReader {
        let list = ValidatorList {
            validators: keys
                .iter()
                .map(|k| ValidatorRecord {
                    key: [*k; 32],
                    province: ProvinceCode(310000),
                    added_height: 1,
                })
                .collect(),
        };
        let record = yrd_contracts::codec::encode(&list);
        MapReader([(yrd_contracts::keys::validator_list(), record)].into())
    }

    #[test]
    fn the_same_keys_in_another_order_schedule_nothing() {
        assert_eq!(
            scheduled_next_set(&state_with(&[3, 1, 2]), &set(0, &[1, 2, 3])),
            Ok(None)
        );
    }

    #[test]
    fn other_keys_schedule_them_for_the_next_epoch() {
        let next = scheduled_next_set(&state_with(&[1, 2]), &set(4, &[1, 2, 3]));
        assert_eq!(next, Ok(Some(set(5, &[1, 2]))));
    }

    #[test]
    fn a_state_without_a_usable_list_is_an_error_not_a_set() {
        assert!(matches!(
            scheduled_next_set(&state_with(&[]), &set(0, &[1])),
            Err(ScheduleError::InvalidSet(_))
        ));
    }
}
