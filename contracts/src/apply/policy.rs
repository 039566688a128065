//! Recognition policies: the authority of province R declares that R recognises licences of type
//! T issued in province P (P a member, P ≠ R), optionally under a condition, or withdraws that.
//! A withdrawn policy stays in state, inactive, with its revision counter.

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::records::{LicenceTypeRecord, MemberRecord, PolicyRecord};
use crate::tx::DeclareRecognition;
use crate::types::{LicenceTypeCode, ProvinceCode};

pub(crate) fn declare(cx: &mut TxCx<'_>, d: &DeclareRecognition) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    if d.issuing_province == province {
        return Err(TxError::SelfRecognition { province }.into());
    }
    if cx
        .get::<MemberRecord>(&keys::member(d.issuing_province))?
        .is_none()
    {
        return Err(TxError::NotFound {
            kind: "member",
            id: d.issuing_province.to_string(),
        }
        .into());
    }
    if cx
        .get::<LicenceTypeRecord>(&keys::licence_type(&d.licence_type))?
        .is_none()
    {
        return Err(TxError::NotFound {
            kind: "licence type",
            id: d.licence_type.to_string(),
        }
        .into());
    }
    let key = keys::policy(province, d.issuing_province, &d.licence_type);
    let revision = match cx.get::<PolicyRecord>(&key)? {
        Some(existing) => existing
            .revision
            .checked_add(1)
            .ok_or(TxError::ArithmeticOverflow {
                what: "policy revision",
            })?,
        None => 1,
    };
    let record = PolicyRecord {
        recognising: province,
        issuing: d.issuing_province,
        licence_type: d.licence_type.clone(),
        condition: d.condition,
        active: true,
        revision,
        updated_height: cx.height,
    };
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn withdraw(
    cx: &mut TxCx<'_>,
    licence_type: &LicenceTypeCode,
    issuing: ProvinceCode,
) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let key = keys::policy(province, issuing, licence_type);
    let id = format!("{province}/{issuing}/{licence_type}");
    let mut record: PolicyRecord = cx.get(&key)?.ok_or_else(|| TxError::NotFound {
        kind: "policy",
        id: id.clone(),
    })?;
    if !record.active {
        return Err(TxError::InvalidTransition {
            kind: "policy",
            id,
            from: "withdrawn",
            action: "withdraw",
        }
        .into());
    }
    record.active = false;
    record.revision = record
        .revision
        .checked_add(1)
        .ok_or(TxError::ArithmeticOverflow {
            what: "policy revision",
        })?;
    record.updated_height = cx.height;
    cx.put(key, &record);
    Ok(())
}
