//! Conformance with the W3C `eddsa-jcs-2022` test vectors (vc-di-eddsa specification, section
//! "Representation: eddsa-jcs-2022", files under `TestVectors/eddsa-jcs-2022/` and
//! `TestVectors/keyPair.json` of the specification's repository): the key pair, the unsigned
//! Alumni credential and the proof options below are the specification's; every intermediate
//! (canonical forms, hashes) and the signature are reproduced byte for byte. Then the negative
//! cases: a tampered credential, a wrong key, a changed proof option, another cryptosuite, a
//! proof context that does not match.

use serde_json::{Value, json};
use yrd_verifier::vc::{
    self, VcError, add_proof, canonical, decode_public_key_multibase, decode_secret_key_multibase,
    hash_data, proof_config, sha256, verify_proof,
};

const PUBLIC_KEY_MULTIBASE: &str = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
const SECRET_KEY_MULTIBASE: &str = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq";
const VERIFICATION_METHOD: &str = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2";
const CREATED: &str = "2023-02-24T23:36:38Z";

const CANONICAL_DOCUMENT: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"credentialSubject":{"alumniOf":"The School of Examples","id":"did:example:abcdefgh"},"description":"A minimum viable example of an Alumni Credential.","id":"urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33","issuer":"https://vc.example/issuers/5678","name":"Alumni Credential","type":["VerifiableCredential","AlumniCredential"],"validFrom":"2023-01-01T00:00:00Z"}"#;
const CANONICAL_PROOF_CONFIG: &str = r#"{"@context":["https://www.w3.org/ns/credentials/v2","https://www.w3.org/ns/credentials/examples/v2"],"created":"2023-02-24T23:36:38Z","cryptosuite":"eddsa-jcs-2022","proofPurpose":"assertionMethod","type":"DataIntegrityProof","verificationMethod":"did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"}"#;
const DOCUMENT_HASH: &str = "59b7cb6251b8991add1ce0bc83107e3db9dbbab5bd2c28f687db1a03abc92f19";
const PROOF_HASH: &str = "66ab154f5c2890a140cb8388a22a160454f80575f6eae09e5a097cabe539a1db";
const SIGNATURE_HEX: &str = "407cd12654b33d718ecbb99179a1506daaa849450bf3fc523cce3e1c96f8b80351da3f253d725c6f00b07c9e5448d50b3ef78012b9ab54255116d069c6dd2808";
const PROOF_VALUE: &str =
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX";

fn unsigned() -> Value {
    json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://www.w3.org/ns/credentials/examples/v2"
        ],
        "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
        "type": ["VerifiableCredential", "AlumniCredential"],
        "name": "Alumni Credential",
        "description": "A minimum viable example of an Alumni Credential.",
        "issuer": "https://vc.example/issuers/5678",
        "validFrom": "2023-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:example:abcdefgh",
            "alumniOf": "The School of Examples"
        }
    })
}

fn signing_key() -> ed25519_dalek::SigningKey {
    ed25519_dalek::SigningKey::from_bytes(
        &decode_secret_key_multibase(SECRET_KEY_MULTIBASE).unwrap(),
    )
}

fn public_key() -> [u8; 32] {
    decode_public_key_multibase(PUBLIC_KEY_MULTIBASE).unwrap()
}

fn signed() -> Value {
    let config = proof_config(&unsigned(), VERIFICATION_METHOD, CREATED, "assertionMethod");
    add_proof(&unsigned(), &config, &signing_key()).unwrap()
}

#[test]
fn the_specification_vectors_are_reproduced_byte_for_byte() {
    // The key pair: the secret key's public half is the published public key.
    assert_eq!(signing_key().verifying_key().to_bytes(), public_key());
    assert_eq!(
        vc::public_key_multibase(&public_key()),
        PUBLIC_KEY_MULTIBASE
    );

    let document = unsigned();
    let config = proof_config(&document, VERIFICATION_METHOD, CREATED, "assertionMethod");
    assert_eq!(canonical(&document).unwrap(), CANONICAL_DOCUMENT);
    assert_eq!(canonical(&config).unwrap(), CANONICAL_PROOF_CONFIG);
    assert_eq!(hex::encode(sha256(CANONICAL_DOCUMENT)), DOCUMENT_HASH);
    assert_eq!(hex::encode(sha256(CANONICAL_PROOF_CONFIG)), PROOF_HASH);
    let data = hash_data(&document, &config).unwrap();
    assert_eq!(hex::encode(data), format!("{PROOF_HASH}{DOCUMENT_HASH}"));

    let secured = signed();
    let proof_value = secured["proof"]["proofValue"].as_str().unwrap();
    assert_eq!(proof_value, PROOF_VALUE);
    let signature = bs58::decode(&proof_value[1..]).into_vec().unwrap();
    assert_eq!(hex::encode(signature), SIGNATURE_HEX);
    // The secured document is the specification's signed one: same fields, proof included.
    assert_eq!(secured["proof"]["@context"], document["@context"]);
    assert_eq!(secured["proof"]["created"], CREATED);
    verify_proof(&secured, &public_key()).unwrap();
}

#[test]
fn a_tampered_credential_or_proof_and_a_wrong_key_are_refused() {
    let secured = signed();

    let mut tampered = secured.clone();
    tampered["credentialSubject"]["alumniOf"] = json!("Another School");
    assert_eq!(
        verify_proof(&tampered, &public_key()),
        Err(VcError::BadSignature)
    );

    let mut created = secured.clone();
    created["proof"]["created"] = json!("2024-01-01T00:00:00Z");
    assert_eq!(
        verify_proof(&created, &public_key()),
        Err(VcError::BadSignature)
    );

    let other = ed25519_dalek::SigningKey::from_bytes(&[7; 32])
        .verifying_key()
        .to_bytes();
    assert_eq!(verify_proof(&secured, &other), Err(VcError::BadSignature));

    let mut suite = secured.clone();
    suite["proof"]["cryptosuite"] = json!("eddsa-rdfc-2022");
    assert!(matches!(
        verify_proof(&suite, &public_key()),
        Err(VcError::WrongSuite { .. })
    ));

    let mut context = secured.clone();
    context["proof"]["@context"] = json!([
        "https://www.w3.org/ns/credentials/v2",
        "https://evil.example/"
    ]);
    assert_eq!(
        verify_proof(&context, &public_key()),
        Err(VcError::ContextMismatch)
    );

    let mut value = secured.clone();
    value["proof"]["proofValue"] = json!("u2HnFSSPPB");
    assert!(matches!(
        verify_proof(&value, &public_key()),
        Err(VcError::Malformed { .. })
    ));

    let mut none = secured;
    none.as_object_mut().unwrap().remove("proof");
    assert!(matches!(
        verify_proof(&none, &public_key()),
        Err(VcError::Malformed { .. })
    ));
    // The error names are the specification's.
    assert!(
        VcError::BadSignature
            .to_string()
            .starts_with("PROOF_VERIFICATION_ERROR")
    );
}
