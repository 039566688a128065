//! Sync targets cannot be poisoned: messages naming far heights or later epochs before any
//! signature could be checked must not keep a node from syncing to a verified certificate.
//!
//! Validator 3 is the forger throughout; validator 1 is the node under attack.

mod common;

use common::{Net, T0, commits, synced_chain};
use yrd_consensus::types::{BlockId, CommittedBlock};
use yrd_consensus::{
    ConsensusMessage, Core, Input, Output, Proposal, QuorumCert, SyncInfo, SyncResponse,
    TimeoutMsg, Vote, VoteData,
};

const FORGER: usize = 3;
const VICTIM: usize = 1;

/// The sync targets requested by a step's outputs, with the peer asked.
fn sync_targets(net: &Net, outputs: &[Output]) -> Vec<(usize, BlockId)> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::RequestSync { to, request } => Some((peer_index(net, to), request.target)),
            _ => None,
        })
        .collect()
}

fn peer_index(net: &Net, key: &yrd_consensus::PublicKey) -> usize {
    net.keys.iter().position(|k| k == key).unwrap()
}

/// A QC naming block `[tag; 32]` at `height` of `epoch`, signed by nobody that counts.
fn forged_qc(net: &Net, epoch: u64, height: u64, tag: u8) -> QuorumCert {
    let vote_data = VoteData {
        epoch,
        round: 5,
        height,
        block_id: BlockId([tag; 32]),
    };
    let signature = yrd_consensus::Signer::sign(&net.signers[FORGER], &vote_data.signing_digest());
    QuorumCert {
        vote_data,
        signatures: vec![(net.keys[FORGER], signature)],
    }
}

/// Twelve forged messages from the forger: later epochs and far heights, of every kind.
fn forged_messages(net: &Net) -> Vec<ConsensusMessage> {
    let mut messages = Vec::new();
    let genesis = net.genesis_header();
    for tag in 0..3u8 {
        // A vote of a later epoch for a block at the largest height.
        let data = VoteData {
            epoch: 1 + u64::from(tag),
            round: 9,
            height: u64::MAX - u64::from(tag),
            block_id: BlockId([100 + tag; 32]),
        };
        messages.push(ConsensusMessage::Vote(Vote::sign(
            data,
            &net.signers[FORGER],
        )));
        // A timeout of a later epoch whose QC names a far block.
        let qc = forged_qc(net, 7, u64::MAX, 110 + tag);
        let timeout = TimeoutMsg::sign(7, 9, qc.clone(), None, &net.signers[FORGER]);
        messages.push(ConsensusMessage::Timeout(Box::new(timeout)));
        // A proposal of a later epoch at the largest height.
        let mut block = net.block(&genesis, &qc, 6, 120 + tag);
        block.header.epoch = 3;
        block.header.height = u64::MAX;
        block.header.parent_id = BlockId([130 + tag; 32]);
        block.header.proposer = net.keys[FORGER];
        let proposal = Proposal::sign(block, None, &net.signers[FORGER]);
        messages.push(ConsensusMessage::Proposal(Box::new(proposal)));
        // Certificates of this epoch naming far heights, with forged signatures.
        let info = SyncInfo {
            highest_qc: forged_qc(net, 0, u64::MAX - 1, 140 + tag),
            highest_tc: None,
        };
        messages.push(ConsensusMessage::SyncInfo(Box::new(info)));
    }
    messages
}

fn deliver(
    core: &mut Core,
    now: u64,
    from: usize,
    net: &Net,
    message: ConsensusMessage,
) -> Vec<Output> {
    let input = Input::from_message(net.keys[from], message).unwrap();
    core.step(now, input).outputs
}

