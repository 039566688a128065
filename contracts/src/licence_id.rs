//! GB/T 36904 e-licence identifiers, and the salted commitments the ledger stores instead of them.
//!
//! # Identifier form
//!
//! `1.2.156.3005.2.<type code>.<issuer USCC>.<serial>.<version>.<check>`, all ASCII:
//!
//! - `1.2.156.3005.2` is the e-licence root OID ([`LICENCE_ID_ROOT_OID`]).
//! - **Type code** (GB/T 36902 licence-type code): the 18-character unified social credit code of
//!   the authority that defines the licence type, followed by a 3-digit sequence number, 21
//!   characters in all (e.g. `11100000000013338W` + `009`). The embedded code must pass the
//!   GB 32100 checks below.
//! - **Issuer USCC**: the issuing agency's 18-character unified social credit code (GB 32100):
//!   characters from `0-9 A-H J-N P-R T U W-Y` (no I, O, S, V, Z), characters 3 to 8 (the
//!   administrative division) digits, and character 18 the check character:
//!   `check = (31 - (sum over i in 1..=17 of value(c_i) * 3^(i-1) mod 31) mod 31) mod 31`, where
//!   `value` is the character's index in `0123456789ABCDEFGHJKLMNPQRTUWXY`.
//! - **Serial**: chosen by the issuer; 1 to [`MAX_SERIAL_LEN`] characters from `0-9 A-Z`
//!   (the standard leaves the length to the issuer; observed serials are 9 to 32 characters).
//! - **Version**: exactly 3 digits (`001`, `002`, ...).
//! - **Check**: one character from `0-9 A-Z`, ISO/IEC 7064 MOD 37,36 (see below).
//!
//! Input must be exactly in this form: uppercase only, no spaces, no extra or missing fields.
//!
//! # Check character convention
//!
//! The check character is computed over the concatenation **type code || issuer USCC || serial ||
//! version**, without the root OID and without the dots. GB/T 36904 names ISO/IEC 7064 MOD 37,36
//! (GB/T 17710) for the check character; deployed e-licence systems compute it over exactly these
//! characters, and published identifiers confirm it (e.g.
//! `1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0`, whose check `0`
//! holds only under this convention; including the OID digits gives `D`). The dot is not in the
//! MOD 37,36 alphabet, so it cannot be included.
//!
//! ISO/IEC 7064 MOD 37,36 (hybrid system, `M = 36`, alphabet `0-9 A-Z` valued 0 to 35): start with
//! `P = 36`; for each character of value `a`: `S = (P + a) mod 36`, replace `S = 0` by `36`, then
//! `P = (2 * S) mod 37`. The check character is the one with value `(37 - P) mod 36`.
//!
//! # Commitment
//!
//! The ledger never stores an identifier (they are enumerable). It stores
//! `blake3(LICENCE_COMMITMENT_TAG || u32_le(len) || id || salt)` where `id` is the canonical
//! identifier string ([`LicenceId`]'s `Display`, ASCII bytes), `len` its byte length as a 4-byte
//! little-endian integer, and `salt` the holder's 32 random bytes, which travel only with the
//! licence. This module must never put an identifier or a salt anywhere but that hash.

use core::fmt;
use core::str::FromStr;

/// The e-licence root OID that starts every identifier.
pub const LICENCE_ID_ROOT_OID: &str = "1.2.156.3005.2";

/// Length of a GB/T 36902 licence-type code: an 18-character USCC and a 3-digit sequence.
pub const TYPE_CODE_LEN: usize = 21;

/// Length of a GB 32100 unified social credit code.
pub const USCC_LEN: usize = 18;

/// Longest serial accepted.
pub const MAX_SERIAL_LEN: usize = 64;

/// Longest identifier accepted: root OID, the five fields at their longest, and five dots.
pub const MAX_LICENCE_ID_LEN: usize =
    LICENCE_ID_ROOT_OID.len() + TYPE_CODE_LEN + USCC_LEN + MAX_SERIAL_LEN + 3 + 1 + 5;

/// Domain tag of a licence commitment (32 ASCII bytes).
pub const LICENCE_COMMITMENT_TAG: &[u8] = b"yrd-ledger/licence-commitment/v1";

