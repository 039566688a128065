//! `yrd bench flood`: how long another signer's transactions take to commit while one signer
//! floods the network at ten times the rate its transactions commit.
//!
//! Four `yrd node` processes run with the default `[mempool]` limits (the defence under test).
//! Two issuers are accredited. First the flooder alone submits as fast as it can for a while; the
//! rate at which its transactions commit is the *commit rate*. Then it offers `--factor` times
//! that rate while an honest issuer submits one transaction every `--honest-every-ms` to another
//! node. The figure is the honest transactions' commit latency (from the moment each submission
//! was sent to the moment the block observer first saw it committed) at p50, p99 and max.
//!
//! The flooder behaves as a real one would: it sends its nonces in order and, when a node refuses
//! one for room (pool full, fair share, too many behind a gap), sends again from that nonce, so
//! its queue is always at the cap the pool allows it. Resending what is already held (refused as a
//! duplicate) does not move it back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use serde::Serialize;
use serde_json::json;
use yrd_contracts::ChainId;

use crate::Common;
use yrd_testkit::{LocalNet, Signer};

use crate::net::{self, BENCH_EXPIRY_HEIGHT};
use crate::report::{Report, Target, quantile};
use crate::throughput::{Seen, lock, observe};

/// Validators of the bench network.
const NODES: usize = 4;
/// The node the flooder submits to (the observer watches it too).
const FLOOD_NODE: usize = 0;
/// The node the honest issuer submits to.
const HONEST_NODE: usize = 1;
/// The bound on the honest signer's p99 commit latency.
const HONEST_P99_TARGET_MS: f64 = 2_000.0;

/// Arguments of `yrd bench flood`.
#[derive(Debug, clap::Args)]
pub struct FloodArgs {
    /// The flooder offers this many times the rate at which its transactions commit.
    #[arg(long, default_value_t = 10.0)]
    pub factor: f64,
    /// Seconds the flooder submits flat out to find its commit rate (smoke: 2).
    #[arg(long, default_value_t = 10.0)]
    pub calibrate_secs: f64,
    /// Seconds of the flood (smoke: 3).
    #[arg(long, default_value_t = 30.0)]
    pub secs: f64,
    /// The honest issuer submits one transaction this often, milliseconds.
    #[arg(long, default_value_t = 100)]
    pub honest_every_ms: u64,
    /// Longest wait after the flood for the honest transactions to commit, seconds.
    #[arg(long, default_value_t = 10.0)]
    pub drain_secs: f64,
    /// Transactions per flooder JSON-RPC batch request.
    #[arg(long, default_value_t = 256)]
    pub batch: usize,
    /// Flooder batch requests in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
}

/// The parameters a run used.
#[derive(Debug, Clone, Serialize)]
struct Params {
    nodes: usize,
    factor: f64,
    calibrate_secs: f64,
    secs: f64,
    honest_every_ms: u64,
    drain_secs: f64,
    batch: usize,
    concurrency: usize,
    mempool: &'static str,
    smoke: bool,
}

impl Params {
    fn new(args: &FloodArgs, smoke: bool) -> anyhow::Result<Self> {
        let (calibrate_secs, secs, drain_secs) = if smoke {
            (2.0, 3.0, 5.0)
        } else {
            (args.calibrate_secs, args.secs, args.drain_secs)
        };
        if !(args.factor >= 1.0 && calibrate_secs > 0.0 && secs > 0.0 && drain_secs >= 0.0) {
            bail!("--factor must be at least 1, the durations positive");
        }
        if args.honest_every_ms == 0 || args.batch == 0 || args.concurrency == 0 {
            bail!("--honest-every-ms, --batch and --concurrency must be at least 1");
        }
        Ok(Self {
            nodes: NODES,
            factor: args.factor,
            calibrate_secs,
            secs,
            honest_every_ms: args.honest_every_ms,
            drain_secs,
            batch: args.batch,
            concurrency: args.concurrency,
            mempool: "defaults",
            smoke,
        })
    }
}

/// Run the scenario.
pub fn run(args: &FloodArgs, common: &Common) -> anyhow::Result<Report> {
    let params = Params::new(args, common.smoke)?;
    // The RPC server must not be what refuses the flood: its limits are raised, the mempool's
    // are the defaults.
    let tweaks = net::load_rpc_limits();
    eprintln!(
        "starting a local {NODES}-validator network in {} ...",
        common.work_dir.display()
    );
    let net = net::start(&common.work_dir.join("net"), NODES, 0, &tweaks)?;
    let runtime = net::runtime()?;
    let outcome = runtime.block_on(measure(&net, &params))?;
    Ok(report(common, &params, &outcome))
}

