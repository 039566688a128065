//! `yrd-bench <scenario>` (also run as `yrd bench <scenario>`, which forwards to this binary): the
//! benchmark suite. Each scenario prints a table and writes `<out-dir>/<scenario>.json` with its
//! figures, the machine's own reference figures measured in the same run (ed25519 and blake3
//! ceilings), and each target's ratio. `--smoke` runs a scenario at a tiny size so CI can check it
//! still works; its figures mean nothing. The scenarios that run a network start the `yrd` binary
//! found beside this one. docs/PERFORMANCE.md describes the method and keeps the latest figures.
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod batch;
mod catchup;
mod chain;
mod flood;
mod machine;
mod national;
mod net;
mod query;
mod report;
mod scale;
mod statesync;
mod throughput;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;
use yrd_node::rpc::verification_log::TARGET as VERIFICATION_LOG_TARGET;

use self::machine::Machine;
use self::report::Report;

/// yrd-ledger's benchmark suite (docs/PERFORMANCE.md).
#[derive(Debug, Parser)]
#[command(name = "yrd-bench", version, about)]
pub struct BenchArgs {
    /// Log format: human or json.
    #[arg(long, global = true, default_value = "human")]
    pub log_format: String,
    /// Debug-level logs.
    #[arg(long, short, global = true)]
    pub verbose: bool,
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
    /// The chain's crypto suite (ADR 019): ed25519-blake3, or sm2-sm3 for verify, scale and
    /// throughput; the other scenarios sign with ed25519 keys of their own (batch leaves,
    /// readers' RPC authentication) and need ed25519-blake3.
    #[arg(long, global = true, default_value = "ed25519-blake3")]
    pub crypto: yrd_consensus::CryptoSuite,
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

fn main() -> ExitCode {
    let args = BenchArgs::parse();
    let outcome = init_logging(&args.log_format, args.verbose).and_then(|()| run(args));
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, as `yrd` does: `RUST_LOG` if set, else info (debug with `--verbose`); never the
/// verification log.
fn init_logging(format: &str, verbose: bool) -> anyhow::Result<()> {
    let from_env = std::env::var("RUST_LOG").ok();
    let base = match from_env.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(directives) => directives.to_owned(),
        None => {
            let level = if verbose { "debug" } else { "info" };
            format!("{level},libp2p=warn,jsonrpsee=warn,hyper=warn")
        }
    };
    let directives = format!("{base},{VERIFICATION_LOG_TARGET}=off");
    let filter = match EnvFilter::try_new(&directives) {
        Ok(filter) => filter,
        Err(error) => bail!("RUST_LOG {from_env:?} is not a valid log filter: {error}"),
    };
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        "human" => builder.init(),
        "json" => builder.json().flatten_event(true).init(),
        other => bail!("--log-format must be human or json, not {other:?}"),
    }
    Ok(())
}

/// Run a scenario.
fn run(args: BenchArgs) -> anyhow::Result<ExitCode> {
    yrd_consensus::CryptoSuite::install(args.crypto)?;
    let on_either_suite = matches!(
        args.scenario,
        Scenario::Verify(_) | Scenario::Scale(_) | Scenario::Throughput(_)
    );
    if args.crypto != yrd_consensus::CryptoSuite::Ed25519Blake3 && !on_either_suite {
        anyhow::bail!(
            "--crypto {}: this scenario signs with ed25519 keys of its own; verify, scale and \
             throughput run on either suite",
            args.crypto
        );
    }
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
