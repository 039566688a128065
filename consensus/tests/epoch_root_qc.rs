//! Step tests of the first rounds of a new epoch when validators hold different QCs on the
//! reconfiguration block that ended the previous one.
//!
//! Any quorum of the votes on a block makes a valid QC, so two children of the reconfiguration
//! block can embed different QCs on it (a leader with more than a quorum of votes, a Byzantine
//! leader, or Twins sharing a key). Each node's root QC in the new epoch is the one in the child
//! it committed through. The new epoch's timeouts and first proposals carry that QC, and every
//! validator must accept any of them: refusing all but its own split the validators of the new
//! epoch, and with neither side a quorum no timeout certificate or QC ever formed again
//! (simulator seed 9438: seven validators, Twins, two partitions and a reconfiguration).

mod common;

use common::{Net, T0, deliver_proposal, persisted_votes};
use yrd_consensus::types::payload_digest;
use yrd_consensus::{
    Block, BlockHeader, Core, Ed25519Signer, ExecutedState, Input, Proposal, PublicKey, QuorumCert,
    Signer, StartState, TimeoutMsg, ValidatorSet,
};

/// Epoch 0 has the four validators of `Net`; epoch 1 drops validator 3.
fn epoch_one_set(net: &Net) -> ValidatorSet {
    ValidatorSet::equal_power(1, &net.keys[..3]).unwrap()
}

/// A block of epoch 0 proposed by the round's base leader, handing over to `next` (B1 is the
/// reconfiguration block, its descendants in epoch 0 the suffix that carries the same set).
fn epoch_zero_block(
    net: &Net,
    parent: &BlockHeader,
    parent_qc: &QuorumCert,
    round: u64,
    payload: Vec<u8>,
    next: &ValidatorSet,
) -> Block {
    let header = BlockHeader {
        epoch: 0,
        round,
        height: parent.height + 1,
        parent_id: parent.id(),
        parent_qc: parent_qc.clone(),
        payload_digest: payload_digest(&payload),
        proposer: net.keys[net.leader(round)],
        timestamp_ms: T0 + round * 10,
        executed: ExecutedState {
            height: 0,
            state_root: [7; 32],
        },
        next_validator_set: Some(next.clone()),
    };
    Block { header, payload }
}

/// The chain of the test: reconfiguration block B1 (round 1) and its suffix B2 (round 2) and B3
/// (round 3); B2 embeds a QC on B1, B3 one on B2.
struct Reconfiguration {
    b1: Block,
    b2: Block,
    b3: Block,
}

fn reconfiguration(net: &Net, own_qc_signers: &[usize]) -> (Reconfiguration, QuorumCert) {
    let next = epoch_one_set(net);
    let genesis = net.genesis_header();
    let b1 = epoch_zero_block(net, &genesis, &net.genesis.qc(), 1, vec![1; 8], &next);
    let own_qc = net.qc(&b1.header, own_qc_signers);
    let b2 = epoch_zero_block(net, &b1.header, &own_qc, 2, Vec::new(), &next);
    let qc2 = net.qc(&b2.header, &[0, 1, 2]);
    let b3 = epoch_zero_block(net, &b2.header, &qc2, 3, Vec::new(), &next);
    (Reconfiguration { b1, b2, b3 }, own_qc)
}

/// Validator `index` sees B1, B2 and B3: the QC on B2 commits B1 and starts epoch 1 in round 2,
/// with the QC on B1 signed by `own_qc_signers` as its root QC.
fn core_in_epoch_one(net: &Net, index: usize, own_qc_signers: &[usize]) -> (Core, Block) {
    let (chain, _) = reconfiguration(net, own_qc_signers);
    let mut core = net.core(index);
    for (at, block) in [(10, &chain.b1), (20, &chain.b2), (30, &chain.b3)] {
        let _ = deliver_proposal(&mut core, T0 + at, &net.proposal(block.clone(), None));
    }
    assert_eq!(core.epoch(), 1, "B1 committed and epoch 1 started");
    assert_eq!(core.round(), 2);
    (core, chain.b1)
}

