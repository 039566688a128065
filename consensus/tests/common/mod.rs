//! Helpers for step tests: a fixed validator set and hand-built blocks, votes and certificates.
#![allow(dead_code)]

use yrd_consensus::driver::ExecutedRecord;
use yrd_consensus::types::{TimeoutCert, TimeoutData, TimeoutSignature, payload_digest};
use yrd_consensus::{
    Block, BlockHeader, Config, ConsensusMessage, Core, Ed25519Signer, ExecutedState, Genesis,
    Input, Output, Proposal, PublicKey, QuorumCert, Ready, Signer, StartState, ValidatorSet, Vote,
};

/// Genesis time used by every step test.
pub const T0: u64 = 1_700_000_000_000;

/// Four equal validators, indexed in key order (so the base leader of round `r` is `r % 4`).
pub struct Net {
    pub secrets: Vec<[u8; 32]>,
    pub signers: Vec<Ed25519Signer>,
    pub keys: Vec<PublicKey>,
    pub genesis: Genesis,
}

impl Net {
    pub fn new(n: usize) -> Self {
        let mut secrets: Vec<[u8; 32]> = (0..n).map(|i| [i as u8 + 1; 32]).collect();
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
            timestamp_ms: T0,
        };
        Self {
            secrets,
            signers,
            keys,
            genesis,
        }
    }

    pub fn set(&self) -> &ValidatorSet {
        &self.genesis.validator_set
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
            T0,
            Input::Start(Box::new(StartState::from_genesis(&self.genesis))),
        );
        core
    }

    pub fn leader(&self, round: u64) -> usize {
        (round % self.keys.len() as u64) as usize
    }

    pub fn genesis_header(&self) -> BlockHeader {
        self.genesis.header()
    }

    /// A block on `parent` certified by `parent_qc`, proposed by the round's leader.
    pub fn block(
        &self,
        parent: &BlockHeader,
        parent_qc: &QuorumCert,
        round: u64,
        tag: u8,
    ) -> Block {
        let payload = vec![tag; 8];
        let header = BlockHeader {
            epoch: 0,
            round,
            height: parent.height + 1,
            parent_id: parent.id(),
            parent_qc: parent_qc.clone(),
            payload_digest: payload_digest(&payload),
            proposer: self.keys[self.leader(round)],
            timestamp_ms: T0 + round * 10,
            executed: ExecutedState {
                height: 0,
                state_root: [7; 32],
            },
            next_validator_set: None,
        };
        Block { header, payload }
    }

    /// The round leader's signed proposal of `block`.
    pub fn proposal(&self, block: Block, tc: Option<TimeoutCert>) -> Proposal {
        let proposer = self.leader(block.header.round);
        Proposal::sign(block, tc, &self.signers[proposer])
    }

    /// A QC on `header` signed by `signers`.
    pub fn qc(&self, header: &BlockHeader, signers: &[usize]) -> QuorumCert {
        let vote_data = header.vote_data();
        let mut signatures: Vec<(PublicKey, yrd_consensus::Signature)> = signers
            .iter()
            .map(|i| {
                (
                    self.keys[*i],
                    self.signers[*i].sign(&vote_data.signing_digest()),
                )
            })
            .collect();
        signatures.sort_by_key(|(k, _)| *k);
        QuorumCert {
            vote_data,
            signatures,
        }
    }

    pub fn vote(&self, header: &BlockHeader, signer: usize) -> Vote {
        Vote::sign(header.vote_data(), &self.signers[signer])
    }

    /// A TC for `round` whose signers all report `hqc`.
    pub fn tc(&self, round: u64, hqc: &QuorumCert, signers: &[usize]) -> TimeoutCert {
        let data = TimeoutData {
            epoch: 0,
            round,
            highest_qc_round: hqc.round(),
        };
        let mut signatures: Vec<TimeoutSignature> = signers
            .iter()
            .map(|i| TimeoutSignature {
                signer: self.keys[*i],
                highest_qc_round: hqc.round(),
                signature: self.signers[*i].sign(&data.signing_digest()),
            })
            .collect();
        signatures.sort_by_key(|s| s.signer);
        TimeoutCert {
            epoch: 0,
            round,
            signatures,
            highest_qc: hqc.clone(),
        }
    }
}

/// Feed a proposal from its proposer.
pub fn deliver_proposal(core: &mut Core, now: u64, proposal: &Proposal) -> Ready {
    core.step(
        now,
        Input::Proposal {
            from: proposal.block.header.proposer,
            proposal: Box::new(proposal.clone()),
        },
    )
}

/// The votes a ready releases after (successful) persistence.
pub fn persisted_votes(ready: Ready) -> Vec<Vote> {
    let Some(gate) = ready.persist else {
        return Vec::new();
    };
    gate.persist(|_, _| Ok::<(), ()>(()))
        .unwrap()
        .into_iter()
        .filter_map(|o| match o {
            Output::SendTo {
                message: ConsensusMessage::Vote(v),
                ..
            } => Some(v),
            _ => None,
        })
        .collect()
}

pub fn commits(ready: &Ready) -> Vec<(Block, yrd_consensus::CommitCertificate)> {
    ready
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::Commit { block, certificate } => Some((block.clone(), certificate.clone())),
            _ => None,
        })
        .collect()
}

pub fn executed(height: u64, root: [u8; 32]) -> Input {
    Input::Executed(ExecutedRecord {
        height,
        state_root: root,
        next_validator_set: None,
    })
}

/// Everything a ready lets leave after (successful) persistence: its outputs, then the gated
/// messages, with the safety data the host was asked to persist.
pub fn released(ready: Ready) -> (Vec<Output>, Option<yrd_consensus::SafetyData>) {
    let mut outputs = ready.outputs;
    let mut persisted = None;
    if let Some(gate) = ready.persist {
        let gated = gate
            .persist(|data, _| {
                persisted = Some(data.clone());
                Ok::<(), ()>(())
            })
            .unwrap();
        outputs.extend(gated);
    }
    (outputs, persisted)
}

/// The proposals among `outputs`.
pub fn proposals_in(outputs: &[Output]) -> Vec<Proposal> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Broadcast(ConsensusMessage::Proposal(p)) => Some((**p).clone()),
            _ => None,
        })
        .collect()
}

/// A chain `b1..b(n+2)` of direct children and a sync response committing `b1..bn`, each with the
/// certificate a committing node stores: its header, its child's, and the QC on the child that
/// the grandchild embeds.
pub fn synced_chain(net: &Net, n: usize) -> Vec<yrd_consensus::types::CommittedBlock> {
    let mut blocks = Vec::new();
    let mut qcs = Vec::new();
    let mut parent = net.genesis_header();
    let mut parent_qc = net.genesis.qc();
    for round in 1..=(n as u64 + 2) {
        let block = net.block(&parent, &parent_qc, round, round as u8);
        parent_qc = net.qc(&block.header, &[0, 1, 2]);
        parent = block.header.clone();
        qcs.push(parent_qc.clone());
        blocks.push(block);
    }
    (0..n)
        .map(|i| yrd_consensus::types::CommittedBlock {
            block: blocks[i].clone(),
            certificate: yrd_consensus::CommitCertificate {
                headers: vec![blocks[i].header.clone(), blocks[i + 1].header.clone()],
                qc: qcs[i + 1].clone(),
            },
        })
        .collect()
}
