//! Throughput of signed `AnchorLicence` transactions through `apply_block`, beside this machine's
//! own single-core ed25519 `verify_strict` rate measured in the same run.
//!
//! `cargo bench -p yrd-contracts` prints one table: transactions applied per second with
//! individual verification, with the exact batch fast path, and with signatures pre-verified
//! (the state machine alone), each also as a fraction of the verification ceiling.
// A benchmark measures wall-clock time by definition; the crate's clock ban is for its library.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::time::Instant;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use yrd_contracts::tree::MemoryTreeStore;
use yrd_contracts::tx::{AccreditIssuer, AnchorLicence, DidCreate, LicenceTypeSpec, SubjectKind};
use yrd_contracts::{
    BlockContext, ChainId, DataClass, DidId, Genesis, GenesisAuthority, LicenceTypeCode,
    Parameters, ProvinceCode, SignedTx, State, TxBody, TxPayload,
};

const CHAIN: &str = "yrd-bench";
const TXS: usize = 4_000;
const BLOCK_TXS: usize = 1_000;
const ISSUERS: usize = 8;
const RUNS: usize = 3;

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

/// A distinct valid Shanghai USCC per issuer: `91310000` + eight digits + `0` + check.
fn bench_uscc(n: u64) -> yrd_contracts::licence_id::Uscc {
    yrd_contracts::licence_id::Uscc::with_check_character(&format!("91310000{n:08}0"))
        .expect("valid USCC")
}

fn signed(signer: &SigningKey, nonce: u64, payload: TxPayload) -> SignedTx {
    TxBody {
        chain_id: ChainId(CHAIN.into()),
        signer: signer.verifying_key().to_bytes(),
        nonce,
        expiry_height: u64::MAX,
        payload,
    }
    .sign(signer)
}

/// A state at height 1 with `ISSUERS` Shanghai issuers accredited for `BL01`.
fn fresh_state(issuers: &[SigningKey]) -> (State<MemoryTreeStore>, u64) {
    let authority = key(1);
    let genesis = Genesis {
        chain_id: ChainId(CHAIN.into()),
        genesis_time_ms: 1_735_689_600_000,
        authorities: vec![GenesisAuthority {
            province: ProvinceCode::SHANGHAI,
            authority_key: authority.verifying_key().to_bytes(),
            validator_keys: vec![key(2).verifying_key().to_bytes()],
        }],
        parameters: Parameters::default(),
        crypto_suite: yrd_consensus::CryptoSuite::default(),
        network_keys: Vec::new(),
    };
    let (mut state, _) = State::genesis(&genesis, MemoryTreeStore::new()).expect("genesis");
    let code = LicenceTypeCode("BL01".into());
    let mut txs = vec![signed(
        &authority,
        0,
        TxPayload::RegisterLicenceType(LicenceTypeSpec {
            code: code.clone(),
            name: "营业执照".into(),
            schema_digest: [0; 32],
            data_class: DataClass::Unconditional,
            on_issuer_revoked: Default::default(),
        }),
    )];
    let mut nonce = 1;
    for issuer in issuers {
        let did = DidId::derive(&authority.verifying_key().to_bytes(), nonce);
        let create = TxPayload::DidCreate(DidCreate {
            subject: SubjectKind::Issuer,
            controller_key: issuer.verifying_key().to_bytes(),
            services: vec![],
        });
        txs.push(signed(&authority, nonce, create));
        let accredit = TxPayload::AccreditIssuer(AccreditIssuer {
            issuer_key: issuer.verifying_key().to_bytes(),
            issuer_did: did,
            uscc: bench_uscc(nonce),
            licence_types: vec![code.clone()],
        });
        txs.push(signed(&authority, nonce + 1, accredit));
        nonce += 2;
    }
    let ctx = context(1);
    let outcome = state.apply_block(&ctx, &txs).expect("setup block");
    assert!(
        outcome.errors.is_empty(),
        "setup failed: {:?}",
        outcome.errors
    );
    (state, 2)
}

fn context(height: u64) -> BlockContext {
    BlockContext {
        height,
        block_time_ms: 1_735_689_600_000 + height * 1_000,
        chain_id: ChainId(CHAIN.into()),
        epoch: 0,
    }
}

fn anchoring_txs(issuers: &[SigningKey]) -> Vec<SignedTx> {
    let code = LicenceTypeCode("BL01".into());
    (0..TXS)
        .map(|i| {
            let issuer = &issuers[i % issuers.len()];
            let nonce = (i / issuers.len()) as u64;
            let commitment = *blake3::hash(&(i as u64).to_le_bytes()).as_bytes();
            let payload = TxPayload::AnchorLicence(AnchorLicence {
                commitment,
                licence_type: code.clone(),
                valid_from_ms: 1_735_689_600_000,
                valid_until_ms: 1_767_225_600_000,
            });
            signed(issuer, nonce, payload)
        })
        .collect()
}

#[derive(Clone, Copy)]
enum Mode {
    Individual,
    Batch,
    Preverified,
}

