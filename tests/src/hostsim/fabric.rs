//! The simulated network the real hosts talk over: every message, request, answer and gossiped
//! transaction is delivered by a task that sleeps a seeded delay on the runtime's virtual clock,
//! or is lost (seeded drops, cut links, a stopped node), and may arrive twice. Membership is
//! enforced as the libp2p gate does: a node hears only from the keys its host last gave to
//! `set_members`.
//!
//! The network knows running instances, not keys: two instances may share a key (Twins), and a
//! message to a key reaches every instance holding it. A Byzantine instance's traffic is
//! rewritten on its way out ([`super::byzantine`]).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use yrd_consensus::{ConsensusMessage, SuiteSigner};
use yrd_node::host::HostNetwork;
use yrd_node::network::{Channel, GossipTicket, GossipVerdict, NetworkError, NetworkEvent};

use super::byzantine::{self, Behaviour, ByzantineState, Wire};
use crate::rng::SimRng;

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
    /// Messages delivered twice, per million.
    pub duplicate_per_million: u64,
}

impl LinkFaults {
    /// No loss, 1–5 ms: the network once the run heals.
    pub const CALM: LinkFaults = LinkFaults {
        drop_per_million: 0,
        delay_ms: (1, 5),
        slow_per_million: 0,
        slow_ms: (0, 0),
        duplicate_per_million: 0,
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

/// A Byzantine instance's means and memory.
struct Rogue {
    behaviour: Behaviour,
    signer: SuiteSigner,
    state: ByzantineState,
}

struct Slot {
    /// The key the instance runs with.
    key: [u8; 32],
    /// The running instance's event queue (`None` while stopped).
    events: Option<mpsc::Sender<NetworkEvent>>,
    /// Whom the instance accepts traffic from (`None` until its host sets it).
    members: Option<BTreeSet<[u8; 32]>>,
    /// How its traffic is rewritten (`None`: honest).
    rogue: Option<Rogue>,
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
    /// Delivered twice.
    pub duplicated: u64,
    /// Sends of a Byzantine instance's host that its behaviour changed (dropped, replaced, or
    /// sent with others).
    pub rewritten: u64,
}

/// The shared network state.
pub struct Fabric {
    rng: SimRng,
    faults: LinkFaults,
    /// By instance index.
    slots: BTreeMap<usize, Slot>,
    /// Cut links between instances, as ordered pairs (both directions are stored).
    cut: BTreeSet<(usize, usize)>,
    reports: Vec<Report>,
    next_ticket: u64,
    stats: FabricStats,
}

/// One instance's handle on the fabric: what its host sends through.
#[derive(Clone)]
pub struct SimNet {
    me: usize,
    key: [u8; 32],
    fabric: Arc<Mutex<Fabric>>,
}

/// The fabric, shared by the run and every instance's [`SimNet`].
#[derive(Clone)]
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
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Fabric> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The handle instance `me` (running with `key`) sends through.
    pub fn handle(&self, me: usize, key: [u8; 32]) -> SimNet {
        SimNet {
            me,
            key,
            fabric: Arc::clone(&self.0),
        }
    }

    /// Instance `me` starts with `key`: it gets a fresh event queue, and it and the running
    /// instances hear that the other connected.
    pub fn attach(&self, me: usize, key: [u8; 32]) -> mpsc::Receiver<NetworkEvent> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        let mut fabric = self.lock();
        let others: Vec<([u8; 32], mpsc::Sender<NetworkEvent>)> = fabric
            .slots
            .iter()
            .filter(|(other, slot)| **other != me && slot.key != key)
            .filter_map(|(_, slot)| slot.events.clone().map(|events| (slot.key, events)))
            .collect();
        for (other, events) in others {
            let _ = events.try_send(NetworkEvent::PeerConnected { key, address: None });
            let _ = tx.try_send(NetworkEvent::PeerConnected {
                key: other,
                address: None,
            });
        }
        let slot = fabric.slots.entry(me).or_insert_with(|| Slot {
            key,
            events: None,
            members: None,
            rogue: None,
        });
        slot.key = key;
        slot.events = Some(tx);
        slot.members = None;
        rx
    }

