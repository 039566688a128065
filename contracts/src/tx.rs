//! Transaction payloads: every action the ledger knows, as plain data.
//!
//! There is no free-text field a holder's personal data could live in: licences appear only as
//! 32-byte commitments, documents only as 32-byte digests, and the few strings (a licence-type
//! name, a service endpoint of an organisation's DID) are bounded and describe organisations.
//! Stateless checks (lengths, character sets, ranges) are in `crate::tx_checks`
//! ([`TxPayload::validate`]); the rules that need state live in `crate::apply`.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::batch::BatchProof;
use crate::did_id::DidId;
use crate::licence_id::Uscc;
#[allow(unused_imports)] // Named in field docs.
use crate::limits::{
    MAX_ACCREDITED_TYPES, MAX_BATCH_COUNT, MAX_BATCH_PROOF_SIBLINGS, MAX_CONDITION_DAYS,
    MAX_SERVICE_ENDPOINT_LEN, MAX_SERVICE_TYPE_LEN, MAX_SERVICES, MAX_TYPE_NAME_BYTES,
};
use crate::params::Parameters;
use crate::records::IssuerRevocationRule;
use crate::types::{DataClass, Digest32, Fragment, LicenceTypeCode, ProvinceCode, PublicKeyBytes};

/// One action, signed inside a [`crate::envelope::SignedTx`].
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum TxPayload {
    /// A member authority proposes a governance action (and votes yes on it).
    Propose(GovernanceAction),
    /// A member authority votes on an open proposal.
    Vote {
        /// The proposal.
        proposal_id: u64,
        /// Yes or no.
        approve: bool,
    },
    /// A province authority accredits (or re-accredits with a new type list) an issuer of its province.
    AccreditIssuer(AccreditIssuer),
    /// A province authority suspends an issuer of its province; the issuer cannot anchor or change status.
    SuspendIssuer {
        /// The issuer's signing key.
        issuer: PublicKeyBytes,
        /// Why.
        reason: StatusReason,
    },
    /// A province authority revokes an issuer of its province, for good.
    RevokeIssuer {
        /// The issuer's signing key.
        issuer: PublicKeyBytes,
        /// Why.
        reason: StatusReason,
    },
    /// A member authority registers a licence type in the shared catalogue.
    RegisterLicenceType(LicenceTypeSpec),
    /// The authority that registered a type updates its name, schema digest or data class.
    UpdateLicenceType(LicenceTypeSpec),
    /// An accredited issuer anchors one licence commitment.
    AnchorLicence(AnchorLicence),
    /// An accredited issuer anchors a Merkle root over many licence commitments.
    AnchorBatch(AnchorBatch),
    /// The issuing issuer suspends a licence.
    SuspendLicence(LicenceStatusChange),
    /// The issuing issuer revokes a licence, for good.
    RevokeLicence(LicenceStatusChange),
    /// The issuing issuer lifts a suspension.
    ReinstateLicence(LicenceStatusChange),
    /// The issuing issuer gives a licence a new validity window.
    RenewLicence(RenewLicence),
    /// A province authority declares that its region recognises a type issued in another province.
    DeclareRecognition(DeclareRecognition),
    /// A province authority withdraws a recognition it declared.
    WithdrawRecognition {
        /// The licence type.
        licence_type: LicenceTypeCode,
        /// The issuing province.
        issuing_province: ProvinceCode,
    },
    /// A member authority creates a DID for an organisation (the subject holds the controller key).
    DidCreate(DidCreate),
    /// A controller adds a verification method.
    DidAddVerificationMethod {
        /// The DID.
        did: DidId,
        /// The new method.
        method: VerificationMethodSpec,
    },
    /// A controller removes a verification method.
    DidRemoveVerificationMethod {
        /// The DID.
        did: DidId,
        /// The method's fragment.
        fragment: Fragment,
    },
    /// A controller adds a service.
    DidAddService {
        /// The DID.
        did: DidId,
        /// The new service.
        service: ServiceSpec,
    },
    /// A controller removes a service.
    DidRemoveService {
        /// The DID.
        did: DidId,
        /// The service's fragment.
        fragment: Fragment,
    },
    /// A controller replaces the key of a verification method, keeping its fragment and relationships.
    DidRotateKey {
        /// The DID.
        did: DidId,
        /// The method whose key changes.
        fragment: Fragment,
        /// The new key (ed25519, or SM2 x-only on an `sm2-sm3` chain).
        new_key: PublicKeyBytes,
    },
    /// A controller adds another DID as a controller of this one.
    DidAddController {
        /// The DID.
        did: DidId,
        /// The controlling DID.
        controller: DidId,
    },
    /// A controller removes a controller DID.
    DidRemoveController {
        /// The DID.
        did: DidId,
        /// The controlling DID.
        controller: DidId,
    },
    /// A controller deactivates the DID, for good.
    DidDeactivate {
        /// The DID.
        did: DidId,
    },
    /// A registered party anchors a document digest (存证) with its key and the block time.
    TimestampDocument {
        /// The digest (the ledger never sees the document).
        digest: Digest32,
        /// The DID the signer acts for, when the signer is neither an authority nor an issuer.
        acting_did: Option<DidId>,
    },
    /// A province authority registers a verifier DID allowed to read conditional data.
    RegisterVerifier {
        /// The verifier's DID.
        verifier: DidId,
    },
    /// The registering authority withdraws a verifier registration.
    DeregisterVerifier {
        /// The verifier's DID.
        verifier: DidId,
    },
    /// A province authority registers an observer node key: a non-voting node that the member
    /// network admits, which follows the committed chain and serves reads. At most
    /// [`crate::limits::MAX_OBSERVERS_PER_PROVINCE`] per province.
    RegisterObserver {
        /// The observer's node key.
        key: PublicKeyBytes,
    },
    /// The registering province's authority removes one of its observers.
    RemoveObserver {
        /// The observer's node key.
        key: PublicKeyBytes,
    },
    /// On an `sm2-sm3` chain, a province authority binds the ed25519 network key one of its nodes
    /// (a validator it operates, or an observer it registered) proves on the network (ADR 020).
    /// `possession` is the network key's ed25519 signature over
    /// [`crate::hashing::network_binding_message`], so nobody binds a key they do not hold.
    BindNetworkKey {
        /// The node's key (its SM2 validator or observer key).
        node_key: PublicKeyBytes,
        /// The ed25519 network key.
        network_key: PublicKeyBytes,
        /// The network key's signature over the binding.
        possession: [u8; 64],
    },
}

