//! Governance: proposals and votes by member authorities, executed once the quorum is reached.
//!
//! The proposer's own vote counts as yes. Only votes of current members count, so removing a
//! member also removes its weight from open proposals. A proposal that passes executes at once,
//! inside the vote (or proposal) transaction; if execution is no longer possible (say the member
//! it adds joined meanwhile) that transaction fails and the proposal stays open until it expires.

use std::collections::BTreeMap;

use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::envelope::parse_signer_key;
use crate::error::TxError;
use crate::keys;
use crate::limits::{MAX_MEMBERS, MAX_VALIDATORS};
use crate::params::Parameters;
use crate::records::{
    MemberList, MemberRecord, ProposalRecord, ProposalStatus, ValidatorList, ValidatorRecord,
};
use crate::tx::{GovernanceAction, SubjectKind};
use crate::types::{FieldError, ProvinceCode, PublicKeyBytes};

pub(crate) fn propose(cx: &mut TxCx<'_>, action: &GovernanceAction) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    // Refuse proposals that could not execute now; execution checks again.
    check_action(cx, action)?;
    let params = cx.parameters()?;
    let id: u64 = cx.get(&keys::next_proposal_id())?.unwrap_or(0);
    let next_id = id.checked_add(1).ok_or(TxError::ArithmeticOverflow {
        what: "proposal id",
    })?;
    let expires_height =
        cx.height
            .checked_add(params.proposal_ttl_blocks)
            .ok_or(TxError::ArithmeticOverflow {
                what: "proposal expiry height",
            })?;
    let mut votes = BTreeMap::new();
    votes.insert(province, true);
    let mut proposal = ProposalRecord {
        id,
        proposer: province,
        action: action.clone(),
        created_height: cx.height,
        expires_height,
        votes,
        status: ProposalStatus::Open,
        passed_height: None,
    };
    cx.put(keys::next_proposal_id(), &next_id);
    settle(cx, &mut proposal, &params)?;
    cx.put(keys::proposal(id), &proposal);
    Ok(())
}

pub(crate) fn vote(cx: &mut TxCx<'_>, id: u64, approve: bool) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let mut proposal: ProposalRecord = cx
        .get(&keys::proposal(id))?
        .ok_or(TxError::ProposalNotFound { id })?;
    if proposal.status == ProposalStatus::Passed {
        return Err(TxError::ProposalClosed { id }.into());
    }
    if cx.height > proposal.expires_height {
        return Err(TxError::ProposalExpired {
            id,
            expires_height: proposal.expires_height,
        }
        .into());
    }
    if proposal.votes.contains_key(&province) {
        return Err(TxError::AlreadyVoted { id, province }.into());
    }
    proposal.votes.insert(province, approve);
    let params = cx.parameters()?;
    settle(cx, &mut proposal, &params)?;
    cx.put(keys::proposal(id), &proposal);
    Ok(())
}

/// Executes the proposal if the yes votes of current members reach the quorum.
fn settle(
    cx: &mut TxCx<'_>,
    proposal: &mut ProposalRecord,
    params: &Parameters,
) -> Result<(), ApplyError> {
    let members = member_list(cx)?;
    let yes = proposal
        .votes
        .iter()
        .filter(|(province, approve)| {
            **approve && members.provinces.binary_search(province).is_ok()
        })
        .count() as u64;
    if params.quorum_reached(yes, members.provinces.len() as u64) {
        execute(cx, &proposal.action)?;
        proposal.status = ProposalStatus::Passed;
        proposal.passed_height = Some(cx.height);
    }
    Ok(())
}

fn member_list(cx: &TxCx<'_>) -> Result<MemberList, ApplyError> {
    Ok(cx.get(&keys::member_list())?.unwrap_or_default())
}

fn validator_list(cx: &TxCx<'_>) -> Result<ValidatorList, ApplyError> {
    Ok(cx.get(&keys::validator_list())?.unwrap_or_default())
}

