//! Proposing a block as leader, and checking and voting on a leader's proposal.

use super::{Cx, Output, Running, bump};
use crate::crypto::PublicKey;
use crate::epoch::next_epoch_set;
use crate::safety_rules::VoteDecision;
use crate::sync::TargetSource;
use crate::types::{
    Block, BlockHeader, BlockId, ConsensusMessage, ExecutedState, Proposal, TimeoutCert,
    ValidatorSet, payload_digest,
};

/// Why a proposal's header is refused (kept internal; the metric counts them).
#[derive(Debug, PartialEq, Eq)]
enum HeaderFault {
    ParentLink,
    Timestamp,
    ExecutedHeight,
    ReconfigurationSuffixPayload,
    NextValidatorSet,
}

impl Running {
    /// As leader of the current round, ask the host for a payload once the parent is known.
    pub(crate) fn try_propose(&mut self, cx: &mut Cx<'_>) {
        let round = self.pacemaker.round();
        if !self.is_validator(cx)
            || self.leader.leader(round) != cx.me
            || self.proposed_round >= round
            || self.awaiting_payload == Some(round)
        {
            return;
        }
        let justified = self.highest_qc.round().checked_add(1) == Some(round)
            || self.pacemaker.last_round_tc().is_some();
        if !justified {
            return;
        }
        let parent_id = self.highest_qc.block_id();
        let Some(parent) = self.tree.header(&parent_id) else {
            let height = self.highest_qc.vote_data.height;
            self.request_sync(cx, None, parent_id, height, TargetSource::Verified);
            return;
        };
        self.awaiting_payload = Some(round);
        cx.outputs.push(Output::RequestPayload {
            epoch: self.validators.epoch,
            round,
            height: parent.height.saturating_add(1),
            max_bytes: cx.config.max_payload_bytes,
        });
    }

    pub(crate) fn on_payload_ready(&mut self, cx: &mut Cx<'_>, round: u64, mut payload: Vec<u8>) {
        if self.awaiting_payload != Some(round) || round != self.pacemaker.round() {
            return;
        }
        self.awaiting_payload = None;
        let parent_id = self.highest_qc.block_id();
        let Some(parent) = self.tree.header(&parent_id).cloned() else {
            return;
        };
        let epoch = self.validators.epoch;
        let executed = self.proposer_executed_state(&parent);
        let suffix = parent.epoch == epoch && next_epoch_set(&parent).is_some();
        if suffix || payload.len() > cx.config.max_payload_bytes {
            payload.clear();
        }
        let Some(next_validator_set) = self.expected_next_set(&parent, epoch, executed.height)
        else {
            return;
        };
        let timestamp_ms = cx.now_ms.max(parent.timestamp_ms.saturating_add(1));
        let header = BlockHeader {
            epoch,
            round,
            height: parent.height.saturating_add(1),
            parent_id,
            parent_qc: self.highest_qc.clone(),
            payload_digest: payload_digest(&payload),
            proposer: cx.me,
            timestamp_ms,
            executed,
            next_validator_set,
        };
        let timeout_cert = if self.highest_qc.round().checked_add(1) == Some(round) {
            None
        } else {
            self.pacemaker.last_round_tc().cloned()
        };
        self.proposed_round = round;
        // Like a vote, the proposal waits behind the safety data that records its round: a
        // leader restarted in this round finds it there and does not propose a second block.
        let Ok(proposal) = self
            .safety
            .propose(cx.signer, Block { header, payload }, timeout_cert)
        else {
            return;
        };
        cx.gated
            .push(Output::Broadcast(ConsensusMessage::Proposal(Box::new(
                proposal,
            ))));
    }

    /// The executed state a proposer attests: its newest that every receiver of the proposal can
    /// also have executed, never behind the parent's attestation.
    ///
    /// Receivers vote only for an executed height they have executed themselves, and they execute
    /// only what they have committed. What this node committed may rest on a QC the others never
    /// saw (the aggregator of a QC commits first; a restarted node keeps its committed blocks but
    /// not the QC that committed them). So the attestation is capped at the highest height the
    /// proposal's own chain proves committed under the two-chain rule: the parent of the highest
    /// certified block in the chain (the parent is certified by the proposal's QC, every ancestor
    /// by its child's) whose parent is exactly one round earlier. With no such pair above the
    /// root, the parent's attestation is repeated when this node has executed that height.
    fn proposer_executed_state(&self, parent: &BlockHeader) -> ExecutedState {
        let mut proven_committed = None;
        let mut cursor = parent.id();
        while cursor != self.tree.root_id() {
            let Some(header) = self.tree.header(&cursor) else {
                break;
            };
            match self.tree.header(&header.parent_id) {
                Some(up) if up.round.checked_add(1) == Some(header.round) => {
                    proven_committed = Some(up.height);
                    break;
                }
                Some(_) => cursor = header.parent_id,
                None => break,
            }
        }
        let floor = parent.executed.height;
        let bound = proven_committed.unwrap_or(floor).max(floor);
        if let Some((height, record)) = self.executed.range(floor..=bound).next_back() {
            return ExecutedState {
                height: *height,
                state_root: record.state_root,
            };
        }
        // Nothing executed here in that range (a node that started past it): attest the newest
        // executed height the parent allows, as receivers that are as far can check it.
        match self.executed.last_key_value() {
            Some((height, record)) if *height >= floor && *height <= parent.height => {
                ExecutedState {
                    height: *height,
                    state_root: record.state_root,
                }
            }
            _ => parent.executed,
        }
    }

