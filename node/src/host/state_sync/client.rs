//! The syncing side: find a snapshot every peer's certificates agree is committed, fetch its
//! chunks from the peers in turn, check each against the certified root as it arrives, and make
//! the version the node's committed head. Block sync (the consensus core's, or an observer's
//! pulls) takes over from there.
//!
//! Failures this design avoids, from other chains' state sync:
//! - **hanging with no snapshot on offer**: a round that finds no manifest logs why each peer
//!   refused and asks again; a restore nobody serves any more ends with an error naming
//!   `--reset`, it does not wait forever;
//! - **chunks lost at the end**: the proof, not the server, says when the tree is complete (a
//!   claimed last chunk whose proof shows leaves to its right is refused), and the finished tree's
//!   root is compared with the certified one before anything else is written;
//! - **a root that fails only after every chunk is applied**: each chunk is checked against the
//!   certified root when it arrives, so a bad chunk costs one chunk, and the peer that sent it is
//!   dropped from this sync and reported (penalty points lead to a ban).

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use yrd_consensus::{Block, CommitCertificate};
use yrd_verifier::chain_spec::ChainSpec;

use super::manifest::{VerifiedManifest, verify_manifest};
use super::ranges;
use super::wire::{SnapshotRequest, SnapshotResponse};
use crate::network::NetworkHandle;
use crate::storage::{ChunkError, Hash32, MAX_CHUNK_BYTES, SnapshotChunk, StorageError, Store};

/// Bytes of leaves asked for per chunk, by default.
pub const CHUNK_REQUEST_BYTES: u32 = 4 * 1024 * 1024;
/// Rounds past the newest certified round a state-synced node will not vote or time out in. A
/// validator whose data directory was wiped may have voted in rounds it no longer remembers;
/// the chain has moved on by the time the sync ends, and these rounds cover the ones it could
/// have reached ahead of the certified chain. It costs a re-synced validator this many rounds
/// of silence (the other three carry the chain).
pub const VOTE_MARGIN_ROUNDS: u64 = 100;
/// Pause before asking again when no peer offers a usable snapshot.
const RETRY_PAUSE: Duration = Duration::from_millis(500);
/// Rounds of asking for the manifest of a resumed restore before giving up on it.
const RESUME_ROUNDS: u32 = 20;

/// Why state sync stopped.
#[derive(Debug, thiserror::Error)]
pub enum StateSyncError {
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A restore in progress that no peer serves any more.
    #[error(
        "no peer serves state version {version} any more (it was pruned); start again with \
         --state-sync --reset"
    )]
    ResumeUnavailable {
        /// The version being restored.
        version: u64,
    },
    /// The database already holds a chain.
    #[error(
        "the data directory already holds a chain at height {height}; state sync needs an empty \
         one (add --reset to wipe it)"
    )]
    NotEmpty {
        /// Its committed height.
        height: u64,
    },
}

/// What a finished state sync did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateSyncReport {
    /// The state version restored (the node's committed height).
    pub version: u64,
    /// Leaves received (a resumed restore re-fetches a few).
    pub leaves: u64,
    /// Bytes of leaves received.
    pub bytes: u64,
    /// Chunks refused.
    pub chunks_refused: u64,
    /// Wall time.
    pub elapsed: Duration,
}

/// How often `state sync: progress` is logged while chunks arrive (and once after the first).
const PROGRESS_EVERY: Duration = Duration::from_secs(5);

/// Logs `state sync: progress` after the first chunk applied, then every [`PROGRESS_EVERY`],
/// whichever phase (ranges in parallel, or one chunk at a time) applied it.
#[derive(Debug, Default)]
struct Progress {
    last: Option<Instant>,
}

impl Progress {
    fn applied(&mut self, restore: &Restorer, report: &StateSyncReport) {
        if self.last.is_some_and(|at| at.elapsed() < PROGRESS_EVERY) {
            return;
        }
        self.last = Some(Instant::now());
        tracing::info!(
            version = report.version,
            leaves = report.leaves,
            megabytes = report.bytes / (1024 * 1024),
            next = %hex::encode(&restore.next_start()[..4]),
            "state sync: progress"
        );
    }
}

/// The peers this node is connected to, kept current by whoever reads the network events.
pub type ConnectedPeers = Arc<Mutex<BTreeSet<[u8; 32]>>>;

fn connected(peers: &ConnectedPeers) -> Vec<[u8; 32]> {
    peers
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .copied()
        .collect()
}

