//! Properties of the authenticated state tree and of our own proof verifier.
//!
//! The hashing rules are re-derived from the documentation with plain `blake3` calls (`doc_tree`), so a
//! change to the hashing that the documentation does not follow fails these tests.

use std::collections::BTreeMap;

mod doc_tree;

use jmt::proof::SparseMerkleProof;
use proptest::prelude::*;
use yrd_contracts::tree::{
    Blake3Hasher, MAX_KEY_LEN_BYTES, MAX_TREE_VERSION, MAX_VALUE_LEN_BYTES, MAX_WRITES_PER_VERSION,
    MemoryTreeStore, ProofError, StateProof, StateRoot, StateTree, TreeError, state_key_hash,
};

type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

// ---- The documented hashing rules, written out independently (`doc_tree`). ----

fn plain_blake3(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

fn doc_root_of_model(model: &BTreeMap<Vec<u8>, Vec<u8>>) -> StateRoot {
    doc_tree::root_of_model(plain_blake3, model)
}

// ---- Strategies. ----

/// Short keys over a tiny alphabet, so write sets collide, overwrite and delete each other.
fn key_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..4, 0..4)
}

fn write_strategy() -> impl Strategy<Value = (Vec<u8>, Option<Vec<u8>>)> {
    (
        key_strategy(),
        prop::option::weighted(0.75, prop::collection::vec(any::<u8>(), 0..12)),
    )
}

fn writes_strategy() -> impl Strategy<Value = Writes> {
    prop::collection::vec(write_strategy(), 0..12)
}

fn all_small_keys() -> Vec<Vec<u8>> {
    let mut keys = vec![vec![]];
    for len in 1..4 {
        let mut next = Vec::new();
        for key in keys.iter().filter(|k| k.len() == len - 1) {
            for b in 0u8..4 {
                let mut k = key.clone();
                k.push(b);
                next.push(k);
            }
        }
        keys.extend(next);
    }
    keys
}

fn new_tree() -> StateTree<MemoryTreeStore, Blake3Hasher> {
    StateTree::with_hasher(MemoryTreeStore::new())
}

fn apply_to_model(model: &mut BTreeMap<Vec<u8>, Vec<u8>>, writes: &Writes) {
    for (key, value) in writes {
        match value {
            Some(value) => model.insert(key.clone(), value.clone()),
            None => model.remove(key),
        };
    }
}

