//! Node database: typed tables, atomic block commits, durability across reopen and `kill -9`,
//! corruption handling, the RocksDB-backed state tree, pruning, checkpoints and restore.

#[path = "storage/crash.rs"]
mod crash;
#[path = "storage/fixtures.rs"]
mod fixtures;
#[path = "storage/snapshot.rs"]
mod snapshot;
#[path = "storage/tree.rs"]
mod tree;

use std::collections::BTreeMap;

use tempfile::TempDir;
use yrd_consensus::SafetyData as ConsensusSafetyData;
use yrd_contracts::tree::{StateTree, TreeError};
use yrd_node::storage::table::DEFAULT_MAX_VALUE_BYTES;
use yrd_node::storage::table::UsccKey;
use yrd_node::storage::tables::{
    BlockHashIndex, Blocks, Certificates, Metadata, MetadataKey, MetadataValue, Receipts,
    SafetyData, Transactions, TreeValues, TxIndex,
};
use yrd_node::storage::{
    ALL_TABLES, CommittedBlockWrite, KeptBatch, MAX_STAGED_VERSIONS, SCHEMA_VERSION, StorageError,
    Store, StoreConfig, TxLocation, WriteBatch, restore,
};

use fixtures::{
    assert_block_complete, block_at, dump, execute_and_commit, hash, open, receipt_at,
    safety_at_round, state_key, transaction_at, tx_hash, write_raw,
};

#[test]
fn typed_round_trip_and_key_order_for_every_table() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let mut batch = WriteBatch::new();
    // Heights inserted out of order, including ones whose little-endian order differs.
    let heights = [256u64, 1, 65_536, 2, 255, 0, u64::MAX];
    let blocks: BTreeMap<u64, CommittedBlockWrite> = heights
        .iter()
        .map(|height| (*height, block_at(height % 1_000, 1, [0; 32])))
        .collect();
    for height in heights {
        batch
            .put::<Blocks>(&height, &blocks[&height].block)
            .unwrap();
        batch
            .put::<Certificates>(&height, &blocks[&height].certificate)
            .unwrap();
        for index in [300u32, 0, 2] {
            let location = TxLocation { height, index };
            batch
                .put::<Transactions>(&(height, index), &transaction_at(height, index))
                .unwrap();
            batch
                .put::<Receipts>(&(height, index), &receipt_at(height, index))
                .unwrap();
            batch
                .put::<TxIndex>(&tx_hash(height, index), &location)
                .unwrap();
        }
        batch
            .put::<BlockHashIndex>(&hash(&[&height.to_be_bytes()]), &height)
            .unwrap();
        batch
            .put::<TreeValues>(&([7; 32], height), &Some(vec![9]))
            .unwrap();
    }
    batch.put::<TreeValues>(&([6; 32], 5), &None).unwrap();
    let mut safety = ConsensusSafetyData::new(3);
    safety.last_voted_round = 17;
    batch.put::<SafetyData>(&(), &safety).unwrap();
    store.write(batch).unwrap();

    for height in heights {
        assert_eq!(
            store.get::<Blocks>(&height).unwrap().as_ref(),
            Some(&blocks[&height].block)
        );
        assert_eq!(
            store.get::<TxIndex>(&tx_hash(height, 300)).unwrap(),
            Some(TxLocation { height, index: 300 })
        );
        assert_eq!(
            store
                .get::<BlockHashIndex>(&hash(&[&height.to_be_bytes()]))
                .unwrap(),
            Some(height)
        );
        assert_eq!(
            store.get::<TreeValues>(&([7; 32], height)).unwrap(),
            Some(Some(vec![9]))
        );
    }
    assert_eq!(store.get::<TreeValues>(&([6; 32], 5)).unwrap(), Some(None));
    assert_eq!(store.get::<Blocks>(&3).unwrap(), None);
    assert_eq!(store.safety_data().unwrap(), Some(safety));

    let mut sorted = heights.to_vec();
    sorted.sort_unstable();
    let scanned: Vec<u64> = store
        .iter_from::<Blocks>(&0, 100)
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(scanned, sorted);
    let from_two: Vec<u64> = store
        .iter_from::<Blocks>(&2, 3)
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(from_two, vec![2, 255, 256]);
    let tx_keys: Vec<(u64, u32)> = store
        .range::<Transactions>(&(255, 0), &(65_536, 0), 100)
        .unwrap()
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert_eq!(
        tx_keys,
        vec![
            (255, 0),
            (255, 2),
            (255, 300),
            (256, 0),
            (256, 2),
            (256, 300)
        ]
    );
    assert_eq!(store.last::<Blocks>().unwrap().map(|e| e.0), Some(u64::MAX));
    let versions: Vec<u64> = store
        .iter_from::<TreeValues>(&([7; 32], 0), 100)
        .unwrap()
        .into_iter()
        .map(|e| e.0.1)
        .collect();
    assert_eq!(versions, sorted);
}

