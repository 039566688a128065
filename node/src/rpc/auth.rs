//! Verifier authentication: how a caller proves it speaks for the verifier DID it claims.
//!
//! Conditional and non-open licence data is disclosed only to registered verifiers, so a bare
//! `verifierDid` parameter proves nothing: anyone can type a DID. A request that names a verifier
//! DID must carry an `auth` object signed with one of that DID's `authentication` keys:
//!
//! ```text
//! message   = blake3_derive_key(VERIFIER_AUTH_CONTEXT,
//!               chainId ‖ 0x00 ‖ nodeKey (32 bytes) ‖ method ‖ 0x00 ‖ did ‖ 0x00 ‖ keyId ‖ 0x00 ‖
//!               timestampMs (u64 BE) ‖ params)
//! signature = ed25519 over the 32-byte message, with the key of `did#keyId`
//! ```
//!
//! `params` is a fixed byte layout per method (see [`AuthParams`]), so a signature answers one
//! question only, on one chain only (`chainId` is the chain record's, read from the same state the
//! query reads), at one node only (`nodeKey` is the answering node's network key, as
//! `node_getStatus` reports it). A signature made for another chain or another node never
//! verifies here, so, with each node's replay cache, a signed request is answered at most once in
//! the whole chain. The node checks, against the state version the query reads: the DID exists
//! and is active, `keyId` names a method listed under `authentication`, the signature verifies
//! with `verify_strict`, the timestamp is within `auth_max_clock_skew_ms` of the node's clock, and
//! the signature was not seen before (a replay cache, bounded per DID and in total: see
//! [`ReplayCache`]). Whether the DID is a *registered* verifier is then decided by the contracts
//! query, as for any DID.
//!
//! The `auth` object names its message version ([`AUTH_VERSION`]); version 1 (no `chainId`, no
//! `nodeKey`; sent without a `version` field) is refused with an error naming it.
//!
//! This module never logs what it authenticates: who asked about which licence is a private
//! verification log.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use ed25519_dalek::{Signer, SigningKey};
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::TxError;
use yrd_contracts::hashing::derive_hash;
use yrd_contracts::keys;
use yrd_contracts::reader::read_record;
use yrd_contracts::records::{ChainRecord, DidDocumentRecord, DidHeadRecord};
use yrd_contracts::sigverify::{SignatureCheck, verify_one};
use yrd_contracts::types::{Digest32, Fragment, ProvinceCode};

use super::error::{InternalError, RpcError};
use super::params::{AuthParam, parse_hex64};

/// Domain tag of the message a verifier signs.
pub const VERIFIER_AUTH_CONTEXT: &str = "yrd-ledger 2025 rpc verifier request auth v2";

/// The message version this node accepts (the `auth.version` field).
pub const AUTH_VERSION: u32 = 2;

/// Bytes one replay-cache entry holds: the signature, the DID and its expiry, once in the DID's
/// bucket and once in the expiry index.
pub const REPLAY_CACHE_ENTRY_BYTES: usize = 2 * (64 + 16 + 8);

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

/// Everything a verifier signature covers (module doc).
#[derive(Debug, Clone, Copy)]
pub struct AuthMessage<'a> {
    /// The chain id of the chain record.
    pub chain_id: &'a str,
    /// The network key of the node that is to answer (`node_getStatus.nodeKey`).
    pub node_key: &'a [u8; 32],
    /// The RPC method.
    pub method: &'a str,
    /// The claimed verifier DID.
    pub did: &'a DidId,
    /// Fragment of the DID's authentication method.
    pub key_id: &'a str,
    /// The client's clock, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// The method-specific bytes.
    pub params: AuthParams<'a>,
}

