//! The host: the loop around the sans-IO consensus core.
//!
//! It feeds the core explicit inputs (messages from the network, timer firings, payloads, execution
//! results) with the time it read from its own clock, and carries out the core's outputs in order:
//!
//! - votes and timeouts leave only through [`yrd_consensus::PersistSafety::persist`], after the
//!   safety data and voted blocks are on disk with a synced write;
//! - `Commit` executes the block through `yrd-contracts` and stores it atomically
//!   ([`execute::execute_and_store`]) before `Executed` goes back to the core;
//! - sync requests go out as network requests whose answers come back as inputs;
//! - a message for this node itself (the core broadcasts to all, including itself) is queued locally.
//!
//! The loop is one task that owns the core and the state; RPC handlers and the ingress share only
//! [`shared::Shared`].

pub mod batch_leaves;
pub mod chain_ahead;
pub mod epochs;
pub mod execute;
pub mod ingress;
pub mod metrics;
pub mod network_keys;
pub mod observer_follow;
pub mod pacing;
pub mod peer_progress;
pub mod port;
pub mod restart;
pub mod rpc_backend;
pub mod shared;
pub mod signer_group;
pub mod state_sync;
pub mod sync_budget;
pub mod sync_serve;
pub mod tx_gossip;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use yrd_consensus::types::{ConsensusMessage, ValidatorSet};
use yrd_consensus::{Core, Input, Output, PublicKey, Ready};
use yrd_contracts::payload::encode_payload;
use yrd_contracts::state::State;

use crate::network::{Channel, NetworkEvent, NetworkHandle};
use crate::storage::{RocksTreeStore, StorageError};
pub use port::HostNetwork;
use shared::{PendingTx, Shared};

/// The state tree is pruned to its window (`[storage] keep_versions`) after every this many
/// committed heights, off the host loop; one pruning runs at a time.
pub const PRUNE_EVERY_BLOCKS: u64 = 256;
/// Capacity of the internal input queue fed by timers and sync answers.
pub const INTERNAL_INPUT_CAPACITY: usize = 4_096;

/// Why the host stopped.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    /// A committed block could not be executed or stored.
    #[error(transparent)]
    Execute(#[from] execute::ExecuteError),
    /// The safety data could not be persisted: the node must not vote without it.
    #[error("persisting safety data: {0}")]
    PersistSafety(StorageError),
    /// The stored state could not be read at start.
    #[error("restart: {0}")]
    Restart(#[from] restart::RestartError),
}

/// A short name of a core input, for logs.
fn input_kind(input: &Input) -> &'static str {
    match input {
        Input::Start(_) => "start",
        Input::Proposal { .. } => "proposal",
        Input::Vote { .. } => "vote",
        Input::Timeout { .. } => "timeout",
        Input::SyncInfo { .. } => "sync-info",
        Input::SyncResponse { .. } => "sync-response",
        Input::TimerFired { .. } => "timer",
        Input::PayloadReady { .. } => "payload-ready",
        Input::Executed(_) => "executed",
    }
}

/// What the host needs besides the core, the state and its channels.
#[derive(Debug, Clone, Copy)]
pub struct HostConfig {
    /// Most transactions per proposal this node builds.
    pub max_block_txs: usize,
    /// How long a leader with an empty mempool waits before proposing an empty block (a new
    /// transaction ends the wait at once). Zero proposes at once. Empty blocks that still carry
    /// an earlier block towards commit (the two after a block with transactions) never wait.
    pub empty_block_delay: Duration,
    /// Most blocks one sync response serves: the consensus core's
    /// `sync_max_blocks_per_response`, the most a requester accepts (a larger response is refused
    /// whole, so serving more would stall every catch-up longer than that).
    pub sync_max_blocks_per_response: usize,
    /// Most bytes one sync response takes: the network's message limit less framing (a larger
    /// response could not be delivered).
    pub sync_max_response_bytes: usize,
    /// How long after entering a round a leader with some, but not a block's worth of,
    /// transactions waits for more before proposing. Zero proposes at once.
    pub min_block_interval: Duration,
    /// How sync requests are served off the loop.
    pub sync: sync_serve::SyncServeConfig,
}

/// A payload whose building was deferred because the mempool was empty.
#[derive(Debug, Clone, Copy)]
struct DeferredPayload {
    round: u64,
    height: u64,
    max_bytes: usize,
    /// Deferred only for the batching interval (the empty-block rule is still to be applied).
    batching: bool,
}

