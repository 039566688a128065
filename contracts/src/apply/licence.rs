//! Licence anchoring and status changes.
//!
//! Every licence and batch record is keyed by its issuer's USCC first (`keys::licence`,
//! `keys::batch`; ADR 009), taken from the signing issuer's own accreditation: an issuer can
//! only ever write under its own USCC, so no other issuer's anchor of the same commitment can
//! answer a question about this issuer's licence.
//!
//! A licence anchored on its own gets a record at once. A batch anchor records only the root; a
//! commitment inside a batch gets its own record the first time its status changes, proving
//! membership with a batch inclusion proof in that transaction. Every change appends an event to
//! the licence's history, which is never rewritten.
//!
//! Who may change a status:
//! - the licence's issuer, while active and accredited for the licence's type: suspend, revoke,
//!   reinstate (not a suspension the province authority made), renew;
//! - the authority of the issuer's province, whatever the issuer's status (so the licences of a
//!   suspended, revoked or dishonest issuer can still be stopped): suspend, revoke, reinstate.
//!
//! Transitions: active → suspended → active (reinstate); active or suspended → revoked (final);
//! renew sets a new validity window on an active or suspended licence, keeping its status.
//!
//! Status-list indexes: when a licence record is first written (anchored, or imported from a
//! batch) it takes its issuer's next index from the counter `keys::status_list_counter`, and the
//! index is mapped back to the commitment (`keys::status_list_entry`). The counter only grows, so
//! an index is never reused; it depends only on the order of transactions in blocks, so every
//! node assigns the same one. A transaction that fails writes neither.

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::licence_id::Uscc;
use crate::limits::MAX_LICENCE_HISTORY;
use crate::records::{
    BatchRecord, EventActor, IssuerRecord, LicenceEvent, LicenceEventKind, LicenceRecord,
    LicenceStatus, LicenceStatusLeaf, LicenceValidityLeaf,
};
use crate::tx::{AnchorBatch, AnchorLicence, LicenceTarget, StatusReason};
use crate::types::{Digest32, LicenceTypeCode, ProvinceCode};

/// The status change a transaction asks for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StatusAction {
    Suspend,
    Revoke,
    Reinstate,
    Renew {
        valid_from_ms: u64,
        valid_until_ms: u64,
    },
}

impl StatusAction {
    fn name(self) -> &'static str {
        match self {
            StatusAction::Suspend => "suspend",
            StatusAction::Revoke => "revoke",
            StatusAction::Reinstate => "reinstate",
            StatusAction::Renew { .. } => "renew",
        }
    }
}

fn require_accredited(
    issuer: &IssuerRecord,
    licence_type: &LicenceTypeCode,
) -> Result<(), ApplyError> {
    if issuer.licence_types.binary_search(licence_type).is_err() {
        return Err(TxError::NotAccreditedForType {
            issuer: issuer.key,
            licence_type: licence_type.to_string(),
        }
        .into());
    }
    Ok(())
}

pub(crate) fn anchor(cx: &mut TxCx<'_>, a: &AnchorLicence) -> Result<(), ApplyError> {
    let issuer = cx.require_active_issuer()?;
    require_accredited(&issuer, &a.licence_type)?;
    let key = keys::licence(&issuer.uscc, &a.commitment);
    if cx.get::<LicenceRecord>(&key)?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "licence",
            id: hex::encode(a.commitment),
        }
        .into());
    }
    let validity = Some((a.valid_from_ms, a.valid_until_ms));
    let status_index = assign_status_index(cx, &issuer.uscc, &a.commitment)?;
    let record = LicenceRecord {
        commitment: a.commitment,
        issuer_uscc: issuer.uscc.clone(),
        issuer: issuer.key,
        province: issuer.province,
        licence_type: a.licence_type.clone(),
        validity,
        status: LicenceStatus::Active,
        status_actor: EventActor::Issuer,
        batch_root: None,
        anchored_height: cx.height,
        history_len: 1,
        status_index,
    };
    let event = LicenceEvent {
        kind: LicenceEventKind::Anchored,
        reason: StatusReason::Unspecified,
        actor: EventActor::Issuer,
        validity,
        height: cx.height,
        block_time_ms: cx.block_time_ms,
        tx_hash: cx.tx_hash,
    };
    cx.put(
        keys::licence_history(&issuer.uscc, &a.commitment, 0),
        &event,
    );
    put_licence(cx, key, &record, Leaves::All);
    Ok(())
}

/// Takes the issuer's next status-list index for `commitment`: writes the entry and advances the
/// counter (module doc).
fn assign_status_index(
    cx: &mut TxCx<'_>,
    uscc: &Uscc,
    commitment: &Digest32,
) -> Result<u64, ApplyError> {
    let counter_key = keys::status_list_counter(uscc);
    let index = cx.get::<u64>(&counter_key)?.unwrap_or(0);
    let next = index.checked_add(1).ok_or(TxError::ArithmeticOverflow {
        what: "status-list index",
    })?;
    cx.put(counter_key, &next);
    cx.put(keys::status_list_entry(uscc, index), commitment);
    Ok(index)
}

