//! `yrd bench <scenario> …`: runs the benchmark suite, which is its own binary (`yrd-bench`, the
//! `bench/` crate) so that the node binary carries none of it. This forwards the arguments to the
//! `yrd-bench` next to the running `yrd` and exits with its status (docs/PERFORMANCE.md).

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{Context, bail};

/// The command that builds both binaries.
const BUILD: &str = "cargo build --release --locked -p yrd-node --bin yrd -p yrd-bench";

/// `yrd bench` arguments: everything after `bench`, passed on unchanged.
#[derive(Debug, clap::Args)]
#[command(disable_help_flag = true)]
pub struct BenchArgs {
    /// The scenario and its options (`yrd bench --help` lists them).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<OsString>,
}

/// The benchmark binary beside `yrd`.
fn bench_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the yrd binary")?;
    let dir = exe
        .parent()
        .context("the yrd binary has no parent folder")?;
    Ok(dir.join(format!("yrd-bench{}", std::env::consts::EXE_SUFFIX)))
}

/// Runs `yrd-bench` with `args` (and the global log options given to `yrd`).
pub fn run(args: BenchArgs, log_format: &str, verbose: bool) -> anyhow::Result<ExitCode> {
    let bench = bench_binary()?;
    if !bench.is_file() {
        bail!(
            "the benchmark binary {} is not built; build it with `{BUILD}` \
             (or run scripts/bench.sh, which does)",
            bench.display()
        );
    }
    let mut command = Command::new(&bench);
    if log_format != "human" {
        command.args(["--log-format", log_format]);
    }
    if verbose {
        command.arg("--verbose");
    }
    let status = command
        .args(&args.args)
        .status()
        .with_context(|| format!("running {}", bench.display()))?;
    Ok(match status.code() {
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        // Ended by a signal: a failure.
        None => ExitCode::FAILURE,
    })
}