/// Restore a snapshot into `store` (empty, or holding an unfinished restore) from the peers in
/// `peers`, asking for about `chunk_bytes` of leaves per chunk (`[state_sync] chunk_bytes`,
/// [`CHUNK_REQUEST_BYTES`] by default). Returns when the snapshot is the committed head.
pub async fn state_sync(
    store: &Store,
    chain: &ChainSpec,
    network: &NetworkHandle,
    peers: &ConnectedPeers,
    chunk_bytes: u32,
) -> Result<StateSyncReport, StateSyncError> {
    let started = Instant::now();
    if let Some(head) = store.committed_head()? {
        return Err(StateSyncError::NotEmpty {
            height: head.height,
        });
    }
    let resuming = store.restore_progress()?.map(|progress| progress.version);
    let mut excluded: BTreeSet<[u8; 32]> = BTreeSet::new();
    let manifest = find_manifest(chain, network, peers, resuming, &mut excluded).await?;
    tracing::info!(
        version = manifest.version,
        root = %hex::encode(manifest.root),
        epoch_changes = manifest.epoch_changes.len(),
        resumed = resuming.is_some(),
        "state sync: snapshot chosen"
    );
    let mut restore = Restorer::start(store.clone(), manifest.version, manifest.root).await?;
    if resuming.is_some() {
        tracing::info!(
            version = manifest.version,
            next = %hex::encode(&restore.next_start()[..4]),
            "state sync: resuming after the leaves already on disk"
        );
    }
    let mut progress = Progress::default();
    let mut report = StateSyncReport {
        version: manifest.version,
        leaves: 0,
        bytes: 0,
        chunks_refused: 0,
        elapsed: Duration::ZERO,
    };
    let mut suspect = None;
    if !restore.is_done() {
        suspect = fetch_in_parallel(
            &mut restore,
            manifest.version,
            network,
            peers,
            chunk_bytes,
            &mut excluded,
            &mut report,
            &mut progress,
        )
        .await?;
    }
    // One chunk at a time from the peers in turn: all of it with fewer than two peers, else
    // whatever the parallel phase left.
    let mut turn = 0usize;
    while !restore.is_done() {
        let mut candidates: Vec<[u8; 32]> = connected(peers)
            .into_iter()
            .filter(|peer| !excluded.contains(peer))
            .collect();
        // While a boundary failure is unresolved, ask someone other than the two suspects.
        if let Some(s) = &suspect {
            let others: Vec<[u8; 32]> = candidates
                .iter()
                .copied()
                .filter(|peer| !s.involves(peer))
                .collect();
            if !others.is_empty() {
                candidates = others;
            }
        }
        let Some(peer) = candidates.get(turn % candidates.len().max(1)).copied() else {
            if all_excluded(&excluded, peers) {
                // Everyone was excluded: give them another chance after a pause (a peer that
                // was merely busy recovers; a lying one is excluded again at once).
                excluded.clear();
            }
            tokio::time::sleep(RETRY_PAUSE).await;
            continue;
        };
        turn = turn.wrapping_add(1);
        let request = SnapshotRequest::Chunk {
            version: manifest.version,
            start: restore.next_start(),
            max_bytes: chunk_bytes.clamp(1, MAX_CHUNK_BYTES as u32),
        };
        let answer = match network.request(peer, request.encode()).await {
            Ok(answer) => answer,
            Err(error) => {
                tracing::debug!(peer = %hex::encode(peer), %error, "state sync: chunk request failed");
                continue;
            }
        };
        let chunk = match SnapshotResponse::decode(&answer) {
            Ok(SnapshotResponse::Chunk(chunk)) => chunk,
            Ok(SnapshotResponse::Unavailable(reason)) => {
                tracing::info!(peer = %hex::encode(peer), %reason, "state sync: peer cannot serve the snapshot");
                excluded.insert(peer);
                continue;
            }
            Ok(SnapshotResponse::Manifest(_) | SnapshotResponse::Range(_)) | Err(_) => {
                refuse(
                    network,
                    peer,
                    &mut excluded,
                    &mut report,
                    "malformed state-sync answer",
                )
                .await;
                continue;
            }
        };
        let (leaves, bytes) = (chunk.leaves.len() as u64, chunk.payload_bytes() as u64);
        let keys: Vec<Hash32> = match &suspect {
            Some(_) => chunk.leaves.iter().map(|(key, _)| *key).collect(),
            None => Vec::new(),
        };
        match restore.add_chunk(chunk).await? {
            Ok(()) => {
                report.leaves += leaves;
                report.bytes += bytes;
                let verdict = suspect.as_ref().map(|s| s.resolve(&keys));
                if let Some(Resolution::Liar(liar, what)) = verdict {
                    suspect = None;
                    if let Some(liar) = liar {
                        tracing::warn!(peer = %hex::encode(liar), what, "state sync: chunk refused (found out by a proven chunk from another peer)");
                        // Counted once already, when the chunk failed at the boundary.
                        excluded.insert(liar);
                        let _ = network.ban_proven_faulty(liar, what).await;
                    }
                }
            }
            Err(ChunkError::Storage(error)) => return Err(error.into()),
            Err(error) => {
                tracing::warn!(peer = %hex::encode(peer), %error, "state sync: chunk refused");
                refuse(
                    network,
                    peer,
                    &mut excluded,
                    &mut report,
                    "bad state-sync chunk",
                )
                .await;
                continue;
            }
        }
        progress.applied(&restore, &report);
    }
    let genesis_header = chain.consensus.header();
    let genesis = Block {
        header: genesis_header.clone(),
        payload: Vec::new(),
    };
    let genesis_certificate = CommitCertificate {
        headers: vec![genesis_header],
        qc: chain.consensus.qc(),
    };
    let changes: Vec<(Block, CommitCertificate)> = manifest
        .epoch_changes
        .iter()
        .map(|change| (change.block.clone(), change.certificate.clone()))
        .collect();
    restore
        .finish(Finish {
            genesis: (genesis, genesis_certificate),
            head: (
                manifest.target.block.clone(),
                manifest.target.certificate.clone(),
            ),
            epoch_changes: changes,
        })
        .await?;
    // Amnesia guard: the safety data a wiped validator lost is replaced by a floor above every
    // round it could have voted in.
    let (epoch, round) = manifest.latest_round;
    let floor = round.saturating_add(VOTE_MARGIN_ROUNDS);
    let mut safety = yrd_consensus::SafetyData::new(epoch);
    safety.last_voted_round = floor;
    safety.highest_timeout_round = floor;
    safety.last_proposed_round = floor;
    store.put_safety_synced(&safety)?;
    report.elapsed = started.elapsed();
    tracing::info!(
        version = report.version,
        leaves = report.leaves,
        megabytes = report.bytes / (1024 * 1024),
        refused = report.chunks_refused,
        seconds = report.elapsed.as_secs_f64(),
        "state sync finished; block sync continues from the snapshot"
    );
    Ok(report)
}

