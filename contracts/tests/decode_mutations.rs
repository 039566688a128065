//! Structure-aware decoding properties: start from a valid transaction of every payload kind (and
//! valid batch and state proofs), mutate bytes past the first tag byte, and check that decoding
//! never panics and that whatever decodes re-encodes to exactly the mutated bytes (one value, one
//! encoding). The same samples seed the `fuzz/` targets.

mod samples;

use proptest::prelude::*;
use samples::{
    PAYLOAD_KINDS, every_payload, every_signed_tx, payload_kind, sample_batch_proof, sample_genesis,
};
use yrd_contracts::batch::BatchProof;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::tree::{MemoryTreeStore, StateProof, StateTree};
use yrd_contracts::{Genesis, SignedTx, TxPayload};

/// One edit of an encoding. Positions are taken modulo the length, from `floor` on.
#[derive(Debug, Clone)]
enum Edit {
    Set(prop::sample::Index, u8),
    Flip(prop::sample::Index, u8),
    Insert(prop::sample::Index, u8),
    Remove(prop::sample::Index),
    Truncate(prop::sample::Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Set(i, b)),
        4 => (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(i, b)| Edit::Flip(i, b)),
        1 => (any::<prop::sample::Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => any::<prop::sample::Index>().prop_map(Edit::Remove),
        1 => any::<prop::sample::Index>().prop_map(Edit::Truncate),
    ]
}

/// Applies `edits` to `bytes`, leaving the first `floor` bytes (the tag) alone.
fn mutate(mut bytes: Vec<u8>, edits: &[Edit], floor: usize) -> Vec<u8> {
    for edit in edits {
        let span = bytes.len().saturating_sub(floor);
        if span == 0 {
            break;
        }
        match edit {
            Edit::Set(i, b) => bytes[floor + i.index(span)] = *b,
            Edit::Flip(i, b) => bytes[floor + i.index(span)] ^= *b,
            Edit::Insert(i, b) => bytes.insert(floor + i.index(span + 1), *b),
            Edit::Remove(i) => {
                bytes.remove(floor + i.index(span));
            }
            Edit::Truncate(i) => bytes.truncate(floor + i.index(span)),
        }
    }
    bytes
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    proptest::collection::vec(edit(), 1..4)
}

#[test]
fn every_sample_is_valid_and_round_trips() {
    let txs = every_signed_tx();
    assert_eq!(txs.len(), every_payload().len());
    let mut kinds: Vec<usize> = txs
        .iter()
        .map(|tx| payload_kind(&tx.body.payload))
        .collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        (0..PAYLOAD_KINDS).collect::<Vec<_>>(),
        "a payload kind has no sample"
    );
    for tx in &txs {
        let bytes = tx.to_bytes();
        assert_eq!(SignedTx::from_bytes(&bytes).as_ref(), Ok(tx), "{tx:?}");
        assert_eq!(tx.verify_signature(), Ok(()), "{tx:?}");
        assert_eq!(tx.body.payload.validate(), Ok(()), "{tx:?}");
    }
    let genesis = sample_genesis();
    assert_eq!(genesis.validate(), Ok(()));
    assert_eq!(decode_canonical::<Genesis>(&encode(&genesis)), Ok(genesis));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Mutated signed transactions of every payload kind (the tag byte of the envelope is the
    /// chain-id length; the payload's tag sits deep inside, and is mutated too).
    #[test]
    fn mutated_signed_txs_decode_canonically_or_not_at_all(
        which in any::<prop::sample::Index>(),
        edits in edits(),
    ) {
        let txs = every_signed_tx();
        let tx = &txs[which.index(txs.len())];
        let bytes = mutate(tx.to_bytes(), &edits, 1);
        if let Ok(decoded) = SignedTx::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes(), bytes);
            // Checks a node runs on a decoded transaction must not panic either.
            let _ = decoded.body.payload.validate();
            let _ = decoded.verify_signature();
            let _ = decoded.hash();
        }
    }

    /// Mutated payloads, keeping the variant tag: the edits land in the variant's fields.
    #[test]
    fn mutated_payload_fields_decode_canonically_or_not_at_all(
        which in any::<prop::sample::Index>(),
        edits in edits(),
    ) {
        let payloads = every_payload();
        let payload = &payloads[which.index(payloads.len())];
        let bytes = mutate(encode(payload), &edits, 1);
        if let Ok(decoded) = decode_canonical::<TxPayload>(&bytes) {
            prop_assert_eq!(encode(&decoded), bytes);
            let _ = decoded.validate();
        }
    }

    /// A mutated batch proof decodes canonically or not at all, and a changed proof never
    /// verifies the original leaf against the original root.
    #[test]
    fn mutated_batch_proofs_never_verify_a_changed_proof(edits in edits()) {
        let proof = sample_batch_proof();
        let leaves: Vec<[u8; 32]> = (0..11u8).map(|i| [i; 32]).collect();
        let root = yrd_contracts::batch::batch_root(&leaves).unwrap();
        prop_assert_eq!(proof.verify(&root, &[5; 32]), Ok(()));
        let bytes = mutate(proof.to_bytes(), &edits, 0);
        if let Ok(decoded) = BatchProof::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes(), bytes.clone());
            if decoded != proof {
                prop_assert!(decoded.verify(&root, &[5; 32]).is_err());
            }
        }
    }

    /// A mutated state proof decodes canonically or not at all, and never proves a value other
    /// than the stored one (or absence of a stored key).
    #[test]
    fn mutated_state_proofs_never_prove_a_wrong_value(
        key_index in 0usize..6,
        edits in edits(),
        other_value in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut tree = StateTree::new(MemoryTreeStore::new());
        let writes: Vec<(Vec<u8>, Option<Vec<u8>>)> = (0..5u8)
            .map(|i| (vec![b'k', i], Some(vec![i; 3])))
            .collect();
        let root = tree.apply(0, writes).unwrap();
        // Keys 0..5 are present; key 5 is absent.
        let key = vec![b'k', key_index as u8];
        let (stored, proof) = tree.get_with_proof(&key, 0).unwrap();
        prop_assert_eq!(proof.verify(&root, &key, stored.as_deref()), Ok(()));
        let bytes = mutate(proof.to_bytes(), &edits, 0);
        if let Ok(decoded) = StateProof::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes(), bytes);
            if other_value.as_slice() != stored.as_deref().unwrap_or_default() {
                prop_assert!(decoded.verify(&root, &key, Some(&other_value)).is_err());
            }
            if stored.is_some() {
                prop_assert!(decoded.verify(&root, &key, None).is_err());
            }
        }
    }
}
