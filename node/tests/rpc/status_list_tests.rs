//! `GET /status/{uscc}/{purpose}` (W3C Bitstring Status List credentials signed by the node key)
//! and `yrd vc issue` / `yrd vc verify` with `credentialStatus`: the lists of the fixture's issuer
//! over the in-memory node, the route's errors over the real backend, and the attacks a verifier
//! must refuse (a list signed by a key that is neither validator nor observer, a list too short,
//! a list contradicting the ledger at the same height).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use ed25519_dalek::SigningKey;
use serde_json::{Value, json};
use tokio::sync::broadcast;
use yrd_contracts::keys;
use yrd_contracts::tx::{LicenceStatusChange, LicenceTarget, StatusReason, TxPayload};
use yrd_contracts::types::TxHash;
use yrd_node::host::restart;
use yrd_node::host::rpc_backend::NodeBackend;
use yrd_node::host::shared::Shared;
use yrd_node::mempool::{Mempool, MempoolConfig};
use yrd_node::network::NetworkConfig;
use yrd_node::rpc::backend::{
    BatchInclusion, BatchLeavesError, LeavesSubmission, ProofAnchor, ProverHandle,
};
use yrd_node::rpc::views::HeadInfo;
use yrd_node::rpc::{
    BackendError, BlockRef, BlockView, LicenceStatusChange as StatusEvent, NodeStatus, PeerView,
    RpcBackend, RpcConfig, RpcServer, StateHandle, StoredTx, SubmitError, TxStatus,
};
use yrd_node::storage::{Store, StoreConfig};
use yrd_verifier::chain_spec::ChainSpec;
use yrd_verifier::status_list::{
    Bitstring, ListScope, MAX_LIST_BYTES, StatusPurpose, check_list_credential, did_key,
    list_credential,
};
use yrd_verifier::vc;

use crate::fake::FakeNode;
use crate::fixture::{Fixture, ISSUER_USCC, genesis, issuer_uscc, key};
use crate::{call, call_err, test_config, within};

/// The fixture's in-memory node, signing status lists with `signer`.
struct Signing {
    inner: Arc<FakeNode>,
    signer: SigningKey,
}

impl RpcBackend for Signing {
    fn submit_tx(&self, tx_bytes: Vec<u8>) -> Result<TxHash, SubmitError> {
        self.inner.submit_tx(tx_bytes)
    }
    fn tx_status(&self, hash: &TxHash) -> Result<TxStatus, BackendError> {
        self.inner.tx_status(hash)
    }
    fn tx(&self, hash: &TxHash) -> Result<Option<StoredTx>, BackendError> {
        self.inner.tx(hash)
    }
    fn head(&self) -> Result<HeadInfo, BackendError> {
        self.inner.head()
    }
    fn block(&self, at: BlockRef) -> Result<Option<BlockView>, BackendError> {
        self.inner.block(at)
    }
    fn state_at(&self, version: Option<u64>) -> Result<StateHandle, BackendError> {
        self.inner.state_at(version)
    }
    fn proof_anchor(&self) -> Result<ProofAnchor, BackendError> {
        self.inner.proof_anchor()
    }
    fn prover_at(&self, version: u64) -> Result<ProverHandle, BackendError> {
        self.inner.prover_at(version)
    }
    fn store_batch_leaves(
        &self,
        submission: LeavesSubmission,
        max_leaves_per_issuer: u64,
    ) -> Result<[u8; 32], BatchLeavesError> {
        self.inner
            .store_batch_leaves(submission, max_leaves_per_issuer)
    }
    fn batch_inclusion(
        &self,
        issuer: &yrd_contracts::licence_id::Uscc,
        commitment: &[u8; 32],
    ) -> Result<Option<BatchInclusion>, BackendError> {
        self.inner.batch_inclusion(issuer, commitment)
    }
    fn node_key(&self) -> [u8; 32] {
        self.signer.verifying_key().to_bytes()
    }
    fn status_list_signer(&self) -> Option<&SigningKey> {
        Some(&self.signer)
    }
    fn node_status(&self) -> Result<NodeStatus, BackendError> {
        self.inner.node_status()
    }
    fn peers(&self) -> Result<Vec<PeerView>, BackendError> {
        self.inner.peers()
    }
    fn subscribe_heads(&self) -> broadcast::Receiver<HeadInfo> {
        self.inner.subscribe_heads()
    }
    fn subscribe_licence_status(&self) -> broadcast::Receiver<StatusEvent> {
        self.inner.subscribe_licence_status()
    }
}

