//! Votes, timeouts and certificates: forming QCs and TCs, advancing rounds, committing, and
//! moving to a new epoch.

use super::collectors::{TimeoutOutcome, VoteOutcome};
use super::{Cx, Output, Running, bump};
use crate::certificates::CommitCertificate;
use crate::crypto::PublicKey;
use crate::epoch::next_epoch_set;
use crate::leader::LeaderElection;
use crate::pacemaker::Pacemaker;
use crate::sync::{SyncLimits, TargetSource};
use crate::types::{
    BlockHeader, BlockId, ConsensusMessage, QuorumCert, SyncInfo, TimeoutCert, TimeoutMsg, Vote,
};

impl Running {
    /// Is `round` inside the window of rounds this node buffers messages for?
    fn round_in_window(&self, cx: &mut Cx<'_>, round: u64) -> bool {
        let current = self.pacemaker.round();
        if round > current.saturating_add(cx.config.max_future_rounds) {
            bump(&mut cx.metrics.dropped_far_future);
            return false;
        }
        true
    }

    pub(crate) fn on_vote(&mut self, cx: &mut Cx<'_>, from: PublicKey, vote: Vote) {
        let data = vote.vote_data;
        if data.epoch != self.validators.epoch {
            self.other_epoch(cx, from, data.epoch, data.block_id, data.height);
            return;
        }
        let Some(power) = self.validators.power_of(&vote.author) else {
            bump(&mut cx.metrics.dropped_non_validator);
            return;
        };
        if data.round.saturating_add(1) < self.pacemaker.round() {
            bump(&mut cx.metrics.dropped_stale);
            self.help_lagging_peer(cx, from, data.round);
            return;
        }
        // The next leader collects a round's votes; every node also collects votes of its
        // current round or later, which validators broadcast when they time out
        // (`broadcast_round_vote`), so a quorum for a block survives a silent next leader.
        if !self.round_in_window(cx, data.round)
            || (self.leader.leader(data.round.saturating_add(1)) != cx.me
                && data.round < self.pacemaker.round())
        {
            return;
        }
        if !vote.verify(cx.scheme) {
            bump(&mut cx.metrics.dropped_invalid);
            return;
        }
        match self.votes.add(&self.validators, &vote, power) {
            VoteOutcome::Duplicate => {}
            VoteOutcome::DoubleVote => bump(&mut cx.metrics.double_votes_seen),
            VoteOutcome::Counted => bump(&mut cx.metrics.votes_accepted),
            VoteOutcome::Quorum(qc) => {
                bump(&mut cx.metrics.votes_accepted);
                bump(&mut cx.metrics.qcs_formed);
                self.cert_verdicts
                    .insert_valid(super::verdicts::CertVerdicts::key(&qc));
                self.process_qc(cx, &qc, Some(from));
            }
        }
    }

    pub(crate) fn on_timeout(&mut self, cx: &mut Cx<'_>, from: PublicKey, timeout: TimeoutMsg) {
        if timeout.epoch != self.validators.epoch {
            let qc = &timeout.highest_qc.vote_data;
            self.other_epoch(cx, from, timeout.epoch, qc.block_id, qc.height);
            return;
        }
        let Some(power) = self.validators.power_of(&timeout.author) else {
            bump(&mut cx.metrics.dropped_non_validator);
            return;
        };
        if !self.round_in_window(cx, timeout.round) {
            return;
        }
        // The highest QC may be the previous epoch's last QC on the new epoch's root, which
        // `verify_qc` accepts by equality or under the ended epoch's set; any other QC must be of
        // this epoch.
        if timeout.highest_qc.round() >= timeout.round || !timeout.verify_signature(cx.scheme) {
            bump(&mut cx.metrics.dropped_invalid);
            return;
        }
        if self.verify_qc(cx, &timeout.highest_qc).is_err() {
            // A validator far behind (say, restarted with an empty store) times out with a QC
            // this node can no longer check: one below its committed root, such as the genesis
            // QC. Its signed timeout still shows it is stuck in an old round, so tell it about
            // our certificates (once per round; nothing of its message is used) — otherwise
            // nothing would ever point it at the chain.
            if timeout.round < self.pacemaker.round()
                && timeout.highest_qc.vote_data.height <= self.tree.root().height
            {
                bump(&mut cx.metrics.dropped_stale);
                self.help_lagging_peer(cx, from, timeout.round);
                return;
            }
            self.certificate_rejected(cx, from);
            return;
        }
        let last_tc = match &timeout.last_round_tc {
            Some(tc) if self.verify_tc(cx, tc).is_ok() => Some(tc.clone()),
            Some(_) => {
                self.certificate_rejected(cx, from);
                return;
            }
            None => None,
        };
        self.process_qc(cx, &timeout.highest_qc, Some(from));
        if let Some(tc) = &last_tc {
            self.process_tc(cx, tc);
        }
        if self.validators.epoch != timeout.epoch {
            return;
        }
        if timeout.round < self.pacemaker.round() {
            bump(&mut cx.metrics.dropped_stale);
            self.help_lagging_peer(cx, from, timeout.round);
            return;
        }
        match self.timeouts.add(&self.validators, &timeout, power) {
            TimeoutOutcome::Ignored => {}
            TimeoutOutcome::Counted { exceeds_one_third } => {
                // More than a third timed out: at least one honest node did, so join it rather
                // than wait for the local timer (keeps rounds in step after partitions).
                if exceeds_one_third
                    && timeout.round == self.pacemaker.round()
                    && self.pacemaker.own_timeout().is_none()
                    && self.is_validator(cx)
                {
                    self.local_timeout(cx);
                }
            }
            TimeoutOutcome::Certificate(tc) => {
                bump(&mut cx.metrics.tcs_formed);
                self.cert_verdicts
                    .insert_valid(super::verdicts::CertVerdicts::key(tc.as_ref()));
                self.process_tc(cx, &tc);
            }
        }
    }

