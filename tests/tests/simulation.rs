//! The simulator's fast set and targeted scenarios (run in CI by `cargo test -p yrd-tests`).
//! `scripts/sim.sh --seeds N` runs many more seeds in release mode.

use yrd_tests::sim::runner::run_seed;
use yrd_tests::sim::scenario::{Fault, Reconfiguration};
use yrd_tests::sim::{
    Behaviour, RunReport, Scenario, Simulation, replay_command, run_seed_checked,
};

/// Seeds of the fast set. Each is run twice (determinism) with every checker.
const FAST_SET_SEEDS: u64 = 300;

/// Seeds beyond the fast set that once failed, run with it. Each has a named test below that
/// also checks the seed still draws the scenario that failed.
const PINNED_SEEDS: [u64; 1] = [SEED_TWIN_SPLIT_ROOT_QC];

/// Seven validators, the weakest one Twins, two partitions and a reconfiguration: the twins
/// embedded different (valid) QCs on the reconfiguration block in their children, the honest
/// validators of the new epoch took their root QC from different children, and each side
/// refused the other's timeouts until a QC on the ended epoch's last block was checked under
/// the ended epoch's set (a liveness failure; safety held).
const SEED_TWIN_SPLIT_ROOT_QC: u64 = 9438;

fn assert_clean(report: &RunReport) {
    assert!(
        report.violations.is_empty(),
        "seed {} violated: {:#?}\nscenario: {}\nreplay: {}",
        report.seed,
        report.violations,
        report.description,
        replay_command(report.seed)
    );
}

#[test]
fn fast_set_of_mixed_fault_seeds() {
    let mut failures = Vec::new();
    let mut highest = 0;
    for seed in (0..FAST_SET_SEEDS).chain(PINNED_SEEDS) {
        let report = run_seed_checked(seed);
        highest = highest.max(report.highest_height);
        if !report.violations.is_empty() {
            println!(
                "FAILED seed {seed}: {:?}\n  replay: {}",
                report.violations,
                replay_command(seed)
            );
            failures.push(seed);
        }
    }
    assert!(failures.is_empty(), "failing seeds: {failures:?}");
    assert!(highest > 10, "runs must actually commit blocks");
}

#[test]
fn twins_with_different_qcs_on_the_reconfiguration_block_keep_the_new_epoch_live() {
    let scenario = Scenario::generate(SEED_TWIN_SPLIT_ROOT_QC);
    let partitions = scenario
        .faults
        .iter()
        .filter(|(_, f)| matches!(f, Fault::Partition(_)))
        .count();
    assert_eq!(scenario.validators, 7);
    assert!(matches!(scenario.byzantine, Some((_, Behaviour::Twin))));
    assert_eq!(partitions, 2);
    assert!(scenario.reconfiguration.is_some());
    let report = run_seed_checked(SEED_TWIN_SPLIT_ROOT_QC);
    assert_clean(&report);
    assert_eq!(report.epochs, 2, "the new epoch is reached");
}

#[test]
fn fast_set_draws_every_byzantine_behaviour() {
    let mut drawn = std::collections::BTreeMap::new();
    for seed in 0..FAST_SET_SEEDS {
        if let Some((_, behaviour)) = Scenario::generate(seed).byzantine {
            *drawn.entry(format!("{behaviour:?}")).or_insert(0u32) += 1;
        }
    }
    for behaviour in Behaviour::BYZANTINE {
        assert!(
            drawn.contains_key(&format!("{behaviour:?}")),
            "{behaviour:?} never drawn in the fast set: {drawn:?}"
        );
    }
}

#[test]
fn same_seed_same_trace_different_seed_different_trace() {
    let first = run_seed(7);
    let again = run_seed(7);
    let other = run_seed(8);
    assert_eq!(first.trace_hash, again.trace_hash);
    assert_ne!(first.trace_hash, other.trace_hash);
}

/// A 4-validator scenario with one Byzantine behaviour and light network noise.
fn with_byzantine(seed: u64, behaviour: Behaviour) -> Scenario {
    let mut scenario = Scenario::benign(seed, 4, 10);
    scenario.byzantine = Some((1, behaviour));
    scenario.network.latency_max_ms = 40;
    scenario.network.duplicate_per_million = 20_000;
    scenario.clock_offsets_ms = vec![0; scenario.instances()];
    scenario.heal_at_ms = 3_000;
    scenario.blocks_after_heal = 10;
    if matches!(behaviour, Behaviour::SyncAbuser | Behaviour::FutureFlooder) {
        // Cut validator 3 off for a while so that it must catch up while the Byzantine
        // validator floods it with forged targets or serves it wrong responses.
        scenario.faults = vec![
            (300, Fault::Partition(vec![0, 0, 0, 1])),
            (2_500, Fault::Heal),
        ];
    }
    if behaviour == Behaviour::Amnesiac {
        scenario.faults = vec![
            (1_000, Fault::Crash(1)),
            (1_200, Fault::Restart(1)),
            (2_000, Fault::Crash(1)),
            (2_100, Fault::Restart(1)),
        ];
    }
    scenario
}

#[test]
fn each_byzantine_behaviour_keeps_safety_and_liveness() {
    for behaviour in Behaviour::BYZANTINE {
        for seed in 0..3 {
            let report = Simulation::new(with_byzantine(seed, behaviour), true).run();
            assert_clean(&report);
            assert!(
                report.highest_height >= 10,
                "{behaviour:?}: only {} blocks",
                report.highest_height
            );
        }
    }
}

