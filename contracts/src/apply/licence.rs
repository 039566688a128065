//! Licence anchoring and status changes, by the issuing issuer only.
//!
//! A licence anchored on its own gets a record at once. A batch anchor records only the root; a
//! commitment inside a batch gets its own record the first time its issuer changes its status,
//! proving membership with a batch inclusion proof in that transaction. Every change appends an
//! event to the licence's history (`licence_hist/<commitment>/<seq>`), which is never rewritten.
//!
//! Transitions: active → suspended → active (reinstate); active or suspended → revoked (final);
//! renew sets a new validity window on an active or suspended licence, keeping its status.

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::limits::MAX_LICENCE_HISTORY;
use crate::records::{
    BatchRecord, IssuerRecord, LicenceEvent, LicenceEventKind, LicenceRecord, LicenceStatus,
};
use crate::tx::{AnchorBatch, AnchorLicence, LicenceTarget, StatusReason};
use crate::types::LicenceTypeCode;

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
    let key = keys::licence(&a.commitment);
    if cx.get::<LicenceRecord>(&key)?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "licence",
            id: hex::encode(a.commitment),
        }
        .into());
    }
    let validity = Some((a.valid_from_ms, a.valid_until_ms));
    let record = LicenceRecord {
        commitment: a.commitment,
        issuer: issuer.key,
        province: issuer.province,
        licence_type: a.licence_type.clone(),
        validity,
        status: LicenceStatus::Active,
        batch_root: None,
        anchored_height: cx.height,
        history_len: 1,
    };
    let event = LicenceEvent {
        kind: LicenceEventKind::Anchored,
        reason: StatusReason::Unspecified,
        validity,
        height: cx.height,
        block_time_ms: cx.block_time_ms,
        tx_hash: cx.tx_hash,
    };
    cx.put(keys::licence_history(&a.commitment, 0), &event);
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn anchor_batch(cx: &mut TxCx<'_>, b: &AnchorBatch) -> Result<(), ApplyError> {
    let issuer = cx.require_active_issuer()?;
    require_accredited(&issuer, &b.licence_type)?;
    let key = keys::batch(&b.root);
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
        province: issuer.province,
        anchored_height: cx.height,
        anchored_time_ms: cx.block_time_ms,
    };
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn change_status(
    cx: &mut TxCx<'_>,
    target: &LicenceTarget,
    action: StatusAction,
    reason: StatusReason,
) -> Result<(), ApplyError> {
    let issuer = cx.require_active_issuer()?;
    let commitment = target.commitment;
    let mut record = match cx.get::<LicenceRecord>(&keys::licence(&commitment))? {
        Some(record) => record,
        None => import_from_batch(cx, target)?,
    };
    if record.issuer != issuer.key {
        return Err(TxError::NotLicenceIssuer {
            commitment,
            issuer: record.issuer,
        }
        .into());
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
    append_event(cx, &mut record, kind, reason)?;
    cx.put(keys::licence(&commitment), &record);
    Ok(())
}

/// Builds the record of a batch member from its inclusion proof (not yet written).
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
    let batch: BatchRecord =
        cx.get(&keys::batch(&membership.root))?
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
    let mut record = LicenceRecord {
        commitment,
        issuer: batch.issuer,
        province: batch.province,
        licence_type: batch.licence_type,
        validity: None,
        status: LicenceStatus::Active,
        batch_root: Some(batch.root),
        anchored_height: batch.anchored_height,
        history_len: 0,
    };
    if record.issuer == cx.signer {
        append_event(
            cx,
            &mut record,
            LicenceEventKind::ImportedFromBatch,
            StatusReason::Unspecified,
        )?;
    }
    Ok(record)
}

fn append_event(
    cx: &mut TxCx<'_>,
    record: &mut LicenceRecord,
    kind: LicenceEventKind,
    reason: StatusReason,
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
        validity: record.validity,
        height: cx.height,
        block_time_ms: cx.block_time_ms,
        tx_hash: cx.tx_hash,
    };
    cx.put(keys::licence_history(&record.commitment, seq), &event);
    Ok(())
}
