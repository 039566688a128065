//! `yrd vc issue` and `yrd vc verify`: a licence attestation as a W3C Verifiable Credential 2.0
//! with an `eddsa-jcs-2022` Data Integrity proof (`yrd_verifier::vc`), for wallets and verifiers
//! outside the ledger.
//!
//! The credential's subject is the licence's commitment and its issuer's USCC, never holder data;
//! its issuer is the issuer's `did:yrd`, and the proof's verification method the method of that
//! DID holding the issuer's key. `yrd vc verify` resolves the DID through a node (with
//! `--genesis`, as a proven answer checked against the genesis file, so the node need not be
//! trusted), checks the proof, then asks the ledger for the licence's status.
//!
//! A credential for a licence whose status is public (unconditional data class) carries a
//! `credentialStatus`: two `BitstringStatusListEntry`s (revocation, suspension) naming the
//! licence's on-chain index in its issuer's lists, served by every node at
//! `GET /status/{uscc}/{purpose}` (`yrd_verifier::status_list`, ADR 014). `yrd vc verify` fetches
//! each list, checks its proof, that its signer is a validator or registered observer (proven
//! against the genesis file with `--genesis`), its length and the bit, and compares the bits with
//! the ledger's own (proven) verdict.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use jsonrpsee::rpc_params;
use serde_json::{Value, json};
use yrd_contracts::did_id::DidId;
use yrd_verifier::query::{DidParams, LicenceVerifyParams, StateKeyParams};
use yrd_verifier::status_list::{self, ListScope, StatusListError, StatusPurpose};
use yrd_verifier::vc;
use yrd_verifier::{HexBytes, ProvenQuery};

use super::tx::LicenceRef;

/// Largest credential file read.
const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;
/// The credential type besides `VerifiableCredential`.
pub const CREDENTIAL_TYPE: &str = "YrdLicenceAttestation";
/// Exit status of `yrd vc verify` when the proof verifies but the licence is not valid now.
const EXIT_NOT_VALID: u8 = 3;
/// Exit status of `yrd vc verify` when the proof verifies but a status list could not be
/// retrieved or trusted, or disagrees with the ledger.
const EXIT_STATUS_ERROR: u8 = 4;
/// Largest status-list response read (headers and body).
const MAX_STATUS_RESPONSE_BYTES: usize = status_list::MAX_ENCODED_CHARS + 64 * 1024;

/// `yrd vc`.
#[derive(Debug, Subcommand)]
pub enum VcCommand {
    /// Export a licence attestation as a VC 2.0 credential signed with the issuer's key.
    Issue(IssueArgs),
    /// Check a credential's proof (resolving the issuer's did:yrd through a node), its status
    /// lists and the licence's status on the ledger. Exit status: 0 verified and valid, 1 not
    /// verified, 3 verified but the licence is not valid now (revoked, suspended, expired or
    /// absent), 4 verified but a status list could not be retrieved or trusted, or disagrees
    /// with the ledger.
    Verify(VerifyArgs),
}

/// `yrd vc issue`.
#[derive(Debug, Args)]
pub struct IssueArgs {
    /// The issuer's key file.
    #[arg(long)]
    pub key: PathBuf,
    /// The licence.
    #[command(flatten)]
    pub licence: LicenceRef,
    /// A node's JSON-RPC address (for the issuer's DID, the chain id and the licence's
    /// status-list index).
    #[arg(long, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
    /// Base URL of the node serving the status lists that `credentialStatus` names
    /// (`<URL>/status/<USCC>/<purpose>`); defaults to --rpc. Give the address verifiers reach,
    /// such as the public HTTPS address of a node.
    #[arg(long, value_name = "URL")]
    pub status_url: Option<String>,
    /// Leave out `credentialStatus` (verifiers then learn the status from the ledger only).
    #[arg(long)]
    pub no_status: bool,
}

