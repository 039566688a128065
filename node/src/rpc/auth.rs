//! Verifier authentication: how a caller proves it speaks for the verifier DID it claims.
//!
//! Conditional and non-open licence data is disclosed only to registered verifiers, so a bare
//! `verifierDid` parameter proves nothing: anyone can type a DID. A request that names a verifier
//! DID must carry an `auth` object signed with one of that DID's `authentication` keys:
//!
//! ```text
//! message   = blake3_derive_key(VERIFIER_AUTH_CONTEXT,
//!               method ‖ 0x00 ‖ did ‖ 0x00 ‖ keyId ‖ 0x00 ‖ timestampMs (u64 BE) ‖ params)
//! signature = ed25519 over the 32-byte message, with the key of `did#keyId`
//! ```
//!
//! `params` is a fixed byte layout per method (see [`AuthParams`]), so a signature answers one
//! question only. The node checks, against the same state version the query reads: the DID exists
//! and is active, `keyId` names a method listed under `authentication`, the signature verifies
//! with `verify_strict`, the timestamp is within `auth_max_clock_skew_ms` of the node's clock, and
//! the signature was not seen before (a bounded replay cache). Whether the DID is a *registered*
//! verifier is then decided by the contracts query, as for any DID.
//!
//! This module never logs what it authenticates: who asked about which licence is a private
//! verification log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use ed25519_dalek::{Signature, Signer, SigningKey};
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::envelope::parse_signer_key;
use yrd_contracts::hashing::derive_hash;
use yrd_contracts::keys;
use yrd_contracts::reader::read_record;
use yrd_contracts::records::{DidDocumentRecord, DidHeadRecord};
use yrd_contracts::types::{Digest32, Fragment, ProvinceCode};

use super::error::RpcError;
use super::params::{AuthParam, parse_hex64};

/// Domain tag of the message a verifier signs.
pub const VERIFIER_AUTH_CONTEXT: &str = "yrd-ledger 2025 rpc verifier request auth v1";

/// The method-specific bytes a verifier signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthParams<'a> {
    /// `licence_verify`: commitment ‖ region (u32 BE).
    Verify {
        /// Commitment.
        commitment: &'a Digest32,
        /// Verifier region.
        region: ProvinceCode,
    },
    /// `licence_get` and `licence_getHistory`: commitment.
    Licence {
        /// Commitment.
        commitment: &'a Digest32,
    },
    /// `licence_subscribeStatus`: region (u32 BE) ‖ count (u32 BE) ‖ commitments in request order.
    Subscribe {
        /// Verifier region.
        region: ProvinceCode,
        /// Watched commitments.
        commitments: &'a [Digest32],
    },
}

impl AuthParams<'_> {
    /// The signed bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            AuthParams::Verify { commitment, region } => {
                let mut out = commitment.to_vec();
                out.extend_from_slice(&region.0.to_be_bytes());
                out
            }
            AuthParams::Licence { commitment } => commitment.to_vec(),
            AuthParams::Subscribe {
                region,
                commitments,
            } => {
                let count = u32::try_from(commitments.len()).unwrap_or(u32::MAX);
                let mut out = Vec::with_capacity(8 + 32 * commitments.len());
                out.extend_from_slice(&region.0.to_be_bytes());
                out.extend_from_slice(&count.to_be_bytes());
                for commitment in *commitments {
                    out.extend_from_slice(commitment);
                }
                out
            }
        }
    }
}

/// The 32-byte message a verifier signs (module doc).
pub fn verifier_auth_message(
    method: &str,
    did: &DidId,
    key_id: &str,
    timestamp_ms: u64,
    params: &AuthParams<'_>,
) -> [u8; 32] {
    let did_text = did.to_string();
    derive_hash(
        VERIFIER_AUTH_CONTEXT,
        &[
            method.as_bytes(),
            &[0],
            did_text.as_bytes(),
            &[0],
            key_id.as_bytes(),
            &[0],
            &timestamp_ms.to_be_bytes(),
            &params.to_bytes(),
        ],
    )
}

