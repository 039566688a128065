//! A small ledger built with real signed transactions: four founding provinces; Shanghai
//! registers one licence type per data class, creates DIDs for an issuer, a verifier, a pilot firm
//! and a second (never registered) verifier, accredits the issuer and registers the verifier;
//! Jiangsu recognises Shanghai's unconditional type; the issuer anchors one licence per type; the
//! pilot firm deactivates its DID. The chain ends at height 4.

use std::sync::Arc;

use ed25519_dalek::SigningKey;
use yrd_contracts::tx::{
    AccreditIssuer, AnchorLicence, DeclareRecognition, DidCreate, LicenceStatusChange,
    LicenceTarget, LicenceTypeSpec, StatusReason, SubjectKind, TxPayload,
};
use yrd_contracts::types::{DataClass, Digest32, LicenceTypeCode, ProvinceCode};
use yrd_contracts::{ChainId, DidId, Genesis, GenesisAuthority, Parameters, SignedTx};

use yrd_testkit::{ledger_public, sign_tx};

use super::fake::{EXPIRY_HEIGHT, FakeNode, GENESIS_TIME_MS};

pub const UNCONDITIONAL_TYPE: &str = "U1";
pub const CONDITIONAL_TYPE: &str = "C1";
pub const NON_OPEN_TYPE: &str = "N1";
/// Ten years, in ms.
pub const VALIDITY_MS: u64 = 3_650 * 86_400_000;

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// Keys, DIDs and commitments of the fixture.
pub struct Fixture {
    pub node: Arc<FakeNode>,
    pub chain: ChainId,
    pub shanghai: SigningKey,
    pub jiangsu: SigningKey,
    pub issuer: SigningKey,
    pub verifier: SigningKey,
    pub firm: SigningKey,
    pub stranger: SigningKey,
    pub issuer_did: DidId,
    pub verifier_did: DidId,
    pub firm_did: DidId,
    pub stranger_did: DidId,
    pub unconditional: Digest32,
    pub conditional: Digest32,
    pub non_open: Digest32,
    /// The issuer's next nonce.
    pub issuer_nonce: u64,
    /// The transaction that anchored `unconditional`.
    pub anchor_tx: SignedTx,
}

/// Makes this test binary's suite ([`crate::SUITE`]) the process's, before anything hashes.
pub fn install_suite() {
    if let Err(error) = yrd_consensus::CryptoSuite::install(crate::SUITE) {
        panic!("{error}");
    }
}

