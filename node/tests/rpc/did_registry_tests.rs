//! `did_*`, `issuer_get`, `licenceType_get`, `policy_get`, and the DID Resolution HTTP binding.

use serde_json::json;
use yrd_node::rpc::error::{INVALID_PARAMS, NOT_FOUND};
use yrd_verifier::{ProvenAnswer, verify_answer};

use crate::raw;
use crate::{Harness, call_err, error_data, still_serving, within};

#[tokio::test]
async fn did_resolve_and_history() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let issuer = harness
            .call("did_resolve", json!([f.issuer_did.to_string()]))
            .await
            .unwrap();
        assert_eq!(issuer["didDocument"]["id"], f.issuer_did.to_string());
        assert_eq!(
            issuer["didDocument"]["verificationMethod"][0]["id"],
            format!("{}#key-1", f.issuer_did)
        );
        assert_eq!(issuer["didDocumentMetadata"]["versionId"], "1");
        assert_eq!(issuer["didDocumentMetadata"]["deactivated"], false);
        assert_eq!(
            issuer["didResolutionMetadata"]["contentType"],
            "application/did+ld+json"
        );

        let firm = harness
            .call("did_resolve", json!({ "did": f.firm_did.to_string() }))
            .await
            .unwrap();
        assert_eq!(firm["didDocumentMetadata"]["deactivated"], true);
        assert_eq!(firm["didDocumentMetadata"]["versionId"], "2");
        let first = harness
            .call("did_resolve", json!([f.firm_did.to_string(), 1]))
            .await
            .unwrap();
        assert_eq!(first["didDocumentMetadata"]["deactivated"], false);
        assert_eq!(first["didDocumentMetadata"]["nextVersionId"], "2");
        assert_eq!(
            call_err(addr, "did_resolve", json!([f.firm_did.to_string(), 3]))
                .await
                .code(),
            NOT_FOUND
        );
        let never = yrd_contracts::DidId([0x42; 16]).to_string();
        assert_eq!(
            call_err(addr, "did_resolve", json!([never])).await.code(),
            NOT_FOUND
        );
        for bad in ["did:web:example.com", "did:yrd:0OIl", "yrd"] {
            let error = call_err(addr, "did_resolve", json!([bad])).await;
            assert_eq!(error.code(), INVALID_PARAMS, "{bad}");
            assert_eq!(error_data(&error)["param"], "did");
        }

        let history = harness
            .call("did_getHistory", json!([f.firm_did.to_string()]))
            .await
            .unwrap();
        assert_eq!(history["latestVersion"], 2);
        assert_eq!(history["versions"].as_array().unwrap().len(), 2);
        assert_eq!(
            history["versions"][1]["didDocumentMetadata"]["deactivated"],
            true
        );
        assert!(history["nextVersion"].is_null());
        let page = harness
            .call(
                "did_getHistory",
                json!({ "did": f.firm_did.to_string(), "fromVersion": 1, "limit": 1 }),
            )
            .await
            .unwrap();
        assert_eq!(page["versions"].as_array().unwrap().len(), 1);
        assert_eq!(page["nextVersion"], 2);
        for params in [
            json!([f.firm_did.to_string(), 0]),
            json!([f.firm_did.to_string(), 3]),
            json!([f.firm_did.to_string(), 1, 0]),
            json!([f.firm_did.to_string(), 1, 65]),
        ] {
            assert_eq!(
                call_err(addr, "did_getHistory", params.clone())
                    .await
                    .code(),
                INVALID_PARAMS,
                "{params}"
            );
        }
        // The limit is accepted at its maximum.
        harness
            .call("did_getHistory", json!([f.firm_did.to_string(), 1, 64]))
            .await
            .unwrap();
        still_serving(addr).await;
    })
    .await;
}

