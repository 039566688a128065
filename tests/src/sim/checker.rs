//! Checkers run over every simulation: safety, state agreement, certificate validity.
//! (Liveness and determinism are judged by the runner, which sees time and traces.)

use std::collections::BTreeMap;

use yrd_consensus::epoch::{EpochChangeProof, verify_epoch_changes};
use yrd_consensus::{Block, BlockId, CommitCertificate, ValidatorSet, verify_commit_certificate};

/// Collects what honest nodes commit and reports violations.
pub struct Checker {
    honest: Vec<bool>,
    /// First honest commit seen at each height: block id, state root, node.
    by_height: BTreeMap<u64, (BlockId, [u8; 32], usize)>,
    /// Validator set of each epoch, learnt from verified epoch changes.
    sets_by_epoch: BTreeMap<u64, ValidatorSet>,
    /// Epoch-change proofs, one per new epoch.
    epoch_proofs: BTreeMap<u64, CommitCertificate>,
    verify_certificates: bool,
    violations: Vec<String>,
}

impl Checker {
    /// A checker for instances whose honesty is `honest[i]`.
    pub fn new(honest: Vec<bool>, genesis_set: ValidatorSet, verify_certificates: bool) -> Self {
        Self {
            honest,
            by_height: BTreeMap::new(),
            sets_by_epoch: BTreeMap::from([(genesis_set.epoch, genesis_set)]),
            epoch_proofs: BTreeMap::new(),
            verify_certificates,
            violations: Vec::new(),
        }
    }

    /// True when instance `node` is honest.
    pub fn is_honest(&self, node: usize) -> bool {
        self.honest.get(node).copied().unwrap_or(false)
    }

    /// Record a violation.
    pub fn violation(&mut self, text: String) {
        if self.violations.len() < 20 {
            self.violations.push(text);
        }
    }

    /// An honest node committed `block` at `height` with state root `root`.
    pub fn on_commit(
        &mut self,
        node: usize,
        height: u64,
        block: &Block,
        certificate: &CommitCertificate,
        state_root: [u8; 32],
    ) {
        if !self.is_honest(node) {
            return;
        }
        let id = block.id();
        match self.by_height.get(&height) {
            Some((first_id, first_root, first_node)) => {
                if *first_id != id {
                    let text = format!(
                        "SAFETY: node {node} committed {id} at height {height}, node {first_node} \
                         committed {first_id}"
                    );
                    self.violation(text);
                } else if *first_root != state_root {
                    let text = format!(
                        "STATE: node {node} has state root {} at height {height}, node \
                         {first_node} has {}",
                        hex(&state_root),
                        hex(first_root)
                    );
                    self.violation(text);
                }
            }
            None => {
                if self.verify_certificates {
                    self.check_certificate(node, height, block, certificate);
                }
                self.by_height.insert(height, (id, state_root, node));
            }
        }
    }

    fn check_certificate(
        &mut self,
        node: usize,
        height: u64,
        block: &Block,
        certificate: &CommitCertificate,
    ) {
        let epoch = block.header.epoch;
        let Some(set) = self.sets_by_epoch.get(&epoch) else {
            self.violation(format!(
                "CERT: node {node} committed height {height} of unknown epoch {epoch}"
            ));
            return;
        };
        if let Err(error) = verify_commit_certificate(set, &block.id(), certificate) {
            self.violation(format!(
                "CERT: commit certificate of height {height} from node {node} does not verify: {error}"
            ));
        }
    }

    /// An honest node moved to `validator_set` with `proof`.
    pub fn on_epoch_change(
        &mut self,
        node: usize,
        proof: &CommitCertificate,
        validator_set: &ValidatorSet,
    ) {
        if !self.is_honest(node) {
            return;
        }
        let new_epoch = validator_set.epoch;
        if let Some(known) = self.sets_by_epoch.get(&new_epoch) {
            if known != validator_set {
                self.violation(format!(
                    "EPOCH: node {node} moved to a different set for epoch {new_epoch}"
                ));
            }
            return;
        }
        let Some(previous) = self.sets_by_epoch.get(&new_epoch.saturating_sub(1)) else {
            self.violation(format!("EPOCH: node {node} skipped to epoch {new_epoch}"));
            return;
        };
        let single = EpochChangeProof {
            certificates: vec![proof.clone()],
        };
        match verify_epoch_changes(previous, &single) {
            Ok(set) if set == *validator_set => {
                self.sets_by_epoch.insert(new_epoch, set);
                self.epoch_proofs.insert(new_epoch, proof.clone());
            }
            Ok(_) => self.violation(format!("EPOCH: node {node}'s proof leads to another set")),
            Err(error) => self.violation(format!("EPOCH: node {node}'s proof fails: {error}")),
        }
    }

    /// Final checks: the whole chain of epoch changes verifies from genesis.
    pub fn finish(mut self) -> Vec<String> {
        if let Some(genesis) = self.sets_by_epoch.values().next().cloned() {
            let proof = EpochChangeProof {
                certificates: self.epoch_proofs.values().cloned().collect(),
            };
            let expected = self.sets_by_epoch.values().next_back().cloned();
            match verify_epoch_changes(&genesis, &proof) {
                Ok(set) if Some(&set) == expected.as_ref() => {}
                Ok(_) => self.violation("EPOCH: chained proof ends at another set".to_string()),
                Err(error) => self.violation(format!("EPOCH: chained proof fails: {error}")),
            }
        }
        self.violations
    }

    /// Highest height any honest node committed.
    pub fn highest_height(&self) -> u64 {
        self.by_height.keys().next_back().copied().unwrap_or(0)
    }

    /// Epochs reached.
    pub fn epochs(&self) -> usize {
        self.sets_by_epoch.len()
    }
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().take(6).map(|b| format!("{b:02x}")).collect()
}
