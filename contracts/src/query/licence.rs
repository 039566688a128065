//! Licence verification: status, issuer, type, validity and recognition in the verifier's
//! region, disclosed according to the type's data class.
//!
//! | data class | registered verifier | anyone else |
//! |---|---|---|
//! | unconditional 无条件开放 | full record | full record |
//! | conditional 有条件开放 | full record | valid / invalid only |
//! | non-open 非开放 | status only | nothing |
//!
//! "Registered verifier" means the caller's DID (authenticated by the node, passed in by it) has
//! an active verifier registration and is itself active. "Valid" means: status active, and the
//! state's block time inside the validity window `[from, until)` when the licence has one (a batch
//! member never renewed has none). Recognition: a licence is recognised in its own province; in
//! another region only through that region's active policy for (type, issuing province), and only
//! if the policy's condition holds.
//!
//! Every question names the issuer's USCC, as the licence identifier carries it: records are
//! keyed by it (ADR 009), so only that issuer's anchor or batch can answer. The answer reports the
//! issuer's accreditation status; when the issuer is revoked and the type's
//! [`IssuerRevocationRule`] is `Invalidate`, the licence is not valid.
//!
//! Reads follow the disclosure, so that a proof of the answer opens no more than it shows: the
//! licence's gate leaf first ([`LicenceGate`]: issuer key, province, type, anchoring height —
//! what decides the disclosure), then only the status leaf (status only), the status and validity
//! leaves (valid / invalid only), or the whole record (full). Nothing more is read for a caller
//! who may learn nothing.

use serde::{Deserialize, Serialize};

use super::QueryError;
use super::data_class::class_for_licence;
use super::lookup::head;
use crate::did_id::DidId;
use crate::keys;
use crate::licence_id::Uscc;
use crate::limits::MAX_LICENCE_HISTORY;
use crate::reader::{ReadError, StateReader, read_record};
use crate::records::{
    BatchRecord, DidDocumentRecord, DidHeadRecord, EventActor, IssuerRecord, IssuerRevocationRule,
    IssuerStatus, LicenceEvent, LicenceEventKind, LicenceGate, LicenceRecord, LicenceStatus,
    LicenceStatusLeaf, LicenceTypeRecord, LicenceValidityLeaf, MemberRecord, PolicyRecord,
    VerifierRecord,
};
use crate::time::MS_PER_DAY;
use crate::tx::{BatchMembership, RecognitionCondition, StatusReason};
use crate::types::{DataClass, Digest32, LicenceTypeCode, ProvinceCode};

/// How much of the record the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Disclosure {
    /// Everything.
    Full,
    /// Only whether it is valid.
    ValidityOnly,
    /// Only its status.
    StatusOnly,
    /// Nothing (non-open data, caller not a registered verifier).
    Denied,
    /// No such licence anchored.
    NotFound,
}

/// The issuer, as shown to a verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerSummary {
    /// Unified social credit code (the one the licence identifier names).
    pub uscc: Uscc,
    /// Signing key, hex.
    pub key: String,
    /// DID.
    pub did: Option<DidId>,
    /// Province.
    pub province: ProvinceCode,
    /// Current accreditation status.
    pub status: Option<IssuerStatus>,
}

/// A recognition policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyView {
    /// Recognising province.
    pub recognising: ProvinceCode,
    /// Issuing province.
    pub issuing: ProvinceCode,
    /// Licence type.
    pub licence_type: LicenceTypeCode,
    /// Condition.
    pub condition: Option<RecognitionCondition>,
    /// In force.
    pub active: bool,
    /// Revision.
    pub revision: u32,
    /// Height of the last change.
    pub updated_height: u64,
}

impl From<&PolicyRecord> for PolicyView {
    fn from(r: &PolicyRecord) -> Self {
        Self {
            recognising: r.recognising,
            issuing: r.issuing,
            licence_type: r.licence_type.clone(),
            condition: r.condition,
            active: r.active,
            revision: r.revision,
            updated_height: r.updated_height,
        }
    }
}

/// On what grounds a licence is or is not recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum RecognitionBasis {
    /// Issued in the verifier's own province.
    HomeProvince,
    /// An active policy whose condition holds.
    Policy,
    /// No policy for this type and issuing province.
    NoPolicy,
    /// The policy was withdrawn.
    PolicyWithdrawn,
    /// An active policy whose condition does not hold.
    ConditionNotMet,
}

