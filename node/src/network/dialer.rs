//! Re-dial schedule for members with known addresses.
//!
//! Each target is idle (waiting for its next dial time), dialing, or connected. A failed dial
//! doubles the delay up to the ceiling; a connection that stayed up at least as long as the
//! ceiling resets it, so a peer that accepts and immediately drops us (a ban, a crash loop) keeps
//! backing off instead of being hammered. No jitter: the schedule is a pure function of events
//! and the times passed in.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use libp2p::{Multiaddr, PeerId};

/// Addresses remembered per member (bootstrap first, then those it announced).
pub(crate) const MAX_ADDRESSES_PER_PEER: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DialState {
    Idle { next_dial_at: Instant },
    Dialing,
    Connected { since: Instant },
}

#[derive(Clone, Debug)]
struct DialTarget {
    addresses: Vec<Multiaddr>,
    state: DialState,
    /// Delay applied after the next failure or disconnect.
    next_backoff: Duration,
}

/// The re-dial schedule of all members with addresses.
#[derive(Debug)]
pub(crate) struct Redialer {
    backoff_min: Duration,
    backoff_max: Duration,
    targets: BTreeMap<PeerId, DialTarget>,
}

impl Redialer {
    pub(crate) fn new(backoff_min: Duration, backoff_max: Duration) -> Self {
        Self {
            backoff_min,
            backoff_max,
            targets: BTreeMap::new(),
        }
    }

    /// Adds addresses for a member (new ones only, up to [`MAX_ADDRESSES_PER_PEER`]); a new
    /// target is due immediately.
    pub(crate) fn add_addresses(
        &mut self,
        peer: PeerId,
        addresses: impl IntoIterator<Item = Multiaddr>,
        now: Instant,
    ) {
        let backoff_min = self.backoff_min;
        let target = self.targets.entry(peer).or_insert_with(|| DialTarget {
            addresses: Vec::new(),
            state: DialState::Idle { next_dial_at: now },
            next_backoff: backoff_min,
        });
        for address in addresses {
            if target.addresses.len() >= MAX_ADDRESSES_PER_PEER {
                break;
            }
            if !target.addresses.contains(&address) {
                target.addresses.push(address);
            }
        }
    }

