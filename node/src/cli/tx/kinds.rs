//! Every transaction kind `yrd tx` builds, as command-line arguments.

use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use yrd_contracts::DidId;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::records::IssuerRevocationRule;
use yrd_contracts::tx::{LicenceTarget, StatusReason, SubjectKind};
use yrd_contracts::types::{DataClass, ProvinceCode};

use super::parse::{
    parse_data_class, parse_did, parse_hex32, parse_province, parse_reason, parse_revocation_rule,
    parse_subject, parse_time_ms, parse_uscc,
};

/// Every transaction kind.
#[derive(Debug, Subcommand)]
pub enum TxKind {
    /// Propose admitting a member province (authority key).
    ProposeAddMember {
        /// Province (code such as 320000, or shanghai/jiangsu/zhejiang/anhui).
        #[arg(long, value_parser = parse_province)]
        province: ProvinceCode,
        /// Its authority's public key (hex).
        #[arg(long, value_parser = parse_hex32)]
        authority_key: [u8; 32],
    },
    /// Propose removing a member province.
    ProposeRemoveMember {
        /// Province.
        #[arg(long, value_parser = parse_province)]
        province: ProvinceCode,
    },
    /// Propose adding a validator operated by a member province.
    ProposeAddValidator {
        /// The validator's node key (hex).
        #[arg(long, value_parser = parse_hex32)]
        validator_key: [u8; 32],
        /// Operating province.
        #[arg(long, value_parser = parse_province)]
        province: ProvinceCode,
    },
    /// Propose removing a validator.
    ProposeRemoveValidator {
        /// The validator's node key (hex).
        #[arg(long, value_parser = parse_hex32)]
        validator_key: [u8; 32],
    },
    /// Propose replacing a member province's authority key (a lost or compromised key, or
    /// routine rotation); the old key stops acting once the proposal passes.
    ProposeRotateAuthorityKey {
        /// Province.
        #[arg(long, value_parser = parse_province)]
        province: ProvinceCode,
        /// The new authority key (hex).
        #[arg(long, value_parser = parse_hex32)]
        new_key: [u8; 32],
    },
    /// Propose new chain parameters.
    ProposeSetParameters {
        /// Quorum numerator.
        #[arg(long)]
        quorum_numerator: u32,
        /// Quorum denominator.
        #[arg(long)]
        quorum_denominator: u32,
        /// Blocks a proposal stays open.
        #[arg(long)]
        proposal_ttl_blocks: u64,
        /// Largest transaction in bytes.
        #[arg(long)]
        max_tx_bytes: u32,
    },
    /// Vote on an open proposal.
    Vote {
        /// Proposal id.
        #[arg(long)]
        proposal: u64,
        /// Vote no (default: yes).
        #[arg(long)]
        reject: bool,
    },
    /// Accredit an issuer of your province for licence types.
    AccreditIssuer {
        /// The issuer's signing key (hex).
        #[arg(long, value_parser = parse_hex32)]
        issuer_key: [u8; 32],
        /// The issuer's DID.
        #[arg(long, value_parser = parse_did)]
        issuer_did: DidId,
        /// The issuer's unified social credit code (18 characters; its division must lie in your
        /// province). Licence identifiers of this issuer carry it; it never changes.
        #[arg(long, value_parser = parse_uscc)]
        uscc: Uscc,
        /// Licence type codes, comma-separated.
        #[arg(long, value_delimiter = ',', required = true)]
        types: Vec<String>,
    },
    /// Suspend an issuer of your province.
    SuspendIssuer {
        /// The issuer's signing key (hex).
        #[arg(long, value_parser = parse_hex32)]
        issuer_key: [u8; 32],
        /// Reason.
        #[arg(long, value_parser = parse_reason, default_value = "unspecified")]
        reason: StatusReason,
    },
    /// Revoke an issuer of your province.
    RevokeIssuer {
        /// The issuer's signing key (hex).
        #[arg(long, value_parser = parse_hex32)]
        issuer_key: [u8; 32],
        /// Reason.
        #[arg(long, value_parser = parse_reason, default_value = "unspecified")]
        reason: StatusReason,
    },
    /// Register a licence type in the catalogue.
    RegisterType(TypeArgs),
    /// Update a licence type your province registered.
    UpdateType(TypeArgs),
    /// Anchor one licence (by commitment, or by its secrets from --secret-file).
    Anchor {
        /// The licence's commitment.
        #[command(flatten)]
        licence: LicenceRef,
        /// Licence type code.
        #[arg(long = "type")]
        licence_type: String,
        /// Start of validity: YYYY-MM-DD (UTC) or ms since the Unix epoch.
        #[arg(long, value_parser = parse_time_ms)]
        valid_from: u64,
        /// End of validity (exclusive): YYYY-MM-DD (UTC) or ms.
        #[arg(long, value_parser = parse_time_ms)]
        valid_until: u64,
    },
    /// Anchor a batch: the Merkle root over a file of commitments (one hex per line).
    AnchorBatch {
        /// File of hex commitments.
        #[arg(long)]
        leaves: PathBuf,
        /// Licence type code of every leaf.
        #[arg(long = "type")]
        licence_type: String,
    },
    /// Suspend a licence.
    SuspendLicence(StatusArgs),
    /// Revoke a licence.
    RevokeLicence(StatusArgs),
    /// Lift a licence's suspension.
    ReinstateLicence(StatusArgs),
    /// Give a licence a new validity window.
    RenewLicence {
        /// Which licence and why.
        #[command(flatten)]
        status: StatusArgs,
        /// New start of validity: YYYY-MM-DD or ms.
        #[arg(long, value_parser = parse_time_ms)]
        valid_from: u64,
        /// New end of validity (exclusive): YYYY-MM-DD or ms.
        #[arg(long, value_parser = parse_time_ms)]
        valid_until: u64,
    },
    /// Declare that your region recognises a type issued in another province.
    DeclareRecognition {
        /// Licence type code.
        #[arg(long = "type")]
        licence_type: String,
        /// Issuing province.
        #[arg(long, value_parser = parse_province)]
        issuing_province: ProvinceCode,
        /// Require more than this many days of remaining validity.
        #[arg(long)]
        min_remaining_days: Option<u32>,
    },
    /// Withdraw a recognition your province declared.
    WithdrawRecognition {
        /// Licence type code.
        #[arg(long = "type")]
        licence_type: String,
        /// Issuing province.
        #[arg(long, value_parser = parse_province)]
        issuing_province: ProvinceCode,
    },
    /// Create a DID for an organisation (signed by a member authority).
    DidCreate {
        /// issuer, verifier, organisation or province-authority.
        #[arg(long, value_parser = parse_subject)]
        subject: SubjectKind,
        /// The subject's controller key (hex).
        #[arg(long, value_parser = parse_hex32)]
        controller_key: [u8; 32],
    },
    /// Add a verification method to a DID.
    DidAddKey {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// Fragment, e.g. key-2.
        #[arg(long)]
        fragment: String,
        /// The key (hex).
        #[arg(long, value_parser = parse_hex32)]
        public_key: [u8; 32],
        /// Also list it under capabilityInvocation (lets it control the DID).
        #[arg(long)]
        controlling: bool,
    },
    /// Remove a verification method.
    DidRemoveKey {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// Fragment.
        #[arg(long)]
        fragment: String,
    },
    /// Add a service.
    DidAddService {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// Fragment.
        #[arg(long)]
        fragment: String,
        /// Service type.
        #[arg(long = "type")]
        service_type: String,
        /// https:// endpoint of the organisation.
        #[arg(long)]
        endpoint: String,
    },
    /// Remove a service.
    DidRemoveService {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// Fragment.
        #[arg(long)]
        fragment: String,
    },
    /// Replace the key of a verification method.
    DidRotateKey {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// Fragment.
        #[arg(long)]
        fragment: String,
        /// The new key (hex).
        #[arg(long, value_parser = parse_hex32)]
        new_key: [u8; 32],
    },
    /// Add a controller DID.
    DidAddController {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// The controlling DID.
        #[arg(long, value_parser = parse_did)]
        controller: DidId,
    },
    /// Remove a controller DID.
    DidRemoveController {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
        /// The controlling DID.
        #[arg(long, value_parser = parse_did)]
        controller: DidId,
    },
    /// Deactivate a DID for good.
    DidDeactivate {
        /// The DID.
        #[arg(long, value_parser = parse_did)]
        did: DidId,
    },
    /// Timestamp a document digest (存证).
    Timestamp {
        /// The document's 32-byte digest (hex); the ledger never sees the document.
        #[arg(long, value_parser = parse_hex32)]
        digest: [u8; 32],
        /// The DID the signer acts for (when not an authority or issuer).
        #[arg(long, value_parser = parse_did)]
        acting_did: Option<DidId>,
    },
    /// Register a verifier DID allowed to read conditional data.
    RegisterVerifier {
        /// The verifier's DID.
        #[arg(long, value_parser = parse_did)]
        verifier: DidId,
    },
    /// Withdraw a verifier registration.
    DeregisterVerifier {
        /// The verifier's DID.
        #[arg(long, value_parser = parse_did)]
        verifier: DidId,
    },
    /// Register an observer node of your province (authority key): a non-voting node the member
    /// network admits, which follows the chain and serves reads.
    RegisterObserver {
        /// The observer's node key (hex), as `yrd keygen` printed it.
        #[arg(long, value_parser = parse_hex32)]
        node_key: [u8; 32],
    },
    /// Remove an observer your province registered.
    RemoveObserver {
        /// The observer's node key (hex).
        #[arg(long, value_parser = parse_hex32)]
        node_key: [u8; 32],
    },
    /// On an sm2-sm3 chain, bind the network key of a node your province operates (a validator,
    /// or an observer it registered) so the members admit it (authority key; ADR 020). Reads the
    /// node's key file: the network key is derived from it and signs the binding.
    BindNetworkKey {
        /// The node's key file (its `node-key.json`).
        #[arg(long)]
        node_key_file: std::path::PathBuf,
    },
    /// Print a licence's commitment (from --secret-file: identifier + holder salt); submits
    /// nothing.
    Commitment {
        /// The licence.
        #[command(flatten)]
        licence: LicenceRef,
        /// The chain's crypto suite (`node_getStatus` reports it as `cryptoSuite`): a licence's
        /// commitment is a BLAKE3 or an SM3 hash.
        #[arg(long, default_value = "ed25519-blake3")]
        crypto: yrd_consensus::CryptoSuite,
    },
}

