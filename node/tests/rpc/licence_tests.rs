//! `licence_verify`, `licence_get`, `licence_getHistory`: data classes and verifier authentication.

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use yrd_contracts::DidId;
use yrd_contracts::types::{Digest32, ProvinceCode};
use yrd_node::rpc::auth::{AuthMessage, AuthParams};
use yrd_node::rpc::error::{ACCESS_RESTRICTED, AUTH_FAILED, INVALID_PARAMS, NOT_FOUND};

use crate::fake::NODE_KEY;
use crate::fixture::ISSUER_USCC;
use crate::{Harness, call_err, error_data, now_ms, still_serving, within};

const SHANGHAI: u32 = 310_000;
/// The fixture's chain id, which verifier signatures bind.
const TEST_CHAIN: &str = "yrd-test";
const JIANGSU: u32 = 320_000;
const ZHEJIANG: u32 = 330_000;

/// What a verifier signs to ask this node (`fake::NODE_KEY`) about the test chain, now.
fn message<'a>(method: &'a str, did: &'a DidId, params: &AuthParams<'a>) -> AuthMessage<'a> {
    AuthMessage {
        chain_id: TEST_CHAIN,
        node_key: &NODE_KEY,
        method,
        did,
        key_id: "key-1",
        timestamp_ms: now_ms(),
        params: *params,
    }
}

fn auth(key: &SigningKey, method: &str, did: &DidId, params: &AuthParams<'_>) -> Value {
    serde_json::to_value(message(method, did, params).sign(key)).unwrap()
}

/// `licence_verify` params claiming `did`, signed with `key`.
fn verify_as(commitment: &Digest32, region: u32, did: &DidId, key: &SigningKey) -> Value {
    let params = AuthParams::Verify {
        commitment,
        region: ProvinceCode(region),
    };
    json!({
        "issuer": ISSUER_USCC, "commitment": hex::encode(commitment),
        "region": region,
        "verifierDid": did.to_string(),
        "auth": auth(key, "licence_verify", did, &params),
    })
}

#[tokio::test]
async fn anonymous_callers_get_what_each_data_class_allows() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        // Unconditional: everything, with recognition per region.
        let open = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode(f.unconditional), JIANGSU]),
            )
            .await
            .unwrap();
        assert_eq!(open["disclosure"], "full");
        assert_eq!(open["valid"], true);
        assert_eq!(open["status"], "active");
        assert_eq!(open["asOfHeight"], 4);
        assert_eq!(open["details"]["dataClass"], "unconditional");
        assert_eq!(open["details"]["issuer"]["did"], f.issuer_did.to_string());
        assert_eq!(open["details"]["issuer"]["province"], SHANGHAI);
        assert_eq!(open["recognition"]["recognised"], true);
        assert_eq!(open["recognition"]["basis"], "policy");
        let home = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode(f.unconditional), "310000"]),
            )
            .await
            .unwrap();
        assert_eq!(home["recognition"]["basis"], "homeProvince");
        let elsewhere = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode(f.unconditional), ZHEJIANG]),
            )
            .await
            .unwrap();
        assert_eq!(elsewhere["recognition"]["recognised"], false);
        assert_eq!(elsewhere["recognition"]["basis"], "noPolicy");
        // Conditional: valid / invalid only.
        let conditional = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode(f.conditional), JIANGSU]),
            )
            .await
            .unwrap();
        assert_eq!(conditional["disclosure"], "validityOnly");
        assert_eq!(conditional["valid"], true);
        assert!(
            conditional["status"].is_null()
                && conditional["details"].is_null()
                && conditional["recognition"].is_null()
        );
        // Non-open: nothing.
        let closed = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode(f.non_open), JIANGSU]),
            )
            .await
            .unwrap();
        assert_eq!(closed["disclosure"], "denied");
        assert!(
            closed["valid"].is_null() && closed["status"].is_null() && closed["details"].is_null()
        );
        // Unknown.
        let unknown = harness
            .call(
                "licence_verify",
                json!([ISSUER_USCC, hex::encode([0x55u8; 32]), JIANGSU]),
            )
            .await
            .unwrap();
        assert_eq!(unknown["disclosure"], "notFound");
    })
    .await;
}