/// The parallel phase ([`super::ranges`]): with two or more usable peers, the rest of the key
/// space is fetched as ranges at once and applied in order. Returns when the restore is done or
/// the phase stopped (a refused chunk, a range nobody serves); the caller goes on one chunk at a
/// time from where the restore stands.
async fn fetch_in_parallel(
    restore: &mut Restorer,
    version: u64,
    network: &NetworkHandle,
    peers: &ConnectedPeers,
    chunk_bytes: u32,
    excluded: &mut BTreeSet<[u8; 32]>,
    report: &mut StateSyncReport,
    progress: &mut Progress,
) -> Result<Option<BoundarySuspect>, StateSyncError> {
    let candidates: Vec<[u8; 32]> = connected(peers)
        .into_iter()
        .filter(|peer| !excluded.contains(peer))
        .collect();
    if candidates.len() < 2 {
        return Ok(None);
    }
    let ranges = ranges::split_ranges(restore.next_start(), candidates.len());
    let chunk_bytes = chunk_bytes.clamp(1, MAX_CHUNK_BYTES as u32);
    let mut receivers = Vec::with_capacity(ranges.len());
    let mut tasks = Vec::with_capacity(ranges.len());
    for (index, range) in ranges.into_iter().enumerate() {
        // Range i asks peer i first, then the others in turn.
        let mut order = candidates.clone();
        order.rotate_left(index % candidates.len());
        let (items, receiver) = mpsc::channel(ranges::RANGE_BUFFER_CHUNKS);
        tasks.push(ranges::spawn_range(
            network.clone(),
            order,
            version,
            range,
            chunk_bytes,
            items,
        ));
        receivers.push(receiver);
    }
    tracing::info!(
        ranges = receivers.len(),
        "state sync: fetching ranges from several peers at once"
    );
    let outcome = apply_ranges(restore, &mut receivers, network, excluded, report, progress).await;
    for task in tasks {
        task.abort();
    }
    outcome
}

