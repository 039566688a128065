//! Observer nodes: non-voting nodes that the member network admits, which follow the committed
//! chain, execute it and serve reads. A province authority registers and removes its own, at most
//! [`MAX_OBSERVERS_PER_PROVINCE`] each; no governance vote is needed because an observer decides
//! nothing. All registrations live in one bounded record (`ObserverList`, [`MAX_OBSERVERS`]).
//!
//! An observer of a removed province lapses with it: [`crate::query::observer_keys`] counts a
//! registration only while its province is a member admitted at or before the registration.

use super::{ApplyError, TxCx};
use crate::envelope::check_signer_key;
use crate::error::TxError;
use crate::keys;
use crate::limits::{MAX_OBSERVERS, MAX_OBSERVERS_PER_PROVINCE};
use crate::records::{ObserverList, ObserverRecord, ValidatorList};
use crate::types::{FieldError, PublicKeyBytes};

pub(crate) fn register(cx: &mut TxCx<'_>, key: &PublicKeyBytes) -> Result<(), ApplyError> {
    let member = cx.require_member_authority()?;
    check_signer_key(key).map_err(|e| FieldError::new("observer key", e.to_string()))?;
    let validators: ValidatorList = cx.get(&keys::validator_list())?.unwrap_or_default();
    if validators.validators.iter().any(|v| v.key == *key) {
        return Err(TxError::AlreadyExists {
            kind: "validator",
            id: hex::encode(key),
        }
        .into());
    }
    let mut list: ObserverList = cx.get(&keys::observer_list())?.unwrap_or_default();
    // A registration left over from an earlier admission of its province is stale: replace it.
    let stale = |record: &ObserverRecord| -> Result<bool, ApplyError> {
        Ok(cx
            .get::<crate::records::MemberRecord>(&keys::member(record.province))?
            .is_none_or(|m| record.added_height < m.joined_height))
    };
    let mut kept = Vec::with_capacity(list.observers.len().saturating_add(1));
    for record in list.observers.drain(..) {
        if record.key == *key && !stale(&record)? {
            return Err(TxError::AlreadyExists {
                kind: "observer",
                id: hex::encode(key),
            }
            .into());
        }
        if record.key != *key {
            kept.push(record);
        }
    }
    let mut of_province = 0usize;
    for record in &kept {
        if record.province == member.province && !stale(record)? {
            of_province += 1;
        }
    }
    if of_province >= MAX_OBSERVERS_PER_PROVINCE {
        return Err(TxError::LimitReached {
            what: "observers of the province",
            max: MAX_OBSERVERS_PER_PROVINCE as u64,
        }
        .into());
    }
    if kept.len() >= MAX_OBSERVERS {
        return Err(TxError::LimitReached {
            what: "observers",
            max: MAX_OBSERVERS as u64,
        }
        .into());
    }
    let at = kept.partition_point(|record| record.key < *key);
    kept.insert(
        at,
        ObserverRecord {
            key: *key,
            province: member.province,
            added_height: cx.height,
        },
    );
    list.observers = kept;
    cx.put(keys::observer_list(), &list);
    Ok(())
}

pub(crate) fn remove(cx: &mut TxCx<'_>, key: &PublicKeyBytes) -> Result<(), ApplyError> {
    let member = cx.require_member_authority()?;
    let mut list: ObserverList = cx.get(&keys::observer_list())?.unwrap_or_default();
    let Some(at) = list
        .observers
        .iter()
        .position(|record| record.key == *key && record.province == member.province)
    else {
        return Err(TxError::NotFound {
            kind: "observer",
            id: format!("{} registered by {}", hex::encode(key), member.province),
        }
        .into());
    };
    list.observers.remove(at);
    cx.put(keys::observer_list(), &list);
    super::network_key::unbind(cx, key)
}
