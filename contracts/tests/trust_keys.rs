//! Attacks with unusable ed25519 keys: small-order (the identity point) and non-canonical
//! encodings refused in the genesis, in governance actions adding validators or authorities, and
//! in issuer accreditation.

mod common;

use common::*;
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::tx::{AccreditIssuer, GovernanceAction, SubjectKind};
use yrd_contracts::{ProvinceCode, State, TxPayload};

/// The identity point: y = 1, of small order.
fn identity() -> [u8; 32] {
    let mut k = [0u8; 32];
    k[0] = 1;
    k
}

/// A non-canonical encoding: y = p + 1 (p = 2^255 - 19), another spelling of y = 1.
fn non_canonical() -> [u8; 32] {
    let mut k = [0xffu8; 32];
    k[0] = 0xee;
    k[31] = 0x7f;
    k
}

/// Another non-canonical spelling: y = p + 3.
fn non_canonical_ordinary() -> [u8; 32] {
    let mut k = [0xffu8; 32];
    k[0] = 0xf0;
    k[31] = 0x7f;
    k
}

fn bad_keys() -> [[u8; 32]; 3] {
    [identity(), non_canonical(), non_canonical_ordinary()]
}

#[test]
fn genesis_refuses_small_order_and_non_canonical_keys() {
    for bad in bad_keys() {
        let mut g = genesis();
        g.authorities[0].validator_keys[0] = bad;
        assert!(
            State::genesis(&g, MemoryTreeStore::new()).is_err(),
            "validator {}",
            hex::encode(bad)
        );
        let mut g = genesis();
        g.authorities[1].authority_key = bad;
        assert!(
            State::genesis(&g, MemoryTreeStore::new()).is_err(),
            "authority {}",
            hex::encode(bad)
        );
    }
}

#[test]
fn governance_refuses_small_order_and_non_canonical_validator_and_authority_keys() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    for bad in bad_keys() {
        let validator = GovernanceAction::AddValidator {
            key: bad,
            province: ProvinceCode::JIANGSU,
        };
        assert_eq!(
            chain
                .run(&sh, TxPayload::Propose(validator))
                .unwrap_err()
                .code(),
            200,
            "validator {}",
            hex::encode(bad)
        );
        let member = GovernanceAction::AddMember {
            province: ProvinceCode(370_000),
            authority_key: bad,
        };
        assert_eq!(
            chain
                .run(&sh, TxPayload::Propose(member))
                .unwrap_err()
                .code(),
            200,
            "authority {}",
            hex::encode(bad)
        );
    }
}

#[test]
fn accreditation_refuses_small_order_and_non_canonical_issuer_keys() {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", yrd_contracts::DataClass::Unconditional);
    let did = chain.create_did(ProvinceCode::SHANGHAI, &key(21), SubjectKind::Issuer);
    for bad in bad_keys() {
        let accredit = TxPayload::AccreditIssuer(AccreditIssuer {
            issuer_key: bad,
            issuer_did: did,
            uscc: uscc_for(ProvinceCode::SHANGHAI, &bad),
            licence_types: vec![code.clone()],
        });
        assert_eq!(
            chain
                .run(&authority(ProvinceCode::SHANGHAI), accredit)
                .unwrap_err()
                .code(),
            200,
            "{}",
            hex::encode(bad)
        );
    }
}