/// The first chunk of a range failed its proof: either it is false, or the previous range's
/// claim to have ended was (leaves before it were withheld). The chunks proven afterwards from
/// other peers tell which ([`BoundarySuspect::resolve`]).
#[derive(Debug, Clone, Copy)]
struct BoundarySuspect {
    /// The last leaf applied before the failure (`None`: none was).
    after: Option<Hash32>,
    /// The failed chunk's first leaf.
    first_key: Hash32,
    /// Who served it.
    served_by: [u8; 32],
    /// Who served the previous range (and so claimed its end), if it served any chunk.
    previous: Option<[u8; 32]>,
}

/// What a proven chunk says about a [`BoundarySuspect`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resolution {
    /// It does not reach the failed chunk's first leaf: wait for the next one.
    Undecided,
    /// The liar (if known) and what it did.
    Liar(Option<[u8; 32]>, &'static str),
}

impl BoundarySuspect {
    fn involves(&self, peer: &[u8; 32]) -> bool {
        *peer == self.served_by || self.previous == Some(*peer)
    }

    /// Judge by the keys of a chunk proven against the certified root: a leaf between the last
    /// one applied and the failed chunk's first means the previous range ended early (its
    /// server withheld leaves); reaching the failed chunk's first leaf with none between means
    /// the failed chunk itself was false. (A proven chunk may start before the boundary: leaves
    /// applied but not yet written are asked for again.)
    fn resolve(&self, proven: &[Hash32]) -> Resolution {
        let between =
            |key: &Hash32| self.after.is_none_or(|after| *key > after) && *key < self.first_key;
        if proven.iter().any(between) {
            Resolution::Liar(self.previous, "state-sync range ended before its last leaf")
        } else if proven.last().is_some_and(|last| *last >= self.first_key) {
            Resolution::Liar(Some(self.served_by), "bad state-sync chunk")
        } else {
            Resolution::Undecided
        }
    }
}

/// Applies the ranges' chunks in key order until the restore is done, every range ended, or a
/// chunk or range failed (see [`fetch_in_parallel`]). Returns the suspects of a failure at a
/// range boundary, for the one-chunk-at-a-time phase to judge.
async fn apply_ranges(
    restore: &mut Restorer,
    receivers: &mut [mpsc::Receiver<ranges::RangeItem>],
    network: &NetworkHandle,
    excluded: &mut BTreeSet<[u8; 32]>,
    report: &mut StateSyncReport,
    progress: &mut Progress,
) -> Result<Option<BoundarySuspect>, StateSyncError> {
    let mut last_key: Option<Hash32> = None;
    let mut previous_server: Option<[u8; 32]> = None;
    for (index, receiver) in receivers.iter_mut().enumerate() {
        // The first chunk applied from a later range also tests the earlier range's claim that
        // it had ended.
        let mut at_boundary = index > 0;
        let mut this_server: Option<[u8; 32]> = None;
        loop {
            let item = receiver.recv().await;
            match item {
                Some(ranges::RangeItem::Chunk { chunk, peer }) => {
                    let (leaves, bytes) = (chunk.leaves.len() as u64, chunk.payload_bytes() as u64);
                    let first_key = chunk.leaves.first().map(|(key, _)| *key);
                    let chunk_last = chunk.leaves.last().map(|(key, _)| *key);
                    match restore.add_chunk(chunk).await? {
                        Ok(()) => {
                            report.leaves += leaves;
                            report.bytes += bytes;
                            at_boundary = false;
                            this_server = Some(peer);
                            last_key = chunk_last.or(last_key);
                            progress.applied(restore, report);
                        }
                        Err(ChunkError::Storage(error)) => return Err(error.into()),
                        Err(error) if at_boundary => {
                            tracing::warn!(%error, range = index, peer = %hex::encode(peer), "state sync: the first chunk of a range does not prove (it, or the previous range's end, is false); going on one chunk at a time");
                            report.chunks_refused += 1;
                            return Ok(first_key.map(|first_key| BoundarySuspect {
                                after: last_key,
                                first_key,
                                served_by: peer,
                                previous: previous_server,
                            }));
                        }
                        Err(error) => {
                            tracing::warn!(peer = %hex::encode(peer), %error, "state sync: chunk refused; going on one chunk at a time");
                            refuse(network, peer, excluded, report, "bad state-sync chunk").await;
                            return Ok(None);
                        }
                    }
                    if restore.is_done() {
                        return Ok(None);
                    }
                }
                Some(ranges::RangeItem::Done) => {
                    // A range that served nothing leaves its end claim unattributed.
                    previous_server = this_server;
                    break;
                }
                Some(ranges::RangeItem::Failed { peer, reason }) => {
                    tracing::info!(range = index, %reason, "state sync: a range was not fetched; going on one chunk at a time");
                    if let Some(peer) = peer {
                        refuse(network, peer, excluded, report, &reason).await;
                    }
                    return Ok(None);
                }
                None => return Ok(None),
            }
        }
    }
    Ok(None)
}

