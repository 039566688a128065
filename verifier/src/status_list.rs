//! W3C Bitstring Status List v1.0 for licence credentials: the bitstring and its `encodedList`
//! form, the `BitstringStatusListCredential` a node serves at `GET /status/{uscc}/{purpose}`,
//! the `BitstringStatusListEntry` a licence credential carries, and the checks a verifier makes
//! (docs/CREDENTIALS.md, ADR 014).
//!
//! The bitstring: bit `i` is the licence with status-list index `i` (assigned on chain); bit 0 is
//! the most significant bit of the first byte. At least [`MIN_BITS`] bits (16 KiB), the
//! specification's floor for herd privacy. `encodedList` = `u` (multibase base64url) followed by
//! the base64url encoding, without padding, of the GZIP of the bitstring. Decoding is bounded
//! ([`MAX_LIST_BYTES`] decompressed), so a small list that inflates to gigabytes is refused while
//! it inflates.
//!
//! A list credential is signed (`eddsa-jcs-2022`) by the serving node's key, named as a `did:key`.
//! Whether that key may speak for the ledger (a validator or registered observer, proven against
//! the genesis file) is the caller's check; [`check_list_credential`] checks the rest.

use std::io::{Read as _, Write as _};

use serde_json::{Value, json};

use crate::vc;

/// Fewest bits a list may hold (131,072: the specification's minimum, 16 KiB).
pub const MIN_BITS: usize = 131_072;
/// Most bytes a decoded (decompressed) list may hold: 16 MiB, 134 million entries.
pub const MAX_LIST_BYTES: usize = 16 * 1024 * 1024;
/// Most characters of an `encodedList` read (a GZIP of a sparse list is small; this bounds the
/// input before any decoding).
pub const MAX_ENCODED_CHARS: usize = 8 * 1024 * 1024;
/// `type` of a list credential (besides `VerifiableCredential`).
pub const LIST_CREDENTIAL_TYPE: &str = "BitstringStatusListCredential";
/// `credentialSubject.type` of a list credential.
pub const LIST_TYPE: &str = "BitstringStatusList";
/// `type` of a credential's status entry.
pub const ENTRY_TYPE: &str = "BitstringStatusListEntry";
/// The path a node serves lists under: `/status/{issuer USCC}/{purpose}`.
pub const STATUS_PATH: &str = "/status/";

/// Why a list could not be built, decoded or trusted. The names before the colon are the
/// specification's error types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// The list credential is malformed, its proof does not verify, or it answers another
    /// question (issuer, purpose, ledger) than the one asked.
    #[error("STATUS_VERIFICATION_ERROR: {0}")]
    Verification(String),
    /// The list holds fewer than [`MIN_BITS`] bits.
    #[error(
        "STATUS_LIST_LENGTH_ERROR: the list holds {bits} bits; at least {MIN_BITS} are required"
    )]
    Length {
        /// Bits in the list.
        bits: usize,
    },
    /// The decompressed list would exceed the bound.
    #[error("STATUS_VERIFICATION_ERROR: the decoded list exceeds {max} bytes")]
    TooLarge {
        /// The bound.
        max: usize,
    },
    /// The entry's index lies outside the list.
    #[error("RANGE_ERROR: status-list index {index} is outside the list's {bits} bits")]
    Range {
        /// The index.
        index: u64,
        /// Bits in the list.
        bits: usize,
    },
    /// A list too large to build (more entries than memory allows).
    #[error("the list would need {entries} entries, more than {max}")]
    TooManyEntries {
        /// Entries asked for.
        entries: u64,
        /// The most a list holds.
        max: u64,
    },
}

fn verification(reason: impl Into<String>) -> StatusListError {
    StatusListError::Verification(reason.into())
}

/// What a status bit means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusPurpose {
    /// Set: the licence is revoked (for good).
    Revocation,
    /// Set: the licence is suspended now (it may be reinstated).
    Suspension,
}

impl StatusPurpose {
    /// Both purposes, in the order a credential lists its entries.
    pub const ALL: [StatusPurpose; 2] = [StatusPurpose::Revocation, StatusPurpose::Suspension];

    /// The `statusPurpose` string.
    pub fn name(self) -> &'static str {
        match self {
            StatusPurpose::Revocation => "revocation",
            StatusPurpose::Suspension => "suspension",
        }
    }

    /// The purpose named `name`, if it is one this ledger serves.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

/// A status bitstring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bitstring {
    bytes: Vec<u8>,
}

