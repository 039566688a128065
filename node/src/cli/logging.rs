//! Tracing output: human-readable by default, JSON lines with `--log-format json`.
//!
//! The verification log (target [`VERIFICATION_LOG_TARGET`]: who asked about which licence) is
//! personal information and stays off unless the operator names it: `--verification-log`, or a
//! `RUST_LOG` directive that names the target. `--verbose` and a bare `RUST_LOG=debug` leave it
//! off (docs/OPERATIONS.md).

use anyhow::bail;
use tracing_subscriber::EnvFilter;
use yrd_node::rpc::verification_log::TARGET as VERIFICATION_LOG_TARGET;

/// Install the global subscriber. `RUST_LOG` overrides the default level.
pub fn init(format: &str, verbose: bool, verification_log: bool) -> anyhow::Result<()> {
    let from_env = std::env::var("RUST_LOG").ok();
    let directives = filter_directives(from_env.as_deref(), verbose, verification_log);
    let filter = match EnvFilter::try_new(&directives) {
        Ok(filter) => filter,
        Err(error) => bail!("RUST_LOG {from_env:?} is not a valid log filter: {error}"),
    };
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

/// The filter directives: `RUST_LOG` if set (and not blank), else the default for the verbosity;
/// then the verification-log target, off unless `verification_log` is set or the directives
/// already name it.
pub fn filter_directives(from_env: Option<&str>, verbose: bool, verification_log: bool) -> String {
    let base = match from_env.map(str::trim).filter(|d| !d.is_empty()) {
        Some(directives) => directives.to_owned(),
        None => {
            let level = if verbose { "debug" } else { "info" };
            format!("{level},libp2p=warn,jsonrpsee=warn,hyper=warn")
        }
    };
    if base.contains(VERIFICATION_LOG_TARGET) {
        return base;
    }
    let level = if verification_log { "info" } else { "off" };
    format!("{base},{VERIFICATION_LOG_TARGET}={level}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing::Level;
    use tracing_subscriber::layer::SubscriberExt;

    /// Whether an event at `level` (info or debug) on the verification-log target passes the
    /// filter built from `directives`.
    fn passes(directives: &str, level: Level) -> bool {
        let filter = EnvFilter::try_new(directives).unwrap();
        let subscriber = tracing_subscriber::registry().with(filter);
        tracing::subscriber::with_default(subscriber, || {
            if level == Level::INFO {
                tracing::enabled!(target: "yrd::verification_log", Level::INFO)
            } else {
                tracing::enabled!(target: "yrd::verification_log", Level::DEBUG)
            }
        })
    }

    #[test]
    fn verification_log_off_by_default() {
        assert_eq!(VERIFICATION_LOG_TARGET, "yrd::verification_log");
        for verbose in [false, true] {
            let directives = filter_directives(None, verbose, false);
            assert!(!passes(&directives, Level::INFO), "{directives}");
            assert!(!passes(&directives, Level::DEBUG), "{directives}");
        }
        // A broad RUST_LOG does not switch it on either.
        for env in ["debug", "trace", "yrd_node=trace", "  "] {
            let directives = filter_directives(Some(env), true, false);
            assert!(!passes(&directives, Level::INFO), "{directives}");
        }
    }

    #[test]
    fn verification_log_on_when_named() {
        let flag = filter_directives(None, false, true);
        assert!(passes(&flag, Level::INFO), "{flag}");
        assert!(!passes(&flag, Level::DEBUG), "{flag}");
        let named = filter_directives(Some("warn,yrd::verification_log=info"), false, false);
        assert!(passes(&named, Level::INFO), "{named}");
        // The ordinary logs keep their level.
        assert!(filter_directives(None, true, false).starts_with("debug,"));
    }
}
