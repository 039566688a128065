//! Property tests: canonical encoding round trips, and determinism of block application.

mod common;

use std::collections::BTreeMap;

use common::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use yrd_contracts::batch::BatchProof;
use yrd_contracts::tx::{
    AnchorBatch, AnchorLicence, BatchMembership, DeclareRecognition, DidCreate, GovernanceAction,
    LicenceStatusChange, LicenceTarget, RecognitionCondition, ServiceSpec, StatusReason,
    SubjectKind,
};
use yrd_contracts::types::Fragment;
use yrd_contracts::{
    ChainId, DidId, LicenceTypeCode, Parameters, ProvinceCode, SignedTx, TxBody, TxPayload,
};

fn reason() -> impl Strategy<Value = StatusReason> {
    prop_oneof![
        Just(StatusReason::Unspecified),
        Just(StatusReason::Fraud),
        Just(StatusReason::Renewal),
        Just(StatusReason::CourtOrder)
    ]
}

fn type_code() -> impl Strategy<Value = LicenceTypeCode> {
    "[A-Z0-9]{1,8}".prop_map(LicenceTypeCode)
}

fn target() -> impl Strategy<Value = LicenceTarget> {
    (
        any::<[u8; 32]>(),
        proptest::option::of((
            any::<[u8; 32]>(),
            any::<u64>(),
            any::<u64>(),
            proptest::collection::vec(any::<[u8; 32]>(), 0..4),
        )),
    )
        .prop_map(|(commitment, batch)| LicenceTarget {
            issuer: issuer_uscc(ProvinceCode::SHANGHAI, &key(21)),
            commitment,
            batch: batch.map(|(root, index, count, siblings)| BatchMembership {
                root,
                proof: BatchProof {
                    index,
                    count,
                    siblings,
                },
            }),
        })
}

fn payload() -> impl Strategy<Value = TxPayload> {
    prop_oneof![
        (any::<u32>(), any::<[u8; 32]>()).prop_map(|(p, k)| TxPayload::Propose(
            GovernanceAction::AddMember {
                province: ProvinceCode(p),
                authority_key: k
            }
        )),
        (any::<u32>(), any::<u32>(), any::<u64>(), any::<u32>()).prop_map(|(n, d, ttl, max)| {
            TxPayload::Propose(GovernanceAction::SetParameters(Parameters {
                quorum_numerator: n,
                quorum_denominator: d,
                proposal_ttl_blocks: ttl,
                max_tx_bytes: max,
            }))
        }),
        (any::<u64>(), any::<bool>()).prop_map(|(proposal_id, approve)| TxPayload::Vote {
            proposal_id,
            approve
        }),
        (any::<[u8; 32]>(), reason())
            .prop_map(|(issuer, reason)| TxPayload::SuspendIssuer { issuer, reason }),
        (any::<[u8; 32]>(), type_code(), any::<u64>(), any::<u64>()).prop_map(
            |(commitment, licence_type, f, u)| {
                TxPayload::AnchorLicence(AnchorLicence {
                    commitment,
                    licence_type,
                    valid_from_ms: f,
                    valid_until_ms: u,
                })
            }
        ),
        (any::<[u8; 32]>(), any::<u64>(), type_code()).prop_map(|(root, count, licence_type)| {
            TxPayload::AnchorBatch(AnchorBatch {
                root,
                count,
                licence_type,
            })
        }),
        (target(), reason()).prop_map(|(target, reason)| TxPayload::RevokeLicence(
            LicenceStatusChange { target, reason }
        )),
        (
            type_code(),
            any::<u32>(),
            proptest::option::of(any::<u32>())
        )
            .prop_map(|(licence_type, p, days)| {
                TxPayload::DeclareRecognition(DeclareRecognition {
                    licence_type,
                    issuing_province: ProvinceCode(p),
                    condition: days
                        .map(|days| RecognitionCondition::MinRemainingValidityDays { days }),
                })
            }),
        (
            any::<[u8; 32]>(),
            proptest::collection::vec(("[a-z0-9-]{1,8}", "\\PC{0,20}"), 0..3)
        )
            .prop_map(|(k, services)| {
                TxPayload::DidCreate(DidCreate {
                    subject: SubjectKind::Verifier,
                    controller_key: k,
                    services: services
                        .into_iter()
                        .map(|(f, e)| ServiceSpec {
                            fragment: Fragment(f),
                            service_type: "T".into(),
                            endpoint: e,
                        })
                        .collect(),
                })
            }),
        (any::<[u8; 16]>(), any::<[u8; 16]>()).prop_map(|(d, c)| TxPayload::DidAddController {
            did: DidId(d),
            controller: DidId(c)
        }),
        (any::<[u8; 32]>(), proptest::option::of(any::<[u8; 16]>())).prop_map(|(digest, d)| {
            TxPayload::TimestampDocument {
                digest,
                acting_did: d.map(DidId),
            }
        }),
        any::<[u8; 16]>().prop_map(|d| TxPayload::RegisterVerifier { verifier: DidId(d) }),
    ]
}

