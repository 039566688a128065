//! `yrd bench verify`: how many full verifiable answers (certificate, epoch changes, state
//! proofs and the query's re-evaluation) one core checks per second.

use std::time::{Duration, Instant};

use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::types::ProvinceCode;
use yrd_node::proof::collect::prove_with;
use yrd_node::rpc::backend::ProofAnchor;
use yrd_testkit::Certifier;
use yrd_verifier::query::{LicenceVerifyParams, ProvenQuery};
use yrd_verifier::{ProvenAnswer, verify_answer};

use crate::Common;
use crate::chain::{Builder, validator_seeds};
use crate::net::commitment;
use crate::report::Report;

/// `yrd bench verify` arguments.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Licences in the state the answers are proven against.
    #[arg(long, default_value_t = 100_000)]
    pub licences: u64,
    /// Distinct answers verified in turn.
    #[arg(long, default_value_t = 256)]
    pub answers: usize,
    /// Seconds of verification.
    #[arg(long, default_value_t = 5.0)]
    pub seconds: f64,
}

/// Run the scenario.
pub fn run(args: &VerifyArgs, common: &Common) -> anyhow::Result<Report> {
    let (licences, answers, seconds) = if common.smoke {
        (500, 16, 0.2)
    } else {
        (args.licences, args.answers, args.seconds)
    };
    eprintln!("building a state of {licences} licences ...");
    let mut chain = Builder::new(MemoryTreeStore::new())?;
    chain.anchor_more(licences, 5_000, common.machine.cores)?;
    let version = chain.state.version();
    let root = chain.state.root().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut certifier = Certifier::new(&chain.spec.consensus, &validator_seeds());
    let (header, certificate) = certifier.certify(version, root.0);
    let anchor = ProofAnchor {
        header,
        certificate: Some(certificate),
        epoch_changes: Vec::new(),
    };
    let state = &chain.state;
    let prover = |key: &[u8]| state.snapshot_at(version).get_with_proof(key);
    let mut built: Vec<ProvenAnswer> = Vec::with_capacity(answers);
    for i in 0..answers as u64 {
        let query = ProvenQuery::LicenceVerify(LicenceVerifyParams {
            issuer: crate::net::issuer_uscc(0),
            commitment: commitment(0, (i * 7_919) % licences.max(1)),
            region: ProvinceCode::JIANGSU,
            verifier_did: None,
            batch: None,
        });
        let (_, answer) =
            prove_with(&anchor, &prover, query).map_err(|e| anyhow::anyhow!("proving: {e}"))?;
        built.push(answer);
    }
    let texts: Vec<String> = built
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<_, _>>()?;
    let mean_bytes = texts.iter().map(String::len).sum::<usize>() as f64 / texts.len() as f64;
    let mean_reads =
        built.iter().map(|a| a.proof.reads.len()).sum::<usize>() as f64 / built.len() as f64;
    let spec = &chain.spec;

    let limit = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut verified = 0u64;
    while start.elapsed() < limit {
        for answer in &built {
            verify_answer(spec, answer).map_err(|e| anyhow::anyhow!("verification: {e}"))?;
            verified += 1;
        }
    }
    let per_s = verified as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut parsed_and_verified = 0u64;
    while start.elapsed() < limit {
        for text in &texts {
            let answer: ProvenAnswer = serde_json::from_str(text)?;
            verify_answer(spec, &answer).map_err(|e| anyhow::anyhow!("verification: {e}"))?;
            parsed_and_verified += 1;
        }
    }
    let with_json_per_s = parsed_and_verified as f64 / start.elapsed().as_secs_f64();

    let signatures = 4.0;
    let suite = yrd_consensus::CryptoSuite::current();
    let (one_core, rule) = match suite {
        yrd_consensus::CryptoSuite::Ed25519Blake3 => {
            (common.machine.ed25519_verify_per_s_one_core, "ed25519")
        }
        yrd_consensus::CryptoSuite::Sm2Sm3 => (
            common.machine.sm2_scheme_verify_per_s_one_core,
            "SM2 (the ledger's x-only rule)",
        ),
    };
    let bound = one_core / signatures;
    let mut report = Report::new(
        "verify",
        common.smoke,
        common.machine,
        serde_json::json!({ "licences": licences, "answers": answers, "seconds": seconds,
                            "validators": 4, "signaturesPerCertificate": 4,
                            "cryptoSuite": suite.name() }),
    );
    report.figure(
        "full answers verified per second (one core)",
        per_s,
        "answers/s",
    );
    report.figure("... including JSON parsing", with_json_per_s, "answers/s");
    report.figure("mean answer size (JSON)", mean_bytes, "bytes");
    report.figure("mean state reads proven per answer", mean_reads, "reads");
    report.figure(
        &format!("signature bound: {rule} verify/s on one core ÷ 4 signatures"),
        bound,
        "answers/s",
    );
    report.figure("ratio to the signature bound", per_s / bound, "");
    report.notes.push(format!(
        "suite {suite}: an answer's cost is dominated by its commit certificate's 4 signature \
             verifications; a verifier checking many answers against one header could verify the \
             certificate once"
    ));
    Ok(report)
}
