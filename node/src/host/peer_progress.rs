//! What each connected member last showed of its progress: the epoch, round and height carried
//! by the newest consensus message it sent this node (a proposal's header, a vote's block, a
//! timeout's round and highest QC, a sync-info's QC). Shown by `net_getPeers` and the console's
//! network view, so an operator looking at one node sees whether the others keep up.
//!
//! These are *reports*, not facts: nothing here is verified (the core checks messages after
//! this), so a faulty member can claim any round. Only members reach the host at all, and the
//! table holds at most [`MAX_TRACKED_PEERS`] entries.

use std::collections::BTreeMap;

use yrd_consensus::types::ConsensusMessage;

/// The most peers whose reports are kept (membership is far smaller; this only bounds a bug).
pub const MAX_TRACKED_PEERS: usize = 1_024;

/// One peer's newest report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerProgress {
    /// Epoch of the message.
    pub epoch: u64,
    /// Round of the message.
    pub round: u64,
    /// Height of the block it names (a proposal's block, a vote's block, a QC's block).
    pub height: u64,
    /// When this node received it (its clock, ms since the Unix epoch).
    pub at_ms: u64,
}

/// The epoch, round and height a consensus message shows about its sender, if any.
pub fn reported(message: &ConsensusMessage) -> Option<(u64, u64, u64)> {
    match message {
        ConsensusMessage::Proposal(p) => {
            let h = &p.block.header;
            Some((h.epoch, h.round, h.height))
        }
        ConsensusMessage::Vote(v) => {
            Some((v.vote_data.epoch, v.vote_data.round, v.vote_data.height))
        }
        ConsensusMessage::Timeout(t) => Some((t.epoch, t.round, t.highest_qc.vote_data.height)),
        ConsensusMessage::SyncInfo(info) => {
            let qc = &info.highest_qc.vote_data;
            Some((qc.epoch, qc.round, qc.height))
        }
        ConsensusMessage::SyncRequest(_) | ConsensusMessage::SyncResponse(_) => None,
    }
}

/// Peers' newest reports.
#[derive(Debug, Default)]
pub struct PeerProgressTable {
    peers: BTreeMap<[u8; 32], PeerProgress>,
}

impl PeerProgressTable {
    /// Note what `message` from `peer` shows, received at `now_ms`. A report older (by epoch
    /// and round) than the one kept is ignored, as a late vote would otherwise pull it back.
    pub fn note(&mut self, peer: [u8; 32], message: &ConsensusMessage, now_ms: u64) {
        let Some((epoch, round, height)) = reported(message) else {
            return;
        };
        let fresh = PeerProgress {
            epoch,
            round,
            height,
            at_ms: now_ms,
        };
        let full = self.peers.len() >= MAX_TRACKED_PEERS;
        match self.peers.get_mut(&peer) {
            Some(kept) if (kept.epoch, kept.round) > (epoch, round) => {}
            Some(kept) => *kept = fresh,
            None if full => {}
            None => {
                self.peers.insert(peer, fresh);
            }
        }
    }

    /// The newest report of `peer`.
    pub fn get(&self, peer: &[u8; 32]) -> Option<PeerProgress> {
        self.peers.get(peer).copied()
    }

    /// Forget peers that are no longer members.
    pub fn retain_members(&mut self, is_member: impl Fn(&[u8; 32]) -> bool) {
        self.peers.retain(|key, _| is_member(key));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrd_consensus::Ed25519Signer;
    use yrd_consensus::types::{BlockId, SyncRequest, Vote, VoteData};

    fn vote(round: u64, height: u64) -> ConsensusMessage {
        let signer = Ed25519Signer::from_secret_bytes(&[7; 32]);
        let data = VoteData {
            epoch: 0,
            round,
            height,
            block_id: BlockId([height as u8; 32]),
        };
        ConsensusMessage::Vote(Vote::sign(data, &signer))
    }

    #[test]
    fn a_late_message_does_not_pull_a_report_back() {
        let mut table = PeerProgressTable::default();
        table.note([1; 32], &vote(7, 5), 100);
        table.note([1; 32], &vote(6, 4), 200);
        assert_eq!(
            table.get(&[1; 32]),
            Some(PeerProgress {
                epoch: 0,
                round: 7,
                height: 5,
                at_ms: 100
            })
        );
        table.note([1; 32], &vote(8, 6), 300);
        assert_eq!(
            table.get(&[1; 32]).map(|p| (p.round, p.at_ms)),
            Some((8, 300))
        );
    }

    #[test]
    fn sync_requests_report_nothing_and_the_table_is_bounded() {
        let mut table = PeerProgressTable::default();
        let request = ConsensusMessage::SyncRequest(SyncRequest {
            from_height: 1,
            target: BlockId([9; 32]),
            target_height: 3,
        });
        table.note([2; 32], &request, 1);
        assert_eq!(table.get(&[2; 32]), None);
        for i in 0..=MAX_TRACKED_PEERS {
            let mut key = [0u8; 32];
            key[..8].copy_from_slice(&(i as u64).to_le_bytes());
            table.note(key, &vote(1, 1), 1);
        }
        assert_eq!(table.peers.len(), MAX_TRACKED_PEERS);
        table.retain_members(|key| *key == [0u8; 32]);
        assert_eq!(table.peers.len(), 1);
    }
}
