//! The RocksDB-backed state tree against the in-memory reference store.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tempfile::TempDir;
use yrd_contracts::tree::{MemoryTreeStore, StateRoot, StateTree, TreeError};
use yrd_node::storage::{RocksTreeStore, StorageError, Store, StoreConfig};

use crate::fixtures::block_at;

/// Random write sets over a small key space so that keys are overwritten and deleted.
fn random_write_set(rng: &mut StdRng) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
    let count = rng.gen_range(0..12);
    (0..count)
        .map(|_| {
            let key = format!("k{}", rng.gen_range(0..40)).into_bytes();
            let value = if rng.gen_bool(0.25) {
                None
            } else {
                Some(
                    (0..rng.gen_range(1..20))
                        .map(|_| rng.r#gen::<u8>())
                        .collect(),
                )
            };
            (key, value)
        })
        .collect()
}

fn assert_version_matches(
    rocks: &StateTree<RocksTreeStore>,
    memory: &StateTree<MemoryTreeStore>,
    version: u64,
    roots: &BTreeMap<u64, StateRoot>,
) {
    let root = rocks.root_at(version).unwrap();
    assert_eq!(root, roots[&version], "root at {version}");
    assert_eq!(memory.root_at(version).unwrap(), root);
    for key in (0..40).map(|k| format!("k{k}").into_bytes()) {
        let (value, proof) = rocks.get_with_proof(&key, version).unwrap();
        assert_eq!(
            value,
            memory.get(&key, version).unwrap(),
            "version {version}"
        );
        proof.verify(&root, &key, value.as_deref()).unwrap();
        // The same proof as the in-memory tree's, whose internal nodes are prepared afresh for
        // every proof: the database's prepared nodes (its proof cache) change nothing.
        assert_eq!(
            proof,
            memory.get_with_proof(&key, version).unwrap().1,
            "proof of {key:?} at {version}"
        );
        // The plain read (latest-value index, or a seek below the key's newest entry) agrees.
        assert_eq!(
            rocks.get(&key, version).unwrap(),
            value,
            "plain read at {version}"
        );
    }
}

#[test]
fn rocks_tree_matches_memory_tree_across_reopen_and_pruning() {
    let dir = TempDir::new().unwrap();
    let config = StoreConfig {
        prune_chunk_entries: 7,
        keep_versions: 10,
        ..StoreConfig::default()
    };
    let mut rng = StdRng::seed_from_u64(0x5eed_0005);
    let mut memory = StateTree::new(MemoryTreeStore::new());
    let mut roots = BTreeMap::new();
    let versions = 40u64;
    {
        let store = Store::open(dir.path(), config.clone()).unwrap();
        let mut rocks = StateTree::new(store.tree_store());
        for version in 0..versions {
            let writes = random_write_set(&mut rng);
            let rocks_root = rocks.apply(version, writes.clone()).unwrap();
            let memory_root = memory.apply(version, writes).unwrap();
            assert_eq!(rocks_root, memory_root, "version {version}");
            roots.insert(version, rocks_root);
            if version % 3 == 0 {
                // Reads before the commit come from the staging area.
                assert_version_matches(&rocks, &memory, version, &roots);
            }
            store
                .commit_block(&block_at(version, 1, rocks_root.0))
                .unwrap();
        }
    }

    let store = Store::open(dir.path(), config).unwrap();
    let mut rocks = StateTree::new(store.tree_store());
    for version in 0..versions {
        assert_version_matches(&rocks, &memory, version, &roots);
    }

    let oldest_kept = versions - 10;
    let rocks_stats = store.prune_to_window().unwrap().unwrap();
    let memory_stats = memory.prune(oldest_kept).unwrap();
    assert_eq!(rocks_stats, memory_stats);
    assert!(
        rocks_stats.nodes_removed > 0 && rocks_stats.values_removed > 0,
        "{rocks_stats:?}"
    );
    assert_eq!(store.oldest_readable_version().unwrap(), oldest_kept);
    for version in 0..oldest_kept {
        assert!(matches!(
            store.check_version_readable(version),
            Err(StorageError::VersionPruned { oldest_readable, .. }) if oldest_readable == oldest_kept
        ));
    }
    // The versions whose root node was replaced are gone from the tree itself.
    let mut missing = 0;
    for version in 0..oldest_kept {
        match rocks.root_at(version) {
            Err(TreeError::VersionMissing { .. }) => missing += 1,
            Ok(root) => assert_eq!(root, roots[&version]),
            Err(other) => panic!("unexpected error at {version}: {other}"),
        }
    }
    assert_eq!(missing, oldest_kept, "every pruned version's root is gone");
    // Their prepared nodes went with them: no proof is built from the proof cache.
    for version in 0..oldest_kept {
        assert!(
            matches!(
                rocks.get_with_proof(b"k1", version),
                Err(TreeError::VersionMissing { .. })
            ),
            "a proof at pruned version {version}"
        );
    }
    for version in oldest_kept..versions {
        store.check_version_readable(version).unwrap();
        assert_version_matches(&rocks, &memory, version, &roots);
    }
    // Pruning again finds nothing; pruning past the latest version is refused.
    assert_eq!(rocks.prune(oldest_kept).unwrap(), Default::default());
    assert!(matches!(
        rocks.prune(versions),
        Err(TreeError::PruneBeyondLatest { .. })
    ));
    assert_eq!(store.prune_to_window().unwrap(), None);
}

#[test]
fn a_database_in_an_earlier_ledger_format_is_refused_not_migrated() {
    use yrd_node::storage::WriteBatch;
    use yrd_node::storage::tables::{Metadata, MetadataKey, MetadataValue};

    for earlier in [1u32, 2, 3, 4] {
        let dir = TempDir::new().unwrap();
        {
            let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
            let mut batch = WriteBatch::new();
            batch
                .put::<Metadata>(
                    &MetadataKey::SchemaVersion,
                    &MetadataValue::SchemaVersion(earlier),
                )
                .unwrap();
            store.write_synced(batch).unwrap();
        }
        let error = Store::open(dir.path(), StoreConfig::default()).unwrap_err();
        match &error {
            StorageError::EarlierLedgerFormat {
                found, supported, ..
            } => {
                assert_eq!(*found, earlier);
                assert_eq!(*supported, yrd_node::storage::SCHEMA_VERSION);
            }
            other => panic!("expected an earlier-format refusal, got {other:?}"),
        }
        let message = error.to_string();
        assert!(message.contains("empty data directory"), "{message}");
        // Refusing wrote nothing: the directory still says what it was.
        let error = Store::open(dir.path(), StoreConfig::default()).unwrap_err();
        assert!(
            matches!(error, StorageError::EarlierLedgerFormat { found, .. } if found == earlier)
        );
    }
}
