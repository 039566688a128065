//! The blocks being fetched, and what keeps a flood of forged ones from crowding out real ones.
//!
//! A target is either *verified* — its id and height come from a certificate whose signatures
//! were checked here under the current validator set — or a *hint*: a block named by an
//! unverified message of a later epoch, whose signatures cannot be checked before this node has
//! caught up with the epoch change. Hints are only ever a place to start asking; their heights
//! may be forged (say `u64::MAX`, a target that never completes), so
//!
//! - verified targets and hints are bounded separately: a hint never displaces a verified target,
//!   and a full set of verified targets makes room by forgetting its oldest;
//! - hints are kept per sending peer, at most [`crate::Config::sync_max_hints_per_peer`] each
//!   (a peer's new hint replaces its oldest), and only from current validators, so up to f
//!   Byzantine validators hold at most f × that many slots; a hint is requested at once only
//!   if its peer's hints had no request in the last [`crate::Config::sync_retry_ms`], so a
//!   flood of them does not turn into a flood of requests;
//! - every target is dropped after [`crate::Config::sync_max_attempts`] requests without
//!   progress (a peer that cannot or will not serve it does not pin it forever).
//!
//! A response that advances the committed height resets the attempt counts: the targets are
//! being served.

use std::collections::BTreeMap;

use crate::config::Config;
use crate::crypto::PublicKey;
use crate::types::BlockId;

/// Where a target came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TargetSource {
    /// A certificate verified here.
    Verified,
    /// An unverified message from this peer.
    Hint(PublicKey),
}

/// The limits the tracker enforces (from [`Config`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct SyncLimits {
    pub(crate) max_verified: usize,
    pub(crate) max_hints_per_peer: usize,
    pub(crate) max_attempts: u64,
    pub(crate) retry_ms: u64,
}

impl SyncLimits {
    pub(crate) fn of(config: &Config) -> Self {
        Self {
            max_verified: config.sync_max_targets,
            max_hints_per_peer: config.sync_max_hints_per_peer,
            max_attempts: config.sync_max_attempts,
            retry_ms: config.sync_retry_ms,
        }
    }
}

/// A block being fetched.
#[derive(Clone, Debug)]
pub(crate) struct SyncTarget {
    pub(crate) height: u64,
    pub(crate) source: TargetSource,
    /// Requests sent for it since it was tracked or last made progress (the first one included).
    pub(crate) attempts: u64,
    pub(crate) last_request_ms: u64,
    /// Order of tracking, for oldest-first eviction.
    sequence: u64,
}

impl SyncTarget {
    pub(crate) fn is_verified(&self) -> bool {
        self.source == TargetSource::Verified
    }
}

/// Blocks being fetched (see the module docs for the bounds).
#[derive(Clone, Debug, Default)]
pub(crate) struct SyncTracker {
    targets: BTreeMap<BlockId, SyncTarget>,
    next_sequence: u64,
    /// When each peer's hint was last requested at once, kept for one retry interval (so at
    /// most one entry per validator).
    hint_requested_ms: BTreeMap<PublicKey, u64>,
}

impl SyncTracker {
    /// The highest height among the targets taken from verified certificates.
    pub(crate) fn highest_verified_height(&self) -> Option<u64> {
        self.targets
            .values()
            .filter(|target| target.is_verified())
            .map(|target| target.height)
            .max()
    }

    /// Start tracking `target` at `height`; true when a first request should go out now (a new
    /// target, or a hint just confirmed by a verified certificate).
    pub(crate) fn track(
        &mut self,
        target: BlockId,
        height: u64,
        source: TargetSource,
        now_ms: u64,
        limits: SyncLimits,
    ) -> bool {
        if let Some(existing) = self.targets.get_mut(&target) {
            if source == TargetSource::Verified && !existing.is_verified() {
                // The hint's height was unverified; the certificate's is not.
                existing.source = TargetSource::Verified;
                existing.height = height;
                existing.attempts = 1;
                existing.last_request_ms = now_ms;
                self.make_room_for_verified(limits.max_verified, Some(target));
                return self.targets.contains_key(&target);
            }
            return false;
        }
        // A peer sending message after message of a later epoch gets one immediate request per
        // retry interval; its other hints go out with the next retries.
        let request_now = match source {
            TargetSource::Verified => true,
            TargetSource::Hint(peer) => {
                self.hint_requested_ms
                    .retain(|_, at| now_ms.saturating_sub(*at) < limits.retry_ms);
                let quiet = !self.hint_requested_ms.contains_key(&peer);
                if quiet {
                    self.hint_requested_ms.insert(peer, now_ms);
                }
                quiet
            }
        };
        match source {
            TargetSource::Verified => {
                if limits.max_verified == 0 {
                    return false;
                }
                self.make_room_for_verified(limits.max_verified.saturating_sub(1), None);
            }
            TargetSource::Hint(peer) => {
                if limits.max_hints_per_peer == 0 {
                    return false;
                }
                while self.hints_of(&peer) >= limits.max_hints_per_peer {
                    let Some(oldest) = self.oldest(|_, t| t.source == source) else {
                        break;
                    };
                    self.targets.remove(&oldest);
                }
            }
        }
        self.next_sequence = self.next_sequence.saturating_add(1);
        self.targets.insert(
            target,
            SyncTarget {
                height,
                source,
                attempts: u64::from(request_now),
                last_request_ms: if request_now {
                    now_ms
                } else {
                    now_ms.saturating_sub(limits.retry_ms)
                },
                sequence: self.next_sequence,
            },
        );
        request_now
    }

