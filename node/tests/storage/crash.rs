//! `kill -9` of a process committing blocks loses nothing it acknowledged.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tempfile::TempDir;
use yrd_contracts::tree::StateTree;

use crate::fixtures::{assert_block_complete, execute_and_commit, open, tx_hash};

const CRASH_CHILD_DIR: &str = "YRD_STORAGE_CRASH_CHILD_DIR";
const CRASH_TXS_PER_BLOCK: u32 = 2;

/// Not a test on its own: the child process of the crash test. Commits blocks from the committed
/// head on, printing `ack <height>` after each commit returns, until it is killed.
#[test]
fn crash_child_commits_until_killed() {
    let Ok(dir) = std::env::var(CRASH_CHILD_DIR) else {
        return;
    };
    let store = open(Path::new(&dir));
    let mut tree = StateTree::new(store.tree_store());
    let first = store
        .committed_head()
        .unwrap()
        .map_or(0, |head| head.height + 1);
    let mut stdout = std::io::stdout().lock();
    for height in first..first + 100_000 {
        execute_and_commit(&store, &mut tree, height, CRASH_TXS_PER_BLOCK);
        writeln!(stdout, "ack {height}").unwrap();
        stdout.flush().unwrap();
    }
}

/// Run the child until it has acknowledged `acks` blocks, wait a little more, `kill -9` it.
/// Returns the last acknowledged height.
fn run_child_and_kill(dir: &Path, acks: usize, extra_delay: Duration) -> u64 {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "crash::crash_child_commits_until_killed",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CRASH_CHILD_DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut last_ack = None;
    let mut seen = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(height) = line.strip_prefix("ack ") {
            last_ack = Some(height.parse::<u64>().unwrap());
            seen += 1;
            if seen == acks {
                break;
            }
        }
    }
    std::thread::sleep(extra_delay);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    last_ack.expect("the child acknowledged no block")
}

#[test]
fn kill_9_loses_no_acknowledged_block() {
    let dir = TempDir::new().unwrap();
    let mut rng = StdRng::seed_from_u64(0xc4a5_0009);
    for round in 0..3 {
        let acks = rng.gen_range(3..25);
        let delay = Duration::from_micros(rng.gen_range(0..3_000));
        let last_ack = run_child_and_kill(dir.path(), acks, delay);

        let store = open(dir.path());
        let tree = StateTree::new(store.tree_store());
        let head = store.committed_head().unwrap().unwrap();
        assert!(
            head.height >= last_ack,
            "round {round}: acknowledged {last_ack}, head {}",
            head.height
        );
        assert_eq!(tree.latest_version().unwrap(), Some(head.height));
        assert_eq!(tree.root_at(head.height).unwrap().0, head.state_root);
        for height in 0..=head.height {
            assert_block_complete(&store, &tree, height, CRASH_TXS_PER_BLOCK);
        }
        // Nothing of a later block is on disk.
        let next = head.height + 1;
        assert_eq!(store.block(next).unwrap(), None);
        assert_eq!(store.certificate(next).unwrap(), None);
        assert!(store.block_transactions(next).unwrap().is_empty());
        assert!(
            store
                .transaction_by_hash(&tx_hash(next, 0))
                .unwrap()
                .is_none()
        );
        assert!(tree.root_at(next).is_err());
    }
}

/// Sizes of the write-ahead logs in `dir`.
fn log_sizes(dir: &Path) -> Vec<(std::path::PathBuf, u64)> {
    let mut logs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
        .map(|entry| (entry.path(), entry.metadata().unwrap().len()))
        .collect();
    logs.sort();
    logs
}

