//! Rendering a stored DID document version as W3C DID Core 1.0 JSON, with DID Resolution
//! metadata.
//!
//! Verification methods are `Multikey` (`publicKeyMultibase` = `z` + base58btc(0xed01 ‖ key), or
//! on an `sm2-sm3` chain `z` + base58btc(0x8624 ‖ 02 ‖ key), ADR 019),
//! referenced by DID URL from each relationship they are listed under. A document that lists
//! controller DIDs renders `controller` as the DID itself followed by those DIDs (the DID's own
//! `capabilityInvocation` keys keep control). Empty relationship and service lists are omitted.

use serde::{Deserialize, Serialize};

use crate::did_id::{DidId, key_multibase};
use crate::records::{DidDocumentRecord, DidHeadRecord};
use crate::time::format_utc_seconds;

/// The DID Core v1 JSON-LD context.
pub const DID_CORE_CONTEXT: &str = "https://www.w3.org/ns/did/v1";
/// The Multikey JSON-LD context.
pub const MULTIKEY_CONTEXT: &str = "https://w3id.org/security/multikey/v1";
/// Media type of a rendered document.
pub const DID_LD_JSON: &str = "application/did+ld+json";

/// A DID document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocument {
    /// JSON-LD contexts.
    #[serde(rename = "@context")]
    pub context: Vec<String>,
    /// The DID.
    pub id: String,
    /// Controllers, when the document names other controller DIDs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub controller: Vec<String>,
    /// Verification methods.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verification_method: Vec<VerificationMethod>,
    /// `authentication` references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentication: Vec<String>,
    /// `assertionMethod` references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assertion_method: Vec<String>,
    /// `capabilityInvocation` references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_invocation: Vec<String>,
    /// `capabilityDelegation` references.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capability_delegation: Vec<String>,
    /// Services.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub service: Vec<Service>,
}

/// A `Multikey` verification method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VerificationMethod {
    /// DID URL.
    pub id: String,
    /// Always `Multikey`.
    #[serde(rename = "type")]
    pub method_type: String,
    /// The DID.
    pub controller: String,
    /// `z` + base58btc(0xed01 ‖ key), or on `sm2-sm3` `z` + base58btc(0x8624 ‖ 02 ‖ key).
    pub public_key_multibase: String,
}

/// A service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// DID URL.
    pub id: String,
    /// Service type.
    #[serde(rename = "type")]
    pub service_type: String,
    /// Endpoint URL.
    pub service_endpoint: String,
}

/// DID document metadata (DID Resolution).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidDocumentMetadata {
    /// Block time of version 1.
    pub created: String,
    /// Block time of the returned version.
    pub updated: String,
    /// Whether the returned version is deactivated.
    pub deactivated: bool,
    /// The returned version number, as a string.
    pub version_id: String,
    /// The next version, when an older version was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_version_id: Option<String>,
}

/// DID resolution metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidResolutionMetadata {
    /// Media type of the document.
    pub content_type: String,
}

/// The result of resolving a DID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DidResolution {
    /// The document.
    pub did_document: DidDocument,
    /// Document metadata.
    pub did_document_metadata: DidDocumentMetadata,
    /// Resolution metadata.
    pub did_resolution_metadata: DidResolutionMetadata,
}

fn url(did: &DidId, fragment: &impl std::fmt::Display) -> String {
    format!("{did}#{fragment}")
}

/// Renders one stored version.
pub fn render_document(record: &DidDocumentRecord) -> DidDocument {
    let did = record.did;
    let refs = |select: fn(&crate::tx::Relationships) -> bool| -> Vec<String> {
        record
            .methods
            .iter()
            .filter(|m| select(&m.relationships))
            .map(|m| url(&did, &m.fragment))
            .collect()
    };
    let controller = if record.controllers.is_empty() {
        Vec::new()
    } else {
        std::iter::once(&did)
            .chain(&record.controllers)
            .map(ToString::to_string)
            .collect()
    };
    DidDocument {
        context: vec![DID_CORE_CONTEXT.to_owned(), MULTIKEY_CONTEXT.to_owned()],
        id: did.to_string(),
        controller,
        verification_method: record
            .methods
            .iter()
            .map(|m| VerificationMethod {
                id: url(&did, &m.fragment),
                method_type: "Multikey".to_owned(),
                controller: did.to_string(),
                public_key_multibase: key_multibase(&m.key),
            })
            .collect(),
        authentication: refs(|r| r.authentication),
        assertion_method: refs(|r| r.assertion_method),
        capability_invocation: refs(|r| r.capability_invocation),
        capability_delegation: refs(|r| r.capability_delegation),
        service: record
            .services
            .iter()
            .map(|s| Service {
                id: url(&did, &s.fragment),
                service_type: s.service_type.clone(),
                service_endpoint: s.endpoint.clone(),
            })
            .collect(),
    }
}

/// Renders a version with its metadata.
pub fn render_resolution(head: &DidHeadRecord, record: &DidDocumentRecord) -> DidResolution {
    let next_version_id = (record.version < head.latest_version)
        .then(|| record.version.saturating_add(1).to_string());
    DidResolution {
        did_document: render_document(record),
        did_document_metadata: DidDocumentMetadata {
            created: format_utc_seconds(head.created_ms),
            updated: format_utc_seconds(record.updated_ms),
            deactivated: record.deactivated,
            version_id: record.version.to_string(),
            next_version_id,
        },
        did_resolution_metadata: DidResolutionMetadata {
            content_type: DID_LD_JSON.to_owned(),
        },
    }
}
