//! The web console, `GET /console`: static pages embedded in the binary (`node/console/`), which
//! talk to this node's JSON-RPC from the browser and check its proven answers there with
//! `yrd-verifier` compiled to WebAssembly (`node/console/pkg/`, built by
//! `scripts/build-console.sh`). Nothing is fetched from anywhere else: every answer carries a
//! Content-Security-Policy that allows this origin only (and WebAssembly compilation).
//!
//! `GET /console/genesis.json` serves the genesis the node runs (public: it holds keys and
//! parameters only), so the page can verify without a file of the user's own; the page shows its
//! hash for the user to compare with the one they pinned, and takes their own file instead.

use http::{StatusCode, header};
use jsonrpsee::server::{HttpBody, HttpResponse};

/// Where the console lives.
pub const CONSOLE_PATH: &str = "/console";

/// The genesis the node runs, as JSON.
pub const GENESIS_PATH: &str = "/console/genesis.json";

/// The console's Content-Security-Policy: this origin only; `'wasm-unsafe-eval'` lets the page
/// compile the verifier's WebAssembly (it allows no JavaScript `eval`).
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const WASM: &str = "application/wasm";
const JSON: &str = "application/json; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Every embedded asset: path under [`CONSOLE_PATH`], content type, bytes.
pub const ASSETS: &[(&str, &str, &[u8])] = &[
    ("/", HTML, include_bytes!("../../console/index.html")),
    (
        "/console.css",
        CSS,
        include_bytes!("../../console/console.css"),
    ),
    ("/app.js", JS, include_bytes!("../../console/app.js")),
    ("/i18n.js", JS, include_bytes!("../../console/i18n.js")),
    ("/rpc.js", JS, include_bytes!("../../console/rpc.js")),
    ("/views.js", JS, include_bytes!("../../console/views.js")),
    (
        "/pkg/yrd_verifier.js",
        JS,
        include_bytes!("../../console/pkg/yrd_verifier.js"),
    ),
    (
        "/pkg/yrd_verifier_bg.wasm",
        WASM,
        include_bytes!("../../console/pkg/yrd_verifier_bg.wasm"),
    ),
];

/// Whether `path` is the console's.
pub fn is_console_path(path: &str) -> bool {
    path == CONSOLE_PATH || path.starts_with("/console/")
}

/// The embedded asset at `path` (`/console` and `/console/` are the page).
pub fn asset(path: &str) -> Option<(&'static str, &'static [u8])> {
    let rest = path.strip_prefix(CONSOLE_PATH)?;
    let rest = if rest.is_empty() { "/" } else { rest };
    ASSETS
        .iter()
        .find(|(name, _, _)| *name == rest)
        .map(|(_, content_type, bytes)| (*content_type, *bytes))
}

/// An answer of the console, with its security headers.
pub fn response(status: u16, content_type: &'static str, body: Vec<u8>) -> HttpResponse {
    let mut response = HttpResponse::new(HttpBody::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static(content_type),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    response
}

/// The answer to `GET path` (a console path): the asset, the genesis, or 404.
pub fn serve(path: &str, genesis: Option<&yrd_contracts::Genesis>) -> (u16, HttpResponse) {
    if path == GENESIS_PATH {
        return match genesis.map(serde_json::to_vec_pretty) {
            Some(Ok(body)) => (200, response(200, JSON, body)),
            Some(Err(_)) | None => (
                404,
                response(404, TEXT, b"this node serves no genesis file\n".to_vec()),
            ),
        };
    }
    match asset(path) {
        Some((content_type, bytes)) => (200, response(200, content_type, bytes.to_vec())),
        None => (404, response(404, TEXT, b"no such console file\n".to_vec())),
    }
}
