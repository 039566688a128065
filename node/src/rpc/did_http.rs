//! The W3C DID Resolution HTTP(S) binding, as the DID Resolution Candidate Recommendation
//! specifies it: `GET /1.0/identifiers/{did-or-did-url}`.
//!
//! The DID (or DID URL with a `#fragment`, which must then be percent-encoded as `%23`) may be
//! percent-encoded in the path. Options in the query: `versionId=N` (an older version) and
//! `verificationRelationship=R` (with a DID URL: the verification method must be listed under
//! `R` — `authentication`, `assertionMethod`, `keyAgreement`, `capabilityInvocation` or
//! `capabilityDelegation`). The `Accept` header chooses the representation:
//!
//! | Accept | body | content type |
//! |---|---|---|
//! | absent, `*/*`, `application/*`, `application/did-resolution`, `application/ld+json;profile="https://w3id.org/did-resolution"` (older) | resolution result `{didDocument, didResolutionMetadata, didDocumentMetadata}` (for a DID URL: the dereferencing result) | `application/did-resolution` |
//! | `application/did-url-dereferencing` | dereferencing result `{contentStream, dereferencingMetadata, contentMetadata}` | `application/did-url-dereferencing` |
//! | `application/did`, `application/did+ld+json` (older) | the DID document alone (for a DID URL: the verification method or service alone) | as asked |
//! | anything else | error `REPRESENTATION_NOT_SUPPORTED` | 406 |
//!
//! Every answer is built from the ledger's proven answer to `did_resolve` (docs/PROOFS.md), and
//! the resolution and dereferencing metadata carry it whole as `ledgerProof`, for found and
//! not-found answers alike: a client checks it against the genesis file with `yrd verify` (or
//! the `yrd-verifier` crate) and compares its `value.didDocument` with the document it got.
//!
//! Errors are results with a null document and an RFC 9457 problem-details object in
//! `didResolutionMetadata.error` (`dereferencingMetadata.error` for a DID URL), whose `type` is
//! one of the CR's URIs: `INVALID_DID` 400, `INVALID_DID_URL` 400, `INVALID_OPTIONS` 400,
//! `NOT_FOUND` 404, `REPRESENTATION_NOT_SUPPORTED` 406, `METHOD_NOT_SUPPORTED` 501,
//! `INTERNAL_ERROR` 500 (503 while the node is too busy to answer). A deactivated DID answers 410
//! with its (deactivated) document and metadata.
//!
//! This module is pure: the caller obtains the proven answer and does the IO.

use serde_json::{Value, json};
use yrd_contracts::DidId;
use yrd_contracts::did_document::DID_LD_JSON;
use yrd_contracts::did_id::DID_METHOD_PREFIX;
use yrd_verifier::ProvenAnswer;

/// Media type of a DID resolution result.
pub const DID_RESOLUTION_MEDIA_TYPE: &str = "application/did-resolution";
/// Media type of a DID URL dereferencing result.
pub const DID_URL_DEREFERENCING_MEDIA_TYPE: &str = "application/did-url-dereferencing";
/// Media type of a DID document (DID v1.1).
pub const DID_MEDIA_TYPE: &str = "application/did";
/// Older spelling of the resolution-result media type, still accepted in `Accept`.
pub const DID_RESOLUTION_LD_PROFILE: &str = "https://w3id.org/did-resolution";
/// Path prefix of the binding.
pub const IDENTIFIERS_PATH: &str = "/1.0/identifiers/";
/// Prefix of the error type URIs.
pub const ERROR_TYPE_PREFIX: &str = "https://www.w3.org/ns/did#";
/// The verification relationships `verificationRelationship` may name.
pub const VERIFICATION_RELATIONSHIPS: [&str; 5] = [
    "authentication",
    "assertionMethod",
    "keyAgreement",
    "capabilityInvocation",
    "capabilityDelegation",
];

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

/// The errors of the binding (the CR's error types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// Not a DID.
    InvalidDid,
    /// Not a DID URL this resolver dereferences.
    InvalidDidUrl,
    /// A resolution or dereferencing option is malformed.
    InvalidOptions,
    /// No such DID, version, or resource.
    NotFound,
    /// The asked representation is not offered.
    RepresentationNotSupported,
    /// Not a `did:yrd` DID.
    MethodNotSupported,
    /// A fault of the node.
    InternalError,
}

