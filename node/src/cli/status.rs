//! `yrd status --rpc URL [--rpc URL …] [--format text|json]`: the network as the nodes see it.
//!
//! `text` (the default on a terminal) is the console's Network view in the terminal: one row per
//! node asked (province, role, head height, round, epoch, last commit, peers, syncing, pool),
//! then every member as the first node sees it: province, connected or not, and the round and
//! height its newest consensus message reported (unverified, as `net_getPeers` says). `json` (the default otherwise, so scripts keep reading
//! JSON) prints `{"node": node_getStatus, "peers": net_getPeers}` for one node, an array of those
//! for several.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use jsonrpsee::core::client::ClientT;
use jsonrpsee::http_client::HttpClientBuilder;
use jsonrpsee::rpc_params;
use serde_json::Value;

/// How `yrd status` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StatusFormat {
    /// A table for people.
    Text,
    /// The nodes' answers as JSON.
    Json,
}

/// What one node answered.
struct NodeView {
    rpc: String,
    status: Value,
    peers: Value,
}

/// Ask every node in `rpcs` and print the view in `format` (text on a terminal, JSON otherwise,
/// when not given). A node that does not answer is an error naming it.
pub fn run(rpcs: &[String], format: Option<StatusFormat>) -> anyhow::Result<ExitCode> {
    let format = format.unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        StatusFormat::Text
    } else {
        StatusFormat::Json
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let views = runtime.block_on(async {
        let mut views = Vec::with_capacity(rpcs.len());
        for rpc in rpcs {
            views.push(ask(rpc).await?);
        }
        anyhow::Ok(views)
    })?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
        });
    let text = match format {
        StatusFormat::Json => {
            let answers: Vec<Value> = views
                .into_iter()
                .map(|view| serde_json::json!({ "node": view.status, "peers": view.peers }))
                .collect();
            match <[Value; 1]>::try_from(answers) {
                Ok([one]) => serde_json::to_string_pretty(&one)?,
                Err(all) => serde_json::to_string_pretty(&all)?,
            }
        }
        StatusFormat::Text => render_text(&views, now_ms),
    };
    // A reader that stops early (`yrd status | head`) is not an error.
    match writeln!(std::io::stdout().lock(), "{text}") {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}

async fn ask(rpc: &str) -> anyhow::Result<NodeView> {
    let client = HttpClientBuilder::default()
        .build(rpc)
        .with_context(|| format!("RPC address {rpc:?}"))?;
    let status: Value = client
        .request("node_getStatus", rpc_params![])
        .await
        .with_context(|| format!("asking {rpc} for node_getStatus"))?;
    let peers: Value = client
        .request("net_getPeers", rpc_params![])
        .await
        .with_context(|| format!("asking {rpc} for net_getPeers"))?;
    Ok(NodeView {
        rpc: rpc.to_owned(),
        status,
        peers,
    })
}

/// A field of a JSON answer as text (`?` when absent: an older node, or a field renamed).
fn field(value: &Value, path: &[&str]) -> String {
    let mut at = value;
    for key in path {
        at = &at[*key];
    }
    match at {
        Value::String(text) => text.clone(),
        Value::Null => "?".to_owned(),
        Value::Bool(true) => "yes".to_owned(),
        Value::Bool(false) => "no".to_owned(),
        other => other.to_string(),
    }
}