/// Which leaves of a licence a write refreshes besides its record.
#[derive(Clone, Copy)]
enum Leaves {
    /// Gate, status and validity (a new record).
    All,
    /// The status leaf.
    Status,
    /// The validity leaf.
    Validity,
}

/// Write a licence record and the leaves that repeat its fields (`keys::LicencePart`); every
/// write of a licence record goes through here, so a leaf never disagrees with its record.
fn put_licence(cx: &mut TxCx<'_>, key: Vec<u8>, record: &LicenceRecord, leaves: Leaves) {
    let part = |p| keys::licence_part(&record.issuer_uscc, &record.commitment, p);
    let status = LicenceStatusLeaf {
        status: record.status,
    };
    let validity = LicenceValidityLeaf {
        validity: record.validity,
    };
    match leaves {
        Leaves::All => {
            cx.put(part(keys::LicencePart::Gate), &record.gate());
            cx.put(part(keys::LicencePart::Status), &status);
            cx.put(part(keys::LicencePart::Validity), &validity);
        }
        Leaves::Status => cx.put(part(keys::LicencePart::Status), &status),
        Leaves::Validity => cx.put(part(keys::LicencePart::Validity), &validity),
    }
    cx.put(key, record);
}

pub(crate) fn anchor_batch(cx: &mut TxCx<'_>, b: &AnchorBatch) -> Result<(), ApplyError> {
    let issuer = cx.require_active_issuer()?;
    require_accredited(&issuer, &b.licence_type)?;
    let key = keys::batch(&issuer.uscc, &b.root);
    if cx.get::<BatchRecord>(&key)?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "batch",
            id: hex::encode(b.root),
        }
        .into());
    }
    let record = BatchRecord {
        root: b.root,
        count: b.count,
        licence_type: b.licence_type.clone(),
        issuer: issuer.key,
        issuer_uscc: issuer.uscc.clone(),
        province: issuer.province,
        anchored_height: cx.height,
        anchored_time_ms: cx.block_time_ms,
    };
    cx.put(key, &record);
    Ok(())
}

/// Who signed a status change, as far as the licence is concerned.
enum Acting {
    /// An issuer (its record, whatever its status: checked against the licence below).
    Issuer(IssuerRecord),
    /// A province authority.
    Authority(ProvinceCode),
}

fn acting_party(cx: &TxCx<'_>) -> Result<Acting, ApplyError> {
    if let Some(issuer) = cx.get::<IssuerRecord>(&keys::issuer(&cx.signer))? {
        return Ok(Acting::Issuer(issuer));
    }
    if cx
        .get::<ProvinceCode>(&keys::authority_key(&cx.signer))?
        .is_some()
    {
        // The authority-key table keeps former keys (keys are never reused): only the current
        // authority of a current member speaks for its province's licences. A removed province's
        // key, or a key replaced at readmission, is refused with `NotAuthority`.
        return Ok(Acting::Authority(cx.require_member_authority()?.province));
    }
    Err(TxError::NotIssuer { signer: cx.signer }.into())
}

/// Checks that `acting` may apply `action` to `record`; returns the actor recorded in history.
fn authorise(
    cx: &TxCx<'_>,
    acting: &Acting,
    record: &LicenceRecord,
    action: StatusAction,
) -> Result<EventActor, ApplyError> {
    match acting {
        Acting::Issuer(issuer) => {
            if record.issuer != issuer.key {
                return Err(TxError::NotLicenceIssuer {
                    commitment: record.commitment,
                    issuer: record.issuer,
                }
                .into());
            }
            // The signer's standing first: a suspended or revoked issuer changes nothing.
            let issuer = cx.require_active_issuer()?;
            require_accredited(&issuer, &record.licence_type)?;
            if matches!(action, StatusAction::Reinstate)
                && record.status_actor == EventActor::ProvinceAuthority
            {
                return Err(TxError::InvalidTransition {
                    kind: "licence",
                    id: hex::encode(record.commitment),
                    from: "suspended by the province authority",
                    action: "reinstate by the issuer",
                }
                .into());
            }
            Ok(EventActor::Issuer)
        }
        Acting::Authority(province) => {
            if *province != record.province {
                return Err(TxError::WrongProvince {
                    signer: *province,
                    target: record.province,
                }
                .into());
            }
            if matches!(action, StatusAction::Renew { .. }) {
                return Err(TxError::NotLicenceIssuer {
                    commitment: record.commitment,
                    issuer: record.issuer,
                }
                .into());
            }
            Ok(EventActor::ProvinceAuthority)
        }
    }
}

