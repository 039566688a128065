//! The genesis (a file an operator is handed, and the bytes hashed into the chain id's genesis
//! hash): JSON or borsh, never a panic; a genesis that validates builds its state; borsh round
//! trips.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::{Genesis, State};
use yrd_fuzz::MutatedSample;
use yrd_fuzz::contract_samples::sample_genesis;

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Json(&'a [u8]),
    Borsh(&'a [u8]),
    /// The sample genesis' JSON text with byte edits.
    MutatedJson(MutatedSample),
    /// The sample genesis' borsh bytes with byte edits.
    MutatedBorsh(MutatedSample),
}

fn check(genesis: Genesis) {
    let bytes = encode(&genesis);
    assert_eq!(decode_canonical::<Genesis>(&bytes).as_ref(), Ok(&genesis));
    if genesis.validate().is_ok() {
        // A valid genesis always builds version 0.
        assert!(State::genesis(&genesis, MemoryTreeStore::new()).is_ok());
    } else {
        assert!(State::genesis(&genesis, MemoryTreeStore::new()).is_err());
    }
}

fuzz_target!(|input: Input<'_>| {
    let (json, borsh) = match &input {
        Input::Json(json) => (Some(json.to_vec()), None),
        Input::Borsh(bytes) => (None, Some(bytes.to_vec())),
        Input::MutatedJson(sample) => {
            let text = serde_json::to_vec(&sample_genesis()).unwrap();
            (Some(sample.apply(&[text])), None)
        }
        Input::MutatedBorsh(sample) => (None, Some(sample.apply(&[encode(&sample_genesis())]))),
    };
    if let Some(json) = json
        && let Ok(genesis) = serde_json::from_slice::<Genesis>(&json)
    {
        check(genesis);
    }
    if let Some(bytes) = borsh
        && let Ok(genesis) = decode_canonical::<Genesis>(&bytes)
    {
        assert_eq!(encode(&genesis), bytes);
        check(genesis);
    }
});
