//! `yrd bench catchup`: how fast a wiped validator catches up a long chain.
//!
//! A local 4-validator network runs with `empty_block_delay_ms = 0`, so blocks follow each other
//! as fast as consensus goes, until the chain reaches `--blocks`. Then node 3 is stopped, its data
//! folder deleted and the node started again: the figure is the height the other nodes had at
//! that moment divided by the time from the restart until node 3's committed height reached it
//! (process start-up included). The chain keeps growing meanwhile, so node 3 competes with live
//! consensus traffic, as a real rejoining node does.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jsonrpsee::http_client::HttpClient;
use serde::Serialize;
use serde_json::{Value, json};

use crate::Common;
use yrd_testkit::ConfigTweaks;

use crate::net;
use crate::report::{Report, Target};

/// Validators of the bench network.
const NODES: usize = 4;
/// The node that is wiped.
const WIPED: usize = 3;
/// How often heights are polled.
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Arguments of `yrd bench catchup`.
#[derive(Debug, clap::Args)]
pub struct CatchupArgs {
    /// Chain height to build before wiping a node (smoke: 200).
    #[arg(long, default_value_t = 100_000)]
    pub blocks: u64,
    /// Longest wait, in seconds, for the chain to reach `--blocks`, and again for the wiped node
    /// to catch up (smoke: 60).
    #[arg(long, default_value_t = 7_200)]
    pub timeout_secs: u64,
    /// Seconds between progress lines (smoke: 2).
    #[arg(long, default_value_t = 10)]
    pub progress_secs: u64,
    /// Give up when a watched height has not moved for this many seconds (smoke: 15).
    #[arg(long, default_value_t = 60)]
    pub stall_secs: u64,
}

/// The parameters a run actually used.
#[derive(Debug, Clone, Serialize)]
struct Params {
    nodes: usize,
    blocks: u64,
    timeout_secs: u64,
    stall_secs: u64,
    consensus_tweaks: String,
}

/// A height seen at a moment (seconds since the phase began).
#[derive(Debug, Clone, Copy, Serialize)]
struct Sample {
    secs: f64,
    height: u64,
}

