//! Queries: pure functions over one state version, read through a [`crate::reader::StateReader`], returning
//! typed results the RPC serialises as camelCase JSON.
//!
//! Every key a query reads goes through the reader, so a proof-collecting reader yields a proof
//! for each. Queries never write and never read a clock: "now" is the block time recorded in the
//! state's head record.

mod data_class;
mod did;
mod licence;
mod lookup;
mod signer;
mod status_list;

pub use data_class::{effective_data_class, stricter};
pub use did::did_resolve;
pub use licence::{
    Disclosure, IssuerSummary, LicenceDetails, LicenceEventView, LicenceVerification, PolicyView,
    RecognitionBasis, RecognitionVerdict, disclosed_history_record, licence_gate, licence_history,
    licence_verify, licence_verify_in_batch,
};
pub use lookup::{
    BatchView, Head, IssuerView, LicenceTypeView, MemberView, ProposalView, TimestampView,
    ValidatorView, VerifierView, batch_get, head, issuer_get, licence_type_get, member_get,
    members, network_key, next_nonce, next_validator_keys, observer_keys, parameters, policy_get,
    proposal_get, timestamp_get, validators, verifier_get,
};

pub use signer::{SignerRole, signer_may_submit, signer_province, signer_role};
pub use status_list::{
    ListedStatus, StatusListEntries, StatusListError, status_list_counter, status_list_entries,
};

use crate::reader::ReadError;

/// Why a query could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// A state read failed.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// The thing asked for does not exist at this version.
    #[error("{kind} {id} not found")]
    NotFound {
        /// Record kind.
        kind: &'static str,
        /// Its identifier.
        id: String,
    },
    /// The state has no head record (no genesis).
    #[error("state has no genesis")]
    NoGenesis,
}
