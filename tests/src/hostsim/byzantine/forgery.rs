//! Messages no honest node sends: floods naming later epochs and far heights, timeouts carrying
//! invalid QCs, maximal sync requests, wrong or truncated sync responses, and noise.

use yrd_consensus::types::payload_digest;
use yrd_consensus::{
    BlockId, ConsensusMessage, Proposal, QuorumCert, Signature, Signer, SuiteSigner, SyncInfo,
    SyncRequest, SyncResponse, TimeoutMsg, Vote, VoteData,
};

use super::{Behaviour, ByzantineState};

/// Copies of each invalid-QC timeout the spammer sends.
const INVALID_QC_COPIES: usize = 3;

/// Epoch and round an outgoing message is about, for the proposal and timeout that drive the
/// floods (once or twice per round rather than on every vote).
fn epoch_and_round(message: &ConsensusMessage) -> Option<(u64, u64)> {
    match message {
        ConsensusMessage::Proposal(p) => Some((p.block.header.epoch, p.block.header.round)),
        ConsensusMessage::Timeout(t) => Some((t.epoch, t.round)),
        _ => None,
    }
}

fn forged_id(state: &mut ByzantineState) -> BlockId {
    state.forged = state.forged.wrapping_add(1);
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"yrd-sim/forged-block");
    hasher.update(&state.forged.to_le_bytes());
    BlockId(*hasher.finalize().as_bytes())
}

/// A QC for `block_id` signed by this node alone (short of any quorum).
fn lone_qc(signer: &SuiteSigner, epoch: u64, round: u64, height: u64, id: BlockId) -> QuorumCert {
    let vote_data = VoteData {
        epoch,
        round,
        height,
        block_id: id,
    };
    let signature = signer.sign(&vote_data.signing_digest());
    QuorumCert {
        vote_data,
        signatures: vec![(signer.public_key(), signature)],
    }
}

/// Future-epoch / far-height flooder: with each proposal or timeout it sends, five forgeries to
/// the same recipient — a vote, a timeout and a proposal of later epochs at the largest heights, a sync
/// info and a far-future proposal of this epoch whose QCs name far heights.
pub(super) fn far_flood(
    signer: &SuiteSigner,
    state: &mut ByzantineState,
    message: &ConsensusMessage,
) -> Vec<ConsensusMessage> {
    let Some((epoch, round)) = epoch_and_round(message) else {
        return Vec::new();
    };
    let mut forged = Vec::new();
    let data = VoteData {
        epoch: epoch + 1,
        round,
        height: u64::MAX,
        block_id: forged_id(state),
    };
    forged.push(ConsensusMessage::Vote(Vote::sign(data, signer)));
    let far_qc = lone_qc(signer, epoch + 2, round, u64::MAX - 1, forged_id(state));
    let timeout = TimeoutMsg::sign(epoch + 2, round + 1, far_qc.clone(), None, signer);
    forged.push(ConsensusMessage::Timeout(Box::new(timeout)));
    let here_qc = lone_qc(signer, epoch, round + 1, u64::MAX, forged_id(state));
    forged.push(ConsensusMessage::SyncInfo(Box::new(SyncInfo {
        highest_qc: here_qc.clone(),
        highest_tc: None,
    })));
    if let ConsensusMessage::Proposal(proposal) = message {
        let mut later = proposal.block.clone();
        later.header.epoch = epoch + 1;
        later.header.height = u64::MAX;
        later.header.parent_id = forged_id(state);
        forged.push(ConsensusMessage::Proposal(Box::new(Proposal::sign(
            later, None, signer,
        ))));
        let mut far = proposal.block.clone();
        far.header.round = round + 100_000;
        far.header.parent_qc = lone_qc(signer, epoch, round + 99_999, u64::MAX, forged_id(state));
        far.header.parent_id = far.header.parent_qc.block_id();
        forged.push(ConsensusMessage::Proposal(Box::new(Proposal::sign(
            far, None, signer,
        ))));
    }
    forged
}

/// Invalid-QC timeout spammer: with each proposal or timeout it sends, a few copies of a validly
/// signed timeout whose QC has a corrupted signature (the same QC every time within a round, so
/// receivers that remember verdicts check it once).
pub(super) fn invalid_qc_timeouts(
    signer: &SuiteSigner,
    message: &ConsensusMessage,
) -> Vec<ConsensusMessage> {
    let qc = match message {
        ConsensusMessage::Proposal(p) => p.block.header.parent_qc.clone(),
        ConsensusMessage::Timeout(t) => t.highest_qc.clone(),
        _ => return Vec::new(),
    };
    let Some((epoch, round)) = epoch_and_round(message) else {
        return Vec::new();
    };
    let mut bad = qc;
    match bad.signatures.last_mut() {
        Some((_, signature)) => signature.0[0] ^= 0x01,
        None => bad
            .signatures
            .push((signer.public_key(), Signature([0x5a; 64]))),
    }
    let round = round.max(bad.round() + 1);
    let timeout = TimeoutMsg::sign(epoch, round, bad, None, signer);
    (0..INVALID_QC_COPIES)
        .map(|_| ConsensusMessage::Timeout(Box::new(timeout.clone())))
        .collect()
}

/// Sync abuser, asking side: with each proposal or timeout it sends, a request for everything
/// (from height 1 to the largest height) to the same recipient.
pub(super) fn maximal_sync_request(
    state: &mut ByzantineState,
    message: &ConsensusMessage,
) -> Option<ConsensusMessage> {
    epoch_and_round(message)?;
    Some(ConsensusMessage::SyncRequest(SyncRequest {
        from_height: 1,
        target: forged_id(state),
        target_height: u64::MAX,
    }))
}

/// The sync response a node with `behaviour` serves for `request` when the honest answer is
/// `response`. The sync abuser answers wrongly: in turn nothing, the first block only, or the
/// blocks with their payloads changed from the second one on.
pub fn serve_sync(
    behaviour: Behaviour,
    request: &SyncRequest,
    mut response: SyncResponse,
) -> SyncResponse {
    if behaviour != Behaviour::SyncAbuser {
        return response;
    }
    match request.from_height % 3 {
        0 => SyncResponse {
            committed: Vec::new(),
            uncommitted: Vec::new(),
        },
        1 => {
            response.committed.truncate(1);
            response.uncommitted.clear();
            response
        }
        _ => {
            let blocks = response
                .committed
                .iter_mut()
                .map(|c| &mut c.block)
                .skip(1)
                .chain(response.uncommitted.iter_mut());
            for block in blocks {
                block.payload.push(0xBD);
                block.header.payload_digest = payload_digest(&block.payload);
            }
            response
        }
    }
}

/// A corrupted answer: cut short, one byte flipped, or replaced by noise, as `draw` picks.
pub fn corrupt_bytes(mut answer: Vec<u8>, draw: u64) -> Vec<u8> {
    let len = answer.len();
    match draw % 3 {
        0 => answer.truncate(len / 2),
        1 if len > 0 => {
            let at = (draw >> 8) as usize % len;
            answer[at] ^= 0x5A;
        }
        _ => answer = draw.to_le_bytes().repeat(1 + (draw >> 60) as usize),
    }
    answer
}