/// Builds the `auth` object a client sends (for the CLI and tests).
pub fn sign_verifier_auth(
    key: &SigningKey,
    method: &str,
    did: &DidId,
    key_id: &str,
    timestamp_ms: u64,
    params: &AuthParams<'_>,
) -> AuthParam {
    let message = verifier_auth_message(method, did, key_id, timestamp_ms, params);
    AuthParam {
        key_id: key_id.to_owned(),
        timestamp_ms,
        signature: hex::encode(key.sign(&message).to_bytes()),
    }
}

/// Remembers accepted signatures until their timestamp leaves the skew window.
#[derive(Debug)]
pub struct ReplayCache {
    max_entries: usize,
    inner: Mutex<ReplayEntries>,
}

#[derive(Debug, Default)]
struct ReplayEntries {
    by_signature: BTreeMap<[u8; 64], u64>,
    by_expiry: BTreeSet<(u64, [u8; 64])>,
}

impl ReplayCache {
    /// A cache holding at most `max_entries` signatures.
    pub fn new(max_entries: usize) -> Self {
        Self {
            max_entries,
            inner: Mutex::new(ReplayEntries::default()),
        }
    }

    /// Records `signature` until `expires_ms`; refuses one already recorded, or a full cache.
    fn insert(&self, signature: [u8; 64], expires_ms: u64, now_ms: u64) -> Result<(), RpcError> {
        let mut entries = self
            .inner
            .lock()
            .map_err(|_| RpcError::Internal("replay cache lock poisoned".into()))?;
        while let Some(first) = entries.by_expiry.first().copied() {
            if first.0 >= now_ms {
                break;
            }
            entries.by_expiry.remove(&first);
            entries.by_signature.remove(&first.1);
        }
        if entries.by_signature.contains_key(&signature) {
            return Err(RpcError::AuthFailed(
                "signature already used (replay)".into(),
            ));
        }
        if entries.by_signature.len() >= self.max_entries {
            let limit = u32::try_from(self.max_entries).unwrap_or(u32::MAX);
            return Err(RpcError::Busy {
                in_flight: limit,
                limit,
            });
        }
        entries.by_signature.insert(signature, expires_ms);
        entries.by_expiry.insert((expires_ms, signature));
        Ok(())
    }

    /// Signatures held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|e| e.by_signature.len()).unwrap_or(0)
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One authentication check, with the node's clock and limits.
#[derive(Debug, Clone, Copy)]
pub struct AuthCheck<'a> {
    /// The node's clock, ms since the Unix epoch.
    pub now_ms: u64,
    /// Allowed distance between the request's timestamp and `now_ms`.
    pub max_clock_skew_ms: u64,
    /// Seen signatures.
    pub replay_cache: &'a ReplayCache,
}

/// The verifier DID to pass to the contracts query: `None` when no DID is claimed, the DID when
/// `auth` proves the claim, an error otherwise.
pub fn authenticate(
    reader: &dyn StateReader,
    method: &str,
    claimed: Option<&DidId>,
    auth: Option<&AuthParam>,
    params: &AuthParams<'_>,
    check: AuthCheck<'_>,
) -> Result<Option<DidId>, RpcError> {
    let (did, auth) = match (claimed, auth) {
        (None, None) => return Ok(None),
        (None, Some(_)) => return Err(RpcError::param("auth", "given without verifierDid")),
        (Some(_), None) => {
            return Err(RpcError::AuthFailed(
                "a verifierDid claim needs an auth signature".into(),
            ));
        }
        (Some(did), Some(auth)) => (did, auth),
    };
    Fragment(auth.key_id.clone())
        .validate("auth.keyId")
        .map_err(|e| RpcError::param("auth", e.to_string()))?;
    let signature = parse_hex64("auth", &auth.signature)?;
    let skew = auth.timestamp_ms.abs_diff(check.now_ms);
    if skew > check.max_clock_skew_ms {
        return Err(RpcError::AuthFailed(format!(
            "timestamp {} is {skew} ms from the node's clock (allowed {})",
            auth.timestamp_ms, check.max_clock_skew_ms
        )));
    }
    let document = active_document(reader, did)?;
    let method_record = document
        .methods
        .iter()
        .find(|m| m.fragment.0 == auth.key_id && m.relationships.authentication)
        .ok_or_else(|| {
            RpcError::AuthFailed(format!(
                "{did}#{} is not an authentication method",
                auth.key_id
            ))
        })?;
    let key =
        parse_signer_key(&method_record.key).map_err(|e| RpcError::AuthFailed(e.to_string()))?;
    let message = verifier_auth_message(method, did, &auth.key_id, auth.timestamp_ms, params);
    key.verify_strict(&message, &Signature::from_bytes(&signature))
        .map_err(|_| RpcError::AuthFailed("signature does not verify".into()))?;
    let expires_ms = auth.timestamp_ms.saturating_add(check.max_clock_skew_ms);
    check
        .replay_cache
        .insert(signature, expires_ms, check.now_ms)?;
    Ok(Some(*did))
}