impl Bitstring {
    /// All bits clear, room for `entries` (at least [`MIN_BITS`]).
    pub fn new(entries: u64) -> Result<Self, StatusListError> {
        let max_entries = (MAX_LIST_BYTES as u64) * 8;
        if entries > max_entries {
            return Err(StatusListError::TooManyEntries {
                entries,
                max: max_entries,
            });
        }
        let bits = (entries as usize).max(MIN_BITS);
        Ok(Self {
            bytes: vec![0; bits.div_ceil(8)],
        })
    }

    /// A list of exactly these bytes (any length: [`Bitstring::decode`] is what refuses a list
    /// shorter than [`MIN_BITS`]).
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// Bits held.
    pub fn bits(&self) -> usize {
        self.bytes.len() * 8
    }

    /// Sets bit `index`; `false` if it lies outside.
    pub fn set(&mut self, index: u64) -> bool {
        let Some((byte, mask)) = self.position(index) else {
            return false;
        };
        self.bytes[byte] |= mask;
        true
    }

    /// Bit `index`.
    pub fn get(&self, index: u64) -> Result<bool, StatusListError> {
        let (byte, mask) = self.position(index).ok_or(StatusListError::Range {
            index,
            bits: self.bits(),
        })?;
        Ok(self.bytes[byte] & mask != 0)
    }

    fn position(&self, index: u64) -> Option<(usize, u8)> {
        let index = usize::try_from(index).ok()?;
        let byte = index / 8;
        (byte < self.bytes.len()).then(|| (byte, 0x80u8 >> (index % 8)))
    }

    /// The raw bytes (bit 0 is the most significant bit of the first).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// `encodedList`: `u` + base64url (no padding) of the GZIP of the bytes.
    pub fn encode(&self) -> String {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let compressed = gzip
            .write_all(&self.bytes)
            .and_then(|()| gzip.finish())
            .unwrap_or_default();
        format!("u{}", base64url_encode(&compressed))
    }

    /// Decodes an `encodedList`, refusing one that inflates beyond `max_bytes` (checked while it
    /// inflates) or that holds fewer than [`MIN_BITS`] bits.
    pub fn decode(encoded: &str, max_bytes: usize) -> Result<Self, StatusListError> {
        if encoded.len() > MAX_ENCODED_CHARS {
            return Err(verification(format!(
                "encodedList is longer than {MAX_ENCODED_CHARS} characters"
            )));
        }
        let body = encoded
            .strip_prefix('u')
            .ok_or_else(|| verification("encodedList is not multibase base64url ('u')"))?;
        let compressed = base64url_decode(body)
            .ok_or_else(|| verification("encodedList is not base64url without padding"))?;
        let mut bytes = Vec::new();
        let limit = u64::try_from(max_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| verification(format!("encodedList is not GZIP: {e}")))?;
        if bytes.len() > max_bytes {
            return Err(StatusListError::TooLarge { max: max_bytes });
        }
        let list = Self { bytes };
        if list.bits() < MIN_BITS {
            return Err(StatusListError::Length { bits: list.bits() });
        }
        Ok(list)
    }
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// base64url (RFC 4648 section 5) without padding.
pub fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let sextet = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(BASE64URL[sextet as usize]));
        }
    }
    out
}

/// The bytes of base64url without padding; `None` for any other character, a padding `=`, a
/// length that no encoding has, or non-zero trailing bits.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| BASE64URL.iter().position(|&a| a == c).map(|v| v as u32);
    let bytes = text.as_bytes();
    if bytes.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3 + 2);
    for chunk in bytes.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let produced = chunk.len() - 1;
        // Bits past the last whole byte must be zero (one spelling only).
        let used_bits = produced * 8;
        if n & (0xff_ffff >> used_bits) != 0 && produced < 3 {
            return None;
        }
        for i in 0..produced {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Some(out)
}

/// The `did:key` of an Ed25519 key and its one verification method (`did:key:z6Mk…#z6Mk…`).
pub fn did_key(public: &[u8; 32]) -> (String, String) {
    let multikey = vc::public_key_multibase(public);
    let did = format!("did:key:{multikey}");
    let method = format!("{did}#{multikey}");
    (did, method)
}

/// The Ed25519 key a `did:key` verification method names (`did:key:X#X`).
pub fn did_key_method_key(method: &str) -> Result<[u8; 32], StatusListError> {
    let rest = method
        .strip_prefix("did:key:")
        .ok_or_else(|| verification(format!("verification method {method:?} is not a did:key")))?;
    let (multikey, fragment) = rest
        .split_once('#')
        .ok_or_else(|| verification(format!("verification method {method:?} has no fragment")))?;
    if multikey != fragment {
        return Err(verification(format!(
            "verification method {method:?} is not the did:key's own key"
        )));
    }
    vc::decode_public_key_multibase(multikey).map_err(|e| verification(e.to_string()))
}

