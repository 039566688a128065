//! Issuer accreditation: a province authority accredits, suspends and revokes issuers of its
//! own province, for a list of catalogue types.
//!
//! Accrediting an existing issuer replaces its type list and lifts a suspension; a revoked issuer
//! stays revoked.

use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::envelope::check_signer_key;
use crate::error::TxError;
use crate::keys;
use crate::records::{
    DidDocumentRecord, DidHeadRecord, IssuerRecord, IssuerStatus, LicenceTypeRecord,
};
use crate::tx::{AccreditIssuer, StatusReason};
use crate::types::{FieldError, ProvinceCode, PublicKeyBytes};

pub(crate) fn accredit(cx: &mut TxCx<'_>, a: &AccreditIssuer) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    check_signer_key(&a.issuer_key).map_err(|e| FieldError::new("issuer_key", e.to_string()))?;
    if cx
        .get::<ProvinceCode>(&keys::authority_key(&a.issuer_key))?
        .is_some()
    {
        return Err(FieldError::new("issuer_key", "is a province authority key").into());
    }
    require_active_did(cx, &a.issuer_did)?;
    if let Some(holder) = cx.get::<PublicKeyBytes>(&keys::issuer_by_uscc(&a.uscc))?
        && holder != a.issuer_key
    {
        return Err(TxError::AlreadyExists {
            kind: "issuer USCC",
            id: a.uscc.to_string(),
        }
        .into());
    }
    for code in &a.licence_types {
        if cx
            .get::<LicenceTypeRecord>(&keys::licence_type(code))?
            .is_none()
        {
            return Err(TxError::NotFound {
                kind: "licence type",
                id: code.to_string(),
            }
            .into());
        }
    }
    let existing = cx.get::<IssuerRecord>(&keys::issuer(&a.issuer_key))?;
    if let Some(existing) = &existing
        && existing.province != province
    {
        return Err(TxError::WrongProvince {
            signer: province,
            target: existing.province,
        }
        .into());
    }
    if a.uscc.province() != province {
        return Err(FieldError::new(
            "uscc",
            format!(
                "{} names division province {}, not the accrediting province {province}",
                a.uscc,
                a.uscc.province()
            ),
        )
        .into());
    }
    let record = match existing {
        Some(existing) => {
            if existing.status == IssuerStatus::Revoked {
                return Err(invalid(&a.issuer_key, existing.status, "accredit"));
            }
            if existing.uscc != a.uscc {
                return Err(FieldError::new(
                    "uscc",
                    format!(
                        "issuer is recorded under {}; a USCC never changes",
                        existing.uscc
                    ),
                )
                .into());
            }
            IssuerRecord {
                did: a.issuer_did,
                licence_types: a.licence_types.clone(),
                status: IssuerStatus::Active,
                reason: StatusReason::Unspecified,
                updated_height: cx.height,
                ..existing
            }
        }
        None => IssuerRecord {
            key: a.issuer_key,
            did: a.issuer_did,
            uscc: a.uscc.clone(),
            province,
            licence_types: a.licence_types.clone(),
            status: IssuerStatus::Active,
            reason: StatusReason::Unspecified,
            accredited_height: cx.height,
            updated_height: cx.height,
        },
    };
    cx.put(keys::issuer_by_uscc(&a.uscc), &a.issuer_key);
    cx.put(keys::issuer(&a.issuer_key), &record);
    Ok(())
}

pub(crate) fn suspend(
    cx: &mut TxCx<'_>,
    issuer: &PublicKeyBytes,
    reason: StatusReason,
) -> Result<(), ApplyError> {
    change(cx, issuer, reason, IssuerStatus::Suspended, "suspend")
}

pub(crate) fn revoke(
    cx: &mut TxCx<'_>,
    issuer: &PublicKeyBytes,
    reason: StatusReason,
) -> Result<(), ApplyError> {
    change(cx, issuer, reason, IssuerStatus::Revoked, "revoke")
}

fn change(
    cx: &mut TxCx<'_>,
    issuer: &PublicKeyBytes,
    reason: StatusReason,
    to: IssuerStatus,
    action: &'static str,
) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let mut record: IssuerRecord =
        cx.get(&keys::issuer(issuer))?
            .ok_or_else(|| TxError::NotFound {
                kind: "issuer",
                id: hex::encode(issuer),
            })?;
    if record.province != province {
        return Err(TxError::WrongProvince {
            signer: province,
            target: record.province,
        }
        .into());
    }
    let allowed = match to {
        IssuerStatus::Suspended => record.status == IssuerStatus::Active,
        IssuerStatus::Revoked => record.status != IssuerStatus::Revoked,
        IssuerStatus::Active => false,
    };
    if !allowed {
        return Err(invalid(issuer, record.status, action));
    }
    record.status = to;
    record.reason = reason;
    record.updated_height = cx.height;
    cx.put(keys::issuer(issuer), &record);
    Ok(())
}

fn invalid(issuer: &PublicKeyBytes, from: IssuerStatus, action: &'static str) -> ApplyError {
    TxError::InvalidTransition {
        kind: "issuer",
        id: hex::encode(issuer),
        from: from.name(),
        action,
    }
    .into()
}

/// The latest version of `did`, which must exist and be active.
pub(crate) fn require_active_did(
    cx: &TxCx<'_>,
    did: &DidId,
) -> Result<DidDocumentRecord, ApplyError> {
    let head: DidHeadRecord = cx
        .get(&keys::did_head(did))?
        .ok_or_else(|| TxError::NotFound {
            kind: "DID",
            id: did.to_string(),
        })?;
    let document: DidDocumentRecord = cx
        .get(&keys::did_version(did, head.latest_version))?
        .ok_or_else(|| TxError::NotFound {
            kind: "DID version",
            id: format!("{did}?versionId={}", head.latest_version),
        })?;
    if document.deactivated {
        return Err(TxError::DidDeactivated {
            did: did.to_string(),
        }
        .into());
    }
    Ok(document)
}