/// What a run measured.
#[derive(Debug, Clone, Serialize)]
struct Outcome {
    /// Flooder transactions committed per second while it submitted flat out, alone.
    commit_rate_tx_s: f64,
    calibration: FloodStats,
    /// The rate the flooder was asked to offer.
    flood_rate_tx_s: f64,
    flood: FloodStats,
    /// Flooder transactions committed per second during the flood.
    flood_committed_tx_s: f64,
    honest_submitted: usize,
    honest_refused: usize,
    honest_refusals: BTreeMap<String, String>,
    honest_committed: usize,
    honest_p50_ms: f64,
    honest_p99_ms: f64,
    honest_max_ms: f64,
    /// The flooder's first transaction never seen committed, with what nodes 0 and 1 say of it.
    flooder_stalled_at: serde_json::Value,
}

/// What the flooder sent and how the node answered.
#[derive(Debug, Clone, Default, Serialize)]
struct FloodStats {
    /// Submissions sent (resends included).
    sent: usize,
    accepted: usize,
    /// Refusals by JSON-RPC code.
    refused_by_code: BTreeMap<String, usize>,
    /// One message per code.
    refusal_samples: BTreeMap<String, String>,
    /// Distinct transactions the node accepted at least once (the highest nonce reached + 1).
    reached: usize,
    seconds: f64,
}

/// One prepared transaction.
struct Prepared {
    hash: String,
    hex: String,
}

fn sign_many(
    account: &mut Signer,
    chain: &ChainId,
    run: u64,
    first: u64,
    count: usize,
) -> Vec<Prepared> {
    let from_ms = yrd_node::clock::unix_ms();
    (0..count as u64)
        .map(|i| {
            let tx = account.sign(
                chain,
                net::anchor(net::commitment(run, first + i), from_ms),
                BENCH_EXPIRY_HEIGHT,
            );
            Prepared {
                hash: hex::encode(tx.hash()),
                hex: hex::encode(tx.to_bytes()),
            }
        })
        .collect()
}

/// Whether a refusal means the node does not hold the transaction for want of room (so the
/// flooder must send it again), rather than holding it already or having settled its nonce.
fn refused_for_room(code: i32, message: &str) -> bool {
    code == -33011
        || (code == -33013 && !message.contains("stale") && !message.contains("already waiting"))
}

/// Where the flooder's lanes stand, shared.
struct Cursor {
    /// The next transaction to send.
    next: usize,
    /// Submissions sent so far (for the pacing).
    sent: usize,
    /// One past the highest transaction accepted.
    reached: usize,
    stats: FloodStats,
}

/// Send `txs[from..]` in order to `client` from `lanes` concurrent request loops, at `rate` per
/// second (flat out when `None`); a batch with a transaction refused for room moves the shared
/// cursor back to it. Runs until `stop` or the end; returns what happened and where to resume.
async fn flood(
    client: HttpClient,
    txs: Arc<Vec<Prepared>>,
    rate: Option<f64>,
    batch: usize,
    lanes: usize,
    stop: Arc<AtomicBool>,
    from: usize,
) -> (FloodStats, usize) {
    let start = Instant::now();
    let cursor = Arc::new(Mutex::new(Cursor {
        next: from,
        sent: 0,
        reached: from,
        stats: FloodStats::default(),
    }));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..lanes.max(1) {
        tasks.spawn(lane(
            client.clone(),
            Arc::clone(&txs),
            rate,
            batch,
            Arc::clone(&stop),
            Arc::clone(&cursor),
            start,
        ));
    }
    while tasks.join_next().await.is_some() {}
    let mut guard = cursor
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut stats = std::mem::take(&mut guard.stats);
    stats.sent = guard.sent;
    stats.reached = guard.reached - from;
    stats.seconds = start.elapsed().as_secs_f64();
    // Resume from the cursor, not from the highest accepted: a transaction accepted behind a
    // refused one leaves that one to send again (resending what is held is only a duplicate).
    (stats, guard.next.min(guard.reached))
}

