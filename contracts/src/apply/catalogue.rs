//! The shared licence-type catalogue: any member authority registers a type in its namespace
//! (see [`crate::type_namespace`]); only the registering province updates it. Types are never
//! deleted (licences refer to them).
//!
//! When an update moves a type away from a stricter class (conditional or non-open), the last
//! height of that class is kept in the type's [`DataClassHistory`], so licences anchored while it
//! held keep it (`query::effective_data_class`): loosening a class never exposes them.

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::records::{DataClassHistory, LicenceTypeRecord};
use crate::tx::LicenceTypeSpec;
use crate::type_namespace::{TypeNamespace, type_namespace};
use crate::types::DataClass;

pub(crate) fn register(cx: &mut TxCx<'_>, spec: &LicenceTypeSpec) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    if let TypeNamespace::Province {
        province: owner,
        division,
    } = type_namespace(&spec.code)?
        && owner != province
    {
        return Err(TxError::TypeCodeOutsideNamespace {
            licence_type: spec.code.to_string(),
            division,
            province,
        }
        .into());
    }
    let key = keys::licence_type(&spec.code);
    if cx.get::<LicenceTypeRecord>(&key)?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "licence type",
            id: spec.code.to_string(),
        }
        .into());
    }
    let record = LicenceTypeRecord {
        code: spec.code.clone(),
        name: spec.name.clone(),
        schema_digest: spec.schema_digest,
        data_class: spec.data_class,
        owner: province,
        on_issuer_revoked: spec.on_issuer_revoked,
        registered_height: cx.height,
        updated_height: cx.height,
    };
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn update(cx: &mut TxCx<'_>, spec: &LicenceTypeSpec) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let key = keys::licence_type(&spec.code);
    let mut record: LicenceTypeRecord = cx.get(&key)?.ok_or_else(|| TxError::NotFound {
        kind: "licence type",
        id: spec.code.to_string(),
    })?;
    if record.owner != province {
        return Err(TxError::NotTypeOwner {
            licence_type: spec.code.to_string(),
            owner: record.owner,
        }
        .into());
    }
    if record.data_class != spec.data_class && record.data_class != DataClass::Unconditional {
        let history_key = keys::data_class_history(&spec.code);
        let mut history: DataClassHistory = cx.get(&history_key)?.unwrap_or_default();
        if record.data_class == DataClass::NonOpen {
            history.non_open_until = Some(cx.height);
        } else {
            history.conditional_until = Some(cx.height);
        }
        cx.put(history_key, &history);
    }
    record.name = spec.name.clone();
    record.schema_digest = spec.schema_digest;
    record.data_class = spec.data_class;
    record.on_issuer_revoked = spec.on_issuer_revoked;
    record.updated_height = cx.height;
    cx.put(key, &record);
    Ok(())
}
