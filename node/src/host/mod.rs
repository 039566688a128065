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

pub mod execute;
pub mod ingress;
pub mod restart;
pub mod rpc_backend;
pub mod shared;

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use yrd_consensus::types::{ConsensusMessage, ValidatorSet};
use yrd_consensus::{Core, Input, Output, PublicKey, Ready};
use yrd_contracts::state::State;

use crate::network::{Channel, NetworkEvent, NetworkHandle};
use crate::payload::encode_payload;
use crate::storage::{RocksTreeStore, StorageError};
use shared::{PendingTx, Shared};

/// Most sync responses (blocks) served per request, whatever the requester asks.
pub const SYNC_MAX_BLOCKS_PER_RESPONSE: usize = 256;
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

/// The wall clock in ms since the Unix epoch (the host's only clock read).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// The host loop's state.
pub struct Host {
    core: Core,
    me: PublicKey,
    state: State<RocksTreeStore>,
    shared: Arc<Shared>,
    network: NetworkHandle,
    /// Inputs generated locally (messages to self, payloads), processed before anything else.
    local: VecDeque<Input>,
    internal_tx: mpsc::Sender<Input>,
    internal_rx: mpsc::Receiver<Input>,
    /// A validator set the state scheduled for the next epoch, reported until it takes effect.
    pending_next_set: Option<ValidatorSet>,
    /// Max transactions per proposal.
    max_block_txs: usize,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("me", &self.me)
            .finish_non_exhaustive()
    }
}

impl Host {
    /// A host around a started core (see [`restart::start_state`]).
    pub fn new(
        core: Core,
        state: State<RocksTreeStore>,
        shared: Arc<Shared>,
        network: NetworkHandle,
        max_block_txs: usize,
    ) -> Self {
        let (internal_tx, internal_rx) = mpsc::channel(INTERNAL_INPUT_CAPACITY);
        let me = core.public_key();
        Self {
            core,
            me,
            state,
            shared,
            network,
            local: VecDeque::new(),
            internal_tx,
            internal_rx,
            pending_next_set: None,
            max_block_txs,
        }
    }

    /// Run until `shutdown` resolves or a fatal error occurs.
    pub async fn run(
        mut self,
        start: yrd_consensus::StartState,
        mut events: mpsc::Receiver<NetworkEvent>,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), HostError> {
        self.step(Input::Start(Box::new(start))).await?;
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
            NetworkEvent::Transaction { from, bytes, .. } => {
                let shared = Arc::clone(&self.shared);
                // Signature checks run off the loop.
                let result =
                    tokio::task::spawn_blocking(move || ingress::admit(&shared, bytes)).await;
                if let Ok(Err(error)) = result {
                    tracing::debug!(peer = %hex::encode(from), %error, "gossiped transaction refused");
                    if matches!(error, ingress::AdmitError::Invalid(_)) {
                        let _ = self
                            .network
                            .report_invalid(from, "invalid transaction")
                            .await;
                    }
                }
            }
            NetworkEvent::Message { from, bytes, .. } => match decode_message(&bytes) {
                Some(message) => {
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
                let answer = match decode_message(&bytes) {
                    Some(ConsensusMessage::SyncRequest(request)) => {
                        let store = &self.shared.store;
                        let response = yrd_consensus::sync::respond(
                            &request,
                            |height| restart::committed_block(store, height).ok().flatten(),
                            &self.core,
                            SYNC_MAX_BLOCKS_PER_RESPONSE,
                        );
                        ConsensusMessage::SyncResponse(Box::new(response)).encode()
                    }
                    _ => {
                        tracing::warn!(peer = %hex::encode(from), "malformed sync request dropped");
                        let _ = self
                            .network
                            .report_invalid(from, "malformed sync request")
                            .await;
                        return Ok(());
                    }
                };
                let _ = respond.send(answer);
            }
            NetworkEvent::PeerConnected { key } => {
                tracing::info!(peer = %hex::encode(key), "peer connected");
                self.shared.connected_peers().insert(key);
            }
            NetworkEvent::PeerDisconnected { key } => {
                tracing::info!(peer = %hex::encode(key), "peer disconnected");
                self.shared.connected_peers().remove(&key);
            }
        }
        Ok(())
    }