#[test]
fn limits_on_scans_batches_and_block_size() {
    let dir = TempDir::new().unwrap();
    let config = StoreConfig {
        max_scan_entries: 10,
        max_write_batch_bytes: 10_000,
        max_block_transactions: 4,
        ..StoreConfig::default()
    };
    let store = Store::open(dir.path(), config).unwrap();
    assert!(store.iter_from::<Blocks>(&0, 10).is_ok());
    assert!(matches!(
        store.iter_from::<Blocks>(&0, 11),
        Err(StorageError::ScanTooLarge {
            requested: 11,
            limit: 10,
            ..
        })
    ));

    let mut at_limit = WriteBatch::new();
    // Key: 40 bytes; value: option tag, 4-byte length prefix and the bytes.
    let at_limit_value = Some(vec![0; 10_000 - 40 - 5]);
    at_limit
        .put::<TreeValues>(&([1; 32], 0), &at_limit_value)
        .unwrap();
    assert_eq!(at_limit.size_bytes(), 10_000);
    store.write(at_limit).unwrap();
    let mut over = WriteBatch::new();
    let over_value = Some(vec![0; 10_000 - 40 - 5 + 1]);
    over.put::<TreeValues>(&([2; 32], 0), &over_value).unwrap();
    assert!(matches!(
        store.write(over),
        Err(StorageError::BatchTooLarge { bytes: 10_001, .. })
    ));
    assert_eq!(
        store.get::<TreeValues>(&([1; 32], 0)).unwrap(),
        Some(at_limit_value)
    );
    assert_eq!(store.get::<TreeValues>(&([2; 32], 0)).unwrap(), None);

    let error = store.commit_block(&block_at(0, 5, [0; 32])).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::TooManyTransactions {
                count: 5,
                limit: 4,
                ..
            }
        ),
        "{error}"
    );
    store.commit_block(&block_at(0, 4, [0; 32])).unwrap();
    assert_eq!(store.block_transactions(0).unwrap().len(), 4);

    // Values are bounded per table (tree values: the default limit), before anything is written.
    let mut batch = WriteBatch::new();
    let largest = Some(vec![0; DEFAULT_MAX_VALUE_BYTES - 5]);
    batch.put::<TreeValues>(&([9; 32], 0), &largest).unwrap();
    let too_large = Some(vec![0; DEFAULT_MAX_VALUE_BYTES - 4]);
    let error = batch
        .put::<TreeValues>(&([9; 32], 1), &too_large)
        .unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::ValueTooLarge {
                table: "tree_values",
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(batch.len(), 1);

    // At most MAX_STAGED_VERSIONS executed versions may wait for their blocks.
    let mut tree = StateTree::new(store.tree_store());
    for version in 1..=MAX_STAGED_VERSIONS as u64 {
        tree.apply(
            version,
            vec![(b"k".to_vec(), Some(version.to_be_bytes().to_vec()))],
        )
        .unwrap();
    }
    let refused = MAX_STAGED_VERSIONS as u64 + 1;
    let error = tree
        .apply(refused, vec![(b"k".to_vec(), None)])
        .unwrap_err();
    assert!(matches!(error, TreeError::Store(_)), "{error}");
    assert_eq!(store.staged_tree_versions().len(), MAX_STAGED_VERSIONS);
    store.discard_all_staged();
    // Block 0 carried no tree update, so nothing of the tree is on disk.
    assert_eq!(tree.latest_version().unwrap(), None);
}

