//! The simulated network the real hosts talk over: every message, request, answer and gossiped
//! transaction is delivered by a task that sleeps a seeded delay on the runtime's virtual clock,
//! or is lost (seeded drops, cut links, a stopped node). Membership is enforced as the libp2p
//! gate does: a node hears only from the keys its host last gave to `set_members`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use yrd_node::host::HostNetwork;
use yrd_node::network::{Channel, GossipTicket, GossipVerdict, NetworkError, NetworkEvent};

use crate::sim::rng::SimRng;

/// How long a request waits for its answer (the node's default request timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_millis(5_000);
/// Events buffered per node (the libp2p driver's event channel holds as many).
pub const EVENT_QUEUE: usize = 4_096;

/// The seeded fault rates of one run.
#[derive(Debug, Clone, Copy)]
pub struct LinkFaults {
    /// Messages lost, per million.
    pub drop_per_million: u64,
    /// Usual one-way delay, ms (inclusive range).
    pub delay_ms: (u64, u64),
    /// Messages delayed much longer, per million.
    pub slow_per_million: u64,
    /// The long delay, ms.
    pub slow_ms: (u64, u64),
}

impl LinkFaults {
    /// No loss, 1–5 ms: the network once the run heals.
    pub const CALM: LinkFaults = LinkFaults {
        drop_per_million: 0,
        delay_ms: (1, 5),
        slow_per_million: 0,
        slow_ms: (0, 0),
    };
}

/// A report one node made about another (`report_invalid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Who reported.
    pub by: [u8; 32],
    /// Who was reported.
    pub about: [u8; 32],
    /// Why.
    pub reason: String,
}

#[derive(Debug, Default)]
struct Slot {
    /// The running node's event queue (`None` while stopped).
    events: Option<mpsc::Sender<NetworkEvent>>,
    /// Whom the node accepts traffic from (`None` until its host sets it).
    members: Option<BTreeSet<[u8; 32]>>,
}

/// Counters of what the network did.
#[derive(Debug, Default, Clone, Copy)]
pub struct FabricStats {
    /// Messages, requests, answers and gossip deliveries sent on their way.
    pub delivered: u64,
    /// Lost to a seeded drop.
    pub dropped: u64,
    /// Lost to a cut link, a stopped node or membership.
    pub refused: u64,
}

/// The shared network state.
#[derive(Debug)]
pub struct Fabric {
    rng: SimRng,
    faults: LinkFaults,
    slots: BTreeMap<[u8; 32], Slot>,
    /// Cut links, as ordered pairs (both directions are stored).
    cut: BTreeSet<([u8; 32], [u8; 32])>,
    reports: Vec<Report>,
    next_ticket: u64,
    stats: FabricStats,
    /// A member whose answers to requests are corrupted on the way out (a Byzantine server of
    /// block sync and observer pulls); its consensus messages are left alone.
    corrupt_answers: Option<[u8; 32]>,
}

/// One node's handle on the fabric: what its host sends through.
#[derive(Debug, Clone)]
pub struct SimNet {
    me: [u8; 32],
    fabric: Arc<Mutex<Fabric>>,
}

/// The fabric, shared by the run and every node's [`SimNet`].
#[derive(Debug, Clone)]
pub struct SharedFabric(Arc<Mutex<Fabric>>);