    /// The `next_validator_set` a block at `epoch` on `parent` attesting `executed_height` must
    /// carry: the parent's pending set (a reconfiguration suffix), else the set the executed state
    /// schedules, else none. `None` when the executed height is unknown here.
    fn expected_next_set(
        &self,
        parent: &BlockHeader,
        epoch: u64,
        executed_height: u64,
    ) -> Option<Option<ValidatorSet>> {
        if parent.epoch == epoch
            && let Some(set) = next_epoch_set(parent)
        {
            return Some(Some(set.clone()));
        }
        let record = self.executed.get(&executed_height)?;
        Some(
            record
                .next_validator_set
                .clone()
                .filter(|set| epoch.checked_add(1) == Some(set.epoch)),
        )
    }

    /// A proposal far ahead of this node's round means this node is far behind (restarted with
    /// an empty or old database, or cut off for a while). Its parent QC, once verified, says
    /// where the chain is: process it (sync towards its block, enter the round after it) now,
    /// instead of waiting for this node's round to time out before a peer answers its timeout
    /// with its certificates. The proposal itself stays dropped. One QC check per sending
    /// validator per round of this node, so a flood of far-future messages costs little.
    fn learn_from_far_future(
        &mut self,
        cx: &mut Cx<'_>,
        from: PublicKey,
        parent_qc: &crate::types::QuorumCert,
    ) {
        let round = self.pacemaker.round();
        if !self.validators.contains(&from)
            || self
                .far_future_checked
                .get(&from)
                .is_some_and(|r| *r >= round)
            || parent_qc.vote_data.height <= self.tree.root().height
        {
            return;
        }
        self.far_future_checked.insert(from, round);
        if self.verify_qc(cx, parent_qc).is_err() {
            self.certificate_rejected(cx, from);
            return;
        }
        bump(&mut cx.metrics.far_future_qcs_learned);
        self.process_qc(cx, parent_qc, Some(from));
    }

    pub(crate) fn on_proposal(&mut self, cx: &mut Cx<'_>, from: PublicKey, proposal: Proposal) {
        let header = &proposal.block.header;
        let round = header.round;
        let epoch = self.validators.epoch;
        if header.epoch != epoch {
            // Nothing of a later epoch can be verified yet: at most a hint of where to sync.
            let (parent, height) = (header.parent_id, header.height.saturating_sub(1));
            self.other_epoch(cx, from, header.epoch, parent, height);
            return;
        }
        let current = self.pacemaker.round();
        if round < current {
            bump(&mut cx.metrics.dropped_stale);
            self.help_lagging_peer(cx, from, round);
            return;
        }
        if round > current.saturating_add(cx.config.max_future_rounds) {
            bump(&mut cx.metrics.dropped_far_future);
            self.learn_from_far_future(cx, from, &header.parent_qc);
            return;
        }
        if proposal.block.payload.len() > cx.config.max_payload_bytes
            || !proposal.block.payload_matches()
            || header.parent_qc.block_id() != header.parent_id
            || !self.validators.contains(&header.proposer)
        {
            bump(&mut cx.metrics.proposals_rejected);
            return;
        }
        if !proposal.verify_signature(cx.scheme) {
            bump(&mut cx.metrics.dropped_invalid);
            return;
        }
        let qc_follows = header.parent_qc.round().checked_add(1) == Some(round);
        let tc_follows = proposal
            .timeout_cert
            .as_ref()
            .is_some_and(|tc| tc.round.checked_add(1) == Some(round) && tc.epoch == epoch);
        if !qc_follows && !tc_follows {
            bump(&mut cx.metrics.proposals_rejected);
            return;
        }
        let parent_qc = header.parent_qc.clone();
        if self.verify_qc(cx, &parent_qc).is_err() {
            self.certificate_rejected(cx, from);
            return;
        }
        let tc = if tc_follows {
            proposal.timeout_cert.clone()
        } else {
            None
        };
        if let Some(tc) = &tc
            && self.verify_tc(cx, tc).is_err()
        {
            self.certificate_rejected(cx, from);
            return;
        }
        // The certificates are valid whatever the proposal's fate: learn from them first.
        self.process_qc(cx, &parent_qc, Some(from));
        if let Some(tc) = &tc {
            self.process_tc(cx, tc);
        }
        if self.validators.epoch != epoch || round != self.pacemaker.round() {
            bump(&mut cx.metrics.dropped_stale);
            return;
        }
        if self.leader.leader(round) != proposal.block.header.proposer {
            bump(&mut cx.metrics.proposals_rejected);
            return;
        }
        let id = proposal.block.id();
        if let Some(seen) = self.proposals_seen.get(&round)
            && *seen != id
        {
            bump(&mut cx.metrics.equivocations_seen);
            return;
        }
        let parent_id = proposal.block.header.parent_id;
        let Some(parent) = self.tree.header(&parent_id).cloned() else {
            if parent_qc.vote_data.height <= self.tree.root().height {
                // The parent is at or below the committed height but is not the committed tip:
                // a fork of committed history, or a block committed long ago.
                bump(&mut cx.metrics.proposals_rejected);
                return;
            }
            self.queue_pending_proposal(cx, from, proposal);
            let height = parent_qc.vote_data.height;
            self.request_sync(cx, Some(from), parent_id, height, TargetSource::Verified);
            return;
        };
        if let Err(_fault) = self.check_header(cx, &proposal.block, &parent) {
            bump(&mut cx.metrics.proposals_rejected);
            return;
        }
        if self.tree.insert(proposal.block).is_err() {
            bump(&mut cx.metrics.proposals_rejected);
            return;
        }
        self.proposals_seen.insert(round, id);
        while self.proposals_seen.len() > cx.config.max_future_rounds.max(16) as usize {
            self.proposals_seen.pop_first();
        }
        bump(&mut cx.metrics.proposals_accepted);
        self.try_vote(cx, &id, tc.as_ref());
    }