/// A server over the fixture's node signing lists with `signer`.
async fn serve(node: &Arc<FakeNode>, signer: SigningKey, config: RpcConfig) -> RpcServer {
    let backend = Arc::new(Signing {
        inner: Arc::clone(node),
        signer,
    });
    yrd_node::rpc::start(config, backend).await.unwrap()
}

/// A genesis validator's key (`fake` validators are `key(20 + i)`).
fn validator() -> SigningKey {
    key(20)
}

fn scope(fixture: &Fixture, purpose: StatusPurpose) -> ListScope {
    ListScope {
        uscc: ISSUER_USCC.to_owned(),
        purpose,
        ledger: fixture.chain.0.clone(),
    }
}

async fn get_list(addr: SocketAddr, uscc: &str, purpose: &str) -> (u16, Option<String>, Value) {
    let reply = crate::raw::get(addr, &format!("/status/{uscc}/{purpose}"), None).await;
    let body = serde_json::from_str(&reply.body).unwrap_or(Value::Null);
    (
        reply.status,
        reply.header("content-type").map(str::to_owned),
        body,
    )
}

fn revoke(commitment: [u8; 32]) -> TxPayload {
    TxPayload::RevokeLicence(LicenceStatusChange {
        target: LicenceTarget {
            issuer: issuer_uscc(),
            commitment,
            batch: None,
        },
        reason: StatusReason::Fraud,
    })
}

