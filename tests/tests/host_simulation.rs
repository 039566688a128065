//! The simulator's fast set and targeted runs (run by `cargo test -p yrd-tests`): real node
//! hosts over RocksDB, on the simulated network and virtual clock, under seeded faults (lost,
//! slow and duplicated messages, crashes and restarts from disk, a node cut off, the network
//! split), with Byzantine validators and governance changing the validator set.
//! `scripts/sim.sh --seeds N` runs many more in release mode; a failure prints the command that
//! replays it.

use yrd_tests::hostsim::{
    Behaviour, HostSimOptions, HostSimReport, Overrides, Reconfiguration, SeedSetTally,
    run_host_seed, run_seed_set,
};

/// Seeds of the fast set.
const FAST_SET: std::ops::Range<u64> = 0..12;

fn assert_clean(report: &HostSimReport) {
    assert!(
        report.violations.is_empty(),
        "seed {} violated: {:#?}\nplan: {}\nreplay: {}",
        report.seed,
        report.violations,
        report.description,
        report.replay
    );
    // Real transactions went through real admission and execution.
    assert!(report.acknowledged > 50, "seed {}: {report:?}", report.seed);
    assert!(report.min_height > 10, "seed {}: {report:?}", report.seed);
}

fn forced(seed: u64, overrides: Overrides) -> HostSimReport {
    run_host_seed(
        seed,
        HostSimOptions {
            overrides,
            ..HostSimOptions::default()
        },
    )
}

#[test]
fn fast_set_of_real_host_seeds() {
    let tally = run_seed_set(FAST_SET, assert_clean);
    assert!(tally.failures.is_empty(), "{}", tally.failures.join("\n"));
    // The set exercises what it claims to.
    let SeedSetTally {
        crashes,
        power_cuts,
        byzantine_runs,
        syncing_seen,
        ..
    } = tally;
    assert!(crashes >= 6, "only {crashes} crashes in the fast set");
    assert!(
        power_cuts >= 2,
        "only {power_cuts} power cuts in the fast set"
    );
    assert!(
        byzantine_runs >= 3,
        "only {byzantine_runs} runs with a Byzantine member"
    );
    // A node that restarts or reconnects behind says so (`node_getStatus`, `/health`).
    assert!(syncing_seen > 0, "no node ever reported itself syncing");
}

#[test]
fn each_byzantine_behaviour_keeps_agreement_and_liveness() {
    for (offset, behaviour) in Behaviour::BYZANTINE.into_iter().enumerate() {
        let run = |seed: u64| {
            let report = forced(
                seed,
                Overrides {
                    behaviour: Some(behaviour),
                    ..Overrides::default()
                },
            );
            assert_eq!(report.byzantine.map(|(_, b)| b), Some(behaviour));
            assert_clean(&report);
            report
        };
        // A member that abuses only the answers it serves shows itself only when someone asks
        // it: up to eight seeds (each clean) for one in which an honest node did. (About half
        // the seeds have an honest node sync from it; fewer since rounds recover from a silent
        // next leader without a lagging node.)
        let mut report = run(100 + offset as u64);
        for retry in 1..8u64 {
            let serves_only = matches!(behaviour, Behaviour::SyncAbuser | Behaviour::Garbler);
            // The refusals are counted by the honest nodes' last instances (a crash resets a
            // node's counters), so the seed must show both the report and a refusal.
            let shown = report.byzantine_reported > 0
                && (behaviour != Behaviour::SyncAbuser
                    || report.honest_seen.sync_responses_rejected > 0);
            if !serves_only || shown {
                break;
            }
            report = run(100 + offset as u64 + 1_000 * retry);
        }
        // Its work reached the honest nodes and was refused there.
        let seen = report.honest_seen;
        match behaviour {
            // Its wrong answers are noticed and pinned on it, not used.
            Behaviour::Garbler => assert!(report.byzantine_reported > 0, "{report:?}"),
            Behaviour::SyncAbuser => {
                assert!(report.byzantine_reported > 0, "{report:?}");
                assert!(seen.sync_responses_rejected > 0, "{report:?}");
            }
            Behaviour::DoubleVoter => assert!(seen.double_votes > 0, "{report:?}"),
            Behaviour::FutureFlooder => {
                assert!(seen.dropped_far_future > 0, "{report:?}");
                assert!(seen.certificates_rejected_from_byzantine > 0, "{report:?}");
            }
            Behaviour::InvalidQcSpammer => {
                assert!(seen.certificates_rejected_from_byzantine > 0, "{report:?}");
                // A re-sent invalid certificate costs one verification, not one per copy.
                assert!(seen.certificate_verdicts_reused > 0, "{report:?}");
            }
            Behaviour::Amnesiac => assert!(report.wipes > 0, "{report:?}"),
            // The second instance of a twin is a node of its own.
            Behaviour::Twin | Behaviour::Honest => {}
            // Each honest node sees one of an equivocator's two proposals (the halves differ), so
            // none can tell; what matters is that they agree (checked with every run).
            Behaviour::Silent
            | Behaviour::Equivocator
            | Behaviour::WithholdingLeader
            | Behaviour::SelfishVoter => {
                assert!(
                    report.rewritten > 0,
                    "{behaviour:?} changed nothing: {report:?}"
                )
            }
        }
    }
}

#[test]
fn a_validator_added_by_governance_joins_and_votes() {
    let report = forced(
        200,
        Overrides {
            add_validator: Some(true),
            ..Overrides::default()
        },
    );
    assert!(matches!(
        report.reconfiguration,
        Some(Reconfiguration::Add { .. })
    ));
    assert_clean(&report);
    assert!(report.epoch >= 1, "no new epoch: {report:?}");
    assert!(
        report.added_votes > 0,
        "the added validator never voted: {report:?}"
    );
}

#[test]
fn governance_removes_a_byzantine_validator_and_the_rest_go_on() {
    let report = forced(
        201,
        Overrides {
            behaviour: Some(Behaviour::Equivocator),
            add_validator: Some(false),
            validators: Some(7),
        },
    );
    let Some(Reconfiguration::Remove { victim, .. }) = report.reconfiguration else {
        panic!("no removal drawn: {report:?}");
    };
    assert_eq!(report.byzantine.map(|(node, _)| node), Some(victim));
    assert_clean(&report);
    assert!(report.epoch >= 1, "no new epoch: {report:?}");
}

#[test]
fn twins_leading_across_a_validator_set_change_keep_the_new_epoch_live() {
    // Two hosts with one key may put different (valid) QCs on the reconfiguration block in the
    // children they propose; the new epoch's validators must still accept each other's
    // timeouts and go on (consensus/tests/epoch_root_qc.rs has the rule in isolation).
    let report = forced(
        203,
        Overrides {
            behaviour: Some(Behaviour::Twin),
            validators: Some(7),
            add_validator: Some(true),
        },
    );
    assert_clean(&report);
    assert!(report.epoch >= 1, "no new epoch: {report:?}");
}

#[test]
fn seven_validators_with_twins_keep_agreement() {
    let report = forced(
        202,
        Overrides {
            behaviour: Some(Behaviour::Twin),
            validators: Some(7),
            ..Overrides::default()
        },
    );
    assert_clean(&report);
}