#[test]
fn block_commit_is_all_or_nothing_and_survives_reopen() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let mut tree = StateTree::new(store.tree_store());
    execute_and_commit(&store, &mut tree, 0, 2);

    // A batch built and dropped without writing leaves no trace.
    let unwritten = block_at(1, 3, [1; 32]);
    {
        let mut batch = WriteBatch::new();
        batch.put::<Blocks>(&1, &unwritten.block).unwrap();
        batch
            .put::<Certificates>(&1, &unwritten.certificate)
            .unwrap();
        batch
            .put::<TxIndex>(
                &unwritten.transactions[0].receipt.tx_hash,
                &TxLocation {
                    height: 1,
                    index: 0,
                },
            )
            .unwrap();
        assert_eq!(batch.len(), 3);
    }
    assert_eq!(store.block(1).unwrap(), None);
    assert_eq!(store.certificate(1).unwrap(), None);
    assert_eq!(
        store
            .transaction_by_hash(&unwritten.transactions[0].receipt.tx_hash)
            .unwrap(),
        None
    );

    // Executed but not yet committed: tree reads see the staged version, the disk does not.
    let root = tree
        .apply(
            1,
            vec![
                (b"licence/a".to_vec(), Some(b"anchored".to_vec())),
                (state_key(1), Some(1u64.to_be_bytes().to_vec())),
            ],
        )
        .unwrap();
    assert_eq!(
        tree.get(b"licence/a", 1).unwrap(),
        Some(b"anchored".to_vec())
    );
    assert_eq!(store.committed_tree_version().unwrap(), Some(0));
    assert_eq!(store.staged_tree_versions(), vec![1]);
    assert_eq!(store.committed_head().unwrap().unwrap().height, 0);

    // Out-of-order blocks and mismatched staging are refused without writing.
    let error = store.commit_block(&block_at(2, 1, root.0)).unwrap_err();
    assert!(
        matches!(error, StorageError::HeightNotNext { latest: 0, got: 2 }),
        "{error}"
    );
    assert_eq!(store.block(2).unwrap(), None);

    // A certificate for another block, or a receipt for another transaction, is refused.
    let mut wrong_certificate = block_at(1, 3, root.0);
    wrong_certificate.certificate = block_at(5, 0, root.0).certificate;
    let error = store.commit_block(&wrong_certificate).unwrap_err();
    assert!(
        matches!(error, StorageError::CertificateMismatch { height: 1, .. }),
        "{error}"
    );
    let mut wrong_receipt = block_at(1, 3, root.0);
    wrong_receipt.transactions[2].receipt = wrong_receipt.transactions[1].receipt.clone();
    let error = store.commit_block(&wrong_receipt).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::ReceiptMismatch {
                height: 1,
                index: 2,
                ..
            }
        ),
        "{error}"
    );
    assert_eq!(store.block(1).unwrap(), None);
    assert_eq!(store.staged_tree_versions(), vec![1]);

    let block = block_at(1, 3, root.0);
    store.commit_block(&block).unwrap();
    assert!(store.staged_tree_versions().is_empty());
    assert_eq!(store.committed_tree_version().unwrap(), Some(1));
    let head = store.committed_head().unwrap().unwrap();
    assert_eq!(
        (head.height, head.block_hash, head.state_root),
        (1, block.block.id().0, root.0)
    );
    assert_block_complete(&store, &tree, 0, 2);
    assert_block_complete(&store, &tree, 1, 3);
    let genesis = block_at(0, 2, [0; 32]).block.id().0;
    assert_eq!(store.genesis_hash().unwrap(), Some(genesis));

    // Staging for another height than the block's is refused.
    tree.apply(2, vec![(b"k".to_vec(), Some(b"v".to_vec()))])
        .unwrap();
    tree.apply(3, vec![(b"k".to_vec(), None)]).unwrap();
    let error = store.commit_block(&block_at(2, 0, [0; 32])).unwrap_err();
    assert!(
        matches!(error, StorageError::StagedTreeMismatch { height: 2, .. }),
        "{error}"
    );
    assert_eq!(store.block(2).unwrap(), None);

    drop(tree);
    drop(store);
    let store = open(dir.path());
    let tree = StateTree::new(store.tree_store());
    assert!(
        store.staged_tree_versions().is_empty(),
        "staged updates never reach the disk alone"
    );
    assert_eq!(tree.latest_version().unwrap(), Some(1));
    assert_eq!(tree.root_at(1).unwrap(), root);
    assert_eq!(store.committed_head().unwrap(), Some(head));
    assert_block_complete(&store, &tree, 0, 2);
    assert_block_complete(&store, &tree, 1, 3);
    assert_eq!(
        tree.get(b"licence/a", 1).unwrap(),
        Some(b"anchored".to_vec())
    );
}

