//! Which validator set votes, derived from the chain itself: the set the state schedules for the
//! next epoch (read after every commit, by the rule in `yrd_verifier::epochs`), and on restart the
//! sets of every epoch so far, rebuilt from the stored reconfiguration blocks (never from the
//! genesis file alone). The running host and a restart call the same rule, so both report the
//! same `next_validator_set` for every executed height.

use yrd_consensus::epoch::next_epoch_set;
use yrd_consensus::types::ValidatorSet;
use yrd_contracts::reader::StateReader;

use super::restart::{CorruptStore, RestartError, committed_block};
use crate::storage::Store;

/// The set the state scheduled for the epoch after `current`'s, if it differs from `current`
/// (`yrd_verifier::epochs::scheduled_next_set`). A state whose validator list cannot be read or
/// makes no valid set schedules nothing, and is logged: the ledger's own rules never produce one.
pub fn scheduled_next_set(
    reader: &impl StateReader,
    current: &ValidatorSet,
) -> Option<ValidatorSet> {
    match yrd_verifier::epochs::scheduled_next_set(reader, current) {
        Ok(next) => next,
        Err(error) => {
            tracing::error!(%error, epoch = current.epoch, "no next validator set derived");
            None
        }
    }
}

/// One epoch after the first: where it started and who votes in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EpochStart {
    /// Height of the reconfiguration block that ended the previous epoch.
    pub height: u64,
    /// That block's round: the new epoch's first round is the next one.
    pub round: u64,
    /// The epoch's validator set.
    pub validator_set: ValidatorSet,
}

/// The validator sets of every epoch of a stored chain, oldest first (the genesis set first).
#[derive(Clone, Debug)]
pub struct EpochHistory {
    genesis: ValidatorSet,
    changes: Vec<EpochStart>,
}

impl EpochHistory {
    /// Reads the stored reconfiguration blocks: epoch 1's, epoch 2's, … until one is missing.
    /// Each must be a committed block of the epoch before, handing over to exactly the next
    /// epoch with a valid set; anything else is a corrupt store.
    pub fn load(store: &Store, genesis: &ValidatorSet) -> Result<Self, RestartError> {
        let mut changes: Vec<EpochStart> = Vec::new();
        let mut epoch = genesis.epoch;
        loop {
            let next_epoch = epoch.saturating_add(1);
            let Some(height) = store.epoch_change_height(next_epoch)? else {
                break;
            };
            let corrupt = |fault: CorruptStore| RestartError::Corrupt {
                what: "reconfiguration block",
                height,
                fault,
            };
            let block = committed_block(store, height)?
                .ok_or_else(|| corrupt(CorruptStore::BlockMissing))?;
            let header = &block.block.header;
            if header.epoch != epoch {
                return Err(corrupt(CorruptStore::NotOfEpochBefore {
                    epoch: next_epoch,
                }));
            }
            let set = next_epoch_set(header)
                .filter(|set| set.epoch == next_epoch && set.validate().is_ok())
                .ok_or_else(|| corrupt(CorruptStore::InvalidHandOver { epoch: next_epoch }))?;
            if changes.last().is_some_and(|last| last.height >= height) {
                return Err(corrupt(CorruptStore::NotAbovePrevious {
                    epoch: next_epoch,
                }));
            }
            changes.push(EpochStart {
                height,
                round: header.round,
                validator_set: set.clone(),
            });
            epoch = next_epoch;
        }
        Ok(Self {
            genesis: genesis.clone(),
            changes,
        })
    }

    /// The set of the newest epoch.
    pub fn current(&self) -> &ValidatorSet {
        self.changes
            .last()
            .map_or(&self.genesis, |change| &change.validator_set)
    }

    /// The first round of the newest epoch (1 for the genesis epoch).
    pub fn current_start_round(&self) -> u64 {
        self.changes
            .last()
            .map_or(1, |change| change.round.saturating_add(1))
    }

    /// The newest epoch change, if any.
    pub fn last_change(&self) -> Option<&EpochStart> {
        self.changes.last()
    }

    /// The set that voted in `epoch`, if the chain has reached it.
    pub fn set_of(&self, epoch: u64) -> Option<&ValidatorSet> {
        if epoch == self.genesis.epoch {
            return Some(&self.genesis);
        }
        self.changes
            .iter()
            .map(|change| &change.validator_set)
            .find(|set| set.epoch == epoch)
    }

    /// The set of the epoch before the newest, if there is one.
    pub fn previous(&self) -> Option<&ValidatorSet> {
        match self.changes.len() {
            0 => None,
            1 => Some(&self.genesis),
            n => self.changes.get(n - 2).map(|change| &change.validator_set),
        }
    }
}