#[tokio::test]
async fn authenticated_registered_verifier_sees_more_and_an_unregistered_one_does_not() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let conditional = harness
            .call(
                "licence_verify",
                verify_as(&f.conditional, JIANGSU, &f.verifier_did, &f.verifier),
            )
            .await
            .unwrap();
        assert_eq!(conditional["disclosure"], "full");
        assert_eq!(conditional["details"]["dataClass"], "conditional");
        let closed = harness
            .call(
                "licence_verify",
                verify_as(&f.non_open, JIANGSU, &f.verifier_did, &f.verifier),
            )
            .await
            .unwrap();
        assert_eq!(closed["disclosure"], "statusOnly");
        assert_eq!(closed["status"], "active");
        assert!(closed["valid"].is_null() && closed["details"].is_null());
        // A genuine, authenticated DID that no authority registered as a verifier.
        let stranger = harness
            .call(
                "licence_verify",
                verify_as(&f.conditional, JIANGSU, &f.stranger_did, &f.stranger),
            )
            .await
            .unwrap();
        assert_eq!(stranger["disclosure"], "validityOnly");
        let stranger_closed = harness
            .call(
                "licence_verify",
                verify_as(&f.non_open, JIANGSU, &f.stranger_did, &f.stranger),
            )
            .await
            .unwrap();
        assert_eq!(stranger_closed["disclosure"], "denied");
    })
    .await;
}

#[tokio::test]
async fn verifier_claims_without_a_valid_signature_are_refused() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let c = hex::encode(f.conditional);
        let did = f.verifier_did.to_string();
        let params = AuthParams::Verify {
            commitment: &f.conditional,
            region: ProvinceCode(JIANGSU),
        };
        let refused = |error: jsonrpsee::types::ErrorObjectOwned| {
            assert_eq!(error.code(), AUTH_FAILED, "{error:?}")
        };

        // A bare claim.
        refused(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did]),
            )
            .await,
        );
        // Signed by someone else's key.
        refused(
            call_err(
                addr,
                "licence_verify",
                verify_as(&f.conditional, JIANGSU, &f.verifier_did, &f.stranger),
            )
            .await,
        );
        // Signed for another method.
        let for_get = auth(&f.verifier, "licence_get", &f.verifier_did, &params);
        refused(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, for_get]),
            )
            .await,
        );
        // Signed for another region.
        refused(
            call_err(
                addr,
                "licence_verify",
                verify_as(&f.conditional, ZHEJIANG, &f.verifier_did, &f.verifier)
                    .tap_region(JIANGSU),
            )
            .await,
        );
        // Too old.
        let old = AuthMessage {
            timestamp_ms: now_ms() - 3_600_000,
            ..message("licence_verify", &f.verifier_did, &params)
        }
        .sign(&f.verifier);
        refused(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, old]),
            )
            .await,
        );
        // A key fragment that does not exist.
        let bad_key = AuthMessage {
            key_id: "key-9",
            ..message("licence_verify", &f.verifier_did, &params)
        }
        .sign(&f.verifier);
        refused(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, bad_key]),
            )
            .await,
        );
        // A deactivated DID, with its own key.
        let firm_params = AuthParams::Verify {
            commitment: &f.conditional,
            region: ProvinceCode(JIANGSU),
        };
        let firm_auth = auth(&f.firm, "licence_verify", &f.firm_did, &firm_params);
        refused(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, f.firm_did.to_string(), firm_auth]),
            )
            .await,
        );
        // Replay of a signature that already worked once.
        let good = verify_as(&f.conditional, JIANGSU, &f.verifier_did, &f.verifier);
        harness.call("licence_verify", good.clone()).await.unwrap();
        let replay = call_err(addr, "licence_verify", good).await;
        refused(replay.clone());
        assert!(replay.message().contains("replay"), "{}", replay.message());
        // A signature made for another chain, or for another node of this chain (same DID, key,
        // method, params and time): refused, so a request signed once is answered once in the
        // whole chain.
        let other_node = [0x42; 32];
        for (what, foreign) in [
            (
                "another chain",
                AuthMessage {
                    chain_id: "yrd-other",
                    ..message("licence_verify", &f.verifier_did, &params)
                },
            ),
            (
                "another node",
                AuthMessage {
                    node_key: &other_node,
                    ..message("licence_verify", &f.verifier_did, &params)
                },
            ),
        ] {
            let signed = foreign.sign(&f.verifier);
            let error = call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, signed]),
            )
            .await;
            refused(error.clone());
            assert!(
                error.message().contains("does not verify"),
                "{what}: {}",
                error.message()
            );
        }
        // A version-1 client (no `version` field) is refused by name.
        let mut version_one = serde_json::to_value(
            message("licence_verify", &f.verifier_did, &params).sign(&f.verifier),
        )
        .unwrap();
        version_one.as_object_mut().unwrap().remove("version");
        let error = call_err(
            addr,
            "licence_verify",
            json!([ISSUER_USCC, c, JIANGSU, did, version_one]),
        )
        .await;
        refused(error.clone());
        assert!(error.message().contains("version 1"), "{}", error.message());
        // auth without a DID, malformed signature hex, malformed DID: parameter errors.
        let lone = auth(&f.verifier, "licence_verify", &f.verifier_did, &params);
        assert_eq!(
            call_err(
                addr,
                "licence_verify",
                json!({ "issuer": ISSUER_USCC, "commitment": c, "region": JIANGSU, "auth": lone })
            )
            .await
            .code(),
            INVALID_PARAMS
        );
        let short_sig = json!({ "keyId": "key-1", "timestampMs": now_ms(), "signature": "abcd" });
        assert_eq!(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, short_sig])
            )
            .await
            .code(),
            INVALID_PARAMS
        );
        assert_eq!(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, "did:yrd:0OIl"])
            )
            .await
            .code(),
            INVALID_PARAMS
        );
        let unknown_field =
            json!({ "keyId": "key-1", "timestampMs": 1, "signature": "00", "extra": 1 });
        assert_eq!(
            call_err(
                addr,
                "licence_verify",
                json!([ISSUER_USCC, c, JIANGSU, did, unknown_field])
            )
            .await
            .code(),
            INVALID_PARAMS
        );
        still_serving(addr).await;
    })
    .await;
}

