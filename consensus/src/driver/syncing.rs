//! The requesting side of sync (see [`crate::sync`] for the protocol).

use super::{Cx, Output, Running, bump};
use crate::certificates::{verify_commit_certificate_with, verify_commit_chain};
use crate::crypto::PublicKey;
use crate::epoch::next_epoch_set;
use crate::sync::{SyncLimits, TargetSource, pick_peer};
use crate::types::{BlockId, CommittedBlock, SyncRequest, SyncResponse};

impl Running {
    /// Ask for the chain up to `target` (at `height`), from `from` if given.
    pub(crate) fn request_sync(
        &mut self,
        cx: &mut Cx<'_>,
        from: Option<PublicKey>,
        target: BlockId,
        height: u64,
        source: TargetSource,
    ) {
        if height <= self.tree.root().height || self.tree.contains(&target) {
            return;
        }
        let limits = SyncLimits::of(cx.config);
        if !self.sync.track(target, height, source, cx.now_ms, limits) {
            return;
        }
        self.send_sync_request(cx, from, target, height, 0);
    }

    pub(crate) fn send_sync_request(
        &mut self,
        cx: &mut Cx<'_>,
        from: Option<PublicKey>,
        target: BlockId,
        height: u64,
        attempt: u64,
    ) {
        let keys: Vec<PublicKey> = self
            .validators
            .validators
            .iter()
            .map(|v| v.public_key)
            .collect();
        let Some(peer) = pick_peer(&keys, from, attempt, &cx.me) else {
            return;
        };
        bump(&mut cx.metrics.sync_requests);
        let request = SyncRequest {
            from_height: self.tree.root().height.saturating_add(1),
            target,
            target_height: height,
        };
        cx.outputs.push(Output::RequestSync { to: peer, request });
    }

    /// Re-send requests that went unanswered, each to the next validator in turn.
    pub(crate) fn retry_sync(&mut self, cx: &mut Cx<'_>) {
        let limits = SyncLimits::of(cx.config);
        for (target, state) in self.sync.due(cx.now_ms, cx.config.sync_retry_ms, limits) {
            self.send_sync_request(cx, None, target, state.height, state.attempts);
        }
    }

    pub(crate) fn on_sync_response(
        &mut self,
        cx: &mut Cx<'_>,
        from: PublicKey,
        response: SyncResponse,
    ) {
        let total = response
            .committed
            .len()
            .saturating_add(response.uncommitted.len());
        if total > cx.config.sync_max_blocks_per_response {
            bump(&mut cx.metrics.sync_responses_rejected);
            cx.outputs.push(Output::PeerMisbehaved {
                peer: from,
                reason: "sync answer above the block limit",
            });
            return;
        }
        let start_height = self.tree.root().height;
        let mut last_qc = None;
        let vouched = self.vouched_by_links(cx, &response.committed);
        for (index, committed) in response.committed.into_iter().enumerate() {
            let header = &committed.block.header;
            let root = self.tree.root();
            if header.height <= root.height {
                continue;
            }
            let id = header.id();
            let linked = root.height.checked_add(1) == Some(header.height)
                && header.parent_id == self.tree.root_id();
            let certified = committed.certificate.headers.first() == Some(header)
                && committed.block.payload_matches()
                && committed.block.payload.len() <= cx.config.max_payload_bytes
                && (vouched.get(index).copied().unwrap_or(false)
                    || verify_commit_certificate_with(
                        cx.scheme,
                        &self.validators,
                        &id,
                        &committed.certificate,
                    )
                    .is_ok());
            if !linked || !certified {
                bump(&mut cx.metrics.sync_responses_rejected);
                // The next block after the tip must carry its own valid certificate: an honest
                // server's never fails that (an unlinked block may just be a stale answer).
                if linked {
                    cx.outputs.push(Output::PeerMisbehaved {
                        peer: from,
                        reason: "sync answer with a block its certificate does not prove",
                    });
                }
                break;
            }
            let Some(root_qc) = committed
                .certificate
                .headers
                .get(1)
                .map(|h| h.parent_qc.clone())
            else {
                break;
            };
            let header = header.clone();
            self.tree.reroot(header.clone(), root_qc);
            self.leader.record_commit(&header);
            bump(&mut cx.metrics.blocks_committed);
            bump(&mut cx.metrics.sync_blocks_applied);
            last_qc = Some(committed.certificate.qc.clone());
            let certificate = committed.certificate.clone();
            cx.outputs.push(Output::Commit {
                block: committed.block,
                certificate: certificate.clone(),
            });
            if header.epoch == self.validators.epoch && next_epoch_set(&header).is_some() {
                self.after_root_moved();
                self.change_epoch(cx, &header, certificate);
                last_qc = None;
            }
        }
        if self.tree.root().height > start_height {
            self.after_root_moved();
        }
        // The uncommitted chain is authenticated by its last block being a certified target.
        let chain_ok = response
            .uncommitted
            .last()
            .is_some_and(|last| self.sync.is_verified(&last.id()));
        if chain_ok {
            for block in response.uncommitted {
                if block.payload.len() > cx.config.max_payload_bytes || !block.payload_matches() {
                    bump(&mut cx.metrics.sync_responses_rejected);
                    break;
                }
                let qc = block.header.parent_qc.clone();
                if self.tree.insert(block).is_err() {
                    continue;
                }
                bump(&mut cx.metrics.sync_blocks_applied);
                self.tree.record_qc(&qc);
            }
        }
        if let Some(qc) = last_qc.filter(|qc| qc.vote_data.epoch == self.validators.epoch) {
            self.cert_verdicts
                .insert_valid(super::verdicts::CertVerdicts::key(&qc));
            self.process_qc(cx, &qc, Some(from));
        }
        // Certificates known for the new blocks may commit them now.
        let highest = self.highest_qc.clone();
        self.tree.record_qc(&highest);
        if self.tree.contains(&highest.block_id()) {
            self.try_commit(cx, &highest.block_id());
        }
        let tree = &self.tree;
        let root_height = tree.root().height;
        self.sync
            .retain(|id, target| target.height > root_height && !tree.contains(id));
        // Still missing after progress: continue from the new height right away.
        if self.tree.root().height > start_height {
            self.sync.progressed();
            for (target, height) in self.sync.all() {
                self.send_sync_request(cx, Some(from), target, height, 0);
            }
        }
        self.replay_pending_proposals(cx);
        self.try_propose(cx);
    }