/// Verify with our verifier and with the library's; both answers must agree.
fn verify_both(
    proof: &SparseMerkleProof<Blake3Hasher>,
    root: &StateRoot,
    key: &[u8],
    value: Option<&[u8]>,
) -> Result<(), ProofError> {
    let ours = StateProof::from_jmt(proof).and_then(|p| p.verify(root, key, value));
    let theirs = proof.verify((*root).into(), state_key_hash(key), value);
    assert_eq!(
        ours.is_ok(),
        theirs.is_ok(),
        "verifiers disagree: ours {ours:?}, library {theirs:?}, key {key:?}, value {value:?}"
    );
    ours
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    /// Two trees given the same writes (in a different order) agree on the root, and the root
    /// matches the independent computation from the documented rules.
    #[test]
    fn same_writes_give_same_root(writes in writes_strategy()) {
        // One entry per key so that order cannot matter.
        let unique: BTreeMap<Vec<u8>, Option<Vec<u8>>> = writes.into_iter().collect();
        let forward: Writes = unique.clone().into_iter().collect();
        let backward: Writes = unique.into_iter().rev().collect();
        let mut a = new_tree();
        let mut b = new_tree();
        let root_a = a.apply(0, forward.clone()).unwrap();
        let root_b = b.apply(0, backward).unwrap();
        prop_assert_eq!(root_a, root_b);
        let mut model = BTreeMap::new();
        apply_to_model(&mut model, &forward);
        prop_assert_eq!(root_a, doc_root_of_model(&model));
    }

    /// Over several versions, every version stays readable; every key's proof verifies for its
    /// value (or absence) at that version, and the library's verifier agrees with ours on right
    /// and wrong claims alike.
    #[test]
    fn versions_read_back_with_proofs(versions in prop::collection::vec(writes_strategy(), 1..5)) {
        let mut tree = new_tree();
        let mut model = BTreeMap::new();
        let mut models = Vec::new();
        for (version, writes) in versions.iter().enumerate() {
            let root = tree.apply(version as u64, writes.clone()).unwrap();
            apply_to_model(&mut model, writes);
            prop_assert_eq!(root, doc_root_of_model(&model));
            models.push((root, model.clone()));
        }
        let keys = all_small_keys();
        for (version, (root, model)) in models.iter().enumerate() {
            let version = version as u64;
            prop_assert_eq!(tree.root_at(version).unwrap(), *root);
            for key in &keys {
                let expected = model.get(key);
                prop_assert_eq!(tree.get(key, version).unwrap(), expected.cloned());
                let (value, jmt_proof) = tree.get_with_jmt_proof(key, version).unwrap();
                prop_assert_eq!(value.as_ref(), expected);
                let (value, proof) = tree.get_with_proof(key, version).unwrap();
                prop_assert_eq!(value.as_ref(), expected);
                prop_assert_eq!(&proof, &StateProof::from_jmt(&jmt_proof).unwrap());
                prop_assert_eq!(proof.verify(root, key, expected.map(Vec::as_slice)), Ok(()));
                prop_assert!(verify_both(&jmt_proof, root, key, expected.map(Vec::as_slice)).is_ok());
                // Wrong claims: the opposite presence, and a different value.
                let wrong_value = expected.map_or(b"x".to_vec(), |v| {
                    let mut w = v.clone();
                    w.push(0);
                    w
                });
                prop_assert!(verify_both(&jmt_proof, root, key, Some(&wrong_value)).is_err());
                if expected.is_some() {
                    prop_assert!(verify_both(&jmt_proof, root, key, None).is_err());
                }
                // Another version's root, when it differs.
                for (other_root, _) in &models {
                    if other_root != root {
                        prop_assert!(
                            verify_both(&jmt_proof, other_root, key, expected.map(Vec::as_slice))
                                .is_err()
                        );
                    }
                }
            }
        }
    }

    /// On larger trees (hundreds of keys, several versions, deletions), the proof built from the
    /// stored nodes equals the library's, converted, for present and absent keys at every version.
    #[test]
    fn proofs_from_stored_nodes_equal_the_library_proofs(
        versions in prop::collection::vec(
            prop::collection::vec(
                (0u16..900, prop::option::weighted(0.8, prop::collection::vec(any::<u8>(), 0..6))),
                1..400,
            ),
            1..4,
        ),
        probes in prop::collection::vec(0u16..1200, 40),
    ) {
        let mut tree = new_tree();
        for (version, writes) in versions.iter().enumerate() {
            let writes: Writes = writes
                .iter()
                .map(|(key, value)| (key.to_be_bytes().to_vec(), value.clone()))
                .collect();
            tree.apply(version as u64, writes).unwrap();
        }
        for version in 0..versions.len() as u64 {
            let root = tree.root_at(version).unwrap();
            for probe in &probes {
                let key = probe.to_be_bytes();
                let (value, proof) = tree.get_with_proof(&key, version).unwrap();
                let (jmt_value, jmt_proof) = tree.get_with_jmt_proof(&key, version).unwrap();
                prop_assert_eq!(&value, &jmt_value);
                prop_assert_eq!(&proof, &StateProof::from_jmt(&jmt_proof).unwrap());
                prop_assert_eq!(proof.verify(&root, &key, value.as_deref()), Ok(()));
            }
        }
        let beyond = tree.get_with_proof(b"k", versions.len() as u64);
        let missing = matches!(beyond, Err(TreeError::VersionMissing { .. }));
        prop_assert!(missing, "a version never written: {:?}", beyond);
    }

    /// Flipping one byte of the encoded proof, of the root, or (for inclusion) of the key or the
    /// value makes verification fail.
    #[test]
    fn single_byte_tampering_fails(
        writes in prop::collection::vec(write_strategy(), 1..12),
        query in key_strategy(),
        flip_at in any::<prop::sample::Index>(),
        flip_with in 1u8..=255,
    ) {
        let mut tree = new_tree();
        let root = tree.apply(0, writes).unwrap();
        let (value, proof) = tree.get_with_proof(&query, 0).unwrap();
        let value = value.as_deref();
        prop_assert_eq!(proof.verify(&root, &query, value), Ok(()));

        let mut bytes = proof.to_bytes();
        let at = flip_at.index(bytes.len());
        bytes[at] ^= flip_with;
        if let Ok(tampered) = StateProof::from_bytes(&bytes) {
            prop_assert!(tampered.verify(&root, &query, value).is_err());
        }

        let mut bad_root = root;
        bad_root.0[flip_at.index(32)] ^= flip_with;
        prop_assert!(proof.verify(&bad_root, &query, value).is_err());

        if let Some(value) = value {
            let mut bad_key = query.clone();
            if bad_key.is_empty() {
                bad_key.push(flip_with);
            } else {
                let at = flip_at.index(bad_key.len());
                bad_key[at] ^= flip_with;
            }
            prop_assert!(proof.verify(&root, &bad_key, Some(value)).is_err());

            let mut bad_value = value.to_vec();
            if bad_value.is_empty() {
                bad_value.push(flip_with);
            } else {
                let at = flip_at.index(bad_value.len());
                bad_value[at] ^= flip_with;
            }
            prop_assert!(proof.verify(&root, &query, Some(&bad_value)).is_err());
        }
    }

    /// Corrupting the library's proof encoding: whatever still decodes, the library's verifier
    /// and ours accept or refuse together.
    #[test]
    fn verifier_matches_library_on_corrupted_proofs(
        writes in prop::collection::vec(write_strategy(), 1..12),
        query in key_strategy(),
        flips in prop::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..3),
    ) {
        let mut tree = new_tree();
        let root = tree.apply(0, writes).unwrap();
        let (value, jmt_proof) = tree.get_with_jmt_proof(&query, 0).unwrap();
        let mut bytes = borsh::to_vec(&jmt_proof).unwrap();
        for (at, with) in flips {
            let at = at.index(bytes.len());
            bytes[at] ^= with;
        }
        if let Ok(corrupted) = borsh::from_slice::<SparseMerkleProof<Blake3Hasher>>(&bytes) {
            let claimed = value.as_deref();
            let _ = verify_both(&corrupted, &root, &query, claimed);
            let _ = verify_both(&corrupted, &root, &query, None);
        }
    }

    /// Borsh and JSON encodings of proofs round-trip exactly.
    #[test]
    fn proof_encodings_round_trip(writes in writes_strategy(), query in key_strategy()) {
        let mut tree = new_tree();
        tree.apply(0, writes).unwrap();
        let (_, proof) = tree.get_with_proof(&query, 0).unwrap();
        prop_assert_eq!(StateProof::from_bytes(&proof.to_bytes()).unwrap(), proof.clone());
        let json = serde_json::to_string(&proof).unwrap();
        prop_assert_eq!(serde_json::from_str::<StateProof>(&json).unwrap(), proof);
    }
}

