//! The node's local admin channel: a Unix domain socket in its data directory
//! (`<data_dir>/admin.sock`, mode 0600) through which `yrd backup` asks a running node for an
//! online backup (ADR 015; docs/OPERATIONS.md, "Backups").
//!
//! Only the node's own OS user reaches it: the socket file is `0600`, and every connection's peer
//! credentials are checked against the socket's owner. It is never exposed on the network, and
//! nothing of it is a JSON-RPC method.
//!
//! The protocol is one JSON request line and one JSON answer line per connection:
//!
//! ```text
//! → {"method":"backup","out":"/var/lib/yrd/backups/2026-12-05T0100Z"}
//! ← {"backup":{"out":"…","committedHeight":812,"stateRoot":"…","genesisBlockId":"…","files":9,"bytes":104857}}
//! ← {"error":{"kind":"busy","message":"a backup is already being written"}}
//! ```
//!
//! A request is at most [`MAX_REQUEST_BYTES`] and must arrive within the request timeout; one
//! backup is written at a time (a second request meanwhile is refused as `busy`), at most
//! [`AdminLimits::max_connections`] connections are served at once, and the output folder must be
//! an absolute path that does not exist, whose parent exists, outside the data directory but on
//! its filesystem. The backup itself ([`write_backup`]) runs on a blocking thread. The checkpoint
//! holds the store's commit lock while RocksDB flushes its memtables and links the files, so it
//! holds whole committed blocks and the manifest's height and state root are the ones it holds;
//! on another filesystem the links would be copies made under that lock, hence the rule. The
//! hashing happens after. Every refusal is counted ([`AdminServer::refused`]) and logged.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

use crate::storage::{BackupManifest, Store, write_backup};

/// The socket's file name inside the data directory.
pub const SOCKET_FILE: &str = "admin.sock";
/// Largest request accepted, newline included.
pub const MAX_REQUEST_BYTES: usize = 4 * 1024;
/// Largest answer a client reads.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The admin socket of the node whose data directory is `data_dir`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_FILE)
}

/// How much the admin socket serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminLimits {
    /// Time for a client to send its whole request (and to read the answer).
    pub request_timeout: Duration,
    /// Connections served at once; more are answered `busy`.
    pub max_connections: usize,
}

impl Default for AdminLimits {
    fn default() -> Self {
        Self {
            request_timeout: Duration::from_secs(10),
            max_connections: 4,
        }
    }
}

/// A request to the node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminRequest {
    /// What to do: `backup` is the only method.
    pub method: String,
    /// Where to write the backup: an absolute path that does not exist.
    pub out: PathBuf,
}

/// The node's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AdminAnswer {
    /// The backup is written.
    Backup(BackupSummary),
    /// The request was refused or failed; nothing was written unless `kind` is `backupFailed`
    /// (then the output folder may hold a partial checkpoint without a manifest).
    Error(Refusal),
}

/// What a finished backup holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BackupSummary {
    /// The backup folder.
    pub out: PathBuf,
    /// The committed height the checkpoint holds.
    pub committed_height: u64,
    /// The state root at that height, hex.
    pub state_root: String,
    /// The chain's genesis block id, hex.
    pub genesis_block_id: String,
    /// Files in the checkpoint.
    pub files: usize,
    /// Their total size.
    pub bytes: u64,
}

impl BackupSummary {
    fn new(out: PathBuf, manifest: &BackupManifest) -> Self {
        Self {
            out,
            committed_height: manifest.committed_height,
            state_root: manifest.state_root.clone(),
            genesis_block_id: manifest.genesis_block_id.clone(),
            files: manifest.files.len(),
            bytes: manifest
                .files
                .values()
                .fold(0u64, |sum, file| sum.saturating_add(file.bytes)),
        }
    }
}

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Refusal {
    /// Why, as a word a script can match.
    pub kind: RefusalKind,
    /// Why, for a person.
    pub message: String,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RefusalKind {
    /// A backup is being written, or too many connections are open.
    Busy,
    /// The request is not one JSON request line of this protocol.
    Malformed,
    /// The request is larger than [`MAX_REQUEST_BYTES`].
    TooLarge,
    /// The request did not arrive within the request timeout.
    Timeout,
    /// The connecting process is not the node's OS user.
    Forbidden,
    /// The output folder is not acceptable (exists, relative, inside the data directory, …).
    BadOutput,
    /// The backup was started and failed.
    BackupFailed,
}

impl std::fmt::Display for RefusalKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Busy => "busy",
            Self::Malformed => "malformed",
            Self::TooLarge => "tooLarge",
            Self::Timeout => "timeout",
            Self::Forbidden => "forbidden",
            Self::BadOutput => "badOutput",
            Self::BackupFailed => "backupFailed",
        })
    }
}

