//! The state tree on the national suite's hash (ADR 019): the same tree, tags and proofs with SM3
//! under them. The hashing rules are re-derived with plain `sm3` calls (`doc_tree`), as `tree_props.rs`
//! does for BLAKE3, so the SM3 tree follows the documented layout and nothing else.

use std::collections::BTreeMap;

mod doc_tree;

use proptest::prelude::*;
use sm3::{Digest, Sm3};
use yrd_contracts::tree::{
    MemoryTreeStore, ProofError, Sm3Hasher, StateProof, StateRoot, StateTree, TreeHasher,
};

type Writes = Vec<(Vec<u8>, Option<Vec<u8>>)>;

fn plain_sm3(bytes: &[u8]) -> [u8; 32] {
    Sm3::digest(bytes).into()
}

fn doc_root_of_model(model: &BTreeMap<Vec<u8>, Vec<u8>>) -> StateRoot {
    doc_tree::root_of_model(plain_sm3, model)
}

fn sm3_tree() -> StateTree<MemoryTreeStore, Sm3Hasher> {
    StateTree::with_hasher(MemoryTreeStore::new())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Over versions with overwrites and deletions: the root is the documented SM3 root of the
    /// model; every proof (built from the stored nodes) equals the library's, verifies under SM3,
    /// and is refused by the BLAKE3 rule.
    #[test]
    fn sm3_tree_follows_the_documented_layout(
        versions in prop::collection::vec(
            prop::collection::vec(
                (0u16..300, prop::option::weighted(0.8, prop::collection::vec(any::<u8>(), 0..6))),
                1..120,
            ),
            1..4,
        ),
        probes in prop::collection::vec(0u16..400, 24),
    ) {
        let mut tree = sm3_tree();
        let mut model = BTreeMap::new();
        for (version, writes) in versions.iter().enumerate() {
            let writes: Writes = writes
                .iter()
                .map(|(key, value)| (key.to_be_bytes().to_vec(), value.clone()))
                .collect();
            for (key, value) in &writes {
                match value {
                    Some(value) => model.insert(key.clone(), value.clone()),
                    None => model.remove(key),
                };
            }
            let root = tree.apply(version as u64, writes).unwrap();
            prop_assert_eq!(root, doc_root_of_model(&model));
        }
        let version = versions.len() as u64 - 1;
        let root = tree.root_at(version).unwrap();
        for probe in &probes {
            let key = probe.to_be_bytes();
            let (value, proof) = tree.get_with_proof(&key, version).unwrap();
            prop_assert_eq!(value.as_ref(), model.get(key.as_slice()));
            let (_, jmt_proof) = tree.get_with_jmt_proof(&key, version).unwrap();
            prop_assert_eq!(&proof, &StateProof::from_jmt(&jmt_proof).unwrap());
            prop_assert_eq!(proof.verify_with::<Sm3Hasher>(&root, &key, value.as_deref()), Ok(()));
            if !model.is_empty() {
                prop_assert!(proof.verify(&root, &key, value.as_deref()).is_err());
            }
            // The library's own verifier, with the SM3 hasher, agrees.
            let library = jmt_proof.verify(root.into(), Sm3Hasher::key_hash(&key), value.as_deref());
            prop_assert!(library.is_ok());
        }
    }
}

/// A wrong value, or the other suite's key position, is refused with the same errors as on the
/// BLAKE3 tree.
#[test]
fn sm3_proofs_refuse_a_wrong_value() {
    let mut tree = sm3_tree();
    let root = tree
        .apply(
            0,
            vec![
                (b"licence/0001".to_vec(), Some(b"active".to_vec())),
                (b"licence/0002".to_vec(), Some(b"revoked".to_vec())),
            ],
        )
        .unwrap();
    let (value, proof) = tree.get_with_proof(b"licence/0002", 0).unwrap();
    assert_eq!(value.as_deref(), Some(&b"revoked"[..]));
    assert!(matches!(
        proof.verify_with::<Sm3Hasher>(&root, b"licence/0002", Some(b"active")),
        Err(ProofError::ValueMismatch { .. })
    ));
    assert!(matches!(
        proof.verify_with::<Sm3Hasher>(&root, b"licence/0002", None),
        Err(ProofError::KeyPresent { .. })
    ));
    // Under the BLAKE3 rule the key hashes to another position: the leaf is not the key's.
    assert!(matches!(
        proof.verify(&root, b"licence/0002", Some(b"revoked")),
        Err(ProofError::KeyMismatch { .. })
    ));
}

/// Pins the SM3 tree's hashing of the same fixed state `tree_props.rs` pins for BLAKE3. The root
/// was reproduced independently with OpenSSL's SM3 (Python's `hashlib.new("sm3")`) following the
/// layout in docs/PROOFS.md.
#[test]
fn golden_sm3_root_is_pinned() {
    let mut tree = sm3_tree();
    let writes = vec![
        (b"licence/0001".to_vec(), Some(b"active".to_vec())),
        (b"licence/0002".to_vec(), Some(b"revoked".to_vec())),
        (b"issuer/31".to_vec(), Some(vec![1, 2, 3])),
    ];
    let root = tree.apply(0, writes.clone()).unwrap();
    let model: BTreeMap<_, _> = writes
        .into_iter()
        .map(|(k, v)| (k, v.unwrap_or_default()))
        .collect();
    assert_eq!(doc_root_of_model(&model), root);
    assert_eq!(root.to_string(), GOLDEN_SM3_ROOT_HEX);
}

const GOLDEN_SM3_ROOT_HEX: &str =
    "7cdc9a2fdccb9598d7c8082b1f3d2be11eb67a12f94aee7930c60f59a0511224";
