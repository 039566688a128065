//! The node's admin socket (`yrd_node::admin`) against a real store in a temporary folder: an
//! online backup while blocks keep committing, whose manifest verifies and whose height and state
//! root are the checkpoint's own; hostile or mistaken requests refused with clear errors while the
//! listener keeps serving; the socket file's mode, replacement when stale, and removal.

#[path = "storage/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tempfile::TempDir;
use yrd_contracts::tree::StateTree;
use yrd_node::admin::{
    AdminAnswer, AdminError, AdminLimits, AdminServer, BackupSummary, MAX_REQUEST_BYTES,
    RefusalKind, exchange, request_backup, socket_path,
};
use yrd_node::storage::{Store, StoreConfig, check_backup, restore_backup};

use fixtures::{assert_block_complete, execute_and_commit, open};

const WAIT: Duration = Duration::from_secs(30);

fn limits() -> AdminLimits {
    AdminLimits {
        request_timeout: Duration::from_millis(500),
        max_connections: 2,
    }
}

/// A store with blocks 0..=`height` committed.
fn store_at(dir: &Path, height: u64) -> Store {
    let store = open(dir);
    let mut tree = StateTree::new(store.tree_store());
    for h in 0..=height {
        execute_and_commit(&store, &mut tree, h, 2);
    }
    store
}

/// The client is blocking: run it off the runtime's workers.
async fn ask(socket: &Path, request: &[u8]) -> Result<AdminAnswer, AdminError> {
    let socket = socket.to_path_buf();
    let request = request.to_vec();
    tokio::task::spawn_blocking(move || exchange(&socket, &request, WAIT))
        .await
        .expect("client thread")
}

async fn backup(socket: &Path, out: &Path) -> Result<BackupSummary, AdminError> {
    let socket = socket.to_path_buf();
    let out = out.to_path_buf();
    tokio::task::spawn_blocking(move || request_backup(&socket, &out, WAIT))
        .await
        .expect("client thread")
}

