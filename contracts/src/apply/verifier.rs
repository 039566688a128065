//! Verifier registration: a province authority registers a verifier DID, which may then read
//! details of conditional-class licences and the status of non-open ones. Only the registering
//! province may deregister it; a deregistered verifier may be registered again by any authority.

use super::issuer::require_active_did;
use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::error::TxError;
use crate::keys;
use crate::records::VerifierRecord;

pub(crate) fn register(cx: &mut TxCx<'_>, verifier: &DidId) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    require_active_did(cx, verifier)?;
    let key = keys::verifier(verifier);
    if cx
        .get::<VerifierRecord>(&key)?
        .is_some_and(|existing| existing.active)
    {
        return Err(TxError::AlreadyExists {
            kind: "verifier",
            id: verifier.to_string(),
        }
        .into());
    }
    let record = VerifierRecord {
        did: *verifier,
        registrar: province,
        active: true,
        updated_height: cx.height,
    };
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn deregister(cx: &mut TxCx<'_>, verifier: &DidId) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let key = keys::verifier(verifier);
    let mut record: VerifierRecord = cx
        .get(&key)?
        .filter(|existing: &VerifierRecord| existing.active)
        .ok_or_else(|| TxError::NotFound {
            kind: "verifier",
            id: verifier.to_string(),
        })?;
    if record.registrar != province {
        return Err(TxError::NotVerifierRegistrar {
            verifier: verifier.to_string(),
            registrar: record.registrar,
        }
        .into());
    }
    record.active = false;
    record.updated_height = cx.height;
    cx.put(key, &record);
    Ok(())
}