/// `yrd vc verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The credential (JSON); `-` reads standard input.
    pub credential: PathBuf,
    /// A node's JSON-RPC address.
    #[arg(long, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
    /// The chain's genesis file: the DID and the licence status are then asked with proof and
    /// checked against it.
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// The verifying region (province code or name), for the recognition verdict.
    #[arg(long, default_value = "310000")]
    pub region: String,
    /// Fetch the status lists from this node (base URL, as `<URL>/status/<USCC>/<purpose>`)
    /// instead of the `statusListCredential` URLs the credential names. Every node serves every
    /// list, signed with its own key; only `http://` URLs are fetched.
    #[arg(long, value_name = "URL")]
    pub status_from: Option<String>,
}

/// Run `yrd vc`.
pub fn run(command: VcCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match command {
        VcCommand::Issue(args) => runtime.block_on(issue(args)),
        VcCommand::Verify(args) => runtime.block_on(verify(args)),
    }
}

fn client(rpc: &str) -> anyhow::Result<HttpClient> {
    HttpClientBuilder::default()
        .request_timeout(std::time::Duration::from_secs(10))
        .build(rpc)
        .with_context(|| format!("RPC address {rpc:?}"))
}

async fn issue(args: IssueArgs) -> anyhow::Result<ExitCode> {
    let key = yrd_node::keys::read_key_file(&args.key).context(
        "eddsa-jcs-2022 credentials are signed with ed25519 keys (no W3C SM2 cryptosuite exists; \
         ADR 019)",
    )?;
    let public = key.verifying_key().to_bytes();
    let licence = args.licence.resolve()?;
    let client = client(&args.rpc)?;
    let issuer: Value = client
        .request("issuer_get", rpc_params![hex::encode(public)])
        .await
        .context("issuer_get: is this key an accredited issuer?")?;
    let did = issuer["did"]
        .as_str()
        .context("issuer_get did not report the issuer's DID")?
        .to_owned();
    let uscc = issuer["uscc"]
        .as_str()
        .context("issuer_get did not report the issuer's USCC")?
        .to_owned();
    if let Some(named) = &licence.issuer
        && named.to_string() != uscc
    {
        bail!("the licence names issuer {named}, but this key is issuer {uscc}");
    }
    let resolution: Value = client
        .request("did_resolve", rpc_params![did.clone()])
        .await
        .context("did_resolve")?;
    let multikey = vc::public_key_multibase(&public);
    let method = resolution["didDocument"]["verificationMethod"]
        .as_array()
        .and_then(|methods| {
            methods
                .iter()
                .find(|m| m["publicKeyMultibase"] == multikey.as_str())
        })
        .and_then(|m| m["id"].as_str())
        .with_context(|| format!("no verification method of {did} holds this key"))?
        .to_owned();
    let status: Value = client
        .request("node_getStatus", rpc_params![])
        .await
        .context("node_getStatus")?;
    let chain_id = status["chainId"].as_str().unwrap_or_default().to_owned();
    let commitment = hex::encode(licence.commitment);
    let now = rfc3339(yrd_node::clock::unix_ms());
    let status = if args.no_status {
        None
    } else {
        let base = args.status_url.as_deref().unwrap_or(&args.rpc);
        status_entries(&client, &uscc, &commitment, base).await?
    };
    let mut credential = json!({
        "@context": [vc::VC_V2_CONTEXT],
        "type": ["VerifiableCredential", CREDENTIAL_TYPE],
        "issuer": did,
        "validFrom": now,
        "credentialSubject": {
            "id": format!("urn:yrd:licence:{uscc}:{commitment}"),
            "issuerUscc": uscc,
            "licenceCommitment": commitment,
            "ledger": chain_id,
        },
    });
    if let Some(entries) = status {
        credential["credentialStatus"] = entries;
    }
    let config = vc::proof_config(&credential, &method, &now, "assertionMethod");
    let secured = vc::add_proof(&credential, &config, &key)?;
    println!("{}", serde_json::to_string_pretty(&secured)?);
    Ok(ExitCode::SUCCESS)
}

