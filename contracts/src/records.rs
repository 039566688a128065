//! Records stored in the state tree, one borsh value per key (see [`crate::keys`]).
//!
//! Records hold public facts about organisations and licence commitments only. Adding a field is
//! a state-format change: it changes every root computed after it.

use std::collections::BTreeMap;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::did_id::DidId;
use crate::licence_id::Uscc;
use crate::params::Parameters;
use crate::tx::{
    GovernanceAction, RecognitionCondition, Relationships, ServiceSpec, StatusReason, SubjectKind,
};
use crate::types::{
    ChainId, DataClass, Digest32, Fragment, LicenceTypeCode, ProvinceCode, PublicKeyBytes, TxHash,
};

/// Chain-wide facts fixed at genesis.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ChainRecord {
    /// The chain id every transaction must carry.
    pub chain_id: ChainId,
    /// Genesis time, ms since the Unix epoch.
    pub genesis_time_ms: u64,
}

/// The last applied block (written at the end of every block and by the genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct HeadRecord {
    /// Block height (0 for the genesis).
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// Consensus epoch.
    pub epoch: u64,
}

/// A member province.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct MemberRecord {
    /// The province.
    pub province: ProvinceCode,
    /// The authority's signing key.
    pub authority_key: PublicKeyBytes,
    /// The authority's DID.
    pub authority_did: DidId,
    /// Height at which it joined.
    pub joined_height: u64,
}

/// The last removal of a province that is not (or no longer) a member, kept so that a
/// re-admission starts from a new key and DID and never in the block that removed it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FormerMemberRecord {
    /// The province.
    pub province: ProvinceCode,
    /// The authority key it had (retired for good).
    pub authority_key: PublicKeyBytes,
    /// The authority DID it had (deactivated at removal).
    pub authority_did: DidId,
    /// Height of the admission that ended.
    pub joined_height: u64,
    /// Height of the removal.
    pub removed_height: u64,
}

/// The list of member provinces (sorted), kept in one record so quorum counts are one read.
#[derive(Debug, Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct MemberList {
    /// Member provinces, ascending.
    pub provinces: Vec<ProvinceCode>,
}

/// A consensus validator.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ValidatorRecord {
    /// Its consensus key.
    pub key: PublicKeyBytes,
    /// The operating province.
    pub province: ProvinceCode,
    /// Height at which it was added.
    pub added_height: u64,
}

/// The validator set (sorted by key), kept in one record for the consensus layer.
#[derive(Debug, Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct ValidatorList {
    /// Validators, ascending by key.
    pub validators: Vec<ValidatorRecord>,
}

/// A registered observer node.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ObserverRecord {
    /// Its node key.
    pub key: PublicKeyBytes,
    /// The province whose authority registered it.
    pub province: ProvinceCode,
    /// Height at which it was registered.
    pub added_height: u64,
}

/// Every registered observer (ascending by key), in one bounded record.
#[derive(Debug, Clone, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct ObserverList {
    /// Observers, ascending by key.
    pub observers: Vec<ObserverRecord>,
}

/// Where a proposal stands.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum ProposalStatus {
    /// Open for votes until its expiry height.
    Open,
    /// Reached the quorum and was executed.
    Passed,
}

/// A governance proposal.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct ProposalRecord {
    /// Sequential id, from 0.
    pub id: u64,
    /// The proposing province.
    pub proposer: ProvinceCode,
    /// What it does.
    pub action: GovernanceAction,
    /// Height it was made.
    pub created_height: u64,
    /// Last height it may be voted on.
    pub expires_height: u64,
    /// Votes by province, each stamped with the voter's admission.
    pub votes: BTreeMap<ProvinceCode, VoteRecord>,
    /// Where it stands.
    pub status: ProposalStatus,
    /// Height it passed at, if it did.
    pub passed_height: Option<u64>,
}

/// One province's vote on a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VoteRecord {
    /// Yes or no.
    pub approve: bool,
    /// The `joined_height` of the voter's admission when it voted. The vote counts only while
    /// this is still the province's current admission, so a vote cast before a removal never
    /// counts after a re-admission.
    pub joined_height: u64,
}

/// An issuer's accreditation status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum IssuerStatus {
    /// May anchor and change status.
    Active,
    /// Temporarily barred; re-accreditation lifts it.
    Suspended,
    /// Barred for good.
    Revoked,
}

impl IssuerStatus {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            IssuerStatus::Active => "active",
            IssuerStatus::Suspended => "suspended",
            IssuerStatus::Revoked => "revoked",
        }
    }
}

