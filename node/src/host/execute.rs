//! Executing a committed block and storing it: the only place where chain state changes.
//!
//! Order, for each block the consensus core reports committed (in height order):
//! 1. decode the payload (a malformed payload executes as an empty block; see `payload`);
//! 2. apply it through `yrd-contracts` — the state tree stages its updates in the RocksDB tree
//!    store's overlay;
//! 3. write block, certificate, transactions, receipts, indexes, head and the staged tree updates in
//!    one atomic synced RocksDB batch (`Store::commit_block`);
//! 4. only then report `Executed` to consensus, drop the included transactions from the mempool
//!    and notify subscribers.
//!
//! A crash between 2 and 3 leaves nothing on disk; the block is re-delivered by sync after restart.

use std::collections::BTreeSet;

use yrd_consensus::CommitCertificate;
use yrd_consensus::types::Block;
use yrd_contracts::state::State;
use yrd_contracts::tx::TxPayload;
use yrd_contracts::{BlockContext, BlockOutcome, SignedTx};

use super::shared::Shared;
use crate::rpc::views::{HeadInfo, LicenceStatusChange};
use crate::storage::{CommittedBlockWrite, CommittedTransaction, RocksTreeStore};
use yrd_contracts::payload::decode_payload;

/// Why a committed block could not be executed and stored. Any of these stops the node: it can
/// neither skip a committed block nor vote on roots it did not compute.
#[derive(Debug, thiserror::Error)]
pub enum ExecuteError {
    /// The state machine refused the block as a whole (height mismatch, store failure).
    #[error("executing block {height}: {source}")]
    Apply {
        /// The block height.
        height: u64,
        /// The cause.
        source: yrd_contracts::BlockError,
    },
    /// Writing the block failed.
    #[error("storing block {height}: {source}")]
    Store {
        /// The block height.
        height: u64,
        /// The cause.
        source: crate::storage::StorageError,
    },
}

/// What executing one block produced.
#[derive(Debug)]
pub struct Executed {
    /// The outcome from the state machine.
    pub outcome: BlockOutcome,
    /// The head after it.
    pub head: HeadInfo,
    /// Hashes of the block's transactions.
    pub tx_hashes: Vec<[u8; 32]>,
    /// Their signers, in the same order.
    pub tx_signers: Vec<[u8; 32]>,
}

/// Execute a committed block on `state` and store it atomically; synced to disk when `durable`
/// (see [`crate::storage::Store::commit_block_with`]).
pub fn execute_and_store(
    shared: &Shared,
    state: &mut State<RocksTreeStore>,
    block: &Block,
    certificate: &CommitCertificate,
    durable: bool,
) -> Result<Executed, ExecuteError> {
    let header = &block.header;
    let height = header.height;
    let txs: Vec<SignedTx> = match decode_payload(&block.payload) {
        Ok(txs) => txs,
        Err(error) => {
            tracing::warn!(height, %error, "committed block has a malformed payload; executing it as empty");
            shared
                .counters
                .payloads_malformed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Vec::new()
        }
    };
    let ctx = BlockContext {
        height,
        block_time_ms: header.timestamp_ms,
        chain_id: shared.chain.genesis.chain_id.clone(),
        epoch: header.epoch,
    };
    // Signatures of transactions this node admitted were checked on entry under the same rule.
    let tx_hashes: Vec<[u8; 32]> = txs.iter().map(SignedTx::hash).collect();
    let verified: BTreeSet<[u8; 32]> = {
        let pool = shared.mempool();
        tx_hashes
            .iter()
            .filter(|h| pool.contains(h))
            .copied()
            .collect()
    };
    let outcome = state
        .apply_block_preverified(&ctx, &txs, &verified)
        .map_err(|source| ExecuteError::Apply { height, source })?;

    let block_hash = block.id().0;
    let transactions = CommittedTransaction::with_receipts(&txs, &outcome.receipts);
    let write = CommittedBlockWrite {
        block: block.clone(),
        certificate: certificate.clone(),
        transactions,
        state_root: outcome.state_root.0,
    };
    let writing = std::time::Instant::now();
    shared
        .store
        .commit_block_with(&write, durable)
        .map_err(|source| ExecuteError::Store { height, source })?;
    shared
        .db_commit_write
        .observe(writing.elapsed().as_secs_f64());

    let head = HeadInfo {
        height,
        block_id: block_hash,
        parent_id: header.parent_id.0,
        state_root: outcome.state_root.0,
        block_time_ms: header.timestamp_ms,
        epoch: header.epoch,
        round: header.round,
        tx_count: txs.len() as u32,
    };
    // Subscribers and the mempool learn of the block only after it is durable.
    for (tx, receipt) in txs.iter().zip(outcome.receipts.iter()) {
        if receipt.is_success()
            && let Some((issuer, commitment)) = licence_touched(&tx.body.payload)
        {
            let _ = shared.licence_events.send(LicenceStatusChange {
                commitment,
                issuer,
                tx_hash: receipt.tx_hash,
                height,
            });
        }
    }
    Ok(Executed {
        outcome,
        head,
        tx_hashes,
        tx_signers: txs.iter().map(|tx| tx.body.signer).collect(),
    })
}

/// The licence a transaction changes the status of, if any: the USCC it names (none for an
/// anchoring, which is under the signer's own) and the commitment.
pub fn licence_touched(payload: &TxPayload) -> Option<(Option<[u8; 18]>, [u8; 32])> {
    match payload {
        TxPayload::AnchorLicence(anchor) => Some((None, anchor.commitment)),
        TxPayload::SuspendLicence(change)
        | TxPayload::RevokeLicence(change)
        | TxPayload::ReinstateLicence(change) => Some((
            Some(change.target.issuer.to_bytes()),
            change.target.commitment,
        )),
        TxPayload::RenewLicence(renew) => Some((
            Some(renew.target.issuer.to_bytes()),
            renew.target.commitment,
        )),
        _ => None,
    }
}