#[test]
fn empty_tree_root_is_the_placeholder() {
    let mut tree = new_tree();
    assert_eq!(tree.apply(0, vec![]).unwrap(), StateRoot::EMPTY);
    assert_eq!(StateRoot::EMPTY.0, doc_tree::PLACEHOLDER);
    let (value, proof) = tree.get_with_proof(b"anything", 0).unwrap();
    assert_eq!(value, None);
    assert_eq!(proof.verify(&StateRoot::EMPTY, b"anything", None), Ok(()));
}

#[test]
fn empty_write_set_keeps_the_root_and_adds_the_version() {
    let mut tree = new_tree();
    let root = tree
        .apply(0, vec![(b"a".to_vec(), Some(b"1".to_vec()))])
        .unwrap();
    assert_eq!(tree.apply(1, vec![]).unwrap(), root);
    // A write set that changes nothing (deleting an absent key) also keeps the root.
    assert_eq!(
        tree.apply(2, vec![(b"absent".to_vec(), None)]).unwrap(),
        root
    );
    assert_eq!(tree.latest_version().unwrap(), Some(2));
    for version in 0..=2 {
        assert_eq!(tree.root_at(version).unwrap(), root);
        let (value, proof) = tree.get_with_proof(b"a", version).unwrap();
        assert_eq!(value.as_deref(), Some(&b"1"[..]));
        assert_eq!(proof.verify(&root, b"a", Some(b"1")), Ok(()));
    }
    assert_eq!(tree.latest_root().unwrap(), Some((2, root)));
}

