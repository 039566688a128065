//! The simulator of the real node host: N hosts of `yrd-node` (the same loop, consensus core,
//! admission, sync serving and restart path a running node uses), each over its own RocksDB
//! directory, on a simulated network and a virtual clock (a single-threaded tokio runtime with
//! paused time), executing real signed transactions through `yrd-contracts`, under faults,
//! Byzantine validators and validator-set changes drawn from one seed ([`plan`]). See [`run`]
//! for what a run does and checks.
//!
//! Replay is by seed: the fault schedule, delays and the workload come from the seed alone. Work
//! the host runs on blocking threads (signature checks of gossiped transactions, sync serving,
//! pruning) does not advance virtual time, but may finish in another order from one run to the
//! next, so two runs of one seed can interleave differently within the same virtual instant.

pub mod byzantine;
pub mod checks;
pub mod cluster;
pub mod fabric;
pub mod plan;
pub mod run;
pub mod seed_set;
pub mod workload;

pub use byzantine::Behaviour;
pub use plan::{Overrides, Plan, Reconfiguration};
pub use run::{HostSimOptions, HostSimReport, run_host_seed};
pub use seed_set::{SeedSetTally, run_seed_set};

/// The command that replays `seed` as drawn.
pub fn replay_command(seed: u64) -> String {
    replay_forced(seed, &Overrides::default())
}

/// The command that replays `seed` with what `overrides` forced.
pub fn replay_forced(seed: u64, overrides: &Overrides) -> String {
    let mut command = format!("scripts/sim.sh --seed {seed}");
    if let Some(behaviour) = overrides.behaviour {
        command.push_str(&format!(" --behaviour {behaviour:?}"));
    }
    if let Some(validators) = overrides.validators {
        command.push_str(&format!(" --validators {validators}"));
    }
    match overrides.add_validator {
        Some(true) => command.push_str(" --add-validator"),
        Some(false) => command.push_str(" --remove-validator"),
        None => {}
    }
    let suite = yrd_consensus::CryptoSuite::current();
    if suite != yrd_consensus::CryptoSuite::default() {
        command.push_str(&format!(" --crypto {suite}"));
    }
    command
}