/// Run the scenario.
pub fn run(args: &CatchupArgs, common: &Common) -> anyhow::Result<Report> {
    let tweaks = ConfigTweaks::new().set("consensus", "empty_block_delay_ms", 0);
    let params = Params {
        nodes: NODES,
        blocks: if common.smoke { 200 } else { args.blocks },
        timeout_secs: if common.smoke { 60 } else { args.timeout_secs },
        stall_secs: if common.smoke {
            15
        } else {
            args.stall_secs.max(1)
        },
        consensus_tweaks: net::table_text(&tweaks, "consensus")?,
    };
    if params.blocks == 0 {
        bail!("--blocks must be at least 1");
    }
    let progress = Duration::from_secs(if common.smoke {
        2
    } else {
        args.progress_secs.max(1)
    });
    let limits = Limits {
        total: Duration::from_secs(params.timeout_secs),
        stall: Duration::from_secs(params.stall_secs),
        progress,
    };

    eprintln!(
        "starting a local {NODES}-validator network in {} ...",
        common.work_dir.display()
    );
    let mut net = net::start(&common.work_dir.join("net"), NODES, 0, &tweaks)?;
    let runtime = net::runtime()?;
    let clients: Vec<HttpClient> = (0..NODES)
        .map(|i| net::node_client(&net, i))
        .collect::<anyhow::Result<_>>()?;

    // Phase 1: build the chain.
    eprintln!("building {} blocks ...", params.blocks);
    let production = runtime.block_on(build(&clients[0], params.blocks, &limits))?;
    let built_secs = production.last().map_or(0.0, |s| s.secs);
    let built_height = production.last().map_or(0, |s| s.height);
    let production_rate = production.first().map_or(0.0, |first| {
        rate_between(&production, first.height, built_height).unwrap_or(0.0)
    });

    // Phase 2: wipe node 3 and start it again.
    net::stop(&mut net, WIPED);
    let target = runtime.block_on(others_height(&clients));
    if target == 0 {
        bail!("no node answered its head after stopping node {WIPED}");
    }
    let data = net.data_dir(WIPED);
    std::fs::remove_dir_all(&data).with_context(|| format!("deleting {}", data.display()))?;
    eprintln!(
        "node {WIPED} stopped and its data deleted; the others are at height {target}; restarting it ..."
    );
    let restarted = Instant::now();
    net::restart(&mut net, WIPED)?;
    let catchup = runtime.block_on(catch_up(&clients, target, restarted, &limits));
    let catchup = match catchup {
        Ok(catchup) => catchup,
        Err(error) => {
            let log = net.nodes[WIPED].log_file();
            return Err(error.context(format!(
                "catching up node {WIPED} (its log: {})",
                log.display()
            )));
        }
    };

    let elapsed = catchup.samples.last().map_or(0.0, |s| s.secs);
    let rate = if elapsed > 0.0 {
        target as f64 / elapsed
    } else {
        0.0
    };
    let serving_secs = catchup.first_answer_secs;
    let first_synced = catchup.samples.iter().find(|s| s.height > 0).copied();
    let first_sync_secs = first_synced.map_or(elapsed, |s| s.secs);
    // From the first synced block on: leaves out start-up and the first sync round trip.
    let syncing_rate = first_synced
        .filter(|s| elapsed > s.secs && target > s.height)
        .map(|s| (target - s.height) as f64 / (elapsed - s.secs));
    // Rates over parts of the catch-up (absent when the polling was too coarse to split it).
    let tenth = (target / 10).max(1);
    let parts = [
        ("first half", rate_between(&catchup.samples, 0, target / 2)),
        (
            "second half",
            rate_between(&catchup.samples, target / 2, target),
        ),
        ("first 10%", rate_between(&catchup.samples, 0, tenth)),
        (
            "last 10%",
            rate_between(&catchup.samples, target - tenth, target),
        ),
    ];
    let growth = if elapsed > 0.0 {
        catchup.others_end.saturating_sub(target) as f64 / elapsed
    } else {
        0.0
    };

    let mut report = Report::new(
        "catchup",
        common.smoke,
        common.machine,
        serde_json::to_value(&params).unwrap_or(Value::Null),
    );
    report.figure("catch-up blocks/s", rate, "blocks/s");
    report.figure("blocks caught up", target as f64, "blocks");
    report.figure("catch-up time", elapsed, "s");
    if let Some(syncing_rate) = syncing_rate {
        report.figure(
            "catch-up blocks/s after the first synced block",
            syncing_rate,
            "blocks/s",
        );
    }
    for (part, value) in parts {
        if let Some(value) = value {
            report.figure(&format!("catch-up blocks/s, {part}"), value, "blocks/s");
        }
    }
    report.figure(
        "block production, 4 nodes, no empty-block delay",
        production_rate,
        "blocks/s",
    );
    report.figure(
        "block production while node 3 catches up",
        growth,
        "blocks/s",
    );
    report
        .targets
        .push(Target::at_least("catch-up blocks/s", rate, 5_000.0));
    report.detail = json!({
        "production": production,
        "production_secs": built_secs,
        "height_at_restart": target,
        "wiped_node_first_answer_secs": serving_secs,
        "wiped_node_first_block_secs": first_sync_secs,
        "catchup": catchup.samples,
        "others_height_at_end": catchup.others_end,
    });
    report.notes.push(format!(
        "node {WIPED} restarted empty; its time includes process start-up ({serving_secs:.2} s to \
         its first RPC answer, {first_sync_secs:.2} s to its first synced block)"
    ));
    report.notes.push(format!(
        "the chain kept growing while node {WIPED} caught up (height {target} at its restart, {} \
         when it reached {target}); all nodes share this machine's {} cores",
        catchup.others_end, common.machine.cores
    ));
    if !common.smoke && params.blocks != 100_000 {
        report.notes.push(format!(
            "built {} blocks instead of the default 100000",
            params.blocks
        ));
    }
    drop(net);
    Ok(report)
}

/// Blocks per second between the moments `samples` crossed heights `from` and `to` (linear
/// between samples); `None` when not both were crossed, or both in the same sample.
fn rate_between(samples: &[Sample], from: u64, to: u64) -> Option<f64> {
    let a = crossing(samples, from)?;
    let b = crossing(samples, to)?;
    (b > a).then(|| (to - from) as f64 / (b - a))
}

/// When `samples` first reached `height`, interpolated; height 0 counts as the first sample.
fn crossing(samples: &[Sample], height: u64) -> Option<f64> {
    let first = samples.first()?;
    if height == 0 || first.height >= height {
        return Some(first.secs);
    }
    samples.windows(2).find_map(|w| {
        let (a, b) = (w[0], w[1]);
        (a.height < height && b.height >= height).then(|| {
            let span = (b.height - a.height) as f64;
            a.secs + (b.secs - a.secs) * (height - a.height) as f64 / span
        })
    })
}

/// How long the polling loops wait.
struct Limits {
    /// For the whole phase.
    total: Duration,
    /// For a height to move.
    stall: Duration,
    /// Between progress lines.
    progress: Duration,
}