    /// Forget the oldest verified targets (never `keep`) until at most `max` remain.
    fn make_room_for_verified(&mut self, max: usize, keep: Option<BlockId>) {
        while self.targets.values().filter(|t| t.is_verified()).count() > max {
            let Some(oldest) = self.oldest(|id, t| t.is_verified() && Some(*id) != keep) else {
                break;
            };
            self.targets.remove(&oldest);
        }
    }

    fn hints_of(&self, peer: &PublicKey) -> usize {
        self.targets
            .values()
            .filter(|t| t.source == TargetSource::Hint(*peer))
            .count()
    }

    fn oldest(&self, which: impl Fn(&BlockId, &SyncTarget) -> bool) -> Option<BlockId> {
        self.targets
            .iter()
            .filter(|(id, t)| which(id, t))
            .min_by_key(|(_, t)| t.sequence)
            .map(|(id, _)| *id)
    }

    /// Targets whose last request is older than `retry_ms`, marked as re-requested now. Targets
    /// that already had their `max_attempts` requests are dropped instead.
    pub(crate) fn due(
        &mut self,
        now_ms: u64,
        retry_ms: u64,
        limits: SyncLimits,
    ) -> Vec<(BlockId, SyncTarget)> {
        self.targets.retain(|_, t| {
            t.attempts < limits.max_attempts || now_ms.saturating_sub(t.last_request_ms) < retry_ms
        });
        let mut due = Vec::new();
        for (id, target) in self.targets.iter_mut() {
            if now_ms.saturating_sub(target.last_request_ms) >= retry_ms {
                target.attempts = target.attempts.saturating_add(1);
                target.last_request_ms = now_ms;
                due.push((*id, target.clone()));
            }
        }
        due
    }

    /// The committed height advanced through a response: every target is being served.
    pub(crate) fn progressed(&mut self) {
        for target in self.targets.values_mut() {
            target.attempts = 1;
        }
    }

    /// Stop tracking targets for which `keep` fails.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&BlockId, &SyncTarget) -> bool) {
        self.targets.retain(|id, t| keep(id, t));
    }

    /// True when `id` is a target named by a verified certificate.
    pub(crate) fn is_verified(&self, id: &BlockId) -> bool {
        self.targets.get(id).is_some_and(SyncTarget::is_verified)
    }

    /// Every target with its height, verified ones first.
    pub(crate) fn all(&self) -> Vec<(BlockId, u64)> {
        let mut all: Vec<(BlockId, u64, bool)> = self
            .targets
            .iter()
            .map(|(id, t)| (*id, t.height, t.is_verified()))
            .collect();
        all.sort_by_key(|(_, _, verified)| !*verified);
        all.into_iter().map(|(id, h, _)| (id, h)).collect()
    }

    /// Number of targets tracked.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.targets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> BlockId {
        BlockId([n; 32])
    }

    fn limits() -> SyncLimits {
        SyncLimits {
            max_verified: 2,
            max_hints_per_peer: 1,
            max_attempts: 3,
            retry_ms: 100,
        }
    }

    #[test]
    fn hints_never_displace_verified_targets_and_are_bounded_per_peer() {
        let mut tracker = SyncTracker::default();
        let forger = PublicKey([1; 32]);
        let honest = PublicKey([2; 32]);
        assert!(tracker.track(id(1), 5, TargetSource::Verified, 0, limits()));
        assert!(tracker.track(id(10), u64::MAX, TargetSource::Hint(forger), 0, limits()));
        for n in 11..20 {
            // The forger's newer hints replace its older ones, and wait for the retry timer.
            assert!(!tracker.track(id(n), u64::MAX, TargetSource::Hint(forger), 0, limits()));
        }
        assert!(tracker.track(id(30), 7, TargetSource::Hint(honest), 0, limits()));
        assert!(tracker.is_verified(&id(1)));
        assert_eq!(tracker.len(), 3, "one verified, one hint per peer");
        assert!(
            tracker.targets.contains_key(&id(19)),
            "the newest hint stays"
        );
        assert!(tracker.targets.contains_key(&id(30)));
    }

    #[test]
    fn a_full_verified_set_forgets_its_oldest() {
        let mut tracker = SyncTracker::default();
        for n in 1..=3 {
            assert!(tracker.track(id(n), u64::from(n), TargetSource::Verified, 0, limits()));
        }
        assert!(!tracker.is_verified(&id(1)));
        assert!(tracker.is_verified(&id(2)) && tracker.is_verified(&id(3)));
    }

    #[test]
    fn targets_are_dropped_after_the_attempt_limit_unless_served() {
        let mut tracker = SyncTracker::default();
        let peer = PublicKey([1; 32]);
        tracker.track(id(1), u64::MAX, TargetSource::Hint(peer), 0, limits());
        tracker.track(id(2), 9, TargetSource::Verified, 0, limits());
        assert_eq!(tracker.due(100, 100, limits()).len(), 2);
        tracker.progressed();
        assert_eq!(tracker.due(200, 100, limits()).len(), 2);
        assert_eq!(tracker.due(300, 100, limits()).len(), 2);
        assert!(tracker.due(400, 100, limits()).is_empty());
        assert_eq!(tracker.len(), 0);
    }

    #[test]
    fn a_verified_certificate_confirms_a_hint_with_its_own_height() {
        let mut tracker = SyncTracker::default();
        let peer = PublicKey([1; 32]);
        tracker.track(id(1), u64::MAX, TargetSource::Hint(peer), 0, limits());
        assert!(tracker.track(id(1), 4, TargetSource::Verified, 0, limits()));
        assert_eq!(tracker.all(), vec![(id(1), 4)]);
        assert!(!tracker.track(id(1), 4, TargetSource::Verified, 0, limits()));
    }
}
