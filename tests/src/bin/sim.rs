//! Command-line runner of the deterministic consensus simulator.
//!
//! ```text
//! sim [--seeds N] [--start S] [--threads T]   run seeds S..S+N, print progress and a summary
//! sim --seed S [--verbose]                      replay one seed (twice, comparing trace hashes)
//! sim bench [--blocks B]                        committed blocks/s and rounds-to-commit, n = 4, 7, 16
//! ```
//!
//! Exits non-zero when any run has a violation, after printing the seed and the replay command.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use yrd_tests::sim::{Scenario, Simulation, replay_command, run_seed_checked};

struct Args {
    seeds: u64,
    start: u64,
    single: Option<u64>,
    verbose: bool,
    threads: usize,
    bench: bool,
    bench_blocks: u64,
    log: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seeds: 100,
        start: 0,
        single: None,
        verbose: false,
        threads: 2,
        bench: false,
        bench_blocks: 300,
        log: false,
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
            "--blocks" => args.bench_blocks = value("--blocks")?,
            "--verbose" => args.verbose = true,
            "--log" => args.log = true,
            "bench" => args.bench = true,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(error) => {
            eprintln!("{error}");
            std::process::exit(2);
        }
    };
    if args.bench {
        bench(args.bench_blocks);
        return;
    }
    if let Some(seed) = args.single {
        if args.log {
            let _ = Simulation::new(Scenario::generate(seed), false)
                .with_log(true)
                .run();
        }
        let report = run_seed_checked(seed);
        println!("seed {seed}: {}", report.description);
        println!(
            "  sim time {} ms, {} events, height {}, epochs {}, trace {}",
            report.sim_ms,
            report.events,
            report.highest_height,
            report.epochs,
            hex(&report.trace_hash)
        );
        if args.verbose {
            println!("  honest commits {}", report.stats.commits);
            for line in &report.node_summaries {
                println!("  {line}");
            }
        }
        if report.violations.is_empty() {
            println!("seed {seed}: ok");
            return;
        }
        for violation in &report.violations {
            println!("  {violation}");
        }
        println!("FAILED seed {seed}; replay: {}", replay_command(seed));
        std::process::exit(1);
    }
    run_many(&args);
}

fn run_many(args: &Args) {
    let started = Instant::now();
    let next = AtomicU64::new(args.start);
    let done = AtomicU64::new(0);
    let end = args.start.saturating_add(args.seeds);
    let failures: Mutex<Vec<(u64, Vec<String>, String)>> = Mutex::new(Vec::new());
    let progress_every = (args.seeds / 20).max(1);
    std::thread::scope(|scope| {
        for _ in 0..args.threads {
            scope.spawn(|| {
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    let report = run_seed_checked(seed);
                    if !report.violations.is_empty() {
                        println!("FAILED seed {seed}: {}", report.description);
                        for violation in &report.violations {
                            println!("  {violation}");
                        }
                        println!("  replay: {}", replay_command(seed));
                        if let Ok(mut list) = failures.lock() {
                            list.push((seed, report.violations, report.description));
                        }
                    }
                    let count = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if count.is_multiple_of(progress_every) {
                        println!(
                            "progress: {count}/{} seeds, {:.1}s",
                            args.seeds,
                            started.elapsed().as_secs_f64()
                        );
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap_or_default();
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "simulated {} seeds ({}..{}) in {elapsed:.1}s: {} failed",
        args.seeds,
        args.start,
        end,
        failures.len()
    );
    println!(
        "{} passed, {} failed",
        args.seeds - failures.len() as u64,
        failures.len()
    );
    if !failures.is_empty() {
        for (seed, _, _) in &failures {
            println!("replay: {}", replay_command(*seed));
        }
        std::process::exit(1);
    }
}

fn bench(blocks: u64) {
    let latency_ms = 10;
    println!(
        "consensus-only benchmark: fault-free network, fixed {latency_ms} ms latency, real ed25519 \
         signatures, all validators in one thread"
    );
    println!(
        "{:>10} {:>8} {:>10} {:>12} {:>16} {:>18}",
        "validators", "blocks", "wall s", "blocks/s", "rounds-to-commit", "commit latency"
    );
    for validators in [4usize, 7, 16] {
        let scenario = Scenario::benign(1, validators, latency_ms);
        let started = Instant::now();
        let report = Simulation::new(scenario, false)
            .stop_at_height(blocks)
            .run();
        let wall = started.elapsed().as_secs_f64();
        let mut rounds = report.stats.rounds_to_commit.clone();
        rounds.sort_unstable();
        let mut latency = report.stats.latency_ms.clone();
        latency.sort_unstable();
        let mean_rounds = rounds.iter().sum::<u64>() as f64 / rounds.len().max(1) as f64;
        let p50_delays =
            latency.get(latency.len() / 2).copied().unwrap_or(0) as f64 / latency_ms as f64;
        println!(
            "{validators:>10} {:>8} {wall:>10.2} {:>12.1} {mean_rounds:>16.2} {:>11.1} delays",
            report.highest_height,
            report.highest_height as f64 / wall,
            p50_delays,
        );
        if !report.violations.is_empty() {
            println!("  violations: {:?}", report.violations);
        }
    }
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}
