//! Plain lookups: issuers, types, policies, proposals, members, validators, verifiers, batches,
//! timestamps, nonces, parameters and the head.

use serde::{Deserialize, Serialize};

use super::QueryError;
use crate::did_id::DidId;
use crate::keys;
use crate::licence_id::Uscc;
use crate::params::Parameters;
use crate::reader::{StateReader, read_record};
use crate::records::{
    BatchRecord, HeadRecord, IssuerRecord, IssuerRevocationRule, IssuerStatus, LicenceTypeRecord,
    MemberList, MemberRecord, ObserverList, PolicyRecord, ProposalRecord, ProposalStatus,
    TimestampRecord, ValidatorList, VerifierRecord,
};
use crate::tx::{GovernanceAction, StatusReason};
use crate::types::{DataClass, Digest32, LicenceTypeCode, ProvinceCode, PublicKeyBytes};

use super::licence::PolicyView;

/// The last applied block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Head {
    /// Height.
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// Epoch.
    pub epoch: u64,
}

/// An issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerView {
    /// Signing key, hex.
    pub key: String,
    /// DID.
    pub did: DidId,
    /// Unified social credit code (the one its licence identifiers carry).
    pub uscc: Uscc,
    /// Province.
    pub province: ProvinceCode,
    /// Accredited types.
    pub licence_types: Vec<LicenceTypeCode>,
    /// Status.
    pub status: IssuerStatus,
    /// Reason of the last change.
    pub reason: StatusReason,
    /// Height first accredited.
    pub accredited_height: u64,
    /// Height of the last change.
    pub updated_height: u64,
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceTypeView {
    /// Type code.
    pub code: LicenceTypeCode,
    /// Name.
    pub name: String,
    /// Schema digest, hex.
    pub schema_digest: String,
    /// Data class.
    pub data_class: DataClass,
    /// Registering province.
    pub owner: ProvinceCode,
    /// Whether licences of this type stay valid when their issuer is revoked.
    pub on_issuer_revoked: IssuerRevocationRule,
    /// Height registered.
    pub registered_height: u64,
    /// Height of the last update.
    pub updated_height: u64,
}

/// A proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProposalView {
    /// Id.
    pub id: u64,
    /// Proposing province.
    pub proposer: ProvinceCode,
    /// The action.
    pub action: GovernanceAction,
    /// Height made.
    pub created_height: u64,
    /// Last height it may be voted on.
    pub expires_height: u64,
    /// `(province, approve)` votes, ascending by province.
    pub votes: Vec<(ProvinceCode, bool)>,
    /// `open`, `passed` or `expired` (open past its expiry height at this version).
    pub status: String,
    /// Height it passed at.
    pub passed_height: Option<u64>,
}

/// A member province.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MemberView {
    /// Province.
    pub province: ProvinceCode,
    /// Authority key, hex.
    pub authority_key: String,
    /// Authority DID.
    pub authority_did: DidId,
    /// Height joined.
    pub joined_height: u64,
}

/// A validator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidatorView {
    /// Consensus key, hex.
    pub key: String,
    /// Operating province.
    pub province: ProvinceCode,
    /// Height added.
    pub added_height: u64,
}

/// A registered verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifierView {
    /// DID.
    pub did: DidId,
    /// Registering province.
    pub registrar: ProvinceCode,
    /// In force.
    pub active: bool,
    /// Height of the last change.
    pub updated_height: u64,
}

/// An anchored batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Root, hex.
    pub root: String,
    /// Leaf count.
    pub count: u64,
    /// Licence type.
    pub licence_type: LicenceTypeCode,
    /// Issuer key, hex.
    pub issuer: String,
    /// Issuer's USCC.
    pub issuer_uscc: Uscc,
    /// Issuer province.
    pub province: ProvinceCode,
    /// Height anchored.
    pub anchored_height: u64,
    /// Block time anchored, ms.
    pub anchored_time_ms: u64,
}

/// A document timestamp.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampView {
    /// Digest, hex.
    pub digest: String,
    /// Signer key, hex.
    pub signer: String,
    /// DID acted for.
    pub acting_did: Option<DidId>,
    /// Height.
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// Transaction hash, hex.
    pub tx_hash: String,
}