#[test]
fn safety_data_written_with_sync_is_read_back_after_reopen() {
    let dir = TempDir::new().unwrap();
    {
        let store = open(dir.path());
        assert_eq!(store.safety_data().unwrap(), None);
        store.put_safety_synced(&safety_at_round(6)).unwrap();
        store.put_safety_synced(&safety_at_round(7)).unwrap();
    }
    let store = open(dir.path());
    assert_eq!(store.safety_data().unwrap(), Some(safety_at_round(7)));
}

#[test]
fn voted_blocks_are_written_with_the_safety_data_and_pruned_when_committed() {
    let dir = TempDir::new().unwrap();
    let at_1 = block_at(1, 1, [1; 32]).block;
    let at_2 = block_at(2, 0, [2; 32]).block;
    let at_2_other = block_at(2, 2, [3; 32]).block;
    {
        let store = open(dir.path());
        assert!(store.voted_blocks_above(0).unwrap().is_empty());
        store
            .put_safety_and_votes_synced(&safety_at_round(3), &[at_2.clone(), at_1.clone()])
            .unwrap();
        store
            .put_safety_and_votes_synced(&safety_at_round(4), std::slice::from_ref(&at_2_other))
            .unwrap();
    }
    // After a reopen: the newest safety data and every voted block, ascending by height.
    let store = open(dir.path());
    assert_eq!(store.safety_data().unwrap(), Some(safety_at_round(4)));
    let back = store.voted_blocks_above(0).unwrap();
    let heights: Vec<u64> = back.iter().map(|b| b.header.height).collect();
    assert_eq!(heights, [1, 2, 2]);
    assert!(back.contains(&at_1) && back.contains(&at_2) && back.contains(&at_2_other));
    let above_1: Vec<u64> = store
        .voted_blocks_above(1)
        .unwrap()
        .iter()
        .map(|b| b.header.height)
        .collect();
    assert_eq!(above_1, [2, 2]);

    // Committing height 1 deletes the voted blocks at or below it, in the same batch.
    let mut tree = StateTree::new(store.tree_store());
    execute_and_commit(&store, &mut tree, 0, 2);
    assert_eq!(store.voted_blocks_above(0).unwrap().len(), 3);
    execute_and_commit(&store, &mut tree, 1, 1);
    let left = store.voted_blocks_above(0).unwrap();
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|b| b.header.height == 2));
    execute_and_commit(&store, &mut tree, 2, 1);
    assert!(store.voted_blocks_above(0).unwrap().is_empty());

    // A voted block written below what pruning has passed is still pruned by the next commit
    // (the pruning scan starts at the lowest height that can hold one, not at 0).
    store
        .put_safety_and_votes_synced(&safety_at_round(5), std::slice::from_ref(&at_1))
        .unwrap();
    assert_eq!(store.voted_blocks_above(0).unwrap().len(), 1);
    execute_and_commit(&store, &mut tree, 3, 1);
    assert!(store.voted_blocks_above(0).unwrap().is_empty());
}

