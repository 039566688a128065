//! `yrd bench throughput`: committed transactions per second of a local 4-validator network,
//! found by a saturation search.
//!
//! Four `yrd node` processes run on this machine; a set of issuers is accredited; then a load
//! generator in this process submits signed anchoring transactions at an offered rate that doubles
//! from step to step. Each transaction goes to the node its issuer is assigned to (issuers are
//! spread round-robin over the nodes), in JSON-RPC batch requests sent by many concurrent tasks.
//! An observer polls node 0's head every 50 ms and reads each new block's transaction hashes; a
//! transaction's commit latency runs from the moment its submission was sent to the moment the
//! observer first saw the block holding it.
//!
//! A step is degraded when fewer than 80% of the transactions it offered committed (within the
//! step plus a drain), when its p99 latency passes five times the first step's p50 (and at least
//! 2 s), or when any submission was refused. The search stops at the first degraded step; the
//! sustained rate is the best committed rate of a step that was not degraded.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::core::params::BatchRequestBuilder;
use jsonrpsee::http_client::HttpClient;
use jsonrpsee::rpc_params;
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use yrd_contracts::ChainId;

use crate::Common;
use yrd_testkit::{ConfigTweaks, LocalNet, Signer, sign_tx};

use crate::net;
use crate::report::{Report, Target, quantile};

/// Validators of the bench network.
const NODES: usize = 4;
/// How often the observer polls node 0's head.
const OBSERVE_EVERY: Duration = Duration::from_millis(50);
/// How often the generator hands due transactions to senders.
const DISPATCH_EVERY: Duration = Duration::from_millis(10);
/// Blocks fetched per `chain_getBlock` batch by the observer.
const BLOCKS_PER_FETCH: u64 = 16;

/// Arguments of `yrd bench throughput`.
#[derive(Debug, clap::Args)]
pub struct ThroughputArgs {
    /// Accredited issuers signing the load, used round-robin (smoke: 4).
    #[arg(long, default_value_t = 64)]
    pub issuers: usize,
    /// Offered rate of the first step, transactions per second; each next step doubles it
    /// (smoke: 20).
    #[arg(long, default_value_t = 100.0)]
    pub start_rate: f64,
    /// Highest offered rate tried.
    #[arg(long, default_value_t = 102_400.0)]
    pub max_rate: f64,
    /// Seconds each step submits for (smoke: 2).
    #[arg(long, default_value_t = 10.0)]
    pub step_secs: f64,
    /// Longest wait after a step for its transactions to commit, seconds (smoke: 5).
    #[arg(long, default_value_t = 10.0)]
    pub drain_secs: f64,
    /// Transactions per JSON-RPC batch request.
    #[arg(long, default_value_t = 64)]
    pub batch: usize,
    /// Most submission requests in flight at once, all nodes together.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// Observer nodes registered and started beside the validators (they pull committed blocks
    /// from them and take no load), to measure what observers cost consensus.
    #[arg(long, default_value_t = 0)]
    pub observers: usize,
}

/// The parameters a run actually used.
#[derive(Debug, Clone, Serialize)]
struct Params {
    nodes: usize,
    observers: usize,
    issuers: usize,
    rates: Vec<f64>,
    step_secs: f64,
    drain_secs: f64,
    batch: usize,
    concurrency: usize,
    tweaks: BTreeMap<&'static str, String>,
}

