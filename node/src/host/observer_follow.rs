//! How an observer follows the chain: it pulls. Consensus messages go to validators only, so an
//! observer hears of no proposal; instead this task asks one validator at a time (in turn) for the
//! committed blocks above its head, through the same block-sync request validators use, and hands
//! each answer to the consensus core, which checks every commit certificate (and every epoch
//! change) before anything executes. Validators serve it from their sync server under its per-peer
//! byte budget, so observers never slow the consensus loop of the nodes they read from.
//!
//! While this node is a validator of the current epoch the task only waits: a validator that is
//! removed becomes an observer of the chain it helped build, and one that is added stops pulling.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use yrd_consensus::types::BlockId;
use yrd_consensus::{ConsensusMessage, Input, PublicKey, SyncRequest};

use super::port::HostNetwork;
use super::shared::Shared;

/// Pause between pulls while the observer is at the validators' tip (and after a failed pull).
pub const OBSERVER_POLL_MS: u64 = 250;
/// Longest wait for the core to commit an answer's blocks before the next pull.
const APPLY_WAIT: Duration = Duration::from_secs(2);

/// Starts the pull loop; it ends when the host's input channel closes.
pub fn spawn_observer_follow<N: HostNetwork>(
    shared: Arc<Shared>,
    network: N,
    inputs: mpsc::Sender<Input>,
    me: PublicKey,
) {
    tokio::spawn(async move {
        let mut turn = 0usize;
        let mut heads = shared.head.subscribe();
        loop {
            // The host stopped (or crashed, in the simulator): let go of the shared state.
            if inputs.is_closed() {
                return;
            }
            let validators: Vec<[u8; 32]> = shared.validator_keys();
            if validators.contains(&me.0) || validators.is_empty() {
                tokio::time::sleep(Duration::from_millis(OBSERVER_POLL_MS)).await;
                continue;
            }
            let Some(peer) = validators.get(turn % validators.len()).copied() else {
                continue;
            };
            turn = turn.wrapping_add(1);
            let head = shared.head().height;
            let request = SyncRequest {
                from_height: head.saturating_add(1),
                // No certified target: the answer is committed blocks only, up to the peer's tip.
                target: BlockId([0; 32]),
                target_height: u64::MAX,
            };
            let bytes = ConsensusMessage::SyncRequest(request).encode();
            let answer = match network.request(peer, bytes).await {
                Ok(answer) => answer,
                Err(error) => {
                    tracing::debug!(peer = %hex::encode(peer), %error, "observer pull failed");
                    tokio::time::sleep(Duration::from_millis(OBSERVER_POLL_MS)).await;
                    continue;
                }
            };
            let response = match yrd_consensus::codec::decode_canonical(&answer) {
                Ok(ConsensusMessage::SyncResponse(response)) => response,
                _ => {
                    tracing::warn!(peer = %hex::encode(peer), "malformed sync response to an observer pull");
                    let _ = network
                        .report_invalid(peer, "malformed sync response")
                        .await;
                    tokio::time::sleep(Duration::from_millis(OBSERVER_POLL_MS)).await;
                    continue;
                }
            };
            let Some(last) = response.committed.last().map(|b| b.block.header.height) else {
                tokio::time::sleep(Duration::from_millis(OBSERVER_POLL_MS)).await;
                continue;
            };
            tracing::debug!(peer = %hex::encode(peer), first = head + 1, last, "observer pulled blocks");
            let input = Input::SyncResponse {
                from: PublicKey(peer),
                response,
            };
            if inputs.send(input).await.is_err() {
                return;
            }
            // Pull again as soon as the answer is applied (or at once if the core refused it:
            // the next validator in turn answers the next pull).
            let _ = tokio::time::timeout(APPLY_WAIT, async {
                while heads.borrow_and_update().height < last {
                    if heads.changed().await.is_err() {
                        return;
                    }
                }
            })
            .await;
        }
    });
}