/// The `credentialStatus` entries of the licence, or `None` (with a note) when its status is not
/// listed: a batch member with no record of its own yet, or a licence whose data class keeps
/// its status from the public (the node sets such a licence's bits in every list).
async fn status_entries(
    client: &HttpClient,
    uscc: &str,
    commitment: &str,
    base: &str,
) -> anyhow::Result<Option<Value>> {
    let mut params = jsonrpsee::core::params::ObjectParams::new();
    params.insert("issuer", uscc)?;
    params.insert("commitment", commitment)?;
    params.insert("region", INDEX_QUERY_REGION)?;
    let answer: Value = client
        .request("licence_verify", params)
        .await
        .context("licence_verify (for the licence's status-list index)")?;
    let details = &answer["details"];
    let index = details["statusListIndex"].as_u64();
    let public = details["dataClass"] == "unconditional";
    let Some(index) = index.filter(|_| public) else {
        eprintln!(
            "note: no credentialStatus: {}",
            if answer["disclosure"] == "notFound" {
                "the licence is not on the ledger under its own record (anchor it, or give a batch member a status first)"
            } else if !public {
                "the licence's data class does not make its status public, so no status list shows it"
            } else {
                "the licence has no status-list index yet (a batch member is given one at its first status change)"
            }
        );
        return Ok(None);
    };
    let entries: Vec<Value> = StatusPurpose::ALL
        .into_iter()
        .map(|purpose| {
            let url = status_list::list_url(base, uscc, purpose);
            status_list::status_entry(&url, purpose, index)
        })
        .collect();
    Ok(Some(Value::Array(entries)))
}

/// The region `licence_verify` is asked for when only the index is wanted (any region will do).
const INDEX_QUERY_REGION: u32 = 310_000;

async fn verify(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    let region = super::tx::parse_province(&args.region).map_err(anyhow::Error::msg)?;
    let text = read_bounded(&args.credential)?;
    let credential: Value = serde_json::from_slice(&text).context("the credential is not JSON")?;
    let split = vc::split_proof(&credential)?;
    let issuer = credential["issuer"]
        .as_str()
        .context("the credential has no issuer DID")?;
    if !split
        .verification_method
        .strip_prefix(issuer)
        .is_some_and(|rest| rest.starts_with('#'))
    {
        bail!(
            "the proof's verification method {} is not a method of the issuer {issuer}",
            split.verification_method
        );
    }
    let spec = match &args.genesis {
        Some(path) => Some(yrd_verifier::chain_spec::ChainSpec::load(path)?),
        None => None,
    };
    let client = client(&args.rpc)?;
    let did = DidId::parse(issuer)
        .map_err(|e| anyhow::anyhow!("the credential's issuer {issuer:?} is not a did:yrd: {e}"))?;
    let resolution = ask(
        &client,
        spec.as_ref(),
        json!({"did": issuer, "proof": spec.is_some()}),
        ProvenQuery::DidResolve(DidParams {
            did,
            version_id: None,
        }),
    )
    .await?;
    let key = resolution["didDocument"]["verificationMethod"]
        .as_array()
        .and_then(|methods| {
            methods
                .iter()
                .find(|m| m["id"] == split.verification_method.as_str())
        })
        .and_then(|m| m["publicKeyMultibase"].as_str())
        .with_context(|| {
            format!(
                "{issuer} has no verification method {}",
                split.verification_method
            )
        })?;
    let key = vc::decode_public_key_multibase(key)?;
    if let Err(error) = vc::verify_proof(&credential, &key) {
        println!("NOT VERIFIED: {error}");
        return Ok(ExitCode::FAILURE);
    }
    let subject = &credential["credentialSubject"];
    let (Some(uscc), Some(commitment)) = (
        subject["issuerUscc"].as_str(),
        subject["licenceCommitment"].as_str(),
    ) else {
        println!("VERIFIED proof by {issuer}; the subject names no ledger licence");
        return Ok(ExitCode::SUCCESS);
    };
    let question = LicenceVerifyParams {
        issuer: super::tx::parse_uscc(uscc).map_err(anyhow::Error::msg)?,
        commitment: super::tx::parse_hex32(commitment).map_err(anyhow::Error::msg)?,
        region,
        verifier_did: None,
        batch: None,
    };
    let verdict = ask(
        &client,
        spec.as_ref(),
        json!({"issuer": uscc, "commitment": commitment, "region": region.0, "proof": spec.is_some()}),
        ProvenQuery::LicenceVerify(question),
    )
    .await?;
    let valid = verdict["valid"].as_bool();
    println!(
        "VERIFIED proof by {issuer} ({}); licence {commitment} of {uscc} at height {}: status {}, valid {}{}",
        split.verification_method,
        verdict["asOfHeight"],
        verdict["status"]
            .as_str()
            .unwrap_or("not on the ledger (or not disclosed)"),
        valid.map_or("not disclosed".to_owned(), |v| v.to_string()),
        if spec.is_some() {
            " (ledger answers proven against the genesis file)"
        } else {
            ""
        }
    );
    let mut status_error = false;
    let mut listed_invalid = false;
    if let Some(entries) = status_entries_of(&credential)? {
        let ledger = match &spec {
            Some(spec) => spec.genesis.chain_id.0.clone(),
            None => node_chain_id(&client).await?,
        };
        if subject["ledger"].as_str().is_some_and(|l| l != ledger) {
            bail!(
                "the credential names ledger {}, the node serves {ledger}",
                subject["ledger"]
            );
        }
        for entry in entries {
            let outcome = check_status_entry(
                &client,
                spec.as_ref(),
                &entry,
                uscc,
                &ledger,
                args.status_from.as_deref(),
                &verdict,
            )
            .await;
            match outcome {
                Ok(line) => {
                    listed_invalid |= line.set;
                    println!("{}", line.text);
                }
                Err(error) => {
                    status_error = true;
                    println!("STATUS NOT CHECKED ({}): {error:#}", entry.purpose.name());
                }
            }
        }
    }
    Ok(if status_error {
        ExitCode::from(EXIT_STATUS_ERROR)
    } else if valid == Some(true) && !listed_invalid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_VALID)
    })
}