impl Params {
    fn new(args: &ThroughputArgs, smoke: bool, tweaks: &ConfigTweaks) -> anyhow::Result<Self> {
        let (issuers, start, step_secs, drain_secs, steps) = if smoke {
            (4, 20.0, 2.0, 5.0, 2)
        } else {
            (
                args.issuers,
                args.start_rate,
                args.step_secs,
                args.drain_secs,
                usize::MAX,
            )
        };
        if issuers == 0 || args.batch == 0 || args.concurrency == 0 {
            bail!("--issuers, --batch and --concurrency must be at least 1");
        }
        if !(start > 0.0 && step_secs > 0.0 && drain_secs >= 0.0) {
            bail!("--start-rate and --step-secs must be positive, --drain-secs not negative");
        }
        let mut rates = Vec::new();
        let mut rate = start;
        // Thirty doublings pass any rate this machine could take.
        while rates.len() < steps.min(30) && (rate <= args.max_rate || rates.is_empty()) {
            rates.push(rate);
            rate *= 2.0;
        }
        if args.observers > 16 {
            bail!("--observers must be at most 16 (one province's share)");
        }
        Ok(Self {
            nodes: NODES,
            observers: args.observers,
            issuers,
            rates,
            step_secs,
            drain_secs,
            batch: args.batch,
            concurrency: args.concurrency,
            tweaks: ["consensus", "rpc", "mempool"]
                .into_iter()
                .map(|table| Ok((table, net::table_text(tweaks, table)?)))
                .collect::<anyhow::Result<_>>()?,
        })
    }
}

/// Run the scenario.
pub fn run(args: &ThroughputArgs, common: &Common) -> anyhow::Result<Report> {
    let tweaks = net::load_rpc_limits()
        .set("mempool", "max_txs", 2_000_000)
        .set("mempool", "max_bytes", 2_147_483_648_i64)
        .set("mempool", "max_txs_per_signer", 1_000_000)
        .set("mempool", "max_nonce_gap", 1_000_000)
        .set("mempool", "max_gapped_txs_per_signer", 1_000_000)
        .set("mempool", "max_lifetime_blocks", 1_000_000)
        .set("mempool", "max_lifetime_ms", 86_400_000)
        .set("mempool", "max_gapped_age_ms", 86_400_000);
    let params = Params::new(args, common.smoke, &tweaks)?;
    eprintln!(
        "starting a local {NODES}-validator network in {} ...",
        common.work_dir.display()
    );
    let mut net = net::start(
        &common.work_dir.join("net"),
        NODES,
        params.observers,
        &tweaks,
    )?;
    let observers = net::start_observers(&mut net)?;
    if observers > 0 {
        eprintln!("{observers} observer(s) registered and following");
    }
    let runtime = net::runtime()?;
    let outcome = runtime.block_on(search(&net, &params))?;
    Ok(report(common, &params, &outcome))
}

/// What the search found.
struct Outcome {
    steps: Vec<Step>,
    first_p50_ms: f64,
}

/// One transaction ready to send.
struct Prepared {
    hash: String,
    hex: String,
    node: usize,
}

