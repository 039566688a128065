//! Running a set of seeds as the test suites do: every seed with the default options, a clean
//! run handed to the caller's checks, a broken one described with its plan and replay command,
//! and a tally of what the set exercised.

use std::ops::Range;

use super::run::{HostSimOptions, HostSimReport, run_host_seed};

/// What a set of seeds exercised, and the seeds that broke an invariant.
#[derive(Debug, Default)]
pub struct SeedSetTally {
    /// One description per seed with violations (violations, plan, replay command).
    pub failures: Vec<String>,
    /// Crashes and restarts over the set.
    pub crashes: u32,
    /// Of which power cuts.
    pub power_cuts: u32,
    /// Runs with a Byzantine member.
    pub byzantine_runs: u32,
    /// Workload steps at which a node reported itself syncing.
    pub syncing_seen: u32,
}

/// Runs every seed of `seeds` with the default options; `check_clean` sees each run without
/// violations.
pub fn run_seed_set(seeds: Range<u64>, check_clean: impl Fn(&HostSimReport)) -> SeedSetTally {
    let mut tally = SeedSetTally::default();
    for seed in seeds {
        let report = run_host_seed(seed, HostSimOptions::default());
        tally.crashes += report.crashes;
        tally.power_cuts += report.power_cuts;
        tally.syncing_seen += report.syncing_seen;
        tally.byzantine_runs += u32::from(report.byzantine.is_some());
        if report.violations.is_empty() {
            check_clean(&report);
        } else {
            tally.failures.push(format!(
                "seed {seed}: {:#?}\nplan: {}\nreplay: {}",
                report.violations, report.description, report.replay
            ));
        }
    }
    tally
}
