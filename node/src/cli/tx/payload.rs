//! From command-line arguments to the transaction payload.

use anyhow::{Context, bail};
use yrd_contracts::TxPayload;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::tx::{
    AccreditIssuer, AnchorBatch, AnchorLicence, DeclareRecognition, DidCreate, GovernanceAction,
    LicenceStatusChange, LicenceTypeSpec, RecognitionCondition, Relationships, RenewLicence,
    ServiceSpec, VerificationMethodSpec,
};
use yrd_contracts::types::{Fragment, LicenceTypeCode};

use super::kinds::{TxKind, TypeArgs};
use super::parse::parse_hex32;

pub(super) fn build_payload(kind: &TxKind, chain_id: &str) -> anyhow::Result<TxPayload> {
    Ok(match kind {
        TxKind::ProposeAddMember {
            province,
            authority_key,
        } => TxPayload::Propose(GovernanceAction::AddMember {
            province: *province,
            authority_key: *authority_key,
        }),
        TxKind::ProposeRemoveMember { province } => {
            TxPayload::Propose(GovernanceAction::RemoveMember {
                province: *province,
            })
        }
        TxKind::ProposeAddValidator {
            validator_key,
            province,
        } => TxPayload::Propose(GovernanceAction::AddValidator {
            key: *validator_key,
            province: *province,
        }),
        TxKind::ProposeRemoveValidator { validator_key } => {
            TxPayload::Propose(GovernanceAction::RemoveValidator {
                key: *validator_key,
            })
        }
        TxKind::ProposeRotateAuthorityKey { province, new_key } => {
            TxPayload::Propose(GovernanceAction::RotateAuthorityKey {
                province: *province,
                new_key: *new_key,
            })
        }
        TxKind::ProposeSetParameters {
            quorum_numerator,
            quorum_denominator,
            proposal_ttl_blocks,
            max_tx_bytes,
        } => TxPayload::Propose(GovernanceAction::SetParameters(yrd_contracts::Parameters {
            quorum_numerator: *quorum_numerator,
            quorum_denominator: *quorum_denominator,
            proposal_ttl_blocks: *proposal_ttl_blocks,
            max_tx_bytes: *max_tx_bytes,
        })),
        TxKind::Vote { proposal, reject } => TxPayload::Vote {
            proposal_id: *proposal,
            approve: !reject,
        },
        TxKind::AccreditIssuer {
            issuer_key,
            issuer_did,
            uscc,
            types,
        } => {
            let mut licence_types: Vec<LicenceTypeCode> =
                types.iter().map(|t| LicenceTypeCode(t.clone())).collect();
            licence_types.sort();
            licence_types.dedup();
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: *issuer_key,
                issuer_did: *issuer_did,
                uscc: uscc.clone(),
                licence_types,
            })
        }
        TxKind::SuspendIssuer { issuer_key, reason } => TxPayload::SuspendIssuer {
            issuer: *issuer_key,
            reason: *reason,
        },
        TxKind::RevokeIssuer { issuer_key, reason } => TxPayload::RevokeIssuer {
            issuer: *issuer_key,
            reason: *reason,
        },
        TxKind::RegisterType(t) => TxPayload::RegisterLicenceType(type_spec(t)),
        TxKind::UpdateType(t) => TxPayload::UpdateLicenceType(type_spec(t)),
        TxKind::Anchor {
            licence,
            licence_type,
            valid_from,
            valid_until,
        } => TxPayload::AnchorLicence(AnchorLicence {
            commitment: licence.resolve()?.commitment,
            licence_type: LicenceTypeCode(licence_type.clone()),
            valid_from_ms: *valid_from,
            valid_until_ms: *valid_until,
        }),
        TxKind::AnchorBatch {
            leaves,
            licence_type,
        } => {
            let text = std::fs::read_to_string(leaves)
                .with_context(|| format!("reading {}", leaves.display()))?;
            let mut commitments = Vec::new();
            for (line_no, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                commitments.push(
                    parse_hex32(line.trim())
                        .map_err(|e| anyhow::anyhow!("line {}: {e}", line_no + 1))?,
                );
            }
            let count = commitments.len() as u64;
            let tree = BatchTree::build(commitments).map_err(|e| anyhow::anyhow!("batch: {e}"))?;
            eprintln!(
                "batch root {} over {count} commitments",
                hex::encode(tree.root())
            );
            TxPayload::AnchorBatch(AnchorBatch {
                root: tree.root(),
                count,
                licence_type: LicenceTypeCode(licence_type.clone()),
            })
        }
        TxKind::SuspendLicence(s) => TxPayload::SuspendLicence(LicenceStatusChange {
            target: s.target()?,
            reason: s.reason,
        }),
        TxKind::RevokeLicence(s) => TxPayload::RevokeLicence(LicenceStatusChange {
            target: s.target()?,
            reason: s.reason,
        }),
        TxKind::ReinstateLicence(s) => TxPayload::ReinstateLicence(LicenceStatusChange {
            target: s.target()?,
            reason: s.reason,
        }),
        TxKind::RenewLicence {
            status,
            valid_from,
            valid_until,
        } => TxPayload::RenewLicence(RenewLicence {
            target: status.target()?,
            reason: status.reason,
            valid_from_ms: *valid_from,
            valid_until_ms: *valid_until,
        }),
        TxKind::DeclareRecognition {
            licence_type,
            issuing_province,
            min_remaining_days,
        } => TxPayload::DeclareRecognition(DeclareRecognition {
            licence_type: LicenceTypeCode(licence_type.clone()),
            issuing_province: *issuing_province,
            condition: min_remaining_days
                .map(|days| RecognitionCondition::MinRemainingValidityDays { days }),
        }),
        TxKind::WithdrawRecognition {
            licence_type,
            issuing_province,
        } => TxPayload::WithdrawRecognition {
            licence_type: LicenceTypeCode(licence_type.clone()),
            issuing_province: *issuing_province,
        },
        TxKind::DidCreate {
            subject,
            controller_key,
        } => TxPayload::DidCreate(DidCreate {
            subject: *subject,
            controller_key: *controller_key,
            services: Vec::new(),
        }),
        TxKind::DidAddKey {
            did,
            fragment,
            public_key,
            controlling,
        } => TxPayload::DidAddVerificationMethod {
            did: *did,
            method: VerificationMethodSpec {
                fragment: Fragment(fragment.clone()),
                key: *public_key,
                relationships: Relationships {
                    authentication: true,
                    assertion_method: true,
                    capability_invocation: *controlling,
                    capability_delegation: false,
                },
            },
        },
        TxKind::DidRemoveKey { did, fragment } => TxPayload::DidRemoveVerificationMethod {
            did: *did,
            fragment: Fragment(fragment.clone()),
        },
        TxKind::DidAddService {
            did,
            fragment,
            service_type,
            endpoint,
        } => TxPayload::DidAddService {
            did: *did,
            service: ServiceSpec {
                fragment: Fragment(fragment.clone()),
                service_type: service_type.clone(),
                endpoint: endpoint.clone(),
            },
        },
        TxKind::DidRemoveService { did, fragment } => TxPayload::DidRemoveService {
            did: *did,
            fragment: Fragment(fragment.clone()),
        },
        TxKind::DidRotateKey {
            did,
            fragment,
            new_key,
        } => TxPayload::DidRotateKey {
            did: *did,
            fragment: Fragment(fragment.clone()),
            new_key: *new_key,
        },
        TxKind::DidAddController { did, controller } => TxPayload::DidAddController {
            did: *did,
            controller: *controller,
        },
        TxKind::DidRemoveController { did, controller } => TxPayload::DidRemoveController {
            did: *did,
            controller: *controller,
        },
        TxKind::DidDeactivate { did } => TxPayload::DidDeactivate { did: *did },
        TxKind::Timestamp { digest, acting_did } => TxPayload::TimestampDocument {
            digest: *digest,
            acting_did: *acting_did,
        },
        TxKind::RegisterVerifier { verifier } => TxPayload::RegisterVerifier {
            verifier: *verifier,
        },
        TxKind::DeregisterVerifier { verifier } => TxPayload::DeregisterVerifier {
            verifier: *verifier,
        },
        TxKind::RegisterObserver { node_key } => TxPayload::RegisterObserver { key: *node_key },
        TxKind::RemoveObserver { node_key } => TxPayload::RemoveObserver { key: *node_key },
        TxKind::BindNetworkKey { node_key_file } => {
            yrd_node::keys::read_ledger_key(node_key_file)?.network_binding(chain_id)
        }
        TxKind::Commitment { .. } => bail!("commitment submits nothing"),
    })
}

fn type_spec(t: &TypeArgs) -> LicenceTypeSpec {
    LicenceTypeSpec {
        code: LicenceTypeCode(t.code.clone()),
        name: t.name.clone(),
        schema_digest: t.schema_digest,
        data_class: t.data_class,
        on_issuer_revoked: t.on_issuer_revoked,
    }
}
