//! The deterministic consensus simulator.
//!
//! One `u64` seed decides everything: the scenario ([`scenario`]: validator count and powers,
//! observers, a Byzantine validator, network latency/loss/duplication, partitions, crashes and
//! restarts, clock offsets, a validator-set change), and every random draw during the run
//! ([`rng`]). The real `yrd-consensus` core runs in every node ([`node`] is the small host around
//! it); [`network`] models links; [`byzantine`] rewrites what Byzantine nodes send; [`checker`]
//! judges safety, state-root agreement and certificates; [`runner`] is the event loop, judges
//! liveness after the last fault heals and hashes the trace so that a rerun can be compared.
//!
//! A failing run prints its seed and [`runner::replay_command`].

pub mod byzantine;
pub mod checker;
pub mod network;
pub mod node;
pub mod rng;
pub mod runner;
pub mod scenario;

pub use runner::{RunReport, Simulation, replay_command, run_seed, run_seed_checked};
pub use scenario::{Behaviour, Scenario};