#[test]
fn partition_without_quorum_stalls_then_heals() {
    // Two against two: neither side has a quorum; after healing every node commits again.
    let mut scenario = Scenario::benign(3, 4, 10);
    scenario.faults = vec![(500, Fault::Partition(vec![0, 0, 1, 1]))];
    scenario.heal_at_ms = 6_000;
    scenario.blocks_after_heal = 5;
    let report = Simulation::new(scenario, true).run();
    assert_clean(&report);
}

#[test]
fn crashed_leader_is_skipped_by_reputation() {
    // Validator 3 sends nothing for the whole run (as good as crashed). Without reputation its
    // rounds fail, and so do the rounds before them (their QC only reached validator 3). With
    // reputation its slots go to others after its first settled failure.
    let run = |window: u64| {
        let mut scenario = Scenario::benign(5, 4, 10);
        scenario.config.reputation_window_rounds = window;
        scenario.heal_at_ms = 1;
        scenario.blocks_after_heal = 60;
        scenario.byzantine = Some((3, Behaviour::Silent));
        Simulation::new(scenario, false).run()
    };
    let with_reputation = run(24);
    let without = run(0);
    assert_clean(&with_reputation);
    assert_clean(&without);
    assert!(
        with_reputation.sim_ms * 2 < without.sim_ms,
        "reputation should at least halve the time to 60 blocks: {} ms vs {} ms without",
        with_reputation.sim_ms,
        without.sim_ms
    );
}

#[test]
fn reconfiguration_adds_an_observer_as_validator() {
    let mut scenario = Scenario::benign(11, 4, 10);
    scenario.observers = 1;
    scenario.clock_offsets_ms = vec![0; 5];
    scenario.reconfiguration = Some(Reconfiguration {
        at_height: 5,
        next_validators: vec![(0, 1), (1, 1), (2, 1), (3, 1), (4, 2)],
    });
    scenario.blocks_after_heal = 30;
    let report = Simulation::new(scenario, true).run();
    assert_clean(&report);
    assert_eq!(report.epochs, 2, "the epoch changed");
}

#[test]
fn crash_of_every_validator_recovers_from_persisted_state() {
    // All four crash at different moments and restart from their stores: safety data and voted
    // blocks let them continue without double votes or a stuck round.
    let mut scenario = Scenario::benign(13, 4, 10);
    scenario.faults = (0..4)
        .flat_map(|i| {
            [
                (800 + 37 * i as u64, Fault::Crash(i)),
                (1_500 + 11 * i as u64, Fault::Restart(i)),
            ]
        })
        .collect();
    scenario.faults.sort_by_key(|(t, _)| *t);
    scenario.heal_at_ms = 2_000;
    scenario.blocks_after_heal = 10;
    let report = Simulation::new(scenario, true).run();
    assert_clean(&report);
}

#[test]
fn isolated_node_catches_up_through_many_sync_responses() {
    // Validator 3 is cut off while the others commit dozens of blocks; after healing it must
    // fetch them (responses are capped at 8 blocks, so through several) and keep committing.
    let mut scenario = Scenario::benign(17, 4, 10);
    scenario.config.sync_max_blocks_per_response = 8;
    scenario.faults = vec![(100, Fault::Partition(vec![0, 0, 0, 1]))];
    scenario.heal_at_ms = 6_000;
    scenario.blocks_after_heal = 150;
    let report = Simulation::new(scenario, true).run();
    assert_clean(&report);
    assert!(
        report.highest_height > 150 + 4 * 8,
        "the backlog spans several responses: height {} at {} ms",
        report.highest_height,
        report.sim_ms
    );
}

/// Sum of one metric over the honest nodes of a run with the Byzantine validator at index 1.
fn honest_sum(report: &RunReport, metric: impl Fn(&yrd_consensus::Metrics) -> u64) -> u64 {
    report
        .node_metrics
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .filter_map(|(_, m)| m.as_ref())
        .map(metric)
        .sum()
}

#[test]
fn new_byzantine_actors_are_refused_and_the_chain_goes_on() {
    // Each attack reaches the honest nodes and is refused there, while they keep committing.
    let byzantine_key = yrd_tests::sim::node::validator_key(1);
    let mut wrong_sync_responses_refused = 0;
    for seed in 0..2 {
        let run = |behaviour| {
            let report = Simulation::new(with_byzantine(seed, behaviour), true).run();
            assert_clean(&report);
            assert!(report.highest_height >= 10, "{behaviour:?}");
            report
        };
        let flooded = run(Behaviour::FutureFlooder);
        assert!(honest_sum(&flooded, |m| m.dropped_far_future) > 0);
        assert!(honest_sum(&flooded, |m| m.certificates_rejected_from(&byzantine_key)) > 0);

        let spammed = run(Behaviour::InvalidQcSpammer);
        let rejected = honest_sum(&spammed, |m| m.certificates_rejected_from(&byzantine_key));
        let checked = honest_sum(&spammed, |m| m.certificate_verifications);
        let reused = honest_sum(&spammed, |m| m.certificate_verdicts_reused);
        assert!(rejected > 0);
        assert!(
            reused > 0,
            "re-sent certificates answered from the verdicts"
        );
        assert!(
            checked < rejected + reused,
            "not one full check per message"
        );

        let abused = run(Behaviour::SyncAbuser);
        assert!(honest_sum(&abused, |m| m.sync_requests) > 0);
        wrong_sync_responses_refused += honest_sum(&abused, |m| m.sync_responses_rejected);

        let _ = run(Behaviour::WithholdingLeader);
        let _ = run(Behaviour::SelfishVoter);
    }
    assert!(
        wrong_sync_responses_refused > 0,
        "the abuser's wrong responses reached someone and were refused"
    );
}