/// The last applied block.
pub fn head(reader: &impl StateReader) -> Result<Head, QueryError> {
    let h: HeadRecord = read_record(reader, &keys::head())?.ok_or(QueryError::NoGenesis)?;
    Ok(Head {
        height: h.height,
        block_time_ms: h.block_time_ms,
        epoch: h.epoch,
    })
}

/// The chain parameters.
pub fn parameters(reader: &impl StateReader) -> Result<Parameters, QueryError> {
    read_record(reader, &keys::parameters())?.ok_or(QueryError::NoGenesis)
}

/// The nonce the signer's next transaction must carry.
pub fn next_nonce(reader: &impl StateReader, signer: &PublicKeyBytes) -> Result<u64, QueryError> {
    Ok(read_record(reader, &keys::nonce(signer))?.unwrap_or(0))
}

/// An issuer by signing key.
pub fn issuer_get(
    reader: &impl StateReader,
    key: &PublicKeyBytes,
) -> Result<Option<IssuerView>, QueryError> {
    let record: Option<IssuerRecord> = read_record(reader, &keys::issuer(key))?;
    Ok(record.map(|r| IssuerView {
        key: hex::encode(r.key),
        did: r.did,
        uscc: r.uscc,
        province: r.province,
        licence_types: r.licence_types,
        status: r.status,
        reason: r.reason,
        accredited_height: r.accredited_height,
        updated_height: r.updated_height,
    }))
}

/// A catalogue entry.
pub fn licence_type_get(
    reader: &impl StateReader,
    code: &LicenceTypeCode,
) -> Result<Option<LicenceTypeView>, QueryError> {
    let record: Option<LicenceTypeRecord> = read_record(reader, &keys::licence_type(code))?;
    Ok(record.map(|r| LicenceTypeView {
        code: r.code,
        name: r.name,
        schema_digest: hex::encode(r.schema_digest),
        data_class: r.data_class,
        owner: r.owner,
        on_issuer_revoked: r.on_issuer_revoked,
        registered_height: r.registered_height,
        updated_height: r.updated_height,
    }))
}

/// The policy of `recognising` for `licence_type` issued in `issuing` (active or withdrawn).
pub fn policy_get(
    reader: &impl StateReader,
    recognising: ProvinceCode,
    issuing: ProvinceCode,
    licence_type: &LicenceTypeCode,
) -> Result<Option<PolicyView>, QueryError> {
    let record: Option<PolicyRecord> =
        read_record(reader, &keys::policy(recognising, issuing, licence_type))?;
    Ok(record.as_ref().map(PolicyView::from))
}

/// A proposal by id.
pub fn proposal_get(
    reader: &impl StateReader,
    id: u64,
) -> Result<Option<ProposalView>, QueryError> {
    let record: Option<ProposalRecord> = read_record(reader, &keys::proposal(id))?;
    let Some(r) = record else { return Ok(None) };
    let height = head(reader)?.height;
    let status = match r.status {
        ProposalStatus::Passed => "passed",
        ProposalStatus::Open if height > r.expires_height => "expired",
        ProposalStatus::Open => "open",
    };
    Ok(Some(ProposalView {
        id: r.id,
        proposer: r.proposer,
        action: r.action,
        created_height: r.created_height,
        expires_height: r.expires_height,
        votes: r.votes.into_iter().map(|(p, v)| (p, v.approve)).collect(),
        status: status.to_owned(),
        passed_height: r.passed_height,
    }))
}

/// A member province.
pub fn member_get(
    reader: &impl StateReader,
    province: ProvinceCode,
) -> Result<Option<MemberView>, QueryError> {
    let record: Option<MemberRecord> = read_record(reader, &keys::member(province))?;
    Ok(record.map(|r| MemberView {
        province: r.province,
        authority_key: hex::encode(r.authority_key),
        authority_did: r.authority_did,
        joined_height: r.joined_height,
    }))
}