impl ErrorType {
    /// The error's name, the fragment of its type URI.
    pub fn name(self) -> &'static str {
        match self {
            Self::InvalidDid => "INVALID_DID",
            Self::InvalidDidUrl => "INVALID_DID_URL",
            Self::InvalidOptions => "INVALID_OPTIONS",
            Self::NotFound => "NOT_FOUND",
            Self::RepresentationNotSupported => "REPRESENTATION_NOT_SUPPORTED",
            Self::MethodNotSupported => "METHOD_NOT_SUPPORTED",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// A short human-readable summary (the problem's `title`).
    pub fn title(self) -> &'static str {
        match self {
            Self::InvalidDid => "Invalid DID",
            Self::InvalidDidUrl => "Invalid DID URL",
            Self::InvalidOptions => "Invalid options",
            Self::NotFound => "Not found",
            Self::RepresentationNotSupported => "Representation not supported",
            Self::MethodNotSupported => "DID method not supported",
            Self::InternalError => "Internal error",
        }
    }

    /// The HTTP status the binding maps it to.
    pub fn status(self) -> u16 {
        match self {
            Self::InvalidDid | Self::InvalidDidUrl | Self::InvalidOptions => 400,
            Self::NotFound => 404,
            Self::RepresentationNotSupported => 406,
            Self::MethodNotSupported => 501,
            Self::InternalError => 500,
        }
    }
}

/// What the client asked to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Representation {
    /// The resolution result (for a DID URL: the dereferencing result).
    Resolution,
    /// The dereferencing result.
    Dereferencing,
    /// The resource alone, in this media type.
    Bare(&'static str),
}

/// A parsed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidRequest {
    /// The DID.
    pub did: DidId,
    /// The DID URL's fragment, if the path named a DID URL.
    pub fragment: Option<String>,
    /// `versionId`.
    pub version: Option<u32>,
    /// `verificationRelationship`.
    pub relationship: Option<&'static str>,
    /// What to answer with.
    pub representation: Representation,
}

impl DidRequest {
    /// Whether the request dereferences a DID URL (a fragment) rather than resolving a DID.
    pub fn is_url(&self) -> bool {
        self.fragment.is_some()
    }
}

/// An RFC 9457 problem-details object for `error`.
pub fn problem(error: ErrorType, detail: &str) -> Value {
    json!({
        "type": format!("{ERROR_TYPE_PREFIX}{}", error.name()),
        "title": error.title(),
        "detail": detail,
    })
}

