//! Every benchmark scenario at smoke size, so the suite cannot rot: each runs end to end with the
//! real binaries (networks of real `yrd node` processes where the scenario has one), prints its
//! table and writes a JSON report holding figures, targets and the machine's reference figures.
//! The figures of a smoke run mean nothing; `yrd bench <scenario>` without `--smoke` measures.
//!
//! `yrd-bench` runs the `yrd` binary beside it. Cargo builds this package's own binary for these
//! tests but not another package's, so `yrd` must be built into the same folder:
//! `cargo test --workspace` does that (the node's own tests need it), as does
//! `cargo build -p yrd-node --bin yrd`.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

/// The benchmark binary Cargo built for these tests.
const YRD_BENCH: &str = env!("CARGO_BIN_EXE_yrd-bench");

/// The `yrd` binary beside it.
fn yrd() -> PathBuf {
    let yrd = std::path::Path::new(YRD_BENCH)
        .with_file_name(format!("yrd{}", std::env::consts::EXE_SUFFIX));
    assert!(
        yrd.is_file(),
        "{} is not built: run `cargo build -p yrd-node --bin yrd` (or `cargo test --workspace`)",
        yrd.display()
    );
    yrd
}

fn smoke(scenarios: &[&str]) {
    let out = tempfile::tempdir().expect("temporary folder");
    let yrd = yrd();
    for (n, &scenario) in scenarios.iter().enumerate() {
        // The first through `yrd bench` (the forwarder in the node binary), the rest directly.
        let mut command = if n == 0 {
            let mut command = Command::new(&yrd);
            command.arg("bench");
            command
        } else {
            Command::new(YRD_BENCH)
        };
        let output = command
            .args([scenario, "--smoke", "--out-dir"])
            .arg(out.path())
            .output()
            .expect("running the benchmark");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "yrd bench {scenario} --smoke failed:\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains(&format!("yrd bench {scenario}")),
            "{stdout}"
        );
        let text = std::fs::read_to_string(out.path().join(format!("{scenario}.json")))
            .unwrap_or_else(|e| panic!("{scenario}.json: {e}"));
        let report: Value = serde_json::from_str(&text).expect("JSON report");
        assert_eq!(report["scenario"], scenario);
        assert_eq!(report["smoke"], true);
        assert!(
            report["machine"]["ed25519_verify_per_s_one_core"]
                .as_f64()
                .unwrap_or(0.0)
                > 0.0,
            "{scenario}: no machine reference figures"
        );
        for national in ["sm2_verify_per_s_one_core", "sm3_1kib_per_s_one_core"] {
            assert!(
                report["machine"][national].as_f64().unwrap_or(0.0) > 0.0,
                "{scenario}: no {national} reference figure"
            );
        }
        let figures = report["figures"].as_array().expect("figures");
        assert!(!figures.is_empty(), "{scenario}: no figures");
        assert!(
            figures
                .iter()
                .all(|f| f["value"].as_f64().is_some_and(f64::is_finite)),
            "{scenario}: a figure is not a finite number: {text}"
        );
        assert!(
            !report["targets"].as_array().expect("targets").is_empty() || scenario == "verify",
            "{scenario}: no target"
        );
    }
}

/// The in-process verify scenario runs on the national suite and measures against the SM2 bound;
/// a scenario that signs with ed25519 keys of its own refuses the suite with the reason
/// (ADR 019).
#[test]
fn verify_runs_on_sm2_sm3_and_node_scenarios_refuse_it() {
    let out = tempfile::tempdir().expect("temporary folder");
    let output = Command::new(YRD_BENCH)
        .args(["verify", "--smoke", "--crypto", "sm2-sm3", "--out-dir"])
        .arg(out.path())
        .output()
        .expect("running the benchmark");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let text = std::fs::read_to_string(out.path().join("verify.json")).expect("verify.json");
    let report: Value = serde_json::from_str(&text).expect("JSON report");
    assert_eq!(report["params"]["cryptoSuite"], "sm2-sm3", "{text}");
    assert!(stdout.contains("signature bound: SM2"), "{stdout}");
    assert!(
        stdout.contains("full answers verified per second"),
        "{stdout}"
    );

    let refused = Command::new(YRD_BENCH)
        .args(["batch", "--smoke", "--crypto", "sm2-sm3", "--out-dir"])
        .arg(out.path())
        .output()
        .expect("running the benchmark");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success());
    assert!(
        stderr.contains("signs with ed25519 keys of its own"),
        "{stderr}"
    );
}

/// Slow (release-size work on real time): named `slow::…`, run by `scripts/test.sh --all`.
mod slow {
    use super::*;

    /// `throughput` on an `sm2-sm3` network of `yrd node` processes reports its figure beside the
    /// SM2 ceiling measured in the same run (issue 20).
    #[test]
    fn throughput_runs_on_sm2_sm3_beside_the_sm2_ceiling() {
        let out = tempfile::tempdir().expect("temporary folder");
        let _ = yrd();
        let output = Command::new(YRD_BENCH)
            .args(["throughput", "--smoke", "--crypto", "sm2-sm3", "--out-dir"])
            .arg(out.path())
            .output()
            .expect("running the benchmark");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text =
            std::fs::read_to_string(out.path().join("throughput.json")).expect("throughput.json");
        let report: Value = serde_json::from_str(&text).expect("JSON report");
        let figures = report["figures"].as_array().expect("figures");
        let named = |name: &str| {
            figures
                .iter()
                .find(|f| f["name"].as_str().is_some_and(|n| n.starts_with(name)))
                .and_then(|f| f["value"].as_f64())
        };
        assert!(
            named("ceiling: SM2 verify").is_some_and(|v| v > 0.0),
            "{text}"
        );
        assert!(
            named("sustained committed tx/s").is_some_and(|v| v > 0.0),
            "{text}"
        );
    }

    #[test]
    fn every_bench_scenario_runs_at_smoke_size_and_writes_its_report() {
        smoke(&[
            "verify",
            "query",
            "batch",
            "scale",
            "throughput",
            "flood",
            "catchup",
            "statesync",
        ]);
    }
}
