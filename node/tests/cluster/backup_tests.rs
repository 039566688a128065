//! Backups: a stopped node's database backed up with `yrd backup`, checked and restored with
//! `yrd restore` into an empty data directory, and the node rejoins; a tampered backup and one of
//! another chain are refused before anything is written. A running node backed up with `yrd
//! backup` through its admin socket while the chain keeps committing, restored the same way, and
//! rejoins (the refusals above apply to any backup: they are not repeated for it).

use std::path::Path;
use std::time::Duration;

use crate::harness::{Cluster, serial};

const WAIT: Duration = Duration::from_secs(60);

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[test]
fn a_backup_restores_into_a_node_that_rejoins_and_a_tampered_or_foreign_one_is_refused() {
    let _serial = serial();
    let mut cluster = Cluster::running(3);
    const NODE: usize = 2;
    assert!(cluster.terminate(NODE), "zhejiang did not stop cleanly");
    let config = cluster.nodes[NODE].config.clone();
    let config = config.to_str().expect("utf-8 path").to_owned();
    let backup = cluster.path("backup");
    let backup_arg = backup.to_str().expect("utf-8 path").to_owned();
    let made = cluster.yrd(&["backup", "--config", &config, "--out", &backup_arg]);
    assert!(
        made.status.success(),
        "yrd backup failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    let data_dir = cluster.path("zhejiang/data");
    std::fs::remove_dir_all(&data_dir).expect("remove the data directory");

    // A tampered copy: one file of the checkpoint one byte longer.
    let tampered = cluster.path("backup-tampered");
    copy_dir(&backup, &tampered);
    let current = tampered.join("db").join("CURRENT");
    let mut bytes = std::fs::read(&current).expect("CURRENT");
    bytes.push(b'\n');
    std::fs::write(&current, bytes).expect("tamper");
    let refused = cluster.yrd(&["restore", tampered.to_str().unwrap(), "--config", &config]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("does not match its manifest"), "{stderr}");
    assert!(
        !data_dir.exists(),
        "a refused restore wrote the data directory"
    );

    // A backup that says it is of another chain.
    let foreign = cluster.path("backup-foreign");
    copy_dir(&backup, &foreign);
    let manifest_path = foreign.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).expect("manifest")).expect("json");
    manifest["genesisBlockId"] = serde_json::Value::String("00".repeat(32));
    std::fs::write(&manifest_path, manifest.to_string()).expect("manifest");
    let refused = cluster.yrd(&["restore", foreign.to_str().unwrap(), "--config", &config]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("another chain") || stderr.contains("genesis block"),
        "{stderr}"
    );
    assert!(!data_dir.exists());

    // The genuine backup restores, and the node rejoins.
    let restored = cluster.yrd(&["restore", &backup_arg, "--config", &config]);
    assert!(
        restored.status.success(),
        "yrd restore failed: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    start_and_see_it_rejoin(&mut cluster, NODE);
}

#[test]
fn an_online_backup_of_a_running_node_restores_into_a_node_that_rejoins() {
    use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};

    let _serial = serial();
    let mut cluster = Cluster::running(3);
    const NODE: usize = 1;
    let config = cluster.nodes[NODE].config.clone();
    let config = config.to_str().expect("utf-8 path").to_owned();
    let data_dir = cluster.data_dir(NODE);
    let socket = data_dir.join("admin.sock");
    let meta = std::fs::symlink_metadata(&socket).expect("the running node has an admin socket");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);

    let before = cluster.height(NODE);
    let backup = cluster.path("online-backup");
    let backup_arg = backup.to_str().expect("utf-8 path").to_owned();
    let made = cluster.yrd(&["backup", "--config", &config, "--out", &backup_arg]);
    let stdout = String::from_utf8_lossy(&made.stdout);
    assert!(
        made.status.success(),
        "yrd backup of the running node failed: {}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(stdout.contains("written by the running node"), "{stdout}");
    assert!(cluster.is_running(NODE), "the backup stopped the node");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(backup.join("manifest.json")).expect("manifest"))
            .expect("json");
    let height = manifest["committedHeight"]
        .as_u64()
        .expect("committedHeight");
    assert!(
        height >= before,
        "backup at {height}, the node was at {before}"
    );

    // The chain keeps committing, the backed-up node with it.
    let moved_on = height + 3;
    cluster.wait_height(0, moved_on, WAIT);
    cluster.wait_height(NODE, moved_on, WAIT);

    // The same folder again, or one inside the data directory (the node named by its data
    // directory this time): refused, the node unaffected.
    let again = cluster.yrd(&["backup", "--config", &config, "--out", &backup_arg]);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!again.status.success());
    assert!(stderr.contains("exists"), "{stderr}");
    let inside = data_dir.join("backup");
    let refused = cluster.yrd(&[
        "backup",
        "--data",
        data_dir.to_str().expect("utf-8 path"),
        "--out",
        inside.to_str().expect("utf-8 path"),
    ]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(stderr.contains("data directory"), "{stderr}");
    assert!(!inside.exists());
    assert!(cluster.is_running(NODE));

    // Stopped, its data directory replaced by the backup, the node rejoins.
    assert!(cluster.terminate(NODE), "jiangsu did not stop cleanly");
    assert!(!socket.exists(), "a clean stop removes the admin socket");
    let old = cluster.path("jiangsu-data-before-restore");
    std::fs::rename(&data_dir, &old).expect("move the data directory aside");
    let restored = cluster.yrd(&["restore", &backup_arg, "--config", &config]);
    assert!(
        restored.status.success(),
        "yrd restore failed: {}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let said = String::from_utf8_lossy(&restored.stdout);
    assert!(
        said.contains(&format!("restored height {height} ")),
        "{said}"
    );
    start_and_see_it_rejoin(&mut cluster, NODE);
    assert_eq!(
        cluster.state_root_at(NODE, height),
        cluster.state_root_at(0, height)
    );
}

/// Starts the restored node and waits until it and node 0 both pass three more blocks, agreeing
/// on the last one.
fn start_and_see_it_rejoin(cluster: &mut Cluster, node: usize) {
    cluster.start(node);
    cluster.wait_serving(node);
    let target = cluster.height(0) + 3;
    cluster.wait_height(node, target, WAIT);
    cluster.wait_height(0, target, WAIT);
    assert_eq!(
        cluster.block_id_at(node, target),
        cluster.block_id_at(0, target)
    );
}