    /// Instance `me` stops (crash or shutdown): what is in flight to it is lost, and the others
    /// hear that it disconnected.
    pub fn detach(&self, me: usize) {
        let mut fabric = self.lock();
        let Some(slot) = fabric.slots.get_mut(&me) else {
            return;
        };
        slot.events = None;
        let key = slot.key;
        for (other, slot) in &fabric.slots {
            if *other != me
                && slot.key != key
                && let Some(events) = &slot.events
            {
                let _ = events.try_send(NetworkEvent::PeerDisconnected { key });
            }
        }
    }

    /// Cuts every link between instance `me` and the others (a partition of one), or heals them.
    pub fn isolate(&self, me: usize, isolated: bool) {
        let mut fabric = self.lock();
        let others: Vec<usize> = fabric.slots.keys().copied().filter(|k| *k != me).collect();
        for other in others {
            if isolated {
                fabric.cut.insert((me, other));
                fabric.cut.insert((other, me));
            } else {
                fabric.cut.remove(&(me, other));
                fabric.cut.remove(&(other, me));
            }
        }
    }

    /// Splits the network: instance `i` is on side `sides[i]`; links across sides are cut.
    pub fn partition(&self, sides: &[u8]) {
        let mut fabric = self.lock();
        for (a, side_a) in sides.iter().enumerate() {
            for (b, side_b) in sides.iter().enumerate() {
                if side_a != side_b {
                    fabric.cut.insert((a, b));
                }
            }
        }
    }

    /// Heals every cut link.
    pub fn heal(&self) {
        self.lock().cut.clear();
    }

    /// Replaces the link faults (the run heals the network before its final checks).
    pub fn set_faults(&self, faults: LinkFaults) {
        self.lock().faults = faults;
    }

    /// Makes instance `me` Byzantine with `behaviour`, signing with `signer` (its validator
    /// key), from now on and across its restarts.
    pub fn make_byzantine(
        &self,
        me: usize,
        key: [u8; 32],
        behaviour: Behaviour,
        signer: SuiteSigner,
    ) {
        let mut fabric = self.lock();
        let slot = fabric.slots.entry(me).or_insert_with(|| Slot {
            key,
            events: None,
            members: None,
            rogue: None,
        });
        slot.rogue = Some(Rogue {
            behaviour,
            signer,
            state: ByzantineState::default(),
        });
    }