pub fn genesis() -> Genesis {
    install_suite();
    let provinces = [
        ProvinceCode::SHANGHAI,
        ProvinceCode::JIANGSU,
        ProvinceCode::ZHEJIANG,
        ProvinceCode::ANHUI,
    ];
    Genesis {
        chain_id: ChainId("yrd-test".into()),
        genesis_time_ms: GENESIS_TIME_MS,
        authorities: provinces
            .iter()
            .zip(0u8..)
            .map(|(province, i)| GenesisAuthority {
                province: *province,
                authority_key: ledger_public(&key(10 + i)),
                validator_keys: vec![ledger_public(&key(20 + i))],
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: crate::SUITE,
        network_keys: Vec::new(),
    }
}

fn licence_type(code: &str, data_class: DataClass) -> TxPayload {
    TxPayload::RegisterLicenceType(LicenceTypeSpec {
        code: LicenceTypeCode(code.into()),
        name: format!("type {code}"),
        schema_digest: [1; 32],
        data_class,
        on_issuer_revoked: Default::default(),
    })
}

/// The fixture issuer's unified social credit code (a Shanghai division, valid check character).
pub const ISSUER_USCC: &str = "91310000MA1FL0001R";

/// [`ISSUER_USCC`] parsed.
pub fn issuer_uscc() -> yrd_contracts::licence_id::Uscc {
    ISSUER_USCC.parse().unwrap()
}

fn did_create(subject: SubjectKind, controller: &SigningKey) -> TxPayload {
    TxPayload::DidCreate(DidCreate {
        subject,
        controller_key: ledger_public(controller),
        services: Vec::new(),
    })
}

fn anchor(commitment: Digest32, code: &str) -> TxPayload {
    TxPayload::AnchorLicence(AnchorLicence {
        commitment,
        licence_type: LicenceTypeCode(code.into()),
        valid_from_ms: GENESIS_TIME_MS,
        valid_until_ms: GENESIS_TIME_MS + VALIDITY_MS,
    })
}

/// A suspension of `commitment` by its issuer.
pub fn suspend(commitment: Digest32) -> TxPayload {
    TxPayload::SuspendLicence(LicenceStatusChange {
        target: LicenceTarget {
            issuer: issuer_uscc(),
            commitment,
            batch: None,
        },
        reason: StatusReason::AdministrativeAction,
    })
}

fn assert_all_succeeded(outcome: &yrd_contracts::BlockOutcome) {
    assert!(
        outcome.errors.is_empty(),
        "fixture transaction refused: {:?}",
        outcome.errors
    );
}

impl Fixture {
    pub fn build() -> Self {
        Self::build_on(FakeNode::new(&genesis()))
    }

    pub fn build_on(node: Arc<FakeNode>) -> Self {
        let chain = node.chain_id.clone();
        let shanghai = key(10);
        let jiangsu = key(11);
        let (issuer, verifier, firm, stranger) = (key(31), key(32), key(33), key(34));
        let sh = ledger_public(&shanghai);
        let issuer_did = DidId::derive(&sh, 3);
        let verifier_did = DidId::derive(&sh, 4);
        let firm_did = DidId::derive(&sh, 5);
        let stranger_did = DidId::derive(&sh, 6);

        assert_all_succeeded(&node.commit(&[
            sign_tx(
                &chain,
                &shanghai,
                0,
                licence_type(UNCONDITIONAL_TYPE, DataClass::Unconditional),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                1,
                licence_type(CONDITIONAL_TYPE, DataClass::Conditional),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                2,
                licence_type(NON_OPEN_TYPE, DataClass::NonOpen),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                3,
                did_create(SubjectKind::Issuer, &issuer),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                4,
                did_create(SubjectKind::Verifier, &verifier),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                5,
                did_create(SubjectKind::Organisation, &firm),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                6,
                did_create(SubjectKind::Verifier, &stranger),
                EXPIRY_HEIGHT,
            ),
        ]));
        let mut types: Vec<LicenceTypeCode> = [UNCONDITIONAL_TYPE, CONDITIONAL_TYPE, NON_OPEN_TYPE]
            .iter()
            .map(|c| LicenceTypeCode((*c).into()))
            .collect();
        types.sort();
        assert_all_succeeded(&node.commit(&[
            sign_tx(
                &chain,
                &shanghai,
                7,
                TxPayload::AccreditIssuer(AccreditIssuer {
                    issuer_key: ledger_public(&issuer),
                    issuer_did,
                    uscc: issuer_uscc(),
                    licence_types: types,
                }),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &shanghai,
                8,
                TxPayload::RegisterVerifier {
                    verifier: verifier_did,
                },
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &jiangsu,
                0,
                TxPayload::DeclareRecognition(DeclareRecognition {
                    licence_type: LicenceTypeCode(UNCONDITIONAL_TYPE.into()),
                    issuing_province: ProvinceCode::SHANGHAI,
                    condition: None,
                }),
                EXPIRY_HEIGHT,
            ),
        ]));
        let (unconditional, conditional, non_open) = ([0xa1; 32], [0xc1; 32], [0xe1; 32]);
        let anchor_tx = sign_tx(
            &chain,
            &issuer,
            0,
            anchor(unconditional, UNCONDITIONAL_TYPE),
            EXPIRY_HEIGHT,
        );
        assert_all_succeeded(&node.commit(&[
            anchor_tx.clone(),
            sign_tx(
                &chain,
                &issuer,
                1,
                anchor(conditional, CONDITIONAL_TYPE),
                EXPIRY_HEIGHT,
            ),
            sign_tx(
                &chain,
                &issuer,
                2,
                anchor(non_open, NON_OPEN_TYPE),
                EXPIRY_HEIGHT,
            ),
        ]));
        assert_all_succeeded(&node.commit(&[sign_tx(
            &chain,
            &firm,
            0,
            TxPayload::DidDeactivate { did: firm_did },
            EXPIRY_HEIGHT,
        )]));
        Self {
            node,
            chain,
            shanghai,
            jiangsu,
            issuer,
            verifier,
            firm,
            stranger,
            issuer_did,
            verifier_did,
            firm_did,
            stranger_did,
            unconditional,
            conditional,
            non_open,
            issuer_nonce: 3,
            anchor_tx,
        }
    }

    /// Signs a transaction of the issuer with its next nonce.
    pub fn issuer_tx(&mut self, payload: TxPayload) -> SignedTx {
        let tx = sign_tx(
            &self.chain,
            &self.issuer,
            self.issuer_nonce,
            payload,
            EXPIRY_HEIGHT,
        );
        self.issuer_nonce += 1;
        tx
    }
}