/// The host loop's state, generic over its network ([`NetworkHandle`] in a node, a simulated one
/// in the simulator).
pub struct Host<N: HostNetwork = NetworkHandle> {
    core: Core,
    me: PublicKey,
    state: State<RocksTreeStore>,
    shared: Arc<Shared>,
    network: N,
    /// Inputs generated locally (messages to self, payloads), processed before anything else.
    local: VecDeque<Input>,
    internal_tx: mpsc::Sender<Input>,
    internal_rx: mpsc::Receiver<Input>,
    /// The validator set of the committed tip's epoch (the start state's, then each new epoch's):
    /// what the state's validator list is compared with after every commit
    /// ([`epochs::scheduled_next_set`]).
    validator_set: ValidatorSet,
    /// The network membership last given to the network: the validator set's keys and the
    /// registered observers' ([`Host::refresh_membership`]).
    members: BTreeSet<[u8; 32]>,
    /// The network keys last given with [`Host::members`] (`sm2-sm3` only, ADR 020).
    network_keys: std::collections::BTreeMap<[u8; 32], [u8; 32]>,
    /// When this host last committed a block (for the block-interval histogram).
    last_commit: Option<tokio::time::Instant>,
    config: HostConfig,
    /// When the core entered its current round (the batching interval runs from here).
    round_started: tokio::time::Instant,
    /// What the uncommitted chain under a new proposal spends (see [`Host::build_payload`]).
    chain_ahead: chain_ahead::ChainAheadCache,
    deferred_tx: mpsc::Sender<DeferredPayload>,
    deferred_rx: mpsc::Receiver<DeferredPayload>,
    /// The gossip ingress queue ([`ingress::spawn_gossip_ingress`]).
    gossip_ingress: ingress::GossipIngress,
    /// The sync server's queue ([`sync_serve::spawn_sync_server`]).
    sync_server: sync_serve::SyncServer,
    /// Answers state-sync requests ([`state_sync::serve`]).
    snapshot_server: state_sync::serve::SnapshotServer,
}

impl<N: HostNetwork> std::fmt::Debug for Host<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl<N: HostNetwork> Host<N> {
    /// A host around a started core (see [`restart::start_state`]).
    pub fn new(
        core: Core,
        state: State<RocksTreeStore>,
        shared: Arc<Shared>,
        network: N,
        config: HostConfig,
    ) -> Self {
        let (internal_tx, internal_rx) = mpsc::channel(INTERNAL_INPUT_CAPACITY);
        let (deferred_tx, deferred_rx) = mpsc::channel(16);
        let me = core.public_key();
        // Replaced by the start state's set in `run`.
        let validator_set = shared.chain.consensus.validator_set.clone();
        let gossip_ingress = ingress::spawn_gossip_ingress(Arc::clone(&shared), network.clone());
        let sync_server = sync_serve::spawn_sync_server(
            Arc::clone(&shared),
            config.sync,
            sync_serve::AnswerLimits {
                max_blocks: config.sync_max_blocks_per_response,
                max_bytes: config.sync_max_response_bytes,
            },
        );
        let snapshot_server = state_sync::serve::SnapshotServer::new(
            Arc::clone(&shared),
            config.sync.peer_bytes_per_sec,
            config.sync.peer_burst_bytes,
        );
        Self {
            core,
            me,
            state,
            shared,
            network,
            local: VecDeque::new(),
            internal_tx,
            internal_rx,
            validator_set,
            members: BTreeSet::new(),
            network_keys: std::collections::BTreeMap::new(),
            last_commit: None,
            config,
            round_started: tokio::time::Instant::now(),
            chain_ahead: chain_ahead::ChainAheadCache::default(),
            deferred_tx,
            deferred_rx,
            gossip_ingress,
            sync_server,
            snapshot_server,
        }
    }