/// An accredited issuer, keyed by its signing key.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct IssuerRecord {
    /// Signing key.
    pub key: PublicKeyBytes,
    /// Its DID.
    pub did: DidId,
    /// Its unified social credit code, fixed at first accreditation: the code that licence
    /// identifiers of this issuer carry, and the first part of its licences' state keys.
    pub uscc: Uscc,
    /// Its province (the accrediting authority's).
    pub province: ProvinceCode,
    /// Types it may anchor, ascending.
    pub licence_types: Vec<LicenceTypeCode>,
    /// Status.
    pub status: IssuerStatus,
    /// Reason of the last status change.
    pub reason: StatusReason,
    /// Height of first accreditation.
    pub accredited_height: u64,
    /// Height of the last change.
    pub updated_height: u64,
}

/// A catalogue entry.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceTypeRecord {
    /// Type code.
    pub code: LicenceTypeCode,
    /// Public name.
    pub name: String,
    /// Schema digest.
    pub schema_digest: Digest32,
    /// Data class.
    pub data_class: DataClass,
    /// The registering province (the only one that may update it).
    pub owner: ProvinceCode,
    /// Whether licences of this type stay valid when their issuer's accreditation is revoked.
    pub on_issuer_revoked: IssuerRevocationRule,
    /// Height registered.
    pub registered_height: u64,
    /// Height of the last update.
    pub updated_height: u64,
}

/// The stricter data classes a licence type has held before its current one, so that a licence
/// anchored under a stricter class keeps it (see `query::effective_data_class`).
///
/// Absent until the type's class first changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, BorshSerialize, BorshDeserialize)]
pub struct DataClassHistory {
    /// Last height at which the type was conditional, if it was and no longer is.
    pub conditional_until: Option<u64>,
    /// Last height at which the type was non-open, if it was and no longer is.
    pub non_open_until: Option<u64>,
}

/// A licence's status.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum LicenceStatus {
    /// In force (subject to its validity window).
    Active,
    /// Suspended; may be reinstated.
    Suspended,
    /// Revoked for good.
    Revoked,
}

impl LicenceStatus {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            LicenceStatus::Active => "active",
            LicenceStatus::Suspended => "suspended",
            LicenceStatus::Revoked => "revoked",
        }
    }
}

/// A licence commitment anchored on its own or brought in from a batch by a status change.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceRecord {
    /// The commitment.
    pub commitment: Digest32,
    /// The issuing agency's USCC (also the first part of the record's key).
    pub issuer_uscc: Uscc,
    /// The issuing issuer's key.
    pub issuer: PublicKeyBytes,
    /// The issuer's province.
    pub province: ProvinceCode,
    /// The licence type.
    pub licence_type: LicenceTypeCode,
    /// Validity window `[from, until)` in ms; `None` for a batch member never renewed.
    pub validity: Option<(u64, u64)>,
    /// Status.
    pub status: LicenceStatus,
    /// Who set the current status (a suspension by the province authority is lifted only by it).
    pub status_actor: EventActor,
    /// The batch root it came from, if any.
    pub batch_root: Option<Digest32>,
    /// Height anchored.
    pub anchored_height: u64,
    /// Number of history events (the next event's sequence number).
    pub history_len: u32,
    /// The licence's index in its issuer's status lists (`keys::status_list_entry`): assigned
    /// from the issuer's counter when the record is first written (anchored, or imported from a
    /// batch), never changed and never reused. A batch member with no record of its own yet has
    /// none; records built for it in answers carry 0 and callers must not show it.
    pub status_index: u64,
}

/// The part of a licence that decides its disclosure, in a state leaf of its own
/// (`keys::licence_part(…, LicencePart::Gate)`): a proof for a caller the data class lets learn
/// little opens this leaf and nothing of the record beyond it. Written with every
/// [`LicenceRecord`] and always equal to the same fields there.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceGate {
    /// The issuing issuer's key (the issuer the question names: its status is public).
    pub issuer: PublicKeyBytes,
    /// The issuer's province (whose verifier registrations count).
    pub province: ProvinceCode,
    /// The licence type (whose data class applies).
    pub licence_type: LicenceTypeCode,
    /// Height anchored (which of the type's data classes applies).
    pub anchored_height: u64,
}

/// A licence's status alone, in its own state leaf (`LicencePart::Status`), for status-only and
/// validity-only answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceStatusLeaf {
    /// Status, as in the record.
    pub status: LicenceStatus,
}

/// A licence's validity window alone, in its own state leaf (`LicencePart::Validity`), for
/// validity-only answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceValidityLeaf {
    /// Validity window `[from, until)` in ms, as in the record.
    pub validity: Option<(u64, u64)>,
}

impl LicenceRecord {
    /// The record's gate leaf.
    pub fn gate(&self) -> LicenceGate {
        LicenceGate {
            issuer: self.issuer,
            province: self.province,
            licence_type: self.licence_type.clone(),
            anchored_height: self.anchored_height,
        }
    }
}

/// What a history event did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum LicenceEventKind {
    /// Anchored on its own.
    Anchored,
    /// First status change of a batch member.
    ImportedFromBatch,
    /// Suspended.
    Suspended,
    /// Revoked.
    Revoked,
    /// Reinstated.
    Reinstated,
    /// Renewed.
    Renewed,
}

