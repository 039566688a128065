//! The shared licence-type catalogue: any member authority registers a type; only the
//! registering province updates it. Types are never deleted (licences refer to them).

use super::{ApplyError, TxCx};
use crate::error::TxError;
use crate::keys;
use crate::records::LicenceTypeRecord;
use crate::tx::LicenceTypeSpec;

pub(crate) fn register(cx: &mut TxCx<'_>, spec: &LicenceTypeSpec) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
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
    record.name = spec.name.clone();
    record.schema_digest = spec.schema_digest;
    record.data_class = spec.data_class;
    record.on_issuer_revoked = spec.on_issuer_revoked;
    record.updated_height = cx.height;
    cx.put(key, &record);
    Ok(())
}
