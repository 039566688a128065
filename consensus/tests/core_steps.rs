//! Step tests of the core: one input (or a short sequence), the outputs it must produce.
//! Each test names the protocol rule it checks.

mod common;

use common::{
    Net, T0, commits, deliver_proposal, executed, persisted_votes, proposals_in, released,
    synced_chain,
};
use yrd_consensus::types::payload_digest;
use yrd_consensus::{
    ConsensusMessage, Ed25519Signer, ExecutedState, Input, Output, SafetyData, StartState,
    TimerKind, Vote, verify_commit_certificate,
};

#[test]
fn votes_leave_only_through_the_persistence_gate() {
    // Rule: persist before send — a vote is never in the ungated outputs, and a failed write
    // releases nothing.
    let net = Net::new(4);
    let mut core = net.core(2);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let ready = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1.clone(), None));
    assert!(!ready.outputs.iter().any(|o| matches!(
        o,
        Output::SendTo {
            message: ConsensusMessage::Vote(_),
            ..
        }
    )));
    let gate = ready.persist.expect("a vote needs persistence");
    assert_eq!(gate.safety_data().last_voted_round, 1);
    assert_eq!(gate.voted_blocks(), std::slice::from_ref(&b1));
    let failed = gate.persist(|_, _| Err::<(), &str>("disk full"));
    assert_eq!(failed, Err("disk full"));
}

#[test]
fn vote_goes_to_the_next_leader_and_is_cached() {
    // Rule: vote at most once per round; the same proposal again yields the same vote.
    let net = Net::new(4);
    let mut core = net.core(2);
    let proposal = net.proposal(
        net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1),
        None,
    );
    let ready = deliver_proposal(&mut core, T0 + 10, &proposal);
    let gate = ready.persist.unwrap();
    let outputs = gate.persist(|_, _| Ok::<(), ()>(())).unwrap();
    assert!(matches!(
        &outputs[..],
        [Output::SendTo { to, message: ConsensusMessage::Vote(_) }] if *to == net.keys[net.leader(2)]
    ));
    let first = persisted_votes(deliver_proposal(&mut core, T0 + 11, &proposal));
    let again = persisted_votes(deliver_proposal(&mut core, T0 + 12, &proposal));
    assert_eq!(first, again, "the cached vote is resent unchanged");
    assert_eq!(core.metrics().votes_sent, 1);
}

#[test]
fn equivocating_leader_gets_one_vote() {
    // Rule: equivocation ignored — a second, different proposal for a round is not voted for.
    let net = Net::new(4);
    let mut core = net.core(2);
    let genesis = net.genesis_header();
    let first = net.proposal(net.block(&genesis, &net.genesis.qc(), 1, 1), None);
    let second = net.proposal(net.block(&genesis, &net.genesis.qc(), 1, 2), None);
    assert_eq!(
        persisted_votes(deliver_proposal(&mut core, T0 + 10, &first)).len(),
        1
    );
    assert!(persisted_votes(deliver_proposal(&mut core, T0 + 11, &second)).is_empty());
    assert_eq!(core.metrics().equivocations_seen, 1);
}

#[test]
fn two_chain_commits_the_parent_of_a_certified_direct_child() {
    // Rule: commit on two-chain — B1 commits once B2 (round B1 + 1) is certified.
    let net = Net::new(4);
    let mut core = net.core(3);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let b2 = net.block(&b1.header, &qc1, 2, 2);
    let qc2 = net.qc(&b2.header, &[0, 1, 3]);
    let b3 = net.block(&b2.header, &qc2, 3, 3);
    assert!(
        commits(&deliver_proposal(
            &mut core,
            T0 + 10,
            &net.proposal(b1.clone(), None)
        ))
        .is_empty()
    );
    assert!(
        commits(&deliver_proposal(
            &mut core,
            T0 + 20,
            &net.proposal(b2.clone(), None)
        ))
        .is_empty(),
        "one certified block is not enough"
    );
    let ready = deliver_proposal(&mut core, T0 + 30, &net.proposal(b3, None));
    let committed = commits(&ready);
    assert_eq!(committed.len(), 1);
    let (block, certificate) = &committed[0];
    assert_eq!(block, &b1);
    assert_eq!(
        certificate.headers,
        vec![b1.header.clone(), b2.header.clone()]
    );
    verify_commit_certificate(net.set(), &b1.id(), certificate).unwrap();
    assert_eq!(core.committed_height(), 1);
    assert_eq!(core.round(), 3);
}