impl AuthMessage<'_> {
    /// The 32-byte message that is signed.
    pub fn digest(&self) -> [u8; 32] {
        let did_text = self.did.to_string();
        derive_hash(
            VERIFIER_AUTH_CONTEXT,
            &[
                self.chain_id.as_bytes(),
                &[0],
                self.node_key,
                self.method.as_bytes(),
                &[0],
                did_text.as_bytes(),
                &[0],
                self.key_id.as_bytes(),
                &[0],
                &self.timestamp_ms.to_be_bytes(),
                &self.params.to_bytes(),
            ],
        )
    }

    /// The `auth` object a client sends (the signer for the CLI and tests).
    pub fn sign(&self, key: &SigningKey) -> AuthParam {
        AuthParam {
            version: Some(AUTH_VERSION),
            key_id: self.key_id.to_owned(),
            timestamp_ms: self.timestamp_ms,
            signature: hex::encode(key.sign(&self.digest()).to_bytes()),
        }
    }
}

/// Remembers accepted signatures until their timestamp leaves the skew window, per DID.
///
/// Each DID has its own bucket of at most `per_did` unexpired signatures, and at most
/// `max_entries / per_did` DIDs have a bucket at once. A DID that fills its bucket is refused
/// with [`RpcError::Busy`] (`-33030`, "try later") until its own entries expire; no other DID's
/// entries are evicted or its requests refused because of it. Only when as many DIDs as there are
/// buckets hold unexpired signatures is a further DID refused, and every DID is a ledger record
/// whose creation costs a transaction.
#[derive(Debug)]
pub struct ReplayCache {
    per_did: usize,
    max_dids: usize,
    inner: Mutex<ReplayEntries>,
}

#[derive(Debug, Default)]
struct ReplayEntries {
    by_did: BTreeMap<DidId, BTreeSet<[u8; 64]>>,
    by_expiry: BTreeSet<(u64, DidId, [u8; 64])>,
}

/// Why a replay cache's limits are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReplayCacheError {
    /// A bound is zero, or the per-DID bound exceeds the whole.
    #[error(
        "auth replay cache: {per_did} entries per DID must be between 1 and the total of {max_entries}"
    )]
    Bounds {
        /// The total bound.
        max_entries: usize,
        /// The per-DID bound.
        per_did: usize,
    },
}

impl ReplayCache {
    /// A cache holding at most `max_entries` signatures, at most `per_did` of them for one DID.
    pub fn new(max_entries: usize, per_did: usize) -> Result<Self, ReplayCacheError> {
        if per_did == 0 || per_did > max_entries {
            return Err(ReplayCacheError::Bounds {
                max_entries,
                per_did,
            });
        }
        Ok(Self {
            per_did,
            max_dids: max_entries / per_did,
            inner: Mutex::new(ReplayEntries::default()),
        })
    }

    /// Records `did`'s `signature` until `expires_ms`; refuses one already recorded, a DID whose
    /// bucket is full, or a new DID when every bucket is taken.
    fn insert(
        &self,
        did: DidId,
        signature: [u8; 64],
        expires_ms: u64,
        now_ms: u64,
    ) -> Result<(), RpcError> {
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| RpcError::Internal(InternalError::Poisoned("replay cache")))?;
        let entries = &mut *guard;
        while let Some(first) = entries.by_expiry.first().copied() {
            if first.0 >= now_ms {
                break;
            }
            entries.by_expiry.remove(&first);
            if let Some(bucket) = entries.by_did.get_mut(&first.1) {
                bucket.remove(&first.2);
                if bucket.is_empty() {
                    entries.by_did.remove(&first.1);
                }
            }
        }
        let dids = entries.by_did.len();
        let bucket = match entries.by_did.get_mut(&did) {
            Some(bucket) => bucket,
            None if dids >= self.max_dids => {
                let limit = u32::try_from(self.max_dids).unwrap_or(u32::MAX);
                return Err(RpcError::Busy {
                    in_flight: limit,
                    limit,
                });
            }
            None => entries.by_did.entry(did).or_default(),
        };
        if bucket.contains(&signature) {
            return Err(RpcError::AuthFailed(
                "signature already used (replay)".into(),
            ));
        }
        if bucket.len() >= self.per_did {
            let limit = u32::try_from(self.per_did).unwrap_or(u32::MAX);
            return Err(RpcError::Busy {
                in_flight: limit,
                limit,
            });
        }
        bucket.insert(signature);
        entries.by_expiry.insert((expires_ms, did, signature));
        Ok(())
    }

    /// Signatures held now.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|e| e.by_expiry.len()).unwrap_or(0)
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
    /// This node's network key, which the signature must name.
    pub node_key: &'a [u8; 32],
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
    check_version(auth.version)?;
    let skew = auth.timestamp_ms.abs_diff(check.now_ms);
    if skew > check.max_clock_skew_ms {
        return Err(RpcError::AuthFailed(format!(
            "timestamp {} is {skew} ms from the node's clock (allowed {})",
            auth.timestamp_ms, check.max_clock_skew_ms
        )));
    }
    let chain: ChainRecord = read_record(reader, &keys::chain())?
        .ok_or(RpcError::Internal(InternalError::MissingRecord("chain")))?;
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
    let message = AuthMessage {
        chain_id: &chain.chain_id.0,
        node_key: check.node_key,
        method,
        did,
        key_id: &auth.key_id,
        timestamp_ms: auth.timestamp_ms,
        params: *params,
    };
    let digest = message.digest();
    let check_signature = SignatureCheck {
        signer: &method_record.key,
        message: &digest,
        signature: &signature,
    };
    verify_one(&check_signature).map_err(|e| match e {
        TxError::BadSignature => RpcError::AuthFailed(
            "signature does not verify (it must name this chain and this node's key)".into(),
        ),
        other => RpcError::AuthFailed(other.to_string()),
    })?;
    let expires_ms = auth.timestamp_ms.saturating_add(check.max_clock_skew_ms);
    check
        .replay_cache
        .insert(*did, signature, expires_ms, check.now_ms)?;
    Ok(Some(*did))
}

