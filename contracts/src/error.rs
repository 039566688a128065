//! Why a transaction was refused: [`TxError`], with one stable numeric code per variant.
//!
//! Receipts store the code; the RPC exposes code and message. Codes are part of the public
//! interface: never renumber, only add.

use crate::codec::CodecError;
use crate::types::{FieldError, ProvinceCode};

fn hex32(bytes: &[u8; 32]) -> String {
    hex::encode(bytes)
}

/// A refused transaction. The block goes on; the receipt carries [`TxError::code`].
///
/// | code | variant | meaning |
/// |---|---|---|
/// | 100 | `Malformed` | bytes are not a transaction |
/// | 101 | `NonCanonical` | bytes decode but are not the value's one encoding |
/// | 102 | `TooLarge` | encoding over the size limit |
/// | 103 | `WrongChain` | chain id differs from this chain's |
/// | 104 | `Expired` | block height past the transaction's expiry height |
/// | 105 | `BadNonce` | nonce is not the signer's next one |
/// | 106 | `BadSignature` | ed25519 `verify_strict` refused the signature |
/// | 107 | `InvalidSignerKey` | signer key is not a canonical, non-weak ed25519 point |
/// | 108 | `NonceExhausted` | the signer used nonce `u64::MAX` |
/// | 109 | `UnregisteredSigner` | signer has no role in state (consumes no nonce) |
/// | 200 | `InvalidField` | a field is malformed |
/// | 201 | `FieldTooLong` | a string over its byte limit |
/// | 202 | `ListTooLong` | a list over (or under) its length limit |
/// | 203 | `OutOfRange` | a number outside its range |
/// | 204 | `InvalidValidity` | validity window ends before it starts |
/// | 300 | `NotAuthority` | signer is not a member province authority |
/// | 301 | `WrongProvince` | the target belongs to another province |
/// | 302 | `NotIssuer` | signer is not an accredited issuer |
/// | 303 | `IssuerSuspended` | the issuer is suspended |
/// | 304 | `IssuerRevoked` | the issuer is revoked |
/// | 305 | `NotAccreditedForType` | issuer not accredited for the licence type |
/// | 306 | `NotLicenceIssuer` | the licence was issued by another issuer |
/// | 307 | `NotDidController` | signer controls neither the DID nor a controller DID |
/// | 308 | `NotRegisteredParty` | signer may not timestamp documents |
/// | 309 | `NotTypeOwner` | only the registering province may update a type |
/// | 310 | `NotVerifierRegistrar` | only the registering province may deregister a verifier |
/// | 311 | `ProvinceNotMember` | the acting record's province is no longer a member |
/// | 312 | `PredatesAdmission` | the acting record was made before its province's current admission |
/// | 313 | `TypeCodeOutsideNamespace` | a GB/T 36902 type code defined in another province's namespace |
/// | 400 | `NotFound` | a record the transaction needs does not exist |
/// | 401 | `AlreadyExists` | the record to create exists |
/// | 402 | `InvalidTransition` | the record's status does not allow the action |
/// | 403 | `DidDeactivated` | the DID is deactivated |
/// | 404 | `LimitReached` | a stored collection is full |
/// | 405 | `BatchProofInvalid` | the batch membership proof does not verify |
/// | 406 | `SelfRecognition` | a province cannot declare recognition of its own licences |
/// | 407 | `WouldEmpty` | removing the last member, validator or controlling key |
/// | 408 | `TooFewMembers` | a removal would leave fewer members than governance needs |
/// | 500 | `ProposalNotFound` | no such proposal |
/// | 501 | `ProposalClosed` | the proposal already passed |
/// | 502 | `ProposalExpired` | the proposal's voting window closed |
/// | 503 | `AlreadyVoted` | the province already voted on the proposal |
/// | 901 | `ArithmeticOverflow` | a counter would overflow |
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// 100.
    #[error("malformed transaction: {reason}")]
    Malformed {
        /// Decoder message.
        reason: String,
    },
    /// 101.
    #[error("non-canonical encoding of {len} bytes")]
    NonCanonical {
        /// Input length.
        len: usize,
    },
    /// 102.
    #[error("transaction is {len} bytes, over the limit of {limit}")]
    TooLarge {
        /// Encoding length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// 103.
    #[error("transaction for chain {actual:?}, this chain is {expected:?}")]
    WrongChain {
        /// This chain.
        expected: String,
        /// The transaction's.
        actual: String,
    },
    /// 104.
    #[error("transaction expired at height {expiry_height}, block height is {height}")]
    Expired {
        /// Last height at which the transaction was valid.
        expiry_height: u64,
        /// The block's height.
        height: u64,
    },
    /// 105.
    #[error("nonce {actual} is not the signer's next nonce {expected}")]
    BadNonce {
        /// The next nonce.
        expected: u64,
        /// The transaction's.
        actual: u64,
    },
    /// 106.
    #[error("signature does not verify under the signer key")]
    BadSignature,
    /// 107.
    #[error("signer key {} is not usable: {reason}", hex32(.key))]
    InvalidSignerKey {
        /// The key.
        key: [u8; 32],
        /// Why.
        reason: &'static str,
    },
    /// 108.
    #[error("signer has used every nonce")]
    NonceExhausted,
    /// 109.
    #[error("signer {} has no role in state (not an issuer, authority, validator or controller of the named DID)", hex32(.signer))]
    UnregisteredSigner {
        /// The signer.
        signer: [u8; 32],
    },
    /// 200.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// Field name.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// 201.
    #[error("{field} is {len} bytes, over the limit of {max}")]
    FieldTooLong {
        /// Field name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// 202.
    #[error("{field} has {len} entries; allowed 1..={max}")]
    ListTooLong {
        /// Field name.
        field: &'static str,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// 203.
    #[error("{field} = {value} outside {min}..={max}")]
    OutOfRange {
        /// Field name.
        field: &'static str,
        /// The value.
        value: u64,
        /// Smallest allowed.
        min: u64,
        /// Largest allowed.
        max: u64,
    },
    /// 204.
    #[error("validity window [{valid_from_ms}, {valid_until_ms}) is empty")]
    InvalidValidity {
        /// Start, ms.
        valid_from_ms: u64,
        /// End, ms.
        valid_until_ms: u64,
    },
    /// 300.
    #[error("signer {} is not a member province authority", hex32(.signer))]
    NotAuthority {
        /// The signer.
        signer: [u8; 32],
    },
    /// 301.
    #[error("target belongs to province {target}, signer acts for {signer}")]
    WrongProvince {
        /// The signer's province.
        signer: ProvinceCode,
        /// The target's province.
        target: ProvinceCode,
    },
    /// 302.
    #[error("signer {} is not an accredited issuer", hex32(.signer))]
    NotIssuer {
        /// The signer.
        signer: [u8; 32],
    },
    /// 303.
    #[error("issuer {} is suspended", hex32(.issuer))]
    IssuerSuspended {
        /// The issuer.
        issuer: [u8; 32],
    },
    /// 304.
    #[error("issuer {} is revoked", hex32(.issuer))]
    IssuerRevoked {
        /// The issuer.
        issuer: [u8; 32],
    },
    /// 305.
    #[error("issuer {} is not accredited for licence type {licence_type}", hex32(.issuer))]
    NotAccreditedForType {
        /// The issuer.
        issuer: [u8; 32],
        /// The type.
        licence_type: String,
    },
    /// 306.
    #[error("licence {} was issued by {}, not by the signer", hex32(.commitment), hex32(.issuer))]
    NotLicenceIssuer {
        /// The licence.
        commitment: [u8; 32],
        /// Its issuer.
        issuer: [u8; 32],
    },
    /// 307.
    #[error("signer {} does not control {did}", hex32(.signer))]
    NotDidController {
        /// The DID.
        did: String,
        /// The signer.
        signer: [u8; 32],
    },
    /// 308.
    #[error("signer {} is not a registered party", hex32(.signer))]
    NotRegisteredParty {
        /// The signer.
        signer: [u8; 32],
    },
    /// 309.
    #[error("licence type {licence_type} belongs to province {owner}")]
    NotTypeOwner {
        /// The type.
        licence_type: String,
        /// The registering province.
        owner: ProvinceCode,
    },
    /// 310.
    #[error("verifier {verifier} was registered by province {registrar}")]
    NotVerifierRegistrar {
        /// The verifier DID.
        verifier: String,
        /// The registering province.
        registrar: ProvinceCode,
    },
    /// 311.
    #[error("province {province} is not a member")]
    ProvinceNotMember {
        /// The province the acting record belongs to.
        province: ProvinceCode,
    },
    /// 312.
    #[error(
        "{kind} {id} was last authorised at height {height}, before province {province} was admitted again at height {joined_height}"
    )]
    PredatesAdmission {
        /// Record kind.
        kind: &'static str,
        /// Its identifier.
        id: String,
        /// Its province.
        province: ProvinceCode,
        /// Height of its last authorisation.
        height: u64,
        /// Height of the province's current admission.
        joined_height: u64,
    },
    /// 313.
    #[error(
        "licence type {licence_type} is defined under division {division}, outside the namespace of province {province}"
    )]
    TypeCodeOutsideNamespace {
        /// The type code.
        licence_type: String,
        /// The administrative division code inside its USCC.
        division: String,
        /// The registering province.
        province: ProvinceCode,
    },
    /// 400.
    #[error("{kind} {id} not found")]
    NotFound {
        /// Record kind.
        kind: &'static str,
        /// Its identifier.
        id: String,
    },
    /// 401.
    #[error("{kind} {id} already exists")]
    AlreadyExists {
        /// Record kind.
        kind: &'static str,
        /// Its identifier.
        id: String,
    },
    /// 402.
    #[error("{kind} {id} is {from}; cannot {action}")]
    InvalidTransition {
        /// Record kind.
        kind: &'static str,
        /// Its identifier.
        id: String,
        /// Its current status.
        from: &'static str,
        /// The refused action.
        action: &'static str,
    },
    /// 403.
    #[error("{did} is deactivated")]
    DidDeactivated {
        /// The DID.
        did: String,
    },
    /// 404.
    #[error("{what} is full ({max})")]
    LimitReached {
        /// The collection.
        what: &'static str,
        /// Its limit.
        max: u64,
    },
    /// 405.
    #[error("commitment {} is not proven in batch {}", hex32(.commitment), hex32(.root))]
    BatchProofInvalid {
        /// The batch root.
        root: [u8; 32],
        /// The commitment.
        commitment: [u8; 32],
    },
    /// 406.
    #[error("province {province} cannot declare recognition of its own licences")]
    SelfRecognition {
        /// The province.
        province: ProvinceCode,
    },
    /// 407.
    #[error("cannot remove the last {what}")]
    WouldEmpty {
        /// What would be left empty.
        what: &'static str,
    },
    /// 408.
    #[error("removal would leave {remaining} member(s); at least {min} must remain")]
    TooFewMembers {
        /// Members left after the removal.
        remaining: u64,
        /// The floor.
        min: u64,
    },
    /// 500.
    #[error("proposal {id} not found")]
    ProposalNotFound {
        /// Proposal id.
        id: u64,
    },
    /// 501.
    #[error("proposal {id} already passed")]
    ProposalClosed {
        /// Proposal id.
        id: u64,
    },
    /// 502.
    #[error("proposal {id} expired after height {expires_height}")]
    ProposalExpired {
        /// Proposal id.
        id: u64,
        /// Last height it could be voted on.
        expires_height: u64,
    },
    /// 503.
    #[error("province {province} already voted on proposal {id}")]
    AlreadyVoted {
        /// Proposal id.
        id: u64,
        /// The voter.
        province: ProvinceCode,
    },
    /// 901.
    #[error("{what} would overflow")]
    ArithmeticOverflow {
        /// The counter.
        what: &'static str,
    },
}