#[test]
fn corrupt_values_are_typed_errors_naming_the_table() {
    let dir = TempDir::new().unwrap();
    {
        let store = open(dir.path());
        let mut tree = StateTree::new(store.tree_store());
        execute_and_commit(&store, &mut tree, 0, 1);
    }
    // Not a borsh block at all.
    write_raw(dir.path(), "blocks", &5u64.to_be_bytes(), &[0xff]);
    // A valid encoding followed by a trailing byte.
    let mut trailing = borsh::to_vec(&block_at(5, 0, [0; 32]).certificate).unwrap();
    trailing.push(0);
    write_raw(dir.path(), "certificates", &5u64.to_be_bytes(), &trailing);
    // A transaction location with a missing byte, and a malformed key in a typed table.
    write_raw(dir.path(), "index_tx_hash", &[3; 32], &[0; 11]);
    write_raw(
        dir.path(),
        "blocks",
        &[1, 2, 3],
        &borsh::to_vec(&block_at(0, 0, [0; 32]).block).unwrap(),
    );

    let store = open(dir.path());
    match store.block(5) {
        Err(StorageError::CorruptValue {
            table: "blocks",
            key_hex,
            ..
        }) => {
            assert_eq!(key_hex, hex::encode(5u64.to_be_bytes()));
        }
        other => panic!("expected a corrupt value error, got {other:?}"),
    }
    let error = store.certificate(5).unwrap_err();
    assert!(error.to_string().contains("certificates"), "{error}");
    assert!(error.to_string().contains("trailing"), "{error}");
    assert!(matches!(
        store.transaction_by_hash(&[3; 32]),
        Err(StorageError::CorruptValue {
            table: "index_tx_hash",
            ..
        })
    ));
    assert!(matches!(
        store.iter_from::<Blocks>(&0, 10),
        Err(StorageError::CorruptKey {
            table: "blocks",
            ..
        }) | Err(StorageError::CorruptValue { .. })
    ));
    drop(store);

    // A corrupt tree node makes tree reads fail with an error, not a panic.
    let mut node_key = 0u64.to_be_bytes().to_vec();
    node_key.push(0);
    write_raw(dir.path(), "tree_nodes", &node_key, &[2, 0xff]);
    let store = open(dir.path());
    let tree = StateTree::new(store.tree_store());
    let error = tree.get(&state_key(0), 0).unwrap_err();
    assert!(error.to_string().contains("tree_nodes"), "{error}");

    // A corrupt committed-head marker stops the open with a typed error.
    drop(tree);
    drop(store);
    write_raw(dir.path(), "metadata", &[1], &[9, 9]);
    let error = Store::open(dir.path(), StoreConfig::default()).unwrap_err();
    assert!(
        matches!(
            error,
            StorageError::CorruptValue {
                table: "metadata",
                ..
            }
        ),
        "{error}"
    );
}

#[test]
fn unknown_schema_version_and_unknown_tables_are_refused() {
    let dir = TempDir::new().unwrap();
    {
        let store = open(dir.path());
        let mut batch = WriteBatch::new();
        batch
            .put::<Metadata>(
                &MetadataKey::SchemaVersion,
                &MetadataValue::SchemaVersion(99),
            )
            .unwrap();
        store.write_synced(batch).unwrap();
    }
    let error = Store::open(dir.path(), StoreConfig::default()).unwrap_err();
    match &error {
        StorageError::UnsupportedSchemaVersion {
            found: 99,
            supported,
            path,
        } => {
            assert_eq!(*supported, SCHEMA_VERSION);
            assert_eq!(path, dir.path());
        }
        other => panic!("expected an unsupported schema error, got {other:?}"),
    }
    assert!(error.to_string().contains("schema version 99"), "{error}");

    let other = TempDir::new().unwrap();
    drop(open(other.path()));
    {
        let mut options = rocksdb::Options::default();
        options.create_missing_column_families(true);
        let mut names = ALL_TABLES.to_vec();
        names.push("from_the_future");
        drop(rocksdb::DB::open_cf(&options, other.path(), names).unwrap());
    }
    match Store::open(other.path(), StoreConfig::default()) {
        Err(StorageError::UnknownColumnFamilies { unknown, .. }) => {
            assert_eq!(unknown, vec!["from_the_future".to_owned()]);
        }
        result => panic!("expected an unknown column family error, got {result:?}"),
    }
}