#[test]
fn delete_gives_non_inclusion_proof_and_old_version_keeps_inclusion() {
    let mut tree = new_tree();
    let writes = vec![
        (b"a".to_vec(), Some(b"1".to_vec())),
        (b"b".to_vec(), Some(b"2".to_vec())),
        (b"c".to_vec(), Some(b"3".to_vec())),
    ];
    let root_0 = tree.apply(0, writes).unwrap();
    let root_1 = tree.apply(1, vec![(b"b".to_vec(), None)]).unwrap();
    assert_ne!(root_0, root_1);

    let (value, proof) = tree.get_with_proof(b"b", 1).unwrap();
    assert_eq!(value, None);
    assert_eq!(proof.verify(&root_1, b"b", None), Ok(()));
    assert!(proof.verify(&root_1, b"b", Some(b"2")).is_err());

    let (value, proof) = tree.get_with_proof(b"b", 0).unwrap();
    assert_eq!(value.as_deref(), Some(&b"2"[..]));
    assert_eq!(proof.verify(&root_0, b"b", Some(b"2")), Ok(()));
    assert!(proof.verify(&root_1, b"b", Some(b"2")).is_err());
}

#[test]
fn last_write_of_a_key_wins_within_a_version() {
    let mut a = new_tree();
    let mut b = new_tree();
    let root_a = a
        .apply(
            0,
            vec![
                (b"k".to_vec(), Some(b"old".to_vec())),
                (b"k".to_vec(), Some(b"new".to_vec())),
            ],
        )
        .unwrap();
    let root_b = b
        .apply(0, vec![(b"k".to_vec(), Some(b"new".to_vec()))])
        .unwrap();
    assert_eq!(root_a, root_b);
    assert_eq!(a.get(b"k", 0).unwrap().as_deref(), Some(&b"new"[..]));
}

#[test]
fn versions_must_increase_but_may_skip() {
    let mut tree = new_tree();
    // The first version may be any number.
    let root_5 = tree
        .apply(5, vec![(b"a".to_vec(), Some(b"1".to_vec()))])
        .unwrap();
    assert_eq!(
        tree.apply(5, vec![]),
        Err(TreeError::VersionNotIncreasing { latest: 5, got: 5 })
    );
    assert_eq!(
        tree.apply(3, vec![]),
        Err(TreeError::VersionNotIncreasing { latest: 5, got: 3 })
    );
    // Skipping versions 6..=8: they have no root, version 9 builds on version 5.
    let root_9 = tree
        .apply(9, vec![(b"b".to_vec(), Some(b"2".to_vec()))])
        .unwrap();
    assert_eq!(tree.root_at(5).unwrap(), root_5);
    assert_eq!(
        tree.root_at(7),
        Err(TreeError::VersionMissing { version: 7 })
    );
    assert_eq!(
        tree.root_at(4),
        Err(TreeError::VersionMissing { version: 4 })
    );
    assert_eq!(
        tree.get(b"a", 7),
        Err(TreeError::VersionMissing { version: 7 })
    );
    let mut model = BTreeMap::new();
    model.insert(b"a".to_vec(), b"1".to_vec());
    model.insert(b"b".to_vec(), b"2".to_vec());
    assert_eq!(root_9, doc_root_of_model(&model));
    let (value, proof) = tree.get_with_proof(b"a", 9).unwrap();
    assert_eq!(value.as_deref(), Some(&b"1"[..]));
    assert_eq!(proof.verify(&root_9, b"a", Some(b"1")), Ok(()));
    // An empty version after a gap keeps the root too.
    assert_eq!(tree.apply(12, vec![]).unwrap(), root_9);
    // The library reserves the very last version.
    assert_eq!(
        tree.apply(u64::MAX, vec![]),
        Err(TreeError::VersionOutOfRange {
            version: u64::MAX,
            max: MAX_TREE_VERSION
        })
    );
    assert_eq!(tree.apply(MAX_TREE_VERSION, vec![]).unwrap(), root_9);
}

