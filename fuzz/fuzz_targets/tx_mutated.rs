//! Structure-aware: a valid signed transaction of every payload kind, or its payload alone, with
//! byte edits past the tag. Accepted bytes re-encode to themselves; validation, signature and hash
//! checks never panic; an edited transaction never keeps the original's valid signature unless it
//! decodes to the original.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::{SignedTx, TxPayload};
use yrd_fuzz::MutatedSample;
use yrd_fuzz::contract_samples::{every_payload, every_signed_tx};

static TXS: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| every_signed_tx().iter().map(SignedTx::to_bytes).collect());
static SAMPLE_SIGNER: LazyLock<[u8; 32]> = LazyLock::new(|| every_signed_tx()[0].body.signer);
static PAYLOADS: LazyLock<Vec<Vec<u8>>> =
    LazyLock::new(|| every_payload().iter().map(encode).collect());

fuzz_target!(|input: (bool, MutatedSample)| {
    let (payload_only, sample) = input;
    if payload_only {
        let bytes = sample.apply(&PAYLOADS);
        if let Ok(payload) = decode_canonical::<TxPayload>(&bytes) {
            assert_eq!(encode(&payload), bytes);
            let _ = payload.validate();
        }
        return;
    }
    let bytes = sample.apply(&TXS);
    if let Ok(tx) = SignedTx::from_bytes(&bytes) {
        assert_eq!(
            tx.to_bytes(),
            bytes,
            "accepted bytes must re-encode to themselves"
        );
        let _ = tx.body.payload.validate();
        let verified = tx.verify_signature().is_ok();
        let _ = tx.hash();
        // Only an unchanged transaction carries a valid signature by the sample key.
        if verified && tx.body.signer == *SAMPLE_SIGNER {
            assert!(
                TXS.contains(&bytes),
                "an edited transaction kept a valid signature"
            );
        }
    }
});