/// Replaces the `region` of a params object (to send a signature made for another region).
trait TapRegion {
    fn tap_region(self, region: u32) -> Self;
}

impl TapRegion for Value {
    fn tap_region(mut self, region: u32) -> Self {
        self["region"] = json!(region);
        self
    }
}

#[tokio::test]
async fn bad_commitments_and_regions_are_parameter_errors() {
    within(async {
        let harness = Harness::start().await;
        let addr = harness.addr;
        let c = hex::encode(harness.fixture.unconditional);
        for (params, param) in [
            (json!([ISSUER_USCC, "abcd", JIANGSU]), "commitment"),
            (json!([ISSUER_USCC, "zz".repeat(32), JIANGSU]), "commitment"),
            (json!([ISSUER_USCC, c, 310_100]), "region"),
            (json!([ISSUER_USCC, c, "31000"]), "region"),
            (json!([ISSUER_USCC, c, 4_294_967_296u64]), "region"),
            // A USCC with a wrong check character, and one of the wrong length.
            (json!(["91310000MA1FL0001X", c, JIANGSU]), "issuer"),
            (json!(["91310000", c, JIANGSU]), "issuer"),
        ] {
            let error = call_err(addr, "licence_verify", params.clone()).await;
            assert_eq!(error.code(), INVALID_PARAMS, "{params}");
            assert_eq!(error_data(&error)["param"], param, "{params}");
        }
        // Wrong types and missing parameters (reported by the server library, same code).
        assert_eq!(
            call_err(addr, "licence_verify", json!([ISSUER_USCC, c]))
                .await
                .code(),
            INVALID_PARAMS
        );
        assert_eq!(
            call_err(addr, "licence_verify", json!([ISSUER_USCC, 42, JIANGSU]))
                .await
                .code(),
            INVALID_PARAMS
        );
        assert_eq!(
            call_err(addr, "licence_verify", json!([ISSUER_USCC, c, true]))
                .await
                .code(),
            INVALID_PARAMS
        );
        still_serving(addr).await;
    })
    .await;
}

