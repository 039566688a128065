//! `yrd keygen --out FILE`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

/// Write a new key file and print its public key.
pub fn run(out: &Path) -> anyhow::Result<ExitCode> {
    let key = yrd_node::keys::generate_key();
    yrd_node::keys::write_key_file(out, &key).context("writing key file")?;
    println!("{}", hex::encode(key.verifying_key().to_bytes()));
    Ok(ExitCode::SUCCESS)
}
