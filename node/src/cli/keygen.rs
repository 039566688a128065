//! `yrd keygen --out FILE [--crypto SUITE]`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use yrd_consensus::CryptoSuite;
use yrd_node::keys::LedgerKey;

/// Write a new key file and print its public key (and, for an `sm2-sm3` key, its network key on
/// standard error, so `KEY=$(yrd keygen …)` still captures the public key alone).
pub fn run(out: &Path, suite: CryptoSuite) -> anyhow::Result<ExitCode> {
    let key = LedgerKey::generate(suite);
    yrd_node::keys::write_ledger_key(out, &key).context("writing key file")?;
    println!("{}", hex::encode(key.public_key()));
    if key.network_public_key() != key.public_key() {
        eprintln!("network key {}", hex::encode(key.network_public_key()));
    }
    Ok(ExitCode::SUCCESS)
}
