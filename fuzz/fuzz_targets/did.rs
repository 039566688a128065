//! DID identifiers and documents: `did:yrd:` strings (RPC params, DID HTTP paths, transaction
//! JSON) parse only in their one canonical spelling; DID document records (read back from proven
//! state by verifiers) decode canonically and render to JSON that parses back to the same
//! document; the JSON specs a client sends (methods, services, governance actions) never panic.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_contracts::DidId;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::did_document::{DidDocument, DidResolution, render_document, render_resolution};
use yrd_contracts::records::{DidDocumentRecord, DidHeadRecord};
use yrd_contracts::tx::{GovernanceAction, ServiceSpec, VerificationMethodSpec};

#[derive(Debug, Arbitrary)]
enum Input<'a> {
    Text(&'a str),
    Record(&'a [u8]),
    Head(&'a [u8], &'a [u8]),
    Json(&'a [u8]),
}

fuzz_target!(|input: Input<'_>| match input {
    Input::Text(text) => {
        if let Ok(did) = DidId::parse(text) {
            assert_eq!(did.to_string(), text, "one DID, one spelling");
        }
        let quoted = serde_json::to_string(text).unwrap();
        if let Ok(did) = serde_json::from_str::<DidId>(&quoted) {
            assert_eq!(did.to_string(), text);
        }
    }
    Input::Record(bytes) => {
        if let Ok(record) = decode_canonical::<DidDocumentRecord>(bytes) {
            assert_eq!(encode(&record), bytes);
            let document = render_document(&record);
            let json = serde_json::to_vec(&document).unwrap();
            assert_eq!(
                serde_json::from_slice::<DidDocument>(&json).unwrap(),
                document
            );
        }
    }
    Input::Head(head, record) => {
        if let (Ok(head), Ok(record)) = (
            decode_canonical::<DidHeadRecord>(head),
            decode_canonical::<DidDocumentRecord>(record),
        ) {
            let resolution = render_resolution(&head, &record);
            let json = serde_json::to_vec(&resolution).unwrap();
            assert_eq!(
                serde_json::from_slice::<DidResolution>(&json).unwrap(),
                resolution
            );
        }
    }
    Input::Json(json) => {
        if let Ok(document) = serde_json::from_slice::<DidResolution>(json) {
            let again = serde_json::to_vec(&document).unwrap();
            assert_eq!(
                serde_json::from_slice::<DidResolution>(&again).unwrap(),
                document
            );
        }
        if let Ok(method) = serde_json::from_slice::<VerificationMethodSpec>(json) {
            let _ = method.fragment.validate("fragment");
        }
        if let Ok(service) = serde_json::from_slice::<ServiceSpec>(json) {
            let _ = service.validate();
        }
        let _ = serde_json::from_slice::<GovernanceAction>(json);
    }
});