#[test]
fn first_version_above_zero_with_empty_writes_is_the_empty_root() {
    let mut tree = new_tree();
    assert_eq!(tree.apply(3, vec![]).unwrap(), StateRoot::EMPTY);
    assert_eq!(tree.root_at(3).unwrap(), StateRoot::EMPTY);
    assert_eq!(
        tree.root_at(2),
        Err(TreeError::VersionMissing { version: 2 })
    );
}

#[test]
fn key_and_value_limits_are_enforced_at_the_boundary() {
    let mut tree = new_tree();
    let long_key = vec![7u8; MAX_KEY_LEN_BYTES];
    let big_value = vec![9u8; MAX_VALUE_LEN_BYTES];
    let root = tree
        .apply(0, vec![(long_key.clone(), Some(big_value.clone()))])
        .unwrap();
    let (value, proof) = tree.get_with_proof(&long_key, 0).unwrap();
    assert_eq!(value.as_ref(), Some(&big_value));
    assert_eq!(proof.verify(&root, &long_key, Some(&big_value)), Ok(()));

    assert_eq!(
        tree.apply(1, vec![(vec![0u8; MAX_KEY_LEN_BYTES + 1], Some(vec![]))]),
        Err(TreeError::KeyTooLong {
            len: MAX_KEY_LEN_BYTES + 1,
            max: MAX_KEY_LEN_BYTES
        })
    );
    assert_eq!(
        tree.apply(
            1,
            vec![(b"k".to_vec(), Some(vec![0u8; MAX_VALUE_LEN_BYTES + 1]))]
        ),
        Err(TreeError::ValueTooLarge {
            len: MAX_VALUE_LEN_BYTES + 1,
            max: MAX_VALUE_LEN_BYTES
        })
    );
    // An oversized delete key is refused too.
    assert!(matches!(
        tree.apply(1, vec![(vec![0u8; MAX_KEY_LEN_BYTES + 1], None)]),
        Err(TreeError::KeyTooLong { .. })
    ));
    let too_many: Writes = vec![(vec![], None); MAX_WRITES_PER_VERSION + 1];
    assert_eq!(
        tree.apply(1, too_many),
        Err(TreeError::TooManyWrites {
            count: MAX_WRITES_PER_VERSION + 1,
            max: MAX_WRITES_PER_VERSION
        })
    );
    // Refused write sets wrote nothing.
    assert_eq!(tree.latest_version().unwrap(), Some(0));
}

