//! The web console (`GET /console`): every embedded file is served with its content type and the
//! console's security headers, no file names another origin, and the genesis the page verifies
//! against is the node's own.

use serde_json::Value;
use yrd_node::rpc::console::{ASSETS, CONSOLE_PATH, CONTENT_SECURITY_POLICY};

use crate::raw;
use crate::{Harness, within};

/// The security headers every console answer carries.
fn assert_console_headers(reply: &raw::HttpReply, path: &str) {
    assert_eq!(
        reply.header("content-security-policy"),
        Some(CONTENT_SECURITY_POLICY),
        "{path}"
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
}

#[tokio::test]
async fn console_files_are_served_with_their_content_types_and_a_self_only_csp() {
    within(async {
        let harness = Harness::start().await;
        for (path, content_type) in [
            ("/console", "text/html; charset=utf-8"),
            ("/console/", "text/html; charset=utf-8"),
            ("/console/console.css", "text/css; charset=utf-8"),
            ("/console/app.js", "text/javascript; charset=utf-8"),
            ("/console/i18n.js", "text/javascript; charset=utf-8"),
            ("/console/rpc.js", "text/javascript; charset=utf-8"),
            ("/console/views.js", "text/javascript; charset=utf-8"),
            (
                "/console/pkg/yrd_verifier.js",
                "text/javascript; charset=utf-8",
            ),
            ("/console/pkg/yrd_verifier_bg.wasm", "application/wasm"),
        ] {
            let reply = raw::get(harness.addr, path, None).await;
            assert_eq!(reply.status, 200, "{path}");
            assert_eq!(reply.header("content-type"), Some(content_type), "{path}");
            assert_console_headers(&reply, path);
            assert!(!reply.body.is_empty(), "{path}");
        }
        let wasm = raw::get(harness.addr, "/console/pkg/yrd_verifier_bg.wasm", None).await;
        assert!(wasm.body.starts_with("\0asm"), "a WebAssembly module");
        let page = raw::get(harness.addr, CONSOLE_PATH, None).await;
        assert!(page.body.contains("/console/app.js"));

        // The CSP allows this origin only, and WebAssembly compilation but no JavaScript eval.
        assert!(CONTENT_SECURITY_POLICY.starts_with("default-src 'self';"));
        assert!(CONTENT_SECURITY_POLICY.contains("'wasm-unsafe-eval'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-eval'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("'unsafe-inline'"));
        assert!(!CONTENT_SECURITY_POLICY.contains("http"));

        let missing = raw::get(harness.addr, "/console/nope.js", None).await;
        assert_eq!(missing.status, 404);
        assert_console_headers(&missing, "/console/nope.js");
        let traversal = raw::get(harness.addr, "/console/../metrics", None).await;
        assert_ne!(traversal.status, 200);
        let post = raw::http(harness.addr, "POST", "/console", &[], b"").await;
        assert_eq!(post.status, 405);
        // JSON-RPC on `/` is untouched.
        crate::still_serving(harness.addr).await;
    })
    .await;
}

#[tokio::test]
async fn no_console_file_refers_to_another_origin() {
    // Every text asset, as embedded: no absolute URL, no protocol-relative URL, no import of a
    // module from elsewhere. (The only URLs allowed are W3C context names the DID documents
    // carry, which are data, and none is in these files.)
    for (path, content_type, bytes) in ASSETS {
        if !content_type.starts_with("text/") {
            continue;
        }
        let text = std::str::from_utf8(bytes).unwrap();
        for needle in [
            "http://", "https://", "//cdn", "ws://", "wss://", "@import", "url(",
        ] {
            assert!(
                !text.contains(needle),
                "console file {path} contains {needle:?}: the console must load nothing from elsewhere"
            );
        }
        for line in text.lines() {
            let line = line.trim();
            if line.starts_with("import ") || line.contains(" from '") {
                assert!(
                    line.contains("from './") || !line.contains(" from "),
                    "{path}: module import from elsewhere: {line}"
                );
            }
        }
        for attribute in ["src=\"", "href=\""] {
            for (at, _) in text.match_indices(attribute) {
                let target = &text[at + attribute.len()..];
                assert!(
                    target.starts_with("/console/")
                        || target.starts_with('#')
                        || target.starts_with("data:,\""),
                    "{path}: {attribute}{} is not a console file",
                    &target[..target.find('"').unwrap_or(target.len())]
                );
            }
        }
    }
}

#[tokio::test]
async fn the_genesis_the_page_verifies_against_is_the_nodes_own() {
    within(async {
        let harness = Harness::start().await;
        let reply = raw::get(harness.addr, "/console/genesis.json", None).await;
        assert_eq!(reply.status, 200);
        assert_eq!(
            reply.header("content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_console_headers(&reply, "/console/genesis.json");
        let info: Value =
            serde_json::from_str(&yrd_verifier::browser::genesis_info(&reply.body)).unwrap();
        assert_eq!(info["ok"], true, "{info}");
        assert_eq!(
            info["genesisHash"],
            hex::encode(harness.fixture.node.spec.genesis_hash)
        );
    })
    .await;
}