/// An error answer for a DID (a resolution result) or a DID URL (a dereferencing result),
/// with the HTTP status of `error` (or `status`, for a busy node), and the ledger proof when
/// there is one.
pub fn error_answer(
    error: ErrorType,
    detail: &str,
    url: bool,
    status: Option<u16>,
    ledger_proof: Option<&ProvenAnswer>,
) -> DidHttpResponse {
    let mut metadata = json!({ "error": problem(error, detail) });
    if let Some(proof) = ledger_proof {
        metadata["ledgerProof"] = serde_json::to_value(proof).unwrap_or(Value::Null);
    }
    let (body, content_type) = if url {
        (
            json!({
                "contentStream": null,
                "dereferencingMetadata": metadata,
                "contentMetadata": {},
            }),
            DID_URL_DEREFERENCING_MEDIA_TYPE,
        )
    } else {
        (
            json!({
                "didDocument": null,
                "didResolutionMetadata": metadata,
                "didDocumentMetadata": {},
            }),
            DID_RESOLUTION_MEDIA_TYPE,
        )
    };
    DidHttpResponse {
        status: status.unwrap_or(error.status()),
        content_type,
        body: body.to_string(),
    }
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
            DID_URL_DEREFERENCING_MEDIA_TYPE => Some(Representation::Dereferencing),
            DID_MEDIA_TYPE => Some(Representation::Bare(DID_MEDIA_TYPE)),
            DID_LD_JSON => Some(Representation::Bare(DID_LD_JSON)),
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

/// Most bytes of a DID URL fragment this resolver looks up.
pub const MAX_FRAGMENT_BYTES: usize = 128;

/// Checks the path and options without touching state: the request, or the error answer.
pub fn parse_request(
    raw_did: &str,
    query: Option<&str>,
    accept: Option<&str>,
) -> Result<DidRequest, DidHttpResponse> {
    let Some(text) = percent_decode(raw_did) else {
        return Err(error_answer(
            ErrorType::InvalidDid,
            "malformed percent-encoding in the DID",
            false,
            None,
            None,
        ));
    };
    let (did_text, fragment) = match text.split_once('#') {
        Some((did, fragment)) => (did, Some(fragment)),
        None => (text.as_str(), None),
    };
    let url = fragment.is_some();
    if did_text.contains(['/', '?']) {
        return Err(error_answer(
            ErrorType::InvalidDidUrl,
            "this resolver dereferences DIDs and DID URLs with a fragment only (no path or query in the DID URL)",
            url,
            None,
            None,
        ));
    }
    let did = parse_did_text(did_text, url)?;
    let fragment = match fragment {
        Some(fragment) => {
            let well_formed = !fragment.is_empty()
                && fragment.len() <= MAX_FRAGMENT_BYTES
                && fragment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed {
                return Err(error_answer(
                    ErrorType::InvalidDidUrl,
                    &format!(
                        "the fragment must be 1 to {MAX_FRAGMENT_BYTES} letters, digits or -._~"
                    ),
                    true,
                    None,
                    None,
                ));
            }
            Some(fragment.to_owned())
        }
        None => None,
    };
    let invalid_option =
        |detail: &str| error_answer(ErrorType::InvalidOptions, detail, url, None, None);
    let mut version = None;
    let mut relationship = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        if let Some(value) = pair.strip_prefix("versionId=") {
            let parsed = value.parse::<u32>().ok().filter(|v| *v > 0);
            let Some(parsed) = parsed else {
                return Err(invalid_option("versionId must be a positive integer"));
            };
            version = Some(parsed);
        } else if let Some(value) = pair.strip_prefix("verificationRelationship=") {
            let Some(known) = VERIFICATION_RELATIONSHIPS
                .iter()
                .find(|name| **name == value)
            else {
                return Err(invalid_option(&format!(
                    "verificationRelationship must be one of {}",
                    VERIFICATION_RELATIONSHIPS.join(", ")
                )));
            };
            relationship = Some(*known);
        }
    }
    if relationship.is_some() && !url {
        return Err(invalid_option(
            "verificationRelationship applies to a DID URL naming a verification method (did#fragment)",
        ));
    }
    let Some(representation) = negotiate(accept) else {
        return Err(error_answer(
            ErrorType::RepresentationNotSupported,
            "supported: application/did-resolution, application/did-url-dereferencing, application/did, application/did+ld+json",
            url,
            None,
            None,
        ));
    };
    Ok(DidRequest {
        did,
        fragment,
        version,
        relationship,
        representation,
    })
}

fn parse_did_text(text: &str, url: bool) -> Result<DidId, DidHttpResponse> {
    let invalid = || {
        error_answer(
            ErrorType::InvalidDid,
            &format!("{text:?} is not a DID"),
            url,
            None,
            None,
        )
    };
    let mut parts = text.splitn(3, ':');
    let (Some("did"), Some(method), Some(identifier)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid());
    };
    let method_ok = !method.is_empty()
        && method
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !method_ok || identifier.is_empty() {
        return Err(invalid());
    }
    if format!("did:{method}:") != DID_METHOD_PREFIX {
        return Err(error_answer(
            ErrorType::MethodNotSupported,
            &format!("this node resolves only {DID_METHOD_PREFIX} DIDs, not did:{method}"),
            url,
            None,
            None,
        ));
    }
    DidId::parse(text)
        .map_err(|e| error_answer(ErrorType::InvalidDid, &e.to_string(), url, None, None))
}