#[test]
fn pruning_keeps_recent_versions_provable_and_frees_old_nodes() {
    let mut tree = new_tree();
    let mut roots = Vec::new();
    let mut models = Vec::new();
    let mut model = BTreeMap::new();
    for version in 0..20u64 {
        // Overwrite a few keys each version, delete one now and then, leave some versions empty.
        let writes: Writes = if version % 5 == 4 {
            vec![]
        } else {
            let mut w: Writes = (0..4u8)
                .map(|i| (vec![i], Some(format!("v{version}-{i}").into_bytes())))
                .collect();
            if version % 3 == 0 {
                w.push((vec![9, (version % 2) as u8], Some(b"x".to_vec())));
                w.push((vec![9, ((version + 1) % 2) as u8], None));
            }
            w
        };
        roots.push(tree.apply(version, writes.clone()).unwrap());
        apply_to_model(&mut model, &writes);
        models.push(model.clone());
    }
    let nodes_before = tree.store().node_count();
    let values_before = tree.store().value_entry_count();
    let stats = tree.prune(15).unwrap();
    assert!(stats.nodes_removed > 0);
    assert!(stats.values_removed > 0);
    assert_eq!(
        tree.store().node_count() as u64,
        nodes_before as u64 - stats.nodes_removed
    );
    assert_eq!(
        tree.store().value_entry_count() as u64,
        values_before as u64 - stats.values_removed
    );

    for version in 15..20u64 {
        let root = roots[version as usize];
        assert_eq!(tree.root_at(version).unwrap(), root);
        let model = &models[version as usize];
        for key in [
            vec![0],
            vec![1],
            vec![2],
            vec![3],
            vec![9, 0],
            vec![9, 1],
            vec![5],
        ] {
            let (value, proof) = tree.get_with_proof(&key, version).unwrap();
            assert_eq!(value.as_ref(), model.get(&key), "key {key:?} at {version}");
            assert_eq!(proof.verify(&root, &key, value.as_deref()), Ok(()));
        }
    }
    for version in 0..15u64 {
        assert_eq!(
            tree.root_at(version),
            Err(TreeError::VersionMissing { version })
        );
    }

    // Empty versions do not leak nodes: pruned down to the latest version, exactly the nodes and
    // values of a fresh tree holding the same state remain.
    for version in 20..60u64 {
        tree.apply(version, vec![]).unwrap();
    }
    tree.prune(59).unwrap();
    assert_eq!(tree.root_at(59).unwrap(), roots[19]);
    let mut fresh = new_tree();
    let live: Writes = models[19]
        .iter()
        .map(|(k, v)| (k.clone(), Some(v.clone())))
        .collect();
    assert_eq!(fresh.apply(0, live).unwrap(), roots[19]);
    assert_eq!(tree.store().node_count(), fresh.store().node_count());
    assert_eq!(tree.store().value_entry_count(), models[19].len());
    assert_eq!(tree.store().stale_index_count(), 0);

    assert_eq!(
        tree.prune(60),
        Err(TreeError::PruneBeyondLatest {
            oldest_kept_version: 60,
            latest: Some(59)
        })
    );
}

#[test]
fn pruning_an_empty_store_is_refused() {
    let mut tree = new_tree();
    assert_eq!(
        tree.prune(0),
        Err(TreeError::PruneBeyondLatest {
            oldest_kept_version: 0,
            latest: None
        })
    );
}

/// Golden root: pins the hashing of a fixed state so that an accidental change fails loudly.
#[test]
fn golden_root_is_pinned() {
    let mut tree = new_tree();
    let writes = vec![
        (b"licence/0001".to_vec(), Some(b"active".to_vec())),
        (b"licence/0002".to_vec(), Some(b"revoked".to_vec())),
        (b"issuer/31".to_vec(), Some(vec![1, 2, 3])),
    ];
    let root = tree.apply(0, writes.clone()).unwrap();
    assert_eq!(root.to_string(), GOLDEN_ROOT_HEX);
    let mut model = BTreeMap::new();
    apply_to_model(&mut model, &writes);
    assert_eq!(doc_root_of_model(&model), root);
    let (_, proof) = tree.get_with_proof(b"licence/0002", 0).unwrap();
    assert_eq!(
        hex::encode(blake3::hash(&proof.to_bytes()).as_bytes()),
        GOLDEN_PROOF_HASH_HEX
    );
}

const GOLDEN_ROOT_HEX: &str = "4753f9707b002be148e93b1bf7b6f40a4b917528f7f089de30e19ad217867e3f";
const GOLDEN_PROOF_HASH_HEX: &str =
    "bfaaa45bba2e9e0caa2dca0d101e689f53c5b1618307adccf16912998e5d0621";
