//! Attacks by a suspended or revoked issuer acting through its DID (`acting_did`, key edits).

mod common;

use common::*;
use ed25519_dalek::SigningKey;
use yrd_contracts::tx::{Relationships, StatusReason, VerificationMethodSpec};
use yrd_contracts::types::Fragment;
use yrd_contracts::{DidId, ProvinceCode, TxError, TxPayload};

fn stamp(digest: u8, acting_did: Option<DidId>) -> TxPayload {
    TxPayload::TimestampDocument {
        digest: [digest; 32],
        acting_did,
    }
}

/// A Shanghai issuer (seed 21) with its DID, barred by `payload` (suspend or revoke).
fn barred_issuer(revoke: bool) -> (Chain, SigningKey, DidId) {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", yrd_contracts::DataClass::Unconditional);
    let issuer = key(21);
    let did = chain.accredit(ProvinceCode::SHANGHAI, &issuer, std::slice::from_ref(&code));
    let payload = if revoke {
        TxPayload::RevokeIssuer {
            issuer: pk(&issuer),
            reason: StatusReason::Fraud,
        }
    } else {
        TxPayload::SuspendIssuer {
            issuer: pk(&issuer),
            reason: StatusReason::AdministrativeAction,
        }
    };
    chain
        .run(&authority(ProvinceCode::SHANGHAI), payload)
        .unwrap();
    (chain, issuer, did)
}

#[test]
fn revoked_issuer_cannot_timestamp_via_acting_did() {
    let (mut chain, issuer, did) = barred_issuer(true);
    assert_eq!(
        chain.run(&issuer, stamp(1, Some(did))),
        Err(TxError::IssuerRevoked {
            issuer: pk(&issuer)
        })
    );
}

#[test]
fn suspended_issuer_cannot_timestamp_via_acting_did() {
    let (mut chain, issuer, did) = barred_issuer(false);
    assert_eq!(
        chain.run(&issuer, stamp(1, Some(did))),
        Err(TxError::IssuerSuspended {
            issuer: pk(&issuer)
        })
    );
}

#[test]
fn revoked_issuer_cannot_edit_its_did_keys() {
    let (mut chain, issuer, did) = barred_issuer(true);
    let add = TxPayload::DidAddVerificationMethod {
        did,
        method: VerificationMethodSpec {
            fragment: Fragment("key-2".into()),
            key: pk(&key(73)),
            relationships: Relationships::ALL,
        },
    };
    assert_eq!(chain.run(&issuer, add).unwrap_err().code(), 304);
    let rotate = TxPayload::DidRotateKey {
        did,
        fragment: Fragment("key-1".into()),
        new_key: pk(&key(74)),
    };
    assert_eq!(chain.run(&issuer, rotate).unwrap_err().code(), 304);
    // It may still give the DID up.
    chain
        .run(&issuer, TxPayload::DidDeactivate { did })
        .unwrap();
}

#[test]
fn key_added_before_revocation_cannot_act_for_the_issuer_did() {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", yrd_contracts::DataClass::Unconditional);
    let issuer = key(21);
    let did = chain.accredit(ProvinceCode::SHANGHAI, &issuer, std::slice::from_ref(&code));
    let spare = key(75);
    chain
        .run(
            &issuer,
            TxPayload::DidAddVerificationMethod {
                did,
                method: VerificationMethodSpec {
                    fragment: Fragment("key-2".into()),
                    key: pk(&spare),
                    relationships: Relationships::ALL,
                },
            },
        )
        .unwrap();
    // While active, the issuer itself may act for its DID.
    chain.run(&issuer, stamp(1, Some(did))).unwrap();
    chain
        .run(
            &authority(ProvinceCode::SHANGHAI),
            TxPayload::RevokeIssuer {
                issuer: pk(&issuer),
                reason: StatusReason::KeyCompromise,
            },
        )
        .unwrap();
    assert_eq!(
        chain.run(&spare, stamp(2, Some(did))),
        Err(TxError::NotRegisteredParty { signer: pk(&spare) })
    );
}