/// One of the flooder's request loops.
async fn lane(
    client: HttpClient,
    txs: Arc<Vec<Prepared>>,
    rate: Option<f64>,
    batch: usize,
    stop: Arc<AtomicBool>,
    cursor: Arc<Mutex<Cursor>>,
    start: Instant,
) {
    let next_of = |c: &Mutex<Cursor>| {
        // Only this module's code holds the lock, never across an await.
        c.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .next
    };
    while !stop.load(Ordering::Relaxed) && next_of(&cursor) < txs.len() {
        let range = {
            let mut c = cursor
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let want = match rate {
                Some(rate) => ((start.elapsed().as_secs_f64() * rate) as usize)
                    .saturating_sub(c.sent)
                    .min(batch),
                None => batch,
            };
            let begin = c.next;
            let end = (begin + want).min(txs.len());
            c.next = end;
            c.sent += end - begin;
            begin..end
        };
        if range.is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        }
        let mut request = BatchRequestBuilder::new();
        let mut built = true;
        for tx in &txs[range.clone()] {
            built &= request.insert("tx_submit", rpc_params![&tx.hex]).is_ok();
        }
        if !built {
            return;
        }
        let answers = client.batch_request::<String>(request).await;
        if let Some(pause) = settle(&cursor, range, answers, rate.is_none()) {
            tokio::time::sleep(pause).await;
        }
    }
}

/// Record one batch's answers; move the cursor back to the first transaction refused for room.
/// Returns how long the lane should pause before its next request.
fn settle(
    cursor: &Mutex<Cursor>,
    range: std::ops::Range<usize>,
    answers: Result<
        jsonrpsee::core::client::BatchResponse<'_, String>,
        jsonrpsee::core::client::Error,
    >,
    flat_out: bool,
) -> Option<Duration> {
    let mut c = cursor
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let answers = match answers {
        Ok(answers) => answers,
        Err(error) => {
            *c.stats
                .refused_by_code
                .entry("transport".to_owned())
                .or_default() += range.len();
            c.stats
                .refusal_samples
                .entry("transport".to_owned())
                .or_insert_with(|| error.to_string());
            c.next = c.next.min(range.start);
            return Some(Duration::from_millis(50));
        }
    };
    let mut rewind = None;
    for (offset, answer) in answers.into_iter().enumerate() {
        let index = range.start + offset;
        match answer {
            Ok(_) => {
                c.stats.accepted += 1;
                c.reached = c.reached.max(index + 1);
            }
            Err(error) => {
                let code = error.code();
                *c.stats.refused_by_code.entry(code.to_string()).or_default() += 1;
                c.stats
                    .refusal_samples
                    .entry(code.to_string())
                    .or_insert_with(|| error.message().to_owned());
                if rewind.is_none() && refused_for_room(code, error.message()) {
                    rewind = Some(index);
                }
            }
        }
    }
    let index = rewind?;
    c.next = c.next.min(index);
    // Flat out, a refused batch is sent again at once: give the node a breath.
    flat_out.then_some(Duration::from_millis(2))
}

