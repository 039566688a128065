//! E-licence identifiers: check characters, USCC validation, parsing and commitments.
//!
//! The reference check-character computations below are written from the standards' acceptance
//! rules (a string with its check character appended is valid), not from the library's code.

use proptest::prelude::*;
use yrd_contracts::licence_id::{
    LICENCE_COMMITMENT_TAG, LicenceId, LicenceIdError, LicenceSerial, LicenceTypeCode,
    MAX_LICENCE_ID_LEN, MAX_SERIAL_LEN, Uscc, iso7064_mod37_36_check, licence_commitment, parse,
};

const ALPHANUMERIC: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const USCC_CHARS: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Published identifiers. The first is the name of a licence file published by Zhejiang's
/// investment project platform; the second is the format example of a provincial interface
/// specification for construction-safety certificates.
const PUBLISHED_IDS: [&str; 2] = [
    "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0",
    "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U",
];

/// ISO/IEC 7064 hybrid MOD (M+1),M acceptance rule over character values: running from
/// `P = M`, each value gives `S = (P + a) mod M` (0 read as M) and `P = 2S mod (M+1)`; a string
/// ending in its check character is valid when the last `S` is 1.
fn hybrid_valid(values: &[u32], modulus: u32) -> bool {
    let mut carry = modulus;
    let mut last_sum = 0;
    for &value in values {
        last_sum = match (carry + value) % modulus {
            0 => modulus,
            s => s,
        };
        carry = (2 * last_sum) % (modulus + 1);
    }
    last_sum == 1
}

/// The check value found by trying every candidate against the acceptance rule; exactly one fits.
fn hybrid_check_by_search(values: &[u32], modulus: u32) -> u32 {
    let fitting: Vec<u32> = (0..modulus)
        .filter(|&candidate| {
            let mut with_check = values.to_vec();
            with_check.push(candidate);
            hybrid_valid(&with_check, modulus)
        })
        .collect();
    assert_eq!(fitting.len(), 1, "exactly one check value must fit");
    fitting[0]
}

fn reference_mod37_36(data: &str) -> char {
    let values: Vec<u32> = data
        .chars()
        .map(|c| ALPHANUMERIC.find(c).unwrap() as u32)
        .collect();
    ALPHANUMERIC
        .chars()
        .nth(hybrid_check_by_search(&values, 36) as usize)
        .unwrap()
}

/// GB 32100: weights are powers of 3 modulo 31; the check makes the weighted sum 0 mod 31.
fn reference_uscc_check(first_17: &str) -> char {
    let mut weight = 1u32;
    let mut sum = 0u32;
    for c in first_17.chars() {
        sum += USCC_CHARS.find(c).unwrap() as u32 * weight;
        weight = weight * 3 % 31;
    }
    let check = (0..31u32)
        .find(|candidate| (sum + candidate).is_multiple_of(31))
        .unwrap();
    USCC_CHARS.chars().nth(check as usize).unwrap()
}

#[test]
fn reference_hybrid_matches_a_published_mod_11_10_number() {
    // Croatian personal identification numbers (OIB) use ISO/IEC 7064 MOD 11,10; 69435151530 is
    // the published example.
    let digits: Vec<u32> = "6943515153"
        .chars()
        .map(|c| c.to_digit(10).unwrap())
        .collect();
    assert_eq!(hybrid_check_by_search(&digits, 10), 0);
    assert!(hybrid_valid(&[6, 9, 4, 3, 5, 1, 5, 1, 5, 3, 0], 10));
    assert!(!hybrid_valid(&[6, 9, 4, 3, 5, 1, 5, 1, 5, 3, 1], 10));
}