#[test]
fn forged_far_targets_do_not_stop_sync_to_a_genuine_certificate() {
    let net = Net::new(4);
    let mut core = net.core(VICTIM);
    let forged = forged_messages(&net);
    assert!(forged.len() > Net::config().sync_max_targets);
    let mut forged_requests = Vec::new();
    for message in forged {
        let outputs = deliver(&mut core, T0 + 5, FORGER, &net, message);
        forged_requests.extend(sync_targets(&net, &outputs));
    }
    // Whatever the forger made this node ask, it asked only the forger.
    assert!(forged_requests.iter().all(|(peer, _)| *peer == FORGER));
    assert!(core.metrics().certificates_rejected_from(&net.keys[FORGER]) >= 3);
    // What the node reports as the highest certified height (`node_getStatus`) ignores them.
    assert_eq!(core.highest_certified_height(), 0);

    // A genuine certificate: validator 0's highest QC, on block 7 of a chain this node lacks.
    let chain: Vec<CommittedBlock> = synced_chain(&net, 6);
    let genuine = chain[5].certificate.qc.clone();
    let target = genuine.block_id();
    let info = SyncInfo {
        highest_qc: genuine,
        highest_tc: None,
    };
    let outputs = deliver(
        &mut core,
        T0 + 10,
        0,
        &net,
        ConsensusMessage::SyncInfo(Box::new(info)),
    );
    let requested = sync_targets(&net, &outputs);
    assert!(
        requested.contains(&(0, target)),
        "no sync request to the genuine target: {requested:?}"
    );
    assert_eq!(core.round(), 8, "entered the round after the certificate");
    // The verified certificate names block 7 (the one that commits block 6): the node knows it
    // is that far behind.
    assert_eq!(core.highest_certified_height(), 7);

    // The honest peer answers; the node catches up.
    let ready = core.step(
        T0 + 20,
        Input::SyncResponse {
            from: net.keys[0],
            response: Box::new(SyncResponse {
                committed: chain,
                uncommitted: Vec::new(),
            }),
        },
    );
    assert_eq!(commits(&ready).len(), 6);
    assert_eq!(core.committed_height(), 6);
}

#[test]
fn an_honest_peers_later_epoch_hint_is_followed_despite_a_forger() {
    // A node that missed an epoch change only has unverified hints to go on; the forger's fill
    // its own slots and cannot take an honest validator's.
    let net = Net::new(4);
    let mut core = net.core(VICTIM);
    for message in forged_messages(&net) {
        let _ = deliver(&mut core, T0 + 5, FORGER, &net, message);
    }
    let data = VoteData {
        epoch: 1,
        round: 40,
        height: 30,
        block_id: BlockId([200; 32]),
    };
    let vote = Vote::sign(data, &net.signers[2]);
    let outputs = deliver(&mut core, T0 + 6, 2, &net, ConsensusMessage::Vote(vote));
    assert_eq!(sync_targets(&net, &outputs), vec![(2, BlockId([200; 32]))]);
}

#[test]
fn targets_that_are_never_served_are_dropped_after_the_attempt_limit() {
    let net = Net::new(4);
    let config = Net::config();
    let mut core = net.core(VICTIM);
    for message in forged_messages(&net) {
        let _ = deliver(&mut core, T0 + 5, FORGER, &net, message);
    }
    let forged_ids: Vec<BlockId> = (0..=255u8).map(|t| BlockId([t; 32])).collect();
    let mut retries = Vec::new();
    let mut now = T0 + 5;
    for _ in 0..(2 * config.sync_max_attempts) {
        now += config.round_timeout_max_ms;
        let ready = core.step(
            now,
            Input::TimerFired {
                epoch: 0,
                round: core.round(),
                kind: yrd_consensus::TimerKind::Round,
            },
        );
        let forged_retries = sync_targets(&net, &ready.outputs)
            .into_iter()
            .filter(|(_, target)| forged_ids.contains(target))
            .count();
        retries.push(forged_retries);
    }
    assert!(retries[0] > 0, "hints are retried with other peers first");
    assert!(
        retries
            .iter()
            .skip(config.sync_max_attempts as usize)
            .all(|r| *r == 0),
        "hints still requested after {} attempts: {retries:?}",
        config.sync_max_attempts
    );
}
