//! The state machine on the national suite (ADR 019). This test binary installs `sm2-sm3` before
//! anything hashes; each ledger hash is recomputed here with plain SM3 calls from
//! docs/PROOFS.md section 12, and transactions must carry SM2 signatures.

use ed25519_dalek::SigningKey;
use sm3::{Digest, Sm3};
use yrd_consensus::crypto::sm2::Sm2Signer;
use yrd_consensus::{CryptoSuite, Signer as _};
use yrd_contracts::batch::batch_root;
use yrd_contracts::envelope::check_signer_key;
use yrd_contracts::hashing::{TX_HASH_CONTEXT, derive_hash};
use yrd_contracts::licence_id::{LICENCE_COMMITMENT_TAG, licence_commitment, parse};
use yrd_contracts::tree::{MemoryTreeStore, StateTree};
use yrd_contracts::types::Fragment;
use yrd_contracts::{ChainId, TxBody, TxError, TxPayload};

fn install() {
    if let Err(error) = CryptoSuite::install(CryptoSuite::Sm2Sm3) {
        panic!("{error}");
    }
}

fn sm3(parts: &[&[u8]]) -> [u8; 32] {
    let mut hasher = Sm3::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize().into()
}

fn body(signer: [u8; 32]) -> TxBody {
    TxBody {
        chain_id: ChainId("yrd-sm-test".into()),
        signer,
        nonce: 0,
        expiry_height: 10,
        payload: TxPayload::DidRemoveService {
            did: yrd_contracts::DidId([1; 16]),
            fragment: Fragment("svc".into()),
        },
    }
}

#[test]
fn every_hash_is_sm3_as_specified() {
    install();
    // Derived hashes: SM3(len(context) ‖ context ‖ parts).
    let context_len = [TX_HASH_CONTEXT.len() as u8];
    assert_eq!(
        derive_hash(TX_HASH_CONTEXT, &[b"ab", b"c"]),
        sm3(&[&context_len, TX_HASH_CONTEXT.as_bytes(), b"abc"])
    );
    // Licence commitments: SM3(tag ‖ u32_le(len) ‖ id ‖ salt).
    let text = "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0";
    let id = parse(text).unwrap();
    let salt = [5u8; 32];
    let len = (text.len() as u32).to_le_bytes();
    assert_eq!(
        licence_commitment(&id, &salt),
        sm3(&[LICENCE_COMMITMENT_TAG, &len, text.as_bytes(), &salt])
    );
    // A batch of one: root = SM3(root tag ‖ u64_le(1) ‖ SM3(leaf tag ‖ c)).
    let leaf = sm3(&[b"yrd-ledger/batch-leaf/v1", &[9; 32]]);
    assert_eq!(
        batch_root(&[[9; 32]]).unwrap(),
        sm3(&[b"yrd-ledger/batch-root/v1", &1u64.to_le_bytes(), &leaf])
    );
    // The state tree a node opens by default is the SM3 tree (golden root of tree_sm3.rs).
    let mut tree = StateTree::new(MemoryTreeStore::new());
    let root = tree
        .apply(
            0,
            vec![
                (b"licence/0001".to_vec(), Some(b"active".to_vec())),
                (b"licence/0002".to_vec(), Some(b"revoked".to_vec())),
                (b"issuer/31".to_vec(), Some(vec![1, 2, 3])),
            ],
        )
        .unwrap();
    assert_eq!(
        root.to_string(),
        "7cdc9a2fdccb9598d7c8082b1f3d2be11eb67a12f94aee7930c60f59a0511224"
    );
    let (value, proof) = tree.get_with_proof(b"issuer/31", 0).unwrap();
    assert_eq!(proof.verify(&root, b"issuer/31", value.as_deref()), Ok(()));
}

#[test]
fn transactions_need_sm2_signatures() {
    install();
    let signer = Sm2Signer::from_secret_bytes(&[3; 32]).unwrap();
    let tx = body(signer.public_key().0).sign_with(&signer);
    assert_eq!(tx.verify_signature(), Ok(()));
    // The transaction hash is the SM3 derived hash of the envelope.
    let context_len = [TX_HASH_CONTEXT.len() as u8];
    assert_eq!(
        tx.hash(),
        sm3(&[&context_len, TX_HASH_CONTEXT.as_bytes(), &tx.to_bytes()])
    );
    let mut tampered = tx.clone();
    tampered.body.nonce = 1;
    assert_eq!(tampered.verify_signature(), Err(TxError::BadSignature));

    // An ed25519 key and signature, valid on an ed25519-blake3 chain, are refused here.
    let ed = SigningKey::from_bytes(&[3; 32]);
    let ed_tx = body(ed.verifying_key().to_bytes()).sign(&ed);
    assert!(ed_tx.verify_signature().is_err());
}

#[test]
fn a_key_that_names_no_curve_point_is_refused() {
    install();
    let off_curve = (0u8..=255)
        .map(|b| [b; 32])
        .find(|key| check_signer_key(key).is_err())
        .unwrap();
    assert!(matches!(
        check_signer_key(&off_curve),
        Err(TxError::InvalidSignerKey { .. })
    ));
    let signer = Sm2Signer::from_secret_bytes(&[4; 32]).unwrap();
    assert_eq!(check_signer_key(&signer.public_key().0), Ok(()));
}

