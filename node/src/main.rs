//! `yrd`: the yrd-ledger node and its tools in one binary.
//!
//! `yrd keygen`, `yrd genesis`, `yrd node`, `yrd devnet`, `yrd tx`, `yrd status`. See
//! `yrd --help`.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    if let Err(error) = cli::logging::init(&args.log_format, args.verbose, args.verification_log) {
        eprintln!("error: {error:#}");
        return std::process::ExitCode::FAILURE;
    }
    match cli::run(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
