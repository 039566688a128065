//! `yrd genesis --spec provinces.toml --out genesis.json`: the chain's starting point.
//!
//! ```toml
//! chain_id = "yrd-main"
//! # genesis_time_ms = 1767225600000   # default: now
//! [[provinces]]
//! province = 310000                     # GB/T 2260 code: Shanghai
//! authority_key = "…64 hex…"            # signs the province's governance transactions
//! validator_keys = ["…64 hex…"]         # node keys of its validators
//! ```
//!
//! A chain on the national suite (ADR 019, 020) adds `crypto_suite = "sm2-sm3"` (keys from
//! `yrd keygen --crypto sm2-sm3`) and one network key per validator, as `yrd keygen` printed it:
//!
//! ```toml
//! [[network_keys]]
//! validator_key = "…64 hex…"
//! network_key = "…64 hex…"
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;
use yrd_contracts::{Genesis, GenesisAuthority, Parameters, ProvinceCode};

/// Arguments of `yrd genesis`.
#[derive(Debug, clap::Args)]
pub struct GenesisArgs {
    /// TOML listing the provinces and their keys.
    #[arg(long)]
    pub spec: PathBuf,
    /// Where to write genesis.json.
    #[arg(long, short)]
    pub out: PathBuf,
    /// Replace an existing file at `--out`. Without it an existing genesis is never overwritten:
    /// a chain is its genesis, and a new one (another time, another key) is another chain.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Spec {
    chain_id: String,
    genesis_time_ms: Option<u64>,
    #[serde(default)]
    parameters: Option<Parameters>,
    provinces: Vec<ProvinceSpec>,
    #[serde(default)]
    crypto_suite: yrd_consensus::CryptoSuite,
    #[serde(default)]
    network_keys: Vec<NetworkKeySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NetworkKeySpec {
    #[serde(with = "hex::serde")]
    validator_key: [u8; 32],
    #[serde(with = "hex::serde")]
    network_key: [u8; 32],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvinceSpec {
    province: u32,
    #[serde(with = "hex::serde")]
    authority_key: [u8; 32],
    validator_keys: Vec<String>,
}

/// Build a genesis from the spec file and write it.
pub fn run(args: &GenesisArgs) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.force || !args.out.exists(),
        "{} already exists: a chain is its genesis file, and writing a new one makes another \
         chain; keep it, choose another --out, or add --force to replace it",
        args.out.display()
    );
    let text = std::fs::read_to_string(&args.spec)
        .with_context(|| format!("reading {}", args.spec.display()))?;
    let spec: Spec =
        toml::from_str(&text).with_context(|| format!("parsing {}", args.spec.display()))?;
    let mut authorities = Vec::new();
    for province in spec.provinces {
        let mut validator_keys = Vec::new();
        for key in &province.validator_keys {
            let bytes: [u8; 32] = hex::decode(key)
                .ok()
                .and_then(|b| b.try_into().ok())
                .with_context(|| format!("validator key {key:?} is not 64 hex characters"))?;
            validator_keys.push(bytes);
        }
        authorities.push(GenesisAuthority {
            province: ProvinceCode(province.province),
            authority_key: province.authority_key,
            validator_keys,
        });
    }
    let genesis = Genesis {
        chain_id: yrd_contracts::ChainId(spec.chain_id),
        genesis_time_ms: spec
            .genesis_time_ms
            .unwrap_or_else(yrd_node::clock::unix_ms),
        authorities,
        parameters: spec.parameters.unwrap_or_default(),
        crypto_suite: spec.crypto_suite,
        network_keys: spec
            .network_keys
            .into_iter()
            .map(|binding| yrd_contracts::NetworkKeyBinding {
                validator_key: binding.validator_key,
                network_key: binding.network_key,
            })
            .collect(),
    };
    write_genesis(&genesis, &args.out)?;
    Ok(ExitCode::SUCCESS)
}

/// Validate and write a genesis file; prints its hash.
pub fn write_genesis(genesis: &Genesis, out: &Path) -> anyhow::Result<()> {
    let spec = yrd_verifier::chain_spec::ChainSpec::from_genesis(genesis.clone())
        .context("the genesis is invalid")?;
    let json = serde_json::to_string_pretty(genesis).context("encoding genesis")?;
    std::fs::write(out, json + "\n").with_context(|| format!("writing {}", out.display()))?;
    println!(
        "genesis {} written to {} ({} validators, state root {})",
        hex::encode(spec.genesis_hash),
        out.display(),
        spec.consensus.validator_set.validators.len(),
        hex::encode(spec.consensus.state_root)
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_existing_genesis_is_replaced_only_with_force() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("provinces.toml");
        let key = |seed: u8| {
            hex::encode(
                ed25519_dalek::SigningKey::from_bytes(&[seed; 32])
                    .verifying_key()
                    .to_bytes(),
            )
        };
        std::fs::write(
            &spec,
            format!(
                "chain_id = \"yrd-test\"\ngenesis_time_ms = 1750000000000\n\
                 [[provinces]]\nprovince = 310000\nauthority_key = \"{}\"\nvalidator_keys = [\"{}\"]\n",
                key(1),
                key(2)
            ),
        )
        .unwrap();
        let out = dir.path().join("genesis.json");
        let args = |force| GenesisArgs {
            spec: spec.clone(),
            out: out.clone(),
            force,
        };
        run(&args(false)).unwrap();
        let first = std::fs::read(&out).unwrap();
        std::fs::write(&out, b"the chain's genesis").unwrap();
        let error = run(&args(false)).unwrap_err().to_string();
        assert!(error.contains("already exists"), "{error}");
        assert_eq!(std::fs::read(&out).unwrap(), b"the chain's genesis");
        run(&args(true)).unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), first);
    }
}