    /// One core step and all its effects.
    async fn step(&mut self, input: Input) -> Result<(), HostError> {
        let ready: Ready = self.core.step(now_ms(), input);
        for output in ready.outputs {
            self.perform(output).await?;
        }
        if let Some(persist) = ready.persist {
            let store = self.shared.store.clone();
            let gated = persist
                .persist(|safety, _voted_blocks| store.put_safety_synced(safety))
                .map_err(HostError::PersistSafety)?;
            for output in gated {
                self.perform(output).await?;
            }
        }
        Ok(())
    }

    async fn perform(&mut self, output: Output) -> Result<(), HostError> {
        match output {
            Output::Broadcast(message) => {
                let bytes = message.encode();
                if let Some(input) = Input::from_message(self.me, message) {
                    self.local.push_back(input);
                }
                if let Err(error) = self.network.broadcast(Channel::Consensus, bytes).await {
                    tracing::warn!(%error, "broadcast failed");
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
                round, max_bytes, ..
            } => {
                let payload = self.build_payload(max_bytes);
                self.local.push_back(Input::PayloadReady { round, payload });
            }
            Output::RequestSync { to, request } => {
                let network = self.network.clone();
                let tx = self.internal_tx.clone();
                tokio::spawn(async move {
                    let bytes = ConsensusMessage::SyncRequest(request).encode();
                    match network.request(to.0, bytes).await {
                        Ok(answer) => match decode_message(&answer) {
                            Some(ConsensusMessage::SyncResponse(response)) => {
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
            Output::Commit { block, certificate } => {
                let executed = execute::execute_and_store(
                    &self.shared,
                    &mut self.state,
                    &block,
                    &certificate,
                )?;
                if executed.outcome.validator_set_changed {
                    self.pending_next_set = self.next_validator_set(block.header.epoch);
                }
                let head = executed.head;
                let state = &self.state;
                let included = executed.tx_hashes;
                {
                    let reader = state.snapshot_at(head.height);
                    self.shared
                        .mempool()
                        .remove_committed(&included, head.height, |signer| {
                            yrd_contracts::query::next_nonce(&reader, signer).unwrap_or(0)
                        });
                }
                self.shared.head.send_replace(head);
                let _ = self.shared.heads.send(head);
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
                self.local
                    .push_back(Input::Executed(yrd_consensus::driver::ExecutedRecord {
                        height: head.height,
                        state_root: head.state_root,
                        next_validator_set: self.pending_next_set.clone(),
                    }));
            }
            Output::EpochChange { validator_set, .. } => {
                tracing::info!(
                    epoch = validator_set.epoch,
                    validators = validator_set.validators.len(),
                    "epoch change"
                );
                self.pending_next_set = None;
                let members: BTreeSet<[u8; 32]> = validator_set
                    .validators
                    .iter()
                    .map(|v| v.public_key.0)
                    .collect();
                if let Err(error) = self.network.set_members(members).await {
                    tracing::warn!(%error, "updating network membership failed");
                }
            }
        }
        Ok(())
    }

    fn build_payload(&self, max_bytes: usize) -> Vec<u8> {
        let reader = self.state.snapshot();
        // Leave room for the list's length prefixes.
        let budget = max_bytes.saturating_sub(4);
        let chosen: Vec<PendingTx> =
            self.shared
                .mempool()
                .select(self.max_block_txs, budget, |signer| {
                    yrd_contracts::query::next_nonce(&reader, signer).unwrap_or(0)
                });
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
        encode_payload(&txs)
    }

    fn next_validator_set(&self, epoch: u64) -> Option<ValidatorSet> {
        let reader = self.state.snapshot();
        let validators = yrd_contracts::query::validators(&reader).ok()?;
        let keys: Vec<PublicKey> = validators
            .iter()
            .filter_map(|v| hex::decode(&v.key).ok()?.try_into().ok().map(PublicKey))
            .collect();
        ValidatorSet::equal_power(epoch.saturating_add(1), &keys).ok()
    }
}

fn decode_message(bytes: &[u8]) -> Option<ConsensusMessage> {
    yrd_consensus::codec::decode_canonical(bytes).ok()
}
