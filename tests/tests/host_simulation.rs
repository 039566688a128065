//! The real-host simulator's fast set (run by `cargo test -p yrd-tests`): four real node hosts
//! over RocksDB, on the simulated network and virtual clock, under seeded faults (lost and slow
//! messages, crashes and restarts from disk, a node cut off, in some seeds a member corrupting
//! its sync answers). `scripts/sim.sh host --seeds N` runs many more in release mode.

use yrd_tests::hostsim::{HostSimOptions, replay_command, run_host_seed};

/// Seeds of the fast set.
const FAST_SET: std::ops::Range<u64> = 0..12;

#[test]
fn fast_set_of_real_host_seeds() {
    let mut failures = Vec::new();
    let mut crashes = 0;
    let mut byzantine_runs = 0;
    let mut syncing_seen = 0;
    for seed in FAST_SET {
        let report = run_host_seed(seed, HostSimOptions::default());
        crashes += report.crashes;
        syncing_seen += report.syncing_seen;
        if report.byzantine.is_some() {
            byzantine_runs += 1;
            // The corrupt member's answers were noticed, not silently used.
            assert!(
                report.byzantine_reported > 0,
                "seed {seed}: nobody reported the corrupting member"
            );
        }
        // Real transactions went through real admission and execution.
        assert!(report.acknowledged > 100, "seed {seed}: {report:?}");
        assert!(report.min_height > 10, "seed {seed}: {report:?}");
        if !report.violations.is_empty() {
            failures.push(format!(
                "seed {seed}: {:#?}\nreplay: {}",
                report.violations,
                replay_command(seed)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The set exercises what it claims to.
    assert!(crashes >= 6, "only {crashes} crashes in the fast set");
    assert!(
        byzantine_runs >= 2,
        "only {byzantine_runs} runs with a corrupting member"
    );
    // A node that restarts or reconnects behind says so (`node_getStatus`, `/health`).
    assert!(syncing_seen > 0, "no node ever reported itself syncing");
}