#[test]
fn published_identifiers_parse_and_round_trip() {
    for text in PUBLISHED_IDS {
        let id = parse(text).unwrap();
        assert_eq!(id.to_string(), text);
        assert_eq!(text.parse::<LicenceId>().unwrap(), id);
        let rebuilt = LicenceId::new(
            id.type_code().clone(),
            id.issuer_uscc().clone(),
            id.serial().clone(),
            id.version(),
        )
        .unwrap();
        assert_eq!(rebuilt, id);
    }
    let id = parse(PUBLISHED_IDS[0]).unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, format!("\"{}\"", PUBLISHED_IDS[0]));
    assert_eq!(serde_json::from_str::<LicenceId>(&json).unwrap(), id);
    assert!(serde_json::from_str::<LicenceId>(&json.replace(".0\"", ".1\"")).is_err());
    assert_eq!(id.type_code().as_str(), "11100000000013338W009");
    assert_eq!(id.type_code().defining_authority(), "11100000000013338W");
    assert_eq!(id.issuer_uscc().as_str(), "11330105002500287C");
    assert_eq!(id.serial().as_str(), "2025052201");
    assert_eq!(id.version(), 2);
    assert_eq!(id.check(), '0');
}

#[test]
fn check_covers_fields_without_root_oid_or_dots() {
    // Published check characters hold for type code || issuer || serial || version ...
    assert_eq!(
        iso7064_mod37_36_check("11100000000013338W00911330105002500287C2025052201002"),
        Ok('0')
    );
    assert_eq!(
        iso7064_mod37_36_check("11100000000013338W01111430000006122244L20230000403001"),
        Ok('U')
    );
    // ... (from a published integration sample whose issuer field is not a USCC) ...
    assert_eq!(
        iso7064_mod37_36_check("11100000MB03271699022340100000000016001"),
        Ok('9')
    );
    // ... and not when the root OID digits are included (that gives `D`, not the published `0`).
    assert_eq!(
        iso7064_mod37_36_check("121563005211100000000013338W00911330105002500287C2025052201002"),
        Ok('D')
    );
}

#[test]
fn published_uscc_examples_are_valid() {
    // 91350100M000100Y43 is the worked example of GB 32100; the others appear in the published
    // identifiers above.
    for code in [
        "91350100M000100Y43",
        "11100000000013338W",
        "11330105002500287C",
        "11430000006122244L",
    ] {
        assert_eq!(code.parse::<Uscc>().unwrap().as_str(), code);
        assert_eq!(
            reference_uscc_check(&code[..17]),
            code.chars().last().unwrap()
        );
    }
}

