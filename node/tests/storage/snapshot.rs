//! State snapshots: a version served in proven chunks is restored into an empty database with the
//! same root and values; bad chunks (tampered, skipping, overlapping, claiming the end too early,
//! of another version) change nothing; a restore interrupted at any chunk resumes.

use std::collections::BTreeMap;

use tempfile::TempDir;
use yrd_contracts::tree::{StateRoot, StateTree};
use yrd_node::storage::{ChunkError, SnapshotChunk, StorageError, Store, key_after};

use crate::fixtures::{block_at, open};

/// A source database whose state went through several versions (keys written, overwritten and
/// deleted), committed up to `versions - 1`. Returns the store, the final root and the final
/// key → value map.
fn source(
    dir: &std::path::Path,
    versions: u64,
    keys: u32,
) -> (Store, StateRoot, BTreeMap<Vec<u8>, Vec<u8>>) {
    let store = open(dir);
    let mut tree = StateTree::new(store.tree_store());
    let mut live = BTreeMap::new();
    let mut root = StateRoot([0; 32]);
    for version in 0..versions {
        let mut writes = Vec::new();
        for i in 0..keys {
            let key = format!("key/{i}").into_bytes();
            // Every version rewrites a third of the keys, deletes a seventh of them.
            if (i as u64 + version).is_multiple_of(3) {
                let value = format!("value {i} at {version}").into_bytes();
                live.insert(key.clone(), value.clone());
                writes.push((key, Some(value)));
            } else if version > 0 && (i as u64 * 7 + version).is_multiple_of(7 * 5) {
                live.remove(&key);
                writes.push((key, None));
            }
        }
        root = tree.apply(version, writes).unwrap();
        store.commit_block(&block_at(version, 0, root.0)).unwrap();
    }
    (store, root, live)
}

fn all_chunks(store: &Store, version: u64, max_leaves: usize) -> Vec<SnapshotChunk> {
    let mut chunks = Vec::new();
    let mut start = [0u8; 32];
    loop {
        let chunk = store
            .snapshot_chunk(version, start, max_leaves, usize::MAX)
            .unwrap()
            .expect("leaves remain");
        let last = chunk.last;
        start = key_after(&chunk.leaves.last().unwrap().0).unwrap();
        chunks.push(chunk);
        if last {
            return chunks;
        }
    }
}

fn check_restored(store: &Store, version: u64, root: StateRoot, live: &BTreeMap<Vec<u8>, Vec<u8>>) {
    let tree = StateTree::new(store.tree_store());
    assert_eq!(tree.root_at(version).unwrap(), root);
    for (key, value) in live {
        assert_eq!(tree.get(key, version).unwrap().as_ref(), Some(value));
        let (proven, proof) = tree.get_with_proof(key, version).unwrap();
        assert_eq!(proven.as_ref(), Some(value));
        proof.verify(&root, key, Some(value)).unwrap();
    }
    assert_eq!(tree.get(b"key/never-written", version).unwrap(), None);
}

fn finish(
    store: &Store,
    restore: yrd_node::storage::SnapshotRestore,
    version: u64,
    root: [u8; 32],
) {
    let genesis = block_at(0, 0, [0; 32]);
    let head = block_at(version, 0, root);
    store
        .finish_restore(
            restore,
            (&genesis.block, &genesis.certificate),
            (&head.block, &head.certificate),
            &[],
        )
        .unwrap();
}

#[test]
fn a_version_served_in_chunks_restores_to_the_same_root_and_values() {
    let (from, to) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let (source, root, live) = source(from.path(), 6, 300);
    let version = 5;
    let chunks = all_chunks(&source, version, 37);
    assert!(chunks.len() > 3, "{} chunks", chunks.len());
    let served: usize = chunks.iter().map(|c| c.leaves.len()).sum();
    assert_eq!(
        served,
        live.len(),
        "every live key once, deleted ones never"
    );
    // Chunks are sorted and contiguous.
    let keys: Vec<[u8; 32]> = chunks
        .iter()
        .flat_map(|c| c.leaves.iter().map(|(k, _)| *k))
        .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]));

    let target = open(to.path());
    let mut restore = target.begin_restore(version, root.0).unwrap();
    for chunk in chunks {
        assert!(chunk.leaves.first().unwrap().0 >= restore.next_start());
        restore.add_chunk(chunk).unwrap();
    }
    assert!(restore.is_done());
    finish(&target, restore, version, root.0);
    check_restored(&target, version, root, &live);
    let head = target.committed_head().unwrap().unwrap();
    assert_eq!((head.height, head.state_root), (version, root.0));
    assert_eq!(target.oldest_readable_version().unwrap(), version);
    assert!(matches!(
        target.check_version_readable(version - 1),
        Err(StorageError::VersionPruned { .. })
    ));
    assert_eq!(target.restore_progress().unwrap(), None);

    // The restored database serves the same chunks in turn, and reopens as a chain.
    drop(target);
    let target = open(to.path());
    check_restored(&target, version, root, &live);
    assert_eq!(
        all_chunks(&target, version, 37),
        all_chunks(&source, version, 37)
    );
    assert!(
        target.begin_restore(version, root.0).is_err(),
        "a chain is never overwritten"
    );
}

