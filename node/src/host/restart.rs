//! Starting from a data directory: the genesis state on first start, and on every later start the
//! exact point where the node stopped — committed tip, its certificate, safety data, the blocks it
//! voted for — so that a restarted node never votes twice in a round.

use yrd_consensus::types::{Block, BlockHeader, CommittedBlock, ValidatorSet};
use yrd_consensus::{CommitCertificate, StartState};
use yrd_contracts::state::{BlockError, GenesisError, State};
use yrd_verifier::chain_spec::ChainSpec;

use super::epochs::EpochHistory;
use crate::rpc::views::HeadInfo;
use crate::storage::{CommittedBlockWrite, RocksTreeStore, StorageError, Store};

/// How many recent committed headers (for leader reputation) and executed roots (for the
/// executed-state vote rule) the core gets on restart.
pub const RECENT_HEADERS_ON_START: u64 = 128;

/// Why the node cannot start from its data directory.
#[derive(Debug, thiserror::Error)]
pub enum RestartError {
    /// Reading the store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The store contradicts itself: a record the chain needs is missing or does not fit the
    /// others.
    #[error("stored {what} at height {height} is corrupt: {fault}")]
    Corrupt {
        /// What was being read (`"committed head"`, `"reconfiguration block"`, ...).
        what: &'static str,
        /// Its height.
        height: u64,
        /// What is wrong with it.
        fault: CorruptStore,
    },
    /// The data directory belongs to another chain.
    #[error(
        "data directory holds chain with genesis {}, but the genesis file hashes to {}",
        hex::encode(.stored),
        hex::encode(.expected)
    )]
    WrongChain {
        /// Genesis hash in the store.
        stored: [u8; 32],
        /// Genesis hash of the file.
        expected: [u8; 32],
    },
    /// The genesis state could not be written.
    #[error("writing the genesis state: {0}")]
    Genesis(#[source] GenesisError),
    /// The state could not be opened.
    #[error("opening the state: {0}")]
    OpenState(#[source] BlockError),
    /// A state sync into this data directory started and did not finish.
    #[error(
        "a state sync of version {version} into this data directory did not finish: start the \
         node with --state-sync to finish it, or with --reset to start over"
    )]
    StateSyncUnfinished {
        /// The state version being restored.
        version: u64,
    },
}

/// How the stored chain contradicts itself ([`RestartError::Corrupt`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptStore {
    /// The block or its certificate is missing.
    #[error("block or certificate missing")]
    BlockMissing,
    /// The committed tip's epoch is neither the newest stored epoch nor the one it ends.
    #[error(
        "its epoch {tip_epoch} is neither the newest stored epoch {newest} nor the one it ends"
    )]
    TipEpoch {
        /// The tip's epoch.
        tip_epoch: u64,
        /// The newest epoch the stored reconfiguration blocks started.
        newest: u64,
    },
    /// The block's epoch was never started by a stored reconfiguration block.
    #[error("its epoch {epoch} was never started")]
    EpochNeverStarted {
        /// The block's epoch.
        epoch: u64,
    },
    /// A reconfiguration block is not a block of the epoch before the one it starts.
    #[error("as reconfiguration block of epoch {epoch}, it is not a block of the epoch before")]
    NotOfEpochBefore {
        /// The epoch it should start.
        epoch: u64,
    },
    /// A reconfiguration block does not hand over to a valid set of the epoch it starts.
    #[error("it does not hand over to a valid set of epoch {epoch}")]
    InvalidHandOver {
        /// The epoch it should start.
        epoch: u64,
    },
    /// A reconfiguration block is not above the previous one.
    #[error(
        "as reconfiguration block of epoch {epoch}, it is not above the previous reconfiguration \
         block"
    )]
    NotAbovePrevious {
        /// The epoch it should start.
        epoch: u64,
    },
}

/// A committed block with its certificate, from the store.
pub fn committed_block(store: &Store, height: u64) -> Result<Option<CommittedBlock>, StorageError> {
    let (Some(block), Some(certificate)) = (store.block(height)?, store.certificate(height)?)
    else {
        return Ok(None);
    };
    Ok(Some(CommittedBlock { block, certificate }))
}

/// Open the state, creating the genesis state (and committing the genesis block at height 0) on
/// first start. Checks that the store belongs to this chain: its genesis block id must be the one
/// the genesis file derives.
pub fn open_state(store: &Store, chain: &ChainSpec) -> Result<State<RocksTreeStore>, RestartError> {
    let genesis_header = chain.consensus.header();
    let expected = genesis_header.id().0;
    if let Some(progress) = store.restore_progress()? {
        return Err(RestartError::StateSyncUnfinished {
            version: progress.version,
        });
    }
    match store.genesis_hash()? {
        Some(stored) if stored != expected => {
            return Err(RestartError::WrongChain { stored, expected });
        }
        Some(_) => {}
        None => {
            let (_, root) = State::genesis(&chain.genesis, store.tree_store())
                .map_err(RestartError::Genesis)?;
            let block = Block {
                header: genesis_header.clone(),
                payload: Vec::new(),
            };
            let certificate = CommitCertificate {
                headers: vec![genesis_header],
                qc: chain.consensus.qc(),
            };
            store.commit_block(&CommittedBlockWrite {
                block,
                certificate,
                transactions: Vec::new(),
                state_root: root.0,
            })?;
            tracing::info!(root = %hex::encode(root.0), block = %hex::encode(expected), "genesis written");
        }
    }
    State::open(store.tree_store()).map_err(RestartError::OpenState)
}