fn signed_tx() -> impl Strategy<Value = SignedTx> {
    (
        "[a-z0-9-]{1,16}",
        any::<[u8; 32]>(),
        any::<u64>(),
        any::<u64>(),
        payload(),
        proptest::collection::vec(any::<u8>(), 64),
    )
        .prop_map(
            |(chain, signer, nonce, expiry_height, payload, signature)| SignedTx {
                body: TxBody {
                    chain_id: ChainId(chain),
                    signer,
                    nonce,
                    expiry_height,
                    payload,
                },
                signature: signature.try_into().unwrap(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_decode_round_trip(tx in signed_tx()) {
        let bytes = tx.to_bytes();
        prop_assert_eq!(SignedTx::from_bytes(&bytes), Ok(tx.clone()));
        prop_assert_eq!(SignedTx::from_bytes(&bytes).unwrap().hash(), tx.hash());
    }

    /// A mutated encoding either fails to decode or decodes to a value whose one encoding is
    /// exactly the mutated bytes: no two byte strings decode to the same value.
    #[test]
    fn mutations_never_yield_a_second_encoding(tx in signed_tx(), at in any::<usize>(), byte in any::<u8>()) {
        let mut bytes = tx.to_bytes();
        let at = at % bytes.len();
        bytes[at] = byte;
        if let Ok(decoded) = SignedTx::from_bytes(&bytes) {
            prop_assert_eq!(decoded.to_bytes(), bytes);
        }
    }
}

/// One step of a random history, over a fixed cast of signers.
#[derive(Debug, Clone)]
enum Op {
    Anchor {
        issuer: usize,
        seed: u8,
        type_index: usize,
    },
    Suspend {
        issuer: usize,
        seed: u8,
    },
    Reinstate {
        issuer: usize,
        seed: u8,
    },
    Revoke {
        issuer: usize,
        seed: u8,
    },
    Timestamp {
        signer: usize,
        seed: u8,
    },
    Declare {
        province: usize,
        issuing: usize,
    },
    SuspendIssuer {
        province: usize,
        issuer: usize,
    },
    Reaccredit {
        issuer: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..2usize, 0..8u8, 0..2usize).prop_map(|(issuer, seed, type_index)| Op::Anchor { issuer, seed, type_index }),
        1 => (0..2usize, 0..8u8).prop_map(|(issuer, seed)| Op::Suspend { issuer, seed }),
        1 => (0..2usize, 0..8u8).prop_map(|(issuer, seed)| Op::Reinstate { issuer, seed }),
        1 => (0..2usize, 0..8u8).prop_map(|(issuer, seed)| Op::Revoke { issuer, seed }),
        1 => (0..7usize, 0..4u8).prop_map(|(signer, seed)| Op::Timestamp { signer, seed }),
        1 => (0..4usize, 0..4usize).prop_map(|(province, issuing)| Op::Declare { province, issuing }),
        1 => (0..2usize, 0..2usize).prop_map(|(province, issuer)| Op::SuspendIssuer { province, issuer }),
        1 => (0..2usize).prop_map(|issuer| Op::Reaccredit { issuer }),
    ]
}

/// Two issuers (Shanghai, Jiangsu) accredited for BL01 only; BL02 exists too.
fn setup() -> (Chain, [SigningKey; 2]) {
    let mut chain = Chain::new();
    let code = chain.register_type("BL01", yrd_contracts::DataClass::Conditional);
    chain.register_type("BL02", yrd_contracts::DataClass::Unconditional);
    let issuers = [key(21), key(22)];
    chain.accredit(
        ProvinceCode::SHANGHAI,
        &issuers[0],
        std::slice::from_ref(&code),
    );
    chain.accredit(
        ProvinceCode::JIANGSU,
        &issuers[1],
        std::slice::from_ref(&code),
    );
    (chain, issuers)
}

/// Builds the blocks of a random history; `corrupt` flips signature bits of chosen transactions.
fn build_blocks(
    chain: &Chain,
    issuers: &[SigningKey; 2],
    ops: &[Op],
    cuts: &[usize],
    corrupt: &[usize],
) -> Vec<Vec<SignedTx>> {
    let codes = [
        LicenceTypeCode("BL01".into()),
        LicenceTypeCode("BL02".into()),
    ];
    let cast: Vec<SigningKey> = PROVINCES
        .iter()
        .map(|p| authority(*p))
        .chain(issuers.iter().cloned())
        .chain([key(99)])
        .collect();
    let mut nonces: BTreeMap<[u8; 32], u64> = BTreeMap::new();
    let mut txs = Vec::new();
    for op in ops {
        let (signer, payload) = match op.clone() {
            Op::Anchor {
                issuer,
                seed,
                type_index,
            } => (
                &issuers[issuer],
                anchor(
                    [seed; 32],
                    &codes[type_index],
                    GENESIS_TIME_MS,
                    GENESIS_TIME_MS + 30 * DAY_MS,
                ),
            ),
            Op::Suspend { issuer, seed } => (
                &issuers[issuer],
                TxPayload::SuspendLicence(status_change(
                    &issuer_uscc(PROVINCES[issuer], &issuers[issuer]),
                    [seed; 32],
                    StatusReason::Unspecified,
                )),
            ),
            Op::Reinstate { issuer, seed } => (
                &issuers[issuer],
                TxPayload::ReinstateLicence(status_change(
                    &issuer_uscc(PROVINCES[issuer], &issuers[issuer]),
                    [seed; 32],
                    StatusReason::Resolved,
                )),
            ),
            Op::Revoke { issuer, seed } => (
                &issuers[issuer],
                TxPayload::RevokeLicence(status_change(
                    &issuer_uscc(PROVINCES[issuer], &issuers[issuer]),
                    [seed; 32],
                    StatusReason::Fraud,
                )),
            ),
            Op::Timestamp { signer, seed } => (
                &cast[signer],
                TxPayload::TimestampDocument {
                    digest: [seed; 32],
                    acting_did: None,
                },
            ),
            Op::Declare { province, issuing } => (
                &cast[province],
                TxPayload::DeclareRecognition(DeclareRecognition {
                    licence_type: codes[0].clone(),
                    issuing_province: PROVINCES[issuing],
                    condition: None,
                }),
            ),
            Op::SuspendIssuer { province, issuer } => (
                &cast[province],
                TxPayload::SuspendIssuer {
                    issuer: pk(&issuers[issuer]),
                    reason: StatusReason::Unspecified,
                },
            ),
            Op::Reaccredit { issuer } => {
                let did = yrd_contracts::query::issuer_get(
                    &chain.state.snapshot(),
                    &pk(&issuers[issuer]),
                )
                .unwrap()
                .unwrap()
                .did;
                (
                    &cast[issuer],
                    TxPayload::AccreditIssuer(yrd_contracts::tx::AccreditIssuer {
                        issuer_key: pk(&issuers[issuer]),
                        issuer_did: did,
                        uscc: issuer_uscc(PROVINCES[issuer], &issuers[issuer]),
                        licence_types: vec![codes[0].clone()],
                    }),
                )
            }
        };
        let nonce = nonces
            .entry(pk(signer))
            .or_insert_with(|| chain.nonce_of(signer));
        let mut body = chain.body(signer, *nonce, payload);
        body.expiry_height = 1_000;
        *nonce += 1;
        txs.push(body.sign(signer));
    }
    let count = txs.len().max(1);
    let corrupted: std::collections::BTreeSet<usize> = corrupt.iter().map(|i| i % count).collect();
    for index in corrupted {
        if let Some(tx) = txs.get_mut(index) {
            tx.signature[7] ^= 0x10;
        }
    }
    let mut blocks = Vec::new();
    let mut rest = txs.as_slice();
    for cut in cuts {
        let take = (*cut).min(rest.len());
        let (block, tail) = rest.split_at(take);
        blocks.push(block.to_vec());
        rest = tail;
    }
    blocks.push(rest.to_vec());
    blocks
}

fn run(blocks: &[Vec<SignedTx>], batched: bool) -> Vec<(yrd_contracts::tree::StateRoot, Vec<u32>)> {
    let (mut chain, _) = setup();
    blocks
        .iter()
        .map(|txs| {
            let ctx = chain.context();
            let outcome = if batched {
                chain.state.apply_block_batch_verified(&ctx, txs).unwrap()
            } else {
                chain.state.apply_block(&ctx, txs).unwrap()
            };
            chain.time_ms = ctx.block_time_ms;
            (
                outcome.state_root,
                outcome.receipts.iter().map(|r| r.code).collect(),
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// The same random blocks applied to two fresh states give the same roots and receipts, and
    /// the batch signature path agrees with individual verification.
    #[test]
    fn random_blocks_are_deterministic(
        ops in proptest::collection::vec(op(), 1..40),
        cuts in proptest::collection::vec(0..10usize, 0..5),
        corrupt in proptest::collection::vec(any::<usize>(), 0..3),
    ) {
        let (chain, issuers) = setup();
        let blocks = build_blocks(&chain, &issuers, &ops, &cuts, &corrupt);
        let first = run(&blocks, false);
        let second = run(&blocks, false);
        let batched = run(&blocks, true);
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&first, &batched);
        // Every corrupted transaction was refused for its signature.
        let codes: Vec<u32> = first.iter().flat_map(|(_, c)| c.iter().copied()).collect();
        if !corrupt.is_empty() {
            prop_assert!(codes.contains(&106));
        }
    }
}