/// Whether the verifier's region recognises the licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecognitionVerdict {
    /// The verifier's region.
    pub region: ProvinceCode,
    /// Recognised.
    pub recognised: bool,
    /// Why.
    pub basis: RecognitionBasis,
    /// The policy consulted, if any.
    pub policy: Option<PolicyView>,
}

/// Full details of a licence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceDetails {
    /// Issuer.
    pub issuer: IssuerSummary,
    /// Type.
    pub licence_type: LicenceTypeCode,
    /// Data class.
    pub data_class: DataClass,
    /// Validity start, ms.
    pub valid_from_ms: Option<u64>,
    /// Validity end (exclusive), ms.
    pub valid_until_ms: Option<u64>,
    /// Height anchored.
    pub anchored_height: u64,
    /// Batch root, hex, for a batch member.
    pub batch_root: Option<String>,
    /// Number of status events.
    pub history_length: u32,
    /// The licence's index in its issuer's status lists (`statusListIndex`); `None` for a batch
    /// member that has no record of its own yet.
    pub status_list_index: Option<u64>,
}

/// The answer to `licence_verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceVerification {
    /// The commitment, hex.
    pub commitment: String,
    /// State version answered from.
    pub as_of_height: u64,
    /// Block time of that version, ms ("now" for validity).
    pub as_of_time_ms: u64,
    /// What is disclosed.
    pub disclosure: Disclosure,
    /// Valid now (full and validity-only disclosure).
    pub valid: Option<bool>,
    /// Status (full and status-only disclosure).
    pub status: Option<LicenceStatus>,
    /// The issuer's accreditation status now (every disclosure but denied and not found): a
    /// licence of a revoked issuer says so even when its type keeps it valid.
    pub issuer_status: Option<IssuerStatus>,
    /// Details (full disclosure).
    pub details: Option<LicenceDetails>,
    /// Recognition in the verifier's region (full disclosure).
    pub recognition: Option<RecognitionVerdict>,
}

/// One history event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LicenceEventView {
    /// Sequence number.
    pub seq: u32,
    /// What happened.
    pub kind: LicenceEventKind,
    /// Why.
    pub reason: StatusReason,
    /// Who made the change.
    pub actor: EventActor,
    /// Validity start after the event.
    pub valid_from_ms: Option<u64>,
    /// Validity end after the event.
    pub valid_until_ms: Option<u64>,
    /// Height.
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// Transaction hash, hex.
    pub tx_hash: String,
}

/// Verifies a licence of the issuer with USCC `issuer` anchored on its own, or a batch member
/// after its first status change. `verifier_did` is the caller's DID as authenticated by the node,
/// if any.
pub fn licence_verify(
    reader: &impl StateReader,
    issuer: &Uscc,
    commitment: &Digest32,
    verifier_region: ProvinceCode,
    verifier_did: Option<&DidId>,
) -> Result<LicenceVerification, QueryError> {
    let found = licence_gate(reader, issuer, commitment)?.map(|gate| {
        (
            gate,
            Source::Stored {
                issuer: issuer.clone(),
            },
        )
    });
    verify_record(reader, commitment, found, verifier_region, verifier_did)
}

/// A licence's gate leaf (what decides its disclosure), if it has a record of its own.
pub fn licence_gate(
    reader: &impl StateReader,
    issuer: &Uscc,
    commitment: &Digest32,
) -> Result<Option<LicenceGate>, QueryError> {
    Ok(read_record(
        reader,
        &keys::licence_part(issuer, commitment, keys::LicencePart::Gate),
    )?)
}

/// Where an answer's licence fields come from.
enum Source {
    /// The licence's own record and leaves, read as far as the disclosure allows.
    Stored { issuer: Uscc },
    /// A batch member with no record of its own: what its batch record vouches for.
    Batch(LicenceRecord),
}

