//! Parsing of RPC parameters into ledger types, with one clear `-32602` error per mistake.
//!
//! Byte strings are hex (either case, no `0x` prefix) of an exact length; DIDs are canonical
//! `did:yrd:` strings; provinces are GB/T 2260 province-level codes given as a number or a
//! six-digit string.

use serde::{Deserialize, Serialize};
use yrd_contracts::DidId;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::limits::MAX_TX_BYTES_CEILING;
use yrd_contracts::types::{LicenceTypeCode, ProvinceCode};

use super::error::RpcError;
use super::views::BlockRef;

/// Decodes `expected_len` bytes of hex.
pub fn parse_hex_exact(
    param: &'static str,
    text: &str,
    expected_len: usize,
) -> Result<Vec<u8>, RpcError> {
    let expected_chars = expected_len.saturating_mul(2);
    if text.len() != expected_chars {
        return Err(RpcError::param(
            param,
            format!(
                "expected {expected_chars} hex characters ({expected_len} bytes), got {} characters",
                text.len()
            ),
        ));
    }
    hex::decode(text).map_err(|e| RpcError::param(param, format!("not hex: {e}")))
}

/// Decodes a 32-byte value from hex.
pub fn parse_hex32(param: &'static str, text: &str) -> Result<[u8; 32], RpcError> {
    let bytes = parse_hex_exact(param, text, 32)?;
    bytes
        .try_into()
        .map_err(|_| RpcError::param(param, "expected 32 bytes"))
}

/// Parses an issuer's unified social credit code (GB 32100: 18 characters with its check
/// character), as a licence identifier carries it.
pub fn parse_uscc(param: &'static str, text: &str) -> Result<Uscc, RpcError> {
    text.parse::<Uscc>()
        .map_err(|e| RpcError::param(param, e.to_string()))
}

/// Decodes a 64-byte value (a signature) from hex.
pub fn parse_hex64(param: &'static str, text: &str) -> Result<[u8; 64], RpcError> {
    let bytes = parse_hex_exact(param, text, 64)?;
    bytes
        .try_into()
        .map_err(|_| RpcError::param(param, "expected 64 bytes"))
}

/// Decodes a hex transaction envelope, refusing more than the ledger's ceiling before decoding.
pub fn parse_tx_hex(text: &str) -> Result<Vec<u8>, RpcError> {
    let max_chars = (MAX_TX_BYTES_CEILING as usize).saturating_mul(2);
    if text.is_empty() {
        return Err(RpcError::param("tx", "empty"));
    }
    if text.len() > max_chars {
        return Err(RpcError::param(
            "tx",
            format!(
                "{} hex characters, over the limit of {max_chars} ({MAX_TX_BYTES_CEILING} bytes)",
                text.len()
            ),
        ));
    }
    if !text.len().is_multiple_of(2) {
        return Err(RpcError::param("tx", "odd number of hex characters"));
    }
    hex::decode(text).map_err(|e| RpcError::param("tx", format!("not hex: {e}")))
}

/// Parses a canonical `did:yrd:` DID.
pub fn parse_did(param: &'static str, text: &str) -> Result<DidId, RpcError> {
    DidId::parse(text).map_err(|e| RpcError::param(param, e.to_string()))
}

/// Parses and validates a licence-type code.
pub fn parse_licence_type(param: &'static str, text: &str) -> Result<LicenceTypeCode, RpcError> {
    let code = LicenceTypeCode(text.to_owned());
    code.validate()
        .map_err(|e| RpcError::param(param, e.reason))?;
    Ok(code)
}

/// A province given as `310000` or `"310000"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ProvinceParam {
    /// As a number.
    Number(u64),
    /// As a string.
    Text(String),
}

