//! The clients: the four province authorities sign real transactions (DID creations, each a new
//! DID, in nonce order per authority) and submit them to a running node as `tx_submit` does —
//! the node's own admission (`host::ingress::admit`) and then gossip. A client keeps every
//! transaction until it sees it committed, and sends it again (to another node) while it is
//! not: a node's pool does not survive a crash, and a gossip delivery can be lost.

use std::collections::BTreeMap;

use ed25519_dalek::SigningKey;
use yrd_contracts::tx::{DidCreate, SubjectKind, TxPayload};
use yrd_contracts::{ChainId, TxBody};
use yrd_node::host::HostNetwork;
use yrd_node::host::ingress::{AdmitError, admit};
use yrd_node::mempool::MempoolError;

use super::cluster::{SimNode, authority_key, ledger_public, ledger_signer};
use super::fabric::SharedFabric;
use crate::rng::SimRng;

/// Highest block height a simulated transaction may be included at.
const EXPIRY_HEIGHT: u64 = 50_000;
/// How long a client waits for a transaction to commit before sending it again, ms.
pub const RESUBMIT_AFTER_MS: u64 = 3_000;

/// A transaction a client made, and what became of it.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Whether some node admitted it (the client was told "accepted").
    pub acknowledged: bool,
    /// When it was last sent, virtual ms since the run started.
    pub last_sent_ms: u64,
    /// Which node it was last sent to.
    pub last_node: usize,
}

/// Counts of what admission answered.
#[derive(Debug, Default, Clone, Copy)]
pub struct SubmitStats {
    /// Admitted.
    pub admitted: u64,
    /// Refused as already held or committed.
    pub duplicates: u64,
    /// Refused for another reason (kept and sent again later).
    pub refused: u64,
    /// Sent again after waiting.
    pub resubmitted: u64,
}

struct Account {
    key: SigningKey,
    next_nonce: u64,
}

/// The four authorities' clients.
pub struct Clients {
    chain_id: ChainId,
    accounts: Vec<Account>,
    /// Every transaction made, by hash.
    pub submitted: BTreeMap<[u8; 32], Submitted>,
    /// Admission's answers.
    pub stats: SubmitStats,
    /// The first refusal that is not a duplicate, for the report.
    pub first_refusal: Option<String>,
    made: u64,
}

impl Clients {
    /// Clients for the chain `chain_id`.
    pub fn new(chain_id: ChainId) -> Self {
        Self {
            chain_id,
            accounts: (0..4)
                .map(|index| Account {
                    key: authority_key(index),
                    next_nonce: 0,
                })
                .collect(),
            submitted: BTreeMap::new(),
            stats: SubmitStats::default(),
            first_refusal: None,
            made: 0,
        }
    }

    /// One authority signs its next transaction (a new DID) and sends it to a running node.
    pub fn submit_new(
        &mut self,
        rng: &mut SimRng,
        nodes: &[SimNode],
        fabric: &SharedFabric,
        now_ms: u64,
    ) {
        let account_index = rng.index(self.accounts.len());
        self.made += 1;
        let mut controller = [0u8; 32];
        controller[..8].copy_from_slice(&self.made.to_le_bytes());
        controller[8] = 0xC0;
        let payload = TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Organisation,
            controller_key: ledger_public(&SigningKey::from_bytes(&controller)),
            services: Vec::new(),
        });
        self.submit(account_index, payload, rng, nodes, fabric, now_ms);
    }

    /// Authority `account_index` signs `payload` as its next transaction and sends it to a
    /// running node; returns its hash.
    pub fn submit(
        &mut self,
        account_index: usize,
        payload: TxPayload,
        rng: &mut SimRng,
        nodes: &[SimNode],
        fabric: &SharedFabric,
        now_ms: u64,
    ) -> Option<[u8; 32]> {
        let account = self.accounts.get_mut(account_index)?;
        let body = TxBody {
            chain_id: self.chain_id.clone(),
            signer: ledger_public(&account.key),
            nonce: account.next_nonce,
            expiry_height: EXPIRY_HEIGHT,
            payload,
        };
        account.next_nonce += 1;
        let signed = body.sign_with(&ledger_signer(&account.key));
        let hash = signed.hash();
        self.submitted.insert(
            hash,
            Submitted {
                bytes: signed.to_bytes(),
                acknowledged: false,
                last_sent_ms: now_ms,
                last_node: usize::MAX,
            },
        );
        self.send(hash, rng, nodes, fabric, now_ms);
        Some(hash)
    }

    /// Sends again every transaction that has waited too long without committing at the node
    /// it was sent to (or whose node is down).
    pub fn resubmit_stale(
        &mut self,
        rng: &mut SimRng,
        nodes: &[SimNode],
        fabric: &SharedFabric,
        now_ms: u64,
    ) {
        let stale: Vec<[u8; 32]> = self
            .submitted
            .iter()
            .filter(|(_, entry)| now_ms.saturating_sub(entry.last_sent_ms) >= RESUBMIT_AFTER_MS)
            .filter(|(hash, _)| !committed_everywhere_up(nodes, hash))
            .map(|(hash, _)| *hash)
            .collect();
        for hash in stale {
            self.stats.resubmitted += 1;
            self.send(hash, rng, nodes, fabric, now_ms);
        }
    }

    /// Sends one transaction to a random running node: admission there, then gossip.
    fn send(
        &mut self,
        hash: [u8; 32],
        rng: &mut SimRng,
        nodes: &[SimNode],
        fabric: &SharedFabric,
        now_ms: u64,
    ) {
        let up: Vec<usize> = (0..nodes.len()).filter(|i| nodes[*i].is_up()).collect();
        if up.is_empty() {
            return;
        }
        let index = up[rng.index(up.len())];
        let Some(shared) = nodes[index].shared() else {
            return;
        };
        let Some(entry) = self.submitted.get_mut(&hash) else {
            return;
        };
        // A client that sees its transaction committed at the node it asks stops sending it.
        if shared.store.has_transaction(&hash).unwrap_or(false) {
            entry.last_sent_ms = now_ms;
            return;
        }
        entry.last_sent_ms = now_ms;
        entry.last_node = index;
        match admit(shared, entry.bytes.clone()) {
            Ok(_) => {
                entry.acknowledged = true;
                self.stats.admitted += 1;
                let network = fabric.handle(nodes[index].instance, nodes[index].public_key());
                // As a node's publisher sends it (`host::tx_gossip`), in a batch of one.
                let bytes = yrd_node::host::tx_gossip::TxBatch(vec![entry.bytes.clone()]).encode();
                tokio::spawn(async move {
                    let _ = network.publish_transaction(bytes).await;
                });
            }
            Err(AdmitError::Mempool(MempoolError::Duplicate(_))) => self.stats.duplicates += 1,
            Err(error) => {
                self.stats.refused += 1;
                if self.first_refusal.is_none() {
                    self.first_refusal = Some(error.to_string());
                }
            }
        }
    }

    /// Hashes of the transactions some node acknowledged.
    pub fn acknowledged(&self) -> Vec<[u8; 32]> {
        self.submitted
            .iter()
            .filter(|(_, entry)| entry.acknowledged)
            .map(|(hash, _)| *hash)
            .collect()
    }
}

/// Whether every running node has `hash` in its committed history.
pub fn committed_everywhere_up(nodes: &[SimNode], hash: &[u8; 32]) -> bool {
    nodes
        .iter()
        .filter_map(SimNode::shared)
        .all(|shared| shared.store.has_transaction(hash).unwrap_or(false))
}