/// The simulator's power cut rests on this: with `manual_wal_flush`, the write-ahead log on disk
/// holds exactly the synced writes, so cutting it back to its size at an instant loses what was
/// written but not synced by then and keeps everything synced — and the database opens after it.
#[test]
fn with_manual_wal_flush_the_log_on_disk_holds_only_synced_writes() {
    use yrd_node::storage::tables::TreeValues;
    use yrd_node::storage::{Store, StoreConfig, WriteBatch};

    let dir = TempDir::new().unwrap();
    let config = StoreConfig {
        manual_wal_flush: true,
        ..StoreConfig::default()
    };
    let put = |byte: u8| {
        let mut batch = WriteBatch::new();
        batch
            .put::<TreeValues>(&([byte; 32], 0), &Some(vec![byte; 100]))
            .unwrap();
        batch
    };
    let store = Store::open(dir.path(), config.clone()).unwrap();
    store.write(put(1)).unwrap();
    store.write_synced(put(2)).unwrap();
    let synced = log_sizes(dir.path());
    store.write(put(3)).unwrap();
    assert_eq!(
        log_sizes(dir.path()),
        synced,
        "an unsynced write stays in the process"
    );
    let watch = store.close_watch();
    assert!(!watch.is_closed());
    drop(store);
    assert!(watch.is_closed());
    let closed = log_sizes(dir.path());
    let total = |logs: &[(std::path::PathBuf, u64)]| logs.iter().map(|(_, len)| len).sum::<u64>();
    assert!(
        total(&closed) > total(&synced),
        "closing writes the buffered tail"
    );

    // The power cut: every log back to its size at the instant of the cut.
    for (path, len) in &synced {
        let file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
        file.set_len(*len).unwrap();
    }
    let store = Store::open(dir.path(), config).unwrap();
    let value = |byte: u8| store.get::<TreeValues>(&([byte; 32], 0)).unwrap();
    assert_eq!(
        value(1),
        Some(Some(vec![1; 100])),
        "synced by the later synced write"
    );
    assert_eq!(value(2), Some(Some(vec![2; 100])), "synced");
    assert_eq!(value(3), None, "written after the last sync: lost");
}

/// `max_total_wal_bytes` bounds the write-ahead log on disk. A log file can be deleted only once
/// every table's memtable holding its writes is flushed, so one table written a little at every
/// commit (here `tree_latest_values`, in a node the metadata) keeps every log alive while the
/// busy table flushes; without the bound the logs grow with everything written.
#[test]
fn the_write_ahead_log_stays_within_max_total_wal_bytes() {
    use yrd_node::storage::tables::{TreeLatestValues, TreeValues};
    use yrd_node::storage::{Store, StoreConfig, WriteBatch};

    const MIB: u64 = 1024 * 1024;
    let peak_logs = |max_total_wal_bytes: u64| -> u64 {
        let dir = TempDir::new().unwrap();
        let config = StoreConfig {
            write_buffer_size_bytes: MIB as usize,
            max_total_wal_bytes,
            ..StoreConfig::default()
        };
        let store = Store::open(dir.path(), config).unwrap();
        let mut peak = 0;
        for i in 0..400u32 {
            let mut key = [0u8; 32];
            key[..4].copy_from_slice(&i.to_be_bytes());
            let mut batch = WriteBatch::new();
            batch
                .put::<TreeValues>(&(key, 0), &Some(vec![7; 256 * 1024]))
                .unwrap();
            batch
                .put::<TreeLatestValues>(&key, &(0, Some(vec![1])))
                .unwrap();
            store.write(batch).unwrap();
            peak = peak.max(live_log_bytes(dir.path()));
        }
        peak
    };
    // 100 MiB written in all.
    let bounded = peak_logs(8 * MIB);
    assert!(
        bounded <= 8 * MIB + 4 * MIB,
        "with an 8 MiB bound the logs peaked at {bounded} bytes"
    );
    let unbounded = peak_logs(64 * 1024 * MIB);
    assert!(
        unbounded > 50 * MIB,
        "without a bound that binds, the logs should keep what was written (peaked at {unbounded} bytes)"
    );
}

/// Bytes in the write-ahead logs in `dir` now. RocksDB deletes logs in the background, so a file
/// listed may be gone before its size is read: it counts as deleted.
fn live_log_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().ends_with(".log"))
        .filter_map(|entry| entry.metadata().ok())
        .map(|metadata| metadata.len())
        .sum()
}