/// The honest issuer: one transaction every `every`, sent again (same nonce) when refused.
/// Returns each accepted transaction's hash and send time, and the refusals.
async fn honest(
    client: HttpClient,
    mut account: Signer,
    chain: ChainId,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> (Vec<(String, Instant)>, usize, BTreeMap<String, String>) {
    let mut accepted = Vec::new();
    let mut refused = 0usize;
    let mut samples = BTreeMap::new();
    let mut ticker = tokio::time::interval(every);
    let run = yrd_node::clock::unix_ms() ^ 0x0f0f;
    let mut pending: Option<Prepared> = None;
    let mut index = 0u64;
    while !stop.load(Ordering::Relaxed) {
        ticker.tick().await;
        let tx = match pending.take() {
            Some(tx) => tx,
            None => {
                index += 1;
                let mut one = sign_many(&mut account, &chain, run, index, 1);
                match one.pop() {
                    Some(tx) => tx,
                    None => continue,
                }
            }
        };
        let at = Instant::now();
        match client
            .request::<String, _>("tx_submit", rpc_params![&tx.hex])
            .await
        {
            Ok(_) => accepted.push((tx.hash, at)),
            Err(error) => {
                refused += 1;
                let code = match &error {
                    jsonrpsee::core::client::Error::Call(object) => object.code().to_string(),
                    _ => "transport".to_owned(),
                };
                samples.entry(code).or_insert_with(|| error.to_string());
                pending = Some(tx);
            }
        }
    }
    (accepted, refused, samples)
}

async fn measure(net: &LocalNet, params: &Params) -> anyhow::Result<Outcome> {
    let clients: Vec<HttpClient> = (0..NODES)
        .map(|i| net::node_client(net, i))
        .collect::<anyhow::Result<_>>()?;
    eprintln!("accrediting the flooder and the honest issuer ...");
    let mut issuers = net::setup_issuers(
        &clients[0],
        &net.chain_id,
        net.authority_key("shanghai")?,
        2,
    )
    .await
    .context("setting up the issuers")?;
    let honest_account = issuers.pop().context("two issuers")?;
    let mut flooder = issuers.pop().context("two issuers")?;

    let from = net::head_height(&clients[FLOOD_NODE]).await?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop_observer = Arc::new(AtomicBool::new(false));
    let observer = tokio::spawn(observe(
        clients[FLOOD_NODE].clone(),
        Arc::clone(&seen),
        Arc::clone(&stop_observer),
        from,
    ));

    // Enough signed transactions for the calibration flat out and the flood at its rate: the
    // calibration shows how many that is; sign generously up front (signing is not measured).
    let run = yrd_node::clock::unix_ms();
    let budget = if params.smoke { 5_000 } else { 200_000 };
    eprintln!("signing {budget} flooder transactions ...");
    let txs = Arc::new(sign_many(&mut flooder, &net.chain_id, run, 0, budget));

    eprintln!(
        "calibrating: the flooder alone, flat out, {} s ...",
        params.calibrate_secs
    );
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::spawn(flood(
        clients[FLOOD_NODE].clone(),
        Arc::clone(&txs),
        None,
        params.batch,
        params.concurrency,
        Arc::clone(&stop),
        0,
    ));
    let committed_before = committed_of(&seen, &txs);
    let calibrate_start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(params.calibrate_secs)).await;
    let commit_rate = (committed_of(&seen, &txs) - committed_before) as f64
        / calibrate_start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let (calibration, reached) = task.await.context("the calibration flooder failed")?;
    if commit_rate <= 0.0 {
        bail!("no flooder transaction committed during the calibration");
    }

    let flood_rate = commit_rate * params.factor;
    eprintln!(
        "flood: {flood_rate:.0} tx/s offered ({}× the commit rate {commit_rate:.0} tx/s) for {} s, \
         one honest transaction every {} ms ...",
        params.factor, params.secs, params.honest_every_ms
    );
    let stop = Arc::new(AtomicBool::new(false));
    let flood_task = tokio::spawn(flood(
        clients[FLOOD_NODE].clone(),
        Arc::clone(&txs),
        Some(flood_rate),
        params.batch,
        params.concurrency,
        Arc::clone(&stop),
        reached,
    ));
    let stop_honest = Arc::new(AtomicBool::new(false));
    let honest_task = tokio::spawn(honest(
        clients[HONEST_NODE].clone(),
        honest_account,
        net.chain_id.clone(),
        Duration::from_millis(params.honest_every_ms),
        Arc::clone(&stop_honest),
    ));
    let flood_committed_before = committed_of(&seen, &txs);
    let flood_start = Instant::now();
    tokio::time::sleep(Duration::from_secs_f64(params.secs)).await;
    stop_honest.store(true, Ordering::Relaxed);
    let flood_committed = (committed_of(&seen, &txs) - flood_committed_before) as f64
        / flood_start.elapsed().as_secs_f64();
    let (accepted, honest_refused, honest_refusals) =
        honest_task.await.context("the honest issuer failed")?;
    // The flood goes on while the honest transactions drain: they must commit under it.
    let deadline = Instant::now() + Duration::from_secs_f64(params.drain_secs);
    while Instant::now() < deadline {
        let waiting = {
            let seen = lock(&seen);
            accepted
                .iter()
                .filter(|(h, _)| !seen.txs.contains_key(h))
                .count()
        };
        if waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    let (flood_stats, _) = flood_task.await.context("the flooder failed")?;
    stop_observer.store(true, Ordering::Relaxed);
    match observer.await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error),
        Err(error) => bail!("the block observer failed: {error}"),
    }

    // Where the flooder's committed run stops, and what nodes 0 and 1 say of that transaction.
    let first_uncommitted = {
        let seen = lock(&seen);
        txs.iter().position(|t| !seen.txs.contains_key(&t.hash))
    };
    let mut flooder_stalled_at = serde_json::Value::Null;
    if let Some(index) = first_uncommitted {
        let hash = &txs[index].hash;
        let mut statuses = Vec::new();
        for node in [FLOOD_NODE, HONEST_NODE] {
            let status = clients[node]
                .request::<serde_json::Value, _>("tx_getStatus", rpc_params![hash])
                .await
                .unwrap_or_else(|e| json!({ "error": e.to_string() }));
            statuses.push(json!({ "node": node, "status": status }));
        }
        flooder_stalled_at = json!({ "index": index, "hash": hash, "statuses": statuses });
    }
    let ended = Instant::now();
    let seen = lock(&seen);
    let mut honest_committed = 0usize;
    // A transaction that never committed counts with the time it was waited for: a lower bound
    // on its latency, and longer than the drain.
    let mut latencies: Vec<f64> = accepted
        .iter()
        .map(|(hash, at)| {
            let until = match seen.txs.get(hash) {
                Some(seen_at) => {
                    honest_committed += 1;
                    *seen_at
                }
                None => ended,
            };
            until.saturating_duration_since(*at).as_secs_f64() * 1e3
        })
        .collect();
    Ok(Outcome {
        commit_rate_tx_s: commit_rate,
        calibration,
        flood_rate_tx_s: flood_rate,
        flood: flood_stats,
        flood_committed_tx_s: flood_committed,
        honest_submitted: accepted.len(),
        honest_refused,
        honest_refusals,
        honest_committed,
        honest_p50_ms: quantile(&mut latencies, 0.5),
        honest_p99_ms: quantile(&mut latencies, 0.99),
        honest_max_ms: quantile(&mut latencies, 1.0),
        flooder_stalled_at,
    })
}