/// What a proposal would do once passed.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum GovernanceAction {
    /// Admit a province; its authority DID (genesis-style identifier) is created if absent.
    AddMember {
        /// The province.
        province: ProvinceCode,
        /// The province authority's signing key.
        #[serde(with = "hex::serde")]
        authority_key: PublicKeyBytes,
    },
    /// Remove a member province (never the last one).
    RemoveMember {
        /// The province.
        province: ProvinceCode,
    },
    /// Add a consensus validator key, operated by a member province.
    AddValidator {
        /// The validator's consensus key.
        #[serde(with = "hex::serde")]
        key: PublicKeyBytes,
        /// The operating province.
        province: ProvinceCode,
    },
    /// Remove a validator (never the last one).
    RemoveValidator {
        /// The validator's consensus key.
        #[serde(with = "hex::serde")]
        key: PublicKeyBytes,
    },
    /// Replace the chain parameters.
    SetParameters(Parameters),
    /// Replace a member province's authority key (a lost or compromised key, or routine
    /// rotation). The old key stops acting for the province at once and is never usable again;
    /// the province's authority DID gets the new key in place of the old in a new version.
    RotateAuthorityKey {
        /// The province.
        province: ProvinceCode,
        /// The new authority key.
        #[serde(with = "hex::serde")]
        new_key: PublicKeyBytes,
    },
}

/// Why a status changed. Codes are stable: receipts and histories store them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum StatusReason {
    /// 0: no reason given.
    Unspecified,
    /// 1: issued in error.
    IssuedInError,
    /// 2: the holder asked.
    HolderRequest,
    /// 3: replaced by another licence.
    Superseded,
    /// 4: the licensed facts changed.
    InformationChanged,
    /// 5: an administrative decision (e.g. a penalty).
    AdministrativeAction,
    /// 6: a court order.
    CourtOrder,
    /// 7: obtained by fraud.
    Fraud,
    /// 8: a key was compromised.
    KeyCompromise,
    /// 9: ordinary renewal.
    Renewal,
    /// 10: the matter that suspended it was resolved.
    Resolved,
}

/// Accreditation of an issuer by the authority of its province.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AccreditIssuer {
    /// The key the issuer signs with.
    pub issuer_key: PublicKeyBytes,
    /// The issuer's DID (must exist and be active).
    pub issuer_did: DidId,
    /// The issuer's unified social credit code: its division must lie in the accrediting
    /// province, no other issuer key may hold it, and it never changes once recorded.
    pub uscc: Uscc,
    /// The licence types it may anchor: sorted, unique, at most [`MAX_ACCREDITED_TYPES`].
    pub licence_types: Vec<LicenceTypeCode>,
}

/// A catalogue entry as registered or updated.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceTypeSpec {
    /// GB/T 36902-style type code.
    pub code: LicenceTypeCode,
    /// Public name of the type (e.g. 营业执照), at most [`MAX_TYPE_NAME_BYTES`] UTF-8 bytes.
    pub name: String,
    /// Digest of the type's data schema.
    pub schema_digest: Digest32,
    /// Who may read records of this type.
    pub data_class: DataClass,
    /// Whether licences of this type stay valid when their issuer is revoked.
    pub on_issuer_revoked: IssuerRevocationRule,
}

