//! The `yrd` command line.

pub mod backup;
pub mod bench;
pub mod devnet;
pub mod genesis;
pub mod keygen;
pub mod licence_secret;
pub mod logging;
pub mod node;
pub mod status;
pub mod tx;
pub mod vc;
pub mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// yrd-ledger: cross-province e-licence recognition ledger.
#[derive(Debug, Parser)]
#[command(name = "yrd", version, about)]
pub struct Cli {
    /// Log format: human or json.
    #[arg(long, global = true, default_value = "human")]
    pub log_format: String,
    /// Debug-level logs (never the verification log; see --verification-log).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Log every licence query (caller, licence commitment, disclosure) on the
    /// `yrd::verification_log` target. This is personal information: keep it off unless the
    /// node's operator must keep a verification log, and then under access control
    /// (docs/OPERATIONS.md).
    #[arg(long, global = true)]
    pub verification_log: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an ed25519 key file (node, authority, issuer or firm key).
    Keygen {
        /// Where to write the key (never overwritten).
        #[arg(long, short)]
        out: PathBuf,
        /// The suite of the chain the key is for (`ed25519-blake3` or `sm2-sm3`). An `sm2-sm3`
        /// key's network key (for the genesis file's `networkKeys`) goes to standard error.
        #[arg(long, default_value = "ed25519-blake3")]
        crypto: yrd_consensus::CryptoSuite,
    },
    /// Build genesis.json from a TOML file listing the provinces.
    Genesis(genesis::GenesisArgs),
    /// Run a node from its TOML configuration.
    Node {
        /// The node configuration file.
        #[arg(long, short)]
        config: PathBuf,
        /// Start an empty data directory from a certified state snapshot served by peers,
        /// instead of replaying every block from genesis; resumes an interrupted state sync. A
        /// data directory that already holds a chain just continues from it.
        #[arg(long)]
        state_sync: bool,
        /// With --state-sync: remove the data directory first (it must be a node database or
        /// empty).
        #[arg(long, requires = "state_sync")]
        reset: bool,
    },
    /// Run a local four-province network: keys, genesis and one process per node.
    Devnet(devnet::DevnetArgs),
    /// Build, sign and submit a transaction of any kind.
    #[command(after_help = tx::EXIT_STATUS_HELP)]
    Tx(tx::TxArgs),
    /// Check a verifiable answer offline against the genesis file, or ask a node about a
    /// licence and check its answer (docs/PROOFS.md).
    Verify(verify::VerifyArgs),
    /// Run a benchmark scenario and write target/bench/<scenario>.json (docs/PERFORMANCE.md):
    /// runs the `yrd-bench` binary beside this one with the same arguments.
    Bench(bench::BenchArgs),
    /// Back up a node's database: a RocksDB checkpoint holding whole committed blocks and a
    /// manifest of every file's blake3. A running node writes it itself (asked through its admin
    /// socket, `<data_dir>/admin.sock`; run this as the node's OS user); a stopped node's
    /// database is read directly.
    #[command(after_help = backup::BACKUP_HELP)]
    Backup {
        /// The node configuration file (its data directory and genesis).
        #[arg(long, short, required_unless_present = "data", conflicts_with = "data")]
        config: Option<PathBuf>,
        /// The node's data directory, instead of --config.
        #[arg(long)]
        data: Option<PathBuf>,
        /// The backup folder to create (it must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Seconds to wait for a running node's answer (checkpoint and hashing).
        #[arg(long, default_value_t = 3600)]
        timeout: u64,
    },
    /// Check a backup against its manifest and the node's genesis, and restore it into the node's
    /// (absent or empty) data directory.
    Restore {
        /// The backup folder.
        from: PathBuf,
        /// The node configuration file.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// W3C Verifiable Credentials: export a licence attestation, or check one.
    #[command(subcommand)]
    Vc(vc::VcCommand),
    /// Show the network as the nodes see it: a row per node asked (role, height, round, epoch,
    /// last commit, peers, syncing, pool) and the members the first one is connected to.
    Status {
        /// A node's JSON-RPC address; give it once per node to see several (the devnet's four are
        /// ports 8600 to 8603).
        #[arg(long, default_value = "http://127.0.0.1:8600")]
        rpc: Vec<String>,
        /// `text` (a table) or `json` (`{"node": …, "peers": …}` per node, an array for several).
        /// Default: text on a terminal, JSON otherwise.
        #[arg(long, value_enum)]
        format: Option<status::StatusFormat>,
    },
}

/// Run the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Keygen { out, crypto } => keygen::run(&out, crypto),
        Command::Genesis(args) => genesis::run(&args),
        Command::Node {
            config,
            state_sync,
            reset,
        } => node::run(&config, node::StartOptions { state_sync, reset }),
        Command::Devnet(args) => devnet::run(&args),
        Command::Status { rpc, format } => status::run(&rpc, format),
        Command::Vc(command) => vc::run(command),
        Command::Backup {
            config,
            data,
            out,
            timeout,
        } => backup::backup(
            config.as_deref(),
            data.as_deref(),
            &out,
            std::time::Duration::from_secs(timeout),
        ),
        Command::Restore { from, config } => backup::restore(&from, &config),
        Command::Tx(args) => tx::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Bench(args) => bench::run(args, &cli.log_format, cli.verbose),
    }
}
