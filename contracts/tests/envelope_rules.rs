//! Rules every transaction obeys: chain id, expiry, nonce, signature, signer key, size, canonical
//! bytes, and block-level limits.

mod common;

use common::*;
use yrd_contracts::limits::{
    MAX_BLOCK_TXS, MAX_SERVICE_ENDPOINT_LEN, MAX_SERVICES, MIN_TX_BYTES_FLOOR,
};
use yrd_contracts::tx::{DidCreate, ServiceSpec, SubjectKind};
use yrd_contracts::types::Fragment;
use yrd_contracts::{
    BlockContext, BlockError, ChainId, LicenceTypeCode, Parameters, ProvinceCode, SignedTx,
    TxError, TxPayload,
};

fn timestamp_payload(n: u8) -> TxPayload {
    TxPayload::TimestampDocument {
        digest: [n; 32],
        acting_did: None,
    }
}

#[test]
fn wrong_chain_refused_and_nonce_not_consumed() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let mut body = chain.body(&sh, 0, timestamp_payload(1));
    body.chain_id = ChainId("yrd-other".into());
    let err = chain.submit(body.sign(&sh)).unwrap_err();
    assert_eq!(
        err,
        TxError::WrongChain {
            expected: CHAIN.into(),
            actual: "yrd-other".into()
        }
    );
    assert_eq!(err.code(), 103);
    assert_eq!(chain.nonce_of(&sh), 0);
}

#[test]
fn expiry_is_inclusive_of_its_height() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let height = chain.next_height();
    let mut at_limit = chain.body(&sh, 0, timestamp_payload(1));
    at_limit.expiry_height = height;
    assert_eq!(chain.submit(at_limit.sign(&sh)), Ok(()));

    let height = chain.next_height();
    let mut expired = chain.body(&sh, 1, timestamp_payload(2));
    expired.expiry_height = height - 1;
    assert_eq!(
        chain.submit(expired.sign(&sh)),
        Err(TxError::Expired {
            expiry_height: height - 1,
            height
        })
    );
}

#[test]
fn nonce_must_be_exactly_next_and_replays_fail() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let skip = chain.body(&sh, 1, timestamp_payload(1)).sign(&sh);
    assert_eq!(
        chain.submit(skip),
        Err(TxError::BadNonce {
            expected: 0,
            actual: 1
        })
    );
    let tx = chain.tx(&sh, timestamp_payload(1));
    assert_eq!(chain.submit(tx.clone()), Ok(()));
    assert_eq!(
        chain.submit(tx),
        Err(TxError::BadNonce {
            expected: 1,
            actual: 0
        })
    );
}

#[test]
fn failed_payload_consumes_the_nonce_so_it_cannot_be_replayed_later() {
    let mut chain = Chain::new();
    // An authority (it has a role) sends an issuer's payload: refused, but the nonce is spent.
    let stranger = authority(ProvinceCode::ANHUI);
    let code = LicenceTypeCode("BL01".into());
    let tx = chain.tx(&stranger, anchor([1; 32], &code, 0, 1));
    assert_eq!(chain.submit(tx.clone()).unwrap_err().code(), 302);
    assert_eq!(chain.nonce_of(&stranger), 1);
    assert_eq!(
        chain.submit(tx),
        Err(TxError::BadNonce {
            expected: 1,
            actual: 0
        })
    );
}

#[test]
fn bad_signature_refused() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let mut tx = chain.tx(&sh, timestamp_payload(1));
    tx.signature[3] ^= 0x40;
    assert_eq!(chain.submit(tx), Err(TxError::BadSignature));
    // Signed by another key than the one named.
    let tx = chain.body(&sh, 0, timestamp_payload(1)).sign(&key(77));
    assert_eq!(chain.submit(tx), Err(TxError::BadSignature));
    // The body changed after signing.
    let mut tx = chain.tx(&sh, timestamp_payload(1));
    tx.body.expiry_height += 1;
    assert_eq!(chain.submit(tx), Err(TxError::BadSignature));
    assert_eq!(chain.nonce_of(&sh), 0);
}

