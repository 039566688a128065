//! `yrd backup --config node.toml --out F` and `yrd restore F --config node.toml`: a checked copy
//! of a node's database (docs/OPERATIONS.md, "Backups").
//!
//! Partial: the backup is taken from a stopped node (the database is locked while the node runs);
//! stop one node, back it up, start it again: the other validators keep the chain going.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use yrd_node::config::NodeConfig;
use yrd_node::storage::{Store, StoreConfig, restore_backup, write_backup};
use yrd_verifier::chain_spec::ChainSpec;

fn store_config(config: &NodeConfig) -> StoreConfig {
    StoreConfig {
        keep_versions: config.storage.keep_versions,
        tree_node_cache_entries: config.storage.tree_node_cache_entries,
        ..StoreConfig::default()
    }
}

/// Back up the node's database into `out` (which must not exist).
pub fn backup(config_path: &Path, out: &Path) -> anyhow::Result<ExitCode> {
    let config = NodeConfig::load(config_path)?;
    let store = Store::open(&config.data_dir, store_config(&config)).with_context(|| {
        format!(
            "opening the database in {} (stop the node first: its database is locked while it runs)",
            config.data_dir.display()
        )
    })?;
    let manifest = write_backup(&store, out)?;
    println!(
        "backup of height {} ({} files) written to {}",
        manifest.committed_height,
        manifest.files.len(),
        out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Check the backup in `from` and restore it into the node's (absent or empty) data directory.
pub fn restore(from: &Path, config_path: &Path) -> anyhow::Result<ExitCode> {
    let config = NodeConfig::load(config_path)?;
    let chain = ChainSpec::load(&config.genesis_file)?;
    let genesis_block_id = chain.consensus.header().id().0;
    let (manifest, report) = restore_backup(
        from,
        &config.data_dir,
        &genesis_block_id,
        &store_config(&config),
    )?;
    println!(
        "restored height {} ({} files, {} bytes) into {}",
        manifest.committed_height,
        report.files_copied,
        report.bytes_copied,
        report.path.display()
    );
    Ok(ExitCode::SUCCESS)
}