/// One `BitstringStatusListEntry` of a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StatusEntry {
    purpose: StatusPurpose,
    index: u64,
    list_url: String,
}

/// The credential's status entries (`None` when it has no `credentialStatus`). Every entry
/// must be a `BitstringStatusListEntry` of a purpose this ledger serves.
fn status_entries_of(credential: &Value) -> anyhow::Result<Option<Vec<StatusEntry>>> {
    let entries = match &credential["credentialStatus"] {
        Value::Null => return Ok(None),
        Value::Array(entries) => entries.clone(),
        entry @ Value::Object(_) => vec![entry.clone()],
        _ => bail!("credentialStatus is neither an entry nor a list of entries"),
    };
    let mut out = Vec::with_capacity(entries.len());
    for entry in entries.iter().take(StatusPurpose::ALL.len() + 1) {
        if entry["type"] != status_list::ENTRY_TYPE {
            bail!(
                "credentialStatus: an entry of type {} is not a BitstringStatusListEntry",
                entry["type"]
            );
        }
        let purpose = entry["statusPurpose"]
            .as_str()
            .and_then(StatusPurpose::parse)
            .with_context(|| {
                format!(
                    "credentialStatus: status purpose {} is not served by this ledger",
                    entry["statusPurpose"]
                )
            })?;
        // A decimal string, per the specification (digits only: no sign, no spaces).
        let index = entry["statusListIndex"]
            .as_str()
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse::<u64>().ok())
            .context("credentialStatus: statusListIndex is not a decimal string")?;
        let list_url = entry["statusListCredential"]
            .as_str()
            .context("credentialStatus: no statusListCredential")?
            .to_owned();
        out.push(StatusEntry {
            purpose,
            index,
            list_url,
        });
    }
    if entries.len() > StatusPurpose::ALL.len() {
        bail!("credentialStatus holds more entries than there are status purposes");
    }
    Ok(Some(out))
}

/// A checked status entry, as reported.
struct StatusLine {
    /// The bit was set (revoked, or suspended, or the status is not public).
    set: bool,
    text: String,
}

