//! Vote and timeout aggregation, bounded by the round window and the validator count.

use std::collections::BTreeMap;

use crate::crypto::{PublicKey, Signature};
use crate::types::{QuorumCert, TimeoutCert, TimeoutMsg, ValidatorSet, Vote, VoteData};

/// What adding a vote did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum VoteOutcome {
    /// Counted; no quorum yet (or quorum already formed earlier).
    Counted,
    /// Same vote seen before.
    Duplicate,
    /// The author already voted for another block in that round.
    DoubleVote,
    /// This vote completed a quorum.
    Quorum(QuorumCert),
}

#[derive(Default)]
struct RoundVotes {
    by_author: BTreeMap<PublicKey, VoteData>,
    by_data: BTreeMap<[u8; 32], (VoteData, u64, BTreeMap<PublicKey, Signature>)>,
    certified: bool,
}

/// Votes per round, for rounds inside the window the driver keeps.
#[derive(Default)]
pub(crate) struct VoteCollector {
    rounds: BTreeMap<u64, RoundVotes>,
}

impl VoteCollector {
    pub(crate) fn add(&mut self, set: &ValidatorSet, vote: &Vote, power: u64) -> VoteOutcome {
        let round = self.rounds.entry(vote.vote_data.round).or_default();
        if let Some(previous) = round.by_author.get(&vote.author) {
            return if *previous == vote.vote_data {
                VoteOutcome::Duplicate
            } else {
                VoteOutcome::DoubleVote
            };
        }
        round.by_author.insert(vote.author, vote.vote_data);
        let key = vote.vote_data.signing_digest();
        let entry = round
            .by_data
            .entry(key)
            .or_insert_with(|| (vote.vote_data, 0, BTreeMap::new()));
        entry.1 = entry.1.saturating_add(power);
        entry.2.insert(vote.author, vote.signature);
        if !round.certified && set.is_quorum(entry.1) {
            round.certified = true;
            let signatures = entry.2.iter().map(|(k, s)| (*k, *s)).collect();
            return VoteOutcome::Quorum(QuorumCert {
                vote_data: entry.0,
                signatures,
            });
        }
        VoteOutcome::Counted
    }

    /// Forget rounds below `round`.
    pub(crate) fn prune_below(&mut self, round: u64) {
        self.rounds = self.rounds.split_off(&round);
    }

    pub(crate) fn clear(&mut self) {
        self.rounds.clear();
    }
}

#[derive(Default)]
struct RoundTimeouts {
    parts: BTreeMap<PublicKey, TimeoutMsg>,
    power: u64,
    certified: bool,
}

/// What adding a timeout did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TimeoutOutcome {
    /// Duplicate or second timeout by the same author.
    Ignored,
    /// Counted; carries whether the round's timeouts now exceed a third of the power.
    Counted { exceeds_one_third: bool },
    /// Quorum reached: the TC.
    Certificate(Box<TimeoutCert>),
}

/// Timeouts per round.
#[derive(Default)]
pub(crate) struct TimeoutCollector {
    rounds: BTreeMap<u64, RoundTimeouts>,
}

impl TimeoutCollector {
    pub(crate) fn add(
        &mut self,
        set: &ValidatorSet,
        timeout: &TimeoutMsg,
        power: u64,
    ) -> TimeoutOutcome {
        let round = self.rounds.entry(timeout.round).or_default();
        if round.parts.contains_key(&timeout.author) {
            return TimeoutOutcome::Ignored;
        }
        round.parts.insert(timeout.author, timeout.clone());
        round.power = round.power.saturating_add(power);
        if !round.certified && set.is_quorum(round.power) {
            round.certified = true;
            let signatures = round
                .parts
                .values()
                .map(|t| t.to_timeout_signature())
                .collect();
            let highest_qc = round
                .parts
                .values()
                .map(|t| &t.highest_qc)
                .max_by_key(|qc| qc.round())
                .cloned()
                .unwrap_or_else(|| timeout.highest_qc.clone());
            return TimeoutOutcome::Certificate(Box::new(TimeoutCert {
                epoch: timeout.epoch,
                round: timeout.round,
                signatures,
                highest_qc,
            }));
        }
        TimeoutOutcome::Counted {
            exceeds_one_third: set.exceeds_one_third(round.power),
        }
    }

    pub(crate) fn prune_below(&mut self, round: u64) {
        self.rounds = self.rounds.split_off(&round);
    }

    pub(crate) fn clear(&mut self) {
        self.rounds.clear();
    }
}
