//! The verifier's text interface for a web page: JSON text in, JSON text out, never a panic. The
//! node's web console (`GET /console`) calls these through WebAssembly (the `wasm` feature's
//! [`crate::wasm`] wrappers); they are plain functions so native tests cover them too.
//!
//! - [`genesis_info`]: a genesis file's chain id, crypto suite, genesis hash (the value to pin) and
//!   validators;
//! - [`licence_commitment`]: a licence's commitment and issuer from its identifier and salt, in
//!   the page, so neither leaves it;
//! - [`verify_answer_json`]: check any proven answer against a genesis file;
//! - [`verify_licence_answer_json`]: the same, and that the answer is to the question asked
//!   (`licence_verify` of this issuer, commitment and region, with no verifier DID).

use serde_json::{Value, json};
use yrd_contracts::Genesis;
use yrd_contracts::licence_id::{self, Uscc};
use yrd_contracts::types::ProvinceCode;

use crate::chain_spec::ChainSpec;
use crate::query::{Evaluation, ProvenQuery};
use crate::verdict::describe;
use crate::{ANSWER_FORMAT, ProvenAnswer, verify_answer};

/// Largest genesis file or answer text accepted (the answer limit of `yrd verify`).
pub const MAX_INPUT_BYTES: usize = 64 * 1024 * 1024;

fn error(check: &str, message: impl std::fmt::Display) -> String {
    json!({ "verified": false, "ok": false, "check": check, "error": message.to_string() })
        .to_string()
}

fn chain_of(genesis_json: &str) -> Result<ChainSpec, String> {
    if genesis_json.len() > MAX_INPUT_BYTES {
        return Err(error("genesis", "the genesis file is too large"));
    }
    let genesis: Genesis = serde_json::from_str(genesis_json)
        .map_err(|e| error("genesis", format!("not a genesis file: {e}")))?;
    ChainSpec::from_genesis(genesis).map_err(|e| error("genesis", e))
}

