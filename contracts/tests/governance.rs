//! Governance: proposals, votes, quorum, expiry, and each action.

mod common;

use common::*;
use yrd_contracts::query;
use yrd_contracts::tx::GovernanceAction;
use yrd_contracts::{DidId, Parameters, ProvinceCode, TxError, TxPayload};

const SHANDONG: ProvinceCode = ProvinceCode(370_000);

fn propose(action: GovernanceAction) -> TxPayload {
    TxPayload::Propose(action)
}

fn vote(id: u64, approve: bool) -> TxPayload {
    TxPayload::Vote {
        proposal_id: id,
        approve,
    }
}

fn add_shandong() -> GovernanceAction {
    GovernanceAction::AddMember {
        province: SHANDONG,
        authority_key: pk(&key(5)),
    }
}

#[test]
fn member_added_at_two_thirds_and_can_act() {
    let mut chain = Chain::new();
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(add_shandong()))
        .unwrap();
    let view = query::proposal_get(&chain.state.snapshot(), 0)
        .unwrap()
        .unwrap();
    assert_eq!(view.status, "open");
    // 2 of 4 yes: not yet.
    chain
        .run(&authority(ProvinceCode::JIANGSU), vote(0, true))
        .unwrap();
    assert!(
        query::member_get(&chain.state.snapshot(), SHANDONG)
            .unwrap()
            .is_none()
    );
    // A no vote does not pass it.
    chain
        .run(&authority(ProvinceCode::ANHUI), vote(0, false))
        .unwrap();
    assert_eq!(
        query::proposal_get(&chain.state.snapshot(), 0)
            .unwrap()
            .unwrap()
            .status,
        "open"
    );
    // 3 of 4 yes: passes and executes.
    chain
        .run(&authority(ProvinceCode::ZHEJIANG), vote(0, true))
        .unwrap();
    let view = query::proposal_get(&chain.state.snapshot(), 0)
        .unwrap()
        .unwrap();
    assert_eq!(view.status, "passed");
    let member = query::member_get(&chain.state.snapshot(), SHANDONG)
        .unwrap()
        .unwrap();
    assert_eq!(member.authority_did, DidId::genesis_authority(SHANDONG));
    assert_eq!(query::members(&chain.state.snapshot()).unwrap().len(), 5);
    // The new authority's DID resolves with its key.
    let resolved = query::did_resolve(&chain.state.snapshot(), &member.authority_did, None)
        .unwrap()
        .unwrap();
    assert_eq!(resolved.did_document.verification_method.len(), 1);
    // The new member acts: registers a licence type.
    chain
        .run(
            &key(5),
            TxPayload::RegisterLicenceType(type_spec(
                &yrd_contracts::LicenceTypeCode("SD01".into()),
                yrd_contracts::DataClass::Unconditional,
            )),
        )
        .unwrap();
    // Closed proposals refuse votes.
    assert_eq!(
        chain.run(&authority(ProvinceCode::ANHUI), vote(0, true)),
        Err(TxError::ProposalClosed { id: 0 })
    );
}

#[test]
fn refusals() {
    let mut chain = Chain::new();
    // Not an authority (a validator's key: it has a role, but not this one).
    assert_eq!(
        chain
            .run(&key(11), propose(add_shandong()))
            .unwrap_err()
            .code(),
        300
    );
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(add_shandong()))
        .unwrap();
    assert_eq!(chain.run(&key(11), vote(0, true)).unwrap_err().code(), 300);
    // Voting twice.
    assert_eq!(
        chain.run(&authority(ProvinceCode::SHANGHAI), vote(0, true)),
        Err(TxError::AlreadyVoted {
            id: 0,
            province: ProvinceCode::SHANGHAI
        })
    );
    // No such proposal.
    assert_eq!(
        chain.run(&authority(ProvinceCode::JIANGSU), vote(7, true)),
        Err(TxError::ProposalNotFound { id: 7 })
    );
    // Adding an existing member, removing a non-member, an invalid province code.
    let existing = GovernanceAction::AddMember {
        province: ProvinceCode::ANHUI,
        authority_key: pk(&key(6)),
    };
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), propose(existing))
            .unwrap_err()
            .code(),
        401
    );
    let absent = GovernanceAction::RemoveMember { province: SHANDONG };
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), propose(absent))
            .unwrap_err()
            .code(),
        400
    );
    let bad_code = GovernanceAction::RemoveMember {
        province: ProvinceCode(310_101),
    };
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), propose(bad_code))
            .unwrap_err()
            .code(),
        200
    );
    // A key already held by an authority cannot become another authority's.
    let reused = GovernanceAction::AddMember {
        province: SHANDONG,
        authority_key: pk(&authority(ProvinceCode::ANHUI)),
    };
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), propose(reused))
            .unwrap_err()
            .code(),
        401
    );
    // Invalid parameters.
    let bad_params = GovernanceAction::SetParameters(Parameters {
        quorum_numerator: 1,
        quorum_denominator: 2,
        ..Parameters::default()
    });
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::JIANGSU), propose(bad_params))
            .unwrap_err()
            .code(),
        200
    );
}

#[test]
fn proposals_expire() {
    let mut genesis = genesis();
    genesis.parameters.proposal_ttl_blocks = 2;
    let mut chain = Chain::from_genesis(&genesis);
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(add_shandong()))
        .unwrap();
    let created = chain.state.version();
    // Height created + 2 is the last height a vote counts.
    chain.apply(&[]);
    chain
        .run(&authority(ProvinceCode::JIANGSU), vote(0, true))
        .unwrap();
    assert_eq!(chain.state.version(), created + 2);
    assert_eq!(
        chain.run(&authority(ProvinceCode::ZHEJIANG), vote(0, true)),
        Err(TxError::ProposalExpired {
            id: 0,
            expires_height: created + 2
        })
    );
    assert_eq!(
        query::proposal_get(&chain.state.snapshot(), 0)
            .unwrap()
            .unwrap()
            .status,
        "expired"
    );
    assert!(
        query::member_get(&chain.state.snapshot(), SHANDONG)
            .unwrap()
            .is_none()
    );
}

