//! The `did:yrd` registry: create, edit and deactivate DID documents, keeping every version.
//!
//! Creation: a member authority creates a DID for an organisation it vouches for (authority,
//! issuer, verifier or pilot firm — never a natural person); the subject's controller key becomes
//! `#key-1` with every relationship. The identifier is derived from the creating signer and nonce
//! (see [`crate::did_id`]).
//!
//! Control: a transaction on a DID must be signed by a key listed under `capabilityInvocation` in
//! the DID's latest version, or in the latest version of an active DID listed as its controller
//! (one level, no chains). Every change writes a new version `n + 1` and never touches older ones.
//! A document must always stay controllable: at least one `capabilityInvocation` key or one
//! controller DID. Deactivation is final.
//!
//! Version cap: ordinary edits stop at `MAX_DID_VERSIONS - DID_VERSIONS_RESERVED`; key rotation
//! and key removal (the answers to a compromised key) may use the reserved versions up to
//! `MAX_DID_VERSIONS - 1`; deactivation may always write one more version, up to
//! `MAX_DID_VERSIONS`. No DID ever holds more than `MAX_DID_VERSIONS` versions, and the edits an
//! ordinary controller can repeat cannot use up the versions kept for rotation and deactivation.
//!
//! A signer key that is a suspended, revoked or frozen issuer's key may not edit any DID (it may
//! still deactivate one it controls): otherwise a barred issuer could move its DID to keys that
//! are not issuer keys and act through it.

use super::issuer::require_active_did;
use super::{ApplyError, TxCx};
use crate::did_id::DidId;
use crate::envelope::check_signer_key;
use crate::error::TxError;
use crate::keys;
use crate::limits::{
    DID_VERSIONS_RESERVED, MAX_CONTROLLERS, MAX_DID_VERSIONS, MAX_SERVICES,
    MAX_VERIFICATION_METHODS,
};
use crate::records::{DidDocumentRecord, DidHeadRecord, VerificationMethodRecord};
use crate::tx::{DidCreate, Relationships, ServiceSpec, SubjectKind, VerificationMethodSpec};
use crate::types::{FieldError, Fragment, PublicKeyBytes, TxHash};

/// The fragment of the first verification method of every DID.
pub const FIRST_KEY_FRAGMENT: &str = "key-1";

/// Version 1 of a DID whose only method is `#key-1` = `key` with every relationship.
pub(crate) fn genesis_did_document(
    did: DidId,
    subject: SubjectKind,
    key: PublicKeyBytes,
    height: u64,
    block_time_ms: u64,
    tx_hash: TxHash,
) -> (DidHeadRecord, DidDocumentRecord) {
    let document = DidDocumentRecord {
        did,
        subject,
        controllers: Vec::new(),
        methods: vec![VerificationMethodRecord {
            fragment: Fragment(FIRST_KEY_FRAGMENT.to_owned()),
            key,
            relationships: Relationships::ALL,
        }],
        services: Vec::new(),
        deactivated: false,
        version: 1,
        updated_ms: block_time_ms,
        updated_height: height,
        tx_hash,
    };
    let head = DidHeadRecord {
        latest_version: 1,
        created_ms: block_time_ms,
        created_height: height,
    };
    (head, document)
}

pub(crate) fn create(cx: &mut TxCx<'_>, c: &DidCreate) -> Result<(), ApplyError> {
    cx.require_authority()?;
    check_signer_key(&c.controller_key)
        .map_err(|e| FieldError::new("controller_key", e.to_string()))?;
    let did = DidId::derive(&cx.signer, cx.nonce);
    if cx.get::<DidHeadRecord>(&keys::did_head(&did))?.is_some() {
        return Err(TxError::AlreadyExists {
            kind: "DID",
            id: did.to_string(),
        }
        .into());
    }
    let (head, mut document) = genesis_did_document(
        did,
        c.subject,
        c.controller_key,
        cx.height,
        cx.block_time_ms,
        cx.tx_hash,
    );
    for service in &c.services {
        ensure_fragment_free(&document, &service.fragment)?;
        document.services.push(service.clone());
    }
    cx.put(keys::did_head(&did), &head);
    cx.put(keys::did_version(&did, 1), &document);
    Ok(())
}

/// What an edit is, for the version cap (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Edit {
    /// Adds or removes services, methods or controllers.
    Ordinary,
    /// Rotates or removes a key.
    KeySecurity,
    /// Deactivates the DID.
    Deactivate,
}

impl Edit {
    /// The highest version this edit may write.
    fn version_cap(self) -> u32 {
        match self {
            Edit::Ordinary => MAX_DID_VERSIONS.saturating_sub(DID_VERSIONS_RESERVED),
            Edit::KeySecurity => MAX_DID_VERSIONS.saturating_sub(1),
            Edit::Deactivate => MAX_DID_VERSIONS,
        }
    }
}