/// What a list is the list of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListScope {
    /// The issuer's USCC.
    pub uscc: String,
    /// The purpose.
    pub purpose: StatusPurpose,
    /// The chain id.
    pub ledger: String,
}

impl ListScope {
    /// The list credential's `id`: names issuer, purpose and chain, so one list can never be
    /// passed off as another's.
    pub fn id(&self) -> String {
        format!(
            "urn:yrd:status-list:{}:{}:{}",
            self.ledger,
            self.uscc,
            self.purpose.name()
        )
    }
}

/// The URL of the list of `scope` at a node whose base URL is `base` (no trailing slash needed).
pub fn list_url(base: &str, uscc: &str, purpose: StatusPurpose) -> String {
    format!(
        "{}{STATUS_PATH}{uscc}/{}",
        base.trim_end_matches('/'),
        purpose.name()
    )
}

/// A licence credential's status entry for `index` in the list at `list_url`.
pub fn status_entry(list_url: &str, purpose: StatusPurpose, index: u64) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": ENTRY_TYPE,
        "statusPurpose": purpose.name(),
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// The unsigned list credential of `scope` at ledger height `height` (block time `valid_from`),
/// to be signed by the key `signer`.
pub fn list_credential(
    scope: &ListScope,
    list: &Bitstring,
    height: u64,
    valid_from: &str,
    signer: &[u8; 32],
) -> Value {
    let (did, _) = did_key(signer);
    let id = scope.id();
    json!({
        "@context": [vc::VC_V2_CONTEXT],
        "id": id,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": did,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{id}#list"),
            "type": LIST_TYPE,
            "statusPurpose": scope.purpose.name(),
            "encodedList": list.encode(),
            "issuerUscc": scope.uscc,
            "ledger": scope.ledger,
            "ledgerHeight": height,
        },
    })
}

/// A list credential whose proof verified and that answers the question asked.
#[derive(Debug, Clone)]
pub struct CheckedList {
    /// The key that signed it (the caller checks that it may speak for the ledger).
    pub signer: [u8; 32],
    /// The bits.
    pub list: Bitstring,
    /// The ledger height it reflects.
    pub height: u64,
    /// Its `validFrom`.
    pub valid_from: String,
}

/// Checks a list credential: an `eddsa-jcs-2022` proof by its `did:key` issuer's own key, the
/// types, and that it is the list of exactly `scope`; decodes its bits within `max_bytes`.
pub fn check_list_credential(
    credential: &Value,
    scope: &ListScope,
    max_bytes: usize,
) -> Result<CheckedList, StatusListError> {
    let split = vc::split_proof(credential).map_err(|e| verification(e.to_string()))?;
    let signer = did_key_method_key(&split.verification_method)?;
    let (did, _) = did_key(&signer);
    if credential["issuer"].as_str() != Some(did.as_str()) {
        return Err(verification("the proof's key is not the list's issuer"));
    }
    vc::verify_proof(credential, &signer).map_err(|e| verification(e.to_string()))?;
    let types_ok = credential["type"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t == LIST_CREDENTIAL_TYPE));
    let subject = &credential["credentialSubject"];
    if !types_ok || subject["type"] != LIST_TYPE {
        return Err(verification("not a BitstringStatusListCredential"));
    }
    let field = |name: &str| subject[name].as_str().unwrap_or_default();
    if credential["id"].as_str() != Some(scope.id().as_str())
        || field("statusPurpose") != scope.purpose.name()
        || field("issuerUscc") != scope.uscc
        || field("ledger") != scope.ledger
    {
        return Err(verification(format!(
            "the list is not the {} list of issuer {} on {}",
            scope.purpose.name(),
            scope.uscc,
            scope.ledger
        )));
    }
    let height = subject["ledgerHeight"]
        .as_u64()
        .ok_or_else(|| verification("the list names no ledgerHeight"))?;
    let encoded = subject["encodedList"]
        .as_str()
        .ok_or_else(|| verification("the list has no encodedList"))?;
    let list = Bitstring::decode(encoded, max_bytes)?;
    Ok(CheckedList {
        signer,
        list,
        height,
        valid_from: credential["validFrom"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    })
}