/// A catalogue entry.
#[derive(Debug, Args)]
pub struct TypeArgs {
    /// Type code.
    #[arg(long)]
    pub code: String,
    /// Public name of the type.
    #[arg(long)]
    pub name: String,
    /// Digest of its data schema (hex).
    #[arg(long, value_parser = parse_hex32)]
    pub schema_digest: [u8; 32],
    /// unconditional, conditional or non-open.
    #[arg(long, value_parser = parse_data_class)]
    pub data_class: DataClass,
    /// What a revocation of the issuer does to its licences of this type: stay-valid (valid,
    /// flagged with the issuer's status) or invalidate.
    #[arg(long, value_parser = parse_revocation_rule, default_value = "stay-valid")]
    pub on_issuer_revoked: IssuerRevocationRule,
}

/// A licence named by its commitment and issuer, or by its secrets (identifier and the holder's
/// salt) read from `--secret-file` (see `crate::cli::licence_secret`).
#[derive(Debug, Clone, Args)]
pub struct LicenceRef {
    /// The commitment (hex); give --issuer with it.
    #[arg(long, value_parser = parse_hex32, conflicts_with_all = ["licence_id", "salt", "secret_file"])]
    pub commitment: Option<[u8; 32]>,
    /// TOML file with the licence's secrets: licence_id = "..." and salt = "<64 hex>"; `-` reads
    /// it from standard input. Keeps them out of ps and shell history.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["licence_id", "salt"])]
    pub secret_file: Option<PathBuf>,
    /// GB/T 36904 identifier [test fixtures only: visible in ps and shell history; use
    /// --secret-file].
    #[arg(long, requires = "salt")]
    pub licence_id: Option<String>,
    /// The holder's 32-byte salt (hex) [test fixtures only: visible in ps and shell history; use
    /// --secret-file].
    #[arg(long, requires = "licence_id")]
    pub salt: Option<String>,
    /// The issuer's USCC, with --commitment (with the secrets it is read from the identifier).
    #[arg(long, value_parser = parse_uscc, conflicts_with_all = ["licence_id", "secret_file"])]
    pub issuer: Option<Uscc>,
}