fn active_document(reader: &dyn StateReader, did: &DidId) -> Result<DidDocumentRecord, RpcError> {
    let read_failed = |e: yrd_contracts::ReadError| RpcError::Internal(e.to_string());
    let head: DidHeadRecord = read_record(reader, &keys::did_head(did))
        .map_err(read_failed)?
        .ok_or_else(|| RpcError::AuthFailed(format!("{did} not found")))?;
    let document: DidDocumentRecord =
        read_record(reader, &keys::did_version(did, head.latest_version))
            .map_err(read_failed)?
            .ok_or_else(|| {
                RpcError::AuthFailed(format!("{did} has no version {}", head.latest_version))
            })?;
    if document.deactivated {
        return Err(RpcError::AuthFailed(format!("{did} is deactivated")));
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_layout() {
        let c = [7u8; 32];
        let verify = AuthParams::Verify {
            commitment: &c,
            region: ProvinceCode::JIANGSU,
        }
        .to_bytes();
        assert_eq!(verify.len(), 36);
        assert_eq!(&verify[32..], &320_000u32.to_be_bytes());
        let subscribe = AuthParams::Subscribe {
            region: ProvinceCode::ANHUI,
            commitments: &[c, c],
        }
        .to_bytes();
        assert_eq!(subscribe.len(), 8 + 64);
        assert_eq!(&subscribe[4..8], &2u32.to_be_bytes());
    }

    #[test]
    fn message_binds_every_field() {
        let did = DidId([1; 16]);
        let c = [7u8; 32];
        let params = AuthParams::Licence { commitment: &c };
        let base = verifier_auth_message("licence_get", &did, "key-1", 5, &params);
        assert_ne!(
            base,
            verifier_auth_message("licence_getHistory", &did, "key-1", 5, &params)
        );
        assert_ne!(
            base,
            verifier_auth_message("licence_get", &DidId([2; 16]), "key-1", 5, &params)
        );
        assert_ne!(
            base,
            verifier_auth_message("licence_get", &did, "key-2", 5, &params)
        );
        assert_ne!(
            base,
            verifier_auth_message("licence_get", &did, "key-1", 6, &params)
        );
        let other = [8u8; 32];
        assert_ne!(
            base,
            verifier_auth_message(
                "licence_get",
                &did,
                "key-1",
                5,
                &AuthParams::Licence { commitment: &other }
            )
        );
    }

    #[test]
    fn replay_cache_refuses_reuse_expires_and_is_bounded() {
        let cache = ReplayCache::new(2);
        cache.insert([1; 64], 100, 0).unwrap();
        assert!(matches!(
            cache.insert([1; 64], 100, 50),
            Err(RpcError::AuthFailed(_))
        ));
        cache.insert([2; 64], 100, 50).unwrap();
        assert!(matches!(
            cache.insert([3; 64], 100, 50),
            Err(RpcError::Busy { .. })
        ));
        // Past their expiry both leave the cache.
        cache.insert([3; 64], 300, 101).unwrap();
        assert_eq!(cache.len(), 1);
    }
}
