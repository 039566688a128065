//! A certificate costs one verification however often it arrives, and every message carrying
//! an invalid one is counted against its sender.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Net, T0};
use yrd_consensus::{
    Core, Ed25519Scheme, Ed25519Signer, Input, PublicKey, Signature, SignatureScheme, Signer,
    StartState, SyncInfo, TimeoutMsg,
};

/// Ed25519, counting every signature check.
struct CountingScheme(Arc<AtomicU64>);

impl SignatureScheme for CountingScheme {
    fn verify(&self, public_key: &PublicKey, message: &[u8], signature: &Signature) -> bool {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ed25519Scheme.verify(public_key, message, signature)
    }
}

fn counted_core(net: &Net, index: usize) -> (Core, Arc<AtomicU64>) {
    let checks = Arc::new(AtomicU64::new(0));
    let signer = Ed25519Signer::from_secret_bytes(&net.secrets[index]);
    let mut core = Core::with_scheme(
        Net::config(),
        Box::new(signer),
        Box::new(CountingScheme(Arc::clone(&checks))),
    );
    let _ = core.step(
        T0,
        Input::Start(Box::new(StartState::from_genesis(&net.genesis))),
    );
    (core, checks)
}

const SPAMMER: usize = 3;
const RESENDS: u64 = 50;

#[test]
fn a_timeout_with_an_invalid_qc_resent_many_times_costs_one_verification() {
    let net = Net::new(4);
    let (mut core, checks) = counted_core(&net, 1);
    // A QC on block 1 whose last signature is over another digest: three checks to find out.
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let mut bad_qc = net.qc(&b1.header, &[0, 1, 2]);
    let last = bad_qc.signatures.len() - 1;
    bad_qc.signatures[last].1 = net.signers[2].sign(b"not the vote");
    let timeout = TimeoutMsg::sign(0, 2, bad_qc, None, &net.signers[SPAMMER]);
    for _ in 0..RESENDS {
        let _ = core.step(
            T0 + 5,
            Input::Timeout {
                from: net.keys[SPAMMER],
                timeout: Box::new(timeout.clone()),
            },
        );
    }
    let metrics = core.metrics();
    assert_eq!(metrics.certificate_verifications, 1);
    assert_eq!(metrics.certificate_verdicts_reused, RESENDS - 1);
    // One check of the timeout's own signature per message, three for the QC once.
    assert_eq!(checks.load(Ordering::Relaxed), RESENDS + 3);
    assert_eq!(
        metrics.certificates_rejected_from(&net.keys[SPAMMER]),
        RESENDS
    );
    assert_eq!(metrics.certificates_rejected_from(&net.keys[0]), 0);
    assert_eq!(core.round(), 1, "nothing of the timeout was used");
}

#[test]
fn a_valid_certificate_is_checked_once_and_counts_against_no_one() {
    let net = Net::new(4);
    let (mut core, checks) = counted_core(&net, 1);
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let qc = net.qc(&b1.header, &[0, 1, 2]);
    for from in [0usize, 2, 3, 0] {
        let _ = core.step(
            T0 + 5,
            Input::SyncInfo {
                from: net.keys[from],
                info: Box::new(SyncInfo {
                    highest_qc: qc.clone(),
                    highest_tc: None,
                }),
            },
        );
    }
    assert_eq!(checks.load(Ordering::Relaxed), 3);
    assert_eq!(core.metrics().certificate_verifications, 1);
    assert!(core.metrics().certificates_rejected_by_peer.is_empty());
    assert_eq!(core.round(), 2);
}

#[test]
fn per_peer_rejection_counters_are_bounded() {
    let net = Net::new(4);
    let signer = Ed25519Signer::from_secret_bytes(&net.secrets[1]);
    let config = yrd_consensus::Config {
        metrics_max_peers: 2,
        ..Net::config()
    };
    let mut core = Core::new(config, Box::new(signer));
    let _ = core.step(
        T0,
        Input::Start(Box::new(StartState::from_genesis(&net.genesis))),
    );
    let b1 = net.block(&net.genesis_header(), &net.genesis.qc(), 1, 1);
    let weak = net.qc(&b1.header, &[0]);
    for from in [0usize, 2, 3, 3] {
        let _ = core.step(
            T0 + 5,
            Input::SyncInfo {
                from: net.keys[from],
                info: Box::new(SyncInfo {
                    highest_qc: weak.clone(),
                    highest_tc: None,
                }),
            },
        );
    }
    let metrics = core.metrics();
    assert_eq!(metrics.certificates_rejected_by_peer.len(), 2);
    assert_eq!(metrics.certificates_rejected_other_peers, 2);
}
