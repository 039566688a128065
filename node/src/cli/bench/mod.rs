//! `yrd bench <scenario>`: the benchmark suite. Each scenario prints a table and writes
//! `<out-dir>/<scenario>.json` with its figures, the machine's own reference figures measured in
//! the same run (ed25519 and blake3 ceilings), and each target's ratio. `--smoke` runs a scenario
//! at a tiny size so CI can check it still works; its figures mean nothing. docs/PERFORMANCE.md
//! describes the method and keeps the latest figures.

pub mod batch;
pub mod catchup;
pub mod chain;
pub mod flood;
pub mod machine;
pub mod net;
pub mod query;
pub mod report;
pub mod scale;
pub mod statesync;
pub mod throughput;
pub mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

use self::machine::Machine;
use self::report::Report;

/// `yrd bench` arguments.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The scenario.
    #[command(subcommand)]
    pub scenario: Scenario,
    /// Where the JSON reports go.
    #[arg(long, global = true, default_value = "target/bench")]
    pub out_dir: PathBuf,
    /// Scratch folder for networks and databases (default: a new folder in the system's
    /// temporary directory, removed afterwards).
    #[arg(long, global = true)]
    pub work_dir: Option<PathBuf>,
    /// Tiny sizes, to check a scenario still runs (CI); the figures mean nothing.
    #[arg(long, global = true)]
    pub smoke: bool,
    /// Seconds each machine reference probe runs.
    #[arg(long, global = true, default_value_t = 1.0)]
    pub probe_secs: f64,
}

/// The scenarios.
#[derive(Debug, Subcommand)]
pub enum Scenario {
    /// Verifications per second of full verifiable answers (certificate and state proofs), one core.
    Verify(verify::VerifyArgs),
    /// JSON-RPC requests per second: licence_verify with and without proofs against a trivial method.
    Query(query::QueryArgs),
    /// Committed transactions per second of a local 4-validator network: a saturation search.
    Throughput(throughput::ThroughputArgs),
    /// Another signer's commit latency while one signer floods at ten times its commit rate.
    Flood(flood::FloodArgs),
    /// Query latency, disk bytes and memory at two state sizes built through execution.
    Scale(scale::ScaleArgs),
    /// Batch anchoring of many commitments and inclusion proofs for a sample.
    Batch(batch::BatchArgs),
    /// A wiped node catching up many blocks.
    Catchup(catchup::CatchupArgs),
    /// A new node restoring a certified snapshot from one peer, then from two at once.
    Statesync(statesync::StateSyncArgs),
}

/// What every scenario gets.
#[derive(Debug, Clone)]
pub struct Common {
    /// Tiny sizes.
    pub smoke: bool,
    /// The machine's reference figures.
    pub machine: Machine,
    /// A scratch folder of its own.
    pub work_dir: PathBuf,
}

/// Run `yrd bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let name = match &args.scenario {
        Scenario::Verify(_) => "verify",
        Scenario::Query(_) => "query",
        Scenario::Throughput(_) => "throughput",
        Scenario::Flood(_) => "flood",
        Scenario::Scale(_) => "scale",
        Scenario::Batch(_) => "batch",
        Scenario::Catchup(_) => "catchup",
        Scenario::Statesync(_) => "statesync",
    };
    let (work_dir, remove) = match &args.work_dir {
        Some(dir) => (dir.join(name), false),
        None => (
            std::env::temp_dir().join(format!("yrd-bench-{}-{name}", std::process::id())),
            true,
        ),
    };
    if work_dir.exists() {
        std::fs::remove_dir_all(&work_dir)?;
    }
    std::fs::create_dir_all(&work_dir)?;
    eprintln!("measuring the machine's reference figures ...");
    let probe = Duration::from_secs_f64(if args.smoke { 0.05 } else { args.probe_secs });
    let common = Common {
        smoke: args.smoke,
        machine: machine::measure(probe),
        work_dir: work_dir.clone(),
    };
    let report: anyhow::Result<Report> = match &args.scenario {
        Scenario::Verify(a) => verify::run(a, &common),
        Scenario::Query(a) => query::run(a, &common),
        Scenario::Throughput(a) => throughput::run(a, &common),
        Scenario::Flood(a) => flood::run(a, &common),
        Scenario::Scale(a) => scale::run(a, &common),
        Scenario::Batch(a) => batch::run(a, &common),
        Scenario::Catchup(a) => catchup::run(a, &common),
        Scenario::Statesync(a) => statesync::run(a, &common),
    };
    match report {
        Ok(report) => {
            report.finish(&args.out_dir)?;
            if remove {
                let _ = std::fs::remove_dir_all(&work_dir);
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            eprintln!(
                "bench {name} failed: {error:#}; its folder is kept: {}",
                work_dir.display()
            );
            Ok(ExitCode::FAILURE)
        }
    }
}