/// Why the admin socket cannot be opened, or why a request to it failed.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Nothing listens on the socket (no node runs on this data directory, or it is stale).
    #[error("no node answers on {path}: {source}")]
    NotListening {
        /// The socket.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Reading, writing or binding the socket failed.
    #[error("admin socket {path}: {source}")]
    Io {
        /// The socket.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Something other than a socket has the socket's name.
    #[error("{path} exists and is not a socket; move it away")]
    NotASocket {
        /// The path.
        path: PathBuf,
    },
    /// The node refused the request or the backup failed.
    #[error("the node refused the request ({}): {}", .0.kind, .0.message)]
    Refused(Refusal),
    /// The node's answer is not of this protocol.
    #[error("the node's answer is malformed: {0}")]
    BadAnswer(String),
    /// The request cannot be sent (a path that is not UTF-8).
    #[error("cannot send the request: {0}")]
    BadRequest(String),
}

/// The running admin socket. Dropping it stops the listener and removes the socket file (a
/// backup already being written finishes on its blocking thread).
pub struct AdminServer {
    path: PathBuf,
    served: Arc<Served>,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct Served {
    answered: AtomicU64,
    refused: AtomicU64,
}

struct Context {
    store: Store,
    data_dir: PathBuf,
    owner_uid: u32,
    limits: AdminLimits,
    backup_slot: Arc<Semaphore>,
    connections: Arc<Semaphore>,
    served: Arc<Served>,
}

impl AdminServer {
    /// Listen on `<data_dir>/admin.sock` with the default limits. Call it once the store is open
    /// (its lock proves no other node uses this directory, so an existing socket is stale and is
    /// replaced). Must be called inside a tokio runtime.
    pub fn start(data_dir: &Path, store: Store) -> Result<Self, AdminError> {
        Self::start_with(data_dir, store, AdminLimits::default())
    }

    /// [`AdminServer::start`] with other limits.
    pub fn start_with(
        data_dir: &Path,
        store: Store,
        limits: AdminLimits,
    ) -> Result<Self, AdminError> {
        let path = socket_path(data_dir);
        let io = |source| AdminError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_socket() => {
                std::fs::remove_file(&path).map_err(io)?;
                tracing::info!(path = %path.display(), "replaced a stale admin socket");
            }
            Ok(_) => return Err(AdminError::NotASocket { path: path.clone() }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(io(error)),
        }
        let listener = UnixListener::bind(&path).map_err(io)?;
        // The peer-credential check below also covers the instant before the mode is set.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        let owner_uid = std::fs::metadata(&path).map_err(io)?.uid();
        let served = Arc::new(Served::default());
        let context = Arc::new(Context {
            store,
            data_dir: data_dir.to_path_buf(),
            owner_uid,
            limits,
            backup_slot: Arc::new(Semaphore::new(1)),
            connections: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            served: Arc::clone(&served),
        });
        let task = tokio::spawn(accept_loop(listener, context));
        Ok(Self { path, served, task })
    }

    /// The socket file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Requests answered with a backup.
    pub fn answered(&self) -> u64 {
        self.served.answered.load(Ordering::Relaxed)
    }

    /// Requests refused (or whose backup failed).
    pub fn refused(&self) -> u64 {
        self.served.refused.load(Ordering::Relaxed)
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        self.task.abort();
        match std::fs::remove_file(&self.path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => tracing::warn!(
                path = %self.path.display(),
                %error,
                "could not remove the admin socket"
            ),
        }
    }
}

async fn accept_loop(listener: UnixListener, context: Arc<Context>) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(Arc::clone(&context).serve(stream));
            }
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "admin socket: accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

fn refuse(kind: RefusalKind, message: impl Into<String>) -> AdminAnswer {
    AdminAnswer::Error(Refusal {
        kind,
        message: message.into(),
    })
}

impl Context {
    async fn serve(self: Arc<Self>, mut stream: UnixStream) {
        let answer = self.answer(&mut stream).await;
        match &answer {
            AdminAnswer::Backup(summary) => {
                self.served.answered.fetch_add(1, Ordering::Relaxed);
                tracing::info!(
                    out = %summary.out.display(),
                    committed_height = summary.committed_height,
                    files = summary.files,
                    "admin socket: backup written"
                );
            }
            AdminAnswer::Error(refusal) => {
                let refused = self
                    .served
                    .refused
                    .fetch_add(1, Ordering::Relaxed)
                    .saturating_add(1);
                tracing::warn!(
                    kind = %refusal.kind,
                    message = %refusal.message,
                    refused_total = refused,
                    "admin socket: request refused"
                );
            }
        }
        let mut line = serde_json::to_vec(&answer).unwrap_or_else(|_| {
            br#"{"error":{"kind":"backupFailed","message":"answer not encodable"}}"#.to_vec()
        });
        line.push(b'\n');
        let written = tokio::time::timeout(self.limits.request_timeout, async {
            stream.write_all(&line).await?;
            stream.shutdown().await
        })
        .await;
        if !matches!(written, Ok(Ok(()))) {
            tracing::debug!("admin socket: the client left before the answer");
        }
    }

    async fn answer(&self, stream: &mut UnixStream) -> AdminAnswer {
        let Ok(_connection) = Arc::clone(&self.connections).try_acquire_owned() else {
            return refuse(RefusalKind::Busy, "too many admin connections at once");
        };
        match stream.peer_cred() {
            Ok(cred) if cred.uid() == self.owner_uid => {}
            Ok(cred) => {
                return refuse(
                    RefusalKind::Forbidden,
                    format!(
                        "uid {} is not the node's user (uid {})",
                        cred.uid(),
                        self.owner_uid
                    ),
                );
            }
            Err(error) => {
                return refuse(
                    RefusalKind::Forbidden,
                    format!("cannot read the peer's credentials: {error}"),
                );
            }
        }
        let line =
            match tokio::time::timeout(self.limits.request_timeout, read_request(stream)).await {
                Err(_) => {
                    return refuse(
                        RefusalKind::Timeout,
                        format!(
                            "no complete request within {} ms",
                            self.limits.request_timeout.as_millis()
                        ),
                    );
                }
                Ok(Err(answer)) => return answer,
                Ok(Ok(line)) => line,
            };
        let request: AdminRequest = match serde_json::from_slice(&line) {
            Ok(request) => request,
            Err(error) => {
                return refuse(
                    RefusalKind::Malformed,
                    format!("not a request of this protocol: {error}"),
                );
            }
        };
        if request.method != "backup" {
            return refuse(
                RefusalKind::Malformed,
                format!(
                    "unknown method {:?}; the only method is \"backup\"",
                    request.method
                ),
            );
        }
        if let Err(message) = self.check_output(&request.out) {
            return refuse(RefusalKind::BadOutput, message);
        }
        let Ok(permit) = Arc::clone(&self.backup_slot).try_acquire_owned() else {
            return refuse(RefusalKind::Busy, "a backup is already being written");
        };
        let store = self.store.clone();
        let out = request.out;
        tracing::info!(out = %out.display(), "admin socket: writing a backup");
        let written = tokio::task::spawn_blocking(move || {
            // The slot stays taken until the backup is done, even if the client left.
            let _permit = permit;
            write_backup(&store, &out).map(|manifest| BackupSummary::new(out, &manifest))
        })
        .await;
        match written {
            Ok(Ok(summary)) => AdminAnswer::Backup(summary),
            Ok(Err(error)) => refuse(RefusalKind::BackupFailed, error.to_string()),
            Err(error) => refuse(
                RefusalKind::BackupFailed,
                format!("the backup thread failed: {error}"),
            ),
        }
    }

    /// The output folder: absolute, plain (no `..`), absent, its parent an existing folder
    /// outside the data directory.
    fn check_output(&self, out: &Path) -> Result<(), String> {
        if !out.is_absolute() {
            return Err(format!("{} is not an absolute path", out.display()));
        }
        if out
            .components()
            .any(|component| !matches!(component, Component::RootDir | Component::Normal(_)))
        {
            return Err(format!(
                "{} has `.` or `..` components; name the folder plainly",
                out.display()
            ));
        }
        match std::fs::symlink_metadata(out) {
            Ok(_) => {
                return Err(format!(
                    "{} exists; a backup never writes into an existing path",
                    out.display()
                ));
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => return Err(format!("{}: {error}", out.display())),
        }
        let parent = out
            .parent()
            .ok_or_else(|| format!("{} has no parent folder", out.display()))?;
        let parent = parent
            .canonicalize()
            .map_err(|error| format!("parent folder {}: {error}", parent.display()))?;
        if !parent.is_dir() {
            return Err(format!("{} is not a folder", parent.display()));
        }
        let data_dir = self
            .data_dir
            .canonicalize()
            .map_err(|error| format!("data directory {}: {error}", self.data_dir.display()))?;
        if parent.starts_with(&data_dir) {
            return Err(format!(
                "{} is inside the node's data directory {}; write backups elsewhere",
                out.display(),
                data_dir.display()
            ));
        }
        // On another filesystem RocksDB copies every table file instead of linking it, and block
        // commits would wait for the whole copy.
        let device = |path: &Path| {
            std::fs::metadata(path)
                .map(|meta| meta.dev())
                .map_err(|error| format!("{}: {error}", path.display()))
        };
        if device(&parent)? != device(&data_dir)? {
            return Err(format!(
                "{} is on another filesystem than the data directory {}: the checkpoint would be \
                 a full copy made while block commits wait; write the backup beside the data \
                 directory and copy it elsewhere afterwards",
                parent.display(),
                data_dir.display()
            ));
        }
        Ok(())
    }
}

/// One request line of at most [`MAX_REQUEST_BYTES`]: up to a newline, or to the end of the
/// stream if the client shut its side down.
async fn read_request(stream: &mut UnixStream) -> Result<Vec<u8>, AdminAnswer> {
    let limit = MAX_REQUEST_BYTES as u64;
    let mut reader = BufReader::new(stream).take(limit.saturating_add(1));
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line).await.map_err(|error| {
        refuse(
            RefusalKind::Malformed,
            format!("reading the request: {error}"),
        )
    })?;
    if line.len() > MAX_REQUEST_BYTES {
        return Err(refuse(
            RefusalKind::TooLarge,
            format!("the request is larger than {MAX_REQUEST_BYTES} bytes"),
        ));
    }
    if line.is_empty() {
        return Err(refuse(RefusalKind::Malformed, "an empty request"));
    }
    Ok(line)
}

/// Sends `request` (one line; a newline is added if missing) to the admin socket at `socket`
/// and reads the answer, waiting at most `timeout` for each read and write.
pub fn exchange(
    socket: &Path,
    request: &[u8],
    timeout: Duration,
) -> Result<AdminAnswer, AdminError> {
    use std::io::{BufRead as _, Read as _, Write as _};

    let mut stream = std::os::unix::net::UnixStream::connect(socket).map_err(|source| {
        AdminError::NotListening {
            path: socket.to_path_buf(),
            source,
        }
    })?;
    let io = |source| AdminError::Io {
        path: socket.to_path_buf(),
        source,
    };
    stream.set_read_timeout(Some(timeout)).map_err(io)?;
    stream.set_write_timeout(Some(timeout)).map_err(io)?;
    // A refused request may be answered before it is read to the end: a failed write still
    // leaves the answer to read.
    let sent = stream
        .write_all(request)
        .and_then(|()| {
            if request.last() == Some(&b'\n') {
                Ok(())
            } else {
                stream.write_all(b"\n")
            }
        })
        .and_then(|()| stream.flush());
    let mut answer = Vec::new();
    let read = std::io::BufReader::new(&stream)
        .take(MAX_ANSWER_BYTES as u64)
        .read_until(b'\n', &mut answer);
    match (read, sent) {
        (Ok(_), _) if !answer.is_empty() => {}
        (Err(error), _)
            if error.kind() == std::io::ErrorKind::WouldBlock
                || error.kind() == std::io::ErrorKind::TimedOut =>
        {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("no answer within {timeout:?}"),
            )));
        }
        (_, Err(error)) | (Err(error), Ok(())) => return Err(io(error)),
        (Ok(_), Ok(())) => {
            return Err(AdminError::BadAnswer(
                "the node closed the connection without answering".to_owned(),
            ));
        }
    }
    serde_json::from_slice(&answer).map_err(|error| AdminError::BadAnswer(error.to_string()))
}

/// Asks the node listening on `socket` to write a backup into `out` (absolute, absent), waiting
/// at most `timeout` for its answer.
pub fn request_backup(
    socket: &Path,
    out: &Path,
    timeout: Duration,
) -> Result<BackupSummary, AdminError> {
    if out.to_str().is_none() {
        return Err(AdminError::BadRequest(format!(
            "{} is not valid UTF-8",
            out.display()
        )));
    }
    let request = AdminRequest {
        method: "backup".to_owned(),
        out: out.to_path_buf(),
    };
    let line =
        serde_json::to_vec(&request).map_err(|error| AdminError::BadRequest(error.to_string()))?;
    match exchange(socket, &line, timeout)? {
        AdminAnswer::Backup(summary) => Ok(summary),
        AdminAnswer::Error(refusal) => Err(AdminError::Refused(refusal)),
    }
}