/// Sign `count` anchorings with global indexes `first..first + count`; index `g` is signed by
/// issuer `g % issuers.len()` with its next nonce. Signing runs on every core.
fn prepare(
    issuers: &mut [Signer],
    chain: &ChainId,
    run: u64,
    from_ms: u64,
    first: u64,
    count: usize,
) -> Vec<Prepared> {
    let m = issuers.len();
    // (issuer, nonce) of each transaction, in order.
    let plan: Vec<(usize, u64)> = (0..count as u64)
        .map(|g| {
            let who = ((first + g) % m as u64) as usize;
            let nonce = issuers[who].next_nonce;
            issuers[who].next_nonce += 1;
            (who, nonce)
        })
        .collect();
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let chunk = count.div_ceil(cores).max(1);
    let keys: Vec<_> = issuers.iter().map(|a| a.key.clone()).collect();
    let mut out: Vec<Prepared> = Vec::with_capacity(count);
    std::thread::scope(|scope| {
        let handles: Vec<_> = plan
            .chunks(chunk)
            .enumerate()
            .map(|(part, slice)| {
                let keys = &keys;
                scope.spawn(move || {
                    slice
                        .iter()
                        .enumerate()
                        .map(|(j, &(who, nonce))| {
                            let global = first + (part * chunk + j) as u64;
                            let tx = sign_tx(
                                chain,
                                &keys[who],
                                nonce,
                                net::anchor(net::commitment(run, global), from_ms),
                                net::BENCH_EXPIRY_HEIGHT,
                            );
                            Prepared {
                                hash: hex::encode(tx.hash()),
                                hex: hex::encode(tx.to_bytes()),
                                node: who % NODES,
                            }
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            // A signing thread cannot fail short of a bug; a missing part shows as a short step.
            if let Ok(part) = handle.join() {
                out.extend(part);
            }
        }
    });
    out
}

/// What the observer has seen: when each transaction hash first appeared in a committed block,
/// and every block.
#[derive(Default)]
pub(super) struct Seen {
    pub(super) txs: HashMap<String, Instant>,
    blocks: Vec<BlockSeen>,
}

/// A committed block as the observer saw it.
struct BlockSeen {
    txs: usize,
    at: Instant,
}

pub(super) fn lock(seen: &Mutex<Seen>) -> MutexGuard<'_, Seen> {
    seen.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Poll `client`'s head every [`OBSERVE_EVERY`] and record every block above `from` until `stop`.
pub(super) async fn observe(
    client: HttpClient,
    seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    from: u64,
) -> anyhow::Result<()> {
    let mut last = from;
    let mut failures = 0u32;
    while !stop.load(Ordering::Relaxed) {
        match observe_once(&client, &seen, last).await {
            Ok(head) => {
                last = head;
                failures = 0;
            }
            Err(error) => {
                failures += 1;
                // Ten seconds of failures in a row means node 0 is gone.
                if failures > 200 {
                    return Err(error.context("observing node 0"));
                }
            }
        }
        tokio::time::sleep(OBSERVE_EVERY).await;
    }
    Ok(())
}

/// One poll: the new head, with the blocks above `last` recorded.
async fn observe_once(client: &HttpClient, seen: &Mutex<Seen>, last: u64) -> anyhow::Result<u64> {
    let head = net::head_height(client).await?;
    let at = Instant::now();
    let mut done = last;
    while done < head {
        let heights: Vec<u64> = (done + 1..=head).take(BLOCKS_PER_FETCH as usize).collect();
        let mut batch = BatchRequestBuilder::new();
        for height in &heights {
            batch.insert("chain_getBlock", rpc_params![height])?;
        }
        let response = client.batch_request::<Value>(batch).await?;
        let mut blocks = Vec::with_capacity(heights.len());
        for (entry, height) in response.into_iter().zip(&heights) {
            let block = entry.map_err(|e| anyhow!("chain_getBlock {height}: {e}"))?;
            let hashes: Vec<String> = block
                .get("txHashes")
                .and_then(Value::as_array)
                .with_context(|| format!("block {height} without txHashes"))?
                .iter()
                .filter_map(|h| h.as_str().map(str::to_ascii_lowercase))
                .collect();
            blocks.push(hashes);
        }
        if blocks.len() != heights.len() {
            bail!(
                "chain_getBlock batch answered {} of {}",
                blocks.len(),
                heights.len()
            );
        }
        let mut guard = lock(seen);
        for hashes in blocks {
            guard.blocks.push(BlockSeen {
                txs: hashes.len(),
                at,
            });
            for hash in hashes {
                guard.txs.entry(hash).or_insert(at);
            }
        }
        done += heights.len() as u64;
    }
    Ok(head)
}

/// The answer to one submission.
struct Sent {
    index: usize,
    at: Instant,
    /// `(kind, message)` when refused: the JSON-RPC error code, or `transport`.
    refused: Option<(String, String)>,
}

/// Submit `items` (index, hex) to `client` in one batch request.
async fn send(client: HttpClient, items: Vec<(usize, String)>) -> (Duration, Vec<Sent>) {
    let mut batch = BatchRequestBuilder::new();
    let mut built = Ok(());
    for (_, hex) in &items {
        built = built.and(batch.insert("tx_submit", rpc_params![hex]));
    }
    let at = Instant::now();
    let answer = match built {
        Ok(()) => client
            .batch_request::<String>(batch)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let rtt = at.elapsed();
    let sent = match answer {
        Ok(response) => {
            let mut entries = response.into_iter();
            items
                .into_iter()
                .map(|(index, _)| Sent {
                    index,
                    at,
                    refused: match entries.next() {
                        Some(Ok(_)) => None,
                        Some(Err(e)) => Some((e.code().to_string(), e.message().to_owned())),
                        None => Some(("missing".to_owned(), "no answer in the batch".to_owned())),
                    },
                })
                .collect()
        }
        Err(message) => items
            .into_iter()
            .map(|(index, _)| Sent {
                index,
                at,
                refused: Some(("transport".to_owned(), message.clone())),
            })
            .collect(),
    };
    (rtt, sent)
}

/// One step's measurements.
#[derive(Debug, Clone, Serialize)]
struct Step {
    offered_tx_s: f64,
    duration_s: f64,
    offered: usize,
    accepted: usize,
    refused: usize,
    refused_by_code: BTreeMap<String, usize>,
    refusal_samples: BTreeMap<String, String>,
    committed: usize,
    committed_tx_s: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    /// How long after the step's end the last transaction was handed to a sender, s.
    dispatch_lag_s: f64,
    /// Submissions answered per second over the time it took to get every answer.
    answered_tx_s: f64,
    /// Round trip of the submission batch requests, ms.
    submit_rtt_p50_ms: f64,
    submit_rtt_p99_ms: f64,
    /// Blocks the observer saw from the step's start to the end of its drain, and their sizes.
    blocks: usize,
    blocks_per_s: f64,
    max_block_txs: usize,
    /// Cores used by this process (generator and observer) and by the nodes, step and drain.
    generator_cores: f64,
    node_cores: f64,
    /// Inbound network messages the nodes dropped during the step (rate limit, size, malformed),
    /// all nodes together.
    network_messages_dropped: u64,
    /// Transactions the nodes refused at ingress (RPC or gossip), all nodes together.
    node_txs_refused: u64,
    /// The largest mempool of a node at the end of the drain.
    mempool_txs_at_end: u64,
    /// Why it counts as degraded, if it does.
    degraded: Option<String>,
    /// Whether the generator fell behind the offered rate.
    generator_behind: bool,
}

/// The load generator's fixed parts.
struct Load {
    clients: Vec<HttpClient>,
    seen: Arc<Mutex<Seen>>,
    observer: tokio::task::JoinHandle<anyhow::Result<()>>,
    batch: usize,
    concurrency: usize,
    net_dir: String,
}

impl Load {
    /// Offer `txs` at `rate` over `duration`, then wait up to `drain` for them to commit.
    async fn step(
        &self,
        mut txs: Vec<Prepared>,
        rate: f64,
        duration: Duration,
        drain: Duration,
    ) -> anyhow::Result<Step> {
        let total = txs.len();
        let permits = Arc::new(Semaphore::new(self.concurrency));
        let mut tasks: JoinSet<(Duration, Vec<Sent>)> = JoinSet::new();
        let mut answers: Vec<(Duration, Vec<Sent>)> = Vec::new();
        let cpu_before = (own_cpu_seconds(), processes_cpu_seconds(&self.net_dir));
        let nodes_before = self.node_counters().await;
        let start = Instant::now();
        let mut ticker = tokio::time::interval(DISPATCH_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut next = 0usize;
        while next < total {
            ticker.tick().await;
            let due = ((start.elapsed().as_secs_f64() * rate) as usize + 1).min(total);
            if due <= next {
                continue;
            }
            let mut per_node: Vec<Vec<(usize, String)>> = vec![Vec::new(); self.clients.len()];
            for (index, tx) in txs.iter_mut().enumerate().take(due).skip(next) {
                per_node[tx.node].push((index, std::mem::take(&mut tx.hex)));
            }
            next = due;
            for (node, items) in per_node.into_iter().enumerate() {
                let mut items = items.into_iter().peekable();
                while items.peek().is_some() {
                    let chunk: Vec<(usize, String)> = items.by_ref().take(self.batch).collect();
                    let permit = Arc::clone(&permits).acquire_owned().await?;
                    let client = self.clients[node].clone();
                    tasks.spawn(async move {
                        let answer = send(client, chunk).await;
                        drop(permit);
                        answer
                    });
                }
            }
            while let Some(done) = tasks.try_join_next() {
                answers.push(done.context("a submission task failed")?);
            }
        }
        let dispatched = start.elapsed();
        while let Some(done) = tasks.join_next().await {
            answers.push(done.context("a submission task failed")?);
        }
        let answered = start.elapsed();

        let mut refused_by_code: BTreeMap<String, usize> = BTreeMap::new();
        let mut refusal_samples: BTreeMap<String, String> = BTreeMap::new();
        let mut rtts: Vec<f64> = Vec::with_capacity(answers.len());
        let mut accepted: Vec<(usize, Instant)> = Vec::with_capacity(total);
        for (rtt, sent) in answers {
            rtts.push(rtt.as_secs_f64() * 1e3);
            for one in sent {
                match one.refused {
                    None => accepted.push((one.index, one.at)),
                    Some((code, message)) => {
                        *refused_by_code.entry(code.clone()).or_default() += 1;
                        refusal_samples.entry(code).or_insert(message);
                    }
                }
            }
        }

        // Drain: wait until every accepted transaction was seen committed, or the limit.
        let deadline = Instant::now() + drain;
        loop {
            let waiting = {
                let seen = lock(&self.seen);
                accepted
                    .iter()
                    .filter(|(i, _)| !seen.txs.contains_key(&txs[*i].hash))
                    .count()
            };
            if waiting == 0 || Instant::now() >= deadline {
                break;
            }
            if self.observer.is_finished() {
                bail!("the block observer stopped");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let end = Instant::now();
        let wall = end.duration_since(start).as_secs_f64();
        let cpu_after = (own_cpu_seconds(), processes_cpu_seconds(&self.net_dir));
        let nodes_after = self.node_counters().await;

        let seen = lock(&self.seen);
        let mut latencies: Vec<f64> = accepted
            .iter()
            .filter_map(|(i, at)| {
                seen.txs
                    .get(&txs[*i].hash)
                    .map(|seen_at| seen_at.saturating_duration_since(*at).as_secs_f64() * 1e3)
            })
            .collect();
        let in_step: Vec<&BlockSeen> = seen
            .blocks
            .iter()
            .filter(|b| b.at >= start && b.at <= end)
            .collect();
        let committed = latencies.len();
        let duration_s = duration.as_secs_f64();
        let refused = total - accepted.len();
        Ok(Step {
            offered_tx_s: rate,
            duration_s,
            offered: total,
            accepted: accepted.len(),
            refused,
            refused_by_code,
            refusal_samples,
            committed,
            committed_tx_s: committed as f64 / duration_s,
            p50_ms: quantile(&mut latencies, 0.5),
            p99_ms: quantile(&mut latencies, 0.99),
            max_ms: quantile(&mut latencies, 1.0),
            dispatch_lag_s: (dispatched.as_secs_f64() - duration_s).max(0.0),
            answered_tx_s: total as f64 / answered.as_secs_f64().max(1e-9),
            submit_rtt_p50_ms: quantile(&mut rtts, 0.5),
            submit_rtt_p99_ms: quantile(&mut rtts, 0.99),
            blocks: in_step.len(),
            blocks_per_s: in_step.len() as f64 / wall,
            max_block_txs: in_step.iter().map(|b| b.txs).max().unwrap_or(0),
            generator_cores: (cpu_after.0 - cpu_before.0) / wall,
            node_cores: (cpu_after.1 - cpu_before.1) / wall,
            network_messages_dropped: nodes_after.dropped.saturating_sub(nodes_before.dropped),
            node_txs_refused: nodes_after.refused.saturating_sub(nodes_before.refused),
            mempool_txs_at_end: nodes_after.largest_mempool,
            degraded: None,
            generator_behind: false,
        })
    }

    /// The nodes' counters summed (nodes that do not answer count 0).
    async fn node_counters(&self) -> NodeCounters {
        let mut sum = NodeCounters::default();
        for client in &self.clients {
            let Ok(status) = client
                .request::<Value, _>("node_getStatus", rpc_params![])
                .await
            else {
                continue;
            };
            let counter = |name: &str| status["counters"][name].as_u64().unwrap_or(0);
            sum.dropped += counter("networkMessagesDropped");
            sum.refused += counter("txsRefused");
            sum.largest_mempool = sum
                .largest_mempool
                .max(status["mempoolTxs"].as_u64().unwrap_or(0));
        }
        sum
    }
}

/// Counters of all nodes together.
#[derive(Debug, Default, Clone, Copy)]
struct NodeCounters {
    dropped: u64,
    refused: u64,
    largest_mempool: u64,
}

/// Set up the issuers, then run the steps until one degrades.
async fn search(net: &LocalNet, params: &Params) -> anyhow::Result<Outcome> {
    let clients: Vec<HttpClient> = (0..NODES)
        .map(|i| net::node_client(net, i))
        .collect::<anyhow::Result<_>>()?;
    eprintln!("accrediting {} issuers ...", params.issuers);
    let mut issuers = net::setup_issuers(
        &clients[0],
        &net.chain_id,
        net.authority_key("shanghai")?,
        params.issuers,
    )
    .await
    .context("setting up the issuers")?;
    // Every node must hold the accreditations before the load starts: a node a block behind
    // refuses an issuer's first anchorings ("no role in state"), and the issuer's later nonces
    // then wait behind the gap at every node until they are evicted.
    let accredited = net::head_height(&clients[0]).await?;
    for client in &clients[1..] {
        net::wait_height(client, accredited, Duration::from_secs(60)).await?;
    }
    let from = net::head_height(&clients[0]).await?;
    let seen = Arc::new(Mutex::new(Seen::default()));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = tokio::spawn(observe(
        clients[0].clone(),
        Arc::clone(&seen),
        Arc::clone(&stop),
        from,
    ));
    let load = Load {
        clients: clients.clone(),
        seen,
        observer,
        batch: params.batch,
        concurrency: params.concurrency,
        net_dir: format!("{}/", net.dir().display()),
    };
    let result = run_steps(&load, &mut issuers, &net.chain_id, params).await;
    stop.store(true, Ordering::Relaxed);
    let observed = load.observer.await;
    let outcome = result?;
    match observed {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return Err(error),
        Err(error) => bail!("the block observer failed: {error}"),
    }
    Ok(outcome)
}

async fn run_steps(
    load: &Load,
    issuers: &mut [Signer],
    chain: &ChainId,
    params: &Params,
) -> anyhow::Result<Outcome> {
    let run_id = yrd_node::clock::unix_ms();
    let from_ms = yrd_node::clock::unix_ms();
    let duration = Duration::from_secs_f64(params.step_secs);
    let drain = Duration::from_secs_f64(params.drain_secs);
    let mut steps: Vec<Step> = Vec::new();
    let mut first_p50_ms = 0.0;
    let mut next_index = 0u64;
    eprintln!("{}", step_header());
    for &rate in &params.rates {
        let count = (rate * params.step_secs).round().max(1.0) as usize;
        // Signing blocks this thread (not the runtime's workers) between steps.
        let txs = prepare(issuers, chain, run_id, from_ms, next_index, count);
        next_index += count as u64;
        let candidates: Vec<String> = txs.iter().take(64).map(|t| t.hash.clone()).collect();
        let mut step = load.step(txs, rate, duration, drain).await?;
        if steps.is_empty() {
            first_p50_ms = step.p50_ms;
            let committed: Vec<String> = {
                let seen = lock(&load.seen);
                candidates
                    .into_iter()
                    .filter(|h| seen.txs.contains_key(h))
                    .take(8)
                    .collect()
            };
            check_receipts(&load.clients[0], &committed).await?;
        }
        let latency_limit = (5.0 * first_p50_ms).max(2_000.0);
        let mut reasons = Vec::new();
        if step.refused > 0 {
            reasons.push(format!("{} submissions refused", step.refused));
        }
        if step.committed_tx_s < 0.8 * rate {
            reasons.push(format!(
                "committed {:.0}/s is below 80% of the offered {rate:.0}/s",
                step.committed_tx_s
            ));
        }
        if step.p99_ms > latency_limit {
            reasons.push(format!(
                "p99 {:.0} ms is above {latency_limit:.0} ms",
                step.p99_ms
            ));
        }
        step.generator_behind = step.dispatch_lag_s > (0.1 * params.step_secs).max(0.25);
        if !reasons.is_empty() {
            step.degraded = Some(reasons.join("; "));
        }
        eprintln!("{}", step_line(&step));
        let stop = step.degraded.is_some() || step.generator_behind;
        steps.push(step);
        if stop {
            break;
        }
    }
    Ok(Outcome {
        steps,
        first_p50_ms,
    })
}

/// Check that committed transactions of the first step succeeded (receipt code 0): otherwise the
/// load is not what it claims to be.
async fn check_receipts(client: &HttpClient, hashes: &[String]) -> anyhow::Result<()> {
    for hash in hashes {
        let status: Value = client.request("tx_getStatus", rpc_params![hash]).await?;
        if status.get("status").and_then(Value::as_str) == Some("committed")
            && status["receipt"]["code"].as_u64() != Some(0)
        {
            bail!("bench transaction {hash} committed with a failure: {status}");
        }
    }
    Ok(())
}

/// CPU seconds (user + system) of the process whose `/proc/<pid>/stat` is `stat`.
fn stat_cpu_seconds(stat: &str) -> Option<f64> {
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime are
    // fields 14 and 15, in clock ticks (100 per second on Linux).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// CPU seconds used by this process so far (0 where `/proc` is unavailable).
fn own_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| stat_cpu_seconds(&s))
        .unwrap_or(0.0)
}

/// CPU seconds used so far by the other processes whose command line mentions `needle` (the
/// network's folder: its nodes).
fn processes_cpu_seconds(needle: &str) -> f64 {
    let me = std::process::id().to_string();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name != me.as_str() && name.bytes().all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read(e.path().join("cmdline"))
                .map(|c| String::from_utf8_lossy(&c).contains(needle))
                .unwrap_or(false)
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter_map(|s| stat_cpu_seconds(&s))
        .sum()
}

fn report(common: &Common, params: &Params, outcome: &Outcome) -> Report {
    let mut report = Report::new(
        "throughput",
        common.smoke,
        common.machine,
        serde_json::to_value(params).unwrap_or(Value::Null),
    );
    let best = outcome
        .steps
        .iter()
        .filter(|s| s.degraded.is_none())
        .max_by(|a, b| a.committed_tx_s.total_cmp(&b.committed_tx_s));
    let sustained = best.map_or(0.0, |s| s.committed_tx_s);
    let ceiling = common.machine.ed25519_batch_verify_per_s_all_cores / NODES as f64;
    report.figure("sustained committed tx/s", sustained, "tx/s");
    report.figure(
        "p50 commit latency at the sustained rate",
        best.map_or(0.0, |s| s.p50_ms),
        "ms",
    );
    report.figure(
        "p99 commit latency at the sustained rate",
        best.map_or(0.0, |s| s.p99_ms),
        "ms",
    );
    report.figure(
        "offered rate of the sustained step",
        best.map_or(0.0, |s| s.offered_tx_s),
        "tx/s",
    );
    report.figure(
        "ceiling: ed25519 batch verify on all cores ÷ 4 nodes",
        ceiling,
        "verifications/s",
    );
    // The signature rule the ledger applies is `verify_strict`, one per transaction per node:
    // this is the reference a transaction's cost is compared with.
    let strict_ceiling = common.machine.ed25519_verify_per_s_all_cores / NODES as f64;
    report.figure(
        "ceiling: ed25519 verify_strict on all cores ÷ 4 nodes",
        strict_ceiling,
        "verifications/s",
    );
    if yrd_consensus::CryptoSuite::current() == yrd_consensus::CryptoSuite::Sm2Sm3 {
        // On sm2-sm3 every transaction costs one SM2 check per node under the ledger's rule
        // (x-only key lifted, Z_A computed), measured on one core in this run and scaled by the
        // cores: the reference this suite's figure is compared with.
        let sm2_ceiling = common.machine.sm2_scheme_verify_per_s_one_core
            * common.machine.cores as f64
            / NODES as f64;
        report.figure(
            "ceiling: SM2 verify (the ledger's rule) on one core × cores ÷ 4 nodes",
            sm2_ceiling,
            "verifications/s",
        );
        report.figure(
            "committed tx/s ÷ the SM2 ceiling",
            if sm2_ceiling > 0.0 {
                sustained / sm2_ceiling
            } else {
                0.0
            },
            "ratio",
        );
    }
    report.targets.push(Target::at_least(
        "sustained committed tx/s (p99 commit latency ≤ 1 s)",
        sustained,
        5_000.0,
    ));
    report.targets.push(Target::at_most(
        "p99 commit latency at the sustained rate",
        best.map_or(f64::INFINITY, |s| s.p99_ms),
        1_000.0,
    ));
    report.targets.push(Target::at_least(
        "committed tx/s ÷ (ed25519 verify_strict on all cores ÷ 4 nodes) (stretch goal)",
        if strict_ceiling > 0.0 {
            sustained / strict_ceiling
        } else {
            0.0
        },
        0.5,
    ));
    report.targets.push(Target::at_least(
        "committed tx/s ÷ (ed25519 batch verify on all cores ÷ 4 nodes)",
        if ceiling > 0.0 {
            sustained / ceiling
        } else {
            0.0
        },
        0.5,
    ));
    report.detail = json!({
        "steps": outcome.steps,
        "first_step_p50_ms": outcome.first_p50_ms,
    });

    print_steps(&outcome.steps);
    report.notes.push(format!(
        "the {NODES} nodes, the load generator and the block observer share this machine's {} cores; \
         a step's generator and node columns are the cores each used",
        common.machine.cores
    ));
    match outcome.steps.last() {
        Some(last) if last.generator_behind => report.notes.push(format!(
            "the search stopped because submissions fell {:.1} s behind the offered {:.0} tx/s \
             (submission round trip p99 {:.0} ms, generator {:.2} cores, nodes {:.2} cores): the \
             generator or the nodes' RPC ingress, not consensus, set the limit of that step",
            last.dispatch_lag_s,
            last.offered_tx_s,
            last.submit_rtt_p99_ms,
            last.generator_cores,
            last.node_cores
        )),
        Some(last) => match &last.degraded {
            Some(reason) => report.notes.push(format!(
                "the search stopped at {:.0} tx/s offered: {reason}",
                last.offered_tx_s
            )),
            None => report.notes.push(format!(
                "no step degraded up to {:.0} tx/s offered (the highest rate tried)",
                last.offered_tx_s
            )),
        },
        None => {}
    }
    if best.is_none() {
        report
            .notes
            .push("even the first step degraded: no sustained rate".to_owned());
    }
    for step in &outcome.steps {
        for (code, sample) in &step.refusal_samples {
            report.notes.push(format!(
                "at {:.0} tx/s, refusals with code {code}: {sample}",
                step.offered_tx_s
            ));
        }
    }
    report
}

fn print_steps(steps: &[Step]) {
    println!();
    println!("{}", step_header());
    for step in steps {
        println!("{}", step_line(step));
    }
}

fn step_header() -> String {
    format!(
        "{:>9} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7} {:>6} {:>7} {:>8} {:>7} {:>5} {:>5}  verdict",
        "offered/s",
        "commit/s",
        "committed",
        "refused",
        "p50 ms",
        "p99 ms",
        "rtt p99",
        "blocks",
        "max blk",
        "net drop",
        "mempool",
        "gen c",
        "nodes"
    )
}

fn step_line(s: &Step) -> String {
    format!(
        "{:>9.0} {:>9.1} {:>9} {:>7} {:>7.0} {:>7.0} {:>7.0} {:>6} {:>7} {:>8} {:>7} {:>5.2} {:>5.2}  {}{}",
        s.offered_tx_s,
        s.committed_tx_s,
        s.committed,
        s.refused,
        s.p50_ms,
        s.p99_ms,
        s.submit_rtt_p99_ms,
        s.blocks,
        s.max_block_txs,
        s.network_messages_dropped,
        s.mempool_txs_at_end,
        s.generator_cores,
        s.node_cores,
        s.degraded.as_deref().unwrap_or("ok"),
        if s.generator_behind {
            format!(" (submissions fell {:.1} s behind)", s.dispatch_lag_s)
        } else {
            String::new()
        }
    )
}