impl Source {
    /// A leaf that must exist beside a gate leaf.
    fn leaf<T: borsh::BorshSerialize + borsh::BorshDeserialize>(
        reader: &impl StateReader,
        key: Vec<u8>,
    ) -> Result<T, QueryError> {
        read_record(reader, &key)?.ok_or_else(|| {
            QueryError::Read(ReadError::Corrupt {
                key: hex::encode(&key),
                reason: "a licence gate leaf without this leaf".to_owned(),
            })
        })
    }

    fn status(&self, reader: &impl StateReader, c: &Digest32) -> Result<LicenceStatus, QueryError> {
        match self {
            Source::Stored { issuer } => Ok(Self::leaf::<LicenceStatusLeaf>(
                reader,
                keys::licence_part(issuer, c, keys::LicencePart::Status),
            )?
            .status),
            Source::Batch(record) => Ok(record.status),
        }
    }

    fn validity(
        &self,
        reader: &impl StateReader,
        c: &Digest32,
    ) -> Result<Option<(u64, u64)>, QueryError> {
        match self {
            Source::Stored { issuer } => Ok(Self::leaf::<LicenceValidityLeaf>(
                reader,
                keys::licence_part(issuer, c, keys::LicencePart::Validity),
            )?
            .validity),
            Source::Batch(record) => Ok(record.validity),
        }
    }

    fn record(self, reader: &impl StateReader, c: &Digest32) -> Result<LicenceRecord, QueryError> {
        match self {
            Source::Stored { issuer } => Self::leaf(reader, keys::licence(&issuer, c)),
            Source::Batch(record) => Ok(record),
        }
    }
}

/// Verifies a licence that may be anchored only inside a batch of the issuer `issuer`: the caller
/// supplies the batch root and inclusion proof it received with the licence. A commitment that
/// has its own record under that issuer (anchored alone, or given a status since) is answered from
/// that record; a batch of any other issuer never answers.
pub fn licence_verify_in_batch(
    reader: &impl StateReader,
    issuer: &Uscc,
    commitment: &Digest32,
    membership: &BatchMembership,
    verifier_region: ProvinceCode,
    verifier_did: Option<&DidId>,
) -> Result<LicenceVerification, QueryError> {
    if let Some(gate) = licence_gate(reader, issuer, commitment)? {
        let source = Source::Stored {
            issuer: issuer.clone(),
        };
        return verify_record(
            reader,
            commitment,
            Some((gate, source)),
            verifier_region,
            verifier_did,
        );
    }
    let batch: Option<BatchRecord> = read_record(reader, &keys::batch(issuer, &membership.root))?;
    let found = batch
        .filter(|b| {
            membership.proof.count == b.count
                && membership.proof.verify(&b.root, commitment).is_ok()
        })
        .map(|b| LicenceRecord {
            commitment: *commitment,
            issuer_uscc: b.issuer_uscc,
            issuer: b.issuer,
            province: b.province,
            licence_type: b.licence_type,
            validity: None,
            status: LicenceStatus::Active,
            status_actor: EventActor::Issuer,
            batch_root: Some(b.root),
            anchored_height: b.anchored_height,
            history_len: 0,
            // Not stored: no index yet (the record's doc); `details` shows none for it.
            status_index: 0,
        })
        .map(|record| (record.gate(), Source::Batch(record)));
    verify_record(reader, commitment, found, verifier_region, verifier_did)
}

/// The status history, to callers allowed full disclosure; `None` otherwise or if not found (the
/// two are indistinguishable on purpose).
pub fn licence_history(
    reader: &impl StateReader,
    issuer: &Uscc,
    commitment: &Digest32,
    verifier_did: Option<&DidId>,
) -> Result<Option<Vec<LicenceEventView>>, QueryError> {
    let Some(record) = disclosed_history_record(reader, issuer, commitment, verifier_did)? else {
        return Ok(None);
    };
    // The length comes from stored (or proven) bytes: bound it before it sizes anything. Apply
    // never lets a licence exceed MAX_LICENCE_HISTORY events, so a larger count is corruption.
    if record.history_len > MAX_LICENCE_HISTORY {
        return Err(QueryError::Read(ReadError::Corrupt {
            key: hex::encode(keys::licence(issuer, commitment)),
            reason: format!(
                "history length {} is over the limit of {MAX_LICENCE_HISTORY}",
                record.history_len
            ),
        }));
    }
    let mut events = Vec::with_capacity(record.history_len as usize);
    for seq in 0..record.history_len {
        let key = keys::licence_history(issuer, commitment, seq);
        let event: LicenceEvent =
            read_record(reader, &key)?.ok_or_else(|| QueryError::NotFound {
                kind: "licence event",
                id: format!("{}/{seq}", hex::encode(commitment)),
            })?;
        events.push(LicenceEventView {
            seq,
            kind: event.kind,
            reason: event.reason,
            actor: event.actor,
            valid_from_ms: event.validity.map(|(from, _)| from),
            valid_until_ms: event.validity.map(|(_, until)| until),
            height: event.height,
            block_time_ms: event.block_time_ms,
            tx_hash: hex::encode(event.tx_hash),
        });
    }
    Ok(Some(events))
}

