//! Batch proofs (carried in status-change transactions and `yrd verify` input): decoding never
//! panics and round trips; verifying never panics; for a real batch, a proof that verifies a leaf
//! is exactly the batch's proof for that leaf (no second proof, no wrong leaf).
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_contracts::batch::{BatchProof, BatchTree};
use yrd_fuzz::{Edit, mutate};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    /// Raw proof bytes, a root and a leaf.
    Bytes {
        root: [u8; 32],
        leaf: [u8; 32],
        proof: &'a [u8],
    },
    /// A proof in JSON, as `yrd verify` reads it.
    Json { leaf: [u8; 32], json: &'a [u8] },
    /// A real batch, a real proof, edits to its bytes, and the leaf claimed.
    Real {
        leaves: u8,
        index: u8,
        claimed_leaf: u8,
        edits: Vec<Edit>,
    },
}

fuzz_target!(|input: Input<'_>| match input {
    Input::Bytes { root, leaf, proof } => {
        if let Ok(decoded) = BatchProof::from_bytes(proof) {
            assert_eq!(decoded.to_bytes(), proof);
            let _ = decoded.verify(&root, &leaf);
        }
    }
    Input::Json { leaf, json } => {
        if let Ok(decoded) = serde_json::from_slice::<BatchProof>(json) {
            let _ = decoded.verify(&[0; 32], &leaf);
            let bytes = decoded.to_bytes();
            if bytes.len() <= BatchProof::MAX_ENCODED_LEN {
                assert_eq!(BatchProof::from_bytes(&bytes), Ok(decoded));
            }
        }
    }
    Input::Real {
        leaves,
        index,
        claimed_leaf,
        edits,
    } => {
        let count = u64::from(leaves.max(1));
        let leaves: Vec<[u8; 32]> = (0..count).map(|i| [i as u8; 32]).collect();
        let tree = BatchTree::build(leaves).unwrap();
        let index = u64::from(index) % count;
        let proof = tree.proof(index).unwrap();
        assert_eq!(proof.verify(&tree.root(), &[index as u8; 32]), Ok(()));
        let bytes = mutate(proof.to_bytes(), &edits, 0);
        if let Ok(decoded) = BatchProof::from_bytes(&bytes) {
            assert_eq!(decoded.to_bytes(), bytes);
            let claimed = [claimed_leaf; 32];
            if decoded.verify(&tree.root(), &claimed).is_ok() {
                // Leaves are distinct, so only leaf `decoded.index` can verify, with its own proof.
                assert_eq!(u64::from(claimed_leaf), decoded.index);
                assert_eq!(tree.proof(decoded.index).unwrap(), decoded);
            }
        }
    }
});