#[tokio::test]
async fn licence_get_and_history_follow_the_data_classes() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let open = harness
            .call(
                "licence_get",
                json!([ISSUER_USCC, hex::encode(f.unconditional)]),
            )
            .await
            .unwrap();
        assert_eq!(open["disclosure"], "full");
        assert!(open["recognition"].is_null());
        assert_eq!(open["details"]["licenceType"], "U1");
        let conditional = harness
            .call(
                "licence_get",
                json!([ISSUER_USCC, hex::encode(f.conditional)]),
            )
            .await
            .unwrap();
        assert_eq!(conditional["disclosure"], "validityOnly");
        assert_eq!(
            call_err(
                addr,
                "licence_get",
                json!([ISSUER_USCC, hex::encode(f.non_open)])
            )
            .await
            .code(),
            ACCESS_RESTRICTED
        );
        assert_eq!(
            call_err(
                addr,
                "licence_get",
                json!([ISSUER_USCC, hex::encode([0x55u8; 32])])
            )
            .await
            .code(),
            NOT_FOUND
        );

        let history = harness
            .call(
                "licence_getHistory",
                json!([ISSUER_USCC, hex::encode(f.unconditional)]),
            )
            .await
            .unwrap();
        let events = history.as_array().unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0]["kind"], "anchored");
        assert_eq!(events[0]["height"], 3);
        assert_eq!(events[0]["txHash"], hex::encode(f.anchor_tx.hash()));
        assert_eq!(
            call_err(
                addr,
                "licence_getHistory",
                json!([ISSUER_USCC, hex::encode(f.conditional)])
            )
            .await
            .code(),
            ACCESS_RESTRICTED
        );
        assert_eq!(
            call_err(
                addr,
                "licence_getHistory",
                json!([ISSUER_USCC, hex::encode([0x55u8; 32])])
            )
            .await
            .code(),
            ACCESS_RESTRICTED
        );

        let params = AuthParams::Licence {
            commitment: &f.conditional,
        };
        let as_verifier = json!([
            ISSUER_USCC,
            hex::encode(f.conditional),
            f.verifier_did.to_string(),
            auth(&f.verifier, "licence_getHistory", &f.verifier_did, &params),
        ]);
        let history = harness
            .call("licence_getHistory", as_verifier)
            .await
            .unwrap();
        assert_eq!(history.as_array().unwrap().len(), 1);
        let get_as_verifier = json!([
            ISSUER_USCC,
            hex::encode(f.conditional),
            f.verifier_did.to_string(),
            auth(&f.verifier, "licence_get", &f.verifier_did, &params),
        ]);
        assert_eq!(
            harness.call("licence_get", get_as_verifier).await.unwrap()["disclosure"],
            "full"
        );
    })
    .await;
}

/// Attack: tell an absent licence from an existing one whose data class withholds it, by
/// comparing `licence_getHistory` errors (with and without a proof). Both get the same code,
/// message and data, for an anonymous caller, an unregistered verifier and a registered one.
#[tokio::test]
async fn history_not_found_and_restricted_identical() {
    within(async {
        let harness = Harness::start().await;
        let f = &harness.fixture;
        let addr = harness.addr;
        let absent: Digest32 = [0x55; 32];
        // Each call signs a distinct timestamp (a fixed base minus a count: the clock advancing
        // between calls cannot make two equal), so that no two claims are replays of each other.
        let base_ms = now_ms();
        let calls = std::cell::Cell::new(0u64);
        let as_caller = |commitment: &Digest32, caller: Option<(&DidId, &SigningKey)>, proof: bool| {
            let mut params = json!({ "issuer": ISSUER_USCC, "commitment": hex::encode(commitment), "proof": proof });
            if let Some((did, key)) = caller {
                calls.set(calls.get() + 1);
                let signed = AuthParams::Licence { commitment };
                let claim = AuthMessage {
                    chain_id: TEST_CHAIN,
                    node_key: &NODE_KEY,
                    method: "licence_getHistory",
                    did,
                    key_id: "key-1",
                    timestamp_ms: base_ms - calls.get(),
                    params: signed,
                }
                .sign(key);
                params["verifierDid"] = json!(did.to_string());
                params["auth"] = serde_json::to_value(claim).unwrap();
            }
            params
        };
        let registered = Some((&f.verifier_did, &f.verifier));
        let unregistered = Some((&f.stranger_did, &f.stranger));
        // (commitment, caller): each is either absent or withheld from that caller.
        let cases = [
            (&absent, None),
            (&f.non_open, None),
            (&f.conditional, None),
            (&absent, unregistered),
            (&f.non_open, unregistered),
            (&f.conditional, unregistered),
            (&absent, registered),
            (&f.non_open, registered),
        ];
        let mut seen = Vec::new();
        for (commitment, caller) in cases {
            for proof in [false, true] {
                let error = call_err(addr, "licence_getHistory", as_caller(commitment, caller, proof)).await;
                assert_eq!(error.code(), ACCESS_RESTRICTED, "{} proof={proof}", hex::encode(commitment));
                seen.push((error.code(), error.message().to_owned(), error_data(&error)));
            }
        }
        seen.dedup();
        assert_eq!(seen.len(), 1, "answers differ: {seen:?}");
        assert!(!seen[0].1.contains(&hex::encode(absent)), "{}", seen[0].1);
        // Under full disclosure the history is still served.
        let open = harness
            .call("licence_getHistory", as_caller(&f.conditional, registered, false))
            .await
            .unwrap();
        assert_eq!(open.as_array().unwrap().len(), 1);
        still_serving(addr).await;
    })
    .await;
}
