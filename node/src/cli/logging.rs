//! Tracing output: human-readable by default, JSON lines with `--log-format json`.

use anyhow::bail;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber. `RUST_LOG` overrides the default level.
pub fn init(format: &str, verbose: bool) -> anyhow::Result<()> {
    let default = if verbose { "debug" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!("{default},libp2p=warn,jsonrpsee=warn,hyper=warn"))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    match format {
        "human" => builder.init(),
        "json" => builder.json().flatten_event(true).init(),
        other => bail!("--log-format must be human or json, not {other:?}"),
    }
    Ok(())
}