#[test]
fn every_error_path() {
    let good = PUBLISHED_IDS[0];

    let too_long = format!("{good}{}", "A".repeat(MAX_LICENCE_ID_LEN));
    assert_eq!(
        parse(&too_long),
        Err(LicenceIdError::TooLong {
            len: too_long.len(),
            max: MAX_LICENCE_ID_LEN
        })
    );

    assert_eq!(
        parse("1.2.156.3005.3.11100000000013338W009.11330105002500287C.2025052201.002.0"),
        Err(LicenceIdError::WrongPrefix {
            found: "1.2.156.3005.3.".into()
        })
    );
    assert!(matches!(parse(""), Err(LicenceIdError::WrongPrefix { .. })));
    assert!(matches!(
        parse("1.2.156.3005.2"),
        Err(LicenceIdError::WrongPrefix { .. })
    ));

    assert_eq!(
        parse("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002"),
        Err(LicenceIdError::WrongFieldCount { found: 4 })
    );
    assert_eq!(
        parse("1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025.052201.002.0"),
        Err(LicenceIdError::WrongFieldCount { found: 6 })
    );

    // Type code: wrong length, non-digit sequence, bad check in the defining authority's code.
    for bad in [
        "11100000000013338W09",
        "11100000000013338W0A9",
        "11100000000013338X009",
    ] {
        let text = good.replace("11100000000013338W009", bad);
        assert!(
            matches!(parse(&text), Err(LicenceIdError::BadTypeCode { ref type_code, .. }) if type_code == bad),
            "{bad}: {:?}",
            parse(&text)
        );
    }

    // Issuer: characters outside the alphabet, wrong length, letters in the division code.
    for bad in [
        "11330105002500287I",
        "1133010500250028C",
        "11A30105002500287C",
        "11330105002500287c",
    ] {
        let text = good.replace("11330105002500287C", bad);
        assert!(
            matches!(parse(&text), Err(LicenceIdError::BadUscc { ref uscc, .. }) if uscc == bad),
            "{bad}: {:?}",
            parse(&text)
        );
    }
    assert_eq!(
        "11330105002500287D".parse::<Uscc>(),
        Err(LicenceIdError::BadUsccCheck {
            uscc: "11330105002500287D".into(),
            found: 'D',
            expected: 'C'
        })
    );
    assert!(matches!(
        parse(&good.replace("11330105002500287C", "11330105002500287D")),
        Err(LicenceIdError::BadUsccCheck {
            found: 'D',
            expected: 'C',
            ..
        })
    ));

    // Serial: empty, lowercase, punctuation; too long (in a full identifier that is caught by the
    // overall length limit first).
    let too_long_serial = "9".repeat(MAX_SERIAL_LEN + 1);
    assert!(matches!(
        too_long_serial.parse::<LicenceSerial>(),
        Err(LicenceIdError::BadSerial { .. })
    ));
    for bad in ["", "2025o52201", "2025-52201"] {
        let text = good.replace("2025052201", bad);
        assert!(
            matches!(parse(&text), Err(LicenceIdError::BadSerial { ref serial, .. }) if serial == bad),
            "{bad:?}: {:?}",
            parse(&text)
        );
    }
    assert!("9".repeat(MAX_SERIAL_LEN).parse::<LicenceSerial>().is_ok());

    // Version: not three digits.
    for bad in ["02", "0002", "0a2", ""] {
        let text = good.replace(".002.", &format!(".{bad}."));
        assert_eq!(
            parse(&text),
            Err(LicenceIdError::BadVersion {
                version: bad.into()
            })
        );
    }
    let id = parse(good).unwrap();
    assert_eq!(
        LicenceId::new(
            id.type_code().clone(),
            id.issuer_uscc().clone(),
            id.serial().clone(),
            1000
        ),
        Err(LicenceIdError::BadVersion {
            version: "1000".into()
        })
    );

    // Check field: wrong character, two characters, empty, lowercase.
    for bad in ["1", "00", "", "u"] {
        let text = format!("{}{bad}", &good[..good.len() - 1]);
        assert_eq!(
            parse(&text),
            Err(LicenceIdError::BadCheckCharacter {
                found: bad.into(),
                expected: '0'
            })
        );
    }

    // The check function's own input rule.
    assert_eq!(
        iso7064_mod37_36_check("AB.C"),
        Err(LicenceIdError::BadCheckInput {
            character: '.',
            position: 2
        })
    );
    assert_eq!(
        iso7064_mod37_36_check("abc"),
        Err(LicenceIdError::BadCheckInput {
            character: 'a',
            position: 0
        })
    );
}

#[test]
fn longest_identifier_is_accepted_at_the_limit() {
    let id = LicenceId::new(
        "11100000000013338W009".parse().unwrap(),
        "11330105002500287C".parse().unwrap(),
        "Z".repeat(MAX_SERIAL_LEN).parse().unwrap(),
        999,
    )
    .unwrap();
    let text = id.to_string();
    assert_eq!(text.len(), MAX_LICENCE_ID_LEN);
    assert_eq!(parse(&text), Ok(id));
}

