//! Light-client verification: commit certificates, epoch-change proofs, and golden encodings.

mod common;

use common::Net;
use yrd_consensus::epoch::{EpochChangeProof, verify_epoch_changes};
use yrd_consensus::{
    BlockId, CertError, CommitCertificate, ConsensusMessage, Ed25519Signer, PublicKey, Signer,
    ValidatorSet, Vote, VoteData, verify_commit_certificate,
};

/// B1 (round 1) and its direct child B2 (round 2) certified by validators 0, 1, 2.
fn direct_chain(net: &Net) -> (BlockId, CommitCertificate) {
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc1 = net.qc(&b1.header, &[0, 1, 2]);
    let b2 = net.block(&b1.header, &qc1, 2, 2);
    let qc2 = net.qc(&b2.header, &[0, 1, 2]);
    (
        b1.id(),
        CommitCertificate {
            headers: vec![b1.header, b2.header],
            qc: qc2,
        },
    )
}

#[test]
fn commit_certificate_errors_table() {
    let net = Net::new(4);
    let (id, good) = direct_chain(&net);
    verify_commit_certificate(net.set(), &id, &good).unwrap();

    let outsider = Ed25519Signer::from_secret_bytes(&[99; 32]);
    type Edit = Box<dyn Fn(&mut CommitCertificate, &mut BlockId, &mut ValidatorSet)>;
    type Check = fn(&CertError) -> bool;
    let cases: Vec<(&str, Edit, Check)> = vec![
        ("wrong block", Box::new(|_, id, _| id.0[0] ^= 1), |e| {
            matches!(e, CertError::WrongBlock { .. })
        }),
        (
            "insufficient power",
            Box::new(|c, _, _| {
                c.qc.signatures.pop();
            }),
            |e| {
                matches!(
                    e,
                    CertError::InsufficientPower {
                        power: 2,
                        total: 4,
                        needed: 3
                    }
                )
            },
        ),
        (
            "duplicate signer",
            Box::new(|c, _, _| {
                let first = c.qc.signatures[0];
                c.qc.signatures[1] = first;
            }),
            |e| matches!(e, CertError::DuplicateSigner { .. }),
        ),
        (
            "signers out of order",
            Box::new(|c, _, _| c.qc.signatures.swap(0, 1)),
            |e| matches!(e, CertError::SignersNotSorted { .. }),
        ),
        (
            "bad signature",
            Box::new(|c, _, _| c.qc.signatures[0].1.0[10] ^= 1),
            |e| matches!(e, CertError::BadSignature { .. }),
        ),
        (
            "unknown signer",
            Box::new(move |c, _, _| {
                let digest = c.qc.vote_data.signing_digest();
                c.qc.signatures
                    .push((outsider.public_key(), outsider.sign(&digest)));
                c.qc.signatures.sort_by_key(|(k, _)| *k);
            }),
            |e| matches!(e, CertError::UnknownSigner { .. }),
        ),
        ("wrong epoch", Box::new(|_, _, set| set.epoch = 1), |e| {
            matches!(
                e,
                CertError::WrongEpoch {
                    expected: 1,
                    found: 0
                }
            )
        }),
        (
            "not a direct child",
            Box::new(|c, _, _| c.headers[1].round = 3),
            |e| {
                matches!(
                    e,
                    CertError::NotDirectChild {
                        parent_round: 1,
                        child_round: 3
                    }
                )
            },
        ),
        (
            "broken chain",
            Box::new(|c, _, _| c.headers[1].parent_id.0[0] ^= 1),
            |e| matches!(e, CertError::BrokenChain { index: 1 }),
        ),
        (
            "too short",
            Box::new(|c, _, _| {
                c.headers.pop();
            }),
            |e| matches!(e, CertError::ChainLength { count: 1, .. }),
        ),
        (
            "QC on another block",
            Box::new(|c, _, _| c.qc.vote_data.height += 1),
            |e| matches!(e, CertError::WrongBlock { .. }),
        ),
    ];
    for (name, edit, expected) in cases {
        let mut cert = good.clone();
        let mut block = id;
        let mut set = net.set().clone();
        edit(&mut cert, &mut block, &mut set);
        match verify_commit_certificate(&set, &block, &cert) {
            Err(error) => assert!(expected(&error), "{name}: unexpected error {error}"),
            Ok(()) => panic!("{name}: accepted"),
        }
    }
}