fn all_excluded(excluded: &BTreeSet<[u8; 32]>, peers: &ConnectedPeers) -> bool {
    let connected = connected(peers);
    !connected.is_empty() && connected.iter().all(|peer| excluded.contains(peer))
}

async fn refuse(
    network: &NetworkHandle,
    peer: [u8; 32],
    excluded: &mut BTreeSet<[u8; 32]>,
    report: &mut StateSyncReport,
    reason: &str,
) {
    report.chunks_refused += 1;
    excluded.insert(peer);
    // A chunk that fails its range proof against a certified root is proof the peer served
    // false state (the connection authenticates it): banned at once, not one penalty point.
    let _ = network.ban_proven_faulty(peer, reason).await;
}

/// Ask every connected peer for a manifest until one verifies: of `resuming` when a restore is
/// unfinished, else the newest on offer.
async fn find_manifest(
    chain: &ChainSpec,
    network: &NetworkHandle,
    peers: &ConnectedPeers,
    resuming: Option<u64>,
    excluded: &mut BTreeSet<[u8; 32]>,
) -> Result<VerifiedManifest, StateSyncError> {
    let mut rounds = 0u32;
    let mut last_wait_log: Option<Instant> = None;
    loop {
        let candidates: Vec<[u8; 32]> = connected(peers)
            .into_iter()
            .filter(|peer| !excluded.contains(peer))
            .collect();
        let mut best: Option<VerifiedManifest> = None;
        for peer in &candidates {
            let request = SnapshotRequest::Manifest { version: resuming };
            let answer = match network.request(*peer, request.encode()).await {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::debug!(peer = %hex::encode(peer), %error, "state sync: manifest request failed");
                    continue;
                }
            };
            match SnapshotResponse::decode(&answer) {
                Ok(SnapshotResponse::Manifest(manifest)) => match verify_manifest(chain, &manifest)
                {
                    Ok(verified) => {
                        if resuming.is_some_and(|version| version != verified.version) {
                            continue;
                        }
                        if best.as_ref().is_none_or(|b| verified.version > b.version) {
                            best = Some(verified);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(peer = %hex::encode(peer), %error, "state sync: manifest refused");
                        excluded.insert(*peer);
                        let _ = network.report_invalid(*peer, "bad snapshot manifest").await;
                    }
                },
                Ok(SnapshotResponse::Unavailable(reason)) => {
                    tracing::info!(peer = %hex::encode(peer), %reason, "state sync: peer offers no snapshot");
                }
                Ok(SnapshotResponse::Chunk(_) | SnapshotResponse::Range(_)) | Err(_) => {
                    excluded.insert(*peer);
                    let _ = network
                        .report_invalid(*peer, "malformed state-sync answer")
                        .await;
                }
            }
        }
        if let Some(best) = best {
            return Ok(best);
        }
        if !candidates.is_empty() {
            rounds += 1;
        }
        if let Some(version) = resuming
            && rounds >= RESUME_ROUNDS
        {
            return Err(StateSyncError::ResumeUnavailable { version });
        }
        if last_wait_log.is_none_or(|at| at.elapsed() >= Duration::from_secs(5)) {
            last_wait_log = Some(Instant::now());
            tracing::info!(
                peers = candidates.len(),
                "state sync: waiting for a peer to offer a snapshot"
            );
        }
        tokio::time::sleep(RETRY_PAUSE).await;
    }
}

/// What the restored head is made of.
struct Finish {
    genesis: (Block, CommitCertificate),
    head: (Block, CommitCertificate),
    epoch_changes: Vec<(Block, CommitCertificate)>,
}

/// A chunk's verdict, and where the restore stands after it.
struct ChunkOutcome {
    result: Result<(), ChunkError>,
    next_start: Hash32,
    done: bool,
}

enum RestoreCommand {
    Add(SnapshotChunk, oneshot::Sender<ChunkOutcome>),
    Finish(Box<Finish>, oneshot::Sender<Result<(), StorageError>>),
}