#[test]
fn non_consecutive_rounds_do_not_commit_until_a_direct_chain_forms() {
    // Rule: commit on two-chain — only a *direct* child (next round) commits its parent; the
    // ancestors then commit with a longer certificate.
    let net = Net::new(4);
    let mut core = net.core(0);
    let genesis = net.genesis_header();
    let b1 = net.block(&genesis, &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let tc2 = net.tc(2, &qc1, &[1, 2, 3]);
    let b3 = net.block(&b1.header, &qc1, 3, 3);
    let qc3 = net.qc(&b3.header, &[0, 1, 2]);
    let b4 = net.block(&b3.header, &qc3, 4, 4);
    let qc4 = net.qc(&b4.header, &[0, 1, 2]);
    let b5 = net.block(&b4.header, &qc4, 5, 5);
    let _ = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1.clone(), None));
    let _ = deliver_proposal(&mut core, T0 + 30, &net.proposal(b3.clone(), Some(tc2)));
    let ready = deliver_proposal(&mut core, T0 + 40, &net.proposal(b4.clone(), None));
    assert!(
        commits(&ready).is_empty(),
        "B3 is certified but B1 -> B3 skips a round"
    );
    let ready = deliver_proposal(&mut core, T0 + 50, &net.proposal(b5, None));
    let committed = commits(&ready);
    assert_eq!(
        committed
            .iter()
            .map(|(b, _)| b.header.height)
            .collect::<Vec<_>>(),
        vec![1, 2]
    );
    let (_, b1_certificate) = &committed[0];
    assert_eq!(
        b1_certificate.headers.len(),
        3,
        "B1's proof runs through B3 to B4"
    );
    verify_commit_certificate(net.set(), &b1.id(), b1_certificate).unwrap();
    verify_commit_certificate(net.set(), &b3.id(), &committed[1].1).unwrap();
}

#[test]
fn timeout_certificate_advances_the_round() {
    // Rule: TC advance — a quorum of timeouts for round r moves every node to round r + 1.
    let net = Net::new(4);
    let mut core = net.core(1);
    let mut entered = Vec::new();
    for signer in [0usize, 2, 3] {
        let timeout =
            yrd_consensus::TimeoutMsg::sign(0, 1, net.genesis.qc(), None, &net.signers[signer]);
        let ready = core.step(
            T0 + 1_000,
            Input::Timeout {
                from: net.keys[signer],
                timeout: Box::new(timeout),
            },
        );
        entered.extend(ready.outputs.into_iter().filter_map(|o| match o {
            Output::ScheduleTimer {
                round,
                kind: TimerKind::Round,
                ..
            } => Some(round),
            _ => None,
        }));
    }
    assert_eq!(core.round(), 2);
    assert_eq!(entered, vec![2]);
    assert_eq!(core.metrics().tcs_formed, 1);
}

#[test]
fn more_than_a_third_of_timeouts_makes_a_node_join() {
    // Rule: Bracha-style amplification — f + 1 timeouts mean an honest node timed out.
    let net = Net::new(4);
    let mut core = net.core(1);
    for signer in [0usize, 2] {
        let timeout =
            yrd_consensus::TimeoutMsg::sign(0, 1, net.genesis.qc(), None, &net.signers[signer]);
        let ready = core.step(
            T0 + 5,
            Input::Timeout {
                from: net.keys[signer],
                timeout: Box::new(timeout),
            },
        );
        if signer == 2 {
            let gate = ready.persist.expect("joins the timeout");
            assert_eq!(gate.safety_data().highest_timeout_round, 1);
        }
    }
}

#[test]
fn round_timer_signs_a_timeout_and_resends_it() {
    // Rule: pacemaker — on timer expiry sign a timeout carrying the highest QC; resend the same
    // timeout on later expiries of the same round.
    let net = Net::new(4);
    let mut core = net.core(1);
    let fire = Input::TimerFired {
        epoch: 0,
        round: 1,
        kind: TimerKind::Round,
    };
    let first = core.step(T0 + 1_000, fire.clone());
    let rescheduled = first
        .outputs
        .iter()
        .any(|o| matches!(o, Output::ScheduleTimer { round: 1, .. }));
    assert!(rescheduled);
    let sent = first
        .persist
        .unwrap()
        .persist(|_, _| Ok::<(), ()>(()))
        .unwrap();
    let second = core
        .step(T0 + 2_000, fire)
        .persist
        .unwrap()
        .persist(|_, _| Ok::<(), ()>(()))
        .unwrap();
    assert_eq!(sent, second);
    assert!(matches!(&sent[..], [Output::Broadcast(ConsensusMessage::Timeout(t))] if t.round == 1));
    assert_eq!(core.metrics().timeouts_sent, 1);
    // A stale timer does nothing.
    let stale = core.step(
        T0 + 3_000,
        Input::TimerFired {
            epoch: 0,
            round: 0,
            kind: TimerKind::Round,
        },
    );
    assert!(stale.outputs.is_empty() && stale.persist.is_none());
}

