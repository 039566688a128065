//! Valid samples of everything the contracts crate decodes from outside: one signed transaction
//! per payload kind, a genesis, a batch proof. Shared by the mutation property tests and the
//! `fuzz/` targets (which include this file by path), so both start from inputs that reach past
//! the first tag byte.
#![allow(dead_code)]

use ed25519_dalek::SigningKey;
use yrd_contracts::batch::{BatchProof, BatchTree};
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::records::IssuerRevocationRule;
use yrd_contracts::tx::{
    AccreditIssuer, AnchorBatch, AnchorLicence, BatchMembership, DeclareRecognition, DidCreate,
    GovernanceAction, LicenceStatusChange, LicenceTarget, LicenceTypeSpec, RecognitionCondition,
    Relationships, RenewLicence, ServiceSpec, StatusReason, SubjectKind, VerificationMethodSpec,
};
use yrd_contracts::types::Fragment;
use yrd_contracts::{
    ChainId, DataClass, DidId, Genesis, GenesisAuthority, LicenceTypeCode, Parameters,
    ProvinceCode, SignedTx, TxBody, TxPayload,
};

/// A deterministic signing key.
pub fn sample_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// A valid GB 32100 code in Shanghai.
pub fn sample_uscc() -> Uscc {
    Uscc::with_check_character("91310000MA1FL8TQ3").unwrap()
}

fn type_code() -> LicenceTypeCode {
    LicenceTypeCode("11100000000013338W009".into())
}

fn did(seed: u8) -> DidId {
    DidId([seed; 16])
}

fn target(batched: bool) -> LicenceTarget {
    LicenceTarget {
        issuer: sample_uscc(),
        commitment: [0x42; 32],
        batch: batched.then(|| BatchMembership {
            root: [0x43; 32],
            proof: sample_batch_proof(),
        }),
    }
}

/// A real inclusion proof: leaf 5 of a batch of 11.
pub fn sample_batch_proof() -> BatchProof {
    let leaves: Vec<[u8; 32]> = (0..11u8).map(|i| [i; 32]).collect();
    BatchTree::build(leaves)
        .and_then(|tree| tree.proof(5))
        .unwrap()
}

fn service(fragment: &str) -> ServiceSpec {
    ServiceSpec {
        fragment: Fragment(fragment.into()),
        service_type: "LicenceRegistry".into(),
        endpoint: "https://registry.example.org/api".into(),
    }
}

/// One payload of every kind (every `TxPayload` variant, and every `GovernanceAction`).
pub fn every_payload() -> Vec<TxPayload> {
    let key = [0x21; 32];
    let spec = LicenceTypeSpec {
        code: type_code(),
        name: "营业执照".into(),
        schema_digest: [0x31; 32],
        data_class: DataClass::Conditional,
        on_issuer_revoked: IssuerRevocationRule::Invalidate,
    };
    vec![
        TxPayload::Propose(GovernanceAction::AddMember {
            province: ProvinceCode::SHANGHAI,
            authority_key: key,
        }),
        TxPayload::Propose(GovernanceAction::RemoveMember {
            province: ProvinceCode::JIANGSU,
        }),
        TxPayload::Propose(GovernanceAction::AddValidator {
            key,
            province: ProvinceCode::ZHEJIANG,
        }),
        TxPayload::Propose(GovernanceAction::RemoveValidator { key }),
        TxPayload::Propose(GovernanceAction::SetParameters(Parameters::default())),
        TxPayload::Propose(GovernanceAction::RotateAuthorityKey {
            province: ProvinceCode::ANHUI,
            new_key: key,
        }),
        TxPayload::Vote {
            proposal_id: 7,
            approve: true,
        },
        TxPayload::AccreditIssuer(AccreditIssuer {
            issuer_key: key,
            issuer_did: did(1),
            uscc: sample_uscc(),
            licence_types: vec![type_code(), LicenceTypeCode("11100000000013338W010".into())],
        }),
        TxPayload::SuspendIssuer {
            issuer: key,
            reason: StatusReason::AdministrativeAction,
        },
        TxPayload::RevokeIssuer {
            issuer: key,
            reason: StatusReason::Fraud,
        },
        TxPayload::RegisterLicenceType(spec.clone()),
        TxPayload::UpdateLicenceType(spec),
        TxPayload::AnchorLicence(AnchorLicence {
            commitment: [0x42; 32],
            licence_type: type_code(),
            valid_from_ms: 1_735_689_600_000,
            valid_until_ms: 1_767_225_600_000,
        }),
        TxPayload::AnchorBatch(AnchorBatch {
            root: [0x43; 32],
            count: 11,
            licence_type: type_code(),
        }),
        TxPayload::SuspendLicence(LicenceStatusChange {
            target: target(false),
            reason: StatusReason::CourtOrder,
        }),
        TxPayload::RevokeLicence(LicenceStatusChange {
            target: target(true),
            reason: StatusReason::Superseded,
        }),
        TxPayload::ReinstateLicence(LicenceStatusChange {
            target: target(false),
            reason: StatusReason::Resolved,
        }),
        TxPayload::RenewLicence(RenewLicence {
            target: target(true),
            reason: StatusReason::Renewal,
            valid_from_ms: 1_767_225_600_000,
            valid_until_ms: 1_798_761_600_000,
        }),
        TxPayload::DeclareRecognition(DeclareRecognition {
            licence_type: type_code(),
            issuing_province: ProvinceCode::JIANGSU,
            condition: Some(RecognitionCondition::MinRemainingValidityDays { days: 30 }),
        }),
        TxPayload::WithdrawRecognition {
            licence_type: type_code(),
            issuing_province: ProvinceCode::JIANGSU,
        },
        TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Organisation,
            controller_key: key,
            services: vec![service("registry"), service("status")],
        }),
        TxPayload::DidAddVerificationMethod {
            did: did(2),
            method: VerificationMethodSpec {
                fragment: Fragment("key-2".into()),
                key,
                relationships: Relationships::ALL,
            },
        },
        TxPayload::DidRemoveVerificationMethod {
            did: did(2),
            fragment: Fragment("key-2".into()),
        },
        TxPayload::DidAddService {
            did: did(2),
            service: service("registry"),
        },
        TxPayload::DidRemoveService {
            did: did(2),
            fragment: Fragment("registry".into()),
        },
        TxPayload::DidRotateKey {
            did: did(2),
            fragment: Fragment("key-1".into()),
            new_key: key,
        },
        TxPayload::DidAddController {
            did: did(2),
            controller: did(3),
        },
        TxPayload::DidRemoveController {
            did: did(2),
            controller: did(3),
        },
        TxPayload::DidDeactivate { did: did(2) },
        TxPayload::TimestampDocument {
            digest: [0x51; 32],
            acting_did: Some(did(4)),
        },
        TxPayload::RegisterVerifier { verifier: did(5) },
        TxPayload::DeregisterVerifier { verifier: did(5) },
        TxPayload::RegisterObserver { key: [0x61; 32] },
        TxPayload::RemoveObserver { key: [0x61; 32] },
        TxPayload::BindNetworkKey {
            node_key: [0x61; 32],
            network_key: [0x62; 32],
            possession: [0x63; 64],
        },
    ]
}

