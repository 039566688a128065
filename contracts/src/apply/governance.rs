//! Governance: proposals and votes by member authorities, executed once the quorum is reached.
//!
//! The proposer's own vote counts as yes. A vote is stamped with the voter's admission
//! (`joined_height`) and counts only while that admission is current, so removing a member
//! removes its weight from open proposals and a re-admitted province's earlier votes never count
//! again (it may vote afresh). A proposal needs at least two yes votes whatever the quorum
//! fraction (see [`Parameters::quorum_numerator`]). A proposal that passes executes at once,
//! inside the vote (or proposal) transaction; if execution is no longer possible (say the member
//! it adds joined meanwhile) that transaction fails and the proposal stays open until it expires.
//!
//! Removing a member (docs/adr/008-governance-cascade.md): its validators leave the validator
//! list at once (one bounded record); its authority DID is deactivated; its authority key is
//! retired for good; its issuers and verifier registrations are frozen lazily by the membership
//! checks of [`super::admission`]. A removal never leaves fewer than [`MIN_MEMBERS`] members or no
//! validator. Re-admission needs a new key, gets a new DID, and never happens in the block of the
//! removal. Actions naming a member (remove it, add a validator for it) apply only to the
//! admission that existed when they were proposed.

use std::collections::BTreeMap;

use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::envelope::check_signer_key;
use crate::error::TxError;
use crate::keys;
use crate::limits::{MAX_MEMBERS, MAX_VALIDATORS, MIN_MEMBERS};
use crate::params::Parameters;
use crate::records::{
    DidHeadRecord, FormerMemberRecord, MemberList, MemberRecord, ProposalRecord, ProposalStatus,
    ValidatorList, ValidatorRecord, VoteRecord,
};
use crate::tx::{GovernanceAction, SubjectKind};
use crate::types::{FieldError, ProvinceCode, PublicKeyBytes};

pub(crate) fn propose(cx: &mut TxCx<'_>, action: &GovernanceAction) -> Result<(), ApplyError> {
    let member = cx.require_member_authority()?;
    let province = member.province;
    // Refuse proposals that could not execute now; execution checks again.
    check_action(cx, action, cx.height)?;
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
    votes.insert(
        province,
        VoteRecord {
            approve: true,
            joined_height: member.joined_height,
        },
    );
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
    let member = cx.require_member_authority()?;
    let province = member.province;
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
    // A vote from an earlier admission is void; the province votes afresh.
    if proposal
        .votes
        .get(&province)
        .is_some_and(|v| v.joined_height == member.joined_height)
    {
        return Err(TxError::AlreadyVoted { id, province }.into());
    }
    proposal.votes.insert(
        province,
        VoteRecord {
            approve,
            joined_height: member.joined_height,
        },
    );
    let params = cx.parameters()?;
    settle(cx, &mut proposal, &params)?;
    cx.put(keys::proposal(id), &proposal);
    Ok(())
}

/// Executes the proposal if the yes votes cast under current admissions reach the quorum.
fn settle(
    cx: &mut TxCx<'_>,
    proposal: &mut ProposalRecord,
    params: &Parameters,
) -> Result<(), ApplyError> {
    let members = member_list(cx)?;
    let mut yes: u64 = 0;
    // At most MAX_MEMBERS votes, one member read each.
    for (province, vote) in &proposal.votes {
        if !vote.approve || members.provinces.binary_search(province).is_err() {
            continue;
        }
        let current = cx
            .get::<MemberRecord>(&keys::member(*province))?
            .is_some_and(|m| m.joined_height == vote.joined_height);
        if current {
            yes = yes
                .checked_add(1)
                .ok_or(TxError::ArithmeticOverflow { what: "yes votes" })?;
        }
    }
    if params.quorum_reached(yes, members.provinces.len() as u64) {
        execute(cx, &proposal.action, proposal.created_height)?;
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

/// The member record of `province`, which must be a member admitted no later than
/// `proposed_height` (the action was proposed about this admission, not a later one).
fn member_admitted_by(
    cx: &TxCx<'_>,
    province: ProvinceCode,
    proposed_height: u64,
) -> Result<MemberRecord, ApplyError> {
    let member = cx
        .get::<MemberRecord>(&keys::member(province))?
        .ok_or_else(|| TxError::NotFound {
            kind: "member",
            id: province.to_string(),
        })?;
    if member.joined_height > proposed_height {
        return Err(TxError::PredatesAdmission {
            kind: "proposal about member",
            id: province.to_string(),
            province,
            height: proposed_height,
            joined_height: member.joined_height,
        }
        .into());
    }
    Ok(member)
}

/// The DID a province admitted now receives: the genesis-style one on its first admission, a new
/// one derived from the admission height after a removal.
fn admission_did(cx: &TxCx<'_>, province: ProvinceCode) -> Result<DidId, ApplyError> {
    let did = match cx.get::<FormerMemberRecord>(&keys::former_member(province))? {
        None => DidId::genesis_authority(province),
        Some(_) => DidId::readmitted_authority(province, cx.height),
    };
    if cx.get::<DidHeadRecord>(&keys::did_head(&did))?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "authority DID",
            id: did.to_string(),
        }
        .into());
    }
    Ok(did)
}

