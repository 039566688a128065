//! Valid samples of every consensus message the network delivers (each variant, with real
//! signatures from a four-validator set), commit certificates and an epoch-change proof. Shared by
//! the mutation property tests and the `fuzz/` targets (which include this file by path), so both
//! start from inputs that reach past the first tag byte.
#![allow(dead_code)]

use yrd_consensus::types::{
    CommittedBlock, TimeoutCert, TimeoutData, TimeoutSignature, payload_digest,
};
use yrd_consensus::{
    Block, BlockHeader, CommitCertificate, Config, ConsensusMessage, Core, Ed25519Signer,
    EpochChangeProof, ExecutedState, Genesis, Input, Proposal, PublicKey, QuorumCert, Ready,
    Signer, StartState, SyncInfo, SyncRequest, SyncResponse, TimeoutMsg, ValidatorSet, Vote,
};

/// Genesis time of the samples.
pub const SAMPLE_T0: u64 = 1_700_000_000_000;

/// Four equal validators, indexed in key order; the leader of round `r` is `r % 4`.
pub struct SampleNet {
    /// Secret key bytes, in key order.
    pub secrets: Vec<[u8; 32]>,
    /// Signers, in key order.
    pub signers: Vec<Ed25519Signer>,
    /// Public keys, ascending.
    pub keys: Vec<PublicKey>,
    /// The genesis (epoch 0).
    pub genesis: Genesis,
}

impl Default for SampleNet {
    fn default() -> Self {
        Self::new()
    }
}

impl SampleNet {
    /// The four-validator network.
    pub fn new() -> Self {
        let mut secrets: Vec<[u8; 32]> = (1..=4u8).map(|i| [i; 32]).collect();
        secrets.sort_by_key(|s| Ed25519Signer::from_secret_bytes(s).public_key());
        let signers: Vec<Ed25519Signer> = secrets
            .iter()
            .map(Ed25519Signer::from_secret_bytes)
            .collect();
        let keys: Vec<PublicKey> = signers.iter().map(|s| s.public_key()).collect();
        let validator_set = ValidatorSet::equal_power(0, &keys).unwrap();
        let genesis = Genesis {
            validator_set,
            state_root: [7; 32],
            timestamp_ms: SAMPLE_T0,
        };
        Self {
            secrets,
            signers,
            keys,
            genesis,
        }
    }

    /// Config with reputation off, so leaders are plain round-robin.
    pub fn config() -> Config {
        Config {
            reputation_window_rounds: 0,
            ..Config::default()
        }
    }

    /// A started core for validator `index`.
    pub fn core(&self, index: usize) -> Core {
        let signer = Ed25519Signer::from_secret_bytes(&self.secrets[index]);
        let mut core = Core::new(Self::config(), Box::new(signer));
        let _ = core.step(
            SAMPLE_T0,
            Input::Start(Box::new(StartState::from_genesis(&self.genesis))),
        );
        core
    }

    /// The round's leader.
    pub fn leader(&self, round: u64) -> usize {
        (round % self.keys.len() as u64) as usize
    }

    /// A block on `parent` certified by `parent_qc`, proposed by the round's leader.
    pub fn block(&self, parent: &BlockHeader, parent_qc: &QuorumCert, round: u64) -> Block {
        let payload = vec![round as u8; 8];
        let header = BlockHeader {
            epoch: parent.epoch,
            round,
            height: parent.height + 1,
            parent_id: parent.id(),
            parent_qc: parent_qc.clone(),
            payload_digest: payload_digest(&payload),
            proposer: self.keys[self.leader(round)],
            timestamp_ms: SAMPLE_T0 + round * 10,
            executed: ExecutedState {
                height: 0,
                state_root: [7; 32],
            },
            next_validator_set: None,
        };
        Block { header, payload }
    }

    /// A QC on `header` signed by validators 0, 1 and 2.
    pub fn qc(&self, header: &BlockHeader) -> QuorumCert {
        let vote_data = header.vote_data();
        let mut signatures: Vec<_> = self.signers[..3]
            .iter()
            .map(|s| (s.public_key(), s.sign(&vote_data.signing_digest())))
            .collect();
        signatures.sort_by_key(|(k, _)| *k);
        QuorumCert {
            vote_data,
            signatures,
        }
    }