/// Number of `TxPayload` variants; [`payload_kind`] numbers them.
pub const PAYLOAD_KINDS: usize = 30;

/// The variant of a payload, as a number below [`PAYLOAD_KINDS`]. The match is exhaustive, so a
/// new variant fails to compile here until it is numbered (and given a sample above).
pub fn payload_kind(payload: &TxPayload) -> usize {
    match payload {
        TxPayload::Propose(_) => 0,
        TxPayload::Vote { .. } => 1,
        TxPayload::AccreditIssuer(_) => 2,
        TxPayload::SuspendIssuer { .. } => 3,
        TxPayload::RevokeIssuer { .. } => 4,
        TxPayload::RegisterLicenceType(_) => 5,
        TxPayload::UpdateLicenceType(_) => 6,
        TxPayload::AnchorLicence(_) => 7,
        TxPayload::AnchorBatch(_) => 8,
        TxPayload::SuspendLicence(_) => 9,
        TxPayload::RevokeLicence(_) => 10,
        TxPayload::ReinstateLicence(_) => 11,
        TxPayload::RenewLicence(_) => 12,
        TxPayload::DeclareRecognition(_) => 13,
        TxPayload::WithdrawRecognition { .. } => 14,
        TxPayload::DidCreate(_) => 15,
        TxPayload::DidAddVerificationMethod { .. } => 16,
        TxPayload::DidRemoveVerificationMethod { .. } => 17,
        TxPayload::DidAddService { .. } => 18,
        TxPayload::DidRemoveService { .. } => 19,
        TxPayload::DidRotateKey { .. } => 20,
        TxPayload::DidAddController { .. } => 21,
        TxPayload::DidRemoveController { .. } => 22,
        TxPayload::DidDeactivate { .. } => 23,
        TxPayload::TimestampDocument { .. } => 24,
        TxPayload::RegisterVerifier { .. } => 25,
        TxPayload::DeregisterVerifier { .. } => 26,
        TxPayload::RegisterObserver { .. } => 27,
        TxPayload::RemoveObserver { .. } => 28,
        TxPayload::BindNetworkKey { .. } => 29,
    }
}

/// `payload` in a transaction signed by a fixed key.
pub fn sample_tx(payload: TxPayload) -> SignedTx {
    let key = sample_key(9);
    TxBody {
        chain_id: ChainId("yrd-sample".into()),
        signer: key.verifying_key().to_bytes(),
        nonce: 3,
        expiry_height: 1_000,
        payload,
    }
    .sign(&key)
}

/// Every payload kind, signed.
pub fn every_signed_tx() -> Vec<SignedTx> {
    every_payload().into_iter().map(sample_tx).collect()
}

/// A valid genesis: four provinces, one validator each.
pub fn sample_genesis() -> Genesis {
    let provinces = [
        ProvinceCode::SHANGHAI,
        ProvinceCode::JIANGSU,
        ProvinceCode::ZHEJIANG,
        ProvinceCode::ANHUI,
    ];
    Genesis {
        chain_id: ChainId("yrd-sample".into()),
        genesis_time_ms: 1_735_689_600_000,
        authorities: provinces
            .iter()
            .zip(1u8..)
            .map(|(province, seed)| GenesisAuthority {
                province: *province,
                authority_key: sample_key(seed).verifying_key().to_bytes(),
                validator_keys: vec![sample_key(seed + 10).verifying_key().to_bytes()],
            })
            .collect(),
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::default(),
        network_keys: Vec::new(),
    }
}
