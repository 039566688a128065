//! Attack on the DID version cap: a controller fills a DID's versions with ordinary edits so that
//! it can no longer rotate its key or be deactivated.

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use yrd_contracts::limits::{DID_VERSIONS_RESERVED, MAX_DID_VERSIONS};
use yrd_contracts::query;
use yrd_contracts::tx::{ServiceSpec, SubjectKind};
use yrd_contracts::types::Fragment;
use yrd_contracts::{DidId, ProvinceCode, TxError, TxPayload};

fn service(fragment: &str) -> ServiceSpec {
    ServiceSpec {
        fragment: Fragment(fragment.into()),
        service_type: "LinkedDomains".into(),
        endpoint: "https://example.org/".into(),
    }
}

/// A fresh key per rotation.
fn rotation_key(i: u16) -> SigningKey {
    let mut seed = [0xa7u8; 32];
    seed[..2].copy_from_slice(&i.to_be_bytes());
    SigningKey::from_bytes(&seed)
}

fn latest_version(chain: &Chain, did: &DidId) -> u32 {
    query::did_resolve(&chain.state.snapshot(), did, None)
        .unwrap()
        .unwrap()
        .did_document_metadata
        .version_id
        .parse()
        .unwrap()
}

/// Alternately adds and removes a service, many per block, until an edit is refused; returns the
/// refusal.
fn edit_until_refused(chain: &mut Chain, controller: &SigningKey, did: DidId) -> TxError {
    let mut added = false;
    loop {
        let mut payloads = Vec::new();
        for _ in 0..500 {
            payloads.push(if added {
                TxPayload::DidRemoveService {
                    did,
                    fragment: Fragment("svc".into()),
                }
            } else {
                TxPayload::DidAddService {
                    did,
                    service: service("svc"),
                }
            });
            added = !added;
        }
        let txs = chain.txs(controller, payloads);
        let outcome = chain.apply(&txs);
        if let Some((_, e)) = outcome.errors.into_iter().next() {
            return e;
        }
    }
}

#[test]
fn did_at_its_version_cap_can_still_rotate_and_deactivate() {
    let mut chain = Chain::new();
    let controller = key(71);
    let did = chain.create_did(
        ProvinceCode::ZHEJIANG,
        &controller,
        SubjectKind::Organisation,
    );
    let refused = edit_until_refused(&mut chain, &controller, did);
    let ordinary_cap = MAX_DID_VERSIONS - DID_VERSIONS_RESERVED;
    assert_eq!(
        refused,
        TxError::LimitReached {
            what: "DID versions",
            max: u64::from(ordinary_cap)
        }
    );
    assert_eq!(latest_version(&chain, &did), ordinary_cap);
    // Rotation still works at the ordinary cap, up to the last-but-one version.
    let mut current = controller;
    let mut rotations = 0u16;
    while latest_version(&chain, &did) < MAX_DID_VERSIONS - 1 {
        rotations += 1;
        let next = rotation_key(rotations);
        chain
            .run(
                &current,
                TxPayload::DidRotateKey {
                    did,
                    fragment: Fragment("key-1".into()),
                    new_key: pk(&next),
                },
            )
            .unwrap();
        current = next;
    }
    assert_eq!(u32::from(rotations), DID_VERSIONS_RESERVED - 1);
    // Beyond that only deactivation.
    let next = key(72);
    assert_eq!(
        chain
            .run(
                &current,
                TxPayload::DidRotateKey {
                    did,
                    fragment: Fragment("key-1".into()),
                    new_key: pk(&next),
                },
            )
            .unwrap_err()
            .code(),
        404
    );
    chain
        .run(&current, TxPayload::DidDeactivate { did })
        .unwrap();
    let resolved = query::did_resolve(&chain.state.snapshot(), &did, None)
        .unwrap()
        .unwrap();
    assert!(resolved.did_document_metadata.deactivated);
    assert_eq!(latest_version(&chain, &did), MAX_DID_VERSIONS);
}