    /// Run until `shutdown` resolves or a fatal error occurs.
    pub async fn run(
        mut self,
        start: yrd_consensus::StartState,
        mut events: mpsc::Receiver<NetworkEvent>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), HostError> {
        self.validator_set = start.validator_set.clone();
        self.shared
            .validators
            .send_replace(start.validator_set.clone());
        self.step(Input::Start(Box::new(start))).await?;
        self.refresh_membership().await;
        observer_follow::spawn_observer_follow(
            Arc::clone(&self.shared),
            self.network.clone(),
            self.internal_tx.clone(),
            self.me,
        );
        tokio::pin!(shutdown);
        loop {
            while let Some(input) = self.local.pop_front() {
                self.step(input).await?;
            }
            tokio::select! {
                biased;
                () = &mut shutdown => {
                    tracing::info!("host stopping");
                    return Ok(());
                }
                Some(input) = self.internal_rx.recv() => self.step(input).await?,
                Some(deferred) = self.deferred_rx.recv() => {
                    let ready = if deferred.batching {
                        self.payload_requested(deferred)
                    } else {
                        let (payload, _, _) =
                            self.build_payload(deferred.height, deferred.max_bytes);
                        Some(Input::PayloadReady { round: deferred.round, payload })
                    };
                    if let Some(ready) = ready {
                        self.step(ready).await?;
                    }
                }
                event = events.recv() => match event {
                    Some(event) => self.on_network_event(event).await?,
                    None => {
                        tracing::warn!("network stopped; host stopping");
                        return Ok(());
                    }
                },
            }
        }
    }

    async fn on_network_event(&mut self, event: NetworkEvent) -> Result<(), HostError> {
        match event {
            NetworkEvent::Transaction {
                from,
                bytes,
                ticket,
            } => {
                // Admitted off the loop, in batches; the loop never waits for a signature check.
                let gossiped = ingress::GossipedBatch {
                    from,
                    bytes,
                    ticket,
                };
                if let Some(dropped) = ingress::queue_gossiped(
                    &self.gossip_ingress,
                    &self.shared.counters.gossip_txs_dropped,
                    gossiped,
                ) {
                    let _ = self
                        .network
                        .gossip_verdict(dropped.ticket, crate::network::GossipVerdict::Ignore)
                        .await;
                }
            }
            NetworkEvent::Message { from, bytes, .. } => match decode_message(&bytes) {
                Some(message) => {
                    if let Ok(mut table) = self.shared.peer_progress.lock() {
                        table.note(from, &message, self.shared.now_ms());
                    }
                    if let Some(input) = Input::from_message(PublicKey(from), message) {
                        self.step(input).await?;
                    }
                }
                None => {
                    self.shared
                        .counters
                        .consensus_messages_malformed
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    tracing::warn!(peer = %hex::encode(from), len = bytes.len(), "malformed consensus message dropped");
                    let _ = self
                        .network
                        .report_invalid(from, "malformed consensus message")
                        .await;
                }
            },
            NetworkEvent::Request {
                from,
                bytes,
                respond,
            } => {
                if let Some(decoded) = state_sync::wire::SnapshotRequest::decode(&bytes) {
                    match decoded {
                        Ok(request) => self.snapshot_server.serve(from, request, respond),
                        Err(error) => {
                            tracing::warn!(peer = %hex::encode(from), %error, "malformed state-sync request dropped");
                            let _ = self
                                .network
                                .report_invalid(from, "malformed state-sync request")
                                .await;
                        }
                    }
                    return Ok(());
                }
                let Some(ConsensusMessage::SyncRequest(request)) = decode_message(&bytes) else {
                    tracing::warn!(peer = %hex::encode(from), "malformed sync request dropped");
                    let _ = self
                        .network
                        .report_invalid(from, "malformed sync request")
                        .await;
                    return Ok(());
                };
                // Served off the loop: here only what the answer needs from the core, from memory.
                let committed_height = self.core.committed_height();
                let uncommitted = sync_serve::may_reach_tip(
                    &request,
                    committed_height,
                    self.config.sync_max_blocks_per_response,
                )
                .then(|| self.core.uncommitted_chain(&request.target))
                .flatten()
                .map(|chain| chain.into_iter().cloned().collect());
                self.sync_server.queue(sync_serve::SyncJob {
                    from,
                    request,
                    tip: sync_serve::TipSnapshot {
                        committed_height,
                        uncommitted,
                    },
                    now_ms: self.shared.now_ms(),
                    respond,
                });
            }
            NetworkEvent::PeerConnected { key, address } => {
                tracing::info!(peer = %hex::encode(key), ?address, "peer connected");
                self.shared.connected_peers().insert(key);
                if let Ok(mut addresses) = self.shared.peer_addresses.lock() {
                    match address {
                        Some(address) => addresses.insert(key, address),
                        None => addresses.remove(&key),
                    };
                }
            }
            NetworkEvent::PeerDisconnected { key } => {
                tracing::info!(peer = %hex::encode(key), "peer disconnected");
                self.shared.connected_peers().remove(&key);
                if let Ok(mut addresses) = self.shared.peer_addresses.lock() {
                    addresses.remove(&key);
                }
            }
        }
        Ok(())
    }

