//! Builders and checks shared by the storage tests: deterministic blocks, raw RocksDB access.

use std::collections::BTreeMap;
use std::path::Path;

use yrd_consensus::types::payload_digest;
use yrd_consensus::{
    Block, BlockHeader, BlockId, CommitCertificate, ExecutedState, PublicKey, QuorumCert,
    SafetyData as ConsensusSafetyData, VoteData,
};
use yrd_contracts::tree::StateTree;
use yrd_contracts::tx::TxPayload;
use yrd_contracts::types::ChainId;
use yrd_contracts::{Receipt, SignedTx, TxBody};
use yrd_node::storage::{
    ALL_TABLES, CommittedBlockWrite, CommittedTransaction, RocksTreeStore, Store, StoreConfig,
};

pub(crate) fn open(dir: &Path) -> Store {
    Store::open(dir, StoreConfig::default()).unwrap()
}

pub(crate) fn hash(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    *hasher.finalize().as_bytes()
}

/// The `index`-th transaction of the block at `height` (signature not checked by storage).
pub(crate) fn transaction_at(height: u64, index: u32) -> SignedTx {
    SignedTx {
        body: TxBody {
            chain_id: ChainId("yrd-storage-test".to_owned()),
            signer: [index as u8; 32],
            nonce: height,
            expiry_height: height.saturating_add(10),
            payload: TxPayload::Vote {
                proposal_id: height,
                approve: index.is_multiple_of(2),
            },
        },
        signature: [index as u8; 64],
    }
}

pub(crate) fn receipt_at(height: u64, index: u32) -> Receipt {
    Receipt {
        tx_hash: tx_hash(height, index),
        code: index % 3,
    }
}

pub(crate) fn tx_hash(height: u64, index: u32) -> [u8; 32] {
    transaction_at(height, index).hash()
}

pub(crate) fn transactions_at(height: u64, tx_count: u32) -> Vec<CommittedTransaction> {
    (0..tx_count)
        .map(|index| CommittedTransaction {
            transaction: transaction_at(height, index),
            receipt: receipt_at(height, index),
        })
        .collect()
}

pub(crate) fn header_at(height: u64, payload: &[u8], parent_id: BlockId) -> BlockHeader {
    let parent_vote = VoteData {
        epoch: 1,
        round: height,
        height,
        block_id: parent_id,
    };
    BlockHeader {
        epoch: 1,
        round: height + 1,
        height,
        parent_id,
        parent_qc: QuorumCert::root(parent_vote),
        payload_digest: payload_digest(payload),
        proposer: PublicKey([7; 32]),
        timestamp_ms: 1_700_000_000_000 + height,
        executed: ExecutedState {
            height: height.saturating_sub(2),
            state_root: [0; 32],
        },
        next_validator_set: None,
    }
}

/// A block at `height` with `tx_count` transactions and a certificate whose chain is the block
/// and its child; every field derives from the height.
pub(crate) fn block_at(height: u64, tx_count: u32, state_root: [u8; 32]) -> CommittedBlockWrite {
    let transactions = transactions_at(height, tx_count);
    let payload_txs: Vec<SignedTx> = transactions.iter().map(|t| t.transaction.clone()).collect();
    let payload = borsh::to_vec(&payload_txs).unwrap();
    let parent_id = BlockId(hash(&[b"parent", &height.to_be_bytes()]));
    let block = Block {
        header: header_at(height, &payload, parent_id),
        payload,
    };
    let child = header_at(height + 1, &[], block.id());
    let certificate = CommitCertificate {
        headers: vec![block.header.clone(), child.clone()],
        qc: QuorumCert::root(child.vote_data()),
    };
    CommittedBlockWrite {
        block,
        certificate,
        transactions,
        state_root,
    }
}

pub(crate) fn state_key(height: u64) -> Vec<u8> {
    format!("key/{}", height % 7).into_bytes()
}

/// Execute `height` on the tree (one write that depends on the height) and commit its block.
pub(crate) fn execute_and_commit(
    store: &Store,
    tree: &mut StateTree<RocksTreeStore>,
    height: u64,
    txs: u32,
) {
    let root = tree.apply(
        height,
        vec![(state_key(height), Some(height.to_be_bytes().to_vec()))],
    );
    store
        .commit_block(&block_at(height, txs, root.unwrap().0))
        .unwrap();
}

/// Everything committed for `height` is present and consistent.
pub(crate) fn assert_block_complete(
    store: &Store,
    tree: &StateTree<RocksTreeStore>,
    height: u64,
    txs: u32,
) {
    let expected = block_at(height, txs, [0; 32]);
    assert_eq!(
        store.block(height).unwrap(),
        Some(expected.block.clone()),
        "height {height}"
    );
    assert_eq!(
        store.certificate(height).unwrap(),
        Some(expected.certificate.clone())
    );
    assert_eq!(
        store.height_of_block(&expected.block.id().0).unwrap(),
        Some(height)
    );
    let transactions: Vec<_> = expected
        .transactions
        .iter()
        .map(|t| t.transaction.clone())
        .collect();
    assert_eq!(store.block_transactions(height).unwrap(), transactions);
    let receipts: Vec<_> = expected
        .transactions
        .iter()
        .map(|t| t.receipt.clone())
        .collect();
    assert_eq!(store.block_receipts(height).unwrap(), receipts);
    for committed in &expected.transactions {
        let stored = store
            .transaction_by_hash(&committed.receipt.tx_hash)
            .unwrap()
            .unwrap();
        assert_eq!(stored.location.height, height);
        assert_eq!(stored.transaction, committed.transaction);
        assert_eq!(stored.receipt, committed.receipt);
    }
    assert_eq!(
        tree.get(&state_key(height), height).unwrap(),
        Some(height.to_be_bytes().to_vec())
    );
}

pub(crate) fn safety_at_round(round: u64) -> ConsensusSafetyData {
    let mut safety = ConsensusSafetyData::new(1);
    safety.last_voted_round = round;
    safety.preferred_round = round.saturating_sub(1);
    safety.locked_round = round.saturating_sub(2);
    safety
}

/// Write raw bytes into a column family, bypassing the typed layer, as disk corruption would.
pub(crate) fn write_raw(dir: &Path, table: &str, key: &[u8], value: &[u8]) {
    let mut options = rocksdb::Options::default();
    options.create_if_missing(false);
    let db = rocksdb::DB::open_cf(&options, dir, ALL_TABLES).unwrap();
    db.put_cf(db.cf_handle(table).unwrap(), key, value).unwrap();
}

/// Raw key and value bytes of one table.
pub(crate) type RawEntries = Vec<(Vec<u8>, Vec<u8>)>;

/// Every key and value of every table, read through RocksDB directly.
pub(crate) fn dump(dir: &Path) -> BTreeMap<String, RawEntries> {
    let options = rocksdb::Options::default();
    let db = rocksdb::DB::open_cf_for_read_only(&options, dir, ALL_TABLES, false).unwrap();
    ALL_TABLES
        .iter()
        .map(|table| {
            let entries = db
                .iterator_cf(db.cf_handle(table).unwrap(), rocksdb::IteratorMode::Start)
                .map(|entry| {
                    let (key, value) = entry.unwrap();
                    (key.to_vec(), value.to_vec())
                })
                .collect();
            ((*table).to_owned(), entries)
        })
        .collect()
}
