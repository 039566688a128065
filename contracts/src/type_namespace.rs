//! Who may register a licence-type code in the shared catalogue.
//!
//! A code in the GB/T 36902 form (21 characters: the defining authority's 18-character USCC and
//! a 3-digit sequence) names its definer: characters 3 to 8 of the USCC are the administrative
//! division code (GB/T 2260), whose first two digits name the province. Such a code may be
//! registered only by the province its division belongs to; a code defined at national level
//! (division `100000`, e.g. the State Administration for Market Regulation's business licence)
//! belongs to no province and may be registered by any member, first come. Any 21-character code
//! of `[0-9A-Z]` ending in three digits claims the GB/T form and must then be a valid one (USCC
//! check character included), so a near-miss cannot slip through as free-form.
//!
//! Other (free-form) codes such as `SH-FOOD-BIZ` name nobody; they are first come, and only the
//! registering province may ever update them (`LicenceTypeRecord::owner`). See
//! docs/adr/008-governance-cascade.md.

use crate::licence_id::{LicenceTypeCode as GbtTypeCode, TYPE_CODE_LEN, USCC_LEN};
use crate::types::{FieldError, LicenceTypeCode, ProvinceCode};

/// Division code of the central (national) level.
pub const NATIONAL_DIVISION: &str = "100000";

/// Whose namespace a type code lies in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeNamespace {
    /// Free-form: first come, owner-only updates.
    FreeForm,
    /// GB/T 36902, defined at national level.
    National,
    /// GB/T 36902, defined in this province (`division` is the full 6-digit code).
    Province {
        /// The province the division belongs to.
        province: ProvinceCode,
        /// The USCC's division code.
        division: String,
    },
}

/// Whether `code` has the shape of a GB/T 36902 type code (and so must be a valid one).
fn claims_gbt_form(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == TYPE_CODE_LEN
        && bytes
            .iter()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        && bytes
            .get(USCC_LEN..)
            .is_some_and(|seq| seq.iter().all(u8::is_ascii_digit))
}

/// The namespace of `code`, refusing a code that claims the GB/T form but is not valid.
pub fn type_namespace(code: &LicenceTypeCode) -> Result<TypeNamespace, FieldError> {
    if !claims_gbt_form(&code.0) {
        return Ok(TypeNamespace::FreeForm);
    }
    let parsed: GbtTypeCode = code
        .0
        .parse()
        .map_err(|e: crate::licence_id::LicenceIdError| {
            FieldError::new("licence_type", e.to_string())
        })?;
    let division = parsed
        .defining_authority()
        .get(2..8)
        .ok_or_else(|| FieldError::new("licence_type", "USCC has no division code"))?;
    if division == NATIONAL_DIVISION {
        return Ok(TypeNamespace::National);
    }
    let province_digits: u32 = division
        .get(..2)
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| FieldError::new("licence_type", "division code is not numeric"))?;
    let province = ProvinceCode(province_digits.saturating_mul(10_000));
    Ok(TypeNamespace::Province {
        province,
        division: division.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(code: &str) -> Result<TypeNamespace, FieldError> {
        type_namespace(&LicenceTypeCode(code.into()))
    }

    #[test]
    fn forms() {
        assert_eq!(ns("SH-FOOD-BIZ"), Ok(TypeNamespace::FreeForm));
        assert_eq!(ns("BL01"), Ok(TypeNamespace::FreeForm));
        assert_eq!(ns("11100000000013338W009"), Ok(TypeNamespace::National));
        assert_eq!(
            ns("11310000MB0000001C001"),
            Ok(TypeNamespace::Province {
                province: ProvinceCode::SHANGHAI,
                division: "310000".into(),
            })
        );
        // Shaped like a GB/T code but longer than 21: free-form.
        assert_eq!(ns("11310000MB0000001C0012"), Ok(TypeNamespace::FreeForm));
        // Check character wrong: claims the form, refused.
        assert!(ns("11100000000013338X009").is_err());
    }
}