#[test]
fn epoch_change_proof_verifies_from_genesis() {
    let net = Net::new(4);
    let next = Net::new(5);
    let mut next_set = next.set().clone();
    next_set.epoch = 1;
    let mut b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    b1.header.next_validator_set = Some(next_set.clone());
    let qc1 = net.qc(&b1.header, &[0, 1, 3]);
    let b2 = net.block(&b1.header, &qc1, 2, 2);
    let qc2 = net.qc(&b2.header, &[1, 2, 3]);
    let cert = CommitCertificate {
        headers: vec![b1.header.clone(), b2.header.clone()],
        qc: qc2,
    };
    let proof = EpochChangeProof {
        certificates: vec![cert.clone()],
    };
    assert_eq!(
        verify_epoch_changes(net.set(), &proof),
        Ok(next_set.clone())
    );
    assert_eq!(
        verify_epoch_changes(net.set(), &EpochChangeProof::default()),
        Ok(net.set().clone())
    );

    // The new set then verifies epoch-1 certificates, and the old one does not.
    let mut c1 = next.block(&b1.header, &qc1, 3, 3);
    c1.header.epoch = 1;
    c1.header.next_validator_set = None;
    // Build epoch-1 signatures with the next set's signers.
    let sign_epoch1 = |header: &yrd_consensus::BlockHeader| next.qc(header, &[0, 1, 2, 3]);
    let qc_c1 = sign_epoch1(&c1.header);
    let mut c2 = next.block(&c1.header, &qc_c1, 4, 4);
    c2.header.epoch = 1;
    let qc_c2 = sign_epoch1(&c2.header);
    let cert1 = CommitCertificate {
        headers: vec![c1.header.clone(), c2.header.clone()],
        qc: qc_c2,
    };
    verify_commit_certificate(&next_set, &c1.id(), &cert1).unwrap();
    assert!(verify_commit_certificate(net.set(), &c1.id(), &cert1).is_err());

    // A certificate of a block without a next set is not an epoch change.
    let (_, plain) = direct_chain(&net);
    let error = verify_epoch_changes(
        net.set(),
        &EpochChangeProof {
            certificates: vec![plain],
        },
    );
    assert!(matches!(
        error,
        Err(CertError::NotReconfiguration {
            expected_epoch: 1,
            ..
        })
    ));

    // A proof signed by the wrong validators fails.
    let mut forged = cert;
    forged.qc = next.qc(&b2.header, &[0, 1, 2, 3]);
    assert!(
        verify_epoch_changes(
            net.set(),
            &EpochChangeProof {
                certificates: vec![forged]
            }
        )
        .is_err()
    );
}

#[test]
fn golden_encodings_and_hashes() {
    // Pinned bytes: changing any of these changes block ids or signatures on the wire, which
    // light clients (docs/PROOFS.md) re-implement. Update only together with a format version.
    let vote_data = VoteData {
        epoch: 1,
        round: 2,
        height: 3,
        block_id: BlockId([4; 32]),
    };
    let bytes = borsh::to_vec(&vote_data).unwrap();
    let mut expected = Vec::new();
    expected.extend_from_slice(&1u64.to_le_bytes());
    expected.extend_from_slice(&2u64.to_le_bytes());
    expected.extend_from_slice(&3u64.to_le_bytes());
    expected.extend_from_slice(&[4; 32]);
    assert_eq!(bytes, expected);
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"yrd-consensus/v1/vote");
    hasher.update(&expected);
    assert_eq!(vote_data.signing_digest(), *hasher.finalize().as_bytes());
    assert_eq!(
        hex::encode(vote_data.signing_digest()),
        GOLDEN_VOTE_DIGEST,
        "vote digest changed"
    );

    let net = Net::new(4);
    assert_eq!(
        hex::encode(net.genesis_header().id().0),
        GOLDEN_GENESIS_ID,
        "genesis id changed"
    );

    let signer = Ed25519Signer::from_secret_bytes(&[1; 32]);
    let vote = Vote::sign(vote_data, &signer);
    let encoded = ConsensusMessage::Vote(vote.clone()).encode();
    assert_eq!(encoded.len(), 1 + 56 + 32 + 64);
    assert_eq!(encoded[0], 1, "vote variant tag");
    assert_eq!(
        ConsensusMessage::decode(&encoded),
        Ok(ConsensusMessage::Vote(vote))
    );
    let mut trailing = encoded.clone();
    trailing.push(0);
    assert!(ConsensusMessage::decode(&trailing).is_err());
    let mut bad_variant = encoded;
    bad_variant[0] = 9;
    assert!(ConsensusMessage::decode(&bad_variant).is_err());
    assert_eq!(PublicKey::default().0, [0; 32]);
}

const GOLDEN_VOTE_DIGEST: &str = "07401ebec6b971a02048d565cbb364119cd5e602430f97a204b76636905fba5e";
const GOLDEN_GENESIS_ID: &str = "0530cb5e8e270cabfbfdbf4a1895eef7ffef2ef8725cec67ad724bc8052a8b6f";