/// How long ago `then_ms` was, in words.
fn ago(now_ms: u64, then_ms: Option<u64>) -> String {
    let Some(then_ms) = then_ms else {
        return "?".to_owned();
    };
    let seconds = now_ms.saturating_sub(then_ms) / 1_000;
    match seconds {
        0..60 => format!("{seconds} s ago"),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// A province's name for the pilot's four members (`yrd devnet`'s, capitalised), else its code;
/// `-` when none is named.
fn province(value: &Value) -> String {
    let Some(code) = value.as_u64() else {
        return "-".to_owned();
    };
    super::devnet::PROVINCES
        .iter()
        .find(|(province, _)| u64::from(province.0) == code)
        .map(|(_, name)| {
            let mut chars = name.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
        .unwrap_or_else(|| code.to_string())
}

/// The first 16 hex digits of a key, enough to tell the members apart.
fn short_key(key: &str) -> String {
    key.chars().take(16).collect()
}

/// Rows of cells, each column as wide as its widest cell.
fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|row| row.get(column))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(&widths) {
            let _ = write!(line, "{cell:<width$}  ");
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

fn render_text(views: &[NodeView], now_ms: u64) -> String {
    let mut out = String::new();
    if let Some(first) = views.first() {
        let _ = writeln!(out, "chain {}\n", field(&first.status, &["chainId"]));
    }
    let mut rows = vec![
        [
            "node",
            "province",
            "key",
            "role",
            "height",
            "round",
            "epoch",
            "last commit",
            "peers",
            "syncing",
            "pool",
        ]
        .map(str::to_owned)
        .to_vec(),
    ];
    for view in views {
        let status = &view.status;
        rows.push(vec![
            view.rpc.clone(),
            province(&status["province"]),
            short_key(&field(status, &["nodeKey"])),
            field(status, &["role"]),
            field(status, &["head", "height"]),
            field(status, &["head", "round"]),
            field(status, &["head", "epoch"]),
            ago(now_ms, status["head"]["blockTimeMs"].as_u64()),
            field(status, &["peerCount"]),
            field(status, &["syncing"]),
            format!(
                "{} tx / {} B",
                field(status, &["mempoolTxs"]),
                field(status, &["mempoolBytes"])
            ),
        ]);
    }
    out.push_str(&table(&rows));
    if let Some(first) = views.first() {
        let _ = writeln!(
            out,
            "\nmembers as {} sees them (round and height: what each one's newest consensus message reported, unverified):",
            first.rpc
        );
        let mut rows = vec![
            [
                "province",
                "key",
                "role",
                "connected",
                "round",
                "height",
                "heard",
                "address",
            ]
            .map(str::to_owned)
            .to_vec(),
        ];
        for peer in first.peers.as_array().map(Vec::as_slice).unwrap_or(&[]) {
            let role = match peer["validator"].as_bool() {
                Some(true) => "validator".to_owned(),
                Some(false) => "observer".to_owned(),
                None => "?".to_owned(),
            };
            let address = match &peer["address"] {
                Value::Null => "-".to_owned(),
                _ => field(peer, &["address"]),
            };
            let reported = &peer["reported"];
            let (round, height, heard) = if reported.is_object() {
                (
                    field(reported, &["round"]),
                    field(reported, &["height"]),
                    ago(now_ms, reported["atMs"].as_u64()),
                )
            } else {
                ("-".to_owned(), "-".to_owned(), "-".to_owned())
            };
            rows.push(vec![
                province(&peer["province"]),
                short_key(&field(peer, &["nodeKey"])),
                role,
                field(peer, &["connected"]),
                round,
                height,
                heard,
                address,
            ]);
        }
        if rows.len() == 1 {
            out.push_str("  (none)\n");
        } else {
            out.push_str(&table(&rows));
        }
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(rpc: &str, height: u64, syncing: bool) -> NodeView {
        NodeView {
            rpc: rpc.to_owned(),
            status: serde_json::json!({
                "chainId": "yrd-devnet",
                "nodeKey": "ab".repeat(32),
                "role": "validator",
                "province": 310_000,
                "head": { "height": height, "round": height + 2, "epoch": 1, "blockTimeMs": 90_000 },
                "peerCount": 3,
                "syncing": syncing,
                "mempoolTxs": 4,
                "mempoolBytes": 900,
            }),
            peers: serde_json::json!([
                { "nodeKey": "cd".repeat(32), "validator": true, "connected": true, "address": "/ip4/127.0.0.1/tcp/26601",
                  "province": 320_000, "reported": { "epoch": 1, "round": 123, "height": 121, "atMs": 98_000 } },
                { "nodeKey": "ef".repeat(32), "validator": false, "connected": true, "address": null,
                  "province": 330_000, "reported": null },
            ]),
        }
    }

    #[test]
    fn the_text_view_has_a_row_per_node_and_the_first_nodes_members() {
        let text = render_text(
            &[
                status("http://a:8600", 120, false),
                status("http://b:8601", 7, true),
            ],
            100_000,
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "chain yrd-devnet");
        assert!(lines[2].starts_with("node "), "{text}");
        let a = lines[3];
        assert!(a.starts_with("http://a:8600"), "{text}");
        for cell in [
            "Shanghai",
            "abababababababab",
            "validator",
            "120",
            "122",
            "10 s ago",
            "no",
            "4 tx / 900 B",
        ] {
            assert!(a.contains(cell), "{cell:?} missing from {a:?}");
        }
        assert!(lines[4].contains(" yes "), "{text}");
        assert!(
            text.contains("members as http://a:8600 sees them"),
            "{text}"
        );
        let member = |key: &str| {
            text.lines()
                .find(|line| line.contains(key))
                .map(|line| line.split_whitespace().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(
            member("cdcdcdcdcdcdcdcd"),
            [
                "Jiangsu",
                "cdcdcdcdcdcdcdcd",
                "validator",
                "yes",
                "123",
                "121",
                "2",
                "s",
                "ago",
                "/ip4/127.0.0.1/tcp/26601"
            ]
        );
        assert_eq!(
            member("efefefefefefefef"),
            [
                "Zhejiang",
                "efefefefefefefef",
                "observer",
                "yes",
                "-",
                "-",
                "-",
                "-"
            ]
        );
    }

    #[test]
    fn missing_fields_show_as_question_marks_not_errors() {
        let view = NodeView {
            rpc: "http://old:8600".to_owned(),
            status: serde_json::json!({ "chainId": "c" }),
            peers: Value::Null,
        };
        let text = render_text(&[view], 0);
        assert!(text.contains("http://old:8600"), "{text}");
        assert!(text.contains('?'), "{text}");
        assert!(text.contains("(none)"), "{text}");
    }

    #[test]
    fn ages_read_in_words() {
        assert_eq!(ago(61_000, Some(1_000)), "1 min ago");
        assert_eq!(ago(0, Some(5_000)), "0 s ago");
        assert_eq!(ago(10, None), "?");
        assert_eq!(ago(90_000_000, Some(0)), "1 days ago");
    }
}