/// A licence as a transaction names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLicence {
    /// Its commitment.
    pub commitment: [u8; 32],
    /// Its issuer's USCC, when known (always, except for a bare --commitment).
    pub issuer: Option<Uscc>,
}

impl LicenceRef {
    /// The commitment and issuer, reading `--secret-file` once (standard input cannot be read
    /// twice).
    pub fn resolve(&self) -> anyhow::Result<ResolvedLicence> {
        let secret = match (
            &self.commitment,
            &self.secret_file,
            &self.licence_id,
            &self.salt,
        ) {
            (Some(commitment), _, _, _) => {
                return Ok(ResolvedLicence {
                    commitment: *commitment,
                    issuer: self.issuer.clone(),
                });
            }
            (None, Some(path), _, _) => crate::cli::licence_secret::read_secret(path)?,
            (None, None, Some(id), Some(salt)) => {
                crate::cli::licence_secret::LicenceSecret::from_args(id, salt)?
            }
            _ => bail!("give --secret-file (or --commitment with --issuer)"),
        };
        Ok(ResolvedLicence {
            commitment: secret.commitment(),
            issuer: Some(secret.issuer().clone()),
        })
    }

    /// The commitment and the issuer's USCC, both required.
    pub fn target(&self) -> anyhow::Result<(Uscc, [u8; 32])> {
        let resolved = self.resolve()?;
        let issuer = resolved
            .issuer
            .context("give --issuer with --commitment (or use --secret-file)")?;
        Ok((issuer, resolved.commitment))
    }
}

/// A status change.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The licence.
    #[command(flatten)]
    pub licence: LicenceRef,
    /// Reason.
    #[arg(long, value_parser = parse_reason, default_value = "unspecified")]
    pub reason: StatusReason,
}

impl StatusArgs {
    pub(super) fn target(&self) -> anyhow::Result<LicenceTarget> {
        let (issuer, commitment) = self.licence.target()?;
        Ok(LicenceTarget {
            issuer,
            commitment,
            batch: None,
        })
    }
}
