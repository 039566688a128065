//! `yrd backup --config node.toml --out F` (or `--data D`) and `yrd restore F --config node.toml`:
//! a checked copy of a node's database (docs/OPERATIONS.md, "Backups"; ADR 015).
//!
//! `yrd backup` first asks a running node, through its admin socket in the data directory
//! (`yrd_node::admin`), to write the backup itself: the node takes a RocksDB checkpoint under its
//! commit lock (whole committed blocks; the manifest's height and state root are the
//! checkpoint's), hashes every file into the manifest on a blocking thread, and answers with the
//! height and file count while it keeps committing. When no node answers on the socket (none
//! runs, or the socket is stale after a crash), the database is opened and backed up directly,
//! as before. `yrd restore` checks every file against the manifest and the manifest's genesis
//! block id against the genesis file before anything is written, into an absent or empty data
//! directory only.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use yrd_node::admin::{self, AdminError};
use yrd_node::config::NodeConfig;
use yrd_node::storage::{Store, StoreConfig, restore_backup, write_backup};
use yrd_verifier::chain_spec::ChainSpec;

/// `yrd backup --help`'s closing text.
pub const BACKUP_HELP: &str = "\
Online or offline:
  While the node runs, it writes the backup itself (asked through <data_dir>/admin.sock, which
  only the node's OS user can open: run `yrd backup` as that user, e.g. `runuser -u yrd --`).
  The chain keeps committing; the backup holds the blocks committed when it was taken.
  When the node is stopped, the database is read directly.

The output folder must not exist and must lie outside the data directory; its parent must exist.
It holds db/ (the checkpoint) and manifest.json (format, genesis block id, committed height and
state root, every file's size and blake3), written last. Check and restore it with `yrd restore`.";

fn store_config(config: &NodeConfig) -> StoreConfig {
    StoreConfig {
        keep_versions: config.storage.keep_versions,
        tree_node_cache_entries: config.storage.tree_node_cache_entries,
        max_total_wal_bytes: config.storage.max_total_wal_bytes,
        ..StoreConfig::default()
    }
}

/// Back up the node's database into `out` (which must not exist): through the running node's
/// admin socket, or directly when no node runs. The data directory is `config`'s, or `data`.
pub fn backup(
    config_path: Option<&Path>,
    data: Option<&Path>,
    out: &Path,
    timeout: Duration,
) -> anyhow::Result<ExitCode> {
    let (data_dir, store_config) = match (config_path, data) {
        (Some(path), _) => {
            let config = NodeConfig::load(path)?;
            let store_config = store_config(&config);
            (config.data_dir, store_config)
        }
        (None, Some(data)) => (data.to_path_buf(), StoreConfig::default()),
        (None, None) => anyhow::bail!("name the node with --config or --data"),
    };
    let out = std::path::absolute(out).with_context(|| format!("{}", out.display()))?;
    let socket = admin::socket_path(&data_dir);
    match admin::request_backup(&socket, &out, timeout) {
        Ok(summary) => {
            println!(
                "backup of height {} ({} files, {} bytes) written by the running node to {}",
                summary.committed_height,
                summary.files,
                summary.bytes,
                summary.out.display()
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(AdminError::NotListening { source, .. })
            if source.kind() == std::io::ErrorKind::PermissionDenied =>
        {
            anyhow::bail!(
                "{} refuses this user: run yrd backup as the node's OS user (runuser -u <user> --)",
                socket.display()
            );
        }
        Err(AdminError::NotListening { .. }) => {}
        Err(error) => {
            return Err(error)
                .with_context(|| format!("backup by the node on {}", data_dir.display()));
        }
    }
    // As the node refuses it online: a backup inside the data directory would go with it.
    if let (Ok(data), Some(parent)) = (data_dir.canonicalize(), out.parent())
        && parent
            .canonicalize()
            .is_ok_and(|parent| parent.starts_with(&data))
    {
        anyhow::bail!(
            "{} is inside the node's data directory {}; write backups elsewhere",
            out.display(),
            data.display()
        );
    }
    let store = Store::open(&data_dir, store_config).with_context(|| {
        format!(
            "opening the database in {} (no node answers on {}, yet the database may be locked \
             by another process)",
            data_dir.display(),
            socket.display()
        )
    })?;
    let manifest = write_backup(&store, &out)?;
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
