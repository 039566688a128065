//! Table-driven tests of the safety rules, one transition each, tagged with the rule they check.

mod common;

use common::Net;
use yrd_consensus::safety_rules::{SafetyRules, VoteDecision};
use yrd_consensus::{SafetyData, SafetyError};

/// What a row expects.
#[derive(Debug)]
enum Expect {
    NewVote,
    CachedVote,
    Refused(fn(&SafetyError) -> bool),
}

struct Row {
    rule: &'static str,
    /// Safety data before the step.
    before: SafetyData,
    /// Round of the block voted on; its QC certifies round `qc_round`.
    round: u64,
    qc_round: u64,
    /// Optional TC: (round, highest QC round reported).
    tc: Option<(u64, u64)>,
    /// Vote on this block first (same block, to test the cache) — `Some(true)` — or on another
    /// block of the same round — `Some(false)`.
    voted_before: Option<bool>,
    expect: Expect,
}

fn data(last_voted_round: u64, preferred_round: u64, locked_round: u64) -> SafetyData {
    SafetyData {
        last_voted_round,
        preferred_round,
        locked_round,
        ..SafetyData::new(0)
    }
}

#[test]
fn vote_rules_table() {
    let net = Net::new(4);
    let rows = vec![
        Row {
            // Rule: safe_to_vote — a block directly extending its QC is safe (Jolteon §4, Alg. 2).
            rule: "direct extension of the QC",
            before: data(0, 0, 0),
            round: 1,
            qc_round: 0,
            tc: None,
            voted_before: None,
            expect: Expect::NewVote,
        },
        Row {
            // Rule: vote at most once per round; asked again, return the cached vote.
            rule: "same block again returns the cached vote",
            before: data(0, 0, 0),
            round: 1,
            qc_round: 0,
            tc: None,
            voted_before: Some(true),
            expect: Expect::CachedVote,
        },
        Row {
            // Rule: vote at most once per round — never sign two blocks of one round.
            rule: "another block in the voted round is refused",
            before: data(0, 0, 0),
            round: 1,
            qc_round: 0,
            tc: None,
            voted_before: Some(false),
            expect: Expect::Refused(|e| matches!(e, SafetyError::AlreadyVotedOtherBlock { .. })),
        },
        Row {
            // Rule: rounds only increase (last_voted_round).
            rule: "round at or below the last voted round",
            before: data(5, 0, 0),
            round: 5,
            qc_round: 4,
            tc: None,
            voted_before: None,
            expect: Expect::Refused(|e| matches!(e, SafetyError::IncorrectLastVotedRound { .. })),
        },
        Row {
            // Rule: safe_to_vote — a gap after the QC needs a TC for the previous round.
            rule: "round gap without a TC",
            before: data(0, 0, 0),
            round: 3,
            qc_round: 1,
            tc: None,
            voted_before: None,
            expect: Expect::Refused(|e| matches!(e, SafetyError::NotSafeToVote { .. })),
        },
        Row {
            // Rule: TC advance — round r+1 after TC(r) is safe when the QC is at least the
            // highest QC any timeout signer reported.
            rule: "TC advance with QC >= TC's highest QC",
            before: data(2, 1, 0),
            round: 3,
            qc_round: 1,
            tc: Some((2, 1)),
            voted_before: None,
            expect: Expect::NewVote,
        },
        Row {
            // Rule: TC advance — a block below a timeout signer's highest QC could fork a commit.
            rule: "TC advance with QC below the TC's highest QC",
            before: data(2, 1, 0),
            round: 4,
            qc_round: 1,
            tc: Some((3, 2)),
            voted_before: None,
            expect: Expect::Refused(|e| matches!(e, SafetyError::QcBelowTimeoutCert { .. })),
        },
        Row {
            // Rule: lock — never vote for a block whose QC is below the locked round.
            rule: "QC below the locked round",
            before: data(6, 5, 4),
            round: 7,
            qc_round: 3,
            tc: Some((6, 3)),
            voted_before: None,
            expect: Expect::Refused(|e| matches!(e, SafetyError::QcBelowLock { .. })),
        },
        Row {
            // Rule: epochs — safety data of one epoch never signs in another.
            rule: "block of another epoch",
            before: SafetyData::new(3),
            round: 1,
            qc_round: 0,
            tc: None,
            voted_before: None,
            expect: Expect::Refused(|e| matches!(e, SafetyError::WrongEpoch { .. })),
        },
    ];

    for row in rows {
        let mut rules = SafetyRules::new(row.before.clone());
        // A parent at `qc_round` and a block at `round` on it.
        let genesis = net.genesis_header();
        let mut parent = net
            .block(&genesis, &net.genesis.qc(), row.qc_round.max(1), 1)
            .header;
        parent.round = row.qc_round;
        let parent_qc = net.qc(&parent, &[0, 1, 2]);
        let block = net.block(&parent, &parent_qc, row.round, 2).header;
        let tc = row.tc.map(|(round, hqc_round)| {
            let mut hqc_block = parent.clone();
            hqc_block.round = hqc_round;
            net.tc(round, &net.qc(&hqc_block, &[0, 1, 2]), &[0, 1, 2])
        });
        let signer = &net.signers[0];
        if let Some(same) = row.voted_before {
            let earlier = if same {
                block.clone()
            } else {
                net.block(&parent, &parent_qc, row.round, 9).header
            };
            assert!(
                matches!(
                    rules.vote(signer, &earlier, 0, tc.as_ref()),
                    Ok(VoteDecision::New(_))
                ),
                "{}: setup vote",
                row.rule
            );
        }
        let result = rules.vote(signer, &block, 0, tc.as_ref());
        match (&row.expect, &result) {
            (Expect::NewVote, Ok(VoteDecision::New(vote))) => {
                assert_eq!(vote.vote_data, block.vote_data(), "{}", row.rule);
                assert_eq!(rules.data().last_voted_round, row.round, "{}", row.rule);
                assert_eq!(rules.data().last_vote.as_ref(), Some(vote), "{}", row.rule);
            }
            (Expect::CachedVote, Ok(VoteDecision::Cached(vote))) => {
                assert_eq!(vote.vote_data, block.vote_data(), "{}", row.rule);
            }
            (Expect::Refused(check), Err(error)) => {
                assert!(check(error), "{}: unexpected refusal {error}", row.rule);
                if row.voted_before.is_none() {
                    assert_eq!(
                        rules.data(),
                        &row.before,
                        "{}: refusal changed state",
                        row.rule
                    );
                }
            }
            (expect, got) => panic!("{}: expected {expect:?}, got {got:?}", row.rule),
        }
    }
}

