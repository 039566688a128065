//! The W3C DID Resolution HTTP(S) binding: `GET /1.0/identifiers/{did}`.
//!
//! The DID may be percent-encoded in the path; `?versionId=N` asks for an older version. The
//! `Accept` header chooses the representation:
//!
//! | Accept | body | content type |
//! |---|---|---|
//! | absent, `*/*`, `application/*`, `application/did-resolution`, `application/ld+json;profile="https://w3id.org/did-resolution"` | resolution result `{didDocument, didResolutionMetadata, didDocumentMetadata}` | `application/did-resolution` |
//! | `application/did+ld+json` | the DID document alone | `application/did+ld+json` |
//! | anything else | error `representationNotSupported` | 406 |
//!
//! Errors are resolution results with `didDocument: null` and `didResolutionMetadata.error`:
//! `invalidDid` 400, `notFound` 404, `methodNotSupported` 501, `representationNotSupported` 406,
//! `invalidOptions` 400 (bad `versionId`), `internalError` 500/503. A deactivated DID answers
//! 410 with its (deactivated) document and metadata.
//!
//! This module is pure: the caller supplies the state reader and does the IO.

use serde_json::json;
use yrd_contracts::DidId;
use yrd_contracts::StateReader;
use yrd_contracts::did_document::DID_LD_JSON;
use yrd_contracts::did_id::DID_METHOD_PREFIX;
use yrd_contracts::query::did_resolve;

/// Media type of a DID resolution result.
pub const DID_RESOLUTION_MEDIA_TYPE: &str = "application/did-resolution";
/// Older spelling of the resolution-result media type, still accepted in `Accept`.
pub const DID_RESOLUTION_LD_PROFILE: &str = "https://w3id.org/did-resolution";
/// Path prefix of the binding.
pub const IDENTIFIERS_PATH: &str = "/1.0/identifiers/";

/// An HTTP answer of the binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidHttpResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// JSON body.
    pub body: String,
}

/// What the client asked to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// The resolution result.
    Resolution,
    /// The bare document.
    Document,
}

/// Picks the representation from an `Accept` header (highest `q` first, header order on ties).
pub fn negotiate(accept: Option<&str>) -> Option<Representation> {
    let Some(accept) = accept.map(str::trim).filter(|a| !a.is_empty()) else {
        return Some(Representation::Resolution);
    };
    let mut ranges: Vec<(u32, usize, Option<Representation>)> = Vec::new();
    for (position, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or_default().to_ascii_lowercase();
        let mut quality = 1000u32;
        let mut profile = None;
        for parameter in parts {
            let Some((name, value)) = parameter.split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim().to_ascii_lowercase().as_str() {
                "q" => quality = parse_quality(value),
                "profile" => profile = Some(value.to_owned()),
                _ => {}
            }
        }
        if quality == 0 {
            continue;
        }
        let representation = match media_type.as_str() {
            "*/*" | "application/*" | DID_RESOLUTION_MEDIA_TYPE => Some(Representation::Resolution),
            "application/ld+json" if profile.as_deref() == Some(DID_RESOLUTION_LD_PROFILE) => {
                Some(Representation::Resolution)
            }
            DID_LD_JSON => Some(Representation::Document),
            _ => None,
        };
        ranges.push((quality, position, representation));
    }
    ranges.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    ranges
        .into_iter()
        .find_map(|(_, _, representation)| representation)
}

/// `q` in thousandths (`q=0.5` is 500); malformed values count as 0 (not acceptable).
fn parse_quality(value: &str) -> u32 {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let thousandths: u32 = format!("{fraction:0<3}").parse().unwrap_or(0);
    match whole {
        "1" if thousandths == 0 => 1000,
        "0" => thousandths,
        _ => 0,
    }
}

/// Decodes `%XX` escapes; `None` on a malformed escape or non-UTF-8 result.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        if byte == b'%' {
            let hex = bytes.get(index + 1..index + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            out.push(byte);
            index += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn error_body(error: &str, message: &str) -> String {
    json!({
        "didDocument": null,
        "didResolutionMetadata": { "error": error, "errorMessage": message },
        "didDocumentMetadata": {},
    })
    .to_string()
}

/// An error answer.
pub fn error_response(status: u16, error: &str, message: &str) -> DidHttpResponse {
    DidHttpResponse {
        status,
        content_type: DID_RESOLUTION_MEDIA_TYPE,
        body: error_body(error, message),
    }
}

/// Checks the path and options without touching state: the DID and version, or the error answer.
pub fn parse_request(
    raw_did: &str,
    query: Option<&str>,
    accept: Option<&str>,
) -> Result<(DidId, Option<u32>, Representation), DidHttpResponse> {
    let Some(did_text) = percent_decode(raw_did) else {
        return Err(error_response(
            400,
            "invalidDid",
            "malformed percent-encoding in the DID",
        ));
    };
    let did = parse_did_text(&did_text)?;
    let mut version = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        if let Some(value) = pair.strip_prefix("versionId=") {
            let parsed = value.parse::<u32>().ok().filter(|v| *v > 0);
            let Some(parsed) = parsed else {
                return Err(error_response(
                    400,
                    "invalidOptions",
                    "versionId must be a positive integer",
                ));
            };
            version = Some(parsed);
        }
    }
    let Some(representation) = negotiate(accept) else {
        return Err(error_response(
            406,
            "representationNotSupported",
            "supported: application/did-resolution, application/did+ld+json",
        ));
    };
    Ok((did, version, representation))
}

