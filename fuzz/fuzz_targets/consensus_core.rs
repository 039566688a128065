//! A started core (one of four validators) fed a sequence of messages from peers: valid signed
//! samples with byte edits, or raw bytes, interleaved with fired timers and passing time. The
//! core must never panic, and what it commits must be consistent: heights in order without gaps
//! or repeats, payloads matching their headers, and each commit certificate verifying.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_consensus::driver::ExecutedRecord;
use yrd_consensus::sync::respond;
use yrd_consensus::{ConsensusMessage, Core, Input, Output, verify_commit_certificate};
use yrd_fuzz::consensus_samples::{SAMPLE_T0, SampleNet};
use yrd_fuzz::{Edit, mutate};

struct Samples {
    net: SampleNet,
    encoded: Vec<Vec<u8>>,
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let net = SampleNet::new();
    let encoded = net
        .every_message()
        .iter()
        .map(ConsensusMessage::encode)
        .collect();
    Samples { net, encoded }
});

#[derive(Debug, Arbitrary)]
enum Step {
    /// A sample message with edits (possibly none), from validator `from`.
    Sample {
        which: u8,
        from: u8,
        edits: Vec<Edit>,
    },
    /// Raw bytes from validator `from`.
    Raw { from: u8, bytes: Vec<u8> },
    /// Fire a timer the core scheduled.
    Timer(u8),
    /// Let time pass.
    Advance(u16),
}

#[derive(Debug, Arbitrary)]
struct Run {
    me: u8,
    steps: Vec<Step>,
}

struct Host {
    core: Core,
    now_ms: u64,
    timers: Vec<Input>,
    committed_height: u64,
}

impl Host {
    fn step(&mut self, input: Input) {
        let ready = self.core.step(self.now_ms, input);
        let mut outputs = ready.outputs;
        if let Some(gate) = ready.persist
            && let Ok(released) = gate.persist(|_, _| Ok::<(), ()>(()))
        {
            outputs.extend(released);
        }
        let mut follow_ups = Vec::new();
        for output in outputs {
            match output {
                Output::Commit { block, certificate } => {
                    let height = block.header.height;
                    assert_eq!(height, self.committed_height + 1, "commit out of order");
                    assert!(
                        block.payload_matches(),
                        "committed a block whose payload was swapped"
                    );
                    assert_eq!(
                        verify_commit_certificate(
                            &SAMPLES.net.genesis.validator_set,
                            &block.id(),
                            &certificate
                        ),
                        Ok(()),
                        "committed with a certificate that does not verify"
                    );
                    self.committed_height = height;
                    follow_ups.push(Input::Executed(ExecutedRecord {
                        height,
                        state_root: [7; 32],
                        next_validator_set: None,
                    }));
                }
                Output::ScheduleTimer {
                    epoch, round, kind, ..
                } => {
                    if self.timers.len() < 64 {
                        self.timers.push(Input::TimerFired { epoch, round, kind });
                    }
                }
                Output::RequestPayload { round, .. } => follow_ups.push(Input::PayloadReady {
                    round,
                    payload: vec![round as u8; 8],
                }),
                _ => {}
            }
        }
        for input in follow_ups {
            self.step(input);
        }
    }

    fn deliver(&mut self, from: u8, bytes: &[u8]) {
        let Ok(message) = ConsensusMessage::decode(bytes) else {
            return;
        };
        let keys = &SAMPLES.net.keys;
        let from = keys[usize::from(from) % keys.len()];
        match message {
            ConsensusMessage::SyncRequest(request) => {
                // Answered by the host from its store (none here) and the core's blocks.
                let response = respond(&request, |_| None, &self.core, 256, 1 << 20);
                let _ = ConsensusMessage::SyncResponse(Box::new(response)).encode();
            }
            other => {
                if let Some(input) = Input::from_message(from, other) {
                    self.step(input);
                }
            }
        }
    }
}

fuzz_target!(|run: Run| {
    let me = usize::from(run.me) % SAMPLES.net.keys.len();
    let mut host = Host {
        core: SAMPLES.net.core(me),
        now_ms: SAMPLE_T0,
        timers: Vec::new(),
        committed_height: 0,
    };
    for step in run.steps.into_iter().take(48) {
        match step {
            Step::Sample { which, from, edits } => {
                let original = &SAMPLES.encoded[usize::from(which) % SAMPLES.encoded.len()];
                let bytes = mutate(original.clone(), &edits, 1);
                host.deliver(from, &bytes);
            }
            Step::Raw { from, bytes } => host.deliver(from, &bytes),
            Step::Timer(index) => {
                if !host.timers.is_empty() {
                    let input = host.timers.remove(usize::from(index) % host.timers.len());
                    host.step(input);
                }
            }
            Step::Advance(ms) => host.now_ms = host.now_ms.saturating_add(u64::from(ms)),
        }
    }
});