    pub(crate) fn on_sync_info(&mut self, cx: &mut Cx<'_>, from: PublicKey, info: SyncInfo) {
        if info.highest_qc.vote_data.epoch != self.validators.epoch {
            let qc = info.highest_qc.vote_data;
            self.other_epoch(cx, from, qc.epoch, qc.block_id, qc.height);
            return;
        }
        if self.verify_qc(cx, &info.highest_qc).is_err() {
            self.certificate_rejected(cx, from);
            return;
        }
        self.process_qc(cx, &info.highest_qc, Some(from));
        if let Some(tc) = info
            .highest_tc
            .filter(|tc| tc.epoch == self.validators.epoch)
        {
            if self.verify_tc(cx, &tc).is_ok() {
                self.process_tc(cx, &tc);
            } else {
                self.certificate_rejected(cx, from);
            }
        }
    }

    /// A message of another epoch: count it; when it is ahead, this node missed an epoch change,
    /// so fetch the committed chain towards the block the message names (its commit
    /// certificates lead through the reconfiguration).
    pub(crate) fn other_epoch(
        &mut self,
        cx: &mut Cx<'_>,
        from: PublicKey,
        epoch: u64,
        block: BlockId,
        height: u64,
    ) {
        if epoch > self.validators.epoch {
            bump(&mut cx.metrics.dropped_far_future);
            // Its certificates are of an epoch whose validators this node does not know yet, so
            // the named block and height are unverified: only a hint, bounded per validator and
            // dropped after a few requests (see `crate::sync`). The named block may be known
            // here yet uncommitted (this node missed the QC that committed the
            // reconfiguration), so ask even when the tree has it.
            if !self.validators.contains(&from) || height <= self.tree.root().height {
                return;
            }
            let limits = SyncLimits::of(cx.config);
            if self
                .sync
                .track(block, height, TargetSource::Hint(from), cx.now_ms, limits)
            {
                self.send_sync_request(cx, Some(from), block, height, 0);
            }
        } else {
            bump(&mut cx.metrics.dropped_stale);
        }
    }

    /// Tell a peer that sent a message for an old round about our certificates, once per round.
    pub(crate) fn help_lagging_peer(&mut self, cx: &mut Cx<'_>, peer: PublicKey, peer_round: u64) {
        let round = self.pacemaker.round();
        if peer == cx.me || peer_round.saturating_add(1) >= round {
            return;
        }
        if self.sync_info_sent.get(&peer).is_some_and(|r| *r >= round) {
            return;
        }
        if !self.validators.contains(&peer) {
            return;
        }
        self.sync_info_sent.insert(peer, round);
        let highest_tc = self
            .highest_tc
            .clone()
            .filter(|tc| tc.round > self.highest_qc.round());
        let info = SyncInfo {
            highest_qc: self.highest_qc.clone(),
            highest_tc,
        };
        cx.outputs.push(Output::SendTo {
            to: peer,
            message: ConsensusMessage::SyncInfo(Box::new(info)),
        });
    }

    /// Learn a verified QC: raise the highest QC, commit what it commits, enter the next round.
    pub(crate) fn process_qc(&mut self, cx: &mut Cx<'_>, qc: &QuorumCert, from: Option<PublicKey>) {
        if qc.vote_data.epoch != self.validators.epoch {
            return;
        }
        self.tree.record_qc(qc);
        if qc.round() > self.highest_qc.round() {
            self.highest_qc = qc.clone();
        }
        let id = qc.block_id();
        if self.tree.contains(&id) {
            self.try_commit(cx, &id);
        } else if qc.vote_data.height > self.tree.root().height {
            self.request_sync(cx, from, id, qc.vote_data.height, TargetSource::Verified);
        }
        if qc.vote_data.epoch == self.validators.epoch {
            self.advance_round(cx, qc.round().saturating_add(1), None);
        }
    }

