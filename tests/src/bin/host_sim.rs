//! Command-line runner of the real-host simulator (`yrd_tests::hostsim`).
//!
//! ```text
//! host-sim [--seeds N] [--start S] [--threads T] [--workload-ms W]   run seeds S..S+N
//! host-sim --seed S [--log]                                          one seed, with its details
//!   forcing what a seed would draw:
//!   --behaviour NAME     a Byzantine validator of this behaviour (Silent, Equivocator, …)
//!   --validators N       N genesis validators (4 to 8)
//!   --add-validator      governance adds a validator
//!   --remove-validator   governance removes one (the Byzantine one if there is one)
//!   --crypto SUITE       the chain's crypto suite: ed25519-blake3 (default) or sm2-sm3 (ADR 019)
//! ```
//!
//! Exits non-zero when any run has a violation, after printing the seed and the replay command.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use yrd_tests::hostsim::{Behaviour, HostSimOptions, HostSimReport, run_host_seed};

struct Args {
    seeds: u64,
    start: u64,
    single: Option<u64>,
    threads: usize,
    log: bool,
    options: HostSimOptions,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seeds: 20,
        start: 0,
        single: None,
        threads: 2,
        log: false,
        options: HostSimOptions::default(),
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            iter.next()
                .ok_or(format!("{name} needs a value"))?
                .parse::<u64>()
                .map_err(|e| format!("{name}: {e}"))
        };
        match arg.as_str() {
            "--seeds" => args.seeds = value("--seeds")?,
            "--start" => args.start = value("--start")?,
            "--seed" => args.single = Some(value("--seed")?),
            "--threads" => args.threads = value("--threads")?.max(1) as usize,
            "--workload-ms" => args.options.workload_ms = value("--workload-ms")?,
            "--settle-ms" => args.options.settle_ms = value("--settle-ms")?,
            "--validators" => {
                args.options.overrides.validators = Some(value("--validators")? as usize)
            }
            "--add-validator" => args.options.overrides.add_validator = Some(true),
            "--remove-validator" => args.options.overrides.add_validator = Some(false),
            "--behaviour" => {
                let name = iter.next().ok_or("--behaviour needs a value")?;
                let behaviour = Behaviour::from_name(&name).ok_or(format!(
                    "unknown behaviour {name}; one of {:?}",
                    Behaviour::BYZANTINE
                ))?;
                args.options.overrides.behaviour = Some(behaviour);
            }
            "--log" => args.log = true,
            "--crypto" => {
                let name = iter.next().ok_or("--crypto needs a value")?;
                let suite: yrd_consensus::CryptoSuite = name
                    .parse()
                    .map_err(|e: yrd_consensus::UnknownSuite| e.to_string())?;
                yrd_consensus::CryptoSuite::install(suite).map_err(|e| e.to_string())?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn summary(report: &HostSimReport) -> String {
    format!(
        "heights {}..{} (epoch {}), {} txs ({} acknowledged, {} resent), {} crashes ({} power cuts losing {} unsynced bytes, \
         {} wipes), \
         {} isolations, \
         {} partitions, {} deliveries ({} dropped, {} doubled), {} rewritten, {} reports of the \
         Byzantine member, syncing seen {} times, {:.1} s virtual in {:.1} s [{}]",
        report.min_height,
        report.max_height,
        report.epoch,
        report.transactions,
        report.acknowledged,
        report.resubmitted,
        report.crashes,
        report.power_cuts,
        report.unsynced_bytes_lost,
        report.wipes,
        report.isolations,
        report.partitions,
        report.delivered,
        report.dropped,
        report.duplicated,
        report.rewritten,
        report.byzantine_reported,
        report.syncing_seen,
        report.virtual_ms as f64 / 1_000.0,
        report.wall.as_secs_f64(),
        report.description,
    )
}

/// Log timestamps on the run's virtual clock (seconds since the first event), so that a replayed
/// seed's log lines up with its fault schedule.
struct VirtualTime;

impl tracing_subscriber::fmt::time::FormatTime for VirtualTime {
    fn format_time(&self, w: &mut tracing_subscriber::fmt::format::Writer<'_>) -> std::fmt::Result {
        static ORIGIN: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
        let origin = ORIGIN.get_or_init(tokio::time::Instant::now);
        write!(w, "{:9.3}s", origin.elapsed().as_secs_f64())
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    if args.log {
        tracing_subscriber::fmt()
            .with_timer(VirtualTime)
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
            )
            .init();
    }
    if let Some(seed) = args.single {
        let report = run_host_seed(seed, args.options);
        println!("seed {seed}: {}", summary(&report));
        if let Some(refusal) = &report.first_refusal {
            println!("  first refusal: {refusal}");
        }
        if report.violations.is_empty() {
            println!("seed {seed}: ok");
            return;
        }
        for violation in &report.violations {
            println!("  {violation}");
        }
        println!("FAILED seed {seed}; replay: {}", report.replay);
        std::process::exit(1);
    }
    let started = Instant::now();
    let next = AtomicU64::new(args.start);
    let end = args.start.saturating_add(args.seeds);
    let failed: Mutex<Vec<u64>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..args.threads {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let report = run_host_seed(seed, args.options);
                    println!("seed {seed}: {}", summary(&report));
                    if !report.violations.is_empty() {
                        for violation in &report.violations {
                            println!("  {violation}");
                        }
                        println!("FAILED seed {seed}; replay: {}", report.replay);
                        if let Ok(mut list) = failed.lock() {
                            list.push(seed);
                        }
                    }
                }
            });
        }
    });
    let failed = failed.into_inner().unwrap_or_default();
    println!(
        "real-host simulation of {} seeds ({}..{}) in {:.1}s: {} passed, {} failed",
        args.seeds,
        args.start,
        end,
        started.elapsed().as_secs_f64(),
        args.seeds - failed.len() as u64,
        failed.len()
    );
    if !failed.is_empty() {
        std::process::exit(1);
    }
}
