//! `yrd bench scale`: a node database grown through the real execution and commit path to each of
//! several sizes — blocks of anchorings whose signatures are checked on worker threads as the
//! node's admission checks them, executed by the contracts trusting those checks as the node does,
//! and committed to RocksDB in the node's atomic batch — and at each size, query latency
//! (`licence_verify`, plain and with proofs) on a settled database, bytes on disk per record and
//! the process's peak memory.

use std::time::Instant;

use anyhow::Context;
use serde_json::json;
use yrd_consensus::CommitCertificate;
use yrd_consensus::types::{Block, BlockHeader, ExecutedState, QuorumCert, VoteData};
use yrd_contracts::query::licence_verify;
use yrd_contracts::types::ProvinceCode;
use yrd_node::proof::collect::prove_with;
use yrd_node::rpc::backend::ProofAnchor;
use yrd_node::storage::{CommittedBlockWrite, CommittedTransaction, Store, StoreConfig};
use yrd_testkit::Certifier;
use yrd_verifier::query::{LicenceVerifyParams, ProvenQuery};

use crate::Common;
use crate::chain::{Builder, validator_seeds};
use crate::net::commitment;
use crate::report::{Report, Target, Usage, dir_bytes, peak_rss_bytes, quantile};

/// Longest wait for background compactions to finish before the reads of a size are timed.
const SETTLE_MAX_SECS: u64 = 600;

/// `yrd bench scale` arguments.
#[derive(Debug, clap::Args)]
pub struct ScaleArgs {
    /// State sizes (licence records), ascending, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100000,10000000")]
    pub sizes: Vec<u64>,
    /// Queries timed at each size.
    #[arg(long, default_value_t = 20_000)]
    pub queries: u64,
    /// Anchorings per block while growing the state.
    #[arg(long, default_value_t = 10_000)]
    pub per_block: u64,
    /// Prune the state tree to this many versions while growing, as a node prunes to its
    /// `[storage] keep_versions` window; unset, growth keeps every version (the unpruned figure).
    /// A window bounds the disk a large run needs: the live state instead of every version's
    /// tree nodes (10^7 records unpruned take about 64 GB).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub prune_window: Option<u64>,
}

