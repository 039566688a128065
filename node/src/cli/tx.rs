//! `yrd tx <kind> … --key FILE --rpc URL`: build, sign, submit and wait for every transaction kind.
//!
//! The signer's next nonce, the chain id and the current height come from the node
//! (`account_getNextNonce`, `node_getStatus`, `chain_getHead`) unless given; the transaction expires
//! `--expiry-blocks` after the current height. `--dry-run` prints the signed transaction's hex and
//! hash without submitting it.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::records::IssuerRevocationRule;
use yrd_contracts::tx::{
    AccreditIssuer, AnchorBatch, AnchorLicence, DeclareRecognition, DidCreate, GovernanceAction,
    LicenceStatusChange, LicenceTarget, LicenceTypeSpec, RecognitionCondition, Relationships,
    RenewLicence, ServiceSpec, StatusReason, SubjectKind, VerificationMethodSpec,
};
use yrd_contracts::types::{DataClass, Fragment, LicenceTypeCode, ProvinceCode};
use yrd_contracts::{ChainId, DidId, TxBody, TxPayload};

/// Options every transaction takes.
#[derive(Debug, Clone, Args)]
pub struct TxCommon {
    /// The signer's key file.
    #[arg(long, global = true)]
    pub key: Option<PathBuf>,
    /// The node's JSON-RPC address.
    #[arg(long, global = true, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
    /// Use this nonce instead of asking the node.
    #[arg(long, global = true)]
    pub nonce: Option<u64>,
    /// Blocks after the current height until the transaction expires.
    #[arg(long, global = true, default_value_t = 100)]
    pub expiry_blocks: u64,
    /// Submit and return without waiting for the commit.
    #[arg(long, global = true)]
    pub no_wait: bool,
    /// Print the signed transaction and do not submit it.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// How long to wait for the commit, in seconds.
    #[arg(long, global = true, default_value_t = 30)]
    pub wait_secs: u64,
}

/// `yrd tx`.
#[derive(Debug, Args)]
pub struct TxArgs {
    /// Options for every kind.
    #[command(flatten)]
    pub common: TxCommon,
    /// The transaction kind.
    #[command(subcommand)]
    pub kind: TxKind,
}

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
    /// Print a licence's commitment (from --secret-file: identifier + holder salt); submits
    /// nothing.
    Commitment {
        /// The licence.
        #[command(flatten)]
        licence: LicenceRef,
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
/// salt) read from `--secret-file` (see `super::licence_secret`).
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
            (None, Some(path), _, _) => super::licence_secret::read_secret(path)?,
            (None, None, Some(id), Some(salt)) => {
                super::licence_secret::LicenceSecret::from_args(id, salt)?
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
    fn target(&self) -> anyhow::Result<LicenceTarget> {
        let (issuer, commitment) = self.licence.target()?;
        Ok(LicenceTarget {
            issuer,
            commitment,
            batch: None,
        })
    }
}

/// Build, sign, submit and (unless `--no-wait`) wait.
pub fn run(args: TxArgs) -> anyhow::Result<ExitCode> {
    if let TxKind::Commitment { licence } = &args.kind {
        println!("{}", hex::encode(licence.resolve()?.commitment));
        return Ok(ExitCode::SUCCESS);
    }
    let payload = build_payload(&args.kind)?;
    let common = args.common;
    let key_path = common.key.clone().context("--key is required")?;
    let key = yrd_node::keys::read_key_file(&key_path)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let client = HttpClientBuilder::default()
            .request_timeout(Duration::from_secs(10))
            .build(&common.rpc)
            .with_context(|| format!("RPC address {:?}", common.rpc))?;
        let signer = key.verifying_key().to_bytes();
        let status: serde_json::Value = client
            .request("node_getStatus", rpc_params![])
            .await
            .context("node_getStatus")?;
        let chain_id = status
            .get("chainId")
            .and_then(|v| v.as_str())
            .context("node_getStatus did not report chainId")?
            .to_owned();
        let head: serde_json::Value = client
            .request("chain_getHead", rpc_params![])
            .await
            .context("chain_getHead")?;
        let height = head
            .get("height")
            .and_then(|v| v.as_u64())
            .context("chain_getHead did not report height")?;
        let nonce = match common.nonce {
            Some(n) => n,
            None => {
                let value: serde_json::Value = client
                    .request("account_getNextNonce", rpc_params![hex::encode(signer)])
                    .await
                    .context("account_getNextNonce")?;
                value
                    .as_u64()
                    .or_else(|| value.get("nonce").and_then(|n| n.as_u64()))
                    .context("nonce")?
            }
        };
        let body = TxBody {
            chain_id: ChainId(chain_id),
            signer,
            nonce,
            expiry_height: height.saturating_add(common.expiry_blocks),
            payload,
        };
        // A DID's identifier derives from its creator and the creating transaction's nonce.
        let created_did = matches!(body.payload, TxPayload::DidCreate(_))
            .then(|| DidId::derive(&body.signer, body.nonce).to_string());
        let tx = body.sign(&key);
        let bytes = tx.to_bytes();
        let hash = hex::encode(tx.hash());
        if common.dry_run {
            println!(
                "{}",
                serde_json::json!({ "hash": hash, "tx": hex::encode(&bytes) })
            );
            return Ok(ExitCode::SUCCESS);
        }
        let submitted: String = match client
            .request("tx_submit", rpc_params![hex::encode(&bytes)])
            .await
        {
            Ok(submitted) => submitted,
            Err(jsonrpsee::core::ClientError::Call(error)) => {
                // The ledger's own code and name when the node gives them (`data`), else the
                // JSON-RPC error's.
                let data: Option<serde_json::Value> = error
                    .data()
                    .and_then(|raw| serde_json::from_str(raw.get()).ok());
                let name = data
                    .as_ref()
                    .and_then(|d| d.get("name"))
                    .and_then(|v| v.as_str())
                    .unwrap_or("refused by the node");
                let code = data
                    .as_ref()
                    .and_then(|d| d.get("code"))
                    .and_then(|v| v.as_i64())
                    .unwrap_or(i64::from(error.code()));
                return Ok(refused(name, code, error.message()));
            }
            Err(error) => return Err(error).context("tx_submit"),
        };
        eprintln!("submitted {submitted} (nonce {nonce})");
        if let Some(did) = &created_did {
            eprintln!("creates {did}");
        }
        if common.no_wait {
            println!("{submitted}");
            return Ok(ExitCode::SUCCESS);
        }
        wait_for(
            &client,
            &submitted,
            Duration::from_secs(common.wait_secs),
            created_did,
        )
        .await
    })
}

