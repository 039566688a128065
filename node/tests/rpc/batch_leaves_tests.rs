//! `batch_submitLeaves` accepts leaves only from the issuer that anchored the batch (signed), never
//! lets one issuer's batch change what another issuer's holders are served, and bounds what one
//! issuer may keep with a node (`[rpc] max_batch_leaves_per_issuer`).

use ed25519_dalek::SigningKey;
use jsonrpsee::types::ErrorObjectOwned;
use serde_json::{Value, json};
use yrd_contracts::batch::BatchTree;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::tx::{AccreditIssuer, AnchorBatch, DidCreate, SubjectKind, TxPayload};
use yrd_contracts::types::LicenceTypeCode;
use yrd_contracts::{ChainId, DidId};
use yrd_node::rpc::RpcConfig;
use yrd_node::rpc::batch_leaves::sign_batch_leaves;
use yrd_node::rpc::error::{BATCH_LEAVES_NOT_SIGNED, BATCH_LEAVES_QUOTA, NOT_FOUND};

use yrd_testkit::sign_tx;

use crate::fake::EXPIRY_HEIGHT;
use crate::fixture::{Fixture, UNCONDITIONAL_TYPE, issuer_uscc, key};
use crate::{Harness, error_data, test_config, within};

/// A second Shanghai issuer, accredited for the unconditional type under its own USCC.
fn accredit_second_issuer(fixture: &Fixture) -> (SigningKey, Uscc) {
    let issuer = key(41);
    let uscc = Uscc::with_check_character("91310000MA1FL0002").unwrap();
    let did = DidId::derive(&fixture.shanghai.verifying_key().to_bytes(), 9);
    let outcome = fixture.node.commit(&[
        sign_tx(
            &fixture.chain,
            &fixture.shanghai,
            9,
            TxPayload::DidCreate(DidCreate {
                subject: SubjectKind::Issuer,
                controller_key: issuer.verifying_key().to_bytes(),
                services: Vec::new(),
            }),
            EXPIRY_HEIGHT,
        ),
        sign_tx(
            &fixture.chain,
            &fixture.shanghai,
            10,
            TxPayload::AccreditIssuer(AccreditIssuer {
                issuer_key: issuer.verifying_key().to_bytes(),
                issuer_did: did,
                uscc: uscc.clone(),
                licence_types: vec![LicenceTypeCode(UNCONDITIONAL_TYPE.into())],
            }),
            EXPIRY_HEIGHT,
        ),
    ]);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    (issuer, uscc)
}

/// Anchors a batch of `leaves` signed by `issuer` with `nonce`; returns its tree.
fn anchor_batch(
    fixture: &Fixture,
    issuer: &SigningKey,
    nonce: u64,
    leaves: &[[u8; 32]],
) -> BatchTree {
    let tree = BatchTree::build(leaves.to_vec()).unwrap();
    let outcome = fixture.node.commit(&[sign_tx(
        &fixture.chain,
        issuer,
        nonce,
        TxPayload::AnchorBatch(AnchorBatch {
            root: tree.root(),
            count: leaves.len() as u64,
            licence_type: LicenceTypeCode(UNCONDITIONAL_TYPE.into()),
        }),
        EXPIRY_HEIGHT,
    )]);
    assert!(outcome.errors.is_empty(), "{:?}", outcome.errors);
    tree
}

async fn submit(
    h: &Harness,
    issuer: &Uscc,
    leaves: &[[u8; 32]],
    signature: [u8; 64],
) -> Result<Value, ErrorObjectOwned> {
    let hex_leaves: Vec<String> = leaves.iter().map(hex::encode).collect();
    h.call(
        "batch_submitLeaves",
        json!({ "issuer": issuer.to_string(), "leaves": hex_leaves, "signature": hex::encode(signature) }),
    )
    .await
}

fn signed(
    key: &SigningKey,
    chain: &ChainId,
    issuer: &Uscc,
    tree: &BatchTree,
    leaves: &[[u8; 32]],
) -> [u8; 64] {
    sign_batch_leaves(key, chain, issuer, &tree.root(), leaves)
}

async fn inclusion_root(
    h: &Harness,
    issuer: &Uscc,
    commitment: [u8; 32],
) -> Result<Value, ErrorObjectOwned> {
    h.call(
        "batch_getInclusionProof",
        json!({ "issuer": issuer.to_string(), "commitment": hex::encode(commitment) }),
    )
    .await
    .map(|inclusion| inclusion["root"].clone())
}

#[tokio::test]
async fn batch_leaves_not_signed_by_the_anchoring_issuer_are_refused() {
    within(async {
        let h = Harness::start().await;
        let (other, _) = accredit_second_issuer(&h.fixture);
        let leaves: Vec<[u8; 32]> = (0u8..4).map(|i| [0x50 + i; 32]).collect();
        let issuer = issuer_uscc();
        let tree = anchor_batch(
            &h.fixture,
            &h.fixture.issuer,
            h.fixture.issuer_nonce,
            &leaves,
        );
        let chain = &h.fixture.chain;

        // Another accredited issuer, a role-less key, and the right key over another chain or
        // other leaves: all refused, and nothing is kept.
        let forgeries = [
            signed(&other, chain, &issuer, &tree, &leaves),
            signed(&key(99), chain, &issuer, &tree, &leaves),
            signed(
                &h.fixture.issuer,
                &ChainId("another-chain".into()),
                &issuer,
                &tree,
                &leaves,
            ),
            signed(&h.fixture.issuer, chain, &issuer, &tree, &leaves[..3]),
        ];
        for signature in forgeries {
            let error = submit(&h, &issuer, &leaves, signature).await.unwrap_err();
            assert_eq!(error.code(), BATCH_LEAVES_NOT_SIGNED, "{}", error.message());
        }
        let error = inclusion_root(&h, &issuer, leaves[0]).await.unwrap_err();
        assert_eq!(error.code(), NOT_FOUND);

        // The genuine issuer's signature is accepted; submitting again is a no-op.
        let genuine = signed(&h.fixture.issuer, chain, &issuer, &tree, &leaves);
        for _ in 0..2 {
            let kept = submit(&h, &issuer, &leaves, genuine).await.unwrap();
            assert_eq!(kept["root"], hex::encode(tree.root()));
            assert_eq!(kept["count"], 4);
        }
        assert_eq!(
            inclusion_root(&h, &issuer, leaves[2]).await.unwrap(),
            hex::encode(tree.root())
        );
    })
    .await;
}