/// Poll node 0 until its head reaches `blocks`; sample times count from the first poll.
async fn build(client: &HttpClient, blocks: u64, limits: &Limits) -> anyhow::Result<Vec<Sample>> {
    let start = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let mut last_print = Instant::now();
    let mut printed = Sample {
        secs: 0.0,
        height: 0,
    };
    let mut moved = Instant::now();
    loop {
        let secs = start.elapsed().as_secs_f64();
        if let Ok(height) = net::head_height(client).await {
            if samples.last().is_none_or(|s| height > s.height) {
                moved = Instant::now();
            }
            samples.push(Sample { secs, height });
            if height >= blocks {
                eprintln!(
                    "  height {height} after {secs:.1} s: {:.1} blocks/s",
                    height as f64 / secs.max(1e-9)
                );
                return Ok(samples);
            }
            if last_print.elapsed() >= limits.progress {
                let recent = (height.saturating_sub(printed.height)) as f64
                    / (secs - printed.secs).max(1e-9);
                let overall = height as f64 / secs.max(1e-9);
                eprintln!(
                    "  height {height} after {secs:.0} s: {recent:.1} blocks/s lately, \
                     {overall:.1} overall, about {:.0} s to go",
                    (blocks - height) as f64 / recent.max(overall).max(1e-9)
                );
                last_print = Instant::now();
                printed = Sample { secs, height };
            }
        }
        let height = samples.last().map_or(0, |s| s.height);
        if moved.elapsed() > limits.stall {
            bail!(
                "the chain stalled at height {height} for {:.0} s",
                moved.elapsed().as_secs_f64()
            );
        }
        if start.elapsed() > limits.total {
            bail!(
                "the chain reached height {height} of {blocks} in {:.0} s ({:.1} blocks/s); \
                 choose a smaller --blocks or a longer --timeout-secs",
                secs,
                height as f64 / secs.max(1e-9)
            );
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// How the wiped node caught up.
struct Catchup {
    /// Its committed height over time, from the restart.
    samples: Vec<Sample>,
    /// Seconds from the restart to its first RPC answer.
    first_answer_secs: f64,
    /// The highest height of the other nodes when it was done.
    others_end: u64,
}

/// Poll the wiped node until its committed height reaches `target`.
async fn catch_up(
    clients: &[HttpClient],
    target: u64,
    restarted: Instant,
    limits: &Limits,
) -> anyhow::Result<Catchup> {
    let client = &clients[WIPED];
    let mut samples: Vec<Sample> = Vec::new();
    let mut first_answer_secs = None;
    let mut last_print = Instant::now();
    let mut moved = Instant::now();
    loop {
        let secs = restarted.elapsed().as_secs_f64();
        if let Ok(height) = net::head_height(client).await {
            first_answer_secs.get_or_insert(secs);
            if samples.last().is_none_or(|s| height > s.height) {
                moved = Instant::now();
            }
            samples.push(Sample { secs, height });
            if height >= target {
                let others_end = others_height(clients).await;
                eprintln!(
                    "  node {WIPED} reached {height} after {secs:.2} s: {:.1} blocks/s",
                    target as f64 / secs.max(1e-9)
                );
                return Ok(Catchup {
                    samples,
                    first_answer_secs: first_answer_secs.unwrap_or(secs),
                    others_end,
                });
            }
            if last_print.elapsed() >= limits.progress {
                eprintln!(
                    "  node {WIPED} at {height} of {target} after {secs:.0} s: {:.1} blocks/s",
                    height as f64 / secs.max(1e-9)
                );
                last_print = Instant::now();
            }
        }
        let height = samples.last().map_or(0, |s| s.height);
        if moved.elapsed() > limits.stall || restarted.elapsed() > limits.total {
            let others = others_height(clients).await;
            let what = if first_answer_secs.is_none() {
                "never answered RPC".to_owned()
            } else if moved.elapsed() > limits.stall {
                format!(
                    "made no progress for {:.0} s at height {height}",
                    moved.elapsed().as_secs_f64()
                )
            } else {
                format!("reached only height {height}")
            };
            bail!(
                "node {WIPED} {what} in the {:.0} s since its restart (target {target}; the others \
                 are at {others})",
                restarted.elapsed().as_secs_f64()
            );
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// The highest head of the nodes that were not wiped (0 if none answers).
async fn others_height(clients: &[HttpClient]) -> u64 {
    let mut best = 0;
    for other in clients.iter().take(WIPED) {
        best = best.max(net::head_height(other).await.unwrap_or(0));
    }
    best
}