/// The ISO/IEC 7064 MOD 37,36 alphabet, in value order.
const MOD37_36_ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// The GB 32100 alphabet, in value order.
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 weights: `3^(i-1) mod 31` for positions 1 to 17.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why an identifier or one of its parts was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LicenceIdError {
    /// The identifier is longer than [`MAX_LICENCE_ID_LEN`] bytes.
    #[error("identifier of {len} bytes is over the limit of {max}")]
    TooLong {
        /// Length of the input.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The identifier does not start with `1.2.156.3005.2.`.
    #[error("identifier does not start with the root OID {LICENCE_ID_ROOT_OID}.: {found:?}")]
    WrongPrefix {
        /// The start of the input.
        found: String,
    },
    /// Not exactly five dot-separated fields after the root OID.
    #[error("identifier has {found} field(s) after the root OID, expected 5")]
    WrongFieldCount {
        /// Fields found.
        found: usize,
    },
    /// The licence-type code is malformed.
    #[error("bad licence-type code {type_code:?}: {reason}")]
    BadTypeCode {
        /// The refused code.
        type_code: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The issuer's unified social credit code is malformed.
    #[error("bad issuer USCC {uscc:?}: {reason}")]
    BadUscc {
        /// The refused code.
        uscc: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The issuer's unified social credit code has a wrong check character.
    #[error("issuer USCC {uscc:?} has check character {found}, expected {expected}")]
    BadUsccCheck {
        /// The refused code.
        uscc: String,
        /// The check character it carries.
        found: char,
        /// The check character its first 17 characters give.
        expected: char,
    },
    /// The serial is empty, too long or has a character outside `0-9 A-Z`.
    #[error("bad serial {serial:?}: {reason}")]
    BadSerial {
        /// The refused serial.
        serial: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The version is not exactly three digits (or, when building, above 999).
    #[error("bad version {version:?}: expected three digits 000-999")]
    BadVersion {
        /// The refused version text.
        version: String,
    },
    /// The check field is not the single character the other fields give.
    #[error("check field {found:?} does not match the computed check character {expected}")]
    BadCheckCharacter {
        /// The check field as given.
        found: String,
        /// The check character computed from the other fields.
        expected: char,
    },
    /// Input to the MOD 37,36 computation has a character outside `0-9 A-Z`.
    #[error("character {character:?} at position {position} is outside 0-9 A-Z")]
    BadCheckInput {
        /// The refused character.
        character: char,
        /// Its character index.
        position: usize,
    },
}

fn mod37_36_value(character: char) -> Option<u32> {
    MOD37_36_ALPHABET
        .iter()
        .position(|&c| char::from(c) == character)
        .map(|value| value as u32)
}

fn mod37_36_char(value: u32) -> char {
    MOD37_36_ALPHABET
        .get(value as usize)
        .map_or('0', |&c| char::from(c))
}

/// The ISO/IEC 7064 MOD 37,36 check character of `data` (characters `0-9 A-Z` only).
pub fn iso7064_mod37_36_check(data: &str) -> Result<char, LicenceIdError> {
    const MODULUS: u32 = 36;
    let mut product = MODULUS;
    for (position, character) in data.chars().enumerate() {
        let value = mod37_36_value(character).ok_or(LicenceIdError::BadCheckInput {
            character,
            position,
        })?;
        let mut sum = (product + value) % MODULUS;
        if sum == 0 {
            sum = MODULUS;
        }
        product = (2 * sum) % (MODULUS + 1);
    }
    Ok(mod37_36_char((MODULUS + 1 - product) % MODULUS))
}

/// The GB 32100 check character for the first 17 characters of a USCC, or `None` if one of them
/// is outside the USCC alphabet.
fn uscc_check_character(first_17: &[u8]) -> Option<char> {
    let mut sum = 0u32;
    for (character, weight) in first_17.iter().zip(USCC_WEIGHTS) {
        let value = USCC_ALPHABET.iter().position(|c| c == character)? as u32;
        sum += value * weight;
    }
    let check = (31 - sum % 31) % 31;
    USCC_ALPHABET.get(check as usize).map(|&c| char::from(c))
}

/// A validated GB 32100 unified social credit code (18 characters).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Uscc(String);

impl Uscc {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Uscc {
    type Err = LicenceIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| LicenceIdError::BadUscc {
            uscc: text.to_string(),
            reason,
        };
        if let Some((position, character)) = text
            .char_indices()
            .find(|(_, c)| !c.is_ascii() || !USCC_ALPHABET.contains(&(*c as u8)))
        {
            return Err(bad(format!(
                "character {character:?} at position {position} is outside 0-9 A-H J-N P-R T U W-Y"
            )));
        }
        let bytes = text.as_bytes();
        if bytes.len() != USCC_LEN {
            return Err(bad(format!(
                "{} characters, expected {USCC_LEN}",
                bytes.len()
            )));
        }
        if !bytes
            .get(2..8)
            .is_some_and(|division| division.iter().all(u8::is_ascii_digit))
        {
            return Err(bad(
                "characters 3 to 8 (administrative division) must be digits".into(),
            ));
        }
        let (first_17, given) = bytes.split_at(USCC_LEN - 1);
        let expected = uscc_check_character(first_17)
            .ok_or_else(|| bad("character outside the USCC alphabet".into()))?;
        let found = given.first().map_or('?', |&c| char::from(c));
        if found != expected {
            return Err(LicenceIdError::BadUsccCheck {
                uscc: text.to_string(),
                found,
                expected,
            });
        }
        Ok(Uscc(text.to_string()))
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Uscc {
    /// Completes the first 17 characters of a code with their GB 32100 check character.
    pub fn with_check_character(first_17: &str) -> Result<Self, LicenceIdError> {
        let check =
            uscc_check_character(first_17.as_bytes()).ok_or_else(|| LicenceIdError::BadUscc {
                uscc: first_17.to_string(),
                reason: "character outside the USCC alphabet".into(),
            })?;
        format!("{first_17}{check}").parse()
    }

    /// The code's 18 ASCII bytes, as they appear in state keys.
    pub fn to_bytes(&self) -> [u8; USCC_LEN] {
        let mut out = [0u8; USCC_LEN];
        for (slot, byte) in out.iter_mut().zip(self.0.as_bytes()) {
            *slot = *byte;
        }
        out
    }

    /// The province-level GB/T 2260 code of the registering authority's division (characters 3
    /// and 4 of the code, followed by `0000`): `31…` is Shanghai's 310000.
    pub fn province(&self) -> crate::types::ProvinceCode {
        let bytes = self.0.as_bytes();
        let digit = |i: usize| {
            bytes
                .get(i)
                .map_or(0, |b| u32::from(b.saturating_sub(b'0')))
        };
        crate::types::ProvinceCode((digit(2) * 10 + digit(3)) * 10_000)
    }
}

/// Borsh: exactly the 18 ASCII bytes, no length prefix; decoding refuses anything `FromStr`
/// refuses, so a stored or signed USCC is always a valid one.
impl borsh::BorshSerialize for Uscc {
    fn serialize<W: std::io::Write>(&self, writer: &mut W) -> std::io::Result<()> {
        writer.write_all(&self.to_bytes())
    }
}

impl borsh::BorshDeserialize for Uscc {
    fn deserialize_reader<R: std::io::Read>(reader: &mut R) -> std::io::Result<Self> {
        let mut bytes = [0u8; USCC_LEN];
        reader.read_exact(&mut bytes)?;
        let text = core::str::from_utf8(&bytes)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
        text.parse().map_err(|e: LicenceIdError| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string())
        })
    }
}

impl serde::Serialize for Uscc {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Uscc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A validated GB/T 36902 licence-type code: defining authority's USCC + 3-digit sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenceTypeCode(String);

impl LicenceTypeCode {
    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The USCC of the authority that defines this licence type.
    pub fn defining_authority(&self) -> &str {
        self.0.get(..USCC_LEN).unwrap_or_default()
    }
}

impl FromStr for LicenceTypeCode {
    type Err = LicenceIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| LicenceIdError::BadTypeCode {
            type_code: text.to_string(),
            reason,
        };
        if !text.is_ascii() || text.len() != TYPE_CODE_LEN {
            return Err(bad(format!(
                "{} characters, expected {TYPE_CODE_LEN} (18-character USCC + 3 digits)",
                text.chars().count()
            )));
        }
        let (authority, sequence) = text.split_at(USCC_LEN);
        if !sequence.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(format!(
                "sequence number {sequence:?} must be 3 digits"
            )));
        }
        authority
            .parse::<Uscc>()
            .map_err(|error| bad(format!("defining authority code: {error}")))?;
        Ok(LicenceTypeCode(text.to_string()))
    }
}

impl fmt::Display for LicenceTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated licence serial: 1 to [`MAX_SERIAL_LEN`] characters from `0-9 A-Z`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenceSerial(String);

impl LicenceSerial {
    /// The serial as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for LicenceSerial {
    type Err = LicenceIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = |reason: String| LicenceIdError::BadSerial {
            serial: text.to_string(),
            reason,
        };
        if text.is_empty() {
            return Err(bad("empty".into()));
        }
        if text.len() > MAX_SERIAL_LEN {
            return Err(bad(format!(
                "{} bytes, over the limit of {MAX_SERIAL_LEN}",
                text.len()
            )));
        }
        if let Some((position, character)) = text
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_digit() || c.is_ascii_uppercase()))
        {
            return Err(bad(format!(
                "character {character:?} at position {position} is outside 0-9 A-Z"
            )));
        }
        Ok(LicenceSerial(text.to_string()))
    }
}

