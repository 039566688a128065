//! Properties of batch anchoring roots and proofs.
//!
//! Roots are checked against a recursive RFC 6962-style reference written here from the module
//! documentation with plain `blake3` calls.

use proptest::prelude::*;
use yrd_contracts::batch::{
    BatchError, BatchProof, BatchTree, MAX_BATCH_LEAVES, MAX_BATCH_PROOF_SIBLINGS, batch_root,
    proof_sibling_count,
};

fn doc_leaf(commitment: &[u8; 32]) -> [u8; 32] {
    let mut preimage = b"yrd-ledger/batch-leaf/v1".to_vec();
    preimage.extend_from_slice(commitment);
    *blake3::hash(&preimage).as_bytes()
}

fn doc_node(left: &[u8; 32], right: &[u8; 32]) -> [u8; 32] {
    let mut preimage = b"yrd-ledger/batch-node/v1".to_vec();
    preimage.extend_from_slice(left);
    preimage.extend_from_slice(right);
    *blake3::hash(&preimage).as_bytes()
}

/// The anchored root: the tree hash bound to the leaf count.
fn doc_root(leaves: &[[u8; 32]]) -> [u8; 32] {
    let mut preimage = b"yrd-ledger/batch-root/v1".to_vec();
    preimage.extend_from_slice(&(leaves.len() as u64).to_le_bytes());
    preimage.extend_from_slice(&doc_tree_hash(leaves));
    *blake3::hash(&preimage).as_bytes()
}

/// RFC 6962 section 2.1: split at the largest power of two strictly below `n`.
fn doc_tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    match leaves {
        [] => unreachable!("no root for an empty batch"),
        [one] => doc_leaf(one),
        _ => {
            let mut k = 1;
            while k * 2 < leaves.len() {
                k *= 2;
            }
            doc_node(&doc_tree_hash(&leaves[..k]), &doc_tree_hash(&leaves[k..]))
        }
    }
}

/// RFC 6962 section 2.1.1 audit path, leaf level first.
fn doc_path(index: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return vec![];
    }
    let mut k = 1;
    while k * 2 < leaves.len() {
        k *= 2;
    }
    if index < k {
        let mut path = doc_path(index, &leaves[..k]);
        path.push(doc_tree_hash(&leaves[k..]));
        path
    } else {
        let mut path = doc_path(index - k, &leaves[k..]);
        path.push(doc_tree_hash(&leaves[..k]));
        path
    }
}

