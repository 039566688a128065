//! Consistent backups of a live database and restore from them.
//!
//! A checkpoint is RocksDB's own: a directory of hard links to the immutable table files plus a
//! copy of the manifest, taken at one instant while the node keeps running, so it holds whole
//! committed blocks only. Restore copies a checkpoint into a fresh data directory, opens the copy
//! to prove it is a database of this schema with a complete head, and only then moves it into
//! place. Neither ever overwrites an existing directory.

use std::fs;
use std::path::{Path, PathBuf};

use super::config::StoreConfig;
use super::error::StorageError;
use super::store::Store;
use super::tables::CommittedHead;

/// What a checkpoint captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointReport {
    /// Where the checkpoint is.
    pub path: PathBuf,
    /// The committed head at the checkpoint.
    pub committed_head: Option<CommittedHead>,
}

/// What a restore produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestoreReport {
    /// The restored data directory.
    pub path: PathBuf,
    /// The committed head of the restored database.
    pub committed_head: Option<CommittedHead>,
    /// Files copied.
    pub files_copied: u64,
    /// Bytes copied.
    pub bytes_copied: u64,
}

fn filesystem(operation: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> StorageError {
    let path = path.to_path_buf();
    move |source| StorageError::Filesystem {
        operation,
        path,
        source,
    }
}

fn is_missing_or_empty_dir(path: &Path) -> Result<bool, StorageError> {
    match fs::read_dir(path) {
        Ok(mut entries) => Ok(entries.next().is_none()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(error) => Err(StorageError::Filesystem {
            operation: "read directory",
            path: path.to_path_buf(),
            source: error,
        }),
    }
}

impl Store {
    /// Write a consistent checkpoint of the database to `destination`, which must not exist.
    /// Staged (uncommitted) tree updates are not included: a checkpoint holds committed blocks.
    pub fn checkpoint(
        &self,
        destination: impl AsRef<Path>,
    ) -> Result<CheckpointReport, StorageError> {
        let destination = destination.as_ref().to_path_buf();
        if destination.exists() {
            return Err(StorageError::DestinationExists { path: destination });
        }
        if let Some(parent) = destination
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            fs::create_dir_all(parent).map_err(filesystem("create directory", parent))?;
        }
        // Hold the commit lock so the head read below is the head the checkpoint captures.
        let _commit_guard = self
            .inner
            .commit_lock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let committed_head = self.committed_head()?;
        rocksdb::checkpoint::Checkpoint::new(&self.inner.db)
            .and_then(|checkpoint| checkpoint.create_checkpoint(&destination))
            .map_err(StorageError::backend("checkpoint", "*"))?;
        tracing::info!(
            path = %destination.display(),
            committed_height = committed_head.map(|head| head.height),
            "wrote database checkpoint"
        );
        Ok(CheckpointReport {
            path: destination,
            committed_head,
        })
    }
}

/// Restore the checkpoint in `checkpoint` into the data directory `data_dir`, which must be absent
/// or empty. The copy is verified by opening it (schema version, tables, complete head) before it
/// takes the data directory's name.
pub fn restore(
    checkpoint: impl AsRef<Path>,
    data_dir: impl AsRef<Path>,
    config: &StoreConfig,
) -> Result<RestoreReport, StorageError> {
    let checkpoint = checkpoint.as_ref();
    let data_dir = data_dir.as_ref().to_path_buf();
    if !checkpoint.join("CURRENT").is_file() {
        return Err(StorageError::InvalidCheckpoint {
            path: checkpoint.to_path_buf(),
            reason: "no CURRENT file: not a RocksDB directory".to_owned(),
        });
    }
    if !is_missing_or_empty_dir(&data_dir)? {
        return Err(StorageError::DestinationExists { path: data_dir });
    }
    let mut staging_name = data_dir.file_name().unwrap_or_default().to_os_string();
    staging_name.push(".restoring");
    let staging_dir = data_dir.with_file_name(staging_name);
    if staging_dir.exists() {
        return Err(StorageError::DestinationExists { path: staging_dir });
    }

    let (files_copied, bytes_copied) = copy_dir(checkpoint, &staging_dir)?;
    let committed_head = match Store::open(&staging_dir, config.clone()) {
        Ok(store) => store.committed_head(),
        Err(error) => Err(error),
    };
    let committed_head = match committed_head {
        Ok(head) => head,
        Err(error) => {
            // Only our own staging copy is removed.
            let _ = fs::remove_dir_all(&staging_dir);
            return Err(StorageError::InvalidCheckpoint {
                path: checkpoint.to_path_buf(),
                reason: error.to_string(),
            });
        }
    };
    if data_dir.exists() {
        fs::remove_dir(&data_dir).map_err(filesystem("remove empty directory", &data_dir))?;
    }
    fs::rename(&staging_dir, &data_dir).map_err(filesystem("rename into place", &staging_dir))?;
    tracing::info!(
        from = %checkpoint.display(),
        to = %data_dir.display(),
        files_copied,
        bytes_copied,
        committed_height = committed_head.map(|head| head.height),
        "restored database from checkpoint"
    );
    Ok(RestoreReport {
        path: data_dir,
        committed_head,
        files_copied,
        bytes_copied,
    })
}

/// Copy a directory tree; returns (files, bytes).
fn copy_dir(from: &Path, to: &Path) -> Result<(u64, u64), StorageError> {
    fs::create_dir_all(to).map_err(filesystem("create directory", to))?;
    let mut files: u64 = 0;
    let mut bytes: u64 = 0;
    for entry in fs::read_dir(from).map_err(filesystem("read directory", from))? {
        let entry = entry.map_err(filesystem("read directory", from))?;
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry.file_type().map_err(filesystem("inspect", &source))?;
        if kind.is_dir() {
            let (sub_files, sub_bytes) = copy_dir(&source, &target)?;
            files = files.saturating_add(sub_files);
            bytes = bytes.saturating_add(sub_bytes);
        } else {
            let copied = fs::copy(&source, &target).map_err(filesystem("copy", &source))?;
            fs::File::open(&target)
                .and_then(|file| file.sync_all())
                .map_err(filesystem("sync", &target))?;
            files = files.saturating_add(1);
            bytes = bytes.saturating_add(copied);
        }
    }
    // Make the copy durable before it is renamed into place.
    fs::File::open(to)
        .and_then(|dir| dir.sync_all())
        .map_err(filesystem("sync", to))?;
    Ok((files, bytes))
}