/// The answer to `request` from the ledger's proven answer to `did_resolve` for its DID and
/// version (`answer.value` is the resolution, or null when there is none).
pub fn respond(request: &DidRequest, answer: &ProvenAnswer) -> DidHttpResponse {
    let url = request.is_url();
    let value = &answer.value;
    if value.is_null() {
        let what = request.version.map_or_else(
            || request.did.to_string(),
            |v| format!("{} version {v}", request.did),
        );
        return error_answer(
            ErrorType::NotFound,
            &format!("{what} not found"),
            url,
            None,
            Some(answer),
        );
    }
    // The proof goes into the metadata of a result; a bare document or method carries none, so
    // it is serialized only for a result.
    let proof = if matches!(request.representation, Representation::Bare(_)) {
        Value::Null
    } else {
        match serde_json::to_value(answer) {
            Ok(proof) => proof,
            Err(error) => {
                return error_answer(
                    ErrorType::InternalError,
                    &error.to_string(),
                    url,
                    None,
                    None,
                );
            }
        }
    };
    let document = &value["didDocument"];
    let document_metadata = value["didDocumentMetadata"].clone();
    let status = if document_metadata["deactivated"] == Value::Bool(true) {
        410
    } else {
        200
    };
    let (resource, content_type) = match &request.fragment {
        None => (document.clone(), DID_MEDIA_TYPE),
        Some(fragment) => match dereference(document, fragment, request.relationship) {
            Ok(resource) => (resource, "application/json"),
            Err(detail) => {
                return error_answer(ErrorType::NotFound, &detail, true, None, Some(answer));
            }
        },
    };
    let (body, media_type) = match request.representation {
        Representation::Bare(media_type) => (resource, media_type),
        Representation::Resolution if !url => (
            json!({
                "didDocument": resource,
                "didResolutionMetadata": { "contentType": content_type, "ledgerProof": proof },
                "didDocumentMetadata": document_metadata,
            }),
            DID_RESOLUTION_MEDIA_TYPE,
        ),
        Representation::Resolution | Representation::Dereferencing => (
            json!({
                "contentStream": resource,
                "dereferencingMetadata": { "contentType": content_type, "ledgerProof": proof },
                "contentMetadata": document_metadata,
            }),
            DID_URL_DEREFERENCING_MEDIA_TYPE,
        ),
    };
    DidHttpResponse {
        status,
        content_type: media_type,
        body: body.to_string(),
    }
}

