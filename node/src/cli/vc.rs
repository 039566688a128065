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
//! Partial: no `credentialStatus` (`BitstringStatusListEntry`) yet; the status comes from the
//! ledger's `licence_verify` instead of a status list.

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
use yrd_verifier::ProvenQuery;
use yrd_verifier::query::{DidParams, LicenceVerifyParams};
use yrd_verifier::vc;

use super::tx::LicenceRef;

/// Largest credential file read.
const MAX_CREDENTIAL_BYTES: u64 = 1024 * 1024;
/// The credential type besides `VerifiableCredential`.
pub const CREDENTIAL_TYPE: &str = "YrdLicenceAttestation";
/// Exit status of `yrd vc verify` when the proof verifies but the licence is not valid now.
const EXIT_NOT_VALID: u8 = 3;

/// `yrd vc`.
#[derive(Debug, Subcommand)]
pub enum VcCommand {
    /// Export a licence attestation as a VC 2.0 credential signed with the issuer's key.
    Issue(IssueArgs),
    /// Check a credential's proof (resolving the issuer's did:yrd through a node) and the
    /// licence's status on the ledger. Exit status: 0 verified and valid, 1 not verified,
    /// 3 verified but the licence is not valid now.
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
    /// A node's JSON-RPC address (for the issuer's DID and the chain id).
    #[arg(long, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
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
    let key = yrd_node::keys::read_key_file(&args.key)?;
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
    let credential = json!({
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
    let config = vc::proof_config(&credential, &method, &now, "assertionMethod");
    let secured = vc::add_proof(&credential, &config, &key)?;
    println!("{}", serde_json::to_string_pretty(&secured)?);
    Ok(ExitCode::SUCCESS)
}

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
    Ok(if valid == Some(true) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_NOT_VALID)
    })
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

/// `ms` since the Unix epoch as an RFC 3339 UTC timestamp with second precision.
fn rfc3339(ms: u64) -> String {
    let secs = ms / 1_000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (proleptic Gregorian), after H. Hinnant's algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
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