#[test]
fn quorum_is_configurable() {
    let mut genesis = genesis();
    genesis.parameters.quorum_numerator = 4;
    genesis.parameters.quorum_denominator = 5;
    let mut chain = Chain::from_genesis(&genesis);
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(add_shandong()))
        .unwrap();
    // 3 of 4 is below 4/5.
    for p in [ProvinceCode::JIANGSU, ProvinceCode::ZHEJIANG] {
        chain.run(&authority(p), vote(0, true)).unwrap();
    }
    assert_eq!(
        query::proposal_get(&chain.state.snapshot(), 0)
            .unwrap()
            .unwrap()
            .status,
        "open"
    );
    chain
        .run(&authority(ProvinceCode::ANHUI), vote(0, true))
        .unwrap();
    assert_eq!(
        query::proposal_get(&chain.state.snapshot(), 0)
            .unwrap()
            .unwrap()
            .status,
        "passed"
    );
}

/// Proposes `action` as Shanghai and has Jiangsu and Zhejiang approve it; returns the outcome of
/// the passing vote.
fn pass(chain: &mut Chain, action: GovernanceAction) -> yrd_contracts::BlockOutcome {
    let id = chain.next_proposal_id();
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(action))
        .unwrap();
    chain
        .run(&authority(ProvinceCode::JIANGSU), vote(id, true))
        .unwrap();
    let tx = chain.tx(&authority(ProvinceCode::ZHEJIANG), vote(id, true));
    let outcome = chain.apply(&[tx]);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    assert_eq!(
        query::proposal_get(&chain.state.snapshot(), id)
            .unwrap()
            .unwrap()
            .status,
        "passed"
    );
    outcome
}

#[test]
fn validators_parameters_and_member_removal() {
    let mut chain = Chain::new();
    let new_validator = pk(&key(15));
    let outcome = pass(
        &mut chain,
        GovernanceAction::AddValidator {
            key: new_validator,
            province: ProvinceCode::ANHUI,
        },
    );
    assert!(outcome.validator_set_changed);
    assert_eq!(query::validators(&chain.state.snapshot()).unwrap().len(), 5);
    let outcome = pass(
        &mut chain,
        GovernanceAction::RemoveValidator { key: pk(&key(11)) },
    );
    assert!(outcome.validator_set_changed);
    let keys: Vec<String> = query::validators(&chain.state.snapshot())
        .unwrap()
        .into_iter()
        .map(|v| v.key)
        .collect();
    assert!(!keys.contains(&hex::encode(pk(&key(11)))));
    assert!(keys.contains(&hex::encode(new_validator)));
    // The next epoch's consensus set: exactly these keys, ascending.
    let mut expected: Vec<[u8; 32]> = [12, 13, 14]
        .into_iter()
        .map(|seed| pk(&key(seed)))
        .chain([new_validator])
        .collect();
    expected.sort();
    assert_eq!(
        query::next_validator_keys(&chain.state.snapshot()).unwrap(),
        expected
    );

    let params = Parameters {
        proposal_ttl_blocks: 77,
        ..Parameters::default()
    };
    let outcome = pass(&mut chain, GovernanceAction::SetParameters(params.clone()));
    assert!(!outcome.validator_set_changed);
    assert_eq!(query::parameters(&chain.state.snapshot()).unwrap(), params);

    pass(
        &mut chain,
        GovernanceAction::RemoveMember {
            province: ProvinceCode::ANHUI,
        },
    );
    assert!(
        query::member_get(&chain.state.snapshot(), ProvinceCode::ANHUI)
            .unwrap()
            .is_none()
    );
    // The removed authority can no longer act.
    assert_eq!(
        chain
            .run(&authority(ProvinceCode::ANHUI), propose(add_shandong()))
            .unwrap_err()
            .code(),
        300
    );
    // With three members, two yes votes reach 2/3.
    chain
        .run(&authority(ProvinceCode::SHANGHAI), propose(add_shandong()))
        .unwrap();
    let id = chain.next_proposal_id() - 1;
    chain
        .run(&authority(ProvinceCode::JIANGSU), vote(id, true))
        .unwrap();
    assert!(
        query::member_get(&chain.state.snapshot(), SHANDONG)
            .unwrap()
            .is_some()
    );
}

#[test]
fn cannot_remove_the_last_member_or_validator() {
    let mut genesis = genesis();
    genesis.authorities.truncate(1);
    let mut chain = Chain::from_genesis(&genesis);
    let sh = authority(ProvinceCode::SHANGHAI);
    let last = GovernanceAction::RemoveMember {
        province: ProvinceCode::SHANGHAI,
    };
    assert_eq!(
        chain.run(&sh, propose(last)),
        Err(TxError::WouldEmpty { what: "member" })
    );
    let last_validator = GovernanceAction::RemoveValidator { key: pk(&key(11)) };
    assert_eq!(
        chain.run(&sh, propose(last_validator)),
        Err(TxError::WouldEmpty { what: "validator" })
    );
    // A one-member chain cannot pass anything: no single member decides alone.
    chain.run(&sh, propose(add_shandong())).unwrap();
    assert!(
        query::member_get(&chain.state.snapshot(), SHANDONG)
            .unwrap()
            .is_none()
    );
}