fn check_action(cx: &TxCx<'_>, action: &GovernanceAction) -> Result<(), ApplyError> {
    match action {
        GovernanceAction::AddMember {
            province,
            authority_key,
        } => {
            let members = member_list(cx)?;
            if members.provinces.binary_search(province).is_ok() {
                return Err(TxError::AlreadyExists {
                    kind: "member",
                    id: province.to_string(),
                }
                .into());
            }
            if members.provinces.len() >= MAX_MEMBERS {
                return Err(TxError::LimitReached {
                    what: "members",
                    max: MAX_MEMBERS as u64,
                }
                .into());
            }
            check_fresh_key(cx, authority_key, "authority_key")
        }
        GovernanceAction::RemoveMember { province } => {
            let members = member_list(cx)?;
            if members.provinces.binary_search(province).is_err() {
                return Err(TxError::NotFound {
                    kind: "member",
                    id: province.to_string(),
                }
                .into());
            }
            if members.provinces.len() <= 1 {
                return Err(TxError::WouldEmpty { what: "member" }.into());
            }
            Ok(())
        }
        GovernanceAction::AddValidator { key, province } => {
            if member_list(cx)?.provinces.binary_search(province).is_err() {
                return Err(TxError::NotFound {
                    kind: "member",
                    id: province.to_string(),
                }
                .into());
            }
            parse_signer_key(key).map_err(|e| FieldError::new("validator key", e.to_string()))?;
            let validators = validator_list(cx)?;
            if validators.validators.iter().any(|v| v.key == *key) {
                return Err(TxError::AlreadyExists {
                    kind: "validator",
                    id: hex::encode(key),
                }
                .into());
            }
            if validators.validators.len() >= MAX_VALIDATORS {
                return Err(TxError::LimitReached {
                    what: "validators",
                    max: MAX_VALIDATORS as u64,
                }
                .into());
            }
            Ok(())
        }
        GovernanceAction::RemoveValidator { key } => {
            let validators = validator_list(cx)?;
            if !validators.validators.iter().any(|v| v.key == *key) {
                return Err(TxError::NotFound {
                    kind: "validator",
                    id: hex::encode(key),
                }
                .into());
            }
            if validators.validators.len() <= 1 {
                return Err(TxError::WouldEmpty { what: "validator" }.into());
            }
            Ok(())
        }
        GovernanceAction::SetParameters(_) => Ok(()),
    }
}

/// A new authority key must be a usable ed25519 key held by no other authority or issuer.
fn check_fresh_key(
    cx: &TxCx<'_>,
    key: &PublicKeyBytes,
    field: &'static str,
) -> Result<(), ApplyError> {
    parse_signer_key(key).map_err(|e| FieldError::new(field, e.to_string()))?;
    if cx.get::<ProvinceCode>(&keys::authority_key(key))?.is_some()
        || cx
            .get::<crate::records::IssuerRecord>(&keys::issuer(key))?
            .is_some()
    {
        return Err(TxError::AlreadyExists {
            kind: "key",
            id: hex::encode(key),
        }
        .into());
    }
    Ok(())
}

fn execute(cx: &mut TxCx<'_>, action: &GovernanceAction) -> Result<(), ApplyError> {
    check_action(cx, action)?;
    match action {
        GovernanceAction::AddMember {
            province,
            authority_key,
        } => {
            let did = DidId::genesis_authority(*province);
            if cx
                .get::<crate::records::DidHeadRecord>(&keys::did_head(&did))?
                .is_none()
            {
                let (head, document) = super::did::genesis_did_document(
                    did,
                    SubjectKind::ProvinceAuthority,
                    *authority_key,
                    cx.height,
                    cx.block_time_ms,
                    cx.tx_hash,
                );
                cx.put(keys::did_head(&did), &head);
                cx.put(keys::did_version(&did, document.version), &document);
            }
            let record = MemberRecord {
                province: *province,
                authority_key: *authority_key,
                authority_did: did,
                joined_height: cx.height,
            };
            cx.put(keys::member(*province), &record);
            cx.put(keys::authority_key(authority_key), province);
            let mut members = member_list(cx)?;
            if let Err(position) = members.provinces.binary_search(province) {
                members.provinces.insert(position, *province);
            }
            cx.put(keys::member_list(), &members);
        }
        GovernanceAction::RemoveMember { province } => {
            if let Some(record) = cx.get::<MemberRecord>(&keys::member(*province))? {
                cx.delete(keys::authority_key(&record.authority_key));
            }
            cx.delete(keys::member(*province));
            let mut members = member_list(cx)?;
            members.provinces.retain(|p| p != province);
            cx.put(keys::member_list(), &members);
        }
        GovernanceAction::AddValidator { key, province } => {
            let mut validators = validator_list(cx)?;
            let record = ValidatorRecord {
                key: *key,
                province: *province,
                added_height: cx.height,
            };
            let position = validators.validators.partition_point(|v| v.key < *key);
            validators.validators.insert(position, record);
            cx.put(keys::validator_list(), &validators);
        }
        GovernanceAction::RemoveValidator { key } => {
            let mut validators = validator_list(cx)?;
            validators.validators.retain(|v| v.key != *key);
            cx.put(keys::validator_list(), &validators);
        }
        GovernanceAction::SetParameters(params) => {
            cx.put(keys::parameters(), params);
        }
    }
    Ok(())
}
