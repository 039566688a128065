//! The state proof verifier (what a light client or `yrd verify` runs on proofs it was handed):
//! decoding never panics and round trips; verifying arbitrary proofs never panics; and against a
//! real tree, no proof (edited or not) ever proves a value other than the stored one, or absence
//! of a stored key.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_contracts::tree::{MemoryTreeStore, StateProof, StateRoot, StateTree};
use yrd_fuzz::{Edit, mutate};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Bytes {
        root: [u8; 32],
        key: &'a [u8],
        value: Option<&'a [u8]>,
        proof: &'a [u8],
    },
    Json {
        key: &'a [u8],
        json: &'a [u8],
    },
    Real {
        entries: Vec<(u8, u8)>,
        query: u8,
        claimed: Option<u8>,
        edits: Vec<Edit>,
    },
}

fuzz_target!(|input: Input<'_>| match input {
    Input::Bytes {
        root,
        key,
        value,
        proof,
    } => {
        if let Ok(decoded) = StateProof::from_bytes(proof) {
            assert_eq!(decoded.to_bytes(), proof);
            let _ = decoded.verify(&StateRoot(root), key, value);
        }
    }
    Input::Json { key, json } => {
        if let Ok(decoded) = serde_json::from_slice::<StateProof>(json) {
            let _ = decoded.verify(&StateRoot([0; 32]), key, None);
            let bytes = decoded.to_bytes();
            if bytes.len() <= StateProof::MAX_ENCODED_LEN {
                assert_eq!(StateProof::from_bytes(&bytes), Ok(decoded));
            }
        }
    }
    Input::Real {
        entries,
        query,
        claimed,
        edits,
    } => {
        let mut tree = StateTree::new(MemoryTreeStore::new());
        let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = entries
            .iter()
            .take(32)
            .map(|(key, value)| (vec![b'k', *key], Some(vec![*value; 2])))
            .collect();
        let Ok(root) = tree.apply(0, writes) else {
            return;
        };
        let key = vec![b'k', query];
        let (stored, proof) = tree.get_with_proof(&key, 0).unwrap();
        assert_eq!(proof.verify(&root, &key, stored.as_deref()), Ok(()));
        let bytes = mutate(proof.to_bytes(), &edits, 0);
        if let Ok(decoded) = StateProof::from_bytes(&bytes) {
            assert_eq!(decoded.to_bytes(), bytes);
            let claim = claimed.map(|v| vec![v; 2]);
            if decoded.verify(&root, &key, claim.as_deref()).is_ok() {
                assert_eq!(
                    claim, stored,
                    "a proof proved a value the tree does not hold"
                );
            }
        }
    }
});