/// Fetches and checks the list of `entry`, reads its bit and compares it with the ledger's
/// verdict (`verdict`, a `licence_verify` value).
async fn check_status_entry(
    client: &HttpClient,
    spec: Option<&yrd_verifier::chain_spec::ChainSpec>,
    entry: &StatusEntry,
    uscc: &str,
    ledger: &str,
    status_from: Option<&str>,
    verdict: &Value,
) -> anyhow::Result<StatusLine> {
    let url = match status_from {
        Some(base) => status_list::list_url(base, uscc, entry.purpose),
        None => entry.list_url.clone(),
    };
    let list: Value = fetch_json(&url)
        .await
        .with_context(|| format!("STATUS_RETRIEVAL_ERROR: {url}"))?;
    let scope = ListScope {
        uscc: uscc.to_owned(),
        purpose: entry.purpose,
        ledger: ledger.to_owned(),
    };
    let checked = status_list::check_list_credential(&list, &scope, status_list::MAX_LIST_BYTES)?;
    let standing = signer_standing(client, spec, &checked.signer).await?.with_context(|| {
        StatusListError::Verification(format!(
            "the list is signed by {}, which is neither a validator nor a registered observer{}",
            status_list::did_key(&checked.signer).0,
            if spec.is_some() { " (proven against the genesis file)" } else { "" }
        ))
    })?;
    let set = checked.list.get(entry.index)?;
    let ledger_height = verdict["asOfHeight"].as_u64();
    let ledger_status = verdict["status"].as_str();
    // What the list should say, if the ledger disclosed the status.
    let expected = ledger_status.map(|status| match entry.purpose {
        StatusPurpose::Revocation => status == "revoked",
        StatusPurpose::Suspension => status == "suspended",
    });
    let word = match (entry.purpose, set) {
        (StatusPurpose::Revocation, true) => "REVOKED (or its status is not public)",
        (StatusPurpose::Revocation, false) => "not revoked",
        (StatusPurpose::Suspension, true) => "SUSPENDED (or its status is not public)",
        (StatusPurpose::Suspension, false) => "not suspended",
    };
    let source = format!(
        "list at height {} signed by {standing} {}",
        checked.height,
        status_list::did_key(&checked.signer).0
    );
    match expected {
        Some(expected) if expected != set && ledger_height == Some(checked.height) => {
            Err(StatusListError::Verification(format!(
                "the {} list says {word} at height {}, the ledger says {} at the same height",
                entry.purpose.name(),
                checked.height,
                ledger_status.unwrap_or_default()
            ))
            .into())
        }
        Some(expected) if expected != set => Ok(StatusLine {
            set,
            text: format!(
                "status {}: index {} {word} ({source}); the ledger says {} at height {}, which decides",
                entry.purpose.name(),
                entry.index,
                ledger_status.unwrap_or_default(),
                ledger_height.unwrap_or_default()
            ),
        }),
        _ => Ok(StatusLine {
            set,
            text: format!(
                "status {}: index {} {word} ({source})",
                entry.purpose.name(),
                entry.index
            ),
        }),
    }
}