/// Refuses any message version but [`AUTH_VERSION`], naming the one sent.
fn check_version(version: Option<u32>) -> Result<(), RpcError> {
    match version {
        Some(AUTH_VERSION) => Ok(()),
        None | Some(1) => Err(RpcError::AuthFailed(format!(
            "auth message version 1 is no longer accepted: sign version {AUTH_VERSION}, which binds the chain id and the answering node's key, and send \"version\": {AUTH_VERSION}"
        ))),
        Some(other) => Err(RpcError::AuthFailed(format!(
            "auth message version {other} is unknown: this node accepts version {AUTH_VERSION}"
        ))),
    }
}

fn active_document(reader: &dyn StateReader, did: &DidId) -> Result<DidDocumentRecord, RpcError> {
    let head: DidHeadRecord = read_record(reader, &keys::did_head(did))?
        .ok_or_else(|| RpcError::AuthFailed(format!("{did} not found")))?;
    let document: DidDocumentRecord =
        read_record(reader, &keys::did_version(did, head.latest_version))?.ok_or_else(|| {
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
        let other_did = DidId([2; 16]);
        let c = [7u8; 32];
        let other_commitment = [8u8; 32];
        let node = [3u8; 32];
        let other_node = [4u8; 32];
        let base = AuthMessage {
            chain_id: "yrd-a",
            node_key: &node,
            method: "licence_get",
            did: &did,
            key_id: "key-1",
            timestamp_ms: 5,
            params: AuthParams::Licence { commitment: &c },
        };
        let variants = [
            (
                "another chain",
                AuthMessage {
                    chain_id: "yrd-b",
                    ..base
                },
            ),
            (
                "another node",
                AuthMessage {
                    node_key: &other_node,
                    ..base
                },
            ),
            (
                "another method",
                AuthMessage {
                    method: "licence_getHistory",
                    ..base
                },
            ),
            (
                "another DID",
                AuthMessage {
                    did: &other_did,
                    ..base
                },
            ),
            (
                "another key",
                AuthMessage {
                    key_id: "key-2",
                    ..base
                },
            ),
            (
                "another time",
                AuthMessage {
                    timestamp_ms: 6,
                    ..base
                },
            ),
            (
                "another question",
                AuthMessage {
                    params: AuthParams::Licence {
                        commitment: &other_commitment,
                    },
                    ..base
                },
            ),
        ];
        for (what, variant) in variants {
            assert_ne!(base.digest(), variant.digest(), "{what}");
        }
        // The domain is versioned: a version-1 digest of the same fields differs.
        assert!(VERIFIER_AUTH_CONTEXT.ends_with("v2"));
    }

    #[test]
    fn version_one_and_unknown_versions_refused_by_name() {
        for (version, named) in [
            (None, "version 1"),
            (Some(1), "version 1"),
            (Some(3), "version 3"),
        ] {
            match check_version(version) {
                Err(RpcError::AuthFailed(reason)) => assert!(reason.contains(named), "{reason}"),
                other => panic!("{version:?}: {other:?}"),
            }
        }
        assert!(check_version(Some(AUTH_VERSION)).is_ok());
        let key = SigningKey::from_bytes(&[5; 32]);
        let did = DidId([1; 16]);
        let signed = AuthMessage {
            chain_id: "yrd-a",
            node_key: &[3; 32],
            method: "licence_get",
            did: &did,
            key_id: "key-1",
            timestamp_ms: 5,
            params: AuthParams::Licence {
                commitment: &[7; 32],
            },
        }
        .sign(&key);
        assert_eq!(
            signed.version,
            Some(AUTH_VERSION),
            "the signer names its version"
        );
    }

    #[test]
    fn replay_cache_refuses_reuse_expires_and_is_bounded() {
        let did = DidId([1; 16]);
        let cache = ReplayCache::new(2, 2).unwrap();
        cache.insert(did, [1; 64], 100, 0).unwrap();
        assert!(matches!(
            cache.insert(did, [1; 64], 100, 50),
            Err(RpcError::AuthFailed(_))
        ));
        cache.insert(did, [2; 64], 100, 50).unwrap();
        assert!(matches!(
            cache.insert(did, [3; 64], 100, 50),
            Err(RpcError::Busy { .. })
        ));
        // Past their expiry both leave the cache.
        cache.insert(did, [3; 64], 300, 101).unwrap();
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn one_did_flooding_neither_evicts_nor_blocks_another() {
        let flooder = DidId([1; 16]);
        let honest = DidId([2; 16]);
        // Room for 4 DIDs of 3 signatures each.
        let cache = ReplayCache::new(12, 3).unwrap();
        cache.insert(honest, [0xaa; 64], 1_000, 0).unwrap();
        let mut busy = 0;
        for i in 0..100u8 {
            match cache.insert(flooder, [i; 64], 1_000, 0) {
                Ok(()) => {}
                Err(RpcError::Busy { .. }) => busy += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(busy, 97, "the flooder is held to its own bucket");
        // The honest DID's accepted signature is still remembered (a replay is still refused)...
        assert!(matches!(
            cache.insert(honest, [0xaa; 64], 1_000, 0),
            Err(RpcError::AuthFailed(_))
        ));
        // ...and its new requests are still accepted, up to its own bucket.
        cache.insert(honest, [0xbb; 64], 1_000, 0).unwrap();
        cache.insert(honest, [0xcc; 64], 1_000, 0).unwrap();
        assert!(matches!(
            cache.insert(honest, [0xdd; 64], 1_000, 0),
            Err(RpcError::Busy { .. })
        ));
        // A third DID still finds a bucket.
        cache.insert(DidId([3; 16]), [0xee; 64], 1_000, 0).unwrap();
    }

    #[test]
    fn buckets_bounded_when_many_dids_hold_signatures() {
        let cache = ReplayCache::new(4, 2).unwrap();
        cache.insert(DidId([1; 16]), [1; 64], 100, 0).unwrap();
        cache.insert(DidId([2; 16]), [2; 64], 100, 0).unwrap();
        assert!(matches!(
            cache.insert(DidId([3; 16]), [3; 64], 100, 0),
            Err(RpcError::Busy { .. })
        ));
        // A DID that already has a bucket keeps using it.
        cache.insert(DidId([1; 16]), [4; 64], 100, 0).unwrap();
        // Once the others expire, the new DID gets one.
        cache.insert(DidId([3; 16]), [3; 64], 300, 101).unwrap();
    }

    #[test]
    fn replay_cache_bounds_validated() {
        assert!(ReplayCache::new(10, 0).is_err());
        assert!(ReplayCache::new(10, 11).is_err());
        assert!(ReplayCache::new(10, 10).is_ok());
    }
}