impl ProvinceParam {
    /// The validated province code.
    pub fn parse(&self, param: &'static str) -> Result<ProvinceCode, RpcError> {
        let value = match self {
            ProvinceParam::Number(n) => *n,
            ProvinceParam::Text(text) => {
                if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(RpcError::param(
                        param,
                        format!("{text:?} is not a six-digit GB/T 2260 code"),
                    ));
                }
                text.parse::<u64>()
                    .map_err(|e| RpcError::param(param, e.to_string()))?
            }
        };
        let code = u32::try_from(value).map_err(|_| {
            RpcError::param(
                param,
                format!("{value} is not a province-level GB/T 2260 code"),
            )
        })?;
        let province = ProvinceCode(code);
        province
            .validate()
            .map_err(|e| RpcError::param(param, e.reason))?;
        Ok(province)
    }
}

/// A block given as a height, `"latest"`, or a 32-byte block id in hex.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BlockParam {
    /// A height.
    Height(u64),
    /// `"latest"` or a block id.
    Text(String),
}

impl BlockParam {
    /// The block reference; `None` for `"latest"`.
    pub fn parse(&self) -> Result<Option<BlockRef>, RpcError> {
        match self {
            BlockParam::Height(height) => Ok(Some(BlockRef::Height(*height))),
            BlockParam::Text(text) if text == "latest" => Ok(None),
            BlockParam::Text(text) => Ok(Some(BlockRef::Id(parse_hex32("block", text)?))),
        }
    }
}

/// A verifier's proof that it holds a key of the DID it claims (see [`super::auth`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthParam {
    /// Version of the signed message; only [`super::auth::AUTH_VERSION`] is accepted, and its
    /// absence means version 1, refused by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// Fragment of an `authentication` method of the DID (`key-1`).
    pub key_id: String,
    /// The client's clock when signing, ms since the Unix epoch.
    pub timestamp_ms: u64,
    /// ed25519 signature over the auth message, 64 bytes hex.
    pub signature: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_lengths_and_characters() {
        assert_eq!(parse_hex32("c", &"ab".repeat(32)).unwrap(), [0xab; 32]);
        assert_eq!(parse_hex32("c", &"AB".repeat(32)).unwrap(), [0xab; 32]);
        let short = parse_hex32("commitment", "abcd").unwrap_err();
        assert!(
            short.to_string().contains("expected 64 hex characters"),
            "{short}"
        );
        assert!(
            parse_hex32("c", &"zz".repeat(32))
                .unwrap_err()
                .to_string()
                .contains("not hex")
        );
        assert!(parse_hex32("c", &format!("0x{}", "ab".repeat(31))).is_err());
    }

    #[test]
    fn tx_hex_limit_is_checked_before_decoding() {
        let at_limit = "00".repeat(MAX_TX_BYTES_CEILING as usize);
        assert_eq!(
            parse_tx_hex(&at_limit).unwrap().len(),
            MAX_TX_BYTES_CEILING as usize
        );
        let over = format!("{at_limit}00");
        assert!(
            parse_tx_hex(&over)
                .unwrap_err()
                .to_string()
                .contains("over the limit")
        );
        assert!(parse_tx_hex("abc").is_err());
        assert!(parse_tx_hex("").is_err());
    }

    #[test]
    fn provinces_as_numbers_or_strings() {
        assert_eq!(
            ProvinceParam::Number(310_000).parse("r").unwrap(),
            ProvinceCode::SHANGHAI
        );
        assert_eq!(
            ProvinceParam::Text("320000".into()).parse("r").unwrap(),
            ProvinceCode::JIANGSU
        );
        assert!(ProvinceParam::Number(310_100).parse("r").is_err());
        assert!(ProvinceParam::Number(u64::MAX).parse("r").is_err());
        assert!(ProvinceParam::Text("31000".into()).parse("r").is_err());
        assert!(ProvinceParam::Text("+31000".into()).parse("r").is_err());
    }

    #[test]
    fn block_params() {
        assert_eq!(
            BlockParam::Height(7).parse().unwrap(),
            Some(BlockRef::Height(7))
        );
        assert_eq!(BlockParam::Text("latest".into()).parse().unwrap(), None);
        assert_eq!(
            BlockParam::Text("01".repeat(32)).parse().unwrap(),
            Some(BlockRef::Id([1; 32]))
        );
        assert!(BlockParam::Text("earliest".into()).parse().is_err());
    }
}
