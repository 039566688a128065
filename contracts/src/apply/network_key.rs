//! Network keys of an `sm2-sm3` chain's nodes (ADR 020). Members find and authenticate each
//! other on the network by ed25519 keys; on this suite a node's key is an SM2 key, so each node
//! proves an ed25519 *network* key, bound to its node key here. The genesis binds its validators';
//! a province authority binds those of the validators it operates and the observers it registered,
//! with the network key's own signature over the binding (possession). One node per network key.
//!
//! On `ed25519-blake3` a node's network key is its node key, and binding is refused.

use ed25519_dalek::Signature;
use yrd_consensus::CryptoSuite;

use super::{ApplyError, TxCx};
use crate::envelope::parse_signer_key;
use crate::error::TxError;
use crate::hashing::network_binding_message;
use crate::keys;
use crate::records::{ChainRecord, NetworkKeyRecord, ObserverList, ValidatorList};
use crate::types::{FieldError, ProvinceCode, PublicKeyBytes};

pub(crate) fn bind(
    cx: &mut TxCx<'_>,
    node_key: &PublicKeyBytes,
    network_key: &PublicKeyBytes,
    possession: &[u8; 64],
) -> Result<(), ApplyError> {
    if CryptoSuite::current() == CryptoSuite::Ed25519Blake3 {
        return Err(FieldError::new(
            "networkKey",
            "on ed25519-blake3 a node's network key is its node key; nothing to bind",
        )
        .into());
    }
    let member = cx.require_member_authority()?;
    let operator = node_province(cx, node_key)?.ok_or_else(|| TxError::NotFound {
        kind: "validator or observer",
        id: hex::encode(node_key),
    })?;
    if operator != member.province {
        return Err(TxError::WrongProvince {
            target: operator,
            signer: member.province,
        }
        .into());
    }
    let verifying =
        parse_signer_key(network_key).map_err(|e| FieldError::new("networkKey", e.to_string()))?;
    let chain: ChainRecord = cx.get(&keys::chain())?.ok_or_else(|| TxError::NotFound {
        kind: "chain record",
        id: String::new(),
    })?;
    let message = network_binding_message(&chain.chain_id.0, node_key, network_key);
    if verifying
        .verify_strict(&message, &Signature::from_bytes(possession))
        .is_err()
    {
        return Err(FieldError::new(
            "possession",
            "not the network key's signature over this binding",
        )
        .into());
    }
    if let Some(owner) = cx.get::<PublicKeyBytes>(&keys::network_key_owner(network_key))? {
        return Err(TxError::AlreadyExists {
            kind: "network key",
            id: format!(
                "{} (bound to {})",
                hex::encode(network_key),
                hex::encode(owner)
            ),
        }
        .into());
    }
    if let Some(old) = cx.get::<NetworkKeyRecord>(&keys::network_key(node_key))? {
        cx.delete(keys::network_key_owner(&old.network_key));
    }
    cx.put(
        keys::network_key(node_key),
        &NetworkKeyRecord {
            network_key: *network_key,
            province: member.province,
            bound_height: cx.height,
        },
    );
    cx.put(keys::network_key_owner(network_key), node_key);
    Ok(())
}

/// Drops a node's binding (an observer removed: it is disconnected at once and its registration
/// slot may be reused). A removed validator keeps its binding: it votes until its epoch ends.
pub(crate) fn unbind(cx: &mut TxCx<'_>, node_key: &PublicKeyBytes) -> Result<(), ApplyError> {
    if let Some(old) = cx.get::<NetworkKeyRecord>(&keys::network_key(node_key))? {
        cx.delete(keys::network_key_owner(&old.network_key));
        cx.delete(keys::network_key(node_key));
    }
    Ok(())
}

/// The province operating `node_key`: a listed validator's, or the registering province of an
/// observer.
fn node_province(
    cx: &TxCx<'_>,
    node_key: &PublicKeyBytes,
) -> Result<Option<ProvinceCode>, ApplyError> {
    let validators: ValidatorList = cx.get(&keys::validator_list())?.unwrap_or_default();
    if let Some(validator) = validators.validators.iter().find(|v| v.key == *node_key) {
        return Ok(Some(validator.province));
    }
    let observers: ObserverList = cx.get(&keys::observer_list())?.unwrap_or_default();
    Ok(observers
        .observers
        .iter()
        .find(|o| o.key == *node_key)
        .map(|o| o.province))
}