/// Every member province, ascending.
pub fn members(reader: &impl StateReader) -> Result<Vec<MemberView>, QueryError> {
    let list: MemberList = read_record(reader, &keys::member_list())?.unwrap_or_default();
    let mut out = Vec::with_capacity(list.provinces.len());
    for province in list.provinces {
        if let Some(member) = member_get(reader, province)? {
            out.push(member);
        }
    }
    Ok(out)
}

/// The validator set, ascending by key.
pub fn validators(reader: &impl StateReader) -> Result<Vec<ValidatorView>, QueryError> {
    let list: ValidatorList = read_record(reader, &keys::validator_list())?.unwrap_or_default();
    Ok(list
        .validators
        .into_iter()
        .map(|v| ValidatorView {
            key: hex::encode(v.key),
            province: v.province,
            added_height: v.added_height,
        })
        .collect())
}

/// The consensus validator set the state names for the next epoch: every validator record's key,
/// ascending, each with equal voting power (the node builds the consensus `ValidatorSet` from
/// these keys and nothing else).
pub fn next_validator_keys(reader: &impl StateReader) -> Result<Vec<[u8; 32]>, QueryError> {
    let list: ValidatorList = read_record(reader, &keys::validator_list())?.unwrap_or_default();
    Ok(list.validators.into_iter().map(|v| v.key).collect())
}

/// The keys of the registered observers that count: those whose province is a member admitted
/// at or before the registration (an observer of a removed province lapses with it), ascending.
pub fn observer_keys(reader: &impl StateReader) -> Result<Vec<[u8; 32]>, QueryError> {
    let list: ObserverList = read_record(reader, &keys::observer_list())?.unwrap_or_default();
    let mut keys_out = Vec::with_capacity(list.observers.len());
    for record in list.observers {
        let member: Option<MemberRecord> = read_record(reader, &keys::member(record.province))?;
        if member.is_some_and(|m| record.added_height >= m.joined_height) {
            keys_out.push(record.key);
        }
    }
    Ok(keys_out)
}

/// The network key bound to `node_key` (ADR 020): `None` when none is (always on
/// `ed25519-blake3`, where a node's network key is its node key).
pub fn network_key(
    reader: &impl StateReader,
    node_key: &[u8; 32],
) -> Result<Option<[u8; 32]>, QueryError> {
    let record: Option<crate::records::NetworkKeyRecord> =
        read_record(reader, &keys::network_key(node_key))?;
    Ok(record.map(|r| r.network_key))
}

/// The registration of verifier `did` by `province` (each province registers on its own).
pub fn verifier_get(
    reader: &impl StateReader,
    province: ProvinceCode,
    did: &DidId,
) -> Result<Option<VerifierView>, QueryError> {
    let record: Option<VerifierRecord> = read_record(reader, &keys::verifier(province, did))?;
    Ok(record.map(|r| VerifierView {
        did: r.did,
        registrar: r.registrar,
        active: r.active,
        updated_height: r.updated_height,
    }))
}

/// A batch anchored by the issuer with USCC `issuer`.
pub fn batch_get(
    reader: &impl StateReader,
    issuer: &Uscc,
    root: &Digest32,
) -> Result<Option<BatchView>, QueryError> {
    let record: Option<BatchRecord> = read_record(reader, &keys::batch(issuer, root))?;
    Ok(record.map(|r| BatchView {
        root: hex::encode(r.root),
        count: r.count,
        licence_type: r.licence_type,
        issuer: hex::encode(r.issuer),
        issuer_uscc: r.issuer_uscc,
        province: r.province,
        anchored_height: r.anchored_height,
        anchored_time_ms: r.anchored_time_ms,
    }))
}

/// The timestamp of `digest` by `signer`.
pub fn timestamp_get(
    reader: &impl StateReader,
    digest: &Digest32,
    signer: &PublicKeyBytes,
) -> Result<Option<TimestampView>, QueryError> {
    let record: Option<TimestampRecord> = read_record(reader, &keys::timestamp(digest, signer))?;
    Ok(record.map(|r| TimestampView {
        digest: hex::encode(r.digest),
        signer: hex::encode(r.signer),
        acting_did: r.acting_did,
        height: r.height,
        block_time_ms: r.block_time_ms,
        tx_hash: hex::encode(r.tx_hash),
    }))
}