/// How many of `txs` the observer has seen committed.
fn committed_of(seen: &Mutex<Seen>, txs: &[Prepared]) -> usize {
    let seen = lock(seen);
    txs.iter()
        .filter(|t| seen.txs.contains_key(&t.hash))
        .count()
}

fn report(common: &Common, params: &Params, outcome: &Outcome) -> Report {
    let mut report = Report::new(
        "flood",
        common.smoke,
        common.machine,
        serde_json::to_value(params).unwrap_or(serde_json::Value::Null),
    );
    report.figure(
        "flooder commit rate, alone",
        outcome.commit_rate_tx_s,
        "tx/s",
    );
    report.figure("flood offered", outcome.flood_rate_tx_s, "tx/s");
    report.figure(
        "flood actually sent",
        outcome.flood.sent as f64 / outcome.flood.seconds.max(1e-9),
        "tx/s",
    );
    report.figure(
        "flooder committed during the flood",
        outcome.flood_committed_tx_s,
        "tx/s",
    );
    report.figure("honest submitted", outcome.honest_submitted as f64, "txs");
    report.figure("honest committed", outcome.honest_committed as f64, "txs");
    report.figure(
        "honest refused",
        outcome.honest_refused as f64,
        "submissions",
    );
    report.figure("honest p50 commit latency", outcome.honest_p50_ms, "ms");
    report.figure("honest p99 commit latency", outcome.honest_p99_ms, "ms");
    report.figure("honest max commit latency", outcome.honest_max_ms, "ms");
    report.targets.push(Target::at_most(
        "honest signer's p99 commit latency under the flood, ms",
        outcome.honest_p99_ms,
        HONEST_P99_TARGET_MS,
    ));
    report.detail = json!(outcome);
    report.notes.push(format!(
        "the {NODES} nodes, the flooder, the honest issuer and the block observer share this \
         machine's {} cores; the mempool runs its default limits",
        common.machine.cores
    ));
    let sent_rate = outcome.flood.sent as f64 / outcome.flood.seconds.max(1e-9);
    if sent_rate < 0.9 * outcome.flood_rate_tx_s {
        report.notes.push(format!(
            "the flooder sent {sent_rate:.0} tx/s of the {:.0} asked: submission round trips, \
             not the pacing, limited it",
            outcome.flood_rate_tx_s
        ));
    }
    for (code, sample) in &outcome.flood.refusal_samples {
        report
            .notes
            .push(format!("flooder refusals with code {code}: {sample}"));
    }
    println!();
    println!(
        "flooder alone {:.0} tx/s committed; flood offered {:.0} tx/s, sent {sent_rate:.0} tx/s, \
         {:.0} tx/s of it committed",
        outcome.commit_rate_tx_s, outcome.flood_rate_tx_s, outcome.flood_committed_tx_s
    );
    println!(
        "honest: {} submitted, {} committed, {} refused; p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        outcome.honest_submitted,
        outcome.honest_committed,
        outcome.honest_refused,
        outcome.honest_p50_ms,
        outcome.honest_p99_ms,
        outcome.honest_max_ms
    );
    report
}