    /// One core step and all its effects.
    async fn step(&mut self, input: Input) -> Result<(), HostError> {
        let kind = input_kind(&input);
        let round_before = self.core.round();
        let ready: Ready = self.core.step(self.shared.now_ms(), input);
        self.shared
            .note_known_height(self.core.highest_certified_height());
        let round = self.core.round();
        self.shared
            .consensus_round
            .store(round, std::sync::atomic::Ordering::Relaxed);
        let last_commit = ready
            .outputs
            .iter()
            .rposition(|o| matches!(o, Output::Commit { .. }));
        // The counters `/metrics` shows are copied once per round (or commit), not per message.
        if (round != round_before || last_commit.is_some())
            && let Ok(mut published) = self.shared.consensus.lock()
        {
            published.clone_from(self.core.metrics());
            if let Ok(mut excluded) = self.shared.leaders_excluded.lock() {
                *excluded = self.core.leaders_excluded().iter().map(|k| k.0).collect();
            }
        }
        if round != round_before {
            self.round_started = tokio::time::Instant::now();
            let m = self.core.metrics();
            let (qc_round, qc_height) = self
                .core
                .highest_qc()
                .map_or((0, 0), |qc| (qc.round(), qc.vote_data.height));
            let (preferred_round, locked_round) = self
                .core
                .safety_data()
                .map_or((0, 0), |s| (s.preferred_round, s.locked_round));
            tracing::debug!(
                round,
                from = round_before,
                after = kind,
                epoch = self.core.epoch(),
                leader = %self
                    .core
                    .leader_of(round)
                    .map(|k| hex::encode(&k.0[..4]))
                    .unwrap_or_default(),
                committed = self.core.committed_height(),
                qc_round,
                qc_height,
                preferred_round,
                locked_round,
                proposals_accepted = m.proposals_accepted,
                proposals_rejected = m.proposals_rejected,
                votes_sent = m.votes_sent,
                votes_deferred = m.votes_deferred,
                votes_accepted = m.votes_accepted,
                qcs = m.qcs_formed,
                tcs = m.tcs_formed,
                dropped_invalid = m.dropped_invalid,
                dropped_stale = m.dropped_stale,
                sync_requests = m.sync_requests,
                sync_rejected = m.sync_responses_rejected,
                "entered round"
            );
        } else {
            tracing::trace!(round, input = kind, "step");
        }
        // A run of commits (catch-up delivers hundreds in one step) is synced to disk once, with
        // its last block; the earlier ones are atomic and ordered, and a crash loses at most a
        // suffix that is re-synced.
        // A payload is built after the step's commits are executed: it reads the committed
        // state and the core's uncommitted chain, which must meet at the same tip.
        let mut payload_requests = Vec::new();
        for (index, output) in ready.outputs.into_iter().enumerate() {
            if matches!(output, Output::RequestPayload { .. }) {
                payload_requests.push(output);
                continue;
            }
            self.perform(output, Some(index) == last_commit).await?;
        }
        if let Some(persist) = ready.persist {
            let store = self.shared.store.clone();
            let gated = persist
                .persist(|safety, voted| store.put_safety_and_votes_synced(safety, voted))
                .map_err(HostError::PersistSafety)?;
            for output in gated {
                self.perform(output, true).await?;
            }
        }
        for output in payload_requests {
            self.perform(output, false).await?;
        }
        Ok(())
    }