fn refusal(answer: Result<AdminAnswer, AdminError>) -> (RefusalKind, String) {
    match answer {
        Ok(AdminAnswer::Error(refusal)) => (refusal.kind, refusal.message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// Checks a backup as `yrd restore` does, restores it, and returns the restored directory after
/// checking that the manifest's height and state root are the restored database's head.
fn restore_and_check(store: &Store, backup: &Path, target: &Path, summary: &BackupSummary) {
    let manifest = check_backup(backup).expect("the manifest verifies");
    assert_eq!(manifest.committed_height, summary.committed_height);
    assert_eq!(manifest.state_root, summary.state_root);
    assert_eq!(manifest.files.len(), summary.files);
    let genesis = store.genesis_hash().unwrap().unwrap();
    let (_, report) = restore_backup(backup, target, &genesis, &StoreConfig::default())
        .expect("the backup restores");
    let head = report.committed_head.expect("a committed head");
    assert_eq!(head.height, manifest.committed_height);
    assert_eq!(hex::encode(head.state_root), manifest.state_root);
    let restored = open(target);
    let tree = StateTree::new(restored.tree_store());
    for height in 0..=head.height {
        assert_block_complete(&restored, &tree, height, 2);
    }
    assert_eq!(restored.block(head.height + 1).unwrap(), None);
    assert_eq!(
        hex::encode(tree.root_at(head.height).unwrap().0),
        manifest.state_root
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_online_backup_while_blocks_commit_holds_whole_blocks_and_its_manifest_verifies() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let store = store_at(&data, 5);
    let server = AdminServer::start_with(&data, store.clone(), limits()).unwrap();
    let socket = socket_path(&data);
    assert_eq!(server.path(), socket);
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is the node user's only");

    // Blocks keep committing while the backups are taken.
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let store = store.clone();
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut tree = StateTree::new(store.tree_store());
            let mut height = 6;
            while !stop.load(Ordering::Relaxed) && height < 2_000 {
                execute_and_commit(&store, &mut tree, height, 2);
                height += 1;
            }
            height
        })
    };
    let mut summaries = Vec::new();
    for i in 0..3 {
        let out = dir.path().join(format!("backup-{i}"));
        let summary = backup(&socket, &out).await.expect("online backup");
        assert_eq!(summary.out, out);
        summaries.push(summary);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let next = writer.join().unwrap();
    assert!(next > 6, "the writer committed meanwhile");
    assert!(summaries[0].committed_height >= 5);
    assert!(
        summaries
            .windows(2)
            .all(|pair| pair[0].committed_height <= pair[1].committed_height)
    );
    for (i, summary) in summaries.iter().enumerate() {
        restore_and_check(
            &store,
            &dir.path().join(format!("backup-{i}")),
            &dir.path().join(format!("restored-{i}")),
            summary,
        );
    }
    assert_eq!(server.answered(), 3);
    assert_eq!(server.refused(), 0);

    // Requests at once: each is written whole or refused as busy (one backup at a time), never
    // two half-written into each other. Whether one overlaps another depends on timing.
    let concurrent: Vec<_> = (0..3)
        .map(|i| {
            let socket = socket.clone();
            let out = dir.path().join(format!("concurrent-{i}"));
            tokio::spawn(async move { (out.clone(), backup(&socket, &out).await) })
        })
        .collect();
    let mut written = 0;
    let mut busy = 0;
    for task in concurrent {
        let (out, result) = task.await.unwrap();
        match result {
            Ok(summary) => {
                check_backup(&out).expect("a concurrent backup verifies");
                assert_eq!(summary.out, out);
                written += 1;
            }
            Err(AdminError::Refused(refusal)) => {
                assert_eq!(refusal.kind, RefusalKind::Busy, "{}", refusal.message);
                assert!(!out.exists(), "a refused request wrote {}", out.display());
                busy += 1;
            }
            Err(other) => panic!("unexpected error: {other}"),
        }
    }
    assert!(written >= 1);
    assert_eq!(server.answered(), 3 + written);
    assert_eq!(server.refused(), busy);
    drop(server);
    assert!(!socket.exists(), "a stopped listener removes its socket");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_clearly_and_the_listener_keeps_serving() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let store = store_at(&data, 3);
    let server = AdminServer::start_with(&data, store.clone(), limits()).unwrap();
    let socket = socket_path(&data);
    let mut refused = 0;

    let (kind, message) = refusal(ask(&socket, b"this is not json").await);
    assert_eq!(kind, RefusalKind::Malformed, "{message}");
    refused += 1;
    let (kind, message) = refusal(ask(&socket, br#"{"method":"restore","out":"/tmp/x"}"#).await);
    assert_eq!(kind, RefusalKind::Malformed);
    assert!(message.contains("unknown method"), "{message}");
    refused += 1;
    let (kind, _) = refusal(
        ask(
            &socket,
            br#"{"method":"backup","out":"/tmp/x","also":"this"}"#,
        )
        .await,
    );
    assert_eq!(kind, RefusalKind::Malformed);
    refused += 1;

    // An existing output folder is never written into.
    let existing = dir.path().join("existing");
    std::fs::create_dir(&existing).unwrap();
    std::fs::write(existing.join("keep.txt"), b"mine").unwrap();
    match backup(&socket, &existing).await {
        Err(AdminError::Refused(refusal)) => {
            assert_eq!(refusal.kind, RefusalKind::BadOutput);
            assert!(refusal.message.contains("exists"), "{}", refusal.message);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    refused += 1;
    let entries: Vec<_> = std::fs::read_dir(&existing).unwrap().collect();
    assert_eq!(
        entries.len(),
        1,
        "nothing was written into the existing folder"
    );

    // Relative paths, `..`, a missing parent and the data directory itself are refused.
    for (out, says) in [
        ("relative/backup", "absolute"),
        ("/tmp/../tmp/backup", ".."),
        ("/nonexistent-parent-folder/backup", "parent folder"),
    ] {
        let request = format!(r#"{{"method":"backup","out":"{out}"}}"#);
        let (kind, message) = refusal(ask(&socket, request.as_bytes()).await);
        assert_eq!(kind, RefusalKind::BadOutput, "{out}: {message}");
        assert!(message.contains(says), "{out}: {message}");
        refused += 1;
    }
    let inside = data.join("backup");
    match backup(&socket, &inside).await {
        Err(AdminError::Refused(refusal)) => {
            assert_eq!(refusal.kind, RefusalKind::BadOutput);
            assert!(
                refusal.message.contains("data directory"),
                "{}",
                refusal.message
            );
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(!inside.exists());
    refused += 1;

    // Another filesystem (where one is at hand): the checkpoint would be a copy made under the
    // commit lock.
    let elsewhere = Path::new("/dev/shm");
    let device = |path: &Path| std::fs::metadata(path).map(|meta| meta.dev());
    if let (Ok(theirs), Ok(ours)) = (device(elsewhere), device(dir.path()))
        && theirs != ours
    {
        let out = elsewhere.join(format!("yrd-admin-test-{}", std::process::id()));
        match backup(&socket, &out).await {
            Err(AdminError::Refused(refusal)) => {
                assert_eq!(refusal.kind, RefusalKind::BadOutput);
                assert!(
                    refusal.message.contains("another filesystem"),
                    "{}",
                    refusal.message
                );
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert!(!out.exists());
        refused += 1;
    }

    // An oversized request is cut off at the bound.
    let huge = vec![b'a'; 4 * MAX_REQUEST_BYTES];
    let (kind, message) = refusal(ask(&socket, &huge).await);
    assert_eq!(kind, RefusalKind::TooLarge, "{message}");
    refused += 1;

    // A client that connects and says nothing is answered with a timeout, and while it holds one
    // of the two connections and a second silent one the other, a third is told the node is busy.
    let silent = |socket: PathBuf| {
        std::thread::spawn(move || {
            let mut stream = std::os::unix::net::UnixStream::connect(&socket).unwrap();
            stream.set_read_timeout(Some(WAIT)).unwrap();
            let mut answer = String::new();
            std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
            let _ = stream.write_all(b"");
            answer
        })
    };
    let first = silent(socket.clone());
    let second = silent(socket.clone());
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (kind, message) = refusal(ask(&socket, b"{}").await);
    assert_eq!(kind, RefusalKind::Busy, "{message}");
    refused += 1;
    for silent in [first, second] {
        let answer = silent.join().unwrap();
        let answer: AdminAnswer = serde_json::from_str(answer.trim()).unwrap();
        assert!(
            matches!(&answer, AdminAnswer::Error(refusal) if refusal.kind == RefusalKind::Timeout),
            "{answer:?}"
        );
        refused += 1;
    }

    // After all that, the listener still serves a good request.
    let out = dir.path().join("good");
    let summary = backup(&socket, &out)
        .await
        .expect("a good request is served");
    restore_and_check(&store, &out, &dir.path().join("restored"), &summary);
    assert_eq!(server.answered(), 1);
    assert_eq!(server.refused(), refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_socket_is_replaced_and_a_foreign_file_is_not() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let store = store_at(&data, 1);
    let socket = socket_path(&data);

    // No node listening: the client is told so (`yrd backup` then opens the database itself).
    match backup(&socket, &dir.path().join("b0")).await {
        Err(AdminError::NotListening { .. }) => {}
        other => panic!("expected NotListening, got {other:?}"),
    }

    // A socket left by a crashed node is replaced.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());
    match backup(&socket, &dir.path().join("b1")).await {
        Err(AdminError::NotListening { .. }) => {}
        other => panic!("expected NotListening from a stale socket, got {other:?}"),
    }
    let server = AdminServer::start_with(&data, store.clone(), limits()).unwrap();
    let summary = backup(&socket, &dir.path().join("b2")).await.unwrap();
    assert_eq!(summary.committed_height, 1);
    drop(server);

    // Something else under the socket's name is left alone and the listener does not start.
    std::fs::write(&socket, b"not a socket").unwrap();
    match AdminServer::start_with(&data, store, limits()) {
        Err(AdminError::NotASocket { .. }) => {}
        Err(other) => panic!("expected NotASocket, got {other:?}"),
        Ok(_) => panic!("started over a regular file"),
    }
    assert_eq!(std::fs::read(&socket).unwrap(), b"not a socket");
}