/// The latest version of `did` if the signer controls it and is not a barred issuer key.
fn require_editor(cx: &TxCx<'_>, did: &DidId) -> Result<DidDocumentRecord, ApplyError> {
    let document = require_controller(cx, did)?;
    cx.refuse_barred_issuer_key()?;
    Ok(document)
}

/// The latest version of `did` if the signer controls it (see the module doc).
pub(crate) fn require_controller(
    cx: &TxCx<'_>,
    did: &DidId,
) -> Result<DidDocumentRecord, ApplyError> {
    let document = require_active_did(cx, did)?;
    if has_invocation_key(&document, &cx.signer) {
        return Ok(document);
    }
    for controller in &document.controllers {
        if let Ok(controlling) = require_active_did(cx, controller)
            && has_invocation_key(&controlling, &cx.signer)
        {
            return Ok(document);
        }
    }
    Err(TxError::NotDidController {
        did: did.to_string(),
        signer: cx.signer,
    }
    .into())
}

fn has_invocation_key(document: &DidDocumentRecord, key: &PublicKeyBytes) -> bool {
    document
        .methods
        .iter()
        .any(|m| m.relationships.capability_invocation && m.key == *key)
}

fn ensure_controllable(document: &DidDocumentRecord) -> Result<(), ApplyError> {
    let has_key = document
        .methods
        .iter()
        .any(|m| m.relationships.capability_invocation);
    if !has_key && document.controllers.is_empty() {
        return Err(TxError::WouldEmpty {
            what: "capabilityInvocation key or controller",
        }
        .into());
    }
    Ok(())
}

fn ensure_fragment_free(
    document: &DidDocumentRecord,
    fragment: &Fragment,
) -> Result<(), ApplyError> {
    let taken = document.methods.iter().any(|m| m.fragment == *fragment)
        || document.services.iter().any(|s| s.fragment == *fragment);
    if taken {
        return Err(TxError::AlreadyExists {
            kind: "DID URL fragment",
            id: format!("{}#{fragment}", document.did),
        }
        .into());
    }
    Ok(())
}

fn fragment_not_found(document: &DidDocumentRecord, fragment: &Fragment) -> ApplyError {
    TxError::NotFound {
        kind: "DID URL fragment",
        id: format!("{}#{fragment}", document.did),
    }
    .into()
}

/// Writes `document` as the DID's next version, within `edit`'s version cap.
fn write_next_version(
    cx: &mut TxCx<'_>,
    mut document: DidDocumentRecord,
    edit: Edit,
) -> Result<(), ApplyError> {
    let did = document.did;
    let mut head: DidHeadRecord =
        cx.get(&keys::did_head(&did))?
            .ok_or_else(|| TxError::NotFound {
                kind: "DID",
                id: did.to_string(),
            })?;
    let cap = edit.version_cap();
    if head.latest_version >= cap {
        return Err(TxError::LimitReached {
            what: "DID versions",
            max: u64::from(cap),
        }
        .into());
    }
    let version = head
        .latest_version
        .checked_add(1)
        .ok_or(TxError::ArithmeticOverflow {
            what: "DID version",
        })?;
    document.version = version;
    document.updated_ms = cx.block_time_ms;
    document.updated_height = cx.height;
    document.tx_hash = cx.tx_hash;
    head.latest_version = version;
    cx.put(keys::did_version(&did, version), &document);
    cx.put(keys::did_head(&did), &head);
    Ok(())
}

pub(crate) fn add_method(
    cx: &mut TxCx<'_>,
    did: &DidId,
    method: &VerificationMethodSpec,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    check_signer_key(&method.key).map_err(|e| FieldError::new("method.key", e.to_string()))?;
    ensure_fragment_free(&document, &method.fragment)?;
    if document.methods.iter().any(|m| m.key == method.key) {
        return Err(TxError::AlreadyExists {
            kind: "verification method key",
            id: hex::encode(method.key),
        }
        .into());
    }
    if document.methods.len() >= MAX_VERIFICATION_METHODS {
        return Err(TxError::LimitReached {
            what: "verification methods",
            max: MAX_VERIFICATION_METHODS as u64,
        }
        .into());
    }
    document.methods.push(VerificationMethodRecord {
        fragment: method.fragment.clone(),
        key: method.key,
        relationships: method.relationships,
    });
    write_next_version(cx, document, Edit::Ordinary)
}

pub(crate) fn remove_method(
    cx: &mut TxCx<'_>,
    did: &DidId,
    fragment: &Fragment,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    let before = document.methods.len();
    document.methods.retain(|m| m.fragment != *fragment);
    if document.methods.len() == before {
        return Err(fragment_not_found(&document, fragment));
    }
    ensure_controllable(&document)?;
    write_next_version(cx, document, Edit::KeySecurity)
}

