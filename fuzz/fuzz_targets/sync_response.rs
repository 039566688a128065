//! Sync responses to a core that asked for them: a core at genesis learns of a certified block
//! far ahead (a valid SyncInfo), asks a peer, and receives a response built from the real chain
//! with byte edits, from that peer or another. It must never panic, and it may commit only blocks
//! of the real chain, in order, with matching payloads.
#![no_main]

use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_consensus::types::CommittedBlock;
use yrd_consensus::{Block, ConsensusMessage, Input, Output, QuorumCert, SyncInfo, SyncResponse};
use yrd_fuzz::consensus_samples::{SAMPLE_T0, SampleNet, release};
use yrd_fuzz::{Edit, mutate};

const CHAIN_LEN: u64 = 8;

struct Samples {
    net: SampleNet,
    chain: Vec<(Block, QuorumCert)>,
}

static SAMPLES: LazyLock<Samples> = LazyLock::new(|| {
    let net = SampleNet::new();
    let chain = net.chain(CHAIN_LEN);
    Samples { net, chain }
});

#[derive(Debug, Arbitrary)]
struct Case {
    /// How many committed blocks the response carries (from height 1).
    committed: u8,
    /// How many uncommitted blocks follow them.
    uncommitted: u8,
    /// Whether the answer comes from the peer asked.
    from_asked_peer: bool,
    /// Edits to the response's encoding (past the message tag).
    edits: Vec<Edit>,
}

fuzz_target!(|case: Case| {
    let Samples { net, chain } = &*SAMPLES;
    let mut core = net.core(0);
    // Learn of the tip's certificate: the core asks a peer for the blocks up to it.
    let tip = &chain[chain.len() - 3];
    let ready = core.step(
        SAMPLE_T0 + 1,
        Input::SyncInfo {
            from: net.keys[1],
            info: Box::new(SyncInfo {
                highest_qc: tip.1.clone(),
                highest_tc: None,
            }),
        },
    );
    let asked = ready.outputs.iter().find_map(|o| match o {
        Output::RequestSync { to, .. } => Some(*to),
        _ => None,
    });
    release(ready);
    let committed_count = usize::from(case.committed) % (chain.len() - 2);
    let uncommitted_end =
        (committed_count + usize::from(case.uncommitted) % 4).min(chain.len() - 2);
    let response = SyncResponse {
        committed: (0..committed_count)
            .map(|i| CommittedBlock {
                block: chain[i].0.clone(),
                certificate: SampleNet::commit_certificate(chain, i),
            })
            .collect(),
        uncommitted: chain[committed_count..uncommitted_end]
            .iter()
            .map(|(block, _)| block.clone())
            .collect(),
    };
    let bytes = mutate(
        ConsensusMessage::SyncResponse(Box::new(response)).encode(),
        &case.edits,
        1,
    );
    let Ok(ConsensusMessage::SyncResponse(response)) = ConsensusMessage::decode(&bytes) else {
        return;
    };
    let from = match asked {
        Some(peer) if case.from_asked_peer => peer,
        _ => net.keys[3],
    };
    let ready = core.step(SAMPLE_T0 + 2, Input::SyncResponse { from, response });
    let mut height = 0;
    for output in &ready.outputs {
        if let Output::Commit { block, .. } = output {
            height += 1;
            assert_eq!(block.header.height, height, "commit out of order");
            assert_eq!(
                block,
                &chain[(height - 1) as usize].0,
                "committed a block that is not the certified chain's"
            );
        }
    }
    release(ready);
});