#[test]
fn a_timed_out_voter_broadcasts_its_vote_and_any_node_forms_the_qc() {
    // Rule: vote broadcast on timeout — a quorum for a block survives a silent next leader:
    // on its round timer a validator sends its vote of the round to everyone, and any node
    // that collects a quorum of those votes forms the QC and enters the next round with it.
    let net = Net::new(4);
    let next_leader = net.leader(2);
    let others: Vec<usize> = (0..4).filter(|i| *i != next_leader).collect();
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let mut voter = net.core(others[0]);
    let _ = persisted_votes(deliver_proposal(
        &mut voter,
        T0 + 10,
        &net.proposal(b1.clone(), None),
    ));
    let fired = voter.step(
        T0 + 1_000,
        Input::TimerFired {
            epoch: 0,
            round: 1,
            kind: TimerKind::Round,
        },
    );
    let (sent, _) = released(fired);
    let broadcast_votes: Vec<&Vote> = sent
        .iter()
        .filter_map(|o| match o {
            Output::Broadcast(ConsensusMessage::Vote(v)) => Some(v),
            _ => None,
        })
        .collect();
    assert_eq!(
        broadcast_votes.len(),
        1,
        "the round's vote goes to everyone"
    );
    assert_eq!(broadcast_votes[0].vote_data.block_id, b1.id());
    assert!(
        sent.iter()
            .any(|o| matches!(o, Output::Broadcast(ConsensusMessage::Timeout(t)) if t.round == 1)),
        "the timeout is sent as well"
    );

    // A node that is not the next leader collects the broadcast votes into the QC.
    let mut collector = net.core(others[1]);
    let _ = deliver_proposal(&mut collector, T0 + 10, &net.proposal(b1.clone(), None));
    for signer in others.iter().copied().chain([next_leader]).take(3) {
        let _ = collector.step(
            T0 + 1_001,
            Input::Vote {
                from: net.keys[signer],
                vote: net.vote(&b1.header, signer),
            },
        );
    }
    assert_eq!(collector.metrics().qcs_formed, 1);
    assert_eq!(collector.round(), 2, "entered round 2 on the QC, not a TC");

    // Votes of a round the node has left are still only the next leader's business.
    let mut late = net.core(others[2]);
    let _ = late.step(
        T0,
        Input::Timeout {
            from: net.keys[others[0]],
            timeout: Box::new(yrd_consensus::TimeoutMsg::sign(
                0,
                1,
                net.genesis.qc(),
                None,
                &net.signers[others[0]],
            )),
        },
    );
    for signer in [0usize, 1, 2, 3] {
        let tc_part =
            yrd_consensus::TimeoutMsg::sign(0, 1, net.genesis.qc(), None, &net.signers[signer]);
        let _ = late.step(
            T0 + 1,
            Input::Timeout {
                from: net.keys[signer],
                timeout: Box::new(tc_part),
            },
        );
    }
    assert_eq!(late.round(), 2);
    for signer in 0..3 {
        let _ = late.step(
            T0 + 2,
            Input::Vote {
                from: net.keys[signer],
                vote: net.vote(&b1.header, signer),
            },
        );
    }
    assert_eq!(
        late.metrics().qcs_formed,
        0,
        "round-1 votes ignored in round 2"
    );
}

#[test]
fn after_timing_out_the_timer_refires_at_the_base_interval() {
    // Rule: resend pacing — the first firing of a round waits the backed-off round length; once
    // the node has timed out, its timeout is resent every `round_timeout_base_ms`, so a lost
    // timeout costs one base interval, not another backed-off round.
    let net = Net::new(4);
    let config = Net::config();
    let mut core = net.core(1);
    // Rounds 1..=4 end in timeout certificates: round 5 is far from the last QC (round 0).
    let scheduled = |ready: &yrd_consensus::Ready, round: u64| {
        ready.outputs.iter().find_map(|o| match o {
            Output::ScheduleTimer {
                round: r, after_ms, ..
            } if *r == round => Some(*after_ms),
            _ => None,
        })
    };
    let mut entered_after = None;
    for round in 1..=4u64 {
        for signer in [0usize, 2, 3] {
            let timeout = yrd_consensus::TimeoutMsg::sign(
                0,
                round,
                net.genesis.qc(),
                None,
                &net.signers[signer],
            );
            let ready = core.step(
                T0 + round,
                Input::Timeout {
                    from: net.keys[signer],
                    timeout: Box::new(timeout),
                },
            );
            entered_after = entered_after.or(scheduled(&ready, 5));
        }
    }
    assert_eq!(core.round(), 5);
    let backed_off = entered_after.expect("round 5 was entered with its timer");
    assert!(
        backed_off > config.round_timeout_base_ms,
        "round 5 is backed off: {backed_off} ms"
    );
    let fire = Input::TimerFired {
        epoch: 0,
        round: 5,
        kind: TimerKind::Round,
    };
    let first = core.step(T0 + 100_000, fire.clone());
    assert_eq!(scheduled(&first, 5), Some(config.round_timeout_base_ms));
    let _ = first
        .persist
        .map(|gate| gate.persist(|_, _| Ok::<(), ()>(())));
    let second = core.step(T0 + 101_000, fire);
    assert_eq!(scheduled(&second, 5), Some(config.round_timeout_base_ms));
}