/// Distinct pseudo-random commitments from a seed.
fn commitments(count: usize, seed: u64) -> Vec<[u8; 32]> {
    (0..count as u64)
        .map(|i| {
            let mut input = seed.to_le_bytes().to_vec();
            input.extend_from_slice(&i.to_le_bytes());
            *blake3::hash(&input).as_bytes()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Every leaf's proof verifies, equals the RFC 6962 audit path, and has the predicted length.
    #[test]
    fn every_index_proof_verifies(count in 1usize..300, seed in any::<u64>()) {
        let leaves = commitments(count, seed);
        let tree = BatchTree::build(leaves.clone()).unwrap();
        let root = tree.root();
        prop_assert_eq!(root, doc_root(&leaves));
        prop_assert_eq!(batch_root(&leaves).unwrap(), root);
        prop_assert_eq!(tree.len(), count as u64);
        for (index, leaf) in leaves.iter().enumerate() {
            let proof = tree.proof(index as u64).unwrap();
            prop_assert_eq!(proof.index, index as u64);
            prop_assert_eq!(proof.count, count as u64);
            prop_assert_eq!(&proof.siblings, &doc_path(index, &leaves));
            prop_assert_eq!(proof.siblings.len(), proof_sibling_count(index as u64, count as u64).unwrap());
            prop_assert_eq!(proof.verify(&root, leaf), Ok(()));
        }
        prop_assert_eq!(
            tree.proof(count as u64),
            Err(BatchError::IndexOutOfRange { index: count as u64, count: count as u64 })
        );
    }

    /// Changing any sibling byte, the index, the count or the leaf makes verification fail.
    #[test]
    fn tampering_fails(
        count in 1usize..300,
        seed in any::<u64>(),
        pick in any::<prop::sample::Index>(),
        byte_pick in any::<prop::sample::Index>(),
        flip_with in 1u8..=255,
        other in any::<prop::sample::Index>(),
    ) {
        let leaves = commitments(count, seed);
        let tree = BatchTree::build(leaves.clone()).unwrap();
        let root = tree.root();
        let index = pick.index(count);
        let leaf = leaves[index];
        let proof = tree.proof(index as u64).unwrap();

        for sibling in 0..proof.siblings.len() {
            let mut bad = proof.clone();
            bad.siblings[sibling][byte_pick.index(32)] ^= flip_with;
            prop_assert!(bad.verify(&root, &leaf).is_err());
        }

        let mut bad_leaf = leaf;
        bad_leaf[byte_pick.index(32)] ^= flip_with;
        prop_assert!(proof.verify(&root, &bad_leaf).is_err());

        let mut bad_root = root;
        bad_root[byte_pick.index(32)] ^= flip_with;
        prop_assert!(proof.verify(&bad_root, &leaf).is_err());

        // Any other index (in range or not) with the same siblings.
        let other_index = other.index(count + 2) as u64;
        if other_index != index as u64 {
            let bad = BatchProof { index: other_index, ..proof.clone() };
            prop_assert!(bad.verify(&root, &leaf).is_err());
        }
        // Any other count, including zero and counts past the index.
        let other_count = other.index(count + 300) as u64;
        if other_count != count as u64 {
            let bad = BatchProof { count: other_count, ..proof.clone() };
            prop_assert!(bad.verify(&root, &leaf).is_err());
        }
        // One sibling too many or too few.
        let mut longer = proof.clone();
        longer.siblings.push([0; 32]);
        let result = longer.verify(&root, &leaf);
        prop_assert!(matches!(result, Err(BatchError::WrongSiblingCount { .. })), "{:?}", result);
        if !proof.siblings.is_empty() {
            let mut shorter = proof.clone();
            shorter.siblings.pop();
            let result = shorter.verify(&root, &leaf);
            prop_assert!(matches!(result, Err(BatchError::WrongSiblingCount { .. })), "{:?}", result);
        }
    }

    /// A different leaf set (one leaf changed, one added, one removed, two swapped) has a
    /// different root.
    #[test]
    fn different_leaf_sets_have_different_roots(
        count in 1usize..200,
        seed in any::<u64>(),
        pick in any::<prop::sample::Index>(),
        pick_other in any::<prop::sample::Index>(),
    ) {
        let leaves = commitments(count, seed);
        let root = batch_root(&leaves).unwrap();
        let at = pick.index(count);

        let mut changed = leaves.clone();
        changed[at][0] ^= 1;
        prop_assert_ne!(batch_root(&changed).unwrap(), root);

        let mut longer = leaves.clone();
        longer.push(leaves[at]);
        prop_assert_ne!(batch_root(&longer).unwrap(), root);

        if count > 1 {
            let mut shorter = leaves.clone();
            shorter.remove(at);
            prop_assert_ne!(batch_root(&shorter).unwrap(), root);

            let other_at = pick_other.index(count);
            if other_at != at {
                let mut swapped = leaves.clone();
                swapped.swap(at, other_at);
                prop_assert_ne!(batch_root(&swapped).unwrap(), root);
            }
        }
    }

    /// Borsh and JSON round-trip exactly; malformed bytes are refused, never panic.
    #[test]
    fn proof_encodings_round_trip(count in 1usize..300, seed in any::<u64>(), pick in any::<prop::sample::Index>(), junk in prop::collection::vec(any::<u8>(), 0..64)) {
        let leaves = commitments(count, seed);
        let tree = BatchTree::build(leaves).unwrap();
        let proof = tree.proof(pick.index(count) as u64).unwrap();
        prop_assert_eq!(BatchProof::from_bytes(&proof.to_bytes()).unwrap(), proof.clone());
        let json = serde_json::to_string(&proof).unwrap();
        prop_assert_eq!(serde_json::from_str::<BatchProof>(&json).unwrap(), proof.clone());
        let mut trailing = proof.to_bytes();
        trailing.push(0);
        prop_assert!(matches!(BatchProof::from_bytes(&trailing), Err(BatchError::Malformed(_))));
        let _ = BatchProof::from_bytes(&junk);
    }
}

#[test]
fn single_leaf_batch_root_is_the_leaf_hash() {
    let leaf = [42u8; 32];
    let tree = BatchTree::build(vec![leaf]).unwrap();
    assert_eq!(tree.root(), doc_root(&[leaf]));
    assert_eq!(doc_tree_hash(&[leaf]), doc_leaf(&leaf));
    let proof = tree.proof(0).unwrap();
    assert!(proof.siblings.is_empty());
    assert_eq!(proof.verify(&tree.root(), &leaf), Ok(()));
}

/// The audit path of leaf 0 in a batch of 5 has the same shape as in a batch of 8; only the
/// count-bound root tells them apart.
#[test]
fn count_is_bound_even_where_the_audit_path_fits_another_size() {
    let leaves = commitments(5, 3);
    let tree = BatchTree::build(leaves.clone()).unwrap();
    let proof = tree.proof(0).unwrap();
    assert_eq!(proof_sibling_count(0, 8), Ok(proof.siblings.len()));
    let relabelled = BatchProof {
        count: 8,
        ..proof.clone()
    };
    assert!(matches!(
        relabelled.verify(&tree.root(), &leaves[0]),
        Err(BatchError::RootMismatch { .. })
    ));
    assert_eq!(proof.verify(&tree.root(), &leaves[0]), Ok(()));
}

#[test]
fn proof_json_shape_is_documented() {
    let proof = BatchProof {
        index: 2,
        count: 3,
        siblings: vec![[0xab; 32]],
    };
    let json = serde_json::to_string(&proof).unwrap();
    assert_eq!(
        json,
        format!(
            "{{\"index\":2,\"count\":3,\"siblings\":[\"{}\"]}}",
            "ab".repeat(32)
        )
    );
    let upper = json.replace("ab", "AB");
    assert!(serde_json::from_str::<BatchProof>(&upper).is_err());
    let extra = json.replace("{\"index\"", "{\"extra\":1,\"index\"");
    assert!(serde_json::from_str::<BatchProof>(&extra).is_err());
}

#[test]
fn golden_root_is_pinned() {
    let leaves = commitments(5, 7);
    let root = batch_root(&leaves).unwrap();
    assert_eq!(root, doc_root(&leaves));
    assert_eq!(hex::encode(root), GOLDEN_BATCH_ROOT_HEX);
}

const GOLDEN_BATCH_ROOT_HEX: &str =
    "d01b9fa080b6fe93ce82dd0e0380122c324a4de36005180dc113c21559addb9e";

#[test]
fn limits_at_and_past_the_maximum() {
    // A batch of exactly the maximum needs the maximum sibling count for leaf 0.
    assert_eq!(
        proof_sibling_count(0, MAX_BATCH_LEAVES),
        Ok(MAX_BATCH_PROOF_SIBLINGS)
    );
    assert_eq!(
        proof_sibling_count(MAX_BATCH_LEAVES - 1, MAX_BATCH_LEAVES),
        Ok(MAX_BATCH_PROOF_SIBLINGS)
    );
    let too_many = BatchProof {
        index: 0,
        count: MAX_BATCH_LEAVES + 1,
        siblings: vec![],
    };
    assert_eq!(
        too_many.verify(&[0; 32], &[0; 32]),
        Err(BatchError::TooManyLeaves {
            count: MAX_BATCH_LEAVES + 1,
            max: MAX_BATCH_LEAVES
        })
    );
    let out_of_range = BatchProof {
        index: 5,
        count: 5,
        siblings: vec![],
    };
    assert_eq!(
        out_of_range.verify(&[0; 32], &[0; 32]),
        Err(BatchError::IndexOutOfRange { index: 5, count: 5 })
    );
    // The largest valid proof encodes within the decoder's byte limit.
    let largest = BatchProof {
        index: 0,
        count: MAX_BATCH_LEAVES,
        siblings: vec![[1; 32]; MAX_BATCH_PROOF_SIBLINGS],
    };
    let bytes = largest.to_bytes();
    assert_eq!(bytes.len(), BatchProof::MAX_ENCODED_LEN);
    assert_eq!(BatchProof::from_bytes(&bytes), Ok(largest));
    let mut oversized = bytes;
    oversized.extend_from_slice(&[0; 32]);
    assert!(matches!(
        BatchProof::from_bytes(&oversized),
        Err(BatchError::Malformed(_))
    ));
}

/// Correctness at the target scale (timing is measured by benchmarks, not here).
#[test]
fn one_million_leaves_build_and_prove() {
    let count = 1_000_000;
    let leaves = commitments(count, 1);
    let tree = BatchTree::build(leaves.clone()).unwrap();
    let root = tree.root();
    assert_eq!(batch_root(&leaves).unwrap(), root);
    assert_eq!(tree.proof(0).unwrap().siblings.len(), 20);
    for index in [0, 1, 524_287, 524_288, 999_998, 999_999] {
        let proof = tree.proof(index).unwrap();
        assert_eq!(
            proof.siblings.len(),
            proof_sibling_count(index, count as u64).unwrap()
        );
        assert_eq!(proof.verify(&root, &leaves[index as usize]), Ok(()));
        assert!(
            proof
                .verify(&root, &leaves[(index as usize + 1) % count])
                .is_err()
        );
    }
}
