//! `cargo bench -p yrd-consensus`: consensus-only throughput with real ed25519 signatures.
//!
//! - `commit_chain/n`: `n` cores exchanging messages in memory over a perfect network (every
//!   message delivered in order, no timeouts), measured per committed block: all `n` nodes'
//!   signing, verification and bookkeeping in one thread.
//! - `verify_commit_certificate/n`: what a light client pays per verified commit.
//!
//! Figures with a network, execution and storage are `yrd bench`'s (docs/PERFORMANCE.md).

use std::collections::VecDeque;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use yrd_consensus::driver::ExecutedRecord;
use yrd_consensus::{
    CommitCertificate, Config, Core, Ed25519Signer, Genesis, Input, Output, PublicKey, Signer,
    StartState, ValidatorSet, verify_commit_certificate,
};

const T0: u64 = 1_700_000_000_000;

struct Cluster {
    cores: Vec<Core>,
    keys: Vec<PublicKey>,
    genesis: Genesis,
}

fn cluster(n: usize) -> Cluster {
    let secrets: Vec<[u8; 32]> = (0..n)
        .map(|i| *blake3::hash(&(i as u64).to_le_bytes()).as_bytes())
        .collect();
    let keys: Vec<PublicKey> = secrets
        .iter()
        .map(|s| Ed25519Signer::from_secret_bytes(s).public_key())
        .collect();
    let validator_set = ValidatorSet::equal_power(0, &keys).unwrap();
    let genesis = Genesis {
        validator_set,
        state_root: [0; 32],
        timestamp_ms: T0,
    };
    let cores = secrets
        .iter()
        .map(|s| {
            Core::new(
                Config::default(),
                Box::new(Ed25519Signer::from_secret_bytes(s)),
            )
        })
        .collect();
    Cluster {
        cores,
        keys,
        genesis,
    }
}

/// Run until node 0 commits `blocks` blocks; returns the last commit certificate.
fn run(cluster: &mut Cluster, blocks: u64) -> Option<CommitCertificate> {
    let mut queue: VecDeque<(usize, Input)> = VecDeque::new();
    for i in 0..cluster.cores.len() {
        queue.push_back((
            i,
            Input::Start(Box::new(StartState::from_genesis(&cluster.genesis))),
        ));
    }
    let mut now = T0;
    let mut last = None;
    while let Some((node, input)) = queue.pop_front() {
        now += 1;
        let ready = cluster.cores[node].step(now, input);
        let mut outputs = ready.outputs;
        if let Some(gate) = ready.persist {
            outputs.extend(gate.persist(|_, _| Ok::<(), ()>(())).unwrap_or_default());
        }
        let me = cluster.keys[node];
        for output in outputs {
            match output {
                Output::Broadcast(message) => {
                    for to in 0..cluster.cores.len() {
                        if let Some(input) = Input::from_message(me, message.clone()) {
                            queue.push_back((to, input));
                        }
                    }
                }
                Output::SendTo { to, message } => {
                    let index = cluster.keys.iter().position(|k| *k == to).unwrap_or(node);
                    if let Some(input) = Input::from_message(me, message) {
                        queue.push_back((index, input));
                    }
                }
                Output::RequestPayload { round, .. } => {
                    queue.push_back((
                        node,
                        Input::PayloadReady {
                            round,
                            payload: vec![0xAB; 256],
                        },
                    ));
                }
                Output::Commit { block, certificate } => {
                    let height = block.header.height;
                    queue.push_back((
                        node,
                        Input::Executed(ExecutedRecord {
                            height,
                            state_root: [0; 32],
                            next_validator_set: None,
                        }),
                    ));
                    if node == 0 {
                        last = Some(certificate);
                        if height >= blocks {
                            return last;
                        }
                    }
                }
                Output::ScheduleTimer { .. }
                | Output::RequestSync { .. }
                | Output::PeerMisbehaved { .. }
                | Output::EpochChange { .. } => {}
            }
        }
    }
    last
}

fn commit_chain(c: &mut Criterion) {
    let mut group = c.benchmark_group("commit_chain");
    group.sample_size(10);
    let blocks = 50;
    for n in [4usize, 7, 16] {
        group.throughput(Throughput::Elements(blocks));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, &n| {
            b.iter(|| {
                let mut cluster = cluster(n);
                let certificate = run(&mut cluster, blocks);
                assert!(certificate.is_some(), "the cluster committed");
            })
        });
    }
    group.finish();
}

fn verify_certificate(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_commit_certificate");
    for n in [4usize, 7, 16] {
        let mut cluster = cluster(n);
        let certificate = run(&mut cluster, 3).unwrap();
        let set = cluster.genesis.validator_set.clone();
        let id = certificate.headers[0].id();
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| verify_commit_certificate(&set, &id, &certificate).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, commit_chain, verify_certificate);
criterion_main!(benches);