/// The licence record, if it exists and its history is disclosed to `verifier_did` (full
/// disclosure); `None` otherwise or if not found, indistinguishably. Reads no history event, so a
/// caller can check disclosure before bounding or reading the events.
pub fn disclosed_history_record(
    reader: &impl StateReader,
    issuer: &Uscc,
    commitment: &Digest32,
    verifier_did: Option<&DidId>,
) -> Result<Option<LicenceRecord>, QueryError> {
    let Some(gate) = licence_gate(reader, issuer, commitment)? else {
        return Ok(None);
    };
    let type_record = licence_type(reader, &gate.licence_type)?;
    let class = class_for_licence(reader, &type_record, gate.anchored_height)?;
    let registered = is_registered_verifier(reader, verifier_did, gate.province)?;
    if disclosure(class, registered) != Disclosure::Full {
        return Ok(None);
    }
    let source = Source::Stored {
        issuer: issuer.clone(),
    };
    Ok(Some(source.record(reader, commitment)?))
}

fn licence_type(
    reader: &impl StateReader,
    code: &LicenceTypeCode,
) -> Result<LicenceTypeRecord, QueryError> {
    read_record(reader, &keys::licence_type(code))?.ok_or_else(|| QueryError::NotFound {
        kind: "licence type",
        id: code.to_string(),
    })
}

/// Whether `did` is a registered verifier for licences of `licence_province`: that province
/// (a current member) registered it during its current admission and has not deregistered it,
/// and the DID is active. Other provinces' registrations never count.
fn is_registered_verifier(
    reader: &impl StateReader,
    did: Option<&DidId>,
    licence_province: ProvinceCode,
) -> Result<bool, QueryError> {
    let Some(did) = did else { return Ok(false) };
    let Some(registration) =
        read_record::<VerifierRecord>(reader, &keys::verifier(licence_province, did))?
    else {
        return Ok(false);
    };
    if !registration.active {
        return Ok(false);
    }
    let member: Option<MemberRecord> = read_record(reader, &keys::member(licence_province))?;
    let current = member.is_some_and(|m| m.joined_height <= registration.updated_height);
    if !current {
        return Ok(false);
    }
    let Some(head) = read_record::<DidHeadRecord>(reader, &keys::did_head(did))? else {
        return Ok(false);
    };
    let document: Option<DidDocumentRecord> =
        read_record(reader, &keys::did_version(did, head.latest_version))?;
    Ok(document.is_some_and(|d| !d.deactivated))
}

fn disclosure(class: DataClass, registered: bool) -> Disclosure {
    match (class, registered) {
        (DataClass::Unconditional, _) | (DataClass::Conditional, true) => Disclosure::Full,
        (DataClass::Conditional, false) => Disclosure::ValidityOnly,
        (DataClass::NonOpen, true) => Disclosure::StatusOnly,
        (DataClass::NonOpen, false) => Disclosure::Denied,
    }
}