#[tokio::test]
async fn issuers_types_and_policies() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let issuer_key = hex::encode(f.issuer.verifying_key().to_bytes());
        let issuer = harness
            .call("issuer_get", json!([issuer_key]))
            .await
            .unwrap();
        assert_eq!(issuer["status"], "active");
        assert_eq!(issuer["province"], 310_000);
        assert_eq!(issuer["did"], f.issuer_did.to_string());
        assert_eq!(issuer["licenceTypes"], json!(["C1", "N1", "U1"]));
        assert_eq!(
            call_err(addr, "issuer_get", json!(["00".repeat(32)]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(addr, "issuer_get", json!(["00"])).await.code(),
            INVALID_PARAMS
        );

        let conditional = harness
            .call("licenceType_get", json!(["C1"]))
            .await
            .unwrap();
        assert_eq!(conditional["dataClass"], "conditional");
        assert_eq!(conditional["owner"], 310_000);
        assert_eq!(
            harness
                .call("licenceType_get", json!(["N1"]))
                .await
                .unwrap()["dataClass"],
            "nonOpen"
        );
        assert_eq!(
            call_err(addr, "licenceType_get", json!(["Z9"]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(addr, "licenceType_get", json!(["lower"]))
                .await
                .code(),
            INVALID_PARAMS
        );

        let policy = harness
            .call("policy_get", json!([320_000, 310_000, "U1"]))
            .await
            .unwrap();
        assert_eq!(policy["active"], true);
        assert_eq!(policy["revision"], 1);
        assert_eq!(policy["recognising"], 320_000);
        let by_name = harness
            .call(
                "policy_get",
                json!({ "recognising": "320000", "issuing": "310000", "licenceType": "U1" }),
            )
            .await
            .unwrap();
        assert_eq!(by_name, policy);
        assert_eq!(
            call_err(addr, "policy_get", json!([330_000, 310_000, "U1"]))
                .await
                .code(),
            NOT_FOUND
        );
        assert_eq!(
            call_err(addr, "policy_get", json!([1, 310_000, "U1"]))
                .await
                .code(),
            INVALID_PARAMS
        );
        still_serving(addr).await;
    })
    .await;
}

#[tokio::test]
async fn did_resolution_http_binding() {
    // The cases of the W3C did-resolution test suite's HTTP(S) binding tests (10-bindings),
    // reproduced here against the node (the suite itself is JavaScript), plus the ledger proof.
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let path = |did: &str| format!("/1.0/identifiers/{did}");
        let error_type = |name: &str| format!("https://www.w3.org/ns/did#{name}");

        for accept in [Some("application/did-resolution"), None] {
            let found = raw::get(addr, &path(&f.issuer_did.to_string()), accept).await;
            assert_eq!(found.status, 200);
            let content_type = found.header("content-type").unwrap().to_owned();
            assert_eq!(content_type, "application/did-resolution");
            let body = found.json().expect("a JSON body");
            assert_eq!(body["didDocument"]["id"], f.issuer_did.to_string());
            assert_eq!(body["didDocumentMetadata"]["deactivated"], false);
            // The header's value includes the metadata's contentType.
            let metadata_type = body["didResolutionMetadata"]["contentType"]
                .as_str()
                .unwrap();
            assert_eq!(metadata_type, "application/did");
            assert!(content_type.contains(metadata_type));
            // The ledger proof verifies against the genesis file and proves this document.
            let proof: ProvenAnswer =
                serde_json::from_value(body["didResolutionMetadata"]["ledgerProof"].clone())
                    .unwrap();
            verify_answer(&f.node.spec, &proof).unwrap();
            assert_eq!(proof.value["didDocument"], body["didDocument"]);
        }

        for (accept, media_type) in [
            ("application/did", "application/did"),
            ("application/did+ld+json", "application/did+ld+json"),
        ] {
            let document = raw::get(addr, &path(&f.issuer_did.to_string()), Some(accept)).await;
            assert_eq!(document.status, 200);
            assert_eq!(document.header("content-type"), Some(media_type));
            let doc = document.json().expect("a JSON body");
            assert_eq!(doc["id"], f.issuer_did.to_string());
            assert_eq!(doc["@context"][0], "https://www.w3.org/ns/did/v1");
            assert!(doc.get("didResolutionMetadata").is_none());
        }
        // A DID representation not offered: 406, the suite then tries the next one.
        let json_only = raw::get(
            addr,
            &path(&f.issuer_did.to_string()),
            Some("application/did+json"),
        )
        .await;
        assert_eq!(json_only.status, 406);

        let encoded = f.issuer_did.to_string().replace(':', "%3A");
        assert_eq!(raw::get(addr, &path(&encoded), None).await.status, 200);
        let old = raw::get(
            addr,
            &format!("{}?versionId=1", path(&f.firm_did.to_string())),
            None,
        )
        .await;
        assert_eq!(old.status, 200);
        assert_eq!(
            old.json().expect("a JSON body")["didDocumentMetadata"]["versionId"],
            "1"
        );

        let deactivated = raw::get(addr, &path(&f.firm_did.to_string()), None).await;
        assert_eq!(deactivated.status, 410);
        let body = deactivated.json().expect("a JSON body");
        assert_eq!(body["didDocumentMetadata"]["deactivated"], true);
        assert_eq!(body["didDocument"]["id"], f.firm_did.to_string());

        let unknown = yrd_contracts::DidId([0x42; 16]).to_string();
        for (did, status, name) in [
            (unknown.clone(), 404, "NOT_FOUND"),
            ("did:yrd:0OIl".to_owned(), 400, "INVALID_DID"),
            ("not-a-did".to_owned(), 400, "INVALID_DID"),
            ("did:example".to_owned(), 400, "INVALID_DID"),
            (
                "did:web:example.com".to_owned(),
                501,
                "METHOD_NOT_SUPPORTED",
            ),
            (
                "did:unsupported:123456789abcdefghi".to_owned(),
                501,
                "METHOD_NOT_SUPPORTED",
            ),
        ] {
            let reply = raw::get(addr, &path(&did), Some("application/did-resolution")).await;
            assert_eq!(reply.status, status, "{did}");
            assert_eq!(
                reply.header("content-type"),
                Some("application/did-resolution")
            );
            let body = reply.json().expect("a JSON body");
            let error = &body["didResolutionMetadata"]["error"];
            assert_eq!(error["type"], error_type(name), "{did}");
            assert!(error["title"].is_string() && error["detail"].is_string());
            assert!(body["didDocument"].is_null());
            assert!(body["didDocumentMetadata"].is_object());
        }
        // Not found is proven too: the proof of absence verifies.
        let absent = raw::get(addr, &path(&unknown), None)
            .await
            .json()
            .expect("a JSON body");
        let proof: ProvenAnswer =
            serde_json::from_value(absent["didResolutionMetadata"]["ledgerProof"].clone()).unwrap();
        verify_answer(&f.node.spec, &proof).unwrap();
        assert!(proof.value.is_null());

        let missing_version = raw::get(
            addr,
            &format!("{}?versionId=9", path(&f.issuer_did.to_string())),
            None,
        )
        .await;
        assert_eq!(missing_version.status, 404);
        let html = raw::get(addr, &path(&f.issuer_did.to_string()), Some("text/html")).await;
        assert_eq!(html.status, 406);
        assert_eq!(
            html.json().expect("a JSON body")["didResolutionMetadata"]["error"]["type"],
            error_type("REPRESENTATION_NOT_SUPPORTED")
        );

        // A DID URL: the verification method, under a relationship it is listed in only.
        let document = raw::get(
            addr,
            &path(&f.issuer_did.to_string()),
            Some("application/did"),
        )
        .await
        .json()
        .expect("a JSON body");
        let method_id = document["verificationMethod"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let listed = ["authentication", "assertionMethod", "capabilityInvocation"]
            .into_iter()
            .find(|relationship| {
                document[*relationship]
                    .as_array()
                    .is_some_and(|refs| refs.iter().any(|r| r == method_id.as_str()))
            })
            .unwrap();
        let url_path = path(&method_id.replace('#', "%23"));
        let dereferenced = raw::get(addr, &url_path, None).await;
        assert_eq!(dereferenced.status, 200);
        assert_eq!(
            dereferenced.header("content-type"),
            Some("application/did-url-dereferencing")
        );
        let body = dereferenced.json().expect("a JSON body");
        assert_eq!(body["contentStream"]["id"], method_id);
        assert!(body["contentMetadata"].is_object());
        assert!(body["dereferencingMetadata"]["contentType"].is_string());
        let listed_reply = raw::get(
            addr,
            &format!("{url_path}?verificationRelationship={listed}"),
            Some("application/did-url-dereferencing"),
        )
        .await;
        assert_eq!(listed_reply.status, 200);
        let unlisted = raw::get(
            addr,
            &format!("{url_path}?verificationRelationship=keyAgreement"),
            None,
        )
        .await;
        assert_eq!(unlisted.status, 404);
        let body = unlisted.json().expect("a JSON body");
        assert!(body["contentStream"].is_null());
        assert_eq!(
            body["dereferencingMetadata"]["error"]["type"],
            error_type("NOT_FOUND")
        );
        let bad_option = raw::get(
            addr,
            &format!("{url_path}?verificationRelationship=owner"),
            None,
        )
        .await;
        assert_eq!(bad_option.status, 400);

        let post = raw::http(addr, "POST", &path(&f.issuer_did.to_string()), &[], b"").await;
        assert_eq!(post.status, 405);
        still_serving(addr).await;
    })
    .await;
}