#[test]
fn bad_chunks_are_refused_and_change_nothing() {
    let (from, to) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let (source, root, live) = source(from.path(), 4, 200);
    let version = 3;
    let chunks = all_chunks(&source, version, 25);
    let target = open(to.path());
    let mut restore = target.begin_restore(version, root.0).unwrap();
    restore.add_chunk(chunks[0].clone()).unwrap();
    // The honest next chunk from where the restore stands (a refusal may move it back).
    let next = |restore: &yrd_node::storage::SnapshotRestore| {
        source
            .snapshot_chunk(version, restore.next_start(), 25, usize::MAX)
            .unwrap()
            .unwrap()
    };

    // A tampered value.
    let mut tampered = next(&restore);
    tampered.leaves[3].1.push(b'!');
    assert!(matches!(
        restore.add_chunk(tampered),
        Err(ChunkError::Proof(_))
    ));
    // A skipped leaf (the chunk starts one leaf late).
    let mut skipping = next(&restore);
    skipping.leaves.remove(0);
    assert!(matches!(
        restore.add_chunk(skipping),
        Err(ChunkError::Proof(_))
    ));
    // A leaf dropped from the middle.
    let mut gap = next(&restore);
    gap.leaves.remove(5);
    assert!(matches!(restore.add_chunk(gap), Err(ChunkError::Proof(_))));
    // Another version's chunk.
    let mut other_version = next(&restore);
    other_version.version = 2;
    assert!(matches!(
        restore.add_chunk(other_version),
        Err(ChunkError::WrongVersion {
            expected: 3,
            got: 2
        })
    ));
    // The next chunk with the end claimed early.
    let mut early_end = next(&restore);
    early_end.last = true;
    assert!(matches!(
        restore.add_chunk(early_end),
        Err(ChunkError::NotLast)
    ));
    // Garbage instead of a proof; no leaves at all.
    let mut garbage = next(&restore);
    garbage.proof = vec![1, 2, 3];
    assert!(matches!(
        restore.add_chunk(garbage),
        Err(ChunkError::MalformedProof(_))
    ));
    let mut empty = next(&restore);
    empty.leaves.clear();
    assert!(matches!(restore.add_chunk(empty), Err(ChunkError::Empty)));
    // The next leaves with the proof for a later end: the proof and leaves disagree.
    let mut mixed = next(&restore);
    mixed.proof = chunks[chunks.len() - 2].proof.clone();
    assert!(matches!(
        restore.add_chunk(mixed),
        Err(ChunkError::Proof(_))
    ));
    // A chunk starting before the restore point (an overlap).
    let overlap = chunks[0].clone();
    if overlap.leaves[0].0 < restore.next_start() {
        assert!(matches!(
            restore.add_chunk(overlap),
            Err(ChunkError::WrongStart)
        ));
    }
    assert!(!restore.is_done());

    // After every refusal the restore continues from where it says, with honest chunks.
    loop {
        let chunk = source
            .snapshot_chunk(version, restore.next_start(), 25, usize::MAX)
            .unwrap()
            .unwrap();
        restore.add_chunk(chunk).unwrap();
        if restore.is_done() {
            break;
        }
    }
    // Nothing is taken after the end.
    assert!(restore.add_chunk(chunks[0].clone()).is_err());
    finish(&target, restore, version, root.0);
    check_restored(&target, version, root, &live);
}

#[test]
fn a_restore_stopped_after_any_chunk_resumes_after_a_reopen() {
    let (from, to) = (TempDir::new().unwrap(), TempDir::new().unwrap());
    let (source, root, live) = source(from.path(), 3, 400);
    let version = 2;
    let total = all_chunks(&source, version, 30).len();
    let mut added = 0usize;
    // Each pass adds one or two chunks, then the database is closed as if the process died.
    for pass in 0.. {
        let target = open(to.path());
        let mut restore = target.begin_restore(version, root.0).unwrap();
        for _ in 0..(1 + pass % 2) {
            let chunk = source
                .snapshot_chunk(version, restore.next_start(), 30, usize::MAX)
                .unwrap()
                .unwrap();
            restore.add_chunk(chunk).unwrap();
            added += 1;
            if restore.is_done() {
                break;
            }
        }
        if restore.is_done() {
            finish(&target, restore, version, root.0);
            break;
        }
        // Another version or root is refused while this restore is unfinished.
        assert!(target.begin_restore(version + 1, root.0).is_err());
        assert!(target.begin_restore(version, [7; 32]).is_err());
        assert!(pass < 100, "the restore never finished");
    }
    // Resuming re-fetches the leaves whose nodes were not yet on disk, so it took more chunks
    // than one straight run, but it finished.
    assert!(added >= total, "{added} chunks for {total}");
    let target = open(to.path());
    check_restored(&target, version, root, &live);
}

