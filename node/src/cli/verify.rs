//! `yrd verify`: check a verifiable answer offline against the genesis file, or ask a node about
//! a licence and check what it answered.
//!
//! Exit status: 0 when the answer's evidence verifies (whatever it proves: the printed verdict
//! says what), 1 when it does not or the question could not be asked, and with
//! `--require-valid`, 3 when the evidence verifies but the licence is not valid and recognised
//! in the region.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use yrd_contracts::query::LicenceVerification;
use yrd_verifier::chain_spec::ChainSpec;
use yrd_verifier::query::{BatchParam, ProvenQuery};
use yrd_verifier::verdict::{LicenceVerdict, describe};
use yrd_verifier::{ANSWER_FORMAT, Evaluation, ProvenAnswer, VerifiedAnswer, verify_answer};

use super::licence_secret::{LicenceSecret, read_secret};

/// Largest answer file `yrd verify` reads.
pub const MAX_ANSWER_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Exit status when the evidence verifies but `--require-valid` is not met.
pub const EXIT_NOT_VALID: u8 = 3;

/// `yrd verify` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct VerifyArgs {
    /// Ask a node instead of reading a saved answer.
    #[command(subcommand)]
    pub what: Option<VerifyWhat>,
    /// The chain's genesis file: the only thing the check trusts.
    #[arg(long)]
    pub genesis: Option<PathBuf>,
    /// A saved answer: the envelope a read method returns with `"proof": true`, or the whole
    /// JSON-RPC response holding it.
    #[arg(long)]
    pub response: Option<PathBuf>,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What to ask a node about.
#[derive(Debug, Subcommand)]
pub enum VerifyWhat {
    /// Derive a licence's commitment from its identifier and salt, ask a node, verify the answer.
    Licence(LicenceArgs),
}