fn deliver_timeout(core: &mut Core, net: &Net, signer: usize, round: u64, qc: &QuorumCert) {
    let timeout = TimeoutMsg::sign(1, round, qc.clone(), None, &net.signers[signer]);
    let _ = core.step(
        T0 + 1_000,
        Input::Timeout {
            from: net.keys[signer],
            timeout: Box::new(timeout),
        },
    );
}

/// A QC on `header` signed by the given signers (sorted by key).
fn qc_signed_by(header: &BlockHeader, signers: &[&Ed25519Signer]) -> QuorumCert {
    let vote_data = header.vote_data();
    let mut signatures: Vec<_> = signers
        .iter()
        .map(|s| (s.public_key(), s.sign(&vote_data.signing_digest())))
        .collect();
    signatures.sort_by_key(|(k, _)| *k);
    QuorumCert {
        vote_data,
        signatures,
    }
}

fn rejected_from(core: &Core, keys: &[PublicKey]) -> u64 {
    keys.iter()
        .map(|k| core.metrics().certificates_rejected_from(k))
        .sum()
}

#[test]
fn timeouts_carrying_another_quorum_on_the_reconfiguration_block_form_a_tc() {
    // Validator 0 committed B1 through a child embedding the QC of validators 0, 1, 2; validators
    // 1 and 2 through one embedding the QC of 1, 2, 3 (3 is a validator of epoch 0 only). All
    // three of epoch 1 time out in its first round: their timeouts make a TC.
    let net = Net::new(4);
    let (mut core, b1) = core_in_epoch_one(&net, 0, &[0, 1, 2]);
    let own_qc = net.qc(&b1.header, &[0, 1, 2]);
    let other_qc = net.qc(&b1.header, &[1, 2, 3]);
    deliver_timeout(&mut core, &net, 1, 2, &other_qc);
    deliver_timeout(&mut core, &net, 2, 2, &other_qc);
    deliver_timeout(&mut core, &net, 0, 2, &own_qc);
    assert_eq!(rejected_from(&core, &net.keys), 0, "no certificate refused");
    assert_eq!(core.metrics().tcs_formed, 1);
    assert_eq!(
        core.round(),
        3,
        "the TC moved validator 0 to the next round"
    );
}

#[test]
fn first_proposal_of_the_epoch_on_another_quorum_is_voted_for() {
    // The leader of epoch 1's first round committed B1 through the other QC and embeds it.
    let net = Net::new(4);
    let (mut core, b1) = core_in_epoch_one(&net, 1, &[0, 1, 2]);
    let other_qc = net.qc(&b1.header, &[0, 2, 3]);
    let leader = core.leader_of(2).unwrap();
    let leader_index = net.keys.iter().position(|k| *k == leader).unwrap();
    let payload = vec![9; 8];
    let header = BlockHeader {
        epoch: 1,
        round: 2,
        height: 2,
        parent_id: b1.id(),
        parent_qc: other_qc,
        payload_digest: payload_digest(&payload),
        proposer: leader,
        timestamp_ms: T0 + 40,
        executed: ExecutedState {
            height: 0,
            state_root: [7; 32],
        },
        next_validator_set: None,
    };
    let proposal = Proposal::sign(Block { header, payload }, None, &net.signers[leader_index]);
    let votes = persisted_votes(deliver_proposal(&mut core, T0 + 50, &proposal));
    assert_eq!(rejected_from(&core, &net.keys), 0);
    assert_eq!(
        votes.len(),
        1,
        "validator 1 votes for the first block of epoch 1"
    );
    assert_eq!(votes[0].vote_data.epoch, 1);
}