/// What the consensus core restarts from: the committed tip in its epoch, with the validator set,
/// first round and (when the tip is the reconfiguration block) the ended epoch's set rebuilt from
/// the stored reconfiguration blocks ([`EpochHistory`]), and for every recent executed height the
/// set its state scheduled, by the same rule a running host applies after each commit.
/// The committed head the node starts from, as the RPC shows it: the stored head, or the genesis
/// block when nothing is committed yet.
pub fn start_head(
    store: &Store,
    chain: &ChainSpec,
    start: &StartState,
) -> Result<HeadInfo, RestartError> {
    Ok(match store.committed_head()? {
        Some(head) => HeadInfo {
            height: head.height,
            block_id: head.block_hash,
            parent_id: start.committed_tip.parent_id.0,
            state_root: head.state_root,
            block_time_ms: start.committed_tip.timestamp_ms,
            epoch: start.committed_tip.epoch,
            round: start.committed_tip.round,
            tx_count: 0,
        },
        None => HeadInfo {
            height: 0,
            block_id: chain.consensus.header().id().0,
            state_root: chain.consensus.state_root,
            block_time_ms: chain.genesis.genesis_time_ms,
            ..HeadInfo::default()
        },
    })
}

pub fn start_state(
    store: &Store,
    chain: &ChainSpec,
    state: &State<RocksTreeStore>,
) -> Result<StartState, RestartError> {
    let mut start = StartState::from_genesis(&chain.consensus);
    if let Some(safety) = store.safety_data()? {
        start.safety_data = safety;
    }
    let Some(head) = store.committed_head()? else {
        return Ok(start);
    };
    if head.height == 0 {
        start.uncommitted_blocks = store.voted_blocks_above(0)?;
        return Ok(start);
    }
    let Some(tip) = committed_block(store, head.height)? else {
        return Err(RestartError::Corrupt {
            what: "committed head",
            height: head.height,
            fault: CorruptStore::BlockMissing,
        });
    };
    start.committed_tip_qc = match tip.certificate.headers.get(1) {
        Some(child) => child.parent_qc.clone(),
        None => tip.certificate.qc.clone(),
    };
    start.committed_tip = tip.block.header.clone();
    let epochs = EpochHistory::load(store, &chain.consensus.validator_set)?;
    if let Some(change) = epochs.last_change() {
        start.validator_set = change.validator_set.clone();
        start.epoch_start_round = epochs.current_start_round();
        if change.height == head.height {
            start.previous_validator_set = epochs.previous().cloned();
        }
    }
    // The tip is in the newest epoch, or it is the reconfiguration block that started it.
    let tip_epoch = tip.block.header.epoch;
    let newest = epochs.current().epoch;
    let tip_ends_its_epoch = tip_epoch.checked_add(1) == Some(newest)
        && epochs.last_change().map(|change| change.height) == Some(head.height);
    if tip_epoch != newest && !tip_ends_its_epoch {
        return Err(RestartError::Corrupt {
            what: "committed head",
            height: head.height,
            fault: CorruptStore::TipEpoch { tip_epoch, newest },
        });
    }
    tracing::info!(
        epoch = newest,
        validators = epochs.current().validators.len(),
        start_round = start.epoch_start_round,
        "validator set rebuilt from the stored epoch changes"
    );
    let first = head.height.saturating_sub(RECENT_HEADERS_ON_START).max(1);
    let mut recent: Vec<BlockHeader> = Vec::new();
    for height in first..=head.height {
        if let Some(committed) = committed_block(store, height)? {
            recent.push(committed.block.header);
        }
    }
    start.recent_committed = recent;
    // Blocks voted for but not committed: without them a node whose vote went further than its
    // committed tip could neither vote again (safety rules) nor time out with a high enough QC.
    start.uncommitted_blocks = store.voted_blocks_above(head.height)?;
    // The executed roots of recent heights, not just the head's: proposals from peers that are
    // behind attest an older height, and a validator votes only for roots it can compare. Each
    // carries the set its state scheduled against its block's epoch, as the running host reported
    // it (a height whose state version was pruned reports none: proposals attest recent heights).
    let mut executed = Vec::new();
    for height in head.height.saturating_sub(RECENT_HEADERS_ON_START)..=head.height {
        let state_root = if height == head.height {
            Some(head.state_root)
        } else {
            store.state_root_at(height)?
        };
        let Some(state_root) = state_root else {
            continue;
        };
        // The block's epoch, from the headers read above (genesis: the genesis epoch).
        let epoch = if height == 0 {
            Some(chain.consensus.validator_set.epoch)
        } else {
            start
                .recent_committed
                .iter()
                .find(|header| header.height == height)
                .map(|header| header.epoch)
        };
        let next_validator_set = match epoch {
            Some(epoch) => scheduled_at(state, &epochs, height, epoch)?,
            None => None,
        };
        executed.push(yrd_consensus::driver::ExecutedRecord {
            height,
            state_root,
            next_validator_set,
        });
    }
    start.executed = executed;
    Ok(start)
}

/// The set the state after the committed block at `height` (of `epoch`) scheduled, compared with
/// that epoch's set ([`super::epochs::scheduled_next_set`]).
fn scheduled_at(
    state: &State<RocksTreeStore>,
    epochs: &EpochHistory,
    height: u64,
    epoch: u64,
) -> Result<Option<ValidatorSet>, RestartError> {
    let Some(epoch_set) = epochs.set_of(epoch) else {
        return Err(RestartError::Corrupt {
            what: "committed block",
            height,
            fault: CorruptStore::EpochNeverStarted { epoch },
        });
    };
    Ok(super::epochs::scheduled_next_set(
        &state.snapshot_at(height),
        epoch_set,
    ))
}