pub(crate) fn change_status(
    cx: &mut TxCx<'_>,
    target: &LicenceTarget,
    action: StatusAction,
    reason: StatusReason,
) -> Result<(), ApplyError> {
    let acting = acting_party(cx)?;
    let commitment = target.commitment;
    let key = keys::licence(&target.issuer, &commitment);
    let (mut record, imported) = match cx.get::<LicenceRecord>(&key)? {
        Some(record) => (record, false),
        None => (import_from_batch(cx, target)?, true),
    };
    let actor = authorise(cx, &acting, &record, action)?;
    if imported {
        append_event(
            cx,
            &mut record,
            LicenceEventKind::ImportedFromBatch,
            StatusReason::Unspecified,
            actor,
        )?;
    }
    let invalid = |from: LicenceStatus| -> ApplyError {
        TxError::InvalidTransition {
            kind: "licence",
            id: hex::encode(commitment),
            from: from.name(),
            action: action.name(),
        }
        .into()
    };
    let kind = match (action, record.status) {
        (StatusAction::Suspend, LicenceStatus::Active) => {
            record.status = LicenceStatus::Suspended;
            LicenceEventKind::Suspended
        }
        (StatusAction::Revoke, LicenceStatus::Active | LicenceStatus::Suspended) => {
            record.status = LicenceStatus::Revoked;
            LicenceEventKind::Revoked
        }
        (StatusAction::Reinstate, LicenceStatus::Suspended) => {
            record.status = LicenceStatus::Active;
            LicenceEventKind::Reinstated
        }
        (
            StatusAction::Renew {
                valid_from_ms,
                valid_until_ms,
            },
            LicenceStatus::Active | LicenceStatus::Suspended,
        ) => {
            record.validity = Some((valid_from_ms, valid_until_ms));
            LicenceEventKind::Renewed
        }
        (_, from) => return Err(invalid(from)),
    };
    if !matches!(action, StatusAction::Renew { .. }) {
        record.status_actor = actor;
    }
    append_event(cx, &mut record, kind, reason, actor)?;
    let leaves = match (imported, action) {
        (true, _) => Leaves::All,
        (false, StatusAction::Renew { .. }) => Leaves::Validity,
        (false, _) => Leaves::Status,
    };
    put_licence(cx, key, &record, leaves);
    Ok(())
}

/// Builds the record of a batch member from its inclusion proof (not yet written). The batch is
/// looked up under the USCC the target names, so only that issuer's batches can vouch for it.
fn import_from_batch(
    cx: &mut TxCx<'_>,
    target: &LicenceTarget,
) -> Result<LicenceRecord, ApplyError> {
    let commitment = target.commitment;
    let Some(membership) = &target.batch else {
        return Err(TxError::NotFound {
            kind: "licence",
            id: hex::encode(commitment),
        }
        .into());
    };
    let batch: BatchRecord = cx
        .get(&keys::batch(&target.issuer, &membership.root))?
        .ok_or_else(|| TxError::NotFound {
            kind: "batch",
            id: hex::encode(membership.root),
        })?;
    let proven = membership.proof.count == batch.count
        && membership.proof.verify(&batch.root, &commitment).is_ok();
    if !proven {
        return Err(TxError::BatchProofInvalid {
            root: batch.root,
            commitment,
        }
        .into());
    }
    let status_index = assign_status_index(cx, &batch.issuer_uscc, &commitment)?;
    Ok(LicenceRecord {
        commitment,
        issuer_uscc: batch.issuer_uscc,
        issuer: batch.issuer,
        province: batch.province,
        licence_type: batch.licence_type,
        validity: None,
        status: LicenceStatus::Active,
        status_actor: EventActor::Issuer,
        batch_root: Some(batch.root),
        anchored_height: batch.anchored_height,
        history_len: 0,
        status_index,
    })
}

fn append_event(
    cx: &mut TxCx<'_>,
    record: &mut LicenceRecord,
    kind: LicenceEventKind,
    reason: StatusReason,
    actor: EventActor,
) -> Result<(), ApplyError> {
    let seq = record.history_len;
    if seq >= MAX_LICENCE_HISTORY {
        return Err(TxError::LimitReached {
            what: "licence history",
            max: u64::from(MAX_LICENCE_HISTORY),
        }
        .into());
    }
    record.history_len = seq.checked_add(1).ok_or(TxError::ArithmeticOverflow {
        what: "licence history",
    })?;
    let event = LicenceEvent {
        kind,
        reason,
        actor,
        validity: record.validity,
        height: cx.height,
        block_time_ms: cx.block_time_ms,
        tx_hash: cx.tx_hash,
    };
    cx.put(
        keys::licence_history(&record.issuer_uscc, &record.commitment, seq),
        &event,
    );
    Ok(())
}