/// Exit status of `yrd tx` when the transaction was refused: by the node at submission (a
/// JSON-RPC error), or committed with a failing receipt, or rejected (expired, evicted).
pub const EXIT_REFUSED: u8 = 3;
/// Exit status of `yrd tx` when the transaction was still pending at the end of `--wait-secs`.
pub const EXIT_PENDING: u8 = 4;

/// The exit statuses, for `yrd tx --help`.
pub const EXIT_STATUS_HELP: &str = "Exit status: 0 committed with effect (receipt code 0), or \
submitted with --no-wait, or --dry-run; 1 the transaction could not be built or the node not \
asked (bad key file, unreachable node, …); 2 bad arguments; 3 refused: by the node at submission, \
or committed with a failing receipt, or rejected (the error's name and code are printed on \
stderr); 4 still pending when --wait-secs ran out.";

/// Prints why a transaction was refused (`name (code): message`) on stderr; returns
/// [`EXIT_REFUSED`].
fn refused(name: &str, code: i64, message: &str) -> ExitCode {
    eprintln!("refused: {name} ({code}): {message}");
    ExitCode::from(EXIT_REFUSED)
}

/// The refusal a committed or rejected transaction's status carries.
fn receipt_refusal(status: &serde_json::Value) -> ExitCode {
    let receipt = status.get("receipt");
    let field = |name: &str| receipt.and_then(|r| r.get(name));
    refused(
        field("name").and_then(|v| v.as_str()).unwrap_or("unknown"),
        field("code").and_then(|v| v.as_i64()).unwrap_or(-1),
        field("message").and_then(|v| v.as_str()).unwrap_or(""),
    )
}

/// Whether a committed transaction's status (`tx_getStatus`) carries a receipt with code 0: a
/// transaction included with an error code had no effect, and `yrd tx` then exits non-zero.
fn receipt_ok(status: &serde_json::Value) -> bool {
    status
        .pointer("/receipt/code")
        .and_then(serde_json::Value::as_u64)
        == Some(0)
}