fn verify_record(
    reader: &impl StateReader,
    commitment: &Digest32,
    found: Option<(LicenceGate, Source)>,
    verifier_region: ProvinceCode,
    verifier_did: Option<&DidId>,
) -> Result<LicenceVerification, QueryError> {
    let now = head(reader)?;
    let mut answer = LicenceVerification {
        commitment: hex::encode(commitment),
        as_of_height: now.height,
        as_of_time_ms: now.block_time_ms,
        disclosure: Disclosure::NotFound,
        valid: None,
        status: None,
        issuer_status: None,
        details: None,
        recognition: None,
    };
    let Some((gate, source)) = found else {
        return Ok(answer);
    };
    let type_record = licence_type(reader, &gate.licence_type)?;
    let class = class_for_licence(reader, &type_record, gate.anchored_height)?;
    answer.disclosure = disclosure(
        class,
        is_registered_verifier(reader, verifier_did, gate.province)?,
    );
    if answer.disclosure == Disclosure::Denied {
        return Ok(answer);
    }
    let issuer: Option<IssuerRecord> = read_record(reader, &keys::issuer(&gate.issuer))?;
    let issuer_status = issuer.as_ref().map(|i| i.status);
    answer.issuer_status = issuer_status;
    let valid = |status: LicenceStatus, validity: Option<(u64, u64)>| {
        let in_window = validity
            .is_none_or(|(from, until)| from <= now.block_time_ms && now.block_time_ms < until);
        let issuer_voids = issuer_status == Some(IssuerStatus::Revoked)
            && type_record.on_issuer_revoked == IssuerRevocationRule::Invalidate;
        status == LicenceStatus::Active && in_window && !issuer_voids
    };
    match answer.disclosure {
        Disclosure::Full => {
            let stored = matches!(source, Source::Stored { .. });
            let record = source.record(reader, commitment)?;
            let valid = valid(record.status, record.validity);
            answer.valid = Some(valid);
            answer.status = Some(record.status);
            answer.recognition = Some(recognition(
                reader,
                &record,
                verifier_region,
                now.block_time_ms,
            )?);
            answer.details = Some(LicenceDetails {
                issuer: IssuerSummary {
                    uscc: record.issuer_uscc.clone(),
                    key: hex::encode(record.issuer),
                    did: issuer.as_ref().map(|i| i.did),
                    province: record.province,
                    status: issuer.as_ref().map(|i| i.status),
                },
                licence_type: record.licence_type.clone(),
                data_class: class,
                valid_from_ms: record.validity.map(|(from, _)| from),
                valid_until_ms: record.validity.map(|(_, until)| until),
                anchored_height: record.anchored_height,
                batch_root: record.batch_root.map(hex::encode),
                history_length: record.history_len,
                status_list_index: stored.then_some(record.status_index),
            });
        }
        Disclosure::ValidityOnly => {
            let status = source.status(reader, commitment)?;
            let validity = source.validity(reader, commitment)?;
            answer.valid = Some(valid(status, validity));
        }
        Disclosure::StatusOnly => answer.status = Some(source.status(reader, commitment)?),
        Disclosure::Denied | Disclosure::NotFound => {}
    }
    Ok(answer)
}

fn recognition(
    reader: &impl StateReader,
    record: &LicenceRecord,
    region: ProvinceCode,
    now_ms: u64,
) -> Result<RecognitionVerdict, QueryError> {
    if region == record.province {
        return Ok(RecognitionVerdict {
            region,
            recognised: true,
            basis: RecognitionBasis::HomeProvince,
            policy: None,
        });
    }
    let policy: Option<PolicyRecord> = read_record(
        reader,
        &keys::policy(region, record.province, &record.licence_type),
    )?;
    let Some(policy) = policy else {
        return Ok(RecognitionVerdict {
            region,
            recognised: false,
            basis: RecognitionBasis::NoPolicy,
            policy: None,
        });
    };
    let basis = if !policy.active {
        RecognitionBasis::PolicyWithdrawn
    } else if condition_holds(policy.condition, record.validity, now_ms) {
        RecognitionBasis::Policy
    } else {
        RecognitionBasis::ConditionNotMet
    };
    Ok(RecognitionVerdict {
        region,
        recognised: basis == RecognitionBasis::Policy,
        basis,
        policy: Some(PolicyView::from(&policy)),
    })
}

fn condition_holds(
    condition: Option<RecognitionCondition>,
    validity: Option<(u64, u64)>,
    now_ms: u64,
) -> bool {
    match condition {
        None => true,
        Some(RecognitionCondition::MinRemainingValidityDays { days }) => {
            let Some((_, until)) = validity else {
                return false;
            };
            let needed = u64::from(days).saturating_mul(MS_PER_DAY);
            until
                .checked_sub(now_ms)
                .is_some_and(|remaining| remaining > needed)
        }
    }
}
