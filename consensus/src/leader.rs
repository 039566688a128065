//! Leader election: round-robin weighted by voting power, skipping leaders with a bad record.
//!
//! The *base* leader of round `r` is the validator whose slice of the cumulative power contains
//! `r mod total_power` (validators in key order), so a validator with twice the power leads twice
//! as often.
//!
//! Reputation (in the spirit of DiemBFT v4 / Aptos) is computed only from *committed* history, so
//! every honest node that has committed the same prefix elects the same leader: for round `r`,
//! look at the window of rounds `(cutoff - window, cutoff]` with `cutoff = r - exclude_recent`.
//!
//! - A round in the window *failed* when no committed block has that round but a later committed
//!   round `<= cutoff` exists (so the failure is settled). Its base leader is blamed for it.
//! - A validator was *active* at round `q` when a committed block of the window has round `q` and
//!   that validator proposed it, or carries a parent QC of round `q` that it signed.
//! - A validator is a *candidate for exclusion* when its last blamed failure is later than its
//!   last activity. Candidates are excluded stalest first (lowest last activity, then key order)
//!   as long as the excluded power stays below a third of the total.
//!
//! The leader of `r` is the base leader of `r`, or if excluded, the base leader of the first
//! following round that is neither excluded nor inactive in the window (so an excluded slot never
//! goes to a validator with no sign of life, such as one that never sent anything).
//!
//! Reputation only ever speeds up a working network; it must never be what keeps one from
//! committing. Judged from a committed history that has stopped growing, it is frozen: with one
//! honest validator excluded (say, after a partition) and another crashed, the slots can fall so
//! that no three consecutive rounds have live leaders, and a two-chain commit needs three (one
//! proposes, the next certifies it and proposes a child, the third certifies the child). So when
//! nothing has committed for [`LeaderElection::stalled_after_rounds`] rounds (two rotations), the
//! election falls back to plain round-robin, where at most a third of the power down always
//! leaves such a run; the first commit brings reputation back with fresher history.
//!
//! Comparing failure with activity matters because votes go to the next leader: a silent or
//! crashed leader also loses the block of the round before its own (nobody else saw that block's
//! QC). The honest proposer of that block fails as often, but keeps signing QCs *after* its
//! failures, so it is not a candidate; the crashed one's last activity is before them. A crashed
//! validator thus loses its slots after one settled failure and gets one slot back each time its
//! failures leave the window.

use std::collections::{BTreeMap, BTreeSet};

use crate::crypto::PublicKey;
use crate::types::{BlockHeader, ValidatorSet};

/// What reputation needs to know about one committed block.
#[derive(Clone, Debug, PartialEq, Eq)]
struct CommitInfo {
    proposer: PublicKey,
    /// Round of the parent QC the block carries.
    qc_round: u64,
    /// Signers of that QC.
    qc_signers: Vec<PublicKey>,
}

/// Leader election state for one epoch.
#[derive(Clone, Debug)]
pub struct LeaderElection {
    validators: ValidatorSet,
    /// `cumulative[i]` = sum of the powers of validators `0..=i`.
    cumulative: Vec<u64>,
    epoch_start_round: u64,
    window_rounds: u64,
    exclude_recent_rounds: u64,
    /// Committed blocks of this epoch by round (pruned to what the window needs).
    committed: BTreeMap<u64, CommitInfo>,
}

impl LeaderElection {
    /// Election for `validators`, whose epoch starts at `epoch_start_round`.
    pub fn new(
        validators: ValidatorSet,
        epoch_start_round: u64,
        window_rounds: u64,
        exclude_recent_rounds: u64,
    ) -> Self {
        let mut sum = 0u64;
        let cumulative = validators
            .validators
            .iter()
            .map(|v| {
                sum = sum.saturating_add(v.voting_power);
                sum
            })
            .collect();
        Self {
            validators,
            cumulative,
            epoch_start_round,
            window_rounds,
            exclude_recent_rounds,
            committed: BTreeMap::new(),
        }
    }

    /// The validator set this election runs over.
    pub fn validators(&self) -> &ValidatorSet {
        &self.validators
    }