#[tokio::test]
async fn lists_are_signed_by_the_node_and_show_public_statuses_only() {
    within(async {
        let mut fixture = Fixture::build();
        let server = serve(&fixture.node, validator(), test_config()).await;
        let addr = server.local_addr();

        // The fixture's issuer anchored, in order: an unconditional, a conditional and a
        // non-open licence: indexes 0, 1, 2.
        let verdict = call(
            addr,
            "licence_verify",
            json!({"issuer": ISSUER_USCC, "commitment": hex::encode(fixture.unconditional), "region": 310000}),
        )
        .await
        .unwrap();
        assert_eq!(verdict["details"]["statusListIndex"], 0, "{verdict}");

        let (status, content_type, list) = get_list(addr, ISSUER_USCC, "revocation").await;
        assert_eq!(status, 200, "{list}");
        assert_eq!(content_type.as_deref(), Some("application/vc"));
        assert_eq!(list["type"][1], "BitstringStatusListCredential");
        assert_eq!(list["credentialSubject"]["type"], "BitstringStatusList");
        let checked = check_list_credential(
            &list,
            &scope(&fixture, StatusPurpose::Revocation),
            MAX_LIST_BYTES,
        )
        .unwrap();
        assert_eq!(checked.signer, validator().verifying_key().to_bytes());
        assert_eq!(list["issuer"], did_key(&checked.signer).0);
        assert_eq!(checked.list.bits(), 131_072);
        let anchor = fixture.node.proof_anchor().unwrap();
        assert_eq!(checked.height, anchor.header.executed.height);
        // Active and public: clear. Conditional and non-open: set in every list (fail closed).
        let bits = |list: &Bitstring| (0..4).map(|i| list.get(i).unwrap()).collect::<Vec<_>>();
        assert_eq!(bits(&checked.list), vec![false, true, true, false]);

        // Revoked: set in the revocation list, not in the suspension list.
        let tx = fixture.issuer_tx(revoke(fixture.unconditional));
        fixture.node.commit(&[tx]);
        let (_, _, list) = get_list(addr, ISSUER_USCC, "revocation").await;
        let revoked = check_list_credential(
            &list,
            &scope(&fixture, StatusPurpose::Revocation),
            MAX_LIST_BYTES,
        )
        .unwrap();
        assert_eq!(revoked.height, checked.height + 1, "a new height, not the cache");
        assert_eq!(bits(&revoked.list), vec![true, true, true, false]);
        let (status, _, list) = get_list(addr, ISSUER_USCC, "suspension").await;
        assert_eq!(status, 200);
        let suspended = check_list_credential(
            &list,
            &scope(&fixture, StatusPurpose::Suspension),
            MAX_LIST_BYTES,
        )
        .unwrap();
        assert_eq!(bits(&suspended.list), vec![false, true, true, false]);
        // The revocation list is not the suspension list.
        assert!(
            check_list_credential(
                &list,
                &scope(&fixture, StatusPurpose::Revocation),
                MAX_LIST_BYTES
            )
            .is_err()
        );

        // The index → commitment map is not served by state_getProof (it would enumerate an
        // issuer's commitments); the counter is.
        let uscc = issuer_uscc();
        let refused = call_err(
            addr,
            "state_getProof",
            json!({"key": hex::encode(keys::status_list_entry(&uscc, 0))}),
        )
        .await;
        assert_eq!(refused.code(), -33020);
        let counter = call(
            addr,
            "state_getProof",
            json!({"key": hex::encode(keys::status_list_counter(&uscc))}),
        )
        .await
        .unwrap();
        assert_eq!(counter["value"], hex::encode(3u64.to_le_bytes()));

        // Errors are problem details.
        let unknown = yrd_contracts::licence_id::Uscc::with_check_character("91320000MA1FL0002")
            .unwrap()
            .to_string();
        for (path_uscc, purpose, code, kind) in [
            (ISSUER_USCC, "refresh", 400, "INVALID_PURPOSE"),
            ("123", "revocation", 400, "INVALID_ISSUER"),
            (unknown.as_str(), "revocation", 404, "NOT_FOUND"),
        ] {
            let reply = crate::raw::get(addr, &format!("/status/{path_uscc}/{purpose}"), None).await;
            assert_eq!(reply.status, code, "{}", reply.body);
            assert_eq!(reply.header("content-type"), Some("application/problem+json"));
            let problem: Value = serde_json::from_str(&reply.body).unwrap();
            assert_eq!(problem["type"], format!("urn:yrd:status-list#{kind}"));
            assert!(problem["detail"].is_string());
        }
        let post = crate::raw::http(
            addr,
            "POST",
            &format!("/status/{ISSUER_USCC}/revocation"),
            &[],
            b"",
        )
        .await;
        assert_eq!(post.status, 405);
        let metrics = crate::raw::get(addr, "/metrics", None).await;
        assert!(
            metrics
                .body
                .contains("yrd_http_route_requests_total{route=\"status_list\",status=\"200\"}"),
            "{}",
            metrics.body
        );
        server.stop().await;

        // An issuer with more licences than the node's cap gets 503, not a partial list.
        let capped = serve(
            &fixture.node,
            validator(),
            RpcConfig {
                status_list_max_entries: 2,
                ..test_config()
            },
        )
        .await;
        let (status, _, problem) = get_list(capped.local_addr(), ISSUER_USCC, "revocation").await;
        assert_eq!(status, 503, "{problem}");
        assert_eq!(problem["type"], "urn:yrd:status-list#LIST_TOO_LARGE");
        capped.stop().await;
    })
    .await;
}

