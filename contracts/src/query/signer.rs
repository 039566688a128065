//! Whether a signer has any role in state that a transaction could act through: the rule that keeps
//! anonymous keys from creating replicated state (a nonce record, a receipt that spent one).
//!
//! Every transaction kind needs a role, and no kind is open to a fresh key: DIDs are created by a
//! member authority (`apply/did.rs`), holders are never on the ledger, and a timestamp needs a
//! registered party (`apply/timestamp.rs`). A signer has a role when it is
//!
//! - an issuer's key (any status: the contracts decide what a suspended or revoked issuer may
//!   still do),
//! - a key in the authority-key table (current or former: authority keys are never reused, and
//!   the payload rules decide what a former one may do),
//! - a consensus validator's key, or
//! - for a payload that names a DID (every DID edit, and a timestamp's `acting_did`), a
//!   `capabilityInvocation` key of that DID's latest version or of the latest version of a DID
//!   listed as its controller — registered verifiers and pilot organisations act this way.
//!
//! The rule is a superset of every payload's own authorisation, so a transaction that execution
//! would accept always passes it. It is deterministic (state reads only) and runs twice: at
//! admission against the latest committed state, before the mempool; and in execution against the
//! block's overlay, before the nonce is spent, so a role-less transaction a Byzantine proposer
//! includes is refused with [`crate::TxError::UnregisteredSigner`] and writes nothing.

use crate::did_id::DidId;
use crate::keys;
use crate::reader::{ReadError, StateReader, read_record};
use crate::records::{DidDocumentRecord, DidHeadRecord, IssuerRecord, ValidatorList};
use crate::tx::TxPayload;
use crate::types::{ProvinceCode, PublicKeyBytes};

/// The role through which `signer` may submit `payload`, the first found in the order of the
/// module doc; `None` when it has none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignerRole {
    /// An issuer's key.
    Issuer,
    /// A key in the authority-key table.
    Authority,
    /// A consensus validator's key.
    Validator,
    /// A controlling key of the DID the payload names.
    DidController,
}

/// The signer's role for `payload` (module doc), or `None`.
pub fn signer_role(
    reader: &(impl StateReader + ?Sized),
    signer: &PublicKeyBytes,
    payload: &TxPayload,
) -> Result<Option<SignerRole>, ReadError> {
    if read_record::<IssuerRecord>(reader, &keys::issuer(signer))?.is_some() {
        return Ok(Some(SignerRole::Issuer));
    }
    if read_record::<ProvinceCode>(reader, &keys::authority_key(signer))?.is_some() {
        return Ok(Some(SignerRole::Authority));
    }
    if let Some(did) = named_did(payload)
        && controls(reader, did, signer)?
    {
        return Ok(Some(SignerRole::DidController));
    }
    let validators: ValidatorList =
        read_record(reader, &keys::validator_list())?.unwrap_or_default();
    if validators.validators.iter().any(|v| v.key == *signer) {
        return Ok(Some(SignerRole::Validator));
    }
    Ok(None)
}

/// The province `signer` acts for: its authority key's, else its issuer's, else its validator's;
/// `None` for any other key (a DID controller's or a fresh one).
pub fn signer_province(
    reader: &(impl StateReader + ?Sized),
    signer: &PublicKeyBytes,
) -> Result<Option<ProvinceCode>, ReadError> {
    if let Some(province) = read_record::<ProvinceCode>(reader, &keys::authority_key(signer))? {
        return Ok(Some(province));
    }
    if let Some(issuer) = read_record::<IssuerRecord>(reader, &keys::issuer(signer))? {
        return Ok(Some(issuer.province));
    }
    let validators: ValidatorList =
        read_record(reader, &keys::validator_list())?.unwrap_or_default();
    Ok(validators
        .validators
        .iter()
        .find(|v| v.key == *signer)
        .map(|v| v.province))
}

/// Whether `signer` has a role for `payload` (module doc).
pub fn signer_may_submit(
    reader: &(impl StateReader + ?Sized),
    signer: &PublicKeyBytes,
    payload: &TxPayload,
) -> Result<bool, ReadError> {
    Ok(signer_role(reader, signer, payload)?.is_some())
}

/// The DID a payload acts on or for, if it names one.
fn named_did(payload: &TxPayload) -> Option<&DidId> {
    match payload {
        TxPayload::DidAddVerificationMethod { did, .. }
        | TxPayload::DidRemoveVerificationMethod { did, .. }
        | TxPayload::DidAddService { did, .. }
        | TxPayload::DidRemoveService { did, .. }
        | TxPayload::DidRotateKey { did, .. }
        | TxPayload::DidAddController { did, .. }
        | TxPayload::DidRemoveController { did, .. }
        | TxPayload::DidDeactivate { did } => Some(did),
        TxPayload::TimestampDocument { acting_did, .. } => acting_did.as_ref(),
        _ => None,
    }
}

/// Whether `signer` is a `capabilityInvocation` key of `did`'s latest version, or of the latest
/// version of one of its controller DIDs (one level, as `apply/did.rs` allows).
fn controls(
    reader: &(impl StateReader + ?Sized),
    did: &DidId,
    signer: &PublicKeyBytes,
) -> Result<bool, ReadError> {
    let Some(document) = latest_document(reader, did)? else {
        return Ok(false);
    };
    if invokes(&document, signer) {
        return Ok(true);
    }
    for controller in &document.controllers {
        if let Some(controlling) = latest_document(reader, controller)?
            && invokes(&controlling, signer)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn latest_document(
    reader: &(impl StateReader + ?Sized),
    did: &DidId,
) -> Result<Option<DidDocumentRecord>, ReadError> {
    let Some(head) = read_record::<DidHeadRecord>(reader, &keys::did_head(did))? else {
        return Ok(None);
    };
    read_record(reader, &keys::did_version(did, head.latest_version))
}

fn invokes(document: &DidDocumentRecord, signer: &PublicKeyBytes) -> bool {
    document
        .methods
        .iter()
        .any(|m| m.relationships.capability_invocation && m.key == *signer)
}