/// Wait for the commit and print the status (with `did` added when the transaction creates one).
async fn wait_for(
    client: &HttpClient,
    hash: &str,
    limit: Duration,
    created_did: Option<String>,
) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    loop {
        let mut status: serde_json::Value = client
            .request("tx_getStatus", rpc_params![hash])
            .await
            .context("tx_getStatus")?;
        if let (Some(did), Some(object)) = (&created_did, status.as_object_mut()) {
            object.insert("did".into(), serde_json::Value::String(did.clone()));
        }
        let state = status.get("status").and_then(|s| s.as_str()).unwrap_or("");
        match state {
            "committed" => {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(if receipt_ok(&status) {
                    ExitCode::SUCCESS
                } else {
                    receipt_refusal(&status)
                });
            }
            "rejected" => {
                println!("{}", serde_json::to_string_pretty(&status)?);
                return Ok(receipt_refusal(&status));
            }
            _ if started.elapsed() > limit => {
                println!("{}", serde_json::to_string_pretty(&status)?);
                eprintln!(
                    "still {state} after {}s: the transaction {hash} may yet commit",
                    limit.as_secs()
                );
                return Ok(ExitCode::from(EXIT_PENDING));
            }
            _ => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

fn build_payload(kind: &TxKind) -> anyhow::Result<TxPayload> {
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

/// A GB 32100 unified social credit code.
pub fn parse_uscc(text: &str) -> Result<Uscc, String> {
    text.parse()
        .map_err(|e: yrd_contracts::licence_id::LicenceIdError| e.to_string())
}

fn parse_revocation_rule(text: &str) -> Result<IssuerRevocationRule, String> {
    match text {
        "stay-valid" => Ok(IssuerRevocationRule::StayValidFlagged),
        "invalidate" => Ok(IssuerRevocationRule::Invalidate),
        other => Err(format!("{other:?}: expected stay-valid or invalidate")),
    }
}

/// 64 hex characters.
pub fn parse_hex32(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("expected 32 bytes, got {}", b.len()))
}

/// A province code or name.
pub fn parse_province(text: &str) -> Result<ProvinceCode, String> {
    match text.to_ascii_lowercase().as_str() {
        "shanghai" | "sh" => Ok(ProvinceCode::SHANGHAI),
        "jiangsu" | "js" => Ok(ProvinceCode::JIANGSU),
        "zhejiang" | "zj" => Ok(ProvinceCode::ZHEJIANG),
        "anhui" | "ah" => Ok(ProvinceCode::ANHUI),
        other => other.parse::<u32>().map(ProvinceCode).map_err(|_| {
            format!("{text:?} is not a province code or name (shanghai, jiangsu, zhejiang, anhui)")
        }),
    }
}

fn parse_did(text: &str) -> Result<DidId, String> {
    DidId::parse(text).map_err(|e| e.to_string())
}

fn parse_reason(text: &str) -> Result<StatusReason, String> {
    Ok(match text.to_ascii_lowercase().replace('_', "-").as_str() {
        "unspecified" => StatusReason::Unspecified,
        "issued-in-error" => StatusReason::IssuedInError,
        "holder-request" => StatusReason::HolderRequest,
        "superseded" => StatusReason::Superseded,
        "information-changed" => StatusReason::InformationChanged,
        "administrative-action" => StatusReason::AdministrativeAction,
        "court-order" => StatusReason::CourtOrder,
        "fraud" => StatusReason::Fraud,
        "key-compromise" => StatusReason::KeyCompromise,
        "renewal" => StatusReason::Renewal,
        "resolved" => StatusReason::Resolved,
        _ => return Err(format!("unknown reason {text:?}")),
    })
}

fn parse_subject(text: &str) -> Result<SubjectKind, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "issuer" => SubjectKind::Issuer,
        "verifier" => SubjectKind::Verifier,
        "organisation" | "organization" => SubjectKind::Organisation,
        "province-authority" => SubjectKind::ProvinceAuthority,
        _ => {
            return Err(format!(
                "unknown subject {text:?} (issuer, verifier, organisation, province-authority)"
            ));
        }
    })
}

fn parse_data_class(text: &str) -> Result<DataClass, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "unconditional" => DataClass::Unconditional,
        "conditional" => DataClass::Conditional,
        "non-open" | "nonopen" => DataClass::NonOpen,
        _ => {
            return Err(format!(
                "unknown data class {text:?} (unconditional, conditional, non-open)"
            ));
        }
    })
}

/// `YYYY-MM-DD` (UTC midnight) or milliseconds since the Unix epoch.
pub fn parse_time_ms(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("{text:?} is neither YYYY-MM-DD nor milliseconds"));
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| format!("bad year in {text:?}"))?,
        m.parse().map_err(|_| format!("bad month in {text:?}"))?,
        d.parse().map_err(|_| format!("bad day in {text:?}"))?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 {
        return Err(format!("{text:?} is not a date from 1970 on"));
    }
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok((days as u64) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_receipt_with_code_zero_counts_as_success() {
        let status = |receipt: serde_json::Value| serde_json::json!({"status": "committed", "receipt": receipt});
        assert!(receipt_ok(&status(
            serde_json::json!({"code": 0, "name": "Ok"})
        )));
        assert!(!receipt_ok(&status(
            serde_json::json!({"code": 305, "name": "NotAccreditedForType"})
        )));
        assert!(!receipt_ok(&serde_json::json!({"status": "committed"})));
    }

    #[test]
    fn dates_parse_to_utc_midnight() {
        assert_eq!(parse_time_ms("1970-01-01"), Ok(0));
        assert_eq!(parse_time_ms("2026-11-23"), Ok(1_795_392_000_000));
        assert_eq!(parse_time_ms("2000-03-01"), Ok(951_868_800_000));
        assert_eq!(parse_time_ms("12345"), Ok(12345));
        assert!(parse_time_ms("2026-13-01").is_err());
    }

    #[test]
    fn provinces_by_name_or_code() {
        assert_eq!(parse_province("Jiangsu"), Ok(ProvinceCode::JIANGSU));
        assert_eq!(parse_province("340000"), Ok(ProvinceCode::ANHUI));
        assert!(parse_province("mars").is_err());
    }
}