    /// Learn a verified TC: its QC, then enter the round after it.
    pub(crate) fn process_tc(&mut self, cx: &mut Cx<'_>, tc: &TimeoutCert) {
        if tc.epoch != self.validators.epoch {
            return;
        }
        self.process_qc(cx, &tc.highest_qc, None);
        if tc.epoch != self.validators.epoch {
            return;
        }
        if self
            .highest_tc
            .as_ref()
            .is_none_or(|known| known.round < tc.round)
        {
            self.highest_tc = Some(tc.clone());
        }
        self.advance_round(cx, tc.round.saturating_add(1), Some(tc.clone()));
        self.pacemaker.observe_tc(tc);
    }

    /// Apply the two-chain rule to a newly certified block `certified`.
    pub(crate) fn try_commit(&mut self, cx: &mut Cx<'_>, certified: &BlockId) {
        let Some(target) = self.tree.commit_target(certified) else {
            return;
        };
        let Some(qc) = self.tree.qc(certified).cloned() else {
            return;
        };
        let Some(path) = self.tree.path_from_root(certified) else {
            return;
        };
        let headers: Vec<BlockHeader> = path.iter().map(|b| b.header.clone()).collect();
        let Some(target_index) = headers.iter().position(|h| h.id() == target) else {
            return;
        };
        // An epoch ends at its first reconfiguration block: commit no further than it.
        let end_index = headers
            .iter()
            .take(target_index.saturating_add(1))
            .position(|h| h.epoch == self.validators.epoch && next_epoch_set(h).is_some())
            .unwrap_or(target_index);
        let Some(new_root_qc) = headers
            .get(end_index.saturating_add(1))
            .map(|h| h.parent_qc.clone())
        else {
            return;
        };
        let Some(new_root_id) = headers.get(end_index).map(BlockHeader::id) else {
            return;
        };
        let Some(committed) = self.tree.commit(&new_root_id, new_root_qc) else {
            return;
        };
        let mut epoch_change = None;
        for (index, block) in committed.into_iter().enumerate() {
            let certificate = CommitCertificate {
                headers: headers
                    .get(index..)
                    .map(<[BlockHeader]>::to_vec)
                    .unwrap_or_default(),
                qc: qc.clone(),
            };
            self.leader.record_commit(&block.header);
            bump(&mut cx.metrics.blocks_committed);
            if index == end_index && next_epoch_set(&block.header).is_some() {
                epoch_change = Some((block.header.clone(), certificate.clone()));
            }
            cx.outputs.push(Output::Commit { block, certificate });
        }
        self.after_root_moved();
        if let Some((header, certificate)) = epoch_change {
            self.change_epoch(cx, &header, certificate);
        }
    }

    /// Bookkeeping after the committed tip moved.
    pub(crate) fn after_root_moved(&mut self) {
        let root = self.tree.root().clone();
        self.pending_proposals
            .retain(|(_, p)| p.block.header.height > root.height);
        let tree = &self.tree;
        self.sync
            .retain(|id, target| target.height > root.height && !tree.contains(id));
    }

    /// The reconfiguration block `header` committed with `certificate`: start the next epoch.
    pub(crate) fn change_epoch(
        &mut self,
        cx: &mut Cx<'_>,
        header: &BlockHeader,
        certificate: CommitCertificate,
    ) {
        let Some(next) = next_epoch_set(header).cloned() else {
            return;
        };
        bump(&mut cx.metrics.epoch_changes);
        cx.outputs.push(Output::EpochChange {
            proof: certificate,
            validator_set: next.clone(),
        });
        let start_round = header.round.saturating_add(1);
        self.previous_validators = Some(std::mem::replace(&mut self.validators, next.clone()));
        self.safety.start_epoch(next.epoch);
        self.tree.clear_uncommitted();
        self.leader = LeaderElection::new(
            next,
            start_round,
            cx.config.reputation_window_rounds,
            cx.config.reputation_exclude_recent_rounds,
        );
        self.highest_qc = self.tree.root_qc().clone();
        self.highest_tc = None;
        self.votes.clear();
        self.timeouts.clear();
        self.proposals_seen.clear();
        self.deferred_vote = None;
        self.awaiting_payload = None;
        self.proposed_round = 0;
        self.cert_verdicts.clear();
        self.sync_info_sent.clear();
        self.far_future_checked.clear();
        let epoch = self.validators.epoch;
        self.pending_proposals
            .retain(|(_, p)| p.block.header.epoch == epoch);
        self.pacemaker = Pacemaker::new(header.round);
        self.advance_round(cx, start_round, None);
        // Proposals of the new epoch that arrived early can be looked at again.
        self.replay_pending_proposals(cx);
    }
}