/// DID documents name SM2 keys as `sm2-pub` Multikeys (multicodec 0x1206, the compressed point
/// with even y), never as ed25519 keys.
#[test]
fn did_documents_carry_sm2_multikeys() {
    install();
    let signer = Sm2Signer::from_secret_bytes(&[6; 32]).unwrap();
    let key = signer.public_key().0;
    let multibase = yrd_contracts::did_id::key_multibase(&key);
    let decoded = bs58::decode(multibase.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    assert_eq!(&decoded[..3], &[0x86, 0x24, 0x02]);
    assert_eq!(&decoded[3..], &key);
    assert_eq!(decoded.len(), 35);
}

/// A genesis that names another suite than the process runs on is refused before any key is
/// read; the same genesis naming this suite, with SM2 keys, is accepted.
#[test]
fn a_genesis_on_the_other_suite_is_refused() {
    install();
    let keys: Vec<[u8; 32]> = (1..=5u8)
        .map(|i| {
            Sm2Signer::from_secret_bytes(&[i; 32])
                .unwrap()
                .public_key()
                .0
        })
        .collect();
    let mut genesis = yrd_contracts::Genesis {
        chain_id: ChainId("yrd-sm-test".into()),
        genesis_time_ms: 1_750_000_000_000,
        authorities: vec![yrd_contracts::GenesisAuthority {
            province: yrd_contracts::ProvinceCode::SHANGHAI,
            authority_key: keys[0],
            validator_keys: keys[1..].to_vec(),
        }],
        parameters: yrd_contracts::Parameters::default(),
        crypto_suite: CryptoSuite::Sm2Sm3,
        network_keys: Vec::new(),
    };
    assert_eq!(genesis.validate(), Ok(()));
    genesis.crypto_suite = CryptoSuite::Ed25519Blake3;
    let refused = genesis.validate().unwrap_err();
    assert!(refused.to_string().contains("cryptoSuite"), "{refused}");
    // The file form names the suite; the ed25519 default is never written.
    genesis.crypto_suite = CryptoSuite::Sm2Sm3;
    let json = serde_json::to_value(&genesis).unwrap();
    assert_eq!(json["cryptoSuite"], "sm2-sm3");
    genesis.crypto_suite = CryptoSuite::Ed25519Blake3;
    assert!(
        serde_json::to_value(&genesis)
            .unwrap()
            .get("cryptoSuite")
            .is_none()
    );
}

/// A genesis lists each SM2 validator's ed25519 network key once (ADR 020): a binding to a key
/// that is no genesis validator, a validator bound twice, a network key shared by two
/// validators, or a network key that is no ed25519 point is refused; the bindings stay out of
/// the genesis hash's encoding, and an ed25519 chain lists none.
#[test]
fn genesis_network_keys_bind_each_validator_once() {
    install();
    let keys: Vec<[u8; 32]> = (1..=4u8)
        .map(|i| {
            Sm2Signer::from_secret_bytes(&[i; 32])
                .unwrap()
                .public_key()
                .0
        })
        .collect();
    let network = |i: u8| SigningKey::from_bytes(&[i; 32]).verifying_key().to_bytes();
    let bind = |validator_key, network_key| yrd_contracts::NetworkKeyBinding {
        validator_key,
        network_key,
    };
    let genesis = yrd_contracts::Genesis {
        chain_id: ChainId("yrd-sm-test".into()),
        genesis_time_ms: 1_750_000_000_000,
        authorities: vec![yrd_contracts::GenesisAuthority {
            province: yrd_contracts::ProvinceCode::SHANGHAI,
            authority_key: keys[0],
            validator_keys: keys[1..].to_vec(),
        }],
        parameters: yrd_contracts::Parameters::default(),
        crypto_suite: CryptoSuite::Sm2Sm3,
        network_keys: vec![bind(keys[1], network(11)), bind(keys[2], network(12))],
    };
    assert_eq!(genesis.validate(), Ok(()));
    assert_eq!(genesis.network_key(&keys[1]), Some(network(11)));
    assert_eq!(genesis.network_key(&keys[3]), None);
    // The file names them; borsh (the genesis hash's input) does not.
    let json = serde_json::to_value(&genesis).unwrap();
    assert_eq!(
        json["networkKeys"][0]["networkKey"],
        hex::encode(network(11))
    );
    let mut unbound = genesis.clone();
    unbound.network_keys.clear();
    assert_eq!(
        borsh::to_vec(&genesis).unwrap(),
        borsh::to_vec(&unbound).unwrap()
    );

    let refused = |edit: &dyn Fn(&mut yrd_contracts::Genesis)| {
        let mut bad = genesis.clone();
        edit(&mut bad);
        bad.validate().unwrap_err().to_string()
    };
    let error = refused(&|g| g.network_keys.push(bind(keys[0], network(13))));
    assert!(error.contains("not a genesis validator"), "{error}");
    let error = refused(&|g| g.network_keys.push(bind(keys[1], network(13))));
    assert!(error.contains("listed twice"), "{error}");
    let error = refused(&|g| g.network_keys.push(bind(keys[3], network(11))));
    assert!(error.contains("network key"), "{error}");
    let mut not_a_point = [0u8; 32];
    not_a_point[0] = 2;
    let error = refused(&|g| g.network_keys.push(bind(keys[3], not_a_point)));
    assert!(error.contains("network key of"), "{error}");
}
