//! Bitstring Status List encoding and list-credential checks: known bits decode back, the
//! length floor, the GZIP round trip and the `u` prefix, the decompression bound against a
//! bomb, and the refusals of a list that is forged, tampered with, too short or another's.

use std::io::Write as _;

use ed25519_dalek::SigningKey;
use serde_json::Value;
use yrd_verifier::status_list::{
    Bitstring, ListScope, MAX_LIST_BYTES, MIN_BITS, StatusListError, StatusPurpose,
    base64url_decode, base64url_encode, check_list_credential, did_key, list_credential,
};
use yrd_verifier::vc;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn scope() -> ListScope {
    ListScope {
        uscc: "91310000MA1FL0001R".to_owned(),
        purpose: StatusPurpose::Revocation,
        ledger: "yrd-test-1".to_owned(),
    }
}

fn signed(list: &Bitstring, scope: &ListScope, signer: &SigningKey) -> Value {
    let public = signer.verifying_key().to_bytes();
    let unsigned = list_credential(scope, list, 42, "2026-01-01T00:00:00Z", &public);
    let (_, method) = did_key(&public);
    let config = vc::proof_config(
        &unsigned,
        &method,
        "2026-01-01T00:00:00Z",
        "assertionMethod",
    );
    vc::add_proof(&unsigned, &config, signer).unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn known_bits_decode_back_most_significant_bit_first() {
    let mut list = Bitstring::new(10).unwrap();
    assert_eq!(list.bits(), MIN_BITS, "a short list is padded to the floor");
    for index in [0, 7, 9, 94_567, (MIN_BITS - 1) as u64] {
        assert!(list.set(index));
    }
    assert!(!list.set(MIN_BITS as u64), "outside the list");
    // Bit 0 is the most significant bit of the first byte.
    assert_eq!(list.as_bytes()[0], 0b1000_0001);
    assert_eq!(list.as_bytes()[1], 0b0100_0000);
    let encoded = list.encode();
    assert!(encoded.starts_with('u'), "{encoded}");
    assert!(!encoded.contains('='), "no padding");
    let decoded = Bitstring::decode(&encoded, MAX_LIST_BYTES).unwrap();
    assert_eq!(decoded, list);
    for index in [0, 7, 9, 94_567, (MIN_BITS - 1) as u64] {
        assert!(decoded.get(index).unwrap(), "bit {index}");
    }
    for index in [1, 8, 10, 94_566] {
        assert!(!decoded.get(index).unwrap(), "bit {index}");
    }
    assert_eq!(
        decoded.get(MIN_BITS as u64),
        Err(StatusListError::Range {
            index: MIN_BITS as u64,
            bits: MIN_BITS
        })
    );
    // The compressed form is GZIP (magic 1f 8b) of exactly these bytes.
    let compressed = base64url_decode(&encoded[1..]).unwrap();
    assert_eq!(&compressed[..2], &[0x1f, 0x8b]);
    // Larger lists hold every entry.
    assert_eq!(Bitstring::new(200_001).unwrap().bits(), 200_008);
}

#[test]
fn the_specification_example_decodes() {
    // W3C Bitstring Status List v1.0, example 2: an all-zero list of 131,072 bits.
    let example = "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
    let list = Bitstring::decode(example, MAX_LIST_BYTES).unwrap();
    assert_eq!(list.bits(), MIN_BITS);
    assert!(list.as_bytes().iter().all(|b| *b == 0));
}

#[test]
fn base64url_round_trips_and_has_one_spelling() {
    for len in 0..20usize {
        let bytes: Vec<u8> = (0..len as u8).map(|b| b.wrapping_mul(37)).collect();
        let text = base64url_encode(&bytes);
        assert_eq!(base64url_decode(&text), Some(bytes));
    }
    assert_eq!(base64url_encode(b"\xfb\xff"), "-_8");
    assert_eq!(base64url_decode("-_8="), None, "padding");
    assert_eq!(base64url_decode("-_9"), None, "non-zero trailing bits");
    assert_eq!(base64url_decode("+/8"), None, "standard alphabet");
    assert_eq!(base64url_decode("A"), None, "impossible length");
}

#[test]
fn short_lists_bombs_and_junk_are_refused() {
    // Shorter than 131,072 bits.
    let short = format!("u{}", base64url_encode(&gzip(&[0u8; 1024])));
    assert_eq!(
        Bitstring::decode(&short, MAX_LIST_BYTES),
        Err(StatusListError::Length { bits: 8192 })
    );
    // A bomb: 64 MiB of zeros compresses to about 64 KiB; refused while it inflates.
    let bomb = format!("u{}", base64url_encode(&gzip(&vec![0u8; 64 * 1024 * 1024])));
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    assert_eq!(
        Bitstring::decode(&bomb, MAX_LIST_BYTES),
        Err(StatusListError::TooLarge {
            max: MAX_LIST_BYTES
        })
    );
    // Not multibase base64url, not base64url, not GZIP.
    let list = Bitstring::new(0).unwrap().encode();
    for junk in [
        &list[1..],
        "z3yMgeG",
        "u!!!!",
        &format!("u{}", base64url_encode(b"not gzip at all")),
    ] {
        assert!(
            matches!(
                Bitstring::decode(junk, MAX_LIST_BYTES),
                Err(StatusListError::Verification(_))
            ),
            "{junk}"
        );
    }
}

#[test]
fn a_signed_list_checks_and_answers_its_own_question_only() {
    let mut list = Bitstring::new(3).unwrap();
    list.set(2);
    let signer = key(7);
    let credential = signed(&list, &scope(), &signer);
    assert_eq!(
        credential["credentialSubject"]["type"],
        "BitstringStatusList"
    );
    assert_eq!(
        credential["credentialSubject"]["statusPurpose"],
        "revocation"
    );
    let checked = check_list_credential(&credential, &scope(), MAX_LIST_BYTES).unwrap();
    assert_eq!(checked.signer, signer.verifying_key().to_bytes());
    assert_eq!(checked.height, 42);
    assert!(checked.list.get(2).unwrap());
    assert!(!checked.list.get(1).unwrap());

    // The same list is not the suspension list, nor another issuer's, nor another chain's.
    for other in [
        ListScope {
            purpose: StatusPurpose::Suspension,
            ..scope()
        },
        ListScope {
            uscc: "91320000MA1FL0002X".to_owned(),
            ..scope()
        },
        ListScope {
            ledger: "yrd-other".to_owned(),
            ..scope()
        },
    ] {
        assert!(matches!(
            check_list_credential(&credential, &other, MAX_LIST_BYTES),
            Err(StatusListError::Verification(_))
        ));
    }

    // A flipped bit breaks the proof.
    let mut tampered = credential.clone();
    let mut cleared = Bitstring::new(3).unwrap();
    cleared.set(5);
    tampered["credentialSubject"]["encodedList"] = Value::String(cleared.encode());
    assert!(matches!(
        check_list_credential(&tampered, &scope(), MAX_LIST_BYTES),
        Err(StatusListError::Verification(_))
    ));

    // Signed by one key but naming another as issuer.
    let mut renamed = credential.clone();
    renamed["issuer"] = Value::String(did_key(&key(8).verifying_key().to_bytes()).0);
    assert!(matches!(
        check_list_credential(&renamed, &scope(), MAX_LIST_BYTES),
        Err(StatusListError::Verification(_))
    ));

    // A list signed correctly but too short is a length error.
    let mut short = signed(&list, &scope(), &signer);
    short["credentialSubject"]["encodedList"] =
        Value::String(format!("u{}", base64url_encode(&gzip(&[0u8; 16]))));
    let short = {
        let mut unsigned = short.clone();
        unsigned.as_object_mut().unwrap().remove("proof");
        let public = signer.verifying_key().to_bytes();
        let (_, method) = did_key(&public);
        let config = vc::proof_config(
            &unsigned,
            &method,
            "2026-01-01T00:00:00Z",
            "assertionMethod",
        );
        vc::add_proof(&unsigned, &config, &signer).unwrap()
    };
    assert_eq!(
        check_list_credential(&short, &scope(), MAX_LIST_BYTES).unwrap_err(),
        StatusListError::Length { bits: 128 }
    );
}
