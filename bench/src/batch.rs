//! `yrd bench batch`: many licence commitments anchored as batches through one node, the
//! issuer's leaves left with the node, and inclusion proofs fetched and checked for a sample —
//! end to end.

use std::time::{Duration, Instant};

use anyhow::Context;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use yrd_contracts::batch::{BatchProof, BatchTree};
use yrd_contracts::tx::{AnchorBatch, TxPayload};
use yrd_contracts::types::LicenceTypeCode;
use yrd_verifier::chain_spec::ChainSpec;
use yrd_verifier::{Evaluation, ProvenAnswer, verify_answer};

use crate::Common;
use crate::net::{
    self, BENCH_EXPIRY_HEIGHT, BENCH_TYPE, commitment, runtime, setup_issuers, submit,
    wait_committed,
};
use crate::query::bulk_tweaks;
use crate::report::{Report, Target};

/// `yrd bench batch` arguments.
#[derive(Debug, clap::Args)]
pub struct BatchArgs {
    /// Commitments anchored in all.
    #[arg(long, default_value_t = 1_000_000)]
    pub commitments: u64,
    /// Leaves per batch.
    #[arg(long, default_value_t = 65_536)]
    pub batch_size: u64,
    /// Inclusion proofs fetched and checked.
    #[arg(long, default_value_t = 1_000)]
    pub sample: u64,
    /// Of those, full `licence_verify` answers with proofs fetched and verified offline.
    #[arg(long, default_value_t = 50)]
    pub proven_sample: u64,
}

/// Run the scenario.
pub fn run(args: &BatchArgs, common: &Common) -> anyhow::Result<Report> {
    let (total, batch_size, sample, proven_sample) = if common.smoke {
        (2_000, 512, 20, 5)
    } else {
        (
            args.commitments,
            args.batch_size,
            args.sample,
            args.proven_sample,
        )
    };
    let net = net::start(&common.work_dir.join("net"), 1, 0, &bulk_tweaks())?;
    let spec = ChainSpec::load(&net.dir().join("genesis.json"))?;
    let client = net::node_client(&net, 0)?;
    let runtime = runtime()?;
    let mut issuer = runtime
        .block_on(setup_issuers(
            &client,
            &net.chain_id,
            net.authority_key("shanghai")?,
            1,
        ))?
        .pop()
        .context("no issuer")?;

    let started = Instant::now();
    // Issuer side: build the trees.
    let mut batches = Vec::new();
    let mut first = 0u64;
    while first < total {
        let count = batch_size.min(total - first);
        let leaves: Vec<[u8; 32]> = (first..first + count).map(|i| commitment(3, i)).collect();
        let tree = BatchTree::build(leaves.clone()).map_err(|e| anyhow::anyhow!("{e}"))?;
        batches.push((first, leaves, tree));
        first += count;
    }
    let built = started.elapsed();

    let timings = runtime.block_on(async {
        // Anchor every root.
        let mut last = String::new();
        for (_, leaves, tree) in &batches {
            let tx = issuer.sign(
                &net.chain_id,
                TxPayload::AnchorBatch(AnchorBatch {
                    root: tree.root(),
                    count: leaves.len() as u64,
                    licence_type: LicenceTypeCode(BENCH_TYPE.into()),
                }), BENCH_EXPIRY_HEIGHT);
            last = submit(&client, &tx).await?;
        }
        let anchored_height = wait_committed(&client, &last, Duration::from_secs(120)).await?;
        let anchored = started.elapsed();
        // Leave the leaves with the node.
        for (_, leaves, tree) in &batches {
            let hex_leaves: Vec<String> = leaves.iter().map(hex::encode).collect();
            let uscc = crate::net::issuer_uscc(0);
            let signature = yrd_node::rpc::batch_leaves::sign_batch_leaves(
                &issuer.key,
                &net.chain_id,
                &uscc,
                &tree.root(),
                leaves,
            );
            let kept: Value = client
                .request(
                    "batch_submitLeaves",
                    rpc_params![uscc.to_string(), hex_leaves, hex::encode(signature)],
                )
                .await
                .context("batch_submitLeaves")?;
            anyhow::ensure!(kept["root"] == json!(hex::encode(tree.root())), "kept another root: {kept}");
        }
        let uploaded = started.elapsed();
        // Proven answers are read at the certified height, which trails the head: wait until it
        // covers the anchorings.
        wait_certified(&client, anchored_height).await?;
        // Holders fetch proofs and check them against the anchored roots.
        for k in 0..sample {
            let i = (k * 7_919) % total;
            let c = commitment(3, i);
            let inclusion: Value = client
                .request("batch_getInclusionProof", rpc_params![crate::net::issuer_uscc(0).to_string(), hex::encode(c)])
                .await
                .context("batch_getInclusionProof")?;
            let proof: BatchProof = serde_json::from_value(inclusion["proof"].clone())?;
            let (_, _, tree) = batches
                .iter()
                .find(|(start, leaves, _)| i >= *start && i < start + leaves.len() as u64)
                .context("sample outside the batches")?;
            proof
                .verify(&tree.root(), &c)
                .map_err(|e| anyhow::anyhow!("inclusion proof of leaf {i}: {e}"))?;
            if k < proven_sample {
                let answer: ProvenAnswer = serde_json::from_value(
                    client
                        .request(
                            "licence_verify",
                            rpc_params![
                                crate::net::issuer_uscc(0).to_string(),
                                hex::encode(c),
                                310_000,
                                Option::<String>::None,
                                Option::<Value>::None,
                                json!({ "root": inclusion["root"], "proof": inclusion["proof"] }),
                                true
                            ],
                        )
                        .await
                        .context("licence_verify with batch")?,
                )?;
                let verified = verify_answer(&spec, &answer).map_err(|e| anyhow::anyhow!("{e}"))?;
                let valid = matches!(&verified.evaluation, Evaluation::Found(v) if v["valid"] == json!(true));
                anyhow::ensure!(valid, "batch member {i} not proven valid: {}", answer.value);
            }
        }
        anyhow::Ok((anchored, uploaded, started.elapsed()))
    })?;
    let (anchored, uploaded, done) = timings;
    let mut report = Report::new(
        "batch",
        common.smoke,
        common.machine,
        json!({ "commitments": total, "batchSize": batch_size, "batches": batches.len(),
                "sample": sample, "provenSample": proven_sample, "nodes": 1 }),
    );
    report.figure("end to end", done.as_secs_f64(), "s");
    report.figure(
        "  building the batch trees (issuer side)",
        built.as_secs_f64(),
        "s",
    );
    report.figure(
        "  anchoring the roots until committed",
        (anchored - built).as_secs_f64(),
        "s",
    );
    report.figure(
        "  leaving the leaves with the node",
        (uploaded - anchored).as_secs_f64(),
        "s",
    );
    report.figure(
        "  fetching and checking the sample's proofs",
        (done - uploaded).as_secs_f64(),
        "s",
    );
    report.figure(
        "commitments anchored per second, end to end",
        total as f64 / done.as_secs_f64(),
        "1/s",
    );
    report.targets.push(Target::at_most(
        "end to end, seconds",
        done.as_secs_f64(),
        60.0,
    ));
    Ok(report)
}

/// Wait until answers with proofs are read at `height` or later.
pub async fn wait_certified(
    client: &jsonrpsee::http_client::HttpClient,
    height: u64,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answer: Value = client
            .request("state_getProof", rpc_params!["00"])
            .await
            .context("state_getProof")?;
        if answer["proof"]["version"].as_u64().unwrap_or(0) >= height {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "certified height never reached {height}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