#[test]
fn vote_waits_for_the_executed_height_and_checks_its_root() {
    // Rule: executed state — vote only when this node's own state root at the attested height
    // is known and equal; defer until the host reports it.
    let net = Net::new(4);
    let mut core = net.core(3);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let mut b2 = net.block(&b1.header, &qc1, 2, 2);
    b2.header.executed = ExecutedState {
        height: 1,
        state_root: [9; 32],
    };
    let _ = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1, None));
    let ready = deliver_proposal(&mut core, T0 + 20, &net.proposal(b2.clone(), None));
    assert!(persisted_votes(ready).is_empty());
    assert_eq!(core.metrics().votes_deferred, 1);
    let votes = persisted_votes(core.step(T0 + 21, executed(1, [9; 32])));
    assert_eq!(votes.len(), 1);
    assert_eq!(votes[0].vote_data, b2.header.vote_data());

    // Same again with a different local root: no vote.
    let mut other = net.core(3);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let _ = deliver_proposal(&mut other, T0 + 10, &net.proposal(b1, None));
    let _ = deliver_proposal(&mut other, T0 + 20, &net.proposal(b2, None));
    assert!(persisted_votes(other.step(T0 + 21, executed(1, [8; 32]))).is_empty());
}

#[test]
fn proposals_breaking_header_rules_are_rejected() {
    // Rule: validity — timestamp monotonic and within drift, payload within limit and matching
    // its digest, proposer is the round's leader, executed height below the block's height.
    let net = Net::new(4);
    let genesis = net.genesis_header();
    type Edit = Box<dyn Fn(&mut yrd_consensus::Block)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "timestamp not after the parent",
            Box::new(|b| b.header.timestamp_ms = T0),
        ),
        (
            "timestamp beyond drift",
            Box::new(|b| b.header.timestamp_ms = T0 + 60_000),
        ),
        ("payload digest mismatch", Box::new(|b| b.payload.push(1))),
        (
            "payload over the limit",
            Box::new(|b| {
                b.payload = vec![0; yrd_consensus::Config::default().max_payload_bytes + 1];
                b.header.payload_digest = payload_digest(&b.payload);
            }),
        ),
        (
            "executed height not below own height",
            Box::new(|b| b.header.executed.height = 1),
        ),
    ];
    for (rule, edit) in cases {
        let mut core = net.core(2);
        let mut block = net.block(&genesis, &net.genesis.qc(), 1, 1);
        edit(&mut block);
        let ready = deliver_proposal(&mut core, T0 + 10, &net.proposal(block, None));
        assert!(persisted_votes(ready).is_empty(), "{rule}: voted");
        assert_eq!(core.metrics().proposals_accepted, 0, "{rule}: accepted");
    }
    // Wrong proposer: signed by a validator that does not lead round 1.
    let mut core = net.core(2);
    let mut block = net.block(&genesis, &net.genesis.qc(), 1, 1);
    block.header.proposer = net.keys[3];
    let proposal = yrd_consensus::Proposal::sign(block, None, &net.signers[3]);
    assert!(persisted_votes(deliver_proposal(&mut core, T0 + 10, &proposal)).is_empty());
    assert_eq!(core.metrics().proposals_rejected, 1);
}

#[test]
fn votes_from_outsiders_and_far_future_rounds_are_dropped() {
    // Rule: bounded buffers — only validators' votes inside the round window are kept.
    let net = Net::new(4);
    let mut core = net.core(2); // leader of round 2 collects round-1 votes
    let block = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let outsider = Ed25519Signer::from_secret_bytes(&[200; 32]);
    let vote = Vote::sign(block.header.vote_data(), &outsider);
    let _ = core.step(
        T0,
        Input::Vote {
            from: vote.author,
            vote,
        },
    );
    assert_eq!(core.metrics().dropped_non_validator, 1);
    let mut far = block.header.clone();
    far.round = 1 + yrd_consensus::Config::default().max_future_rounds + 1;
    let vote = net.vote(&far, 0);
    let _ = core.step(
        T0,
        Input::Vote {
            from: net.keys[0],
            vote,
        },
    );
    assert_eq!(core.metrics().dropped_far_future, 1);
}