#[test]
fn checkpoint_then_restore_gives_identical_contents() {
    let dir = TempDir::new().unwrap();
    let backups = TempDir::new().unwrap();
    let checkpoint_dir = backups.path().join("checkpoint-5");
    let store = open(dir.path());
    let mut tree = StateTree::new(store.tree_store());
    for height in 0..6 {
        execute_and_commit(&store, &mut tree, height, 3);
    }
    store.put_safety_synced(&safety_at_round(9)).unwrap();
    let report = store.checkpoint(&checkpoint_dir).unwrap();
    assert_eq!(report.committed_head.map(|head| head.height), Some(5));
    // Blocks committed after the checkpoint are not in it.
    execute_and_commit(&store, &mut tree, 6, 1);
    assert!(matches!(
        store.checkpoint(&checkpoint_dir),
        Err(StorageError::DestinationExists { .. })
    ));
    let at_checkpoint = dump(&checkpoint_dir);
    assert_eq!(at_checkpoint["blocks"].len(), 6);

    let restored_dir = backups.path().join("restored");
    let restored = restore(&checkpoint_dir, &restored_dir, &StoreConfig::default()).unwrap();
    assert_eq!(restored.committed_head, report.committed_head);
    assert!(restored.files_copied > 0 && restored.bytes_copied > 0);
    assert_eq!(dump(&restored_dir), at_checkpoint);
    {
        let restored_store = open(&restored_dir);
        let restored_tree = StateTree::new(restored_store.tree_store());
        for height in 0..6 {
            assert_block_complete(&restored_store, &restored_tree, height, 3);
        }
        assert_eq!(restored_store.block(6).unwrap(), None);
        assert_eq!(
            restored_store.safety_data().unwrap(),
            Some(safety_at_round(9))
        );
        assert_eq!(restored_tree.root_at(5).unwrap(), tree.root_at(5).unwrap());
    }

    // Restore never overwrites a data directory, and refuses a directory that is not a database.
    assert!(matches!(
        restore(&checkpoint_dir, &restored_dir, &StoreConfig::default()),
        Err(StorageError::DestinationExists { .. })
    ));
    let not_a_db = backups.path().join("empty");
    std::fs::create_dir(&not_a_db).unwrap();
    assert!(matches!(
        restore(
            &not_a_db,
            backups.path().join("other"),
            &StoreConfig::default()
        ),
        Err(StorageError::InvalidCheckpoint { .. })
    ));
}

#[test]
fn reconfiguration_heights_are_indexed_by_the_commit_batch() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let mut tree = StateTree::new(store.tree_store());
    execute_and_commit(&store, &mut tree, 0, 0);
    let key = yrd_consensus::PublicKey([3; 32]);
    for height in 1..=3u64 {
        let root = tree
            .apply(height, vec![(state_key(height), Some(vec![height as u8]))])
            .unwrap();
        let mut write = block_at(height, 1, root.0);
        // The fixture's headers are in epoch 1: block 2 hands over to epoch 2; block 3 carries a
        // set of its own epoch (not a change).
        let next_epoch = match height {
            2 => Some(2),
            3 => Some(1),
            _ => None,
        };
        if let Some(epoch) = next_epoch {
            write.block.header.next_validator_set =
                Some(yrd_consensus::types::ValidatorSet::equal_power(epoch, &[key]).unwrap());
            let child = write.certificate.headers[1].clone();
            write.certificate.headers = vec![write.block.header.clone(), child];
        }
        store.commit_block(&write).unwrap();
    }
    assert_eq!(store.epoch_change_height(2).unwrap(), Some(2));
    assert_eq!(store.epoch_change_height(1).unwrap(), None);
    assert_eq!(store.epoch_change_height(3).unwrap(), None);
}

#[test]
fn batch_leaves_larger_than_one_scan_are_kept_and_read_back_in_order() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let leaves: Vec<[u8; 32]> = (0..150_000u32)
        .map(|i| hash(&[b"leaf", &i.to_le_bytes()]))
        .collect();
    let root = [9; 32];
    let issuer = UsccKey(*b"91310000MA1FL0001R");
    assert_eq!(
        store
            .keep_batch_leaves(&issuer, &root, &leaves, 1 << 20)
            .unwrap(),
        KeptBatch::Kept {
            issuer_leaves: 150_000
        }
    );
    assert_eq!(
        store
            .batch_leaves(&issuer, &root, leaves.len() as u64)
            .unwrap(),
        leaves
    );
    assert_eq!(
        store.batch_leaf(&issuer, &leaves[123_456]).unwrap(),
        Some((root, 123_456))
    );
    assert_eq!(store.batch_leaf(&issuer, &[0; 32]).unwrap(), None);
    // Only the leaves that exist are returned when fewer were kept than asked for.
    assert_eq!(
        store.batch_leaves(&issuer, &[8; 32], 10).unwrap(),
        Vec::<[u8; 32]>::new()
    );
}