/// The restore runs on a thread of its own (the tree library's restorer cannot move between
/// threads); the async side hands it chunks and learns where the restore stands.
struct Restorer {
    commands: mpsc::Sender<RestoreCommand>,
    next_start: Hash32,
    done: bool,
}

fn gone() -> StorageError {
    StorageError::Inconsistent("the state-sync restore thread stopped".into())
}

impl Restorer {
    async fn start(store: Store, version: u64, root: Hash32) -> Result<Self, StorageError> {
        let (commands, mut inbox) = mpsc::channel::<RestoreCommand>(1);
        let (ready, started) = oneshot::channel::<Result<Hash32, StorageError>>();
        std::thread::Builder::new()
            .name("yrd-state-sync".into())
            .spawn(move || {
                let mut restore = match store.begin_restore(version, root) {
                    Ok(restore) => restore,
                    Err(error) => {
                        let _ = ready.send(Err(error));
                        return;
                    }
                };
                let _ = ready.send(Ok(restore.next_start()));
                while let Some(command) = inbox.blocking_recv() {
                    match command {
                        RestoreCommand::Add(chunk, reply) => {
                            let result = restore.add_chunk(chunk);
                            let _ = reply.send(ChunkOutcome {
                                result,
                                next_start: restore.next_start(),
                                done: restore.is_done(),
                            });
                        }
                        RestoreCommand::Finish(finish, reply) => {
                            let result = store.finish_restore(
                                restore,
                                (&finish.genesis.0, &finish.genesis.1),
                                (&finish.head.0, &finish.head.1),
                                &finish.epoch_changes,
                            );
                            let _ = reply.send(result);
                            return;
                        }
                    }
                }
            })
            .map_err(|error| {
                StorageError::Inconsistent(format!("starting the state-sync thread: {error}"))
            })?;
        let next_start = started.await.map_err(|_| gone())??;
        Ok(Self {
            commands,
            next_start,
            done: false,
        })
    }

    fn next_start(&self) -> Hash32 {
        self.next_start
    }

    fn is_done(&self) -> bool {
        self.done
    }

    async fn add_chunk(
        &mut self,
        chunk: SnapshotChunk,
    ) -> Result<Result<(), ChunkError>, StorageError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(RestoreCommand::Add(chunk, reply))
            .await
            .map_err(|_| gone())?;
        let outcome = answer.await.map_err(|_| gone())?;
        self.next_start = outcome.next_start;
        self.done = outcome.done;
        Ok(outcome.result)
    }

    async fn finish(self, finish: Finish) -> Result<(), StorageError> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(RestoreCommand::Finish(Box::new(finish), reply))
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

#[cfg(test)]
mod tests {
    use super::{BoundarySuspect, Resolution};

    #[test]
    fn a_boundary_failure_is_pinned_on_the_chunk_or_on_the_range_that_ended_early() {
        let suspect = BoundarySuspect {
            after: Some([0x30; 32]),
            first_key: [0x50; 32],
            served_by: [2; 32],
            previous: Some([1; 32]),
        };
        assert!(suspect.involves(&[2; 32]) && suspect.involves(&[1; 32]));
        assert!(!suspect.involves(&[3; 32]));
        let bad_chunk = Resolution::Liar(Some([2; 32]), "bad state-sync chunk");
        let ended_early =
            Resolution::Liar(Some([1; 32]), "state-sync range ended before its last leaf");
        // Re-asked leaves already applied, then the failed chunk's first leaf: it was false.
        assert_eq!(
            suspect.resolve(&[[0x20; 32], [0x30; 32], [0x50; 32]]),
            bad_chunk
        );
        // ... or a proven chunk passing over it: it invented that leaf.
        assert_eq!(suspect.resolve(&[[0x60; 32]]), bad_chunk);
        // A leaf between the last applied one and it: the previous range ended early.
        assert_eq!(
            suspect.resolve(&[[0x30; 32], [0x40; 32], [0x50; 32]]),
            ended_early
        );
        // Nothing that far yet: undecided.
        assert_eq!(
            suspect.resolve(&[[0x20; 32], [0x30; 32]]),
            Resolution::Undecided
        );
        let unknown_previous = BoundarySuspect {
            previous: None,
            ..suspect
        };
        assert_eq!(
            unknown_previous.resolve(&[[0x40; 32]]),
            Resolution::Liar(None, "state-sync range ended before its last leaf")
        );
    }
}
