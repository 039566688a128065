//! The did:yrd registry: every operation, control rules, versions and the W3C rendering.

mod common;

use common::*;
use yrd_contracts::did_id::ed25519_multibase;
use yrd_contracts::limits::MAX_VERIFICATION_METHODS;
use yrd_contracts::query;
use yrd_contracts::tx::{
    DidCreate, Relationships, ServiceSpec, SubjectKind, VerificationMethodSpec,
};
use yrd_contracts::types::Fragment;
use yrd_contracts::{DidId, ProvinceCode, TxError, TxPayload};

fn method(fragment: &str, seed: u8, relationships: Relationships) -> VerificationMethodSpec {
    VerificationMethodSpec {
        fragment: Fragment(fragment.into()),
        key: pk(&key(seed)),
        relationships,
    }
}

const AUTH_ONLY: Relationships = Relationships {
    authentication: true,
    assertion_method: false,
    capability_invocation: false,
    capability_delegation: false,
};

fn service(fragment: &str) -> ServiceSpec {
    ServiceSpec {
        fragment: Fragment(fragment.into()),
        service_type: "LinkedDomains".into(),
        endpoint: "https://firm.example".into(),
    }
}

#[test]
fn create_and_render_w3c_json() {
    let mut chain = Chain::new();
    let firm = key(40);
    let sh = authority(ProvinceCode::SHANGHAI);
    let did = DidId::derive(&pk(&sh), chain.nonce_of(&sh));
    chain
        .run(
            &sh,
            TxPayload::DidCreate(DidCreate {
                subject: SubjectKind::Organisation,
                controller_key: pk(&firm),
                services: vec![service("site")],
            }),
        )
        .unwrap();
    let resolved = query::did_resolve(&chain.state.snapshot(), &did, None)
        .unwrap()
        .unwrap();
    let json = serde_json::to_value(&resolved).unwrap();
    let id = did.to_string();
    assert_eq!(
        json["didDocument"]["@context"][0],
        "https://www.w3.org/ns/did/v1"
    );
    assert_eq!(json["didDocument"]["id"], id);
    let vm = &json["didDocument"]["verificationMethod"][0];
    assert_eq!(vm["id"], format!("{id}#key-1"));
    assert_eq!(vm["type"], "Multikey");
    assert_eq!(vm["controller"], id);
    assert_eq!(vm["publicKeyMultibase"], ed25519_multibase(&pk(&firm)));
    assert!(
        vm["publicKeyMultibase"]
            .as_str()
            .unwrap()
            .starts_with("z6Mk")
    );
    for relationship in [
        "authentication",
        "assertionMethod",
        "capabilityInvocation",
        "capabilityDelegation",
    ] {
        assert_eq!(
            json["didDocument"][relationship][0],
            format!("{id}#key-1"),
            "{relationship}"
        );
    }
    assert_eq!(
        json["didDocument"]["service"][0]["serviceEndpoint"],
        "https://firm.example"
    );
    assert_eq!(json["didDocument"]["service"][0]["type"], "LinkedDomains");
    assert!(json["didDocument"].get("controller").is_none());
    let meta = &json["didDocumentMetadata"];
    assert_eq!(meta["versionId"], "1");
    assert_eq!(meta["deactivated"], false);
    assert_eq!(meta["created"], "2025-01-01T00:00:02Z");
    assert_eq!(meta["created"], meta["updated"]);
    assert_eq!(
        json["didResolutionMetadata"]["contentType"],
        "application/did+ld+json"
    );
}

