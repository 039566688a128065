//! Document timestamps (存证): a registered party anchors a 32-byte digest with its key and the
//! block time.
//!
//! Anti-spam rule: only registered parties may timestamp — a current member authority, an active
//! issuer accredited in its province's current admission, or the controller of an active DID
//! named in `acting_did` (which covers registered verifiers and pilot organisations, whose DIDs
//! an authority created). Unregistered keys are refused.
//!
//! A barred issuer (suspended, revoked, or frozen by its province's removal) may not timestamp in
//! any way: its key is refused with or without `acting_did`, and acting for a DID whose subject is
//! an issuer requires the signer to be that issuer's own active key, so keys added to a barred
//! issuer's DID cannot act for it either.
//! One record per (digest, signer): timestamping the same digest twice with one key is refused, so
//! the first time stays the proven one.

use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::error::TxError;
use crate::keys;
use crate::records::{IssuerRecord, TimestampRecord};
use crate::tx::SubjectKind;
use crate::types::Digest32;

pub(crate) fn timestamp(
    cx: &mut TxCx<'_>,
    digest: &Digest32,
    acting_did: Option<&DidId>,
) -> Result<(), ApplyError> {
    let issuer = cx.get::<IssuerRecord>(&keys::issuer(&cx.signer))?;
    // A barred issuer key is refused whatever it acts as.
    let issuer = issuer.map(|record| cx.check_issuer(record)).transpose()?;
    match acting_did {
        Some(did) => {
            let document = super::did::require_controller(cx, did)?;
            if document.subject == SubjectKind::Issuer
                && issuer.as_ref().is_none_or(|record| record.did != *did)
            {
                return Err(TxError::NotRegisteredParty { signer: cx.signer }.into());
            }
        }
        None => {
            let authority = match cx.require_member_authority() {
                Ok(_) => true,
                Err(ApplyError::Tx(TxError::NotAuthority { .. })) => false,
                Err(e) => return Err(e),
            };
            if !authority && issuer.is_none() {
                return Err(TxError::NotRegisteredParty { signer: cx.signer }.into());
            }
        }
    }
    let key = keys::timestamp(digest, &cx.signer);
    if cx.get::<TimestampRecord>(&key)?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "timestamp",
            id: hex::encode(digest),
        }
        .into());
    }
    let record = TimestampRecord {
        digest: *digest,
        signer: cx.signer,
        acting_did: acting_did.copied(),
        height: cx.height,
        block_time_ms: cx.block_time_ms,
        tx_hash: cx.tx_hash,
    };
    cx.put(key, &record);
    Ok(())
}