#[test]
fn a_qc_on_the_reconfiguration_block_without_an_old_quorum_is_refused() {
    // Only a quorum of epoch 0 certifies B1: no signatures, too little power, or a signer that
    // was never a validator is refused, and such timeouts make no TC.
    let net = Net::new(4);
    let (mut core, b1) = core_in_epoch_one(&net, 0, &[0, 1, 2]);
    let outsider = Ed25519Signer::from_secret_bytes(&[99; 32]);
    let unsigned = QuorumCert::root(b1.header.vote_data());
    let too_little = qc_signed_by(&b1.header, &[&net.signers[1], &net.signers[3]]);
    let with_outsider = qc_signed_by(&b1.header, &[&net.signers[1], &net.signers[2], &outsider]);
    for forged in [&unsigned, &too_little, &with_outsider] {
        deliver_timeout(&mut core, &net, 1, 2, forged);
        deliver_timeout(&mut core, &net, 2, 2, forged);
    }
    deliver_timeout(&mut core, &net, 0, 2, &net.qc(&b1.header, &[0, 1, 2]));
    assert_eq!(
        rejected_from(&core, &net.keys[1..3]),
        6,
        "every forged QC refused, from both senders"
    );
    assert_eq!(core.metrics().tcs_formed, 0);
    assert_eq!(core.round(), 2);
}

/// The start state of validator `index` restarted on B1 at the start of epoch 1.
fn restart_on_b1(net: &Net, previous: Option<ValidatorSet>) -> (StartState, Block) {
    let (chain, own_qc) = reconfiguration(net, &[0, 1, 2]);
    let mut start = StartState::from_genesis(&net.genesis);
    start.validator_set = epoch_one_set(net);
    start.epoch_start_round = 2;
    start.committed_tip = chain.b1.header.clone();
    start.committed_tip_qc = own_qc;
    start.previous_validator_set = previous;
    (start, chain.b1)
}

#[test]
fn restarted_on_the_reconfiguration_block_with_the_ended_set_accepts_another_quorum() {
    let net = Net::new(4);
    let (start, b1) = restart_on_b1(&net, Some(net.set().clone()));
    let mut core = Core::new(
        Net::config(),
        Box::new(Ed25519Signer::from_secret_bytes(&net.secrets[0])),
    );
    let _ = core.step(T0, Input::Start(Box::new(start)));
    assert_eq!((core.epoch(), core.round()), (1, 2));
    let other_qc = net.qc(&b1.header, &[1, 2, 3]);
    deliver_timeout(&mut core, &net, 1, 2, &other_qc);
    deliver_timeout(&mut core, &net, 2, 2, &other_qc);
    deliver_timeout(&mut core, &net, 0, 2, &net.qc(&b1.header, &[0, 1, 2]));
    assert_eq!(rejected_from(&core, &net.keys), 0);
    assert_eq!(core.round(), 3);
}

#[test]
fn a_previous_set_that_did_not_end_at_the_tip_is_refused_at_start() {
    // The previous set must be the set of the tip's epoch, and the tip must have ended it.
    let net = Net::new(4);
    let fresh = || {
        Core::new(
            Net::config(),
            Box::new(Ed25519Signer::from_secret_bytes(&net.secrets[0])),
        )
    };
    let mut wrong_epoch = net.set().clone();
    wrong_epoch.epoch = 1;
    let (start, _) = restart_on_b1(&net, Some(wrong_epoch));
    let mut core = fresh();
    let _ = core.step(T0, Input::Start(Box::new(start)));
    assert!(!core.is_started(), "a set of another epoch than the tip's");

    let mut within_epoch = StartState::from_genesis(&net.genesis);
    within_epoch.previous_validator_set = Some(net.set().clone());
    let mut core = fresh();
    let _ = core.step(T0, Input::Start(Box::new(within_epoch)));
    assert!(
        !core.is_started(),
        "a tip of the current epoch ended no set"
    );

    let (start, _) = restart_on_b1(&net, Some(net.set().clone()));
    let mut core = fresh();
    let _ = core.step(T0, Input::Start(Box::new(start)));
    assert!(core.is_started(), "the set the tip ended");
}