#[test]
fn kept_batch_leaves_are_per_issuer_first_kept_wins_and_bounded_per_issuer() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let (a, b) = (
        UsccKey(*b"91310000MA1FL0001R"),
        UsccKey(*b"91310000MA1FL00025"),
    );
    let shared = [7; 32];
    let first = [shared, [1; 32], [2; 32]];
    assert_eq!(
        store.keep_batch_leaves(&a, &[0xa1; 32], &first, 4).unwrap(),
        KeptBatch::Kept { issuer_leaves: 3 }
    );
    // Another issuer keeping the same commitment does not touch the first issuer's entry.
    assert_eq!(
        store
            .keep_batch_leaves(&b, &[0xb1; 32], &[shared], 4)
            .unwrap(),
        KeptBatch::Kept { issuer_leaves: 1 }
    );
    assert_eq!(
        store.batch_leaf(&a, &shared).unwrap(),
        Some(([0xa1; 32], 0))
    );
    assert_eq!(
        store.batch_leaf(&b, &shared).unwrap(),
        Some(([0xb1; 32], 0))
    );
    // A second batch of the same issuer holding it does not replace the first either.
    assert_eq!(
        store
            .keep_batch_leaves(&a, &[0xa2; 32], &[shared], 4)
            .unwrap(),
        KeptBatch::Kept { issuer_leaves: 4 }
    );
    assert_eq!(
        store.batch_leaf(&a, &shared).unwrap(),
        Some(([0xa1; 32], 0))
    );
    // At the limit: one more leaf is refused and nothing is written; a kept batch is a no-op.
    assert_eq!(
        store
            .keep_batch_leaves(&a, &[0xa3; 32], &[[3; 32]], 4)
            .unwrap(),
        KeptBatch::OverQuota {
            issuer_leaves: 4,
            max: 4
        }
    );
    assert_eq!(store.batch_leaf(&a, &[3; 32]).unwrap(), None);
    assert_eq!(
        store.keep_batch_leaves(&a, &[0xa1; 32], &first, 4).unwrap(),
        KeptBatch::AlreadyKept
    );
    assert_eq!(store.batch_leaf_usage(&a).unwrap(), 4);
    assert_eq!(store.batch_leaf_usage(&b).unwrap(), 1);
}

#[test]
fn a_nonce_refusal_is_not_indexed_so_the_transaction_stays_admissible() {
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let mut tree = StateTree::new(store.tree_store());
    execute_and_commit(&store, &mut tree, 0, 0);
    let root = tree.apply(1, vec![(state_key(1), Some(vec![1]))]).unwrap();
    let mut block = block_at(1, 3, root.0);
    // 0: took effect; 1: failed for its payload; 2: held out of its signer's nonce order.
    block.transactions[0].receipt.code = 0;
    block.transactions[1].receipt.code = 305;
    block.transactions[2].receipt.code = 105;
    store.commit_block(&block).unwrap();

    let [ok, failed, out_of_order] = [0, 1, 2].map(|i| block.transactions[i].receipt.tx_hash);
    assert!(store.has_transaction(&ok).unwrap());
    assert!(store.has_transaction(&failed).unwrap());
    assert!(
        !store.has_transaction(&out_of_order).unwrap(),
        "a nonce refusal settled the transaction"
    );
    assert_eq!(store.transaction_by_hash(&out_of_order).unwrap(), None);
    // The block itself still lists it with its receipt.
    assert_eq!(store.get::<Receipts>(&(1, 2)).unwrap().unwrap().code, 105);
    assert!(!block.transactions[2].receipt.settles());
    assert!(block.transactions[1].receipt.settles());
}