#[test]
fn chunks_respect_their_limits_and_uncommitted_versions_are_not_served() {
    let dir = TempDir::new().unwrap();
    let (source, _, live) = source(dir.path(), 3, 100);
    let chunk = source
        .snapshot_chunk(2, [0; 32], 10, usize::MAX)
        .unwrap()
        .unwrap();
    assert_eq!(chunk.leaves.len(), 10);
    assert!(!chunk.last);
    // A byte limit below one leaf still serves one leaf.
    let one = source
        .snapshot_chunk(2, [0; 32], 1_000, 1)
        .unwrap()
        .unwrap();
    assert_eq!(one.leaves.len(), 1);
    let whole = source
        .snapshot_chunk(2, [0; 32], 100_000, usize::MAX)
        .unwrap()
        .unwrap();
    assert!(whole.last);
    assert_eq!(whole.leaves.len(), live.len());
    assert!(
        source
            .snapshot_chunk(2, [u8::MAX; 32], 10, 10)
            .unwrap()
            .is_none()
    );
    assert!(
        source.snapshot_chunk(9, [0; 32], 10, 10).is_err(),
        "not committed"
    );
}

/// The chunks of `[start, end)`, in order, and whether the server said the range ended.
fn range_chunks(
    store: &Store,
    version: u64,
    (mut start, end): ([u8; 32], Option<[u8; 32]>),
    max_leaves: usize,
) -> Vec<SnapshotChunk> {
    let mut chunks = Vec::new();
    loop {
        let range = store
            .snapshot_chunk_range(version, start, end, max_leaves, usize::MAX)
            .unwrap();
        if let Some(chunk) = range.chunk {
            let last = chunk.leaves.last().unwrap().0;
            assert!(chunk.leaves.first().unwrap().0 >= start);
            assert!(
                end.is_none_or(|end| last < end),
                "a leaf past the range's end"
            );
            chunks.push(chunk);
            match key_after(&last) {
                Some(next) if !range.range_done => start = next,
                _ => return chunks,
            }
        } else {
            assert!(range.range_done);
            return chunks;
        }
    }
}

#[test]
fn ranges_applied_in_key_order_restore_the_root_and_a_false_range_end_is_caught_at_the_next_range()
{
    let (from, to, lied) = (
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
        TempDir::new().unwrap(),
    );
    let (source, root, live) = source(from.path(), 4, 300);
    let version = 3;
    let mut middle = [0u8; 32];
    middle[0] = 0x80;
    let first = range_chunks(&source, version, ([0; 32], Some(middle)), 23);
    let second = range_chunks(&source, version, (middle, None), 23);
    assert!(first.len() > 1 && second.len() > 1);
    // The ranges split the tree's leaves exactly: the same leaves as one walk.
    let leaves = |chunks: &[SnapshotChunk]| -> Vec<[u8; 32]> {
        chunks
            .iter()
            .flat_map(|c| c.leaves.iter().map(|(k, _)| *k))
            .collect()
    };
    let mut both = leaves(&first);
    both.extend(leaves(&second));
    assert_eq!(both, leaves(&all_chunks(&source, version, 23)));
    assert!(second.last().unwrap().last, "the tree's last leaf says so");
    assert!(first.iter().all(|c| !c.last));

    let target = open(to.path());
    let mut restore = target.begin_restore(version, root.0).unwrap();
    for chunk in first.iter().chain(&second).cloned() {
        restore.add_chunk(chunk).unwrap();
    }
    assert!(restore.is_done());
    finish(&target, restore, version, root.0);
    check_restored(&target, version, root, &live);

    // A server that ends the first range early (drops its last chunk) leaves a gap: the second
    // range's first chunk does not prove, and nothing of it is written.
    let target = open(lied.path());
    let mut restore = target.begin_restore(version, root.0).unwrap();
    for chunk in first[..first.len() - 1].iter().cloned() {
        restore.add_chunk(chunk).unwrap();
    }
    let standing = restore.next_start();
    assert!(matches!(
        restore.add_chunk(second[0].clone()),
        Err(ChunkError::Proof(_))
    ));
    // The restore stands where it stood, or where its last write left it (a little further
    // back); from there, one chunk at a time completes it.
    assert!(restore.next_start() <= standing);
    while !restore.is_done() {
        let chunk = source
            .snapshot_chunk(version, restore.next_start(), 23, usize::MAX)
            .unwrap()
            .unwrap();
        restore.add_chunk(chunk).unwrap();
    }
    finish(&target, restore, version, root.0);
    check_restored(&target, version, root, &live);
}