#[test]
fn quorum_of_votes_forms_a_qc_and_the_leader_proposes() {
    // Rule: the next leader aggregates > 2/3 of the votes into a QC and proposes on it.
    let net = Net::new(4);
    let mut core = net.core(2);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let _ = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1.clone(), None));
    let mut asked = false;
    for signer in [0usize, 1, 3] {
        let ready = core.step(
            T0 + 20,
            Input::Vote {
                from: net.keys[signer],
                vote: net.vote(&b1.header, signer),
            },
        );
        asked |= ready
            .outputs
            .iter()
            .any(|o| matches!(o, Output::RequestPayload { round: 2, .. }));
    }
    assert!(asked);
    assert_eq!(core.metrics().qcs_formed, 1);
    let ready = core.step(
        T0 + 30,
        Input::PayloadReady {
            round: 2,
            payload: b"tx".to_vec(),
        },
    );
    let (outputs, _) = released(ready);
    let proposal = proposals_in(&outputs).pop().expect("leader proposes");
    assert_eq!(proposal.block.header.parent_id, b1.id());
    assert_eq!(proposal.block.header.parent_qc.signatures.len(), 3);
    assert_eq!(proposal.block.header.timestamp_ms, T0 + 30);
}

#[test]
fn proposer_attests_only_an_executed_height_its_chain_proves_committed() {
    // Rule: the attested executed height is capped at what the proposal's own chain proves
    // committed (two-chain rule), even when this node has executed further — otherwise nobody
    // who learned the chain from the proposal alone could vote for it.
    let net = Net::new(4);
    let mut core = net.core(2);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let _ = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1.clone(), None));
    // This node has executed height 1 (as if it had committed b1 on a QC no one else saw).
    let _ = core.step(T0 + 15, executed(1, [9; 32]));
    for signer in [0usize, 1, 3] {
        let _ = core.step(
            T0 + 20,
            Input::Vote {
                from: net.keys[signer],
                vote: net.vote(&b1.header, signer),
            },
        );
    }
    let ready = core.step(
        T0 + 30,
        Input::PayloadReady {
            round: 2,
            payload: Vec::new(),
        },
    );
    let (outputs, _) = released(ready);
    let proposal = proposals_in(&outputs).pop().expect("leader proposes");
    // The chain b1 (round 1) on genesis (round 0) proves only genesis committed.
    assert_eq!(proposal.block.header.parent_id, b1.id());
    assert_eq!(proposal.block.header.executed.height, 0);
    assert_eq!(
        proposal.block.header.executed.state_root,
        net.genesis.state_root
    );
}

#[test]
fn restarted_node_never_signs_a_second_vote_for_a_round() {
    // Rule: vote at most once per round across restarts (persisted SafetyData).
    let net = Net::new(4);
    let mut core = net.core(2);
    let genesis = net.genesis_header();
    let first = net.proposal(net.block(&genesis, &net.genesis.qc(), 1, 1), None);
    let gate = deliver_proposal(&mut core, T0 + 10, &first)
        .persist
        .unwrap();
    let mut persisted: Option<SafetyData> = None;
    let original = gate
        .persist(|data, _| {
            persisted = Some(data.clone());
            Ok::<(), ()>(())
        })
        .unwrap();
    let persisted = persisted.unwrap();
    let restart = || {
        let signer = Ed25519Signer::from_secret_bytes(&net.secrets[2]);
        let mut restarted = yrd_consensus::Core::new(Net::config(), Box::new(signer));
        let mut start = StartState::from_genesis(&net.genesis);
        start.safety_data = persisted.clone();
        let _ = restarted.step(T0 + 20, Input::Start(Box::new(start)));
        restarted
    };
    let second = net.proposal(net.block(&genesis, &net.genesis.qc(), 1, 2), None);
    let mut restarted = restart();
    assert!(persisted_votes(deliver_proposal(&mut restarted, T0 + 21, &second)).is_empty());
    let mut restarted = restart();
    let again = persisted_votes(deliver_proposal(&mut restarted, T0 + 22, &first));
    let Output::SendTo {
        message: ConsensusMessage::Vote(original),
        ..
    } = &original[0]
    else {
        panic!("expected the original vote");
    };
    assert_eq!(
        again,
        vec![original.clone()],
        "the persisted vote is returned again"
    );
}