    /// Carry out one output; `durable`: a `Commit` is synced to disk (see [`Host::step`]).
    async fn perform(&mut self, output: Output, durable: bool) -> Result<(), HostError> {
        match output {
            Output::Broadcast(message) => {
                let bytes = message.encode();
                if let Some(input) = Input::from_message(self.me, message) {
                    self.local.push_back(input);
                }
                // To the validators only: observers pull committed blocks instead
                // (`observer_follow`), so they add nothing to what a leader uploads.
                for validator in &self.validator_set.validators {
                    let to = validator.public_key;
                    if to == self.me {
                        continue;
                    }
                    if let Err(error) = self
                        .network
                        .send(to.0, Channel::Consensus, bytes.clone())
                        .await
                    {
                        tracing::debug!(peer = %hex::encode(to.0), %error, "consensus message not sent");
                    }
                }
            }
            Output::SendTo { to, message } => {
                if to == self.me {
                    if let Some(input) = Input::from_message(self.me, message) {
                        self.local.push_back(input);
                    }
                } else if let Err(error) = self
                    .network
                    .send(to.0, Channel::Consensus, message.encode())
                    .await
                {
                    tracing::debug!(peer = %hex::encode(to.0), %error, "send failed");
                }
            }
            Output::ScheduleTimer {
                epoch,
                round,
                kind,
                after_ms,
            } => {
                let tx = self.internal_tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(after_ms)).await;
                    let _ = tx.send(Input::TimerFired { epoch, round, kind }).await;
                });
            }
            Output::RequestPayload {
                round,
                height,
                max_bytes,
                ..
            } => {
                let request = DeferredPayload {
                    round,
                    height,
                    max_bytes,
                    batching: false,
                };
                if let Some(ready) = self.payload_requested(request) {
                    self.local.push_back(ready);
                }
            }
            Output::RequestSync { to, request } => {
                let network = self.network.clone();
                let tx = self.internal_tx.clone();
                tokio::spawn(async move {
                    let bytes = ConsensusMessage::SyncRequest(request).encode();
                    match network.request(to.0, bytes).await {
                        Ok(answer) => match decode_message(&answer) {
                            Some(ConsensusMessage::SyncResponse(response)) => {
                                tracing::debug!(
                                    peer = %hex::encode(to.0),
                                    committed = response.committed.len(),
                                    first = ?response.committed.first().map(|b| b.block.header.height),
                                    last = ?response.committed.last().map(|b| b.block.header.height),
                                    uncommitted = response.uncommitted.len(),
                                    "sync response"
                                );
                                let _ = tx.send(Input::SyncResponse { from: to, response }).await;
                            }
                            _ => {
                                tracing::warn!(peer = %hex::encode(to.0), "malformed sync response");
                                let _ = network
                                    .report_invalid(to.0, "malformed sync response")
                                    .await;
                            }
                        },
                        Err(error) => {
                            tracing::debug!(peer = %hex::encode(to.0), %error, "sync request failed")
                        }
                    }
                });
            }
            Output::PeerMisbehaved { peer, reason } => {
                tracing::warn!(peer = %hex::encode(peer.0), reason, "peer misbehaved");
                if let Err(error) = self.network.report_invalid(peer.0, reason).await {
                    tracing::debug!(peer = %hex::encode(peer.0), %error, "report not delivered");
                }
            }
            Output::Commit { block, certificate } => {
                let executed = execute::execute_and_store(
                    &self.shared,
                    &mut self.state,
                    &block,
                    &certificate,
                    durable,
                )?;
                let head = executed.head;
                // Transactions the block held out of nonce order stay: they are not settled.
                let settled: Vec<[u8; 32]> = executed
                    .outcome
                    .receipts
                    .iter()
                    .filter(|receipt| receipt.settles())
                    .map(|receipt| receipt.tx_hash)
                    .collect();
                let reader = self.state.snapshot_at(head.height);
                self.shared
                    .publish_commit(head, &settled, &executed.tx_signers, |signer| {
                        yrd_contracts::query::next_nonce(&reader, signer).unwrap_or(0)
                    });
                let _ = self.shared.heads.send(head);
                let now_ms = self.shared.now_ms();
                self.shared
                    .commit_latency
                    .observe(now_ms.saturating_sub(block.header.timestamp_ms) as f64 / 1_000.0);
                if let Some(previous) = self.last_commit.replace(tokio::time::Instant::now()) {
                    self.shared
                        .block_interval
                        .observe(previous.elapsed().as_secs_f64());
                }
                self.shared
                    .counters
                    .blocks_executed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(
                    height = head.height,
                    txs = head.tx_count,
                    root = %hex::encode(&head.state_root[..8]),
                    "committed"
                );
                self.refresh_membership().await;
                if head.height % PRUNE_EVERY_BLOCKS == 0 {
                    self.prune_in_background();
                }
                self.local
                    .push_back(Input::Executed(yrd_consensus::driver::ExecutedRecord {
                        height: head.height,
                        state_root: head.state_root,
                        next_validator_set: epochs::scheduled_next_set(
                            &self.state.snapshot(),
                            &self.validator_set,
                        ),
                    }));
            }
            Output::EpochChange { validator_set, .. } => {
                tracing::info!(
                    epoch = validator_set.epoch,
                    validators = validator_set.validators.len(),
                    "epoch change"
                );
                self.validator_set = validator_set.clone();
                self.shared.validators.send_replace(validator_set.clone());
                self.refresh_membership().await;
            }
        }
        Ok(())
    }

    /// Gives the network the current membership when it changed: the current epoch's validators
    /// (who vote until the epoch ends, even if already removed), the validators the committed
    /// state lists (an added one connects as soon as the change commits, and catches up as an
    /// observer until its epoch starts) and the registered observers. Removed members are
    /// disconnected and refused.
    async fn refresh_membership(&mut self) {
        let reader = self.state.snapshot();
        let listed = yrd_contracts::query::observer_keys(&reader).and_then(|observers| {
            yrd_contracts::query::next_validator_keys(&reader).map(|next| (observers, next))
        });
        let (observers, next_validators) = match listed {
            Ok(listed) => listed,
            Err(error) => {
                tracing::error!(%error, "reading the member lists failed; membership unchanged");
                return;
            }
        };
        let mut members: BTreeSet<[u8; 32]> = observers.iter().copied().collect();
        members.extend(next_validators);
        members.extend(self.validator_set.validators.iter().map(|v| v.public_key.0));
        // On sm2-sm3 a binding may change while the member set does not (an observer registered,
        // then its network key bound by a later transaction).
        let network_keys =
            network_keys::network_keys(&self.shared.chain.genesis, &members, |key| {
                bound_network_key(&reader, key)
            });
        if members == self.members && network_keys == self.network_keys {
            return;
        }
        tracing::info!(
            validators = self.validator_set.validators.len(),
            observers = observers.len(),
            network_keys = network_keys.len(),
            "network membership updated"
        );
        let reachable = if self.network.uses_network_keys() {
            network_keys::reachable(&self.shared.chain.genesis, &members, &network_keys)
        } else {
            members.clone()
        };
        self.shared.observers.send_replace(observers);
        if let Err(error) = self
            .network
            .set_members(reachable, network_keys.clone())
            .await
        {
            tracing::warn!(%error, "updating network membership failed");
            return;
        }
        self.members = members;
        self.network_keys = network_keys;
    }

    /// Prune state-tree versions older than the configured window, on a blocking thread. Reads of
    /// pruned heights then answer "version unavailable"; commits go on meanwhile (pruning only
    /// deletes entries that versions inside the window no longer reference).
    fn prune_in_background(&self) {
        if self
            .shared
            .pruning
            .swap(true, std::sync::atomic::Ordering::AcqRel)
        {
            return;
        }
        let shared = Arc::clone(&self.shared);
        tokio::task::spawn_blocking(move || {
            if let Err(error) = shared.store.prune_to_window() {
                tracing::warn!(%error, "pruning the state tree failed; retried later");
            }
            shared
                .pruning
                .store(false, std::sync::atomic::Ordering::Release);
        });
    }

    /// The core asked for a payload: build it now, or defer it — for the rest of the batching
    /// interval when transactions are waiting but not a full block of them (so a steady stream of
    /// transactions fills blocks instead of producing one tiny block per arrival), or for the
    /// empty-block delay when nothing waits.
    fn payload_requested(&mut self, request: DeferredPayload) -> Option<Input> {
        let (payload, tx_count, carrying) = self.build_payload(request.height, request.max_bytes);
        let pacing = pacing::Pacing {
            max_block_txs: self.config.max_block_txs,
            min_block_interval: self.config.min_block_interval,
            empty_block_delay: self.config.empty_block_delay,
        };
        // Counted on the payload, not the mempool: waiting transactions that cannot go in yet
        // (their signers' earlier ones are in uncommitted blocks) must not cut a wait short.
        let candidate = pacing::Candidate { tx_count, carrying };
        match pacing.decide(candidate, self.round_started.elapsed(), request.batching) {
            pacing::Decision::Ready => Some(Input::PayloadReady {
                round: request.round,
                payload,
            }),
            pacing::Decision::WaitForBatch(wait) => {
                let tx = self.deferred_tx.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(wait).await;
                    let _ = tx
                        .send(DeferredPayload {
                            batching: true,
                            ..request
                        })
                        .await;
                });
                None
            }
            pacing::Decision::WaitForTransactions(_) => {
                self.defer_payload(DeferredPayload {
                    batching: false,
                    ..request
                });
                None
            }
        }
    }

    /// Build the payload later: after the empty-block delay, or as soon as a transaction arrives.
    fn defer_payload(&self, deferred: DeferredPayload) {
        let shared = Arc::clone(&self.shared);
        let delay = self.config.empty_block_delay;
        let tx = self.deferred_tx.clone();
        tokio::spawn(async move {
            let arrived = shared.tx_arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            // Not "unless the pool is empty": the payload was just built empty, so whatever the
            // pool holds cannot be proposed yet (a signer's nonce gap), and skipping the wait for
            // it would make the network spin empty blocks as fast as it can for as long as such
            // a transaction waits.
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = &mut arrived => {}
            }
            let _ = tx.send(deferred).await;
        });
    }

    /// A payload for a block at `height` of at most `max_bytes` from the mempool, how many
    /// transactions it holds, and whether an uncommitted ancestor carries transactions (then an
    /// empty block must not wait: the ancestor commits only under certified descendants).
    ///
    /// Transactions stay in the mempool until committed, so a proposal would otherwise repeat
    /// those of its uncommitted ancestors (which would then fail with a stale nonce). A signer's
    /// next nonce is therefore counted past its transactions in the chain the proposal extends,
    /// as the core holds it: from the committed tip to the highest certified block
    /// ([`chain_ahead`]). Run only after the step's commits are executed (see [`Host::step`]), so
    /// that the state and the core agree on the committed tip.
    fn build_payload(&mut self, height: u64, max_bytes: usize) -> (Vec<u8>, usize, bool) {
        let committed = self.shared.head().height;
        let chain = self
            .core
            .highest_qc()
            .and_then(|qc| self.core.uncommitted_chain(&qc.block_id()))
            .unwrap_or_default();
        let ahead = self.chain_ahead.ahead(chain);
        let reader = self.state.snapshot();
        // Leave room for the list's length prefixes.
        let budget = max_bytes.saturating_sub(4);
        let chosen: Vec<PendingTx> =
            self.shared
                .mempool()
                .select(self.config.max_block_txs, budget, |signer| {
                    let on_chain = yrd_contracts::query::next_nonce(&reader, signer).unwrap_or(0);
                    ahead.next_nonce(signer, on_chain)
                });
        // Why a non-empty pool gives nothing (a signer waiting behind a nonce gap, or on its
        // transactions in the chain), for operators chasing a stuck transaction.
        if chosen.is_empty() && tracing::enabled!(tracing::Level::DEBUG) {
            let pool = self.shared.mempool();
            if !pool.is_empty() {
                let waiting: Vec<String> = pool
                    .lowest_nonces(4)
                    .into_iter()
                    .map(|(signer, lowest)| {
                        let on_chain =
                            yrd_contracts::query::next_nonce(&reader, &signer).unwrap_or(0);
                        format!(
                            "{}: next {on_chain}, in the chain {:?}, lowest held {lowest}",
                            hex::encode(&signer[..8]),
                            ahead.next.get(&signer)
                        )
                    })
                    .collect();
                tracing::debug!(
                    height,
                    committed,
                    held = pool.len(),
                    ?waiting,
                    "nothing proposable"
                );
            }
        }
        let mut bytes_used = 4usize;
        let mut txs = Vec::with_capacity(chosen.len());
        for pending in chosen {
            let cost = pending.bytes.len().saturating_add(4);
            if bytes_used.saturating_add(cost) > max_bytes {
                break;
            }
            bytes_used += cost;
            txs.push(pending.bytes);
        }
        let count = txs.len();
        (encode_payload(&txs), count, ahead.carrying)
    }
}

fn decode_message(bytes: &[u8]) -> Option<ConsensusMessage> {
    yrd_consensus::codec::decode_canonical(bytes).ok()
}

/// The network key the committed state binds to `node_key` (ADR 020); a read fault is logged and
/// counts as none.
pub fn bound_network_key(
    reader: &impl yrd_contracts::reader::StateReader,
    node_key: &[u8; 32],
) -> Option<[u8; 32]> {
    match yrd_contracts::query::network_key(reader, node_key) {
        Ok(bound) => bound,
        Err(error) => {
            tracing::error!(%error, key = %hex::encode(node_key), "reading a network key failed");
            None
        }
    }
}