impl TxError {
    /// [`TxError::BadNonce`]'s code: the transaction is not its signer's next one.
    pub const BAD_NONCE_CODE: u32 = 105;

    /// The stable numeric code stored in receipts (0 is reserved for success).
    pub fn code(&self) -> u32 {
        match self {
            TxError::Malformed { .. } => 100,
            TxError::NonCanonical { .. } => 101,
            TxError::TooLarge { .. } => 102,
            TxError::WrongChain { .. } => 103,
            TxError::Expired { .. } => 104,
            TxError::BadNonce { .. } => Self::BAD_NONCE_CODE,
            TxError::BadSignature => 106,
            TxError::InvalidSignerKey { .. } => 107,
            TxError::NonceExhausted => 108,
            TxError::UnregisteredSigner { .. } => 109,
            TxError::InvalidField { .. } => 200,
            TxError::FieldTooLong { .. } => 201,
            TxError::ListTooLong { .. } => 202,
            TxError::OutOfRange { .. } => 203,
            TxError::InvalidValidity { .. } => 204,
            TxError::NotAuthority { .. } => 300,
            TxError::WrongProvince { .. } => 301,
            TxError::NotIssuer { .. } => 302,
            TxError::IssuerSuspended { .. } => 303,
            TxError::IssuerRevoked { .. } => 304,
            TxError::NotAccreditedForType { .. } => 305,
            TxError::NotLicenceIssuer { .. } => 306,
            TxError::NotDidController { .. } => 307,
            TxError::NotRegisteredParty { .. } => 308,
            TxError::NotTypeOwner { .. } => 309,
            TxError::NotVerifierRegistrar { .. } => 310,
            TxError::ProvinceNotMember { .. } => 311,
            TxError::PredatesAdmission { .. } => 312,
            TxError::TypeCodeOutsideNamespace { .. } => 313,
            TxError::NotFound { .. } => 400,
            TxError::AlreadyExists { .. } => 401,
            TxError::InvalidTransition { .. } => 402,
            TxError::DidDeactivated { .. } => 403,
            TxError::LimitReached { .. } => 404,
            TxError::BatchProofInvalid { .. } => 405,
            TxError::SelfRecognition { .. } => 406,
            TxError::WouldEmpty { .. } => 407,
            TxError::TooFewMembers { .. } => 408,
            TxError::ProposalNotFound { .. } => 500,
            TxError::ProposalClosed { .. } => 501,
            TxError::ProposalExpired { .. } => 502,
            TxError::AlreadyVoted { .. } => 503,
            TxError::ArithmeticOverflow { .. } => 901,
        }
    }
}

