//! Document timestamps (存证): a registered party anchors a 32-byte digest with its key and the
//! block time.
//!
//! Anti-spam rule: only registered parties may timestamp — a member authority, an active issuer,
//! or the controller of an active DID named in `acting_did` (which covers registered verifiers
//! and pilot organisations, whose DIDs an authority created). Unregistered keys are refused.
//! One record per (digest, signer): timestamping the same digest twice with one key is refused, so
//! the first time stays the proven one.

use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::error::TxError;
use crate::keys;
use crate::records::{IssuerRecord, IssuerStatus, TimestampRecord};
use crate::types::{Digest32, ProvinceCode};

pub(crate) fn timestamp(
    cx: &mut TxCx<'_>,
    digest: &Digest32,
    acting_did: Option<&DidId>,
) -> Result<(), ApplyError> {
    match acting_did {
        Some(did) => {
            super::did::require_controller(cx, did)?;
        }
        None => {
            let authority = cx
                .get::<ProvinceCode>(&keys::authority_key(&cx.signer))?
                .is_some();
            let active_issuer = cx
                .get::<IssuerRecord>(&keys::issuer(&cx.signer))?
                .is_some_and(|issuer| issuer.status == IssuerStatus::Active);
            if !authority && !active_issuer {
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