fn parse_did_text(text: &str) -> Result<DidId, DidHttpResponse> {
    let mut parts = text.splitn(3, ':');
    let (Some("did"), Some(method), Some(identifier)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(error_response(
            400,
            "invalidDid",
            &format!("{text:?} is not a DID"),
        ));
    };
    let method_ok = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !method_ok || identifier.is_empty() {
        return Err(error_response(
            400,
            "invalidDid",
            &format!("{text:?} is not a DID"),
        ));
    }
    if format!("did:{method}:") != DID_METHOD_PREFIX {
        return Err(error_response(
            501,
            "methodNotSupported",
            &format!("this node resolves only {DID_METHOD_PREFIX} DIDs, not did:{method}"),
        ));
    }
    DidId::parse(text).map_err(|e| error_response(400, "invalidDid", &e.to_string()))
}

/// Resolves against `reader` and renders the answer.
pub fn resolve(
    reader: &dyn StateReader,
    did: &DidId,
    version: Option<u32>,
    representation: Representation,
) -> DidHttpResponse {
    let resolution = match did_resolve(&reader, did, version) {
        Ok(Some(resolution)) => resolution,
        Ok(None) => {
            let what = version.map_or_else(|| did.to_string(), |v| format!("{did} version {v}"));
            return error_response(404, "notFound", &format!("{what} not found"));
        }
        Err(error) => {
            tracing::warn!(%error, "DID resolution failed on a node fault");
            return error_response(500, "internalError", "internal error");
        }
    };
    let status = if resolution.did_document_metadata.deactivated {
        410
    } else {
        200
    };
    let rendered = match representation {
        Representation::Resolution => serde_json::to_string(&resolution),
        Representation::Document => serde_json::to_string(&resolution.did_document),
    };
    match rendered {
        Ok(body) => DidHttpResponse {
            status,
            content_type: match representation {
                Representation::Resolution => DID_RESOLUTION_MEDIA_TYPE,
                Representation::Document => DID_LD_JSON,
            },
            body,
        },
        Err(error) => error_response(500, "internalError", &error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        assert_eq!(negotiate(None), Some(Representation::Resolution));
        assert_eq!(negotiate(Some("*/*")), Some(Representation::Resolution));
        assert_eq!(
            negotiate(Some("application/did+ld+json")),
            Some(Representation::Document)
        );
        assert_eq!(
            negotiate(Some(
                "application/did-resolution;q=0.5, application/did+ld+json"
            )),
            Some(Representation::Document)
        );
        assert_eq!(
            negotiate(Some(
                "application/ld+json;profile=\"https://w3id.org/did-resolution\""
            )),
            Some(Representation::Resolution)
        );
        assert_eq!(negotiate(Some("text/html")), None);
        assert_eq!(
            negotiate(Some("application/did+ld+json;q=0, text/html")),
            None
        );
        assert_eq!(
            negotiate(Some("text/html, application/did-resolution;q=0.1")),
            Some(Representation::Resolution)
        );
    }

    #[test]
    fn qualities() {
        assert_eq!(parse_quality("1"), 1000);
        assert_eq!(parse_quality("1.000"), 1000);
        assert_eq!(parse_quality("0.25"), 250);
        assert_eq!(parse_quality("0"), 0);
        assert_eq!(parse_quality("2"), 0);
        assert_eq!(parse_quality("0.1234"), 0);
        assert_eq!(parse_quality("x"), 0);
    }

    #[test]
    fn percent_decoding() {
        assert_eq!(
            percent_decode("did%3Ayrd%3Aabc").as_deref(),
            Some("did:yrd:abc")
        );
        assert_eq!(
            percent_decode("did:yrd:abc").as_deref(),
            Some("did:yrd:abc")
        );
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%3"), None);
        assert_eq!(percent_decode("%ff"), None);
    }

    #[test]
    fn request_errors() {
        let id = DidId([9; 16]).to_string();
        assert_eq!(
            parse_request("not-a-did", None, None).unwrap_err().status,
            400
        );
        assert_eq!(
            parse_request("did:web:example.com", None, None)
                .unwrap_err()
                .status,
            501
        );
        assert_eq!(
            parse_request("did:yrd:0OIl", None, None)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            parse_request(&id, Some("versionId=x"), None)
                .unwrap_err()
                .status,
            400
        );
        assert_eq!(
            parse_request(&id, None, Some("text/html"))
                .unwrap_err()
                .status,
            406
        );
        let (did, version, representation) = parse_request(&id, Some("versionId=2"), None).unwrap();
        assert_eq!(
            (did, version, representation),
            (DidId([9; 16]), Some(2), Representation::Resolution)
        );
        let body: serde_json::Value =
            serde_json::from_str(&parse_request("x", None, None).unwrap_err().body).unwrap();
        assert_eq!(body["didResolutionMetadata"]["error"], "invalidDid");
        assert!(body["didDocument"].is_null());
    }
}