    /// A TC for `round` signed by validators 0, 1 and 2, all reporting `highest_qc`.
    pub fn tc(&self, round: u64, highest_qc: &QuorumCert) -> TimeoutCert {
        let data = TimeoutData {
            epoch: 0,
            round,
            highest_qc_round: highest_qc.round(),
        };
        let mut signatures: Vec<TimeoutSignature> = self.signers[..3]
            .iter()
            .map(|s| TimeoutSignature {
                signer: s.public_key(),
                highest_qc_round: highest_qc.round(),
                signature: s.sign(&data.signing_digest()),
            })
            .collect();
        signatures.sort_by_key(|s| s.signer);
        TimeoutCert {
            epoch: 0,
            round,
            signatures,
            highest_qc: highest_qc.clone(),
        }
    }

    /// Blocks of rounds 1..=n, each the direct child of the one before, with their QCs.
    pub fn chain(&self, n: u64) -> Vec<(Block, QuorumCert)> {
        let mut out = Vec::new();
        let mut parent = self.genesis.header();
        let mut parent_qc = self.genesis.qc();
        for round in 1..=n {
            let block = self.block(&parent, &parent_qc, round);
            parent_qc = self.qc(&block.header);
            parent = block.header.clone();
            out.push((block, parent_qc.clone()));
        }
        out
    }

    /// The commit certificate of block `index` of `chain` (its header, its child's, QC on the child).
    pub fn commit_certificate(chain: &[(Block, QuorumCert)], index: usize) -> CommitCertificate {
        CommitCertificate {
            headers: vec![
                chain[index].0.header.clone(),
                chain[index + 1].0.header.clone(),
            ],
            qc: chain[index + 1].1.clone(),
        }
    }

    /// One message of every kind the network delivers, each valid for a node at genesis.
    pub fn every_message(&self) -> Vec<ConsensusMessage> {
        let chain = self.chain(4);
        let (b1, qc1) = &chain[0];
        let (b2, qc2) = &chain[1];
        let leader = |round: u64| &self.signers[self.leader(round)];
        let tc1 = self.tc(1, &self.genesis.qc());
        // Round 2 timed out with highest QC on b1; round 3 extends b1 with the TC of round 2.
        let tc2 = self.tc(2, qc1);
        let b3_after_tc = self.block(&b1.header, qc1, 3);
        vec![
            ConsensusMessage::Proposal(Box::new(Proposal::sign(b1.clone(), None, leader(1)))),
            ConsensusMessage::Proposal(Box::new(Proposal::sign(b3_after_tc, Some(tc2), leader(3)))),
            ConsensusMessage::Vote(Vote::sign(b1.header.vote_data(), &self.signers[3])),
            ConsensusMessage::Timeout(Box::new(TimeoutMsg::sign(
                0,
                2,
                qc1.clone(),
                Some(tc1.clone()),
                &self.signers[2],
            ))),
            ConsensusMessage::SyncInfo(Box::new(SyncInfo {
                highest_qc: qc2.clone(),
                highest_tc: Some(tc1),
            })),
            ConsensusMessage::SyncRequest(SyncRequest {
                from_height: 1,
                target: b2.id(),
                target_height: 2,
            }),
            ConsensusMessage::SyncResponse(Box::new(SyncResponse {
                committed: vec![
                    CommittedBlock {
                        block: b1.clone(),
                        certificate: Self::commit_certificate(&chain, 0),
                    },
                    CommittedBlock {
                        block: b2.clone(),
                        certificate: Self::commit_certificate(&chain, 1),
                    },
                ],
                uncommitted: vec![chain[2].0.clone(), chain[3].0.clone()],
            })),
        ]
    }

    /// An epoch-change proof from the genesis set to a set of epoch 1 (validators 0..3).
    pub fn epoch_change_proof(&self) -> (EpochChangeProof, ValidatorSet) {
        let next = ValidatorSet::equal_power(1, &self.keys[..3]).unwrap();
        let mut b1 = self.block(&self.genesis.header(), &self.genesis.qc(), 1);
        b1.header.next_validator_set = Some(next.clone());
        let qc1 = self.qc(&b1.header);
        let b2 = self.block(&b1.header, &qc1, 2);
        let qc2 = self.qc(&b2.header);
        let proof = EpochChangeProof {
            certificates: vec![CommitCertificate {
                headers: vec![b1.header, b2.header],
                qc: qc2,
            }],
        };
        (proof, next)
    }
}

/// Releases whatever a ready holds behind the persistence gate, as a host whose writes succeed.
pub fn release(ready: Ready) {
    if let Some(gate) = ready.persist {
        let _ = gate.persist(|_, _| Ok::<(), ()>(()));
    }
}
