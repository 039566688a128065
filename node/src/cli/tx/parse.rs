//! Parsers of command-line values (hex keys, provinces, DIDs, dates, enums).

use yrd_contracts::DidId;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::records::IssuerRevocationRule;
use yrd_contracts::tx::{StatusReason, SubjectKind};
use yrd_contracts::types::{DataClass, ProvinceCode};

/// A GB 32100 unified social credit code.
pub fn parse_uscc(text: &str) -> Result<Uscc, String> {
    text.parse()
        .map_err(|e: yrd_contracts::licence_id::LicenceIdError| e.to_string())
}

pub(super) fn parse_revocation_rule(text: &str) -> Result<IssuerRevocationRule, String> {
    match text {
        "stay-valid" => Ok(IssuerRevocationRule::StayValidFlagged),
        "invalidate" => Ok(IssuerRevocationRule::Invalidate),
        other => Err(format!("{other:?}: expected stay-valid or invalidate")),
    }
}

/// 64 hex characters.
pub fn parse_hex32(text: &str) -> Result<[u8; 32], String> {
    let bytes = hex::decode(text.trim_start_matches("0x")).map_err(|e| format!("not hex: {e}"))?;
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| format!("expected 32 bytes, got {}", b.len()))
}

/// A province code or name.
pub fn parse_province(text: &str) -> Result<ProvinceCode, String> {
    match text.to_ascii_lowercase().as_str() {
        "shanghai" | "sh" => Ok(ProvinceCode::SHANGHAI),
        "jiangsu" | "js" => Ok(ProvinceCode::JIANGSU),
        "zhejiang" | "zj" => Ok(ProvinceCode::ZHEJIANG),
        "anhui" | "ah" => Ok(ProvinceCode::ANHUI),
        other => other.parse::<u32>().map(ProvinceCode).map_err(|_| {
            format!("{text:?} is not a province code or name (shanghai, jiangsu, zhejiang, anhui)")
        }),
    }
}

pub(super) fn parse_did(text: &str) -> Result<DidId, String> {
    DidId::parse(text).map_err(|e| e.to_string())
}

pub(super) fn parse_reason(text: &str) -> Result<StatusReason, String> {
    Ok(match text.to_ascii_lowercase().replace('_', "-").as_str() {
        "unspecified" => StatusReason::Unspecified,
        "issued-in-error" => StatusReason::IssuedInError,
        "holder-request" => StatusReason::HolderRequest,
        "superseded" => StatusReason::Superseded,
        "information-changed" => StatusReason::InformationChanged,
        "administrative-action" => StatusReason::AdministrativeAction,
        "court-order" => StatusReason::CourtOrder,
        "fraud" => StatusReason::Fraud,
        "key-compromise" => StatusReason::KeyCompromise,
        "renewal" => StatusReason::Renewal,
        "resolved" => StatusReason::Resolved,
        _ => return Err(format!("unknown reason {text:?}")),
    })
}

pub(super) fn parse_subject(text: &str) -> Result<SubjectKind, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "issuer" => SubjectKind::Issuer,
        "verifier" => SubjectKind::Verifier,
        "organisation" | "organization" => SubjectKind::Organisation,
        "province-authority" => SubjectKind::ProvinceAuthority,
        _ => {
            return Err(format!(
                "unknown subject {text:?} (issuer, verifier, organisation, province-authority)"
            ));
        }
    })
}

pub(super) fn parse_data_class(text: &str) -> Result<DataClass, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "unconditional" => DataClass::Unconditional,
        "conditional" => DataClass::Conditional,
        "non-open" | "nonopen" => DataClass::NonOpen,
        _ => {
            return Err(format!(
                "unknown data class {text:?} (unconditional, conditional, non-open)"
            ));
        }
    })
}

/// `YYYY-MM-DD` (UTC midnight) or milliseconds since the Unix epoch.
pub fn parse_time_ms(text: &str) -> Result<u64, String> {
    if let Ok(ms) = text.parse::<u64>() {
        return Ok(ms);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(format!("{text:?} is neither YYYY-MM-DD nor milliseconds"));
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| format!("bad year in {text:?}"))?,
        m.parse().map_err(|_| format!("bad month in {text:?}"))?,
        d.parse().map_err(|_| format!("bad day in {text:?}"))?,
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || y < 1970 {
        return Err(format!("{text:?} is not a date from 1970 on"));
    }
    // Days from civil (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok((days as u64) * 86_400_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_parse_to_utc_midnight() {
        assert_eq!(parse_time_ms("1970-01-01"), Ok(0));
        assert_eq!(parse_time_ms("2026-11-23"), Ok(1_795_392_000_000));
        assert_eq!(parse_time_ms("2000-03-01"), Ok(951_868_800_000));
        assert_eq!(parse_time_ms("12345"), Ok(12345));
        assert!(parse_time_ms("2026-13-01").is_err());
    }

    #[test]
    fn provinces_by_name_or_code() {
        assert_eq!(parse_province("Jiangsu"), Ok(ProvinceCode::JIANGSU));
        assert_eq!(parse_province("340000"), Ok(ProvinceCode::ANHUI));
        assert!(parse_province("mars").is_err());
    }
}