#[tokio::test]
async fn the_route_over_the_real_backend() {
    within(async {
        let dir = tempfile::tempdir().unwrap();
        let chain = ChainSpec::from_genesis(genesis()).unwrap();
        let store = Store::open(dir.path(), StoreConfig::default()).unwrap();
        let _state = restart::open_state(&store, &chain).unwrap();
        let head = HeadInfo {
            height: 0,
            block_id: chain.consensus.header().id().0,
            state_root: chain.consensus.state_root,
            block_time_ms: chain.genesis.genesis_time_ms,
            ..HeadInfo::default()
        };
        let shared = Arc::new(Shared::new(
            chain.clone(),
            store,
            Mempool::new(MempoolConfig::default()),
            head,
        ));
        let node_key = key(20);
        let mut network_config =
            NetworkConfig::new(node_key.to_bytes(), "/ip4/127.0.0.1/tcp/0".parse().unwrap());
        network_config.members = chain.validator_keys().into_iter().collect();
        let (network, _events, _listen) = yrd_node::network::start(network_config).await.unwrap();

        // Only the node key signs lists.
        assert!(
            NodeBackend::new(
                Arc::clone(&shared),
                network.clone(),
                std::time::Duration::from_millis(20),
            )
            .with_status_list_signer(key(21))
            .is_err()
        );
        // A backend without a signer answers 503.
        let unsigned = yrd_node::rpc::start(
            test_config(),
            Arc::new(NodeBackend::new(
                Arc::clone(&shared),
                network.clone(),
                std::time::Duration::from_millis(20),
            )),
        )
        .await
        .unwrap();
        let (status, _, problem) = get_list(unsigned.local_addr(), ISSUER_USCC, "revocation").await;
        assert_eq!(
            (status, problem["type"].as_str()),
            (503, Some("urn:yrd:status-list#NOT_SIGNING"))
        );
        unsigned.stop().await;

        let backend = NodeBackend::new(
            Arc::clone(&shared),
            network.clone(),
            std::time::Duration::from_millis(20),
        )
        .with_status_list_signer(node_key)
        .unwrap();
        let server = yrd_node::rpc::start(test_config(), Arc::new(backend))
            .await
            .unwrap();
        let addr = server.local_addr();
        // The genesis state has no issuer: not found, as problem details; a bad purpose is 400.
        let (status, content_type, problem) = get_list(addr, ISSUER_USCC, "revocation").await;
        assert_eq!(status, 404, "{problem}");
        assert_eq!(content_type.as_deref(), Some("application/problem+json"));
        assert_eq!(problem["type"], "urn:yrd:status-list#NOT_FOUND");
        let (status, _, problem) = get_list(addr, ISSUER_USCC, "expiry").await;
        assert_eq!(
            (status, problem["type"].as_str()),
            (400, Some("urn:yrd:status-list#INVALID_PURPOSE"))
        );
        server.stop().await;
        network.shutdown().await;
    })
    .await;
}

