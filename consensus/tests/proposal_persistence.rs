//! A leader's proposal leaves only after the safety data recording its round is durable, so a
//! leader that crashes and restarts in the round it proposed in cannot equivocate.

mod common;

use common::{Net, T0, proposals_in, released};
use yrd_consensus::{Core, Ed25519Signer, Input, Output, SafetyData, StartState};

/// Leader of round 1 asked for a payload at start; answer it.
fn payload(core: &mut Core, now: u64, bytes: &[u8]) -> yrd_consensus::Ready {
    core.step(
        now,
        Input::PayloadReady {
            round: 1,
            payload: bytes.to_vec(),
        },
    )
}

fn restart(net: &Net, index: usize, safety: SafetyData, now: u64) -> (Core, Vec<Output>) {
    let signer = Ed25519Signer::from_secret_bytes(&net.secrets[index]);
    let mut core = Core::new(Net::config(), Box::new(signer));
    let mut start = StartState::from_genesis(&net.genesis);
    start.safety_data = safety;
    let (outputs, _) = released(core.step(now, Input::Start(Box::new(start))));
    (core, outputs)
}

#[test]
fn proposal_waits_behind_the_safety_data_that_records_its_round() {
    let net = Net::new(4);
    let leader = net.leader(1);
    let mut core = net.core(leader);
    let ready = payload(&mut core, T0 + 10, b"first");
    assert!(
        proposals_in(&ready.outputs).is_empty(),
        "a proposal must not be sendable before persistence"
    );
    let gate = ready.persist.expect("the proposal is gated");
    assert_eq!(gate.safety_data().last_proposed_round, 1);
    let failed = gate.persist(|_, _| Err::<(), &str>("disk full"));
    assert_eq!(failed.unwrap_err(), "disk full", "a failed write keeps it");
}

#[test]
fn restarted_leader_does_not_propose_a_second_block_in_its_round() {
    let net = Net::new(4);
    let leader = net.leader(1);
    let mut core = net.core(leader);
    let (outputs, persisted) = released(payload(&mut core, T0 + 10, b"first"));
    let first = proposals_in(&outputs);
    assert_eq!(first.len(), 1, "the leader proposes once");
    let persisted = persisted.expect("safety data persisted with the proposal");
    assert_eq!(persisted.last_proposed_round, 1);

    // Crash; restart from the persisted safety data in the same round, at a later time, and
    // offer a different payload: no second block for round 1 may leave.
    let (mut restarted, start_outputs) = restart(&net, leader, persisted, T0 + 50);
    assert_eq!(restarted.round(), 1);
    assert!(
        !start_outputs
            .iter()
            .any(|o| matches!(o, Output::RequestPayload { round: 1, .. })),
        "a restarted leader must not ask for a payload for a round it proposed in"
    );
    assert!(proposals_in(&start_outputs).is_empty());
    let (outputs, _) = released(payload(&mut restarted, T0 + 60, b"second"));
    assert!(
        proposals_in(&outputs).is_empty(),
        "second proposal for round 1: {:?}",
        proposals_in(&outputs)
    );
}

#[test]
fn leader_without_a_persisted_proposal_proposes_after_restart() {
    // The round is recorded only when the proposal is signed: a leader that crashed while
    // waiting for its payload still proposes in that round.
    let net = Net::new(4);
    let leader = net.leader(1);
    let (mut restarted, start_outputs) = restart(&net, leader, SafetyData::new(0), T0 + 50);
    assert!(
        start_outputs
            .iter()
            .any(|o| matches!(o, Output::RequestPayload { round: 1, .. }))
    );
    let (outputs, _) = released(payload(&mut restarted, T0 + 60, b"only"));
    assert_eq!(proposals_in(&outputs).len(), 1);
}