/// Whether `key` may sign status lists: `Some("validator")` or `Some("observer")` when the
/// ledger lists it (proven with a chain spec), `None` otherwise.
async fn signer_standing(
    client: &HttpClient,
    spec: Option<&yrd_verifier::chain_spec::ChainSpec>,
    key: &[u8; 32],
) -> anyhow::Result<Option<&'static str>> {
    use yrd_contracts::codec::decode_canonical;
    use yrd_contracts::keys;
    use yrd_contracts::records::{ObserverList, ValidatorList};

    let validators: Option<ValidatorList> = state_value(client, spec, keys::validator_list())
        .await?
        .map(|bytes| decode_canonical(&bytes))
        .transpose()
        .context("the validator list does not decode")?;
    if validators.is_some_and(|list| list.validators.iter().any(|v| v.key == *key)) {
        return Ok(Some("validator"));
    }
    let observers_key = keys::observer_list();
    let Some(observers_bytes) = state_value(client, spec, observers_key.clone()).await? else {
        return Ok(None);
    };
    let observers: ObserverList =
        decode_canonical(&observers_bytes).context("the observer list does not decode")?;
    let Some(record) = observers.observers.iter().find(|o| o.key == *key) else {
        return Ok(None);
    };
    // The registration counts only while its province is a member admitted at or before it:
    // the ledger's own rule (`query::observer_keys`), run over the proven entries.
    let member_key = keys::member(record.province);
    let mut entries = std::collections::BTreeMap::new();
    entries.insert(observers_key, observers_bytes);
    if let Some(member) = state_value(client, spec, member_key.clone()).await? {
        entries.insert(member_key, member);
    }
    let reader = yrd_contracts::reader::MapReader(entries);
    let current = yrd_contracts::query::observer_keys(&reader)
        .map_err(|e| anyhow::anyhow!("the observer list: {e}"))?;
    Ok(current.contains(key).then_some("observer"))
}

/// The raw value under a state key (`state_getProof`), checked against the genesis file when
/// there is a chain spec.
async fn state_value(
    client: &HttpClient,
    spec: Option<&yrd_verifier::chain_spec::ChainSpec>,
    key: Vec<u8>,
) -> anyhow::Result<Option<Vec<u8>>> {
    let answer: Value = client
        .request("state_getProof", rpc_params![hex::encode(&key)])
        .await
        .context("state_getProof")?;
    let value = match spec {
        Some(spec) => proven_value(
            spec,
            answer,
            &ProvenQuery::StateGet(StateKeyParams { key: HexBytes(key) }),
        )?,
        None => answer["value"].clone(),
    };
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(
            hex::decode(text).context("state_getProof: the value is not hex")?,
        )),
        _ => bail!("state_getProof: the value is not hex"),
    }
}

async fn node_chain_id(client: &HttpClient) -> anyhow::Result<String> {
    let status: Value = client
        .request("node_getStatus", rpc_params![])
        .await
        .context("node_getStatus")?;
    Ok(status["chainId"]
        .as_str()
        .context("node_getStatus did not report the chain id")?
        .to_owned())
}

/// GETs `url` (`http://host[:port]/path` only) and parses the body as JSON, reading at most
/// [`MAX_STATUS_RESPONSE_BYTES`] within a timeout.
async fn fetch_json(url: &str) -> anyhow::Result<Value> {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let rest = url.strip_prefix("http://").with_context(|| {
        format!("only http:// status URLs are fetched; give --status-from with a node's address to fetch {url:?} from it")
    })?;
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], &rest[slash..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or("/");
    if authority.is_empty() || authority.contains('@') {
        bail!("{url:?} names no host");
    }
    let address = if authority.contains(':') && !authority.ends_with(']') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(&address)
            .await
            .with_context(|| format!("connecting to {address}"))?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/vc, application/json\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await?;
        let mut raw = Vec::new();
        (&mut stream)
            .take(MAX_STATUS_RESPONSE_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .await?;
        anyhow::Ok(raw)
    };
    let raw = tokio::time::timeout(std::time::Duration::from_secs(20), exchange)
        .await
        .context("timed out")??;
    if raw.len() > MAX_STATUS_RESPONSE_BYTES {
        bail!("the answer is larger than {MAX_STATUS_RESPONSE_BYTES} bytes");
    }
    let (status, body) = parse_http_response(&raw)?;
    if status != 200 {
        let detail = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|problem| problem["detail"].as_str().map(str::to_owned))
            .unwrap_or_default();
        bail!("HTTP {status} {detail}");
    }
    serde_json::from_slice(&body).context("the answer is not JSON")
}

