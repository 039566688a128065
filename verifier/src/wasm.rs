//! The browser's entry points (feature `wasm`, built by `scripts/build-console.sh` with
//! `wasm-bindgen --target web` into `node/console/pkg/`): thin wrappers of [`crate::browser`],
//! JSON text in and out.

use wasm_bindgen::prelude::wasm_bindgen;

/// [`crate::browser::genesis_info`].
#[wasm_bindgen(js_name = genesisInfo)]
pub fn genesis_info(genesis_json: &str) -> String {
    crate::browser::genesis_info(genesis_json)
}

/// [`crate::browser::licence_commitment`].
#[wasm_bindgen(js_name = licenceCommitment)]
pub fn licence_commitment(licence_id: &str, salt_hex: &str) -> String {
    crate::browser::licence_commitment(licence_id, salt_hex)
}

/// [`crate::browser::verify_answer_json`].
#[wasm_bindgen(js_name = verifyAnswer)]
pub fn verify_answer(genesis_json: &str, answer_json: &str) -> String {
    crate::browser::verify_answer_json(genesis_json, answer_json)
}

/// [`crate::browser::verify_licence_answer_json`].
#[wasm_bindgen(js_name = verifyLicenceAnswer)]
pub fn verify_licence_answer(
    genesis_json: &str,
    answer_json: &str,
    issuer: &str,
    commitment_hex: &str,
    region: u32,
) -> String {
    crate::browser::verify_licence_answer_json(
        genesis_json,
        answer_json,
        issuer,
        commitment_hex,
        region,
    )
}
