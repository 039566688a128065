//! A proven answer as `yrd verify --response` reads it (JSON), checked
//! against a fixed chain spec: never a panic, whatever the evidence, headers or certificates hold.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use yrd_fuzz::contract_samples::sample_genesis;
use yrd_verifier::chain_spec::ChainSpec;
use yrd_verifier::{ProvenAnswer, verify_answer};

static SPEC: LazyLock<Option<ChainSpec>> =
    LazyLock::new(|| ChainSpec::from_genesis(sample_genesis()).ok());

fuzz_target!(|data: &[u8]| {
    let Some(spec) = SPEC.as_ref() else {
        return;
    };
    if let Ok(answer) = serde_json::from_slice::<ProvenAnswer>(data) {
        let _ = verify_answer(spec, &answer);
    }
});