pub(crate) fn add_service(
    cx: &mut TxCx<'_>,
    did: &DidId,
    service: &ServiceSpec,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    ensure_fragment_free(&document, &service.fragment)?;
    if document.services.len() >= MAX_SERVICES {
        return Err(TxError::LimitReached {
            what: "services",
            max: MAX_SERVICES as u64,
        }
        .into());
    }
    document.services.push(service.clone());
    write_next_version(cx, document, Edit::Ordinary)
}

pub(crate) fn remove_service(
    cx: &mut TxCx<'_>,
    did: &DidId,
    fragment: &Fragment,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    let before = document.services.len();
    document.services.retain(|s| s.fragment != *fragment);
    if document.services.len() == before {
        return Err(fragment_not_found(&document, fragment));
    }
    write_next_version(cx, document, Edit::Ordinary)
}

pub(crate) fn rotate_key(
    cx: &mut TxCx<'_>,
    did: &DidId,
    fragment: &Fragment,
    new_key: &PublicKeyBytes,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    check_signer_key(new_key).map_err(|e| FieldError::new("new_key", e.to_string()))?;
    if document.methods.iter().any(|m| m.key == *new_key) {
        return Err(TxError::AlreadyExists {
            kind: "verification method key",
            id: hex::encode(new_key),
        }
        .into());
    }
    let Some(method) = document
        .methods
        .iter_mut()
        .find(|m| m.fragment == *fragment)
    else {
        return Err(fragment_not_found(&document, fragment));
    };
    method.key = *new_key;
    write_next_version(cx, document, Edit::KeySecurity)
}

/// Governance rotated a province's authority key: every verification method of its authority
/// DID that holds the old key gets the new one, in a new version (a key-security edit, allowed
/// up to the version cap). A DID whose methods no longer hold the old key is left as it is.
pub(crate) fn replace_authority_key(
    cx: &mut TxCx<'_>,
    did: &DidId,
    old_key: &PublicKeyBytes,
    new_key: &PublicKeyBytes,
) -> Result<(), ApplyError> {
    let mut document = require_active_did(cx, did)?;
    let mut replaced = false;
    for method in document.methods.iter_mut().filter(|m| m.key == *old_key) {
        method.key = *new_key;
        replaced = true;
    }
    if !replaced {
        return Ok(());
    }
    write_next_version(cx, document, Edit::KeySecurity)
}

pub(crate) fn add_controller(
    cx: &mut TxCx<'_>,
    did: &DidId,
    controller: &DidId,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    if controller == did {
        return Err(FieldError::new("controller", "a DID is implicitly its own controller").into());
    }
    require_active_did(cx, controller)?;
    let Err(position) = document.controllers.binary_search(controller) else {
        return Err(TxError::AlreadyExists {
            kind: "controller",
            id: controller.to_string(),
        }
        .into());
    };
    if document.controllers.len() >= MAX_CONTROLLERS {
        return Err(TxError::LimitReached {
            what: "controllers",
            max: MAX_CONTROLLERS as u64,
        }
        .into());
    }
    document.controllers.insert(position, *controller);
    write_next_version(cx, document, Edit::Ordinary)
}

pub(crate) fn remove_controller(
    cx: &mut TxCx<'_>,
    did: &DidId,
    controller: &DidId,
) -> Result<(), ApplyError> {
    let mut document = require_editor(cx, did)?;
    let Ok(position) = document.controllers.binary_search(controller) else {
        return Err(TxError::NotFound {
            kind: "controller",
            id: controller.to_string(),
        }
        .into());
    };
    document.controllers.remove(position);
    ensure_controllable(&document)?;
    write_next_version(cx, document, Edit::Ordinary)
}

pub(crate) fn deactivate(cx: &mut TxCx<'_>, did: &DidId) -> Result<(), ApplyError> {
    let mut document = require_controller(cx, did)?;
    document.deactivated = true;
    write_next_version(cx, document, Edit::Deactivate)
}

/// Deactivates `did` without a controller's signature (a member's removal retires its
/// authority DID). Nothing happens if it is absent or already deactivated.
pub(crate) fn retire_did(cx: &mut TxCx<'_>, did: &DidId) -> Result<(), ApplyError> {
    let Some(head) = cx.get::<DidHeadRecord>(&keys::did_head(did))? else {
        return Ok(());
    };
    let Some(mut document) =
        cx.get::<DidDocumentRecord>(&keys::did_version(did, head.latest_version))?
    else {
        return Ok(());
    };
    if document.deactivated {
        return Ok(());
    }
    document.deactivated = true;
    write_next_version(cx, document, Edit::Deactivate)
}