#[test]
fn missing_parent_requests_sync() {
    // Rule: a proposal whose parent is unknown produces a sync request to the sender.
    let net = Net::new(4);
    let mut core = net.core(1);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let b2 = net.block(&b1.header, &qc1, 2, 2);
    let ready = deliver_proposal(&mut core, T0 + 20, &net.proposal(b2, None));
    let request = ready.outputs.iter().find_map(|o| match o {
        Output::RequestSync { to, request } => Some((*to, request.clone())),
        _ => None,
    });
    let (to, request) = request.expect("sync requested");
    assert_eq!(to, net.keys[net.leader(2)]);
    assert_eq!(request.target, b1.id());
    assert_eq!(request.from_height, 1);
}

#[test]
fn pending_proposals_are_bounded_at_the_limit() {
    // Rule: bounded buffers — proposals waiting for a missing parent are capped.
    let net = Net::new(4);
    let mut core = net.core(1);
    let limit = Net::config().max_pending_proposals;
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    for tag in 0..=limit {
        let b2 = net.block(&b1.header, &qc1, 2, 100 + tag as u8);
        let _ = deliver_proposal(&mut core, T0 + 20, &net.proposal(b2, None));
        let expected_drops = u64::from(tag == limit);
        assert_eq!(
            core.metrics().dropped_buffer_full,
            expected_drops,
            "after {} proposals",
            tag + 1
        );
    }
    assert_eq!(
        core.metrics().sync_requests,
        1,
        "one request for the one missing parent"
    );
}

#[test]
fn sync_responses_are_bounded_at_the_limit() {
    // Rule: bounded buffers — a sync response with more blocks than allowed is refused whole.
    let net = Net::new(4);
    let limit = Net::config().sync_max_blocks_per_response;
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let respond = |count: usize| {
        let mut core = net.core(1);
        let response = yrd_consensus::SyncResponse {
            committed: Vec::new(),
            uncommitted: vec![b1.clone(); count],
        };
        let _ = core.step(
            T0,
            Input::SyncResponse {
                from: net.keys[0],
                response: Box::new(response),
            },
        );
        core.metrics().sync_responses_rejected
    };
    assert_eq!(respond(limit), 0);
    assert_eq!(respond(limit + 1), 1);
}

/// `core` receives `committed` blocks from validator 0, as a block-sync answer.
fn feed_committed(
    core: &mut yrd_consensus::Core,
    net: &Net,
    committed: Vec<yrd_consensus::types::CommittedBlock>,
) -> yrd_consensus::Ready {
    core.step(
        T0,
        Input::SyncResponse {
            from: net.keys[0],
            response: Box::new(yrd_consensus::SyncResponse {
                committed,
                uncommitted: Vec::new(),
            }),
        },
    )
}

fn sync_commits(
    net: &Net,
    committed: Vec<yrd_consensus::types::CommittedBlock>,
) -> (usize, u64, u64) {
    let mut core = net.core(3);
    let ready = feed_committed(&mut core, net, committed);
    let m = core.metrics();
    (
        commits(&ready).len(),
        m.sync_certificates_vouched,
        m.sync_responses_rejected,
    )
}

#[test]
fn sync_certificates_are_proven_by_hash_links_to_one_verified_certificate() {
    // Rule: a synced block is committed only with a certificate proven valid — by its own
    // signatures, or (catch-up speed) by being the authenticated headers and embedded QC of a
    // chain whose last certificate was verified in full. Anything else falls back to signatures.
    let net = Net::new(4);
    let honest = synced_chain(&net, 6);
    // b1..b4 are vouched for; b5's QC is embedded only in b7 (not in the response) and b6 is the
    // anchor, both verified in full.
    assert_eq!(sync_commits(&net, honest.clone()), (6, 4, 0));

    // Another quorum of the same votes: genuine, not the embedded QC — checked on its own.
    let mut other_quorum = honest.clone();
    other_quorum[2].certificate.qc = net.qc(&other_quorum[3].block.header, &[1, 2, 3]);
    assert_eq!(sync_commits(&net, other_quorum), (6, 3, 0));

    // A forged intermediate certificate (a signature swapped for another block's): refused
    // there, blocks before it commit.
    let mut forged = honest.clone();
    forged[2].certificate.qc.signatures[0].1 = honest[0].certificate.qc.signatures[0].1;
    assert_eq!(sync_commits(&net, forged), (2, 3, 1));

    // A forged last certificate vouches for nothing: each earlier block is checked on its own.
    let mut forged_anchor = honest.clone();
    forged_anchor[5].certificate.qc.signatures[0].1 = honest[0].certificate.qc.signatures[0].1;
    assert_eq!(sync_commits(&net, forged_anchor), (5, 0, 1));

    // A broken hash link: nothing before the break is vouched for by the anchor.
    let mut unlinked = honest;
    unlinked[3].block.header.parent_id = yrd_consensus::types::BlockId([9; 32]);
    assert_eq!(
        sync_commits(&net, unlinked),
        (3, 0, 1),
        "b4 no longer links to b3; b1..b3 verified one by one"
    );
}

