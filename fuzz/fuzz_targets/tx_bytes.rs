//! Arbitrary bytes as a signed transaction (what `tx_submit`, gossip and block payloads deliver):
//! never a panic; accepted bytes re-encode to themselves; the checks a node runs next on a decoded
//! transaction (stateless validation, signature, hash) never panic either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::{SignedTx, TxPayload};

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = SignedTx::from_bytes(data) {
        assert_eq!(
            tx.to_bytes(),
            data,
            "accepted bytes must re-encode to themselves"
        );
        let _ = tx.body.payload.validate();
        let _ = tx.body.chain_id.validate();
        let _ = tx.verify_signature();
        let _ = tx.hash();
    }
    // The payload alone, as the apply functions see it.
    if let Ok(payload) = decode_canonical::<TxPayload>(data) {
        assert_eq!(encode(&payload), data);
        let _ = payload.validate();
    }
});