#[test]
fn commitment_layout_and_golden_bytes() {
    let id = parse(PUBLISHED_IDS[0]).unwrap();
    let salt = [0x11u8; 32];
    let commitment = licence_commitment(&id, &salt);

    let mut preimage = b"yrd-ledger/licence-commitment/v1".to_vec();
    assert_eq!(LICENCE_COMMITMENT_TAG, &preimage[..]);
    preimage.extend_from_slice(&(PUBLISHED_IDS[0].len() as u32).to_le_bytes());
    preimage.extend_from_slice(PUBLISHED_IDS[0].as_bytes());
    preimage.extend_from_slice(&salt);
    assert_eq!(commitment, *blake3::hash(&preimage).as_bytes());
    assert_eq!(hex::encode(commitment), GOLDEN_COMMITMENT_HEX);

    let mut other_salt = salt;
    other_salt[31] ^= 1;
    assert_ne!(licence_commitment(&id, &other_salt), commitment);
    let other_id = parse(PUBLISHED_IDS[1]).unwrap();
    assert_ne!(licence_commitment(&other_id, &salt), commitment);
}

const GOLDEN_COMMITMENT_HEX: &str =
    "8fbe1a6aaf01d73f065f2ce304e3401aad05ea80e0adae3beb17d4f122d191aa";

fn uscc_strategy() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = USCC_CHARS.chars().collect();
    let digits: Vec<char> = "0123456789".chars().collect();
    (
        prop::collection::vec(prop::sample::select(alphabet.clone()), 2),
        prop::collection::vec(prop::sample::select(digits), 6),
        prop::collection::vec(prop::sample::select(alphabet), 9),
    )
        .prop_map(|(head, division, body)| {
            let first_17: String = head.into_iter().chain(division).chain(body).collect();
            let check = reference_uscc_check(&first_17);
            format!("{first_17}{check}")
        })
}

fn serial_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(ALPHANUMERIC.chars().collect::<Vec<_>>()),
        1..=MAX_SERIAL_LEN,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The library's MOD 37,36 agrees with the search-based reference on any input.
    #[test]
    fn check_matches_reference(data in "[0-9A-Z]{0,80}") {
        prop_assert_eq!(iso7064_mod37_36_check(&data).unwrap(), reference_mod37_36(&data));
    }

    /// Valid USCCs built with the reference check are accepted; any other check is refused.
    #[test]
    fn uscc_check_matches_reference(code in uscc_strategy(), wrong in prop::sample::select(USCC_CHARS.chars().collect::<Vec<_>>())) {
        prop_assert!(code.parse::<Uscc>().is_ok());
        let right = code.chars().last().unwrap();
        if wrong != right {
            let bad = format!("{}{wrong}", &code[..17]);
            let refused = matches!(bad.parse::<Uscc>(), Err(LicenceIdError::BadUsccCheck { .. }));
            prop_assert!(refused);
        }
    }

    /// Identifiers built from random valid parts print and parse back, carry the reference
    /// check character, and any single-character substitution is refused.
    #[test]
    fn identifiers_round_trip_and_catch_substitutions(
        authority in uscc_strategy(),
        sequence in 0u16..1000,
        issuer in uscc_strategy(),
        serial in serial_strategy(),
        version in 0u16..1000,
        position in any::<prop::sample::Index>(),
        replacement in prop::sample::select(format!("{ALPHANUMERIC}.").chars().collect::<Vec<_>>()),
    ) {
        let type_code: LicenceTypeCode = format!("{authority}{sequence:03}").parse().unwrap();
        let id = LicenceId::new(type_code, issuer.parse().unwrap(), serial.parse().unwrap(), version).unwrap();
        let text = id.to_string();
        prop_assert_eq!(parse(&text).unwrap(), id.clone());
        let expected_check = reference_mod37_36(&format!("{authority}{sequence:03}{issuer}{serial}{version:03}"));
        prop_assert_eq!(id.check(), expected_check);

        let mut chars: Vec<char> = text.chars().collect();
        let at = position.index(chars.len());
        if chars[at] != replacement {
            chars[at] = replacement;
            let altered: String = chars.into_iter().collect();
            prop_assert!(parse(&altered).is_err(), "accepted {}", altered);
        }
    }
}