/// Best-of-`RUNS` transactions per second applying every transaction in blocks of `BLOCK_TXS`.
fn apply_rate(issuers: &[SigningKey], txs: &[SignedTx], mode: Mode) -> f64 {
    let verified: std::collections::BTreeSet<[u8; 32]> = txs.iter().map(SignedTx::hash).collect();
    let mut best = f64::MAX;
    for _ in 0..RUNS {
        let (mut state, mut height) = fresh_state(issuers);
        let start = Instant::now();
        for block in txs.chunks(BLOCK_TXS) {
            let ctx = context(height);
            let outcome = match mode {
                Mode::Individual => state.apply_block(&ctx, block),
                Mode::Batch => state.apply_block_batch_verified(&ctx, block),
                Mode::Preverified => state.apply_block_preverified(&ctx, block, &verified),
            }
            .expect("block");
            assert!(
                outcome.errors.is_empty(),
                "anchoring failed: {:?}",
                outcome.errors.first()
            );
            height += 1;
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    txs.len() as f64 / best
}

/// Best-of-`RUNS` single-core `verify_strict` calls per second over `TXS` distinct signatures.
fn verify_strict_rate() -> f64 {
    let keys: Vec<SigningKey> = (0..16u8).map(|i| key(100 + i)).collect();
    let items: Vec<(VerifyingKey, Vec<u8>, Signature)> = (0..TXS)
        .map(|i| {
            let k = &keys[i % keys.len()];
            let message = format!(
                "anchoring transaction body number {i:08} with some typical length padding......"
            )
            .into_bytes();
            let signature = k.sign(&message);
            (k.verifying_key(), message, signature)
        })
        .collect();
    let mut best = f64::MAX;
    for _ in 0..RUNS {
        let start = Instant::now();
        for (k, m, s) in &items {
            assert!(k.verify_strict(m, s).is_ok());
        }
        best = best.min(start.elapsed().as_secs_f64());
    }
    items.len() as f64 / best
}

/// Single-core rates of the pieces of the batch path: raw dalek `verify_batch` (cofactorless, not
/// the rule) and the per-signature torsion check that makes the fast path exact.
fn component_rates() -> (f64, f64) {
    let k = key(150);
    let items: Vec<(Vec<u8>, Signature)> = (0..TXS)
        .map(|i| {
            let message = format!("component {i}").into_bytes();
            let signature = k.sign(&message);
            (message, signature)
        })
        .collect();
    let messages: Vec<&[u8]> = items.iter().map(|(m, _)| m.as_slice()).collect();
    let signatures: Vec<Signature> = items.iter().map(|(_, s)| *s).collect();
    let keys = vec![k.verifying_key(); items.len()];
    let start = Instant::now();
    for chunk in 0..(items.len() / BLOCK_TXS) {
        let range = chunk * BLOCK_TXS..(chunk + 1) * BLOCK_TXS;
        assert!(
            ed25519_dalek::verify_batch(
                &messages[range.clone()],
                &signatures[range.clone()],
                &keys[range]
            )
            .is_ok()
        );
    }
    let batch_rate = items.len() as f64 / start.elapsed().as_secs_f64();
    let points: Vec<curve25519_dalek::edwards::EdwardsPoint> = signatures
        .iter()
        .map(|s| {
            curve25519_dalek::edwards::CompressedEdwardsY(s.r_bytes().to_owned())
                .decompress()
                .expect("R")
        })
        .collect();
    let start = Instant::now();
    for p in &points {
        assert!(yrd_contracts::sigverify::is_torsion_free(p));
    }
    let torsion_rate = points.len() as f64 / start.elapsed().as_secs_f64();
    (batch_rate, torsion_rate)
}

fn main() {
    let issuers: Vec<SigningKey> = (0..ISSUERS as u8).map(|i| key(10 + i)).collect();
    let txs = anchoring_txs(&issuers);
    let ceiling = verify_strict_rate();
    let individual = apply_rate(&issuers, &txs, Mode::Individual);
    let batch = apply_rate(&issuers, &txs, Mode::Batch);
    let preverified = apply_rate(&issuers, &txs, Mode::Preverified);
    let (raw_batch, torsion) = component_rates();
    println!(
        "yrd-contracts apply benchmark: {TXS} signed AnchorLicence txs, blocks of {BLOCK_TXS}, best of {RUNS}, one core"
    );
    println!("{:<58} {:>12} {:>10}", "measure", "per second", "/ceiling");
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "ed25519 verify_strict (this machine, single core)", ceiling, 1.0
    );
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "apply_block, verify_strict per tx",
        individual,
        individual / ceiling
    );
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "apply_block, exact batch fast path",
        batch,
        batch / ceiling
    );
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "apply_block, signatures pre-verified (state machine only)",
        preverified,
        preverified / ceiling
    );
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "  component: dalek verify_batch, 1000/batch (not the rule)",
        raw_batch,
        raw_batch / ceiling
    );
    println!(
        "{:<58} {:>12.0} {:>10.2}",
        "  component: torsion check of R (needed for exactness)",
        torsion,
        torsion / ceiling
    );
}