    /// Forgets every target for which `keep` is false (members removed at an epoch change).
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&PeerId) -> bool) {
        self.targets.retain(|peer, _| keep(peer));
    }

    /// Targets whose dial time has come and that are not `blocked`; they become "dialing".
    pub(crate) fn take_due(
        &mut self,
        now: Instant,
        mut blocked: impl FnMut(&PeerId) -> bool,
    ) -> Vec<(PeerId, Vec<Multiaddr>)> {
        let mut due = Vec::new();
        for (peer, target) in &mut self.targets {
            let DialState::Idle { next_dial_at } = target.state else {
                continue;
            };
            if next_dial_at > now || target.addresses.is_empty() || blocked(peer) {
                continue;
            }
            target.state = DialState::Dialing;
            due.push((*peer, target.addresses.clone()));
        }
        due
    }

    /// A dial to `peer` failed (or could not start): wait, then try again with a longer delay.
    pub(crate) fn on_dial_failed(&mut self, peer: &PeerId, now: Instant) {
        let backoff_max = self.backoff_max;
        if let Some(target) = self.targets.get_mut(peer)
            && target.state == DialState::Dialing
        {
            target.state = DialState::Idle {
                next_dial_at: now + target.next_backoff,
            };
            target.next_backoff = target.next_backoff.saturating_mul(2).min(backoff_max);
        }
    }

    /// A connection to `peer` is up (dialed by us or by it).
    pub(crate) fn on_connected(&mut self, peer: &PeerId, now: Instant) {
        if let Some(target) = self.targets.get_mut(peer)
            && !matches!(target.state, DialState::Connected { .. })
        {
            target.state = DialState::Connected { since: now };
        }
    }

    /// The last connection to `peer` closed: schedule a re-dial.
    pub(crate) fn on_disconnected(&mut self, peer: &PeerId, now: Instant) {
        let (backoff_min, backoff_max) = (self.backoff_min, self.backoff_max);
        if let Some(target) = self.targets.get_mut(peer) {
            if let DialState::Connected { since } = target.state
                && now.saturating_duration_since(since) >= backoff_max
            {
                target.next_backoff = backoff_min;
            }
            target.state = DialState::Idle {
                next_dial_at: now + target.next_backoff,
            };
            target.next_backoff = target.next_backoff.saturating_mul(2).min(backoff_max);
        }
    }

    /// When `peer` will next be dialed, if it is idle.
    #[cfg(test)]
    fn next_dial_at(&self, peer: &PeerId) -> Option<Instant> {
        match self.targets.get(peer)?.state {
            DialState::Idle { next_dial_at } => Some(next_dial_at),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: Duration = Duration::from_millis(100);
    const MAX: Duration = Duration::from_millis(800);

    fn address(port: u16) -> Multiaddr {
        format!("/ip4/127.0.0.1/tcp/{port}").parse().unwrap()
    }

    #[test]
    fn failures_double_the_delay_up_to_the_ceiling() {
        let peer = PeerId::random();
        let start = Instant::now();
        let mut redialer = Redialer::new(MIN, MAX);
        redialer.add_addresses(peer, [address(1)], start);

        let mut now = start;
        let mut delays = Vec::new();
        for _ in 0..6 {
            let due = redialer.take_due(now, |_| false);
            assert_eq!(due, vec![(peer, vec![address(1)])]);
            // Dialing: not due again until the outcome is known.
            assert!(redialer.take_due(now + MAX * 10, |_| false).is_empty());
            redialer.on_dial_failed(&peer, now);
            let next = redialer.next_dial_at(&peer).unwrap();
            delays.push(next - now);
            assert!(
                redialer
                    .take_due(next - Duration::from_millis(1), |_| false)
                    .is_empty()
            );
            now = next;
        }
        let expected: Vec<Duration> = [100, 200, 400, 800, 800, 800]
            .into_iter()
            .map(Duration::from_millis)
            .collect();
        assert_eq!(delays, expected);
    }

    #[test]
    fn stable_connection_resets_backoff_but_flapping_does_not() {
        let peer = PeerId::random();
        let start = Instant::now();
        let mut redialer = Redialer::new(MIN, MAX);
        redialer.add_addresses(peer, [address(1)], start);
        let _ = redialer.take_due(start, |_| false);
        redialer.on_dial_failed(&peer, start); // next delay now 200 ms
        let _ = redialer.take_due(start + MIN, |_| false);

        // Connected briefly, then dropped: keep backing off (200 ms, then 400 ms).
        let t1 = start + MIN;
        redialer.on_connected(&peer, t1);
        redialer.on_disconnected(&peer, t1 + Duration::from_millis(10));
        assert_eq!(
            redialer.next_dial_at(&peer),
            Some(t1 + Duration::from_millis(210))
        );

        // Connected for longer than the ceiling: the next re-dial comes after the minimum.
        let t2 = start + Duration::from_secs(5);
        let _ = redialer.take_due(t2, |_| false);
        redialer.on_connected(&peer, t2);
        let t3 = t2 + MAX;
        redialer.on_disconnected(&peer, t3);
        assert_eq!(redialer.next_dial_at(&peer), Some(t3 + MIN));
    }

    #[test]
    fn blocked_and_addressless_targets_are_not_dialed() {
        let blocked = PeerId::random();
        let no_address = PeerId::random();
        let now = Instant::now();
        let mut redialer = Redialer::new(MIN, MAX);
        redialer.add_addresses(blocked, [address(1)], now);
        redialer.add_addresses(no_address, [], now);
        assert!(redialer.take_due(now, |peer| *peer == blocked).is_empty());
        assert_eq!(redialer.take_due(now, |_| false).len(), 1);
    }

    #[test]
    fn addresses_are_deduplicated_and_bounded() {
        let peer = PeerId::random();
        let now = Instant::now();
        let mut redialer = Redialer::new(MIN, MAX);
        redialer.add_addresses(peer, [address(1), address(1)], now);
        redialer.add_addresses(peer, (2..40).map(address), now);
        let due = redialer.take_due(now, |_| false);
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1.len(), MAX_ADDRESSES_PER_PEER);
        assert_eq!(due[0].1[0], address(1));
        assert_eq!(due[0].1[1], address(2));
    }

    #[test]
    fn removed_members_are_forgotten() {
        let peer = PeerId::random();
        let now = Instant::now();
        let mut redialer = Redialer::new(MIN, MAX);
        redialer.add_addresses(peer, [address(1)], now);
        redialer.retain(|_| false);
        assert!(redialer.take_due(now, |_| false).is_empty());
    }
}