#[test]
fn sync_responses_stay_within_the_byte_limit() {
    // Rule: bounded messages — a response never exceeds the transport's message limit (it could
    // not be delivered, and the requester would ask again forever); it ends at the last block
    // that fits and the requester continues from there.
    let net = Net::new(4);
    let chain = synced_chain(&net, 6);
    let mut core = net.core(3);
    let _ = core.step(
        T0,
        Input::SyncResponse {
            from: net.keys[0],
            response: Box::new(yrd_consensus::SyncResponse {
                committed: chain.clone(),
                uncommitted: Vec::new(),
            }),
        },
    );
    assert_eq!(core.committed_height(), 6);
    let request = yrd_consensus::SyncRequest {
        from_height: 1,
        target: chain[5].block.id(),
        target_height: 6,
    };
    let lookup = |height: u64| chain.get(height as usize - 1).cloned();
    let size = |blocks: &[yrd_consensus::types::CommittedBlock]| {
        blocks
            .iter()
            .map(|b| yrd_consensus::codec::encode(b).len())
            .sum::<usize>()
            + yrd_consensus::sync::SYNC_RESPONSE_OVERHEAD_BYTES
    };
    let all = yrd_consensus::sync::respond(&request, lookup, &core, 64, usize::MAX);
    assert_eq!(all.committed.len(), 6);
    let two = size(&chain[..2]);
    let limited = yrd_consensus::sync::respond(&request, lookup, &core, 64, two);
    assert_eq!(limited.committed, chain[..2].to_vec());
    let limited = yrd_consensus::sync::respond(&request, lookup, &core, 64, two - 1);
    assert_eq!(limited.committed, chain[..1].to_vec());
    assert!(yrd_consensus::codec::encode(&limited).len() < two);
    let by_count = yrd_consensus::sync::respond(&request, lookup, &core, 3, usize::MAX);
    assert_eq!(by_count.committed.len(), 3);
}