    /// Record a committed block of this epoch.
    pub fn record_commit(&mut self, header: &BlockHeader) {
        if header.epoch != self.validators.epoch {
            return;
        }
        let qc_signers = header
            .parent_qc
            .signatures
            .iter()
            .map(|(k, _)| *k)
            .collect();
        self.committed.insert(
            header.round,
            CommitInfo {
                proposer: header.proposer,
                qc_round: header.parent_qc.round(),
                qc_signers,
            },
        );
        // Keep what any future round's window can look at, plus the frontier below it.
        let keep = self
            .window_rounds
            .saturating_add(self.exclude_recent_rounds)
            .saturating_mul(2);
        let highest = self.committed.keys().next_back().copied().unwrap_or(0);
        let floor = highest.saturating_sub(keep.max(1));
        while let Some((&lowest, _)) = self.committed.first_key_value() {
            if lowest >= floor || self.committed.len() <= 1 {
                break;
            }
            self.committed.remove(&lowest);
        }
    }

    /// The base (round-robin, power-weighted) leader of `round`.
    pub fn base_leader(&self, round: u64) -> PublicKey {
        let total = self.cumulative.last().copied().unwrap_or(0);
        if total == 0 {
            return PublicKey::default();
        }
        let position = round % total;
        let index = self.cumulative.partition_point(|&c| c <= position);
        self.validators
            .validators
            .get(index)
            .map(|v| v.public_key)
            .unwrap_or_default()
    }

    /// Validators excluded from leading `round` by their record.
    pub fn excluded(&self, round: u64) -> BTreeSet<PublicKey> {
        self.standing(round).0
    }

    /// Rounds without any commit after which reputation is set aside for plain round-robin:
    /// two full rotations of the set.
    pub fn stalled_after_rounds(&self) -> u64 {
        u64::try_from(self.validators.validators.len())
            .unwrap_or(u64::MAX)
            .saturating_mul(2)
    }

    /// Validators excluded from leading `round`, and validators active in its window.
    fn standing(&self, round: u64) -> (BTreeSet<PublicKey>, BTreeSet<PublicKey>) {
        let mut excluded = BTreeSet::new();
        if self.window_rounds == 0 {
            return (excluded, BTreeSet::new());
        }
        // A stalled chain: reputation's history is frozen and may be what stalls it.
        let latest_commit = self.committed.keys().next_back().copied().unwrap_or(0);
        if round.saturating_sub(latest_commit) > self.stalled_after_rounds() {
            return (excluded, BTreeSet::new());
        }
        let cutoff = round.saturating_sub(self.exclude_recent_rounds);
        let window_start = cutoff
            .saturating_sub(self.window_rounds)
            .saturating_add(1)
            .max(self.epoch_start_round);
        if window_start > cutoff {
            return (excluded, BTreeSet::new());
        }
        let Some(frontier) = self.committed.range(..=cutoff).next_back().map(|(r, _)| *r) else {
            return (excluded, BTreeSet::new());
        };
        let mut last_active: BTreeMap<PublicKey, u64> = BTreeMap::new();
        for (round, info) in self.committed.range(window_start..=cutoff) {
            let proposer = last_active.entry(info.proposer).or_insert(0);
            *proposer = (*proposer).max(*round);
            for signer in &info.qc_signers {
                let signed = last_active.entry(*signer).or_insert(0);
                *signed = (*signed).max(info.qc_round);
            }
        }
        let mut last_failure: BTreeMap<PublicKey, u64> = BTreeMap::new();
        for failed_round in window_start..frontier {
            if !self.committed.contains_key(&failed_round) {
                last_failure.insert(self.base_leader(failed_round), failed_round);
            }
        }
        let mut candidates: Vec<(u64, PublicKey)> = last_failure
            .into_iter()
            .filter_map(|(key, failed)| {
                let active = last_active.get(&key).copied().unwrap_or(0);
                (failed > active).then_some((active, key))
            })
            .collect();
        candidates.sort();
        let total = u128::from(self.validators.total_power());
        let mut excluded_power: u64 = 0;
        for (_, key) in candidates {
            let power = self.validators.power_of(&key).unwrap_or(0);
            let with = excluded_power.saturating_add(power);
            if u128::from(with) * 3 < total {
                excluded_power = with;
                excluded.insert(key);
            }
        }
        (excluded, last_active.into_keys().collect())
    }

