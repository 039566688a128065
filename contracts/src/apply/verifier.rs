//! Verifier registration, per province: a province authority registers a verifier DID, which may
//! then read details of that province's conditional-class licences and the status of its non-open
//! ones (and no other province's, unless they register it too). Registrations are keyed by
//! (province, DID): a province can only ever change its own, so one province's deregistration is
//! final for its data whatever other provinces do. The province may register the DID again.
//!
//! A registration also lapses when its province is removed; it counts again only if the
//! re-admitted province registers the DID anew (see [`super::admission`]).

use super::issuer::require_active_did;
use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::error::TxError;
use crate::keys;
use crate::records::VerifierRecord;

pub(crate) fn register(cx: &mut TxCx<'_>, verifier: &DidId) -> Result<(), ApplyError> {
    let member = cx.require_member_authority()?;
    require_active_did(cx, verifier)?;
    let key = keys::verifier(member.province, verifier);
    // A registration left over from an earlier admission is stale and may be replaced.
    if cx
        .get::<VerifierRecord>(&key)?
        .is_some_and(|existing| existing.active && existing.updated_height >= member.joined_height)
    {
        return Err(TxError::AlreadyExists {
            kind: "verifier",
            id: verifier.to_string(),
        }
        .into());
    }
    let record = VerifierRecord {
        did: *verifier,
        registrar: member.province,
        active: true,
        updated_height: cx.height,
    };
    cx.put(key, &record);
    Ok(())
}

pub(crate) fn deregister(cx: &mut TxCx<'_>, verifier: &DidId) -> Result<(), ApplyError> {
    let province = cx.require_authority()?;
    let key = keys::verifier(province, verifier);
    let mut record: VerifierRecord = cx
        .get(&key)?
        .filter(|existing: &VerifierRecord| existing.active)
        .ok_or_else(|| TxError::NotFound {
            kind: "verifier",
            id: format!("{verifier} registered by {province}"),
        })?;
    record.active = false;
    record.updated_height = cx.height;
    cx.put(key, &record);
    Ok(())
}