    /// Which committed blocks of a sync response are proven committed, with their certificates,
    /// by one full certificate check instead of one each (catch-up would otherwise be bound by
    /// signature checks: a certificate carries a quorum of them).
    ///
    /// The last block's certificate is verified in full. Walking back, a block is authenticated
    /// when its successor is and names it as parent (hash links). An authenticated block's
    /// certificate needs no signature check of its own when its headers are the authenticated
    /// headers that follow it and its QC is the `parent_qc` embedded in the authenticated block
    /// after them: that QC is part of a certified chain, and every block that gathered a QC was
    /// voted for by honest validators who checked its `parent_qc` before voting. Anything else —
    /// a certificate with another QC (another quorum of the same votes), a broken link, a block
    /// of another epoch or one that changes the validator set — is left `false` and checked on
    /// its own as before, so this only ever saves work.
    fn vouched_by_links(&self, cx: &mut Cx<'_>, committed: &[CommittedBlock]) -> Vec<bool> {
        let count = committed.len();
        let mut vouched = vec![false; count];
        let epoch = self.validators.epoch;
        if count < 3
            || committed
                .iter()
                .any(|c| c.block.header.epoch != epoch || next_epoch_set(&c.block.header).is_some())
        {
            return vouched;
        }
        let ids: Vec<BlockId> = committed.iter().map(|c| c.block.header.id()).collect();
        let last = count - 1;
        let (Some(anchor), Some(anchor_id)) = (committed.get(last), ids.get(last)) else {
            return vouched;
        };
        if verify_commit_certificate_with(
            cx.scheme,
            &self.validators,
            anchor_id,
            &anchor.certificate,
        )
        .is_err()
        {
            return vouched;
        }
        if let Some(slot) = vouched.get_mut(last) {
            *slot = true;
        }
        // Blocks `first_linked..=last` form one hash chain ending in the anchor, so every block of
        // the response from `first_linked` on is authenticated.
        let first_linked = (0..last)
            .rev()
            .take_while(|&index| {
                committed
                    .get(index + 1)
                    .zip(ids.get(index))
                    .is_some_and(|(next, id)| next.block.header.parent_id == *id)
            })
            .last()
            .unwrap_or(last);
        for index in first_linked..last {
            let (Some(block), Some(id)) = (committed.get(index), ids.get(index)) else {
                continue;
            };
            let certificate = &block.certificate;
            let headers_authenticated = certificate.headers.iter().enumerate().all(|(k, h)| {
                committed
                    .get(index + k)
                    .is_some_and(|c| c.block.header == *h)
            });
            let qc_embedded = committed
                .get(index + certificate.headers.len())
                .is_some_and(|c| c.block.header.parent_qc == certificate.qc);
            if headers_authenticated
                && qc_embedded
                && verify_commit_chain(epoch, id, certificate).is_ok()
                && let Some(slot) = vouched.get_mut(index)
            {
                *slot = true;
                bump(&mut cx.metrics.sync_certificates_vouched);
            }
        }
        vouched
    }

    /// Look again at proposals that waited for their parent.
    pub(crate) fn replay_pending_proposals(&mut self, cx: &mut Cx<'_>) {
        let pending = std::mem::take(&mut self.pending_proposals);
        for (from, proposal) in pending {
            self.on_proposal(cx, from, proposal);
        }
    }
}