    /// Sends `bytes` from instance `from` to instance `to` as a consensus message, bypassing
    /// `from`'s host (a Byzantine member's own traffic).
    pub fn inject(&self, from: usize, to: usize, bytes: Vec<u8>) {
        let mut fabric = self.lock();
        let Some(key) = fabric.slots.get(&from).map(|slot| slot.key) else {
            return;
        };
        let route = fabric.route(from, to);
        deliver_later(
            route,
            NetworkEvent::Message {
                from: key,
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
    /// Where and after how long a delivery from instance `from` to instance `to` arrives, or
    /// `None` if it is lost.
    fn route(&mut self, from: usize, to: usize) -> Option<(mpsc::Sender<NetworkEvent>, Duration)> {
        let sender = self
            .slots
            .get(&from)
            .and_then(|slot| slot.events.is_some().then_some(slot.key));
        let Some(slot) = self.slots.get(&to) else {
            self.stats.refused += 1;
            return None;
        };
        let (Some(from_key), Some(events), false) =
            (sender, slot.events.clone(), self.cut.contains(&(from, to)))
        else {
            self.stats.refused += 1;
            return None;
        };
        let admitted = slot
            .members
            .as_ref()
            .is_none_or(|members| members.contains(&from_key));
        if !admitted {
            self.stats.refused += 1;
            return None;
        }
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

    fn connected(&self, from: usize, to: usize) -> bool {
        self.slots
            .get(&to)
            .is_some_and(|slot| slot.events.is_some())
            && self
                .slots
                .get(&from)
                .is_some_and(|slot| slot.events.is_some())
            && !self.cut.contains(&(from, to))
    }

    /// The running instances holding `key`, other than `me`.
    fn instances_of(&self, key: [u8; 32], me: usize) -> Vec<usize> {
        self.slots
            .iter()
            .filter(|(index, slot)| **index != me && slot.key == key)
            .map(|(index, _)| *index)
            .collect()
    }

    /// What a Byzantine instance `me` really sends to `target` in place of the consensus message
    /// `bytes` (`None`: `me` is honest, or the bytes are not a message, and they go as they are).
    fn rewrite(&mut self, me: usize, target: usize, bytes: &[u8]) -> Option<Vec<Wire>> {
        let rogue = self.slots.get_mut(&me)?.rogue.as_mut()?;
        let message = ConsensusMessage::decode(bytes).ok()?;
        Some(byzantine::rewrite(
            byzantine::Sender {
                behaviour: rogue.behaviour,
                signer: &rogue.signer,
                me,
                state: &mut rogue.state,
            },
            target,
            message,
        ))
    }

    /// Sends a one-way message from `from` to `to`, delivered twice now and then.
    fn send_message(
        &mut self,
        from: usize,
        key: [u8; 32],
        to: usize,
        channel: Channel,
        bytes: Vec<u8>,
    ) {
        let route = self.route(from, to);
        if route.is_some() && self.rng.chance(self.faults.duplicate_per_million) {
            self.stats.duplicated += 1;
            let again = route
                .as_ref()
                .map(|(events, delay)| (events.clone(), *delay + Duration::from_millis(1)));
            deliver_later(
                again,
                NetworkEvent::Message {
                    from: key,
                    channel,
                    bytes: bytes.clone(),
                },
            );
        }
        deliver_later(
            route,
            NetworkEvent::Message {
                from: key,
                channel,
                bytes,
            },
        );
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

/// How a Byzantine server changes its answer to a request.
enum AnswerFault {
    /// Corrupted bytes ([`byzantine::corrupt_bytes`]) with this draw.
    Garble(u64),
    /// Wrong sync answers ([`byzantine::serve_sync`]).
    WrongSync,
    /// No answer at all.
    Mute,
}

impl SimNet {
    fn lock(&self) -> MutexGuard<'_, Fabric> {
        self.fabric.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a request to instance `to` and waits for its answer, as [`HostNetwork::request`].
    async fn exchange(&self, to: usize, bytes: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let (route, back, fault, key_hex) = {
            let mut fabric = self.lock();
            let key_hex = fabric
                .slots
                .get(&to)
                .map(|slot| hex::encode(slot.key))
                .unwrap_or_default();
            if !fabric.connected(self.me, to) {
                return Err(NetworkError::NotConnected { key_hex });
            }
            let route = fabric.route(self.me, to);
            // The answer's delay is drawn now, so the draw order does not depend on timing.
            let back = fabric.route(to, self.me).map(|(_, delay)| delay);
            let behaviour = fabric
                .slots
                .get(&to)
                .and_then(|slot| slot.rogue.as_ref())
                .map(|rogue| rogue.behaviour);
            let fault = match behaviour {
                Some(Behaviour::Garbler) => Some(AnswerFault::Garble(fabric.rng.next_u64())),
                Some(Behaviour::SyncAbuser) => Some(AnswerFault::WrongSync),
                Some(Behaviour::Silent) => Some(AnswerFault::Mute),
                _ => None,
            };
            (route, back, fault, key_hex)
        };
        let sent = tokio::time::Instant::now();
        let (respond, answer) = oneshot::channel();
        let request = bytes.clone();
        deliver_later(
            route,
            NetworkEvent::Request {
                from: self.key,
                bytes,
                respond,
            },
        );
        let waited_ms = REQUEST_TIMEOUT.as_millis() as u64;
        match tokio::time::timeout(REQUEST_TIMEOUT, answer).await {
            Ok(Ok(answer)) => match (back, fault) {
                (Some(delay), fault) if !matches!(fault, Some(AnswerFault::Mute)) => {
                    tokio::time::sleep(delay).await;
                    Ok(match fault {
                        Some(AnswerFault::Garble(draw)) => byzantine::corrupt_bytes(answer, draw),
                        Some(AnswerFault::WrongSync) => wrong_sync_answer(&request, answer),
                        _ => answer,
                    })
                }
                _ => {
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

/// A sync abuser's answer: the honest sync response made wrong ([`byzantine::serve_sync`]);
/// other answers (state-sync chunks) pass unchanged.
fn wrong_sync_answer(request: &[u8], answer: Vec<u8>) -> Vec<u8> {
    match (
        ConsensusMessage::decode(request),
        ConsensusMessage::decode(&answer),
    ) {
        (
            Ok(ConsensusMessage::SyncRequest(request)),
            Ok(ConsensusMessage::SyncResponse(response)),
        ) => ConsensusMessage::SyncResponse(Box::new(byzantine::serve_sync(
            Behaviour::SyncAbuser,
            &request,
            *response,
        )))
        .encode(),
        _ => answer,
    }
}

impl HostNetwork for SimNet {
    /// The fabric addresses hosts by member key: a member needs no network key here.
    fn uses_network_keys(&self) -> bool {
        false
    }

    async fn send(
        &self,
        to: [u8; 32],
        channel: Channel,
        bytes: Vec<u8>,
    ) -> Result<(), NetworkError> {
        let mut requests = Vec::new();
        {
            let mut guard = self.lock();
            let fabric = &mut *guard;
            for target in fabric.instances_of(to, self.me) {
                let rewritten = match channel {
                    Channel::Consensus => fabric.rewrite(self.me, target, &bytes),
                    _ => None,
                };
                match rewritten {
                    None => fabric.send_message(self.me, self.key, target, channel, bytes.clone()),
                    Some(wires) => {
                        let unchanged = matches!(wires.as_slice(),
                            [Wire::Message(message)] if message.encode() == bytes);
                        if !unchanged {
                            fabric.stats.rewritten += 1;
                        }
                        for wire in wires {
                            match wire {
                                Wire::Message(message) => fabric.send_message(
                                    self.me,
                                    self.key,
                                    target,
                                    channel,
                                    message.encode(),
                                ),
                                Wire::Request(message) => requests.push((target, message.encode())),
                            }
                        }
                    }
                }
            }
        }
        for (target, request) in requests {
            let network = self.clone();
            tokio::spawn(async move {
                let _ = network.exchange(target, request).await;
            });
        }
        Ok(())
    }

    async fn request(&self, to: [u8; 32], bytes: Vec<u8>) -> Result<Vec<u8>, NetworkError> {
        let target = {
            let mut fabric = self.lock();
            let instances = fabric.instances_of(to, self.me);
            match instances.len() {
                0 => None,
                1 => instances.first().copied(),
                n => Some(instances[fabric.rng.index(n)]),
            }
        };
        match target {
            Some(target) => self.exchange(target, bytes).await,
            None => Err(NetworkError::NotConnected {
                key_hex: hex::encode(to),
            }),
        }
    }

    async fn publish_transaction(&self, bytes: Vec<u8>) -> Result<(), NetworkError> {
        let mut fabric = self.lock();
        if fabric
            .slots
            .get(&self.me)
            .and_then(|slot| slot.rogue.as_ref())
            .is_some_and(|rogue| rogue.behaviour == Behaviour::Silent)
        {
            return Ok(());
        }
        let others: Vec<usize> = fabric
            .slots
            .iter()
            .filter(|(index, slot)| **index != self.me && slot.key != self.key)
            .map(|(index, _)| *index)
            .collect();
        for to in others {
            let route = fabric.route(self.me, to);
            fabric.next_ticket += 1;
            let Some(ticket) = GossipTicket::detached(fabric.next_ticket, &self.key) else {
                continue;
            };
            deliver_later(
                route,
                NetworkEvent::Transaction {
                    from: self.key,
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
            by: self.key,
            about: from,
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// The fabric addresses hosts by member key; there are no network keys to map.
    async fn set_members(
        &self,
        members: BTreeSet<[u8; 32]>,
        _network_keys: std::collections::BTreeMap<[u8; 32], [u8; 32]>,
    ) -> Result<(), NetworkError> {
        if let Some(slot) = self.lock().slots.get_mut(&self.me) {
            slot.members = Some(members);
        }
        Ok(())
    }
}