    /// The leader of `round`: its base leader unless excluded; otherwise the base leader of the
    /// first following round that is not excluded and was active in the window (so a slot is
    /// never handed to a validator that has shown no sign of life), or failing that, not excluded.
    pub fn leader(&self, round: u64) -> PublicKey {
        let base = self.base_leader(round);
        let (excluded, active) = self.standing(round);
        if excluded.is_empty() || !excluded.contains(&base) {
            return base;
        }
        let total = self.cumulative.last().copied().unwrap_or(0);
        let following = || (1..=total).map(|step| self.base_leader(round.wrapping_add(step)));
        following()
            .find(|candidate| !excluded.contains(candidate) && active.contains(candidate))
            .or_else(|| following().find(|candidate| !excluded.contains(candidate)))
            .unwrap_or(base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::ValidatorInfo;

    fn key(byte: u8) -> PublicKey {
        PublicKey([byte; 32])
    }

    fn four() -> ValidatorSet {
        ValidatorSet::equal_power(0, &[key(1), key(2), key(3), key(4)]).unwrap()
    }

    /// A committed header of `round` by `proposer` whose parent QC (of `qc_round`) `signers`
    /// signed.
    fn committed(
        round: u64,
        qc_round: u64,
        proposer: PublicKey,
        signers: &[PublicKey],
    ) -> BlockHeader {
        use crate::crypto::Signature;
        use crate::types::{BlockId, ExecutedState, QuorumCert, VoteData};
        let vote_data = VoteData {
            epoch: 0,
            round: qc_round,
            height: 0,
            block_id: BlockId::default(),
        };
        BlockHeader {
            epoch: 0,
            round,
            height: round,
            parent_id: BlockId::default(),
            parent_qc: QuorumCert {
                vote_data,
                signatures: signers.iter().map(|k| (*k, Signature([0; 64]))).collect(),
            },
            payload_digest: [0; 32],
            proposer,
            timestamp_ms: 0,
            executed: ExecutedState {
                height: 0,
                state_root: [0; 32],
            },
            next_validator_set: None,
        }
    }

    /// Record `round` as committed by its base leader, its parent QC being the previous
    /// committed round's, signed by every validator not in `down`.
    fn commit(election: &mut LeaderElection, round: u64, down: &[PublicKey]) {
        let signers: Vec<PublicKey> = [key(1), key(2), key(3), key(4)]
            .into_iter()
            .filter(|k| !down.contains(k))
            .collect();
        let qc_round = election.committed.keys().next_back().copied().unwrap_or(0);
        let header = committed(round, qc_round, election.base_leader(round), &signers);
        election.record_commit(&header);
    }

    #[test]
    fn equal_power_is_plain_round_robin() {
        let election = LeaderElection::new(four(), 1, 0, 0);
        let leaders: Vec<_> = (0..8).map(|r| election.base_leader(r)).collect();
        assert_eq!(
            leaders,
            vec![
                key(1),
                key(2),
                key(3),
                key(4),
                key(1),
                key(2),
                key(3),
                key(4)
            ]
        );
    }

    #[test]
    fn weighted_round_robin_follows_power() {
        let set = ValidatorSet::new(
            0,
            vec![
                ValidatorInfo {
                    public_key: key(1),
                    voting_power: 2,
                },
                ValidatorInfo {
                    public_key: key(2),
                    voting_power: 1,
                },
            ],
        )
        .unwrap();
        let election = LeaderElection::new(set, 1, 0, 0);
        let leaders: Vec<_> = (0..6).map(|r| election.base_leader(r)).collect();
        assert_eq!(
            leaders,
            vec![key(1), key(1), key(2), key(1), key(1), key(2)]
        );
    }

    #[test]
    fn crashed_leader_is_skipped_after_a_settled_failure() {
        let mut election = LeaderElection::new(four(), 1, 20, 2);
        // key(4) has crashed: its rounds (3, 7, ...) never commit; every other round does.
        for round in (1..=10).filter(|r| r % 4 != 3) {
            commit(&mut election, round, &[key(4)]);
        }
        assert_eq!(election.base_leader(15), key(4));
        assert!(election.excluded(15).contains(&key(4)));
        assert_ne!(election.leader(15), key(4));
        assert_eq!(election.leader(15), key(1));
        // Others keep their slots.
        assert_eq!(election.leader(13), key(2));
    }

    #[test]
    fn substitute_leader_must_have_been_active() {
        // key(3) and key(4) show no activity in the window (key(4) never sent anything; key(3)
        // was down). Only a quarter of the power may be excluded, and key(3) goes first (key
        // order breaks the tie); its slot must then skip the inactive key(4).
        let mut election = LeaderElection::new(four(), 1, 40, 2);
        for round in [1u64, 4, 5, 8, 9, 12] {
            let qc_round = election.committed.keys().next_back().copied().unwrap_or(0);
            let header = committed(
                round,
                qc_round,
                election.base_leader(round),
                &[key(1), key(2)],
            );
            election.record_commit(&header);
        }
        let excluded = election.excluded(18);
        assert_eq!(excluded.into_iter().collect::<Vec<_>>(), vec![key(3)]);
        assert_eq!(election.base_leader(18), key(3));
        assert_eq!(election.base_leader(19), key(4));
        assert_eq!(
            election.leader(18),
            key(1),
            "skips the excluded key(3) and inactive key(4)"
        );
    }

    #[test]
    fn unsettled_failures_are_not_blamed() {
        let mut election = LeaderElection::new(four(), 1, 20, 2);
        for round in 1..=2 {
            commit(&mut election, round, &[]);
        }
        // Round 3 has no commit but nothing later is committed: not yet a settled failure.
        assert!(election.excluded(7).is_empty());
    }

    #[test]
    fn never_excludes_a_third_of_the_power() {
        let mut election = LeaderElection::new(four(), 1, 20, 2);
        // Only key(1)'s rounds commit, signed by key(1) alone: three validators look failed,
        // but at most less than a third of the power is excluded (the stalest first).
        for round in (1..=12).filter(|r| r % 4 == 0) {
            election.record_commit(&committed(round, round - 4, key(1), &[key(1)]));
        }
        let excluded = election.excluded(14);
        assert_eq!(excluded.len(), 1);
        assert!(!excluded.contains(&key(1)));
    }

    #[test]
    fn active_signer_is_not_excluded_for_a_lost_block() {
        // key(4) is silent; the block of the round before its own (key(3)'s) is lost every
        // time, but key(3) keeps signing QCs: key(4) is the stalest and the only one excluded.
        let mut election = LeaderElection::new(four(), 1, 20, 2);
        for round in (1..=12).filter(|r| r % 4 != 2 && r % 4 != 3) {
            commit(&mut election, round, &[key(4)]);
        }
        let excluded = election.excluded(14);
        assert!(excluded.contains(&key(4)));
        assert!(!excluded.contains(&key(3)));
    }

    #[test]
    fn validator_that_crashes_after_being_active_is_excluded() {
        // key(4) takes part in rounds 1..=8, then crashes: its later failures outweigh its
        // earlier activity.
        let mut election = LeaderElection::new(four(), 1, 20, 2);
        for round in 1..=8 {
            commit(&mut election, round, &[]);
        }
        for round in (9..=16).filter(|r| r % 4 != 2 && r % 4 != 3) {
            commit(&mut election, round, &[key(4)]);
        }
        let excluded = election.excluded(18);
        assert_eq!(excluded.into_iter().collect::<Vec<_>>(), vec![key(4)]);
    }

    /// Seed 2628 of the simulator, in small: key(2) (honest) was excluded by failures settled
    /// before the chain stalled, and key(3) has since crashed. Reputation's frozen schedule hands
    /// key(2)'s slot to key(3), so live leaders come in runs of two and nothing can commit; once
    /// the stall has lasted two rotations the plain rotation takes over, which has a run of three.
    #[test]
    fn a_stalled_chain_falls_back_to_plain_round_robin() {
        let mut election = LeaderElection::new(four(), 1, 40, 10);
        // key(2)'s own rounds (r % 4 == 1) fail while it is away.
        for round in (1..=20).filter(|r| r % 4 != 1) {
            commit(&mut election, round, &[key(2)]);
        }
        for round in 21..=24 {
            commit(&mut election, round, &[]);
        }
        let latest = 24;
        let stall = election.stalled_after_rounds();
        assert_eq!(stall, 8);
        // While the stall is young, key(2) is still excluded.
        assert!(election.excluded(latest + 6).contains(&key(2)));
        let live = |leader: PublicKey| leader != key(3);
        let longest_live_run = |rounds: std::ops::RangeInclusive<u64>| {
            let (mut best, mut run) = (0, 0);
            for round in rounds {
                run = if live(election.leader(round)) {
                    run + 1
                } else {
                    0
                };
                best = best.max(run);
            }
            best
        };
        assert!(
            longest_live_run(latest + 1..=latest + stall) < 3,
            "the frozen schedule alone never gives three live leaders in a row"
        );
        for round in latest + stall + 1..=latest + 4 * stall {
            assert!(election.excluded(round).is_empty());
            assert_eq!(election.leader(round), election.base_leader(round));
        }
        assert!(longest_live_run(latest + stall + 1..=latest + 2 * stall) >= 3);
    }

    #[test]
    fn failure_leaves_the_window() {
        let mut election = LeaderElection::new(four(), 1, 4, 0);
        for round in (1..=6).filter(|r| *r != 3) {
            commit(&mut election, round, &[key(4)]);
        }
        assert!(election.excluded(6).contains(&key(4)));
        for round in 7..=40 {
            commit(&mut election, round, &[]);
        }
        assert!(election.excluded(40).is_empty());
    }
}