    fn queue_pending_proposal(&mut self, cx: &mut Cx<'_>, from: PublicKey, proposal: Proposal) {
        if self.pending_proposals.len() >= cx.config.max_pending_proposals {
            bump(&mut cx.metrics.dropped_buffer_full);
            return;
        }
        let id = proposal.block.id();
        if !self
            .pending_proposals
            .iter()
            .any(|(_, p)| p.block.id() == id)
        {
            self.pending_proposals.push((from, proposal));
        }
    }

    /// Header rules that need the parent: chain link, time, executed state, reconfiguration.
    fn check_header(
        &self,
        cx: &Cx<'_>,
        block: &Block,
        parent: &BlockHeader,
    ) -> Result<(), HeaderFault> {
        let header = &block.header;
        if parent.height.checked_add(1) != Some(header.height) || header.round <= parent.round {
            return Err(HeaderFault::ParentLink);
        }
        if header.timestamp_ms <= parent.timestamp_ms
            || header.timestamp_ms.abs_diff(cx.now_ms) > cx.config.max_clock_drift_ms
        {
            return Err(HeaderFault::Timestamp);
        }
        if header.executed.height < parent.executed.height
            || header.executed.height >= header.height
        {
            return Err(HeaderFault::ExecutedHeight);
        }
        let suffix = parent.epoch == header.epoch && next_epoch_set(parent).is_some();
        if suffix && !block.payload.is_empty() {
            return Err(HeaderFault::ReconfigurationSuffixPayload);
        }
        if let Some(set) = &header.next_validator_set
            && (set.validate().is_err() || header.epoch.checked_add(1) != Some(set.epoch))
        {
            return Err(HeaderFault::NextValidatorSet);
        }
        Ok(())
    }

    /// Vote for block `id` of the current round if the safety rules and the executed-state rule
    /// allow it; defer when this node has not executed the attested height yet.
    pub(crate) fn try_vote(&mut self, cx: &mut Cx<'_>, id: &BlockId, tc: Option<&TimeoutCert>) {
        if !self.is_validator(cx) {
            return;
        }
        let Some(block) = self.tree.block(id).cloned() else {
            return;
        };
        let header = &block.header;
        if header.round != self.pacemaker.round() || header.epoch != self.validators.epoch {
            return;
        }
        let executed_height = header.executed.height;
        let Some(record) = self.executed.get(&executed_height) else {
            let newest = self.executed.last_key_value().map_or(0, |(h, _)| *h);
            if executed_height > newest {
                bump(&mut cx.metrics.votes_deferred);
                self.deferred_vote = Some((*id, tc.cloned()));
            }
            return;
        };
        if record.state_root != header.executed.state_root {
            return;
        }
        let Some(parent) = self.tree.header(&header.parent_id) else {
            return;
        };
        match self.expected_next_set(parent, header.epoch, executed_height) {
            Some(expected) if expected == header.next_validator_set => {}
            _ => return,
        }
        let parent_qc_parent_round = parent.parent_qc.round();
        let decision = self
            .safety
            .vote(cx.signer, header, parent_qc_parent_round, tc);
        let vote = match decision {
            Ok(VoteDecision::New(vote)) => {
                bump(&mut cx.metrics.votes_sent);
                cx.voted_blocks.push(block.clone());
                vote
            }
            Ok(VoteDecision::Cached(vote)) => vote,
            Err(_) => return,
        };
        let next_leader = self.leader.leader(header.round.saturating_add(1));
        cx.gated.push(Output::SendTo {
            to: next_leader,
            message: ConsensusMessage::Vote(vote),
        });
    }
}