#[test]
fn weak_signer_key_refused() {
    let mut chain = Chain::new();
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let body = yrd_contracts::TxBody {
        chain_id: ChainId(CHAIN.into()),
        signer: identity,
        nonce: 0,
        expiry_height: 100,
        payload: timestamp_payload(1),
    };
    let tx = SignedTx {
        body,
        signature: [0; 64],
    };
    assert_eq!(chain.submit(tx).unwrap_err().code(), 107);
}

#[test]
fn size_limit_checked_at_the_limit() {
    let mut genesis = genesis();
    genesis.parameters = Parameters {
        max_tx_bytes: MIN_TX_BYTES_FLOOR - 1,
        ..Parameters::default()
    };
    // Below the floor: the genesis itself is refused.
    assert!(genesis.validate().is_err());
    genesis.parameters.max_tx_bytes = MIN_TX_BYTES_FLOOR;
    let mut chain = Chain::from_genesis(&genesis);
    let sh = authority(ProvinceCode::SHANGHAI);
    let limit = MIN_TX_BYTES_FLOOR as usize;
    // A DidCreate padded through its service endpoints to an exact encoded size.
    let tx_with = |chain: &Chain, last_len: usize| {
        let mut services: Vec<ServiceSpec> = (0..3)
            .map(|i| ServiceSpec {
                fragment: Fragment(format!("s{i}")),
                service_type: "LinkedDomains".into(),
                endpoint: format!("https://{}", "b".repeat(200)),
            })
            .collect();
        services.push(ServiceSpec {
            fragment: Fragment("last".into()),
            service_type: "LinkedDomains".into(),
            endpoint: format!("https://{}", "c".repeat(last_len)),
        });
        let payload = TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Organisation,
            controller_key: pk(&key(50)),
            services,
        });
        chain.tx(&sh, payload)
    };
    let base = tx_with(&chain, 1).to_bytes().len();
    assert!(base < limit);
    let at_limit = tx_with(&chain, 1 + limit - base);
    assert_eq!(at_limit.to_bytes().len(), limit);
    let over = tx_with(&chain, 2 + limit - base);
    assert_eq!(
        chain.submit(over),
        Err(TxError::TooLarge {
            len: limit + 1,
            limit
        })
    );
    assert_eq!(chain.submit(at_limit), Ok(()));
}

#[test]
fn list_limits_at_the_limit() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let services = |n: usize| -> Vec<ServiceSpec> {
        (0..n)
            .map(|i| ServiceSpec {
                fragment: Fragment(format!("s{i}")),
                service_type: "LinkedDomains".into(),
                endpoint: "https://example.org".into(),
            })
            .collect()
    };
    let create = |services| {
        TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Organisation,
            controller_key: pk(&key(50)),
            services,
        })
    };
    assert_eq!(
        chain.run(&sh, create(services(MAX_SERVICES + 1))),
        Err(TxError::ListTooLong {
            field: "services",
            len: MAX_SERVICES + 1,
            max: MAX_SERVICES
        })
    );
    assert_eq!(chain.run(&sh, create(services(MAX_SERVICES))), Ok(()));
    // Endpoint length at and over its limit.
    let endpoint = |len: usize| ServiceSpec {
        fragment: Fragment("e".into()),
        service_type: "LinkedDomains".into(),
        endpoint: format!("https://{}", "d".repeat(len - "https://".len())),
    };
    assert_eq!(
        chain.run(&sh, create(vec![endpoint(MAX_SERVICE_ENDPOINT_LEN)])),
        Ok(())
    );
    assert_eq!(
        chain
            .run(&sh, create(vec![endpoint(MAX_SERVICE_ENDPOINT_LEN + 1)]))
            .unwrap_err()
            .code(),
        200
    );
}