#[test]
fn every_operation_makes_a_new_version_and_old_ones_stay() {
    let mut chain = Chain::new();
    let firm = key(40);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &firm, SubjectKind::Organisation);
    chain
        .run(
            &firm,
            TxPayload::DidAddVerificationMethod {
                did,
                method: method("key-2", 41, AUTH_ONLY),
            },
        )
        .unwrap();
    chain
        .run(
            &firm,
            TxPayload::DidAddService {
                did,
                service: service("site"),
            },
        )
        .unwrap();
    chain
        .run(
            &firm,
            TxPayload::DidRotateKey {
                did,
                fragment: Fragment("key-2".into()),
                new_key: pk(&key(42)),
            },
        )
        .unwrap();
    chain
        .run(
            &firm,
            TxPayload::DidRemoveService {
                did,
                fragment: Fragment("site".into()),
            },
        )
        .unwrap();
    chain
        .run(
            &firm,
            TxPayload::DidRemoveVerificationMethod {
                did,
                fragment: Fragment("key-2".into()),
            },
        )
        .unwrap();
    let other = chain.create_did(ProvinceCode::SHANGHAI, &key(43), SubjectKind::Organisation);
    chain
        .run(
            &firm,
            TxPayload::DidAddController {
                did,
                controller: other,
            },
        )
        .unwrap();
    // The controller DID's key now controls this DID.
    chain
        .run(
            &key(43),
            TxPayload::DidAddService {
                did,
                service: service("by-controller"),
            },
        )
        .unwrap();
    chain
        .run(
            &firm,
            TxPayload::DidRemoveController {
                did,
                controller: other,
            },
        )
        .unwrap();
    assert_eq!(
        chain
            .run(
                &key(43),
                TxPayload::DidRemoveService {
                    did,
                    fragment: Fragment("by-controller".into())
                }
            )
            .unwrap_err()
            .code(),
        // Its controller DID was removed: it controls nothing any more, so it has no role.
        109
    );
    chain.run(&firm, TxPayload::DidDeactivate { did }).unwrap();

    let snapshot = chain.state.snapshot();
    let latest = query::did_resolve(&snapshot, &did, None).unwrap().unwrap();
    assert_eq!(latest.did_document_metadata.version_id, "10");
    assert!(latest.did_document_metadata.deactivated);
    // Version 2 had key-2 with its first key; version 4 the rotated key.
    let v2 = query::did_resolve(&snapshot, &did, Some(2))
        .unwrap()
        .unwrap();
    assert_eq!(
        v2.did_document.verification_method[1].public_key_multibase,
        ed25519_multibase(&pk(&key(41)))
    );
    assert_eq!(v2.did_document.authentication.len(), 2);
    assert_eq!(v2.did_document.capability_invocation.len(), 1);
    assert_eq!(
        v2.did_document_metadata.next_version_id.as_deref(),
        Some("3")
    );
    let v4 = query::did_resolve(&snapshot, &did, Some(4))
        .unwrap()
        .unwrap();
    assert_eq!(
        v4.did_document.verification_method[1].public_key_multibase,
        ed25519_multibase(&pk(&key(42)))
    );
    let v7 = query::did_resolve(&snapshot, &did, Some(7))
        .unwrap()
        .unwrap();
    assert_eq!(
        v7.did_document.controller,
        vec![did.to_string(), other.to_string()]
    );
    assert!(v7.did_document_metadata.updated > v2.did_document_metadata.updated);
    assert_eq!(
        v7.did_document_metadata.created,
        v2.did_document_metadata.created
    );
    assert!(
        query::did_resolve(&snapshot, &did, Some(11))
            .unwrap()
            .is_none()
    );
    assert!(
        query::did_resolve(&snapshot, &did, Some(0))
            .unwrap()
            .is_none()
    );
    // Deactivated is final.
    assert_eq!(
        chain.run(
            &firm,
            TxPayload::DidAddService {
                did,
                service: service("late")
            }
        ),
        Err(TxError::DidDeactivated {
            did: did.to_string()
        })
    );
}