/// Anchoring of one licence commitment.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AnchorLicence {
    /// Salted 32-byte commitment to the licence (the salt never reaches the ledger).
    pub commitment: Digest32,
    /// The licence type.
    pub licence_type: LicenceTypeCode,
    /// Start of validity, ms since the Unix epoch (UTC).
    pub valid_from_ms: u64,
    /// End of validity (exclusive), ms since the Unix epoch (UTC).
    pub valid_until_ms: u64,
}

/// Anchoring of a Merkle root over many commitments (see `crate::batch` for the tree).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct AnchorBatch {
    /// The Merkle root.
    pub root: Digest32,
    /// Number of leaves, 1..=[`MAX_BATCH_COUNT`].
    pub count: u64,
    /// The licence type of every leaf.
    pub licence_type: LicenceTypeCode,
}

/// Proof that a commitment is a leaf of an anchored batch.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BatchMembership {
    /// The anchored root.
    pub root: Digest32,
    /// Inclusion proof (its `count` must equal the anchored count; at most
    /// [`MAX_BATCH_PROOF_SIBLINGS`] siblings).
    pub proof: BatchProof,
}

/// The licence a status change targets.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceTarget {
    /// The issuing agency's USCC, as the licence identifier names it.
    pub issuer: Uscc,
    /// The licence commitment.
    pub commitment: Digest32,
    /// For a commitment anchored only inside a batch, the first status change proves membership.
    pub batch: Option<BatchMembership>,
}

/// Suspend, revoke or reinstate.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceStatusChange {
    /// The licence.
    pub target: LicenceTarget,
    /// Why.
    pub reason: StatusReason,
}

/// A new validity window.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct RenewLicence {
    /// The licence.
    pub target: LicenceTarget,
    /// Why.
    pub reason: StatusReason,
    /// New start of validity, ms.
    pub valid_from_ms: u64,
    /// New end of validity (exclusive), ms.
    pub valid_until_ms: u64,
}

/// A recognition declaration by the signer's province.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DeclareRecognition {
    /// The licence type.
    pub licence_type: LicenceTypeCode,
    /// The issuing province (not the declaring one).
    pub issuing_province: ProvinceCode,
    /// An optional extra condition.
    pub condition: Option<RecognitionCondition>,
}

/// A condition a recognised licence must also meet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum RecognitionCondition {
    /// The licence must stay valid for more than this many days after the query's block time.
    MinRemainingValidityDays {
        /// Days, 1..=[`MAX_CONDITION_DAYS`].
        days: u32,
    },
}

/// Who a DID identifies. There is deliberately no variant for natural persons.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum SubjectKind {
    /// A province authority (big-data bureau).
    ProvinceAuthority,
    /// A licensing agency.
    Issuer,
    /// A service window, bank, court or firm that verifies licences.
    Verifier,
    /// A cross-border trade pilot firm or foreign registry.
    Organisation,
}

/// Verification relationships a method is listed under.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub struct Relationships {
    /// `authentication`.
    pub authentication: bool,
    /// `assertionMethod`.
    pub assertion_method: bool,
    /// `capabilityInvocation`: keys listed here control the DID document.
    pub capability_invocation: bool,
    /// `capabilityDelegation`.
    pub capability_delegation: bool,
}

impl Relationships {
    /// Every relationship.
    pub const ALL: Relationships = Relationships {
        authentication: true,
        assertion_method: true,
        capability_invocation: true,
        capability_delegation: true,
    };
}

/// A verification method to add.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethodSpec {
    /// Its fragment (`key-2`).
    pub fragment: Fragment,
    /// The key (ed25519, or SM2 x-only on an `sm2-sm3` chain).
    #[serde(with = "hex::serde")]
    pub key: PublicKeyBytes,
    /// Where it is listed.
    pub relationships: Relationships,
}

/// A service of an organisation's DID.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    /// Its fragment.
    pub fragment: Fragment,
    /// Service type, printable ASCII, at most [`MAX_SERVICE_TYPE_LEN`] bytes.
    pub service_type: String,
    /// An `https://` URL of the organisation, printable ASCII, at most [`MAX_SERVICE_ENDPOINT_LEN`] bytes.
    pub endpoint: String,
}

/// Creation of a DID: the first verification method is `#key-1` with the controller key and every
/// relationship.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DidCreate {
    /// What the subject is.
    pub subject: SubjectKind,
    /// The subject's controller key.
    pub controller_key: PublicKeyBytes,
    /// Initial services, at most [`MAX_SERVICES`].
    pub services: Vec<ServiceSpec>,
}