impl fmt::Display for LicenceSerial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A validated licence identifier. Only [`LicenceId::new`] and [`parse`] make one, so its check
/// character always matches its fields. JSON: the identifier string. It has no borsh encoding on
/// purpose: identifiers never go on the ledger, only [`licence_commitment`]s do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LicenceId {
    type_code: LicenceTypeCode,
    issuer_uscc: Uscc,
    serial: LicenceSerial,
    version: u16,
    check: char,
}

impl LicenceId {
    /// Build an identifier from its parts, computing the check character. `version` is 0 to 999.
    pub fn new(
        type_code: LicenceTypeCode,
        issuer_uscc: Uscc,
        serial: LicenceSerial,
        version: u16,
    ) -> Result<Self, LicenceIdError> {
        if version > 999 {
            return Err(LicenceIdError::BadVersion {
                version: version.to_string(),
            });
        }
        let check =
            iso7064_mod37_36_check(&check_input(&type_code, &issuer_uscc, &serial, version))?;
        Ok(LicenceId {
            type_code,
            issuer_uscc,
            serial,
            version,
            check,
        })
    }

    /// The GB/T 36902 licence-type code.
    pub fn type_code(&self) -> &LicenceTypeCode {
        &self.type_code
    }

    /// The issuing agency's USCC.
    pub fn issuer_uscc(&self) -> &Uscc {
        &self.issuer_uscc
    }

