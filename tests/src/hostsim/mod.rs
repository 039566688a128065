//! The simulator of the real node host: N hosts of `yrd-node` (the same loop, admission, sync
//! serving and restart path a running node uses), each over its own RocksDB directory, on a
//! simulated network and a virtual clock (a single-threaded tokio runtime with paused time),
//! executing real signed transactions through `yrd-contracts`, under faults drawn from one seed.
//! See [`run`] for what a run does and checks.
//!
//! Replay is by seed: the fault schedule, delays and the workload come from the seed alone. Work
//! the host runs on blocking threads (signature checks of gossiped transactions, sync serving,
//! pruning) does not advance virtual time, but may finish in another order from one run to the
//! next, so two runs of one seed can interleave differently within the same virtual instant.

pub mod cluster;
pub mod fabric;
pub mod run;
pub mod workload;

pub use run::{HostSimOptions, HostSimReport, run_host_seed};

/// The command that replays `seed` with the real hosts.
pub fn replay_command(seed: u64) -> String {
    format!("scripts/sim.sh host --seed {seed}")
}