impl SharedFabric {
    /// A fabric drawing its faults from `rng`.
    pub fn new(rng: SimRng, faults: LinkFaults) -> Self {
        Self(Arc::new(Mutex::new(Fabric {
            rng,
            faults,
            slots: BTreeMap::new(),
            cut: BTreeSet::new(),
            reports: Vec::new(),
            next_ticket: 0,
            stats: FabricStats::default(),
            corrupt_answers: None,
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Fabric> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The handle a node with key `me` sends through.
    pub fn handle(&self, me: [u8; 32]) -> SimNet {
        SimNet {
            me,
            fabric: Arc::clone(&self.0),
        }
    }

    /// A node starts: it gets a fresh event queue, and it and the running nodes hear that the
    /// other connected.
    pub fn attach(&self, key: [u8; 32]) -> mpsc::Receiver<NetworkEvent> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let mut fabric = self.lock();
        let others: Vec<([u8; 32], mpsc::Sender<NetworkEvent>)> = fabric
            .slots
            .iter()
            .filter(|(other, _)| **other != key)
            .filter_map(|(other, slot)| slot.events.clone().map(|events| (*other, events)))
            .collect();
        for (other, events) in others {
            let _ = events.try_send(NetworkEvent::PeerConnected { key });
            let _ = tx.try_send(NetworkEvent::PeerConnected { key: other });
        }
        let slot = fabric.slots.entry(key).or_default();
        slot.events = Some(tx);
        slot.members = None;
        rx
    }

    /// A node stops (crash or shutdown): what is in flight to it is lost, and the others hear
    /// that it disconnected.
    pub fn detach(&self, key: [u8; 32]) {
        let mut fabric = self.lock();
        if let Some(slot) = fabric.slots.get_mut(&key) {
            slot.events = None;
        }
        for (other, slot) in &fabric.slots {
            if *other != key
                && let Some(events) = &slot.events
            {
                let _ = events.try_send(NetworkEvent::PeerDisconnected { key });
            }
        }
    }

    /// Cuts every link between `key` and the others (a partition of one node), or heals them.
    pub fn isolate(&self, key: [u8; 32], isolated: bool) {
        let mut fabric = self.lock();
        let others: Vec<[u8; 32]> = fabric.slots.keys().copied().filter(|k| *k != key).collect();
        for other in others {
            if isolated {
                fabric.cut.insert((key, other));
                fabric.cut.insert((other, key));
            } else {
                fabric.cut.remove(&(key, other));
                fabric.cut.remove(&(other, key));
            }
        }
    }

    /// Replaces the link faults (the run heals the network before its final checks).
    pub fn set_faults(&self, faults: LinkFaults) {
        self.lock().faults = faults;
    }

    /// Makes `key`'s answers to requests garbage from now on (`None`: honest again).
    pub fn corrupt_answers_of(&self, key: Option<[u8; 32]>) {
        self.lock().corrupt_answers = key;
    }

    /// Sends `bytes` from `from` to `to` as a consensus message, bypassing `from`'s host (a
    /// Byzantine member's own traffic).
    pub fn inject(&self, from: [u8; 32], to: [u8; 32], bytes: Vec<u8>) {
        let route = self.lock().route(from, to);
        deliver_later(
            route,
            NetworkEvent::Message {
                from,
                channel: Channel::Consensus,
                bytes,
            },
        );
    }

    /// Every `report_invalid` made so far.
    pub fn reports(&self) -> Vec<Report> {
        self.lock().reports.clone()
    }

    /// What the network did.
    pub fn stats(&self) -> FabricStats {
        self.lock().stats
    }
}

impl Fabric {
    /// Where and after how long a delivery from `from` to `to` arrives, or `None` if it is lost.
    fn route(
        &mut self,
        from: [u8; 32],
        to: [u8; 32],
    ) -> Option<(mpsc::Sender<NetworkEvent>, Duration)> {
        let sender_up = self
            .slots
            .get(&from)
            .is_some_and(|slot| slot.events.is_some());
        let Some(slot) = self.slots.get(&to) else {
            self.stats.refused += 1;
            return None;
        };
        let admitted = slot
            .members
            .as_ref()
            .is_none_or(|members| members.contains(&from));
        let (Some(events), true, true, false) = (
            slot.events.clone(),
            sender_up,
            admitted,
            self.cut.contains(&(from, to)),
        ) else {
            self.stats.refused += 1;
            return None;
        };
        if self.rng.chance(self.faults.drop_per_million) {
            self.stats.dropped += 1;
            return None;
        }
        let (low, high) = if self.rng.chance(self.faults.slow_per_million) {
            self.faults.slow_ms
        } else {
            self.faults.delay_ms
        };
        self.stats.delivered += 1;
        Some((events, Duration::from_millis(self.rng.range(low, high))))
    }

    fn connected(&self, from: [u8; 32], to: [u8; 32]) -> bool {
        self.slots
            .get(&to)
            .is_some_and(|slot| slot.events.is_some())
            && self
                .slots
                .get(&from)
                .is_some_and(|slot| slot.events.is_some())
            && !self.cut.contains(&(from, to))
    }
}

fn deliver_later(route: Option<(mpsc::Sender<NetworkEvent>, Duration)>, event: NetworkEvent) {
    if let Some((events, delay)) = route {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let _ = events.send(event).await;
        });
    }
}

impl SimNet {
    fn lock(&self) -> MutexGuard<'_, Fabric> {
        self.fabric.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a request and waits for its answer, as [`HostNetwork::request`].
    async fn exchange(&self, to: [u8; 32], bytes: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let key_hex = hex::encode(to);
        let (route, back, corrupt) = {
            let mut fabric = self.lock();
            if !fabric.connected(self.me, to) {
                return Err(NetworkError::NotConnected { key_hex });
            }
            let route = fabric.route(self.me, to);
            // The answer's delay is drawn now, so the draw order does not depend on timing.
            let back = fabric.route(to, self.me).map(|(_, delay)| delay);
            let corrupt = (fabric.corrupt_answers == Some(to)).then(|| fabric.rng.next_u64());
            (route, back, corrupt)
        };
        let sent = tokio::time::Instant::now();
        let (respond, answer) = oneshot::channel();
        deliver_later(
            route,
            NetworkEvent::Request {
                from: self.me,
                bytes,
                respond,
            },
        );
        let waited_ms = REQUEST_TIMEOUT.as_millis() as u64;
        match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
            Ok(Ok(answer)) => match back {
                Some(delay) => {
                    tokio::time::sleep(delay).await;
                    Ok(match corrupt {
                        Some(draw) => corrupt_bytes(answer, draw),
                        None => answer,
                    })
                }
                None => {
                    // The answer was lost on its way back: the requester waits out its timeout.
                    tokio::time::sleep_until(sent + REQUEST_TIMEOUT).await;
                    Err(NetworkError::RequestTimeout { key_hex, waited_ms })
                }
            },
            Ok(Err(_)) => Err(NetworkError::RequestFailed {
                key_hex,
                reason: "the peer dropped the request".into(),
            }),
            Err(_) => Err(NetworkError::RequestTimeout { key_hex, waited_ms }),
        }
    }
}

/// A corrupted answer: cut short, one byte flipped, or replaced by noise, as `draw` picks.
fn corrupt_bytes(mut answer: Vec<u8>, draw: u64) -> Vec<u8> {
    let len = answer.len();
    match draw % 3 {
        0 => answer.truncate(len / 2),
        1 if len > 0 => {
            let at = (draw >> 8) as usize % len;
            answer[at] ^= 0x5A;
        }
        _ => answer = draw.to_le_bytes().repeat(1 + (draw >> 60) as usize),
    }
    answer
}

impl HostNetwork for SimNet {
    async fn send(
        &self,
        to: [u8; 32],
        channel: Channel,
        bytes: Vec<u8>,
    ) -> Result<(), NetworkError> {
        let route = self.lock().route(self.me, to);
        deliver_later(
            route,
            NetworkEvent::Message {
                from: self.me,
                channel,
                bytes,
            },
        );
        Ok(())
    }

