//! A genesis file as `ChainSpec::load` reads it (JSON, then
//! validation and the genesis state): never a panic, and a loaded spec's validator set is valid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yrd_contracts::Genesis;
use yrd_verifier::chain_spec::ChainSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(genesis) = serde_json::from_str::<Genesis>(text) else {
        return;
    };
    if let Ok(spec) = ChainSpec::from_genesis(genesis) {
        assert!(spec.consensus.validator_set.validate().is_ok());
        assert!(!spec.validator_keys().is_empty());
    }
});