    /// The issuer-chosen serial.
    pub fn serial(&self) -> &LicenceSerial {
        &self.serial
    }

    /// The version number (shown as three digits).
    pub fn version(&self) -> u16 {
        self.version
    }

    /// The ISO/IEC 7064 MOD 37,36 check character.
    pub fn check(&self) -> char {
        self.check
    }
}

/// The characters the check character covers: type code, issuer, serial, 3-digit version.
fn check_input(
    type_code: &LicenceTypeCode,
    issuer_uscc: &Uscc,
    serial: &LicenceSerial,
    version: u16,
) -> String {
    format!("{type_code}{issuer_uscc}{serial}{version:03}")
}

/// Parse an identifier in the exact form described in the module documentation.
pub fn parse(text: &str) -> Result<LicenceId, LicenceIdError> {
    if text.len() > MAX_LICENCE_ID_LEN {
        return Err(LicenceIdError::TooLong {
            len: text.len(),
            max: MAX_LICENCE_ID_LEN,
        });
    }
    let Some(rest) = text
        .strip_prefix(LICENCE_ID_ROOT_OID)
        .and_then(|rest| rest.strip_prefix('.'))
    else {
        let found: String = text.chars().take(LICENCE_ID_ROOT_OID.len() + 1).collect();
        return Err(LicenceIdError::WrongPrefix { found });
    };
    let fields: Vec<&str> = rest.split('.').collect();
    let [type_code, issuer, serial, version, check] = fields.as_slice() else {
        return Err(LicenceIdError::WrongFieldCount {
            found: fields.len(),
        });
    };
    let type_code: LicenceTypeCode = type_code.parse()?;
    let issuer_uscc: Uscc = issuer.parse()?;
    let serial: LicenceSerial = serial.parse()?;
    let version_number = match version.as_bytes() {
        [a, b, c] if [a, b, c].iter().all(|d| d.is_ascii_digit()) => {
            u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0')
        }
        _ => {
            return Err(LicenceIdError::BadVersion {
                version: (*version).to_string(),
            });
        }
    };
    let id = LicenceId::new(type_code, issuer_uscc, serial, version_number)?;
    let mut check_chars = check.chars();
    match (check_chars.next(), check_chars.next()) {
        (Some(found), None) if found == id.check => Ok(id),
        _ => Err(LicenceIdError::BadCheckCharacter {
            found: (*check).to_string(),
            expected: id.check,
        }),
    }
}

impl FromStr for LicenceId {
    type Err = LicenceIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        parse(text)
    }
}

impl fmt::Display for LicenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{LICENCE_ID_ROOT_OID}.{}.{}.{}.{:03}.{}",
            self.type_code, self.issuer_uscc, self.serial, self.version, self.check
        )
    }
}

impl serde::Serialize for LicenceId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for LicenceId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(deserializer)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The salted commitment to a licence identifier that goes on the ledger:
/// `H(LICENCE_COMMITMENT_TAG || u32_le(len(id)) || id || salt)` over the canonical text, `H` the
/// process's suite's hash (blake3, or SM3: ADR 019).
pub fn licence_commitment(id: &LicenceId, salt: &[u8; 32]) -> [u8; 32] {
    let text = id.to_string();
    // The identifier is at most MAX_LICENCE_ID_LEN bytes, far below u32::MAX.
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    yrd_consensus::CryptoSuite::current().hash_parts(&[
        LICENCE_COMMITMENT_TAG,
        &len.to_le_bytes(),
        text.as_bytes(),
        salt,
    ])
}
