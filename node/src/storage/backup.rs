//! Backups as files an operator can move and check: a database checkpoint (`<backup>/db`) and a
//! manifest (`<backup>/manifest.json`) naming the chain (its genesis block id), the committed head
//! the checkpoint holds, and every file with its size and blake3 hash. A restore checks the
//! manifest against the files (nothing missing, nothing extra, every hash equal) and the chain
//! against the genesis file before anything is copied into a data directory.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read as _;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::checkpoint::{RestoreReport, restore};
use super::config::StoreConfig;
use super::error::StorageError;
use super::store::Store;

/// The manifest's `format`.
pub const BACKUP_FORMAT: &str = "yrd-backup/v1";
/// The manifest's file name inside a backup folder.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The checkpoint's folder name inside a backup folder.
pub const DATABASE_DIR: &str = "db";
/// Largest manifest read (a checkpoint has one entry per table file).
pub const MAX_MANIFEST_BYTES: u64 = 16 * 1024 * 1024;

/// What a backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupManifest {
    /// [`BACKUP_FORMAT`].
    pub format: String,
    /// The chain's genesis block id, hex.
    pub genesis_block_id: String,
    /// The committed height the checkpoint holds.
    pub committed_height: u64,
    /// The state root at that height, hex.
    pub state_root: String,
    /// Every file of the checkpoint, by path relative to `db/` (`/`-separated).
    pub files: BTreeMap<String, BackupFile>,
}

/// One file of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupFile {
    /// Size in bytes.
    pub bytes: u64,
    /// blake3 of the contents, hex.
    pub blake3: String,
}

/// Why a backup cannot be written, read or restored.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database or the filesystem failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The manifest is unreadable, too large, or of another format.
    #[error("backup manifest {path}: {reason}")]
    Manifest {
        /// The manifest.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The files do not match the manifest.
    #[error("backup does not match its manifest: {0}")]
    Mismatch(String),
    /// The backup is of another chain than the genesis file's.
    #[error("backup is of the chain with genesis block {backup}, the genesis file's is {expected}")]
    WrongChain {
        /// The backup's genesis block id.
        backup: String,
        /// The genesis file's.
        expected: String,
    },
    /// The database holds no committed block (nothing to back up).
    #[error("the database holds no committed block")]
    Empty,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError {
    let path = path.to_path_buf();
    move |source| BackupError::Io { path, source }
}

/// Writes a backup of `store` into `out` (which must not exist): the checkpoint, then the
/// manifest, written last so a folder with a manifest is a finished backup.
pub fn write_backup(store: &Store, out: &Path) -> Result<BackupManifest, BackupError> {
    let genesis = store.genesis_hash()?.ok_or(BackupError::Empty)?;
    if out.exists() {
        return Err(StorageError::DestinationExists {
            path: out.to_path_buf(),
        }
        .into());
    }
    let db = out.join(DATABASE_DIR);
    let report = store.checkpoint(&db)?;
    let head = report.committed_head.ok_or(BackupError::Empty)?;
    let manifest = BackupManifest {
        format: BACKUP_FORMAT.to_owned(),
        genesis_block_id: hex::encode(genesis),
        committed_height: head.height,
        state_root: hex::encode(head.state_root),
        files: hash_tree(&db)?,
    };
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Manifest {
        path: out.join(MANIFEST_FILE),
        reason: e.to_string(),
    })?;
    let path = out.join(MANIFEST_FILE);
    fs::write(&path, text).map_err(io(&path))?;
    Ok(manifest)
}

/// Reads a backup's manifest and checks every file against it.
pub fn check_backup(backup: &Path) -> Result<BackupManifest, BackupError> {
    let path = backup.join(MANIFEST_FILE);
    let file = fs::File::open(&path).map_err(io(&path))?;
    let mut text = Vec::new();
    file.take(MAX_MANIFEST_BYTES.saturating_add(1))
        .read_to_end(&mut text)
        .map_err(io(&path))?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(BackupError::Manifest {
            path,
            reason: format!("larger than {MAX_MANIFEST_BYTES} bytes"),
        });
    }
    let manifest: BackupManifest =
        serde_json::from_slice(&text).map_err(|e| BackupError::Manifest {
            path: path.clone(),
            reason: e.to_string(),
        })?;
    if manifest.format != BACKUP_FORMAT {
        return Err(BackupError::Manifest {
            path,
            reason: format!("format {:?}, expected {BACKUP_FORMAT:?}", manifest.format),
        });
    }
    let actual = hash_tree(&backup.join(DATABASE_DIR))?;
    for (name, expected) in &manifest.files {
        match actual.get(name) {
            None => return Err(BackupError::Mismatch(format!("{name} is missing"))),
            Some(file) if file != expected => {
                return Err(BackupError::Mismatch(format!(
                    "{name} has {} bytes with blake3 {}, the manifest says {} bytes with {}",
                    file.bytes, file.blake3, expected.bytes, expected.blake3
                )));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = actual
        .keys()
        .find(|name| !manifest.files.contains_key(*name))
    {
        return Err(BackupError::Mismatch(format!(
            "{extra} is not in the manifest"
        )));
    }
    Ok(manifest)
}

/// Checks a backup (files, then chain: `genesis_block_id` is the genesis file's block id) and
/// restores it into `data_dir`, which must be absent or empty.
pub fn restore_backup(
    backup: &Path,
    data_dir: &Path,
    genesis_block_id: &[u8; 32],
    config: &StoreConfig,
) -> Result<(BackupManifest, RestoreReport), BackupError> {
    let manifest = check_backup(backup)?;
    let expected = hex::encode(genesis_block_id);
    if manifest.genesis_block_id != expected {
        return Err(BackupError::WrongChain {
            backup: manifest.genesis_block_id,
            expected,
        });
    }
    let report = restore(backup.join(DATABASE_DIR), data_dir, config)?;
    Ok((manifest, report))
}

/// Every regular file under `root`, by `/`-separated relative path, with size and blake3.
fn hash_tree(root: &Path) -> Result<BTreeMap<String, BackupFile>, BackupError> {
    let mut files = BTreeMap::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(io(&dir))? {
            let entry = entry.map_err(io(&dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(io(&path))?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            if !kind.is_file() {
                return Err(BackupError::Mismatch(format!(
                    "{} is neither a file nor a folder",
                    path.display()
                )));
            }
            let name = relative_name(root, &path)?;
            let mut hasher = blake3::Hasher::new();
            let mut file = fs::File::open(&path).map_err(io(&path))?;
            let bytes = std::io::copy(&mut file, &mut hasher).map_err(io(&path))?;
            files.insert(
                name,
                BackupFile {
                    bytes,
                    blake3: hasher.finalize().to_hex().to_string(),
                },
            );
        }
    }
    Ok(files)
}

fn relative_name(root: &Path, path: &Path) -> Result<String, BackupError> {
    let relative = path
        .strip_prefix(root)
        .map_err(|_| BackupError::Mismatch(format!("{} is outside the backup", path.display())))?;
    let mut parts = Vec::new();
    for component in relative.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            _ => {
                return Err(BackupError::Mismatch(format!(
                    "{} is not a plain relative path",
                    relative.display()
                )));
            }
        }
    }
    Ok(parts.join("/"))
}