#[test]
fn non_canonical_and_malformed_bytes_refused() {
    let chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let tx = chain.tx(&sh, timestamp_payload(1));
    let bytes = tx.to_bytes();
    assert_eq!(SignedTx::from_bytes(&bytes), Ok(tx.clone()));

    // Trailing byte.
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(SignedTx::from_bytes(&trailing).unwrap_err().code(), 100);

    // The `acting_did` Option tag is the byte right before the signature; 2 is not a tag.
    let mut bad_option = bytes.clone();
    let tag_at = bytes.len() - 64 - 1;
    assert_eq!(bytes[tag_at], 0);
    bad_option[tag_at] = 2;
    assert!(matches!(
        SignedTx::from_bytes(&bad_option).unwrap_err().code(),
        100 | 101
    ));

    // An enum variant index past the last variant.
    let payload_at = 4 + CHAIN.len() + 32 + 8 + 8;
    let mut bad_variant = bytes.clone();
    bad_variant[payload_at] = 200;
    assert!(matches!(
        SignedTx::from_bytes(&bad_variant).unwrap_err().code(),
        100 | 101
    ));

    // A chain id whose length prefix claims more bytes than exist.
    let mut bad_len = bytes.clone();
    bad_len[0] = 0xff;
    assert!(SignedTx::from_bytes(&bad_len).is_err());

    // Invalid UTF-8 in the chain id.
    let mut bad_utf8 = bytes;
    bad_utf8[4] = 0xff;
    assert!(SignedTx::from_bytes(&bad_utf8).is_err());
}

#[test]
fn block_level_checks() {
    let mut chain = Chain::new();
    let sh = authority(ProvinceCode::SHANGHAI);
    let tx = chain.tx(&sh, timestamp_payload(1));
    let ctx = chain.context();
    let too_many = vec![tx; MAX_BLOCK_TXS + 1];
    assert_eq!(
        chain.state.apply_block(&ctx, &too_many).unwrap_err(),
        BlockError::TooManyTxs {
            count: MAX_BLOCK_TXS + 1,
            max: MAX_BLOCK_TXS
        }
    );
    let skipped = BlockContext {
        height: ctx.height + 1,
        ..ctx.clone()
    };
    assert!(matches!(
        chain.state.apply_block(&skipped, &[]),
        Err(BlockError::HeightMismatch { .. })
    ));
    let other_chain = BlockContext {
        chain_id: ChainId("yrd-other".into()),
        ..ctx.clone()
    };
    assert!(matches!(
        chain.state.apply_block(&other_chain, &[]),
        Err(BlockError::WrongChain { .. })
    ));
    // Nothing was written by the refused blocks.
    assert_eq!(chain.state.version(), 0);
    // A block at the limit is accepted (its duplicate transactions fail on the nonce).
    let tx = chain.tx(&sh, timestamp_payload(1));
    let at_limit = vec![tx; MAX_BLOCK_TXS];
    let outcome = chain.state.apply_block(&ctx, &at_limit).unwrap();
    assert_eq!(outcome.receipts[0].code, 0);
    assert!(outcome.receipts[1..].iter().all(|r| r.code == 105));
}

/// On `ed25519-blake3` a validator's network key is its validator key: a genesis that binds
/// another is refused, and every validator is its own network key.
#[test]
fn an_ed25519_genesis_lists_no_network_keys() {
    let mut genesis = genesis();
    let validator = genesis.authorities[0].validator_keys[0];
    assert_eq!(genesis.network_key(&validator), Some(validator));
    genesis.network_keys.push(yrd_contracts::NetworkKeyBinding {
        validator_key: validator,
        network_key: ed25519_dalek::SigningKey::from_bytes(&[99; 32])
            .verifying_key()
            .to_bytes(),
    });
    let error = genesis.validate().unwrap_err().to_string();
    assert!(error.contains("networkKeys"), "{error}");
}