    async fn request(&self, to: [u8; 32], bytes: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        self.exchange(to, bytes).await
    }

    async fn publish_transaction(&self, bytes: Vec<u8>) -> Result<(), NetworkError> {
        let mut fabric = self.lock();
        let others: Vec<[u8; 32]> = fabric
            .slots
            .keys()
            .copied()
            .filter(|key| *key != self.me)
            .collect();
        for to in others {
            let route = fabric.route(self.me, to);
            fabric.next_ticket += 1;
            let Some(ticket) = GossipTicket::detached(fabric.next_ticket, &self.me) else {
                continue;
            };
            deliver_later(
                route,
                NetworkEvent::Transaction {
                    from: self.me,
                    bytes: bytes.clone(),
                    ticket,
                },
            );
        }
        Ok(())
    }

    async fn gossip_verdict(
        &self,
        _ticket: GossipTicket,
        _verdict: GossipVerdict,
    ) -> Result<(), NetworkError> {
        // Publishing reaches every member directly (a full mesh), so nothing is forwarded; a
        // transaction lost on a link is sent again by its client.
        Ok(())
    }

    async fn report_invalid(&self, from: [u8; 32], reason: &str) -> Result<(), NetworkError> {
        self.lock().reports.push(Report {
            by: self.me,
            about: from,
            reason: reason.to_string(),
        });
        Ok(())
    }

    async fn set_members(&self, members: BTreeSet<[u8; 32]>) -> Result<(), NetworkError> {
        if let Some(slot) = self.lock().slots.get_mut(&self.me) {
            slot.members = Some(members);
        }
        Ok(())
    }
}