/// `yrd` with `args`: exit code and standard output.
async fn yrd(args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_yrd"))
        .args(args)
        .output()
        .await
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Serves `body` as `200 application/vc` to every connection (a list of the attacker's making).
async fn serve_static(body: String) -> SocketAddr {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request).await;
            let answer = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/vc\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    addr
}

/// A list of `scope` with `set` bits at `height`, signed by `signer`.
fn crafted_list(scope: &ListScope, list: &Bitstring, height: u64, signer: &SigningKey) -> Value {
    let public = signer.verifying_key().to_bytes();
    let unsigned = list_credential(scope, list, height, "2026-01-01T00:00:00Z", &public);
    let (_, method) = did_key(&public);
    let config = vc::proof_config(
        &unsigned,
        &method,
        "2026-01-01T00:00:00Z",
        "assertionMethod",
    );
    vc::add_proof(&unsigned, &config, signer).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

#[tokio::test]
async fn vc_issue_adds_status_entries_and_vc_verify_checks_the_lists() {
    within(async {
        let mut fixture = Fixture::build();
        let server = serve(&fixture.node, validator(), test_config()).await;
        let rpc = format!("http://{}", server.local_addr());
        let dir = tempfile::tempdir().unwrap();
        let key_file = dir.path().join("issuer-key.json");
        yrd_node::keys::write_key_file(&key_file, &fixture.issuer).unwrap();
        let genesis_file = write(
            dir.path(),
            "genesis.json",
            &serde_json::to_string(&genesis()).unwrap(),
        );
        let commitment = hex::encode(fixture.unconditional);
        let (code, credential, stderr) = yrd(&[
            "vc",
            "issue",
            "--key",
            key_file.to_str().unwrap(),
            "--commitment",
            &commitment,
            "--issuer",
            ISSUER_USCC,
            "--rpc",
            &rpc,
        ])
        .await;
        assert_eq!(code, 0, "{stderr}");
        let parsed: Value = serde_json::from_str(&credential).unwrap();
        let entries = parsed["credentialStatus"].as_array().unwrap();
        assert_eq!(entries.len(), 2, "{parsed}");
        for (entry, purpose) in entries.iter().zip(["revocation", "suspension"]) {
            assert_eq!(entry["type"], "BitstringStatusListEntry");
            assert_eq!(entry["statusPurpose"], purpose);
            assert_eq!(entry["statusListIndex"], "0");
            assert_eq!(
                entry["statusListCredential"],
                format!("{rpc}/status/{ISSUER_USCC}/{purpose}")
            );
        }
        let credential_file = write(dir.path(), "credential.json", &credential);
        let verify = |extra: Vec<String>| {
            let mut args: Vec<String> = [
                "vc",
                "verify",
                credential_file.as_str(),
                "--rpc",
                &rpc,
                "--genesis",
                &genesis_file,
            ]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
            args.extend(extra);
            async move {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                yrd(&args).await
            }
        };
        let (code, out, err) = verify(vec![]).await;
        assert_eq!(code, 0, "{out}{err}");
        assert!(
            out.contains("status revocation: index 0 not revoked"),
            "{out}"
        );
        assert!(out.contains("signed by validator did:key:z6Mk"), "{out}");

        // A conditional licence gets no entries (its status is not public).
        let (code, credential_c, stderr) = yrd(&[
            "vc",
            "issue",
            "--key",
            key_file.to_str().unwrap(),
            "--commitment",
            &hex::encode(fixture.conditional),
            "--issuer",
            ISSUER_USCC,
            "--rpc",
            &rpc,
        ])
        .await;
        assert_eq!(code, 0, "{stderr}");
        assert!(
            serde_json::from_str::<Value>(&credential_c).unwrap()["credentialStatus"].is_null()
        );
        assert!(stderr.contains("no credentialStatus"), "{stderr}");

        // A list signed by a key that is neither validator nor observer: refused, even though
        // its proof verifies and it says "not revoked".
        let stranger = serve(&fixture.node, key(77), test_config()).await;
        let (code, out, err) = verify(vec![
            "--status-from".into(),
            format!("http://{}", stranger.local_addr()),
        ])
        .await;
        assert_eq!(code, 4, "{out}{err}");
        assert!(
            out.contains("neither a validator nor a registered observer"),
            "{out}"
        );
        stranger.stop().await;

        // A list signed by a validator but shorter than 131,072 bits.
        let revocation = scope(&fixture, StatusPurpose::Revocation);
        let height = fixture.node.proof_anchor().unwrap().header.executed.height;
        let short = crafted_list(
            &revocation,
            &Bitstring::from_bytes(vec![0; 1024]),
            height,
            &validator(),
        );
        let short_addr = serve_static(short.to_string()).await;
        let (code, out, err) =
            verify(vec!["--status-from".into(), format!("http://{short_addr}")]).await;
        assert_eq!(code, 4, "{out}{err}");
        assert!(out.contains("STATUS_LIST_LENGTH_ERROR"), "{out}");

        // A validator's list that says "revoked" where the ledger, at the same height, says
        // active: the disagreement is reported, not either answer.
        let mut lying = Bitstring::new(3).unwrap();
        lying.set(0);
        let lie = crafted_list(&revocation, &lying, height, &validator());
        let lie_addr = serve_static(lie.to_string()).await;
        let (code, out, err) =
            verify(vec!["--status-from".into(), format!("http://{lie_addr}")]).await;
        assert_eq!(code, 4, "{out}{err}");
        assert!(out.contains("STATUS_VERIFICATION_ERROR"), "{out}");

        // A list that cannot be fetched.
        let (code, out, err) =
            verify(vec!["--status-from".into(), "http://127.0.0.1:9".into()]).await;
        assert_eq!(code, 4, "{out}{err}");
        assert!(out.contains("STATUS_RETRIEVAL_ERROR"), "{out}");

        // Revoked: the node's list says so, and the verdict is "not valid".
        let tx = fixture.issuer_tx(revoke(fixture.unconditional));
        fixture.node.commit(&[tx]);
        let (code, out, err) = verify(vec![]).await;
        assert_eq!(code, 3, "{out}{err}");
        assert!(out.contains("status revocation: index 0 REVOKED"), "{out}");
        assert!(
            out.contains("status suspension: index 0 not suspended"),
            "{out}"
        );
        server.stop().await;
    })
    .await;
}