#[test]
fn control_rules() {
    let mut chain = Chain::new();
    let firm = key(40);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &firm, SubjectKind::Organisation);
    // Only an authority creates DIDs.
    let create = TxPayload::DidCreate(DidCreate {
        subject: SubjectKind::Organisation,
        controller_key: pk(&key(44)),
        services: vec![],
    });
    // (The firm's key controls only its own DID: for a creation it has no role.)
    assert_eq!(chain.run(&firm, create).unwrap_err().code(), 109);
    // A stranger (no role at all), and even the creating authority, do not control it.
    let stranger = key(45);
    assert_eq!(
        chain.run(&stranger, TxPayload::DidDeactivate { did }),
        Err(TxError::UnregisteredSigner {
            signer: pk(&stranger)
        })
    );
    let creator = authority(ProvinceCode::SHANGHAI);
    assert_eq!(
        chain.run(&creator, TxPayload::DidDeactivate { did }),
        Err(TxError::NotDidController {
            did: did.to_string(),
            signer: pk(&creator)
        })
    );
    // A key listed only for authentication does not control it.
    chain
        .run(
            &firm,
            TxPayload::DidAddVerificationMethod {
                did,
                method: method("auth", 46, AUTH_ONLY),
            },
        )
        .unwrap();
    assert_eq!(
        chain
            .run(&key(46), TxPayload::DidDeactivate { did })
            .unwrap_err()
            .code(),
        109
    );
    // The last capabilityInvocation key cannot go.
    assert_eq!(
        chain.run(
            &firm,
            TxPayload::DidRemoveVerificationMethod {
                did,
                fragment: Fragment("key-1".into())
            }
        ),
        Err(TxError::WouldEmpty {
            what: "capabilityInvocation key or controller"
        })
    );
    // Duplicate fragments (across methods and services) and keys.
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidAddService {
                    did,
                    service: service("auth")
                }
            )
            .unwrap_err()
            .code(),
        401
    );
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidAddVerificationMethod {
                    did,
                    method: method("other", 46, AUTH_ONLY)
                }
            )
            .unwrap_err()
            .code(),
        401
    );
    // Unknown fragments.
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidRemoveService {
                    did,
                    fragment: Fragment("none".into())
                }
            )
            .unwrap_err()
            .code(),
        400
    );
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidRotateKey {
                    did,
                    fragment: Fragment("none".into()),
                    new_key: pk(&key(47))
                }
            )
            .unwrap_err()
            .code(),
        400
    );
    // Self as controller, unknown controller.
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidAddController {
                    did,
                    controller: did
                }
            )
            .unwrap_err()
            .code(),
        200
    );
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidAddController {
                    did,
                    controller: DidId([3; 16])
                }
            )
            .unwrap_err()
            .code(),
        400
    );
    // An unknown DID: the firm controls no such DID, so it has no role for it.
    assert_eq!(
        chain
            .run(
                &firm,
                TxPayload::DidDeactivate {
                    did: DidId([3; 16])
                }
            )
            .unwrap_err()
            .code(),
        109
    );
}

#[test]
fn verification_methods_at_their_limit() {
    let mut chain = Chain::new();
    let firm = key(40);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &firm, SubjectKind::Organisation);
    let adds = (2..=MAX_VERIFICATION_METHODS)
        .map(|i| TxPayload::DidAddVerificationMethod {
            did,
            method: method(&format!("key-{i}"), 100 + i as u8, AUTH_ONLY),
        })
        .collect();
    let txs = chain.txs(&firm, adds);
    assert!(chain.apply(&txs).errors.is_empty());
    let over = TxPayload::DidAddVerificationMethod {
        did,
        method: method("key-x", 200, AUTH_ONLY),
    };
    assert_eq!(
        chain.run(&firm, over),
        Err(TxError::LimitReached {
            what: "verification methods",
            max: MAX_VERIFICATION_METHODS as u64
        })
    );
    let doc = query::did_resolve(&chain.state.snapshot(), &did, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        doc.did_document.verification_method.len(),
        MAX_VERIFICATION_METHODS
    );
}

#[test]
fn genesis_authorities_have_dids() {
    let chain = Chain::new();
    for province in PROVINCES {
        let member = query::member_get(&chain.state.snapshot(), province)
            .unwrap()
            .unwrap();
        let doc = query::did_resolve(&chain.state.snapshot(), &member.authority_did, None)
            .unwrap()
            .unwrap();
        assert_eq!(
            doc.did_document.verification_method[0].public_key_multibase,
            ed25519_multibase(&pk(&authority(province)))
        );
    }
}