fn check_action(
    cx: &TxCx<'_>,
    action: &GovernanceAction,
    proposed_height: u64,
) -> Result<(), ApplyError> {
    match action {
        GovernanceAction::AddMember {
            province,
            authority_key,
        } => {
            province.validate()?;
            if let Some(former) = cx.get::<FormerMemberRecord>(&keys::former_member(*province))?
                && former.removed_height == cx.height
            {
                return Err(TxError::InvalidTransition {
                    kind: "member",
                    id: province.to_string(),
                    from: "removed in this block",
                    action: "re-admit",
                }
                .into());
            }
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
            check_fresh_key(cx, authority_key, "authority_key")?;
            admission_did(cx, *province).map(|_| ())
        }
        GovernanceAction::RemoveMember { province } => {
            member_admitted_by(cx, *province, proposed_height)?;
            let members = member_list(cx)?;
            if members.provinces.len() <= 1 {
                return Err(TxError::WouldEmpty { what: "member" }.into());
            }
            let remaining = members.provinces.len() - 1;
            if remaining < MIN_MEMBERS {
                return Err(TxError::TooFewMembers {
                    remaining: remaining as u64,
                    min: MIN_MEMBERS as u64,
                }
                .into());
            }
            if validator_list(cx)?
                .validators
                .iter()
                .all(|v| v.province == *province)
            {
                return Err(TxError::WouldEmpty { what: "validator" }.into());
            }
            Ok(())
        }
        GovernanceAction::AddValidator { key, province } => {
            member_admitted_by(cx, *province, proposed_height)?;
            check_signer_key(key).map_err(|e| FieldError::new("validator key", e.to_string()))?;
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
        GovernanceAction::RotateAuthorityKey { province, new_key } => {
            member_admitted_by(cx, *province, proposed_height)?;
            check_fresh_key(cx, new_key, "new_key")
        }
    }
}

/// A new authority key must be a usable ed25519 key (canonical, not of small order) that no
/// authority, current or retired, and no issuer has held.
fn check_fresh_key(
    cx: &TxCx<'_>,
    key: &PublicKeyBytes,
    field: &'static str,
) -> Result<(), ApplyError> {
    check_signer_key(key).map_err(|e| FieldError::new(field, e.to_string()))?;
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

fn execute(
    cx: &mut TxCx<'_>,
    action: &GovernanceAction,
    proposed_height: u64,
) -> Result<(), ApplyError> {
    check_action(cx, action, proposed_height)?;
    match action {
        GovernanceAction::AddMember {
            province,
            authority_key,
        } => {
            let did = admission_did(cx, *province)?;
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
        GovernanceAction::RemoveMember { province } => remove_member(cx, *province)?,
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
        GovernanceAction::RotateAuthorityKey { province, new_key } => {
            let mut member = member_admitted_by(cx, *province, proposed_height)?;
            let old_key = member.authority_key;
            member.authority_key = *new_key;
            cx.put(keys::member(*province), &member);
            // The old key stays in the table, mapped to the province, so it is never reused;
            // `require_member_authority` accepts only the member record's key.
            cx.put(keys::authority_key(new_key), province);
            super::did::replace_authority_key(cx, &member.authority_did, &old_key, new_key)?;
        }
    }
    Ok(())
}

/// Removes a member (after [`check_action`]): bounded work only, see the module doc.
fn remove_member(cx: &mut TxCx<'_>, province: ProvinceCode) -> Result<(), ApplyError> {
    let record = member_admitted_by(cx, province, cx.height)?;
    // The authority key stays in its table, mapped to the province, so it can never be used
    // again; `require_member_authority` no longer accepts it.
    super::did::retire_did(cx, &record.authority_did)?;
    cx.put(
        keys::former_member(province),
        &FormerMemberRecord {
            province,
            authority_key: record.authority_key,
            authority_did: record.authority_did,
            joined_height: record.joined_height,
            removed_height: cx.height,
        },
    );
    cx.delete(keys::member(province));
    let mut members = member_list(cx)?;
    members.provinces.retain(|p| *p != province);
    cx.put(keys::member_list(), &members);
    let mut validators = validator_list(cx)?;
    validators.validators.retain(|v| v.province != province);
    cx.put(keys::validator_list(), &validators);
    Ok(())
}