#[test]
fn a_far_future_proposal_makes_a_node_far_behind_sync_at_once() {
    // Rule: a node far behind learns where the chain is from a far-future proposal's verified
    // parent QC instead of waiting for its round to time out; one QC check per sending
    // validator per round of its own, and a QC that fails verification teaches nothing.
    let net = Net::new(4);
    let mut core = net.core(1);
    let far = 1 + Net::config().max_future_rounds + 50;
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let x = net.block(&b1.header, &qc1, far - 1, 2);
    let sync_requests = |ready: &yrd_consensus::Ready| {
        ready
            .outputs
            .iter()
            .filter_map(|o| match o {
                Output::RequestSync { request, .. } => Some(request.target),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let sender = net.leader(far);
    let send = |core: &mut yrd_consensus::Core, from: usize, block| {
        core.step(
            T0 + 20,
            Input::Proposal {
                from: net.keys[from],
                proposal: Box::new(net.proposal(block, None)),
            },
        )
    };

    // A QC short of a quorum: dropped as invalid, no sync, the round unchanged.
    let weak = net.qc(&x.header, &[0]);
    let ready = send(&mut core, sender, net.block(&x.header, &weak, far, 3));
    assert!(sync_requests(&ready).is_empty());
    assert_eq!(core.metrics().dropped_invalid, 1);
    assert_eq!(core.round(), 1);

    // The same sender again in the same round of ours: not checked at all.
    let strong = net.qc(&x.header, &[0, 1, 2]);
    let ready = send(&mut core, sender, net.block(&x.header, &strong, far, 4));
    assert!(sync_requests(&ready).is_empty());
    assert_eq!(core.metrics().dropped_invalid, 1);
    assert_eq!(core.metrics().far_future_qcs_learned, 0);

    // Another validator's far-future proposal with a genuine QC: sync towards its block now,
    // and enter the round after it.
    let other = (sender + 1) % 4;
    let ready = send(&mut core, other, net.block(&x.header, &strong, far, 5));
    assert_eq!(sync_requests(&ready), vec![x.id()]);
    assert_eq!(core.metrics().far_future_qcs_learned, 1);
    assert_eq!(core.metrics().dropped_far_future, 3);
    assert_eq!(core.round(), far);
}

/// A started core whose key is in no validator set: an observer.
fn observer_core(net: &Net) -> yrd_consensus::Core {
    let mut core = yrd_consensus::Core::new(
        Net::config(),
        Box::new(Ed25519Signer::from_secret_bytes(&[200; 32])),
    );
    let _ = core.step(
        T0,
        Input::Start(Box::new(StartState::from_genesis(&net.genesis))),
    );
    core
}

#[test]
fn an_observer_commits_pulled_blocks_only_with_valid_certificates_and_never_votes() {
    // Rule: an observer (a node that pulls committed blocks without having asked the core for
    // them) commits a block only under a certificate of the current validator set, and signs
    // nothing: no vote for a proposal it sees, no timeout when its round timer fires.
    let net = Net::new(4);
    let honest = synced_chain(&net, 6);
    let pulled = |committed: Vec<yrd_consensus::types::CommittedBlock>| {
        let mut core = observer_core(&net);
        let ready = feed_committed(&mut core, &net, committed);
        (commits(&ready).len(), core.committed_height())
    };
    assert_eq!(pulled(honest.clone()), (6, 6));

    // A validator serving a forged certificate (a signature swapped for another block's) gets
    // nothing past it committed.
    let mut forged = honest.clone();
    forged[2].certificate.qc.signatures[0].1 = honest[0].certificate.qc.signatures[0].1;
    assert_eq!(pulled(forged), (2, 2));

    // It never votes or times out.
    let mut core = observer_core(&net);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let ready = deliver_proposal(&mut core, T0 + 10, &net.proposal(b1, None));
    assert!(ready.persist.is_none(), "an observer signed something");
    let fired = core.step(
        T0 + 5_000,
        Input::TimerFired {
            epoch: 0,
            round: 1,
            kind: TimerKind::Round,
        },
    );
    assert!(fired.persist.is_none(), "an observer signed a timeout");
    assert!(
        !fired
            .outputs
            .iter()
            .any(|o| matches!(o, Output::Broadcast(_) | Output::SendTo { .. })),
        "an observer sent a consensus message"
    );
    assert_eq!(core.metrics().timeouts_sent, 0);
}

/// The peers `ready` asks the host to report, and why.
fn reported(ready: &yrd_consensus::Ready) -> Vec<(yrd_consensus::PublicKey, &'static str)> {
    ready
        .outputs
        .iter()
        .filter_map(|o| match o {
            Output::PeerMisbehaved { peer, reason } => Some((*peer, *reason)),
            _ => None,
        })
        .collect()
}

#[test]
fn a_sync_answer_that_proves_its_server_faulty_is_reported_and_a_stale_one_is_not() {
    // Rule: a sync server whose answer cannot come from an honest node is reported to the
    // network (its standing drops, so catch-up turns to others); an answer that may merely be
    // stale is dropped without blame.
    let net = Net::new(4);
    let honest = synced_chain(&net, 6);
    let mut core = net.core(3);
    assert!(reported(&feed_committed(&mut core, &net, honest.clone())).is_empty());

    // The block after the tip, with a payload its certified header does not commit to.
    let mut altered = honest.clone();
    altered[2].block.payload.push(0xBD);
    let mut core = net.core(3);
    let ready = feed_committed(&mut core, &net, altered);
    assert_eq!(commits(&ready).len(), 2);
    assert_eq!(reported(&ready).len(), 1);
    assert_eq!(reported(&ready)[0].0, net.keys[0]);

    // A forged certificate on the block after the tip.
    let mut forged = honest.clone();
    forged[0].certificate.qc.signatures[0].1 = honest[1].certificate.qc.signatures[0].1;
    let mut core = net.core(3);
    assert_eq!(reported(&feed_committed(&mut core, &net, forged)).len(), 1);

    // Blocks that do not follow the tip (an answer to an older request): not blamed.
    let mut core = net.core(3);
    let _ = feed_committed(&mut core, &net, honest[..3].to_vec());
    let ready = feed_committed(&mut core, &net, honest[4..].to_vec());
    assert!(reported(&ready).is_empty());

    // Above the block limit.
    let limit = Net::config().sync_max_blocks_per_response;
    let mut core = net.core(3);
    let b1 = honest[0].block.clone();
    let ready = core.step(
        T0,
        Input::SyncResponse {
            from: net.keys[0],
            response: Box::new(yrd_consensus::SyncResponse {
                committed: Vec::new(),
                uncommitted: vec![b1; limit + 1],
            }),
        },
    );
    assert_eq!(reported(&ready).len(), 1);
}
