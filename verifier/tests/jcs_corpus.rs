//! The documents whose RFC 8785 canonical form this crate signs and checks, for a cross-check
//! against an independent implementation: credentials shaped as `yrd vc issue` makes them
//! (with their `credentialStatus` entries and Data Integrity proof), a status list credential
//! as `GET /status/…` serves it, and the JSON corners RFC 8785 pins down (key order by UTF-16
//! code units, number forms, escapes, Chinese text, astral characters, nesting).
//!
//! With `YRD_JCS_CORPUS_DIR` set, every document is written there as `NN.input.json` (keys in
//! their written order, pretty-printed) beside `NN.canonical.json` (our canonical form);
//! `scripts/jcs-crosscheck.sh` (run by `scripts/test.sh --all`, hence CI) canonicalises each
//! input with Python's `rfc8785` package and requires the same bytes. Without it the test
//! checks what it can alone: the canonical form is stable under re-canonicalisation and under a
//! reordering of the input, and the signed credentials verify.

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use yrd_verifier::status_list::Bitstring;
use yrd_verifier::vc::{add_proof, canonical, proof_config, public_key_multibase, verify_proof};

fn issuer_key() -> SigningKey {
    SigningKey::from_bytes(&[0x5A; 32])
}

fn verification_method(key: &SigningKey) -> String {
    let multibase = public_key_multibase(&key.verifying_key().to_bytes());
    format!("did:yrd:91310000MA1FL8TQ3X#{multibase}")
}

/// A licence credential as `yrd vc issue` shapes it, with status entries, signed.
fn licence_credential(index: u64, name: &str) -> Value {
    let unsigned = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "YrdLicenceAttestation"],
        "issuer": {"id": "did:yrd:91310000MA1FL8TQ3X", "name": name},
        "validFrom": "2026-12-05T08:00:00Z",
        "validUntil": "2031-12-04T23:59:59Z",
        "credentialSubject": {
            "id": format!("urn:yrd:licence:{:064x}", index * 7919 + 1),
            "licenceType": "SC-FOOD-BUSINESS",
            "issuingProvince": "310000",
            "anchoredAt": {"height": 4_201 + index, "chainId": "yrd-devnet"},
        },
        "credentialStatus": [
            {
                "id": format!("http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/revocation#{index}"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": index.to_string(),
                "statusListCredential": "http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/revocation",
            },
            {
                "id": format!("http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/suspension#{index}"),
                "type": "BitstringStatusListEntry",
                "statusPurpose": "suspension",
                "statusListIndex": index.to_string(),
                "statusListCredential": "http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/suspension",
            }
        ]
    });
    let key = issuer_key();
    let config = proof_config(
        &unsigned,
        &verification_method(&key),
        "2026-12-05T08:00:00Z",
        "assertionMethod",
    );
    let signed = add_proof(&unsigned, &config, &key).expect("signing a well-formed credential");
    verify_proof(&signed, &key.verifying_key().to_bytes()).expect("it verifies");
    signed
}

/// A status list credential as a node serves it (bits 3 and 131,071 set).
fn status_list_credential() -> Value {
    let mut list = Bitstring::new(131_072).expect("the minimum length");
    list.set(3);
    list.set(131_071);
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/revocation",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2",
        "validFrom": "2026-12-05T08:00:00Z",
        "credentialSubject": {
            "id": "http://127.0.0.1:8545/status/91310000MA1FL8TQ3X/revocation#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode(),
        }
    })
}

/// The corners RFC 8785 specifies (its section 3.2.2 and appendix B examples, in spirit).
// The literals are the specification's, written as it writes them: what JSON text parses to is
// the point.
#[allow(clippy::excessive_precision)]
fn corners() -> Vec<Value> {
    vec![
        json!({"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000001, 1e-7, 1e21, 1e20,
                            -0.0, 0, -1, 9007199254740991_i64, -9007199254740991_i64,
                            123456789012345680000.0, 5e-324, 1.7976931348623157e308]}),
        json!({"string": "€$\u{000F}\nA'B\"\\\\\"/", "control": "\u{0001}\u{001f}\u{007f}\u{2028}"}),
        json!({"\u{20ac}": "Euro Sign", "\r": "Carriage Return", "\u{fb33}": "Hebrew Letter Dalet With Dagesh",
               "1": "One", "\u{1f600}": "Emoji: Grinning Face", "\u{0080}": "Control", "\u{00f6}": "Latin Small Letter O With Diaeresis"}),
        json!({"上海": "沪", "江苏": "苏", "浙江": "浙", "安徽": "皖", "长三角": ["一网通办", "跨省通办"]}),
        json!({"nested": {"z": [{"b": 1, "a": [true, false, null]}], "a": {}}, "empty": [], "": ""}),
        json!([1, "two", {"three": 3.0}, [4.25, [5e-1]]]),
    ]
}

fn corpus() -> Vec<Value> {
    let mut all = vec![
        licence_credential(0, "上海市市场监督管理局"),
        licence_credential(131_071, "Shanghai Administration for Market Regulation"),
        status_list_credential(),
    ];
    all.extend(corners());
    all
}

/// `value` with every object's keys in reverse order (a different serialisation of the same
/// JSON value).
fn reversed(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let fields: Vec<String> = map
                .iter()
                .rev()
                .map(|(key, value)| format!("{}:{}", Value::String(key.clone()), reversed(value)))
                .collect();
            format!("{{{}}}", fields.join(","))
        }
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(reversed).collect::<Vec<_>>().join(",")
        ),
        other => other.to_string(),
    }
}

#[test]
fn canonical_forms_are_stable_and_written_for_the_independent_cross_check() {
    let out = std::env::var_os("YRD_JCS_CORPUS_DIR").map(std::path::PathBuf::from);
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir).expect("the corpus directory");
    }
    for (index, document) in corpus().iter().enumerate() {
        let ours = canonical(document).expect("canonical form");
        // Canonicalising the canonical form, or another serialisation of the same value, gives
        // the same bytes.
        let again: Value = serde_json::from_str(&ours).expect("canonical JSON parses");
        assert_eq!(
            canonical(&again).expect("canonical form"),
            ours,
            "document {index}"
        );
        let other: Value = serde_json::from_str(&reversed(document)).expect("it parses");
        assert_eq!(
            canonical(&other).expect("canonical form"),
            ours,
            "document {index}"
        );
        if let Some(dir) = &out {
            let input = reversed(document);
            std::fs::write(dir.join(format!("{index:02}.input.json")), input)
                .expect("writing the corpus");
            std::fs::write(dir.join(format!("{index:02}.canonical.json")), &ours)
                .expect("writing the corpus");
        }
    }
}