/// `yrd verify licence` arguments.
#[derive(Debug, Args)]
pub struct LicenceArgs {
    /// TOML file with the licence's secrets: licence_id = "..." and salt = "<64 hex>" (from the
    /// holder's credential); `-` reads it from standard input. Keeps them out of ps and shell
    /// history.
    #[arg(long, value_name = "PATH", conflicts_with_all = ["licence_id", "salt"])]
    pub secret_file: Option<PathBuf>,
    /// The licence identifier [test fixtures only: visible in ps and shell history; use
    /// --secret-file].
    #[arg(requires = "salt")]
    pub licence_id: Option<String>,
    /// The licence's salt, 64 hex characters [test fixtures only: visible in ps and shell
    /// history; use --secret-file].
    #[arg(long, requires = "licence_id")]
    pub salt: Option<String>,
    /// The node's JSON-RPC address (any node: its answer is checked, not trusted).
    #[arg(long, default_value = "http://127.0.0.1:8600")]
    pub rpc: String,
    /// The chain's genesis file.
    #[arg(long)]
    pub genesis: PathBuf,
    /// The verifier's region: province name or GB/T 2260 code.
    #[arg(long)]
    pub region: String,
    /// Save the verified answer here (re-check it later with `yrd verify --response`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Exit with status 3 unless the licence is valid and recognised in the region.
    #[arg(long)]
    pub require_valid: bool,
    /// Print the outcome as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Run `yrd verify`.
pub fn run(args: VerifyArgs) -> anyhow::Result<ExitCode> {
    match args.what {
        Some(VerifyWhat::Licence(licence)) => run_licence(&licence),
        None => {
            let (Some(genesis), Some(response)) = (&args.genesis, &args.response) else {
                bail!("give --genesis and --response, or use `yrd verify licence ...`");
            };
            let chain = load_chain(genesis)?;
            let answer = read_answer(response)?;
            Ok(report(&chain, &answer, args.json, None))
        }
    }
}

fn load_chain(path: &Path) -> anyhow::Result<ChainSpec> {
    ChainSpec::load(path).with_context(|| format!("loading genesis {}", path.display()))
}

/// Parse an answer: the envelope itself or a JSON-RPC response whose `result` is one.
pub fn parse_answer(value: serde_json::Value) -> anyhow::Result<ProvenAnswer> {
    let value = match value {
        serde_json::Value::Object(mut object) if object.contains_key("jsonrpc") => {
            if let Some(error) = object.remove("error") {
                bail!("the response is a JSON-RPC error, not an answer: {error}");
            }
            object
                .remove("result")
                .context("the JSON-RPC response has no result")?
        }
        other => other,
    };
    // The format first: an answer of another version fails here with its name, not with
    // whatever field its layout lacks.
    if let Some(found) = value.get("format").and_then(serde_json::Value::as_str)
        && found != ANSWER_FORMAT
    {
        bail!(
            "answer format {found:?} is not {ANSWER_FORMAT:?}: this verifier checks {ANSWER_FORMAT} \
             answers only (v1 answers name no issuer, v2 answers open whole licence records; ask the \
             node again)"
        );
    }
    serde_json::from_value(value).context("not a verifiable answer (see docs/PROOFS.md)")
}

fn read_answer(path: &Path) -> anyhow::Result<ProvenAnswer> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    file.take(MAX_ANSWER_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .with_context(|| format!("reading {}", path.display()))?;
    if text.len() as u64 > MAX_ANSWER_FILE_BYTES {
        bail!(
            "{} is larger than {MAX_ANSWER_FILE_BYTES} bytes",
            path.display()
        );
    }
    let value: serde_json::Value =
        serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    parse_answer(value).with_context(|| format!("reading {}", path.display()))
}

/// Verify and print; the exit status says whether the evidence held.
fn report(
    chain: &ChainSpec,
    answer: &ProvenAnswer,
    json: bool,
    require_valid: Option<&dyn Fn(&VerifiedAnswer) -> bool>,
) -> ExitCode {
    match verify_answer(chain, answer) {
        Ok(verified) => {
            let lines = describe(&verified);
            if json {
                let out = serde_json::json!({
                    "verified": true,
                    "method": verified.query.method(),
                    "version": verified.version,
                    "headerHeight": verified.header_height,
                    "blockId": hex::encode(verified.block_id),
                    "epoch": verified.epoch,
                    "value": answer.value,
                    "summary": lines,
                });
                println!("{out:#}");
            } else {
                println!("VERIFIED");
                for line in &lines {
                    println!("  {line}");
                }
            }
            match require_valid {
                Some(check) if !check(&verified) => ExitCode::from(EXIT_NOT_VALID),
                _ => ExitCode::SUCCESS,
            }
        }
        Err(error) => {
            if json {
                let out = serde_json::json!({
                    "verified": false,
                    "check": error.check(),
                    "error": error.to_string(),
                });
                println!("{out:#}");
            } else {
                println!("NOT VERIFIED ({}): {error}", error.check());
            }
            ExitCode::FAILURE
        }
    }
}

fn valid_and_recognised(verified: &VerifiedAnswer) -> bool {
    let Evaluation::Found(value) = &verified.evaluation else {
        return false;
    };
    serde_json::from_value::<LicenceVerification>(value.clone()).is_ok_and(|answer| {
        LicenceVerdict::of(&answer) == LicenceVerdict::Valid
            && answer.recognition.is_some_and(|r| r.recognised)
    })
}

fn never_anchored(verified: &VerifiedAnswer) -> bool {
    let Evaluation::Found(value) = &verified.evaluation else {
        return false;
    };
    serde_json::from_value::<LicenceVerification>(value.clone())
        .is_ok_and(|answer| LicenceVerdict::of(&answer) == LicenceVerdict::NeverAnchored)
}

fn run_licence(args: &LicenceArgs) -> anyhow::Result<ExitCode> {
    let chain = load_chain(&args.genesis)?;
    let secret = match (&args.secret_file, &args.licence_id, &args.salt) {
        (Some(path), _, _) => read_secret(path)?,
        (None, Some(id), Some(salt)) => LicenceSecret::from_args(id, salt)?,
        _ => bail!("give --secret-file (a TOML file with licence_id and salt, or - for stdin)"),
    };
    let region = super::tx::parse_province(&args.region).map_err(anyhow::Error::msg)?;
    let commitment = secret.commitment();
    let commitment_hex = hex::encode(commitment);
    // Only the issuer the identifier names may answer for it (docs/PROOFS.md 9.3).
    let issuer = secret.issuer().clone();

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let answer = runtime.block_on(async {
        let client = HttpClientBuilder::default()
            .build(&args.rpc)
            .with_context(|| format!("RPC address {:?}", args.rpc))?;
        let ask = |batch: Option<BatchParam>| {
            let client = &client;
            let commitment_hex = commitment_hex.clone();
            let issuer = issuer.clone();
            async move {
                let value: serde_json::Value = client
                    .request(
                        "licence_verify",
                        rpc_params![
                            issuer.to_string(),
                            commitment_hex,
                            region.0,
                            Option::<String>::None,
                            Option::<serde_json::Value>::None,
                            batch,
                            true
                        ],
                    )
                    .await
                    .with_context(|| format!("asking {} for licence_verify", args.rpc))?;
                let answer = parse_answer(value)?;
                match &answer.query {
                    ProvenQuery::LicenceVerify(p)
                        if p.issuer == issuer
                            && p.commitment == commitment
                            && p.region == region
                            && p.verifier_did.is_none() => {}
                    _ => bail!("the node answered a different question than the one asked"),
                }
                anyhow::Ok(answer)
            }
        };
        let answer = ask(None).await?;
        // A licence anchored only inside a batch: fetch its inclusion proof if the node keeps the
        // batch's leaves, and ask again with it. The batch proof is checked inside the query.
        if let Ok(verified) = verify_answer(&chain, &answer)
            && never_anchored(&verified)
        {
            let inclusion: Result<serde_json::Value, _> = client
                .request(
                    "batch_getInclusionProof",
                    rpc_params![issuer.to_string(), commitment_hex.clone()],
                )
                .await;
            if let Ok(inclusion) = inclusion
                && let (Some(root), Some(proof)) = (inclusion.get("root"), inclusion.get("proof"))
            {
                let batch: BatchParam = serde_json::from_value(serde_json::json!({
                    "root": root, "proof": proof
                }))
                .context("the node's batch inclusion proof is malformed")?;
                return ask(Some(batch)).await;
            }
        }
        anyhow::Ok(answer)
    })?;
    // The proven record must name the identifier's issuer (it does whenever the query above was
    // the one asked; checked again so a verifier never reports another issuer's licence).
    let named = answer
        .value
        .pointer("/details/issuer/uscc")
        .and_then(serde_json::Value::as_str);
    if let Some(named) = named
        && named != issuer.as_str()
    {
        bail!(
            "the answer proves a licence of issuer {named}, not of {issuer} named by the identifier"
        );
    }
    if let Some(out) = &args.out {
        std::fs::write(out, serde_json::to_string_pretty(&answer)?)
            .with_context(|| format!("writing {}", out.display()))?;
    }
    if !args.json {
        println!("licence {} (commitment {commitment_hex})", secret.id);
    }
    let check: &dyn Fn(&VerifiedAnswer) -> bool = &valid_and_recognised;
    Ok(report(
        &chain,
        &answer,
        args.json,
        args.require_valid.then_some(check),
    ))
}
