//! The end-of-run invariants of the real-host simulator (listed in [`super::run`]).

use yrd_consensus::epoch::next_epoch_set;
use yrd_consensus::{ValidatorSet, verify_commit_certificate};
use yrd_node::storage::Store;
use yrd_node::storage::tables::{Blocks, Certificates, StateRoots};

use super::cluster::SimNode;
use super::fabric::SharedFabric;
use super::run::HostSimReport;

/// Checks the nodes left running (`live`) at the end of a run; `byzantine`: the key whose
/// accusations are expected; `joiner`: a validator added by governance, whose votes are counted.
pub fn check(
    genesis_set: &ValidatorSet,
    live: &[&SimNode],
    acknowledged: &[[u8; 32]],
    fabric: &SharedFabric,
    byzantine: Option<[u8; 32]>,
    joiner: Option<[u8; 32]>,
    report: &mut HostSimReport,
) {
    let running: Vec<&SimNode> = live.iter().copied().filter(|node| node.is_up()).collect();
    if running.len() != live.len() {
        report
            .violations
            .push("a node is not running at the end".to_string());
    }
    let heights: Vec<u64> = running
        .iter()
        .filter_map(|node| node.shared())
        .map(|shared| shared.head().height)
        .collect();
    report.min_height = heights.iter().copied().min().unwrap_or(0);
    report.max_height = heights.iter().copied().max().unwrap_or(0);
    let stores: Vec<&Store> = running
        .iter()
        .filter_map(|node| node.shared())
        .map(|shared| &shared.store)
        .collect();
    agreement(&stores, report);
    for (index, store) in stores.iter().enumerate() {
        certified_history(index, store, genesis_set, joiner, report);
    }
    for (index, node) in running.iter().enumerate() {
        let Some(shared) = node.shared() else {
            continue;
        };
        if shared.is_syncing() {
            report.violations.push(format!(
                "status: node {index} reports syncing after the run settled (head {}, highest known {})",
                shared.head().height,
                shared.highest_known_height()
            ));
        }
        // A certified height is at most a few blocks above the highest committed one.
        if shared.highest_known_height() > report.max_height + 3 {
            report.violations.push(format!(
                "status: node {index} knows of certified height {} above every node's head {}",
                shared.highest_known_height(),
                report.max_height
            ));
        }
        let missing = acknowledged
            .iter()
            .filter(|hash| !shared.store.has_transaction(hash).unwrap_or(false))
            .count();
        if missing > 0 {
            report.violations.push(format!(
                "acknowledged: {missing} of {} acknowledged transactions not committed at node {index} after healing",
                acknowledged.len()
            ));
        }
        let pool = shared.mempool();
        let stuck = acknowledged
            .iter()
            .filter(|hash| {
                pool.contains(hash) && shared.store.has_transaction(hash).unwrap_or(false)
            })
            .count();
        if stuck > 0 {
            report.violations.push(format!(
                "pool: {stuck} committed transactions still in node {index}'s pool"
            ));
        }
    }
    for node in &running {
        let (Some(shared), false) = (node.shared(), Some(node.public_key()) == byzantine) else {
            continue;
        };
        let Ok(m) = shared.consensus.lock() else {
            continue;
        };
        let seen = &mut report.honest_seen;
        seen.equivocations += m.equivocations_seen;
        seen.double_votes += m.double_votes_seen;
        seen.dropped_far_future += m.dropped_far_future;
        seen.certificate_verdicts_reused += m.certificate_verdicts_reused;
        seen.certificate_verifications += m.certificate_verifications;
        seen.sync_responses_rejected += m.sync_responses_rejected;
        if let Some(key) = byzantine {
            seen.certificates_rejected_from_byzantine +=
                m.certificates_rejected_from(&yrd_consensus::PublicKey(key));
        }
    }
    for accusation in fabric.reports() {
        if Some(accusation.about) == byzantine {
            report.byzantine_reported += 1;
            continue;
        }
        report.violations.push(format!(
            "accusation: {} reported {}: {}",
            hex::encode(&accusation.by[..4]),
            hex::encode(&accusation.about[..4]),
            accusation.reason
        ));
    }
}

/// The same block and state root at every height every node has.
fn agreement(stores: &[&Store], report: &mut HostSimReport) {
    for height in 1..=report.min_height {
        let mut seen: Option<([u8; 32], [u8; 32])> = None;
        for (index, store) in stores.iter().enumerate() {
            let block = store.get::<Blocks>(&height).ok().flatten();
            let root = store.get::<StateRoots>(&height).ok().flatten();
            let (Some(block), Some(root)) = (block, root) else {
                report.violations.push(format!(
                    "agreement: node {index} lacks block or state root {height}"
                ));
                continue;
            };
            let here = (block.id().0, root);
            match seen {
                None => seen = Some(here),
                Some(first) if first != here => {
                    report.violations.push(format!(
                        "agreement: node {index} differs at height {height} (block or state root)"
                    ));
                }
                Some(_) => {}
            }
        }
    }
}

/// Every stored block's certificate verifies under its epoch's validator set, followed from the
/// genesis set through the reconfiguration blocks, as a light client would.
fn certified_history(
    index: usize,
    store: &Store,
    genesis_set: &ValidatorSet,
    joiner: Option<[u8; 32]>,
    report: &mut HostSimReport,
) {
    let Some(head) = store.committed_head().ok().flatten() else {
        return;
    };
    let mut set = genesis_set.clone();
    let mut added_votes = 0;
    for height in 1..=head.height {
        let block = store.get::<Blocks>(&height).ok().flatten();
        let certificate = store.get::<Certificates>(&height).ok().flatten();
        let (Some(block), Some(certificate)) = (block, certificate) else {
            // A node that started from a snapshot has no blocks below it; none here do.
            report.violations.push(format!(
                "history: node {index} lacks block or certificate {height}"
            ));
            return;
        };
        if let Err(error) = verify_commit_certificate(&set, &block.id(), &certificate) {
            report.violations.push(format!(
                "history: node {index}'s certificate of height {height} does not verify under epoch {}: {error}",
                set.epoch
            ));
            return;
        }
        if joiner.is_some_and(|key| {
            certificate
                .qc
                .signatures
                .iter()
                .any(|(signer, _)| signer.0 == key)
        }) {
            added_votes += 1;
        }
        if let Some(next) = next_epoch_set(&block.header) {
            set = next.clone();
        }
    }
    report.epoch = report.epoch.max(set.epoch);
    if index == 0 {
        report.added_votes = added_votes;
    }
}