#[test]
fn timeout_rules_table() {
    let net = Net::new(4);
    let genesis = net.genesis_header();
    // (rule, safety data, timeout round, hqc round, last TC round, expect ok)
    type TimeoutRow = (&'static str, SafetyData, u64, u64, Option<u64>, bool);
    let rows: Vec<TimeoutRow> = vec![
        // Rule: safe_to_timeout — round follows the highest QC.
        ("timeout after a QC", data(0, 0, 0), 1, 0, None, true),
        // Rule: safe_to_timeout — round follows a TC.
        ("timeout after a TC", data(2, 0, 0), 3, 0, Some(2), true),
        // Rule: a timeout may follow this node's own vote in the same round.
        (
            "timeout in the voted round",
            data(4, 0, 0),
            4,
            3,
            None,
            true,
        ),
        // Rule: rounds only increase — no timeout for a round before the last voted one.
        (
            "timeout below the last voted round",
            data(5, 0, 0),
            4,
            3,
            None,
            false,
        ),
        // Rule: safe_to_timeout — the carried QC is at least the preferred (one-chain) round.
        (
            "timeout with QC below preferred",
            data(0, 6, 0),
            8,
            5,
            Some(7),
            false,
        ),
        // Rule: safe_to_timeout — neither the QC nor a TC justifies the round.
        ("timeout not justified", data(0, 0, 0), 5, 2, None, false),
    ];
    for (rule, before, round, hqc_round, tc_round, ok) in rows {
        let mut rules = SafetyRules::new(before);
        let mut hqc_block = net.block(&genesis, &net.genesis.qc(), 1, 1).header;
        hqc_block.round = hqc_round;
        let hqc = net.qc(&hqc_block, &[0, 1, 2]);
        let tc = tc_round.map(|r| net.tc(r, &hqc, &[0, 1, 2]));
        let result = rules.timeout(&net.signers[0], 0, round, &hqc, tc.as_ref());
        assert_eq!(result.is_ok(), ok, "{rule}: {result:?}");
        if ok {
            assert_eq!(rules.data().last_voted_round, round, "{rule}");
            assert_eq!(rules.data().highest_timeout_round, round, "{rule}");
        }
    }
}

#[test]
fn no_vote_after_timeout_in_the_same_round() {
    // Rule: a timeout for round r closes round r for votes (last_voted_round = r).
    let net = Net::new(4);
    let genesis = net.genesis_header();
    let mut rules = SafetyRules::new(SafetyData::new(0));
    let qc = net.genesis.qc();
    rules.timeout(&net.signers[0], 0, 1, &qc, None).unwrap();
    let block = net.block(&genesis, &qc, 1, 1).header;
    assert!(matches!(
        rules.vote(&net.signers[0], &block, 0, None),
        Err(SafetyError::IncorrectLastVotedRound {
            round: 1,
            last_voted_round: 1
        })
    ));
}