/// Blocks 1..=3 in the fixture's epoch 1, block 2 handing over to `next` (a set of epoch 2).
fn chain_with_a_reconfiguration(
    dir: &std::path::Path,
    next: yrd_consensus::types::ValidatorSet,
) -> Store {
    let store = open(dir);
    let mut tree = StateTree::new(store.tree_store());
    execute_and_commit(&store, &mut tree, 0, 0);
    for height in 1..=3u64 {
        let root = tree
            .apply(height, vec![(state_key(height), Some(vec![height as u8]))])
            .unwrap();
        let mut write = block_at(height, 1, root.0);
        if height == 2 {
            write.block.header.next_validator_set = Some(next.clone());
            let child = write.certificate.headers[1].clone();
            write.certificate.headers = vec![write.block.header.clone(), child];
        }
        store.commit_block(&write).unwrap();
    }
    store
}

#[test]
fn a_restart_rebuilds_the_validator_sets_from_the_stored_epoch_changes() {
    use yrd_consensus::types::ValidatorSet;
    use yrd_node::host::epochs::EpochHistory;
    let dir = TempDir::new().unwrap();
    let first = ValidatorSet::equal_power(1, &[yrd_consensus::PublicKey([1; 32])]).unwrap();
    let second = ValidatorSet::equal_power(2, &[yrd_consensus::PublicKey([2; 32])]).unwrap();
    let store = chain_with_a_reconfiguration(dir.path(), second.clone());
    let history = EpochHistory::load(&store, &first).unwrap();
    assert_eq!(history.current(), &second);
    assert_eq!(history.previous(), Some(&first));
    assert_eq!(history.set_of(1), Some(&first));
    assert_eq!(history.set_of(3), None);
    let change = history.last_change().unwrap();
    assert_eq!(change.height, 2);
    // The fixture's block at height h is proposed in round h + 1; the epoch starts after it.
    assert_eq!(history.current_start_round(), change.round + 1);
}

#[test]
fn a_reconfiguration_to_an_invalid_set_is_a_corrupt_store_not_a_new_epoch() {
    use yrd_consensus::types::ValidatorSet;
    use yrd_node::host::epochs::EpochHistory;
    use yrd_node::host::restart::{CorruptStore, RestartError};
    let dir = TempDir::new().unwrap();
    let first = ValidatorSet::equal_power(1, &[yrd_consensus::PublicKey([1; 32])]).unwrap();
    // An empty set of epoch 2: indexed as a hand-over, but no valid validator set.
    let empty = ValidatorSet {
        epoch: 2,
        validators: Vec::new(),
    };
    let store = chain_with_a_reconfiguration(dir.path(), empty);
    match EpochHistory::load(&store, &first) {
        Err(
            error @ RestartError::Corrupt {
                what: "reconfiguration block",
                height: 2,
                fault: CorruptStore::InvalidHandOver { epoch: 2 },
            },
        ) => {
            let message = error.to_string();
            assert!(
                message.contains("height 2") && message.contains("valid set of epoch 2"),
                "{message}"
            );
        }
        other => panic!("expected a corrupt-store error, got {other:?}"),
    }
}

#[test]
fn table_sizes_name_every_table_and_add_up_to_the_engine_total() {
    use yrd_node::storage::table::Table;
    let dir = TempDir::new().unwrap();
    let store = open(dir.path());
    let empty = store.table_sst_bytes().unwrap();
    let names: Vec<&str> = empty.iter().map(|(table, _)| *table).collect();
    assert_eq!(names, ALL_TABLES, "every table, in the list's order");
    assert!(empty.iter().all(|(_, bytes)| *bytes == 0), "{empty:?}");

    store.commit_block(&block_at(0, 3, [0; 32])).unwrap();
    store.flush().unwrap();
    let sizes = store.table_sst_bytes().unwrap();
    let size_of = |name: &str| sizes.iter().find(|(table, _)| *table == name).unwrap().1;
    assert!(size_of(Blocks::NAME) > 0, "{sizes:?}");
    assert!(size_of(Transactions::NAME) > 0, "{sizes:?}");
    assert_eq!(size_of(SafetyData::NAME), 0, "nothing was written there");
    let total: u64 = sizes.iter().map(|(_, bytes)| bytes).sum();
    assert_eq!(total, store.engine_stats().unwrap().sst_bytes);
}