/// Who made a licence's status change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum EventActor {
    /// The licence's issuer.
    Issuer,
    /// The province authority that accredits the issuer (for example after revoking it).
    ProvinceAuthority,
}

/// What a licence type's revocation rule says about licences whose issuer was revoked.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Default,
    BorshSerialize,
    BorshDeserialize,
    Serialize,
    Deserialize,
)]
#[serde(rename_all = "camelCase")]
pub enum IssuerRevocationRule {
    /// Licences issued before the revocation stay valid; answers flag the issuer as revoked.
    #[default]
    StayValidFlagged,
    /// Every licence of a revoked issuer is invalid from the revocation on.
    Invalidate,
}

/// One entry of a licence's status history.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct LicenceEvent {
    /// What happened.
    pub kind: LicenceEventKind,
    /// Why.
    pub reason: StatusReason,
    /// Who did it.
    pub actor: EventActor,
    /// Validity window after the event.
    pub validity: Option<(u64, u64)>,
    /// Block height.
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// The transaction.
    pub tx_hash: TxHash,
}

/// An anchored batch root.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BatchRecord {
    /// The root.
    pub root: Digest32,
    /// Leaf count.
    pub count: u64,
    /// Type of every leaf.
    pub licence_type: LicenceTypeCode,
    /// Issuer.
    pub issuer: PublicKeyBytes,
    /// Issuer's USCC (also the first part of the record's key).
    pub issuer_uscc: Uscc,
    /// Issuer's province.
    pub province: ProvinceCode,
    /// Height anchored.
    pub anchored_height: u64,
    /// Block time anchored, ms.
    pub anchored_time_ms: u64,
}

/// A recognition declaration.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct PolicyRecord {
    /// The declaring (recognising) province.
    pub recognising: ProvinceCode,
    /// The issuing province.
    pub issuing: ProvinceCode,
    /// The licence type.
    pub licence_type: LicenceTypeCode,
    /// Extra condition.
    pub condition: Option<RecognitionCondition>,
    /// Whether it is in force (withdrawn declarations stay, inactive).
    pub active: bool,
    /// Incremented at every declaration or withdrawal, from 1.
    pub revision: u32,
    /// Height of the last change.
    pub updated_height: u64,
}

/// A verification method as stored.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VerificationMethodRecord {
    /// Fragment.
    pub fragment: Fragment,
    /// ed25519 key.
    pub key: PublicKeyBytes,
    /// Relationships.
    pub relationships: Relationships,
}

/// One version of a DID document.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DidDocumentRecord {
    /// The DID.
    pub did: DidId,
    /// The subject kind.
    pub subject: SubjectKind,
    /// Controller DIDs besides itself, ascending.
    pub controllers: Vec<DidId>,
    /// Verification methods, in insertion order.
    pub methods: Vec<VerificationMethodRecord>,
    /// Services, in insertion order.
    pub services: Vec<ServiceSpec>,
    /// Deactivated (terminal).
    pub deactivated: bool,
    /// Version number, from 1.
    pub version: u32,
    /// Block time of this version, ms.
    pub updated_ms: u64,
    /// Height of this version.
    pub updated_height: u64,
    /// The transaction that made this version (all zero for the genesis).
    pub tx_hash: TxHash,
}

/// Per-DID facts that do not change between versions plus the latest version number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct DidHeadRecord {
    /// Latest version.
    pub latest_version: u32,
    /// Creation block time, ms.
    pub created_ms: u64,
    /// Creation height.
    pub created_height: u64,
}

/// A document timestamp (存证).
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct TimestampRecord {
    /// The digest.
    pub digest: Digest32,
    /// The signer.
    pub signer: PublicKeyBytes,
    /// The DID it acted for, if any.
    pub acting_did: Option<DidId>,
    /// Block height.
    pub height: u64,
    /// Block time, ms.
    pub block_time_ms: u64,
    /// The transaction.
    pub tx_hash: TxHash,
}

/// One province's registration of a verifier DID (key `0d ‖ registrar ‖ did`). It grants access
/// to that province's licences only, and only while the province is a member admitted no later
/// than `updated_height`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VerifierRecord {
    /// The verifier's DID.
    pub did: DidId,
    /// The registering province.
    pub registrar: ProvinceCode,
    /// In force.
    pub active: bool,
    /// Height of the last change.
    pub updated_height: u64,
}

/// The ed25519 key a node of an `sm2-sm3` chain proves on the network (key `14 ‖ node key`,
/// ADR 020): written by the genesis for its validators and by `BindNetworkKey` after.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NetworkKeyRecord {
    /// The network key.
    pub network_key: PublicKeyBytes,
    /// The province operating the node.
    pub province: ProvinceCode,
    /// Height of the binding (0: the genesis).
    pub bound_height: u64,
}

/// The chain parameters record.
pub type ParametersRecord = Parameters;
