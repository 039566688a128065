//! Certified headers without a network: a chain of real headers signed by validators whose secret
//! keys the caller holds, each attesting an executed state, with the commit certificate a running
//! network would produce (the block, its direct child, and a QC on the child signed by every
//! validator). Used by tests, the proof test vectors and the proof-verification benchmark; a
//! running node never needs it.

use yrd_consensus::types::{BlockHeader, ExecutedState, Genesis, QuorumCert, ValidatorSet};
use yrd_consensus::{CommitCertificate, Signer, SuiteSigner};

/// Extends a chain of certified headers from a genesis.
pub struct Certifier {
    signers: Vec<SuiteSigner>,
    epoch: u64,
    parent: BlockHeader,
    parent_qc: QuorumCert,
    time_ms: u64,
    executed: ExecutedState,
}

impl Certifier {
    /// A chain from `genesis`, signed by validators with these secret seeds.
    pub fn new(genesis: &Genesis, seeds: &[[u8; 32]]) -> Self {
        let header = genesis.header();
        Self {
            signers: seeds.iter().map(crate::signer::suite_signer).collect(),
            epoch: genesis.validator_set.epoch,
            parent_qc: genesis.qc(),
            time_ms: header.timestamp_ms,
            executed: header.executed,
            parent: header,
        }
    }

    /// A QC on `header` signed by `signers` (ascending by key, as certificates require).
    pub fn sign_qc(signers: &[SuiteSigner], header: &BlockHeader) -> QuorumCert {
        let vote_data = header.vote_data();
        let digest = vote_data.signing_digest();
        let mut signatures: Vec<_> = signers
            .iter()
            .map(|s| (s.public_key(), s.sign(&digest)))
            .collect();
        signatures.sort_by_key(|a| a.0);
        QuorumCert {
            vote_data,
            signatures,
        }
    }

    fn next_header(
        &mut self,
        executed: ExecutedState,
        next_set: Option<ValidatorSet>,
    ) -> BlockHeader {
        self.time_ms += 1_000;
        let proposer =
            self.signers[(self.parent.height as usize) % self.signers.len()].public_key();
        BlockHeader {
            epoch: self.epoch,
            round: self.parent.round + 1,
            height: self.parent.height + 1,
            parent_id: self.parent.id(),
            parent_qc: self.parent_qc.clone(),
            payload_digest: yrd_consensus::types::payload_digest(&[]),
            proposer,
            timestamp_ms: self.time_ms,
            executed,
            next_validator_set: next_set,
        }
    }

    /// A committed header attesting `{height, root}` and its commit certificate. The chain goes
    /// on from the certificate's second header.
    pub fn certify(&mut self, height: u64, root: [u8; 32]) -> (BlockHeader, CommitCertificate) {
        self.certify_with(height, root, None)
    }

    /// [`Certifier::certify`], the block carrying `next_set` (a reconfiguration block when its
    /// epoch is the next one). After a reconfiguration the chain continues in the new epoch,
    /// signed by `new_seeds`.
    pub fn certify_with(
        &mut self,
        height: u64,
        root: [u8; 32],
        next_set: Option<ValidatorSet>,
    ) -> (BlockHeader, CommitCertificate) {
        // Grow the chain until a block can attest `height` (always below its own height).
        while self.parent.height < height {
            let filler = self.next_header(self.executed, None);
            self.parent_qc = Self::sign_qc(&self.signers, &filler);
            self.parent = filler;
        }
        let executed = ExecutedState {
            height,
            state_root: root,
        };
        self.executed = executed;
        let block = self.next_header(executed, next_set);
        let block_qc = Self::sign_qc(&self.signers, &block);
        self.parent = block.clone();
        self.parent_qc = block_qc;
        let child = self.next_header(executed, None);
        let child_qc = Self::sign_qc(&self.signers, &child);
        self.parent = child.clone();
        self.parent_qc = child_qc.clone();
        let certificate = CommitCertificate {
            headers: vec![block.clone(), child],
            qc: child_qc,
        };
        (block, certificate)
    }

    /// Switch to the validators of the next epoch (after a reconfiguration block committed):
    /// the new epoch starts from a root QC on the last header, as the consensus core does.
    pub fn enter_epoch(&mut self, epoch: u64, seeds: &[[u8; 32]]) {
        self.signers = seeds.iter().map(crate::signer::suite_signer).collect();
        self.epoch = epoch;
        self.parent_qc = QuorumCert::root(self.parent.vote_data());
    }
}

/// Writes certified `blocks` (with empty payloads) into `store` as a serving node holds them —
/// each block, its commit certificate and its hash index entry — and makes the last one the
/// committed head (its state root left zero: only the tree versions a test or benchmark wrote
/// itself are meant to be read). A snapshot server built this way answers state-sync manifests
/// for any tree version a block attests.
pub fn store_certified_blocks(
    store: &yrd_node::storage::Store,
    blocks: &[(BlockHeader, CommitCertificate)],
) -> Result<(), yrd_node::storage::StorageError> {
    use yrd_node::storage::WriteBatch;
    use yrd_node::storage::tables::{
        BlockHashIndex, Blocks, Certificates, CommittedHead, Metadata, MetadataKey, MetadataValue,
    };
    let mut batch = WriteBatch::new();
    for (header, certificate) in blocks {
        let block = yrd_consensus::types::Block {
            header: header.clone(),
            payload: Vec::new(),
        };
        batch.put::<Blocks>(&header.height, &block)?;
        batch.put::<Certificates>(&header.height, certificate)?;
        batch.put::<BlockHashIndex>(&header.id().0, &header.height)?;
    }
    if let Some((head, _)) = blocks.last() {
        batch.put::<Metadata>(
            &MetadataKey::CommittedHead,
            &MetadataValue::CommittedHead(CommittedHead {
                height: head.height,
                block_hash: head.id().0,
                state_root: [0; 32],
            }),
        )?;
    }
    store.write_synced(batch)
}