/// The status code and body (de-chunked) of a raw HTTP/1.1 response.
fn parse_http_response(raw: &[u8]) -> anyhow::Result<(u16, Vec<u8>)> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("not an HTTP response")?;
    let head = std::str::from_utf8(&raw[..split]).context("not an HTTP response")?;
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .context("not an HTTP response")?;
    let chunked = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.trim().eq_ignore_ascii_case("chunked")
        })
    });
    let mut body = &raw[split + 4..];
    if !chunked {
        return Ok((status, body.to_vec()));
    }
    let mut out = Vec::new();
    loop {
        let end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .context("a malformed chunk")?;
        let size_text = std::str::from_utf8(&body[..end]).context("a malformed chunk")?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .context("a malformed chunk size")?;
        body = &body[end + 2..];
        if size == 0 {
            return Ok((status, out));
        }
        let chunk = body.get(..size).context("a truncated chunk")?;
        out.extend_from_slice(chunk);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

/// Asks the node `question` (its method, with `params`); with a chain spec the answer is a proven
/// envelope, which must answer exactly that question and verify against the genesis file.
async fn ask(
    client: &HttpClient,
    spec: Option<&yrd_verifier::chain_spec::ChainSpec>,
    params: Value,
    question: ProvenQuery,
) -> anyhow::Result<Value> {
    let method = question.method();
    let Value::Object(params) = params else {
        bail!("parameters must be an object");
    };
    let mut named = jsonrpsee::core::params::ObjectParams::new();
    for (name, value) in params {
        named.insert(&name, value)?;
    }
    let answer: Value = client
        .request(method, named)
        .await
        .with_context(|| method.to_owned())?;
    match spec {
        Some(spec) => proven_value(spec, answer, &question),
        None => Ok(answer),
    }
}

/// The value of a proven answer that answers exactly `question` and verifies against `spec`.
fn proven_value(
    spec: &yrd_verifier::chain_spec::ChainSpec,
    answer: Value,
    question: &ProvenQuery,
) -> anyhow::Result<Value> {
    let method = question.method();
    let envelope = super::verify::parse_answer(answer).with_context(|| method.to_owned())?;
    // A node proving the answer to another question (another DID, licence or region) is lying.
    if envelope.query != *question {
        bail!("{method}: the node answered a different question than the one asked");
    }
    yrd_verifier::verify_answer(spec, &envelope)
        .map_err(|e| anyhow::anyhow!("{method}: the node's answer does not verify: {e}"))?;
    Ok(envelope.value)
}

fn read_bounded(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let mut text = Vec::new();
    let reader: Box<dyn std::io::Read> = if path.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?)
    };
    reader
        .take(MAX_CREDENTIAL_BYTES + 1)
        .read_to_end(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if text.len() as u64 > MAX_CREDENTIAL_BYTES {
        bail!("the credential is larger than {MAX_CREDENTIAL_BYTES} bytes");
    }
    Ok(text)
}

fn rfc3339(ms: u64) -> String {
    vc::rfc3339_utc(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    use yrd_contracts::types::ProvinceCode;

    fn vector(name: &str) -> Value {
        let path = format!(
            "{}/../docs/proof-vectors/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_proven_answer_to_another_question_is_refused() {
        let spec = yrd_verifier::chain_spec::ChainSpec::from_genesis(
            serde_json::from_value(vector("genesis.json")).unwrap(),
        )
        .unwrap();
        let answer = vector("licence-verify-revoked.json");
        let asked = super::super::verify::parse_answer(answer.clone())
            .unwrap()
            .query;
        assert!(proven_value(&spec, answer.clone(), &asked).is_ok());
        let ProvenQuery::LicenceVerify(mut other) = asked else {
            panic!("the vector answers licence_verify");
        };
        other.region = ProvinceCode(if other.region.0 == 340_000 {
            330_000
        } else {
            340_000
        });
        let lie = proven_value(&spec, answer, &ProvenQuery::LicenceVerify(other)).unwrap_err();
        assert!(lie.to_string().contains("different question"), "{lie}");
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_677_281_798_000), "2023-02-24T23:36:38Z");
        assert_eq!(rfc3339(951_868_800_000), "2000-03-01T00:00:00Z");
        assert_eq!(rfc3339(1_709_164_800_999), "2024-02-29T00:00:00Z");
    }
}