/// The verification method or service of `document` whose id is the DID URL with `fragment`;
/// with `relationship`, a verification method listed under it. `Err` names what is missing.
fn dereference(
    document: &Value,
    fragment: &str,
    relationship: Option<&str>,
) -> Result<Value, String> {
    let did = document["id"].as_str().unwrap_or_default();
    let id = format!("{did}#{fragment}");
    let find = |list: &str| {
        document[list]
            .as_array()
            .and_then(|entries| entries.iter().find(|entry| entry["id"] == id.as_str()))
            .cloned()
    };
    match relationship {
        Some(relationship) => {
            let listed = document[relationship].as_array().is_some_and(|refs| {
                refs.iter()
                    .any(|r| r == id.as_str() || r["id"] == id.as_str())
            });
            if !listed {
                return Err(format!(
                    "{id} is not a verification method for {relationship}"
                ));
            }
            find("verificationMethod").ok_or_else(|| format!("{id} not found"))
        }
        None => find("verificationMethod")
            .or_else(|| find("service"))
            .ok_or_else(|| format!("{id} not found")),
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
            Some(Representation::Bare(DID_LD_JSON))
        );
        assert_eq!(
            negotiate(Some("application/did")),
            Some(Representation::Bare(DID_MEDIA_TYPE))
        );
        assert_eq!(
            negotiate(Some("application/did-url-dereferencing")),
            Some(Representation::Dereferencing)
        );
        assert_eq!(
            negotiate(Some(
                "application/did-resolution;q=0.5, application/did+ld+json"
            )),
            Some(Representation::Bare(DID_LD_JSON))
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

    fn error_of(answer: &DidHttpResponse) -> (u16, String) {
        let body: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
        let metadata = if body.get("dereferencingMetadata").is_some() {
            assert!(body["contentStream"].is_null());
            &body["dereferencingMetadata"]
        } else {
            assert!(body["didDocument"].is_null());
            &body["didResolutionMetadata"]
        };
        let kind = metadata["error"]["type"].as_str().unwrap().to_owned();
        assert!(metadata["error"]["title"].is_string());
        assert!(metadata["error"]["detail"].is_string());
        (answer.status, kind)
    }

    #[test]
    fn request_errors_are_problem_details_with_the_cr_types_and_statuses() {
        let id = DidId([9; 16]).to_string();
        let uri = |name: &str| format!("{ERROR_TYPE_PREFIX}{name}");
        for (path, query, accept, status, name) in [
            ("not-a-did", None, None, 400, "INVALID_DID"),
            ("did:example", None, None, 400, "INVALID_DID"),
            ("did:yrd:0OIl", None, None, 400, "INVALID_DID"),
            ("%zz", None, None, 400, "INVALID_DID"),
            (
                "did:unsupported:123456789abcdefghi",
                None,
                None,
                501,
                "METHOD_NOT_SUPPORTED",
            ),
            (
                id.as_str(),
                Some("versionId=x"),
                None,
                400,
                "INVALID_OPTIONS",
            ),
            (
                id.as_str(),
                Some("versionId=0"),
                None,
                400,
                "INVALID_OPTIONS",
            ),
            (
                id.as_str(),
                Some("verificationRelationship=authentication"),
                None,
                400,
                "INVALID_OPTIONS",
            ),
            (
                id.as_str(),
                None,
                Some("text/html"),
                406,
                "REPRESENTATION_NOT_SUPPORTED",
            ),
            (
                id.as_str(),
                None,
                Some("application/x-unsupported-did-representation-99999"),
                406,
                "REPRESENTATION_NOT_SUPPORTED",
            ),
        ] {
            let answer = parse_request(path, query, accept).unwrap_err();
            assert_eq!(
                error_of(&answer),
                (status, uri(name)),
                "{path} {query:?} {accept:?}"
            );
            assert_eq!(answer.content_type, DID_RESOLUTION_MEDIA_TYPE);
        }
        let url = format!("{id}%23key-1");
        for (path, query, status, name) in [
            (format!("{id}%23"), None, 400, "INVALID_DID_URL"),
            (format!("{id}%23a%20b"), None, 400, "INVALID_DID_URL"),
            (
                format!("{id}%23{}", "k".repeat(MAX_FRAGMENT_BYTES + 1)),
                None,
                400,
                "INVALID_DID_URL",
            ),
            (format!("{id}%2Fpath"), None, 400, "INVALID_DID_URL"),
            (
                url.clone(),
                Some("verificationRelationship=owner"),
                400,
                "INVALID_OPTIONS",
            ),
        ] {
            let answer = parse_request(&path, query, None).unwrap_err();
            assert_eq!(error_of(&answer), (status, uri(name)), "{path} {query:?}");
        }
        let request = parse_request(&id, Some("versionId=2"), None).unwrap();
        assert_eq!(
            request,
            DidRequest {
                did: DidId([9; 16]),
                fragment: None,
                version: Some(2),
                relationship: None,
                representation: Representation::Resolution,
            }
        );
        let request =
            parse_request(&url, Some("verificationRelationship=assertionMethod"), None).unwrap();
        assert_eq!(request.fragment.as_deref(), Some("key-1"));
        assert_eq!(request.relationship, Some("assertionMethod"));
    }

    #[test]
    fn a_did_url_dereferences_to_its_method_only_under_the_asked_relationship() {
        let document = serde_json::json!({
            "id": "did:yrd:x",
            "verificationMethod": [{"id": "did:yrd:x#key-1", "type": "Multikey"},
                                   {"id": "did:yrd:x#key-2", "type": "Multikey"}],
            "authentication": ["did:yrd:x#key-1"],
            "assertionMethod": ["did:yrd:x#key-2"],
            "service": [{"id": "did:yrd:x#registry", "type": "LinkedDomains"}],
        });
        assert_eq!(
            dereference(&document, "key-1", None).unwrap()["type"],
            "Multikey"
        );
        assert!(dereference(&document, "key-1", Some("authentication")).is_ok());
        assert!(dereference(&document, "key-1", Some("assertionMethod")).is_err());
        assert!(dereference(&document, "key-2", Some("keyAgreement")).is_err());
        assert_eq!(
            dereference(&document, "registry", None).unwrap()["type"],
            "LinkedDomains"
        );
        // A service is no verification method.
        assert!(dereference(&document, "registry", Some("authentication")).is_err());
        assert!(dereference(&document, "key-9", None).is_err());
    }
}