impl From<FieldError> for TxError {
    fn from(e: FieldError) -> Self {
        TxError::InvalidField {
            field: e.field,
            reason: e.reason,
        }
    }
}

impl From<CodecError> for TxError {
    fn from(e: CodecError) -> Self {
        match e {
            CodecError::Malformed(reason) => TxError::Malformed { reason },
            CodecError::TrailingBytes { trailing } => TxError::Malformed {
                reason: format!("{trailing} trailing byte(s)"),
            },
            CodecError::NonCanonical { len } => TxError::NonCanonical { len },
            CodecError::TooLarge { len, limit } => TxError::TooLarge { len, limit },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_messages_carry_values() {
        let samples = [
            TxError::Malformed { reason: "x".into() },
            TxError::NonCanonical { len: 1 },
            TxError::TooLarge { len: 2, limit: 1 },
            TxError::WrongChain {
                expected: "a".into(),
                actual: "b".into(),
            },
            TxError::Expired {
                expiry_height: 1,
                height: 2,
            },
            TxError::BadNonce {
                expected: 1,
                actual: 5,
            },
            TxError::BadSignature,
            TxError::InvalidSignerKey {
                key: [0; 32],
                reason: "weak",
            },
            TxError::NonceExhausted,
            TxError::UnregisteredSigner { signer: [1; 32] },
            TxError::InvalidField {
                field: "f",
                reason: "r".into(),
            },
            TxError::FieldTooLong {
                field: "f",
                len: 2,
                max: 1,
            },
            TxError::ListTooLong {
                field: "f",
                len: 2,
                max: 1,
            },
            TxError::OutOfRange {
                field: "f",
                value: 0,
                min: 1,
                max: 2,
            },
            TxError::InvalidValidity {
                valid_from_ms: 2,
                valid_until_ms: 1,
            },
            TxError::NotAuthority { signer: [1; 32] },
            TxError::WrongProvince {
                signer: ProvinceCode::JIANGSU,
                target: ProvinceCode::SHANGHAI,
            },
            TxError::NotIssuer { signer: [1; 32] },
            TxError::IssuerSuspended { issuer: [1; 32] },
            TxError::IssuerRevoked { issuer: [1; 32] },
            TxError::NotAccreditedForType {
                issuer: [1; 32],
                licence_type: "T".into(),
            },
            TxError::NotLicenceIssuer {
                commitment: [1; 32],
                issuer: [2; 32],
            },
            TxError::NotDidController {
                did: "d".into(),
                signer: [1; 32],
            },
            TxError::NotRegisteredParty { signer: [1; 32] },
            TxError::NotTypeOwner {
                licence_type: "T".into(),
                owner: ProvinceCode::ANHUI,
            },
            TxError::NotVerifierRegistrar {
                verifier: "d".into(),
                registrar: ProvinceCode::ANHUI,
            },
            TxError::ProvinceNotMember {
                province: ProvinceCode::ANHUI,
            },
            TxError::PredatesAdmission {
                kind: "issuer",
                id: "i".into(),
                province: ProvinceCode::ANHUI,
                height: 1,
                joined_height: 2,
            },
            TxError::TypeCodeOutsideNamespace {
                licence_type: "T".into(),
                division: "320100".into(),
                province: ProvinceCode::SHANGHAI,
            },
            TxError::NotFound {
                kind: "k",
                id: "i".into(),
            },
            TxError::AlreadyExists {
                kind: "k",
                id: "i".into(),
            },
            TxError::InvalidTransition {
                kind: "k",
                id: "i".into(),
                from: "a",
                action: "b",
            },
            TxError::DidDeactivated { did: "d".into() },
            TxError::LimitReached { what: "w", max: 1 },
            TxError::BatchProofInvalid {
                root: [0; 32],
                commitment: [1; 32],
            },
            TxError::SelfRecognition {
                province: ProvinceCode::ANHUI,
            },
            TxError::WouldEmpty { what: "member" },
            TxError::TooFewMembers {
                remaining: 1,
                min: 2,
            },
            TxError::ProposalNotFound { id: 1 },
            TxError::ProposalClosed { id: 1 },
            TxError::ProposalExpired {
                id: 1,
                expires_height: 2,
            },
            TxError::AlreadyVoted {
                id: 1,
                province: ProvinceCode::ANHUI,
            },
            TxError::ArithmeticOverflow { what: "nonce" },
        ];
        let mut codes: Vec<u32> = samples.iter().map(TxError::code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), samples.len());
        assert!(!codes.contains(&0));
        assert_eq!(
            TxError::BadNonce {
                expected: 1,
                actual: 5
            }
            .to_string(),
            "nonce 5 is not the signer's next nonce 1"
        );
        assert!(
            TxError::NotIssuer { signer: [0xab; 32] }
                .to_string()
                .contains("abab")
        );
    }
}