/// Run the scenario.
pub fn run(args: &ScaleArgs, common: &Common) -> anyhow::Result<Report> {
    let (sizes, queries, per_block) = if common.smoke {
        (vec![1_000, 5_000], 500, 1_000)
    } else {
        (args.sizes.clone(), args.queries, args.per_block)
    };
    anyhow::ensure!(sizes.windows(2).all(|w| w[0] < w[1]), "--sizes must ascend");
    let db = common.work_dir.join("db");
    let mut config = StoreConfig::default();
    if let Some(window) = args.prune_window {
        config.keep_versions = window;
    }
    let store = Store::open(&db, config).context("opening the database")?;
    let spec = yrd_verifier::chain_spec::ChainSpec::from_genesis(crate::chain::genesis())?;
    let state = yrd_node::host::restart::open_state(&store, &spec)?;
    let genesis_header = spec.consensus.header();
    let hook_store = store.clone();
    let mut parent = (genesis_header.id(), spec.consensus.state_root);
    let hook = Box::new(
        move |ctx: &yrd_contracts::BlockContext,
              txs: &[yrd_contracts::SignedTx],
              outcome: &yrd_contracts::BlockOutcome| {
            let payload = yrd_contracts::payload::encode_payload(
                &txs.iter()
                    .map(yrd_contracts::SignedTx::to_bytes)
                    .collect::<Vec<_>>(),
            );
            let header = BlockHeader {
                epoch: 0,
                round: ctx.height,
                height: ctx.height,
                parent_id: parent.0,
                parent_qc: QuorumCert::root(VoteData {
                    epoch: 0,
                    round: ctx.height - 1,
                    height: ctx.height - 1,
                    block_id: parent.0,
                }),
                payload_digest: yrd_consensus::types::payload_digest(&payload),
                proposer: yrd_consensus::PublicKey::default(),
                timestamp_ms: ctx.block_time_ms,
                executed: ExecutedState {
                    height: ctx.height - 1,
                    state_root: parent.1,
                },
                next_validator_set: None,
            };
            parent = (header.id(), outcome.state_root.0);
            let certificate = CommitCertificate {
                headers: vec![header.clone()],
                qc: QuorumCert::root(header.vote_data()),
            };
            let transactions = CommittedTransaction::with_receipts(txs, &outcome.receipts);
            // Not synced, as the node commits every block of a run but the last; the database
            // is flushed before each size's reads.
            hook_store.commit_block_with(
                &CommittedBlockWrite {
                    block: Block { header, payload },
                    certificate,
                    transactions,
                    state_root: outcome.state_root.0,
                },
                false,
            )?;
            anyhow::Ok(())
        },
    );
    let mut builder = Builder::from_state(spec, state, Some(hook));
    builder.setup()?;

    let mut steps = Vec::new();
    let mut report = Report::new(
        "scale",
        common.smoke,
        common.machine,
        json!({
            "sizes": sizes,
            "queriesPerSize": queries,
            "anchoringsPerBlock": per_block,
            "pruneWindowWhileGrowing": args.prune_window,
        }),
    );
    let started = Instant::now();
    for &size in &sizes {
        let grow_start = Instant::now();
        let grown = size - builder.anchored;
        let mut last_print = Instant::now();
        let mut pruned_at = builder.state.version();
        while builder.anchored < size {
            let n = per_block.min(size - builder.anchored);
            builder.anchor_more(n, per_block, common.machine.cores)?;
            // As a node does (every `PRUNE_EVERY_BLOCKS`, here every window's worth of blocks).
            if let Some(window) = args.prune_window
                && builder.state.version() >= pruned_at + window
            {
                store.prune_to_window()?;
                pruned_at = builder.state.version();
            }
            if last_print.elapsed().as_secs() >= 10 {
                eprintln!(
                    "  {} records ({:.0}/s)",
                    builder.anchored,
                    builder.anchored as f64 / started.elapsed().as_secs_f64()
                );
                last_print = Instant::now();
            }
        }
        let grow_s = grow_start.elapsed().as_secs_f64();
        store.flush()?;
        // Reads are timed on a settled database, not against the compactions the growth left
        // queued (they share the two cores); bounded so a busy database cannot stall the run.
        let settle = Instant::now();
        while store.compaction_busy()? && settle.elapsed().as_secs() < SETTLE_MAX_SECS {
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        let settle_s = settle.elapsed().as_secs_f64();
        let disk = dir_bytes(&db);
        let version = builder.state.version();
        let root = builder.state.root().map_err(|e| anyhow::anyhow!("{e}"))?;
        let snapshot = builder.state.snapshot_at(version);
        let issuer = crate::net::issuer_uscc(0);
        const WALK_SEED: u64 = 1;
        let mut i = WALK_SEED;
        let usage_before = Usage::now();
        let plain_started = Instant::now();
        let mut plain = time_plain_queries(&snapshot, size, queries, &mut i)?;
        let plain_mean_us = plain_started.elapsed().as_secs_f64() * 1e6 / queries.max(1) as f64;
        let plain_usage = Usage::now()
            .zip(usage_before)
            .map(|(now, before)| now.since(before));
        let mut certifier = Certifier::new(&builder.spec.consensus, &validator_seeds());
        let (header, certificate) = certifier.certify(version, root.0);
        let anchor = ProofAnchor {
            header,
            certificate: Some(certificate),
            epoch_changes: Vec::new(),
        };
        let prover = |key: &[u8]| snapshot.get_with_proof(key);
        let mut proven = Vec::with_capacity(queries as usize);
        for _ in 0..queries {
            i = i
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let query = ProvenQuery::LicenceVerify(LicenceVerifyParams {
                issuer: issuer.clone(),
                commitment: commitment(0, (i >> 11) % size),
                region: ProvinceCode::JIANGSU,
                verifier_did: None,
                batch: None,
            });
            let t = Instant::now();
            prove_with(&anchor, &prover, query).map_err(|e| anyhow::anyhow!("{e}"))?;
            proven.push(t.elapsed().as_secs_f64() * 1e6);
        }
        // The first plain pass again, after everything else: whatever the first pass fetched
        // is now cached, so the gap between the two passes is what fetching cost (the first
        // pass is the figure the target is about; this one is a diagnosis).
        let mut walk = WALK_SEED;
        let mut repeat = time_plain_queries(&snapshot, size, queries, &mut walk)?;
        let per_query = |n: u64| n as f64 / queries.max(1) as f64;
        let tables: serde_json::Map<String, serde_json::Value> = store
            .table_sst_bytes()?
            .into_iter()
            .filter(|(_, bytes)| *bytes > 0)
            .map(|(table, bytes)| (table.to_owned(), json!(bytes)))
            .collect();
        let step = json!({
            "records": size,
            "growSeconds": grow_s,
            "compactionSettleSeconds": settle_s,
            "plainP50Us": quantile(&mut plain, 0.5),
            "plainP99Us": quantile(&mut plain, 0.99),
            "provenP50Us": quantile(&mut proven, 0.5),
            "provenP99Us": quantile(&mut proven, 0.99),
            "plainMeanUs": plain_mean_us,
            "plainOnCpuUsPerQuery": plain_usage.map(|u| per_query(u.on_cpu_ns) / 1e3),
            "plainWaitingForCoreUsPerQuery": plain_usage.map(|u| per_query(u.runqueue_ns) / 1e3),
            "plainStorageReadBytesPerQuery": plain_usage.map(|u| per_query(u.storage_read_bytes)),
            "plainRepeatP50Us": quantile(&mut repeat, 0.5),
            "plainRepeatP99Us": quantile(&mut repeat, 0.99),
            "tableSstBytes": tables,
            "diskBytes": disk,
            "diskBytesPerRecord": disk as f64 / size as f64,
            "peakRssBytes": peak_rss_bytes(),
        });
        eprintln!("  {step}");
        report.figure(
            &format!("{size} records: licence_verify p50"),
            step["plainP50Us"].as_f64().unwrap_or(0.0),
            "µs",
        );
        report.figure(
            &format!("{size} records: licence_verify p99"),
            step["plainP99Us"].as_f64().unwrap_or(0.0),
            "µs",
        );
        report.figure(
            &format!("{size} records: licence_verify p99, the same queries again"),
            step["plainRepeatP99Us"].as_f64().unwrap_or(0.0),
            "µs",
        );
        // Where the system does not report the counters, no figure rather than a false zero.
        if let Some(usage) = plain_usage {
            report.figure(
                &format!("{size} records: bytes read from storage per licence_verify"),
                per_query(usage.storage_read_bytes),
                "B",
            );
            report.figure(
                &format!("{size} records: licence_verify mean wall time off a core"),
                plain_mean_us - per_query(usage.on_cpu_ns.saturating_add(usage.runqueue_ns)) / 1e3,
                "µs",
            );
        }
        report.figure(
            &format!("{size} records: with proof p99"),
            step["provenP99Us"].as_f64().unwrap_or(0.0),
            "µs",
        );
        report.figure(
            &format!("{size} records: disk bytes per record"),
            disk as f64 / size as f64,
            "B",
        );
        report.figure(
            &format!("{size} records: peak memory of the process"),
            peak_rss_bytes().unwrap_or(0) as f64 / 1_048_576.0,
            "MiB",
        );
        report.figure(
            &format!("{size} records: growth rate to this size"),
            grown as f64 / grow_s,
            "records/s",
        );
        steps.push(step);
    }
    let mut pruning = None;
    if let Some(&size) = sizes.last() {
        let pruned = prune_and_measure(&store, &db, &builder, size, queries)?;
        eprintln!("  {pruned}");
        let window_label = match args.prune_window {
            None => "after pruning to the default keep_versions".to_owned(),
            Some(window) => format!("pruned to {window} versions while growing"),
        };
        for (label, key) in [
            (window_label.as_str(), "keepDefaultBytesPerRecord"),
            (
                "after pruning to the latest version only",
                "latestOnlyBytesPerRecord",
            ),
        ] {
            report.figure(
                &format!("{size} records: disk bytes per record {label}"),
                pruned[key].as_f64().unwrap_or(0.0),
                "B",
            );
        }
        report.figure(
            &format!("{size} records: licence_verify p99 after pruning to the latest version"),
            pruned["latestOnlyPlainP99Us"].as_f64().unwrap_or(0.0),
            "µs",
        );
        pruning = Some(pruned);
    }
    if let (Some(first), Some(last)) = (steps.first(), steps.last()) {
        let a = first["plainP99Us"]
            .as_f64()
            .unwrap_or(0.0)
            .max(f64::MIN_POSITIVE);
        let b = last["plainP99Us"].as_f64().unwrap_or(0.0);
        report.targets.push(Target::at_most(
            &format!("p99 at {} ÷ p99 at {}", last["records"], first["records"]),
            b / a,
            1.5,
        ));
    }
    report.detail = match pruning {
        Some(pruned) => json!({ "steps": steps, "pruning": pruned }),
        None => json!(steps),
    };
    report.notes.push(
        "queries run in-process against the node's RocksDB state (no HTTP), so the figures isolate \
         the state's growth; blocks carry placeholder certificates (this database is never served)"
            .into(),
    );
    Ok(report)
}

/// Disk bytes per record at the largest size after pruning the state tree: first to the store's
/// window (the node's default `[storage] keep_versions`, or `--prune-window` when the growth
/// pruned; the bench's history is shorter than the default, so that prunes nothing unless the
/// run made more versions), then to the latest version alone (the
/// floor: the live state, what a node that keeps no history would hold). Each prune is followed by
/// a full compaction so the freed space shows on disk; plain `licence_verify` p99 is measured
/// again on the pruned store.
fn prune_and_measure(
    store: &Store,
    db: &std::path::Path,
    builder: &Builder<impl yrd_contracts::tree::TreeStore>,
    size: u64,
    queries: u64,
) -> anyhow::Result<serde_json::Value> {
    let latest = builder.state.version();
    let keep = store.config().keep_versions;
    let started = Instant::now();
    store.prune_to_window()?;
    store.flush()?;
    store.compact_all()?;
    let keep_default = dir_bytes(db);
    store.prune_tree(latest)?;
    store.flush()?;
    store.compact_all()?;
    let latest_only = dir_bytes(db);
    let prune_s = started.elapsed().as_secs_f64();
    let snapshot = builder.state.snapshot_at(latest);
    let mut plain = time_plain_queries(&snapshot, size, queries, &mut 7u64)?;
    Ok(json!({
        "records": size,
        "versions": latest + 1,
        "keepVersions": keep,
        "keepDefaultBytesPerRecord": keep_default as f64 / size as f64,
        "latestOnlyBytesPerRecord": latest_only as f64 / size as f64,
        "latestOnlyPlainP99Us": quantile(&mut plain, 0.99),
        "pruneAndCompactSeconds": prune_s,
    }))
}

/// `queries` plain `licence_verify` calls on random anchored licences (of the first `size`), each
/// timed alone, in µs; `walk` is the pseudo-random walk's state, advanced once per query.
fn time_plain_queries(
    snapshot: &impl yrd_contracts::StateReader,
    size: u64,
    queries: u64,
    walk: &mut u64,
) -> anyhow::Result<Vec<f64>> {
    let issuer = crate::net::issuer_uscc(0);
    let mut times = Vec::with_capacity(queries as usize);
    for _ in 0..queries {
        *walk = walk
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let c = commitment(0, (*walk >> 11) % size);
        let t = Instant::now();
        let answer = licence_verify(snapshot, &issuer, &c, ProvinceCode::JIANGSU, None)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        times.push(t.elapsed().as_secs_f64() * 1e6);
        anyhow::ensure!(
            answer.valid == Some(true),
            "record {c:?} not found among {size}"
        );
    }
    Ok(times)
}