/// `{"ok":true,"chainId","genesisHash","genesisTimeMs","provinces":[{province,authorityKey,
/// validatorKeys}]}` or `{"ok":false,"check":"genesis","error"}`.
pub fn genesis_info(genesis_json: &str) -> String {
    let chain = match chain_of(genesis_json) {
        Ok(chain) => chain,
        Err(answer) => return answer,
    };
    let provinces: Vec<Value> = chain
        .genesis
        .authorities
        .iter()
        .map(|a| {
            json!({
                "province": a.province.0,
                "authorityKey": hex::encode(a.authority_key),
                "validatorKeys": a.validator_keys.iter().map(hex::encode).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "ok": true,
        "chainId": chain.genesis.chain_id.0,
        "genesisHash": hex::encode(chain.genesis_hash),
        "genesisTimeMs": chain.genesis.genesis_time_ms,
        "cryptoSuite": chain.genesis.crypto_suite.name(),
        "provinces": provinces,
    })
    .to_string()
}

/// `{"ok":true,"issuer":"<USCC>","commitment":"<hex>"}` or `{"ok":false,"check","error"}`. The
/// error never repeats the identifier or the salt.
pub fn licence_commitment(licence_id: &str, salt_hex: &str) -> String {
    let id = match licence_id::parse(licence_id.trim()) {
        Ok(id) => id,
        Err(e) => return error("licence-id", format!("not a licence identifier: {e}")),
    };
    let salt = hex::decode(salt_hex.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok());
    let Some(salt) = salt else {
        return error("salt", "the salt must be 64 hex characters (32 bytes)");
    };
    json!({
        "ok": true,
        "issuer": id.issuer_uscc().as_str(),
        "commitment": hex::encode(licence_id::licence_commitment(&id, &salt)),
    })
    .to_string()
}

/// The envelope, or the `result` of a JSON-RPC response holding one.
fn parse_answer(answer_json: &str) -> Result<ProvenAnswer, String> {
    if answer_json.len() > MAX_INPUT_BYTES {
        return Err(error("too-large", "the answer is too large"));
    }
    let value: Value = serde_json::from_str(answer_json)
        .map_err(|e| error("malformed", format!("the answer is not JSON: {e}")))?;
    let value = match value {
        Value::Object(mut object) if object.contains_key("jsonrpc") => {
            if let Some(rpc_error) = object.remove("error") {
                return Err(error(
                    "rpc-error",
                    format!("the node answered with an error: {rpc_error}"),
                ));
            }
            object.remove("result").unwrap_or(Value::Null)
        }
        other => other,
    };
    if let Some(found) = value.get("format").and_then(Value::as_str)
        && found != ANSWER_FORMAT
    {
        return Err(error(
            "format",
            format!("answer format {found:?} is not {ANSWER_FORMAT:?}"),
        ));
    }
    serde_json::from_value(value).map_err(|e| {
        error(
            "malformed",
            format!("not a verifiable answer (docs/PROOFS.md): {e}"),
        )
    })
}

fn check(chain: &ChainSpec, answer: &ProvenAnswer) -> String {
    match verify_answer(chain, answer) {
        Ok(verified) => {
            let outcome = match &verified.evaluation {
                Evaluation::Found(_) => "found",
                Evaluation::NotFound => "notFound",
                Evaluation::Restricted(_) => "restricted",
            };
            json!({
                "verified": true,
                "ok": true,
                "method": verified.query.method(),
                "chainId": chain.genesis.chain_id.0,
                "genesisHash": hex::encode(chain.genesis_hash),
                "version": verified.version,
                "headerHeight": verified.header_height,
                "headerTimeMs": verified.header_time_ms,
                "blockId": hex::encode(verified.block_id),
                "epoch": verified.epoch,
                "outcome": outcome,
                "value": answer.value,
                "summary": describe(&verified),
            })
            .to_string()
        }
        Err(e) => error(e.check(), e),
    }
}

/// Checks `answer_json` (an envelope or a JSON-RPC response holding one) against the genesis
/// file: `{"verified":true,…,"value","summary"}` or `{"verified":false,"check","error"}`.
pub fn verify_answer_json(genesis_json: &str, answer_json: &str) -> String {
    let chain = match chain_of(genesis_json) {
        Ok(chain) => chain,
        Err(answer) => return answer,
    };
    match parse_answer(answer_json) {
        Ok(answer) => check(&chain, &answer),
        Err(answer) => answer,
    }
}

/// [`verify_answer_json`] for the answer to `licence_verify(issuer, commitment, region)` asked
/// without a verifier DID: an answer to any other question fails with check `question`.
pub fn verify_licence_answer_json(
    genesis_json: &str,
    answer_json: &str,
    issuer: &str,
    commitment_hex: &str,
    region: u32,
) -> String {
    let chain = match chain_of(genesis_json) {
        Ok(chain) => chain,
        Err(answer) => return answer,
    };
    let answer = match parse_answer(answer_json) {
        Ok(answer) => answer,
        Err(answer) => return answer,
    };
    let asked = match &answer.query {
        ProvenQuery::LicenceVerify(p) => {
            issuer.trim().parse::<Uscc>().ok().as_ref() == Some(&p.issuer)
                && hex::encode(p.commitment) == commitment_hex.trim().to_ascii_lowercase()
                && p.region == ProvinceCode(region)
                && p.verifier_did.is_none()
        }
        _ => false,
    };
    if !asked {
        return error(
            "question",
            "the node answered a different question than the one asked",
        );
    }
    check(&chain, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0";
    const SALT: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    #[test]
    fn the_commitment_is_the_contracts_one_and_errors_do_not_echo_secrets() {
        let out: Value = serde_json::from_str(&licence_commitment(ID, SALT)).unwrap();
        let id = licence_id::parse(ID).unwrap();
        assert_eq!(
            out["commitment"],
            hex::encode(licence_id::licence_commitment(&id, &[1; 32]))
        );
        assert_eq!(out["issuer"], "11330105002500287C");
        for (id, salt) in [("nope", SALT), (ID, "zz"), (ID, &SALT[2..])] {
            let text = licence_commitment(id, salt);
            let out: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(out["ok"], false, "{text}");
            assert!(!text.contains(SALT) && !text.contains(ID), "{text}");
        }
    }

    #[test]
    fn bad_inputs_answer_json_errors() {
        for (genesis, answer) in [("{", "{}"), ("[]", "{}"), ("null", "null")] {
            let out: Value = serde_json::from_str(&verify_answer_json(genesis, answer)).unwrap();
            assert_eq!(out["verified"], false);
            assert_eq!(out["check"], "genesis");
        }
        let out: Value = serde_json::from_str(&genesis_info("{}")).unwrap();
        assert_eq!(out["ok"], false);
    }

    fn vector(name: &str) -> String {
        let path = format!(
            "{}/../docs/proof-vectors/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn a_published_vector_verifies_and_a_flipped_byte_names_the_failed_check() {
        let genesis = vector("genesis.json");
        let info: Value = serde_json::from_str(&genesis_info(&genesis)).unwrap();
        assert_eq!(info["ok"], true, "{info}");
        assert_eq!(info["genesisHash"].as_str().map(str::len), Some(64));
        assert_eq!(info["cryptoSuite"], "ed25519-blake3", "{info}");

        let answer = vector("licence-verify-valid-recognised.json");
        let out: Value = serde_json::from_str(&verify_answer_json(&genesis, &answer)).unwrap();
        assert_eq!(out["verified"], true, "{out}");
        assert_eq!(out["method"], "licence_verify");

        let envelope: Value = serde_json::from_str(&answer).unwrap();
        let query = &envelope["query"]["params"];
        let issuer = query["issuer"].as_str().unwrap();
        let commitment = query["commitment"].as_str().unwrap();
        let region = query["region"].as_u64().unwrap() as u32;
        let asked = |region: u32| -> Value {
            serde_json::from_str(&verify_licence_answer_json(
                &genesis, &answer, issuer, commitment, region,
            ))
            .unwrap()
        };
        assert_eq!(asked(region)["verified"], true);
        assert_eq!(asked(340000)["check"], "question");

        // One byte of the commit certificate flipped: the certificate check refuses it.
        let mut tampered = envelope.clone();
        let certificate = tampered["proof"]["certificate"]
            .as_str()
            .unwrap()
            .to_owned();
        let mut bytes = hex::decode(&certificate).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x01;
        tampered["proof"]["certificate"] = Value::String(hex::encode(bytes));
        let out: Value =
            serde_json::from_str(&verify_answer_json(&genesis, &tampered.to_string())).unwrap();
        assert_eq!(out["verified"], false, "{out}");
        assert!(out["check"].is_string());

        // Wrapped in a JSON-RPC response it reads the same; a JSON-RPC error is named.
        let wrapped = json!({"jsonrpc": "2.0", "id": 1, "result": envelope}).to_string();
        let out: Value = serde_json::from_str(&verify_answer_json(&genesis, &wrapped)).unwrap();
        assert_eq!(out["verified"], true);
        let failed = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -1}}).to_string();
        let out: Value = serde_json::from_str(&verify_answer_json(&genesis, &failed)).unwrap();
        assert_eq!(out["check"], "rpc-error");
    }
}