#[tokio::test]
async fn another_issuers_batch_holding_the_same_commitment_cannot_replace_the_leaf_index() {
    within(async {
        let h = Harness::start().await;
        let (other, other_uscc) = accredit_second_issuer(&h.fixture);
        let chain = &h.fixture.chain;
        let issuer = issuer_uscc();
        let genuine_leaves: Vec<[u8; 32]> = (0u8..3).map(|i| [0x60 + i; 32]).collect();
        let genuine = anchor_batch(
            &h.fixture,
            &h.fixture.issuer,
            h.fixture.issuer_nonce,
            &genuine_leaves,
        );
        submit(
            &h,
            &issuer,
            &genuine_leaves,
            signed(&h.fixture.issuer, chain, &issuer, &genuine, &genuine_leaves),
        )
        .await
        .unwrap();

        // The attacker anchors its own batch containing the genuine commitment and submits it,
        // signed with its own key: accepted for its own USCC only.
        let attack_leaves = vec![genuine_leaves[0], [0x6f; 32]];
        let attack = anchor_batch(&h.fixture, &other, 0, &attack_leaves);
        submit(
            &h,
            &other_uscc,
            &attack_leaves,
            signed(&other, chain, &other_uscc, &attack, &attack_leaves),
        )
        .await
        .unwrap();
        // Holders of the genuine issuer are still served the genuine batch.
        assert_eq!(
            inclusion_root(&h, &issuer, genuine_leaves[0])
                .await
                .unwrap(),
            hex::encode(genuine.root())
        );
        assert_eq!(
            inclusion_root(&h, &other_uscc, genuine_leaves[0])
                .await
                .unwrap(),
            hex::encode(attack.root())
        );
        // Naming the genuine issuer for the attacker's batch finds no anchored batch.
        let error = submit(
            &h,
            &issuer,
            &attack_leaves,
            signed(&other, chain, &issuer, &attack, &attack_leaves),
        )
        .await
        .unwrap_err();
        assert_eq!(error.code(), NOT_FOUND, "{}", error.message());
        assert_eq!(
            inclusion_root(&h, &issuer, genuine_leaves[0])
                .await
                .unwrap(),
            hex::encode(genuine.root())
        );
    })
    .await;
}

#[tokio::test]
async fn an_issuer_over_its_kept_leaves_limit_is_refused_and_others_are_not_affected() {
    within(async {
        let config = RpcConfig {
            max_batch_leaves_per_issuer: 5,
            ..test_config()
        };
        let h = Harness::start_with(config, Fixture::build()).await;
        let (other, other_uscc) = accredit_second_issuer(&h.fixture);
        let chain = &h.fixture.chain;
        let issuer = issuer_uscc();
        let mut nonce = h.fixture.issuer_nonce;
        let mut keep = |leaves: Vec<[u8; 32]>| {
            let tree = anchor_batch(&h.fixture, &h.fixture.issuer, nonce, &leaves);
            nonce += 1;
            let signature = signed(&h.fixture.issuer, chain, &issuer, &tree, &leaves);
            (leaves, signature)
        };
        // 3 + 2 leaves: exactly at the limit.
        let (first, first_signature) = keep((0u8..3).map(|i| [0x70 + i; 32]).collect());
        let (second, second_signature) = keep((0u8..2).map(|i| [0x78 + i; 32]).collect());
        let (third, third_signature) = keep(vec![[0x7f; 32]]);
        submit(&h, &issuer, &first, first_signature).await.unwrap();
        submit(&h, &issuer, &second, second_signature)
            .await
            .unwrap();
        // One more leaf is over it.
        let error = submit(&h, &issuer, &third, third_signature)
            .await
            .unwrap_err();
        assert_eq!(error.code(), BATCH_LEAVES_QUOTA, "{}", error.message());
        assert_eq!(error_data(&error), json!({ "kept": 5, "max": 5 }));
        assert_eq!(
            inclusion_root(&h, &issuer, third[0])
                .await
                .unwrap_err()
                .code(),
            NOT_FOUND
        );
        // A batch already kept is not counted again.
        submit(&h, &issuer, &first, first_signature).await.unwrap();
        // Another issuer's allowance is its own.
        let other_leaves: Vec<[u8; 32]> = (0u8..5).map(|i| [0x90 + i; 32]).collect();
        let other_tree = anchor_batch(&h.fixture, &other, 0, &other_leaves);
        submit(
            &h,
            &other_uscc,
            &other_leaves,
            signed(&other, chain, &other_uscc, &other_tree, &other_leaves),
        )
        .await
        .unwrap();
    })
    .await;
}
