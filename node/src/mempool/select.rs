//! Proposal payloads: round-robin across groups (provinces) and, within a group, across signers.
//!
//! Oldest-first across the whole pool would let one issuer that submits far faster than blocks
//! commit fill every block with its own transactions while others wait. Here each group in turn
//! contributes one transaction, from each of its signers in turn, until the block is full; the
//! group and signer whose proposable transaction arrived first go first. Within one signer the
//! order is its nonce order (a later nonce cannot go without the earlier one).

use std::collections::{BTreeMap, VecDeque};

use super::{GroupKey, Mempool, PoolTx};

/// Where one signer's proposable run stands.
#[derive(Debug)]
struct Cursor {
    signer: [u8; 32],
    nonce: u64,
    arrival: u64,
}

impl<T: PoolTx> Mempool<T> {
    /// Pick a proposal payload: transactions whose nonces continue their signer's next nonce
    /// without a gap, at most `max_txs` of them and `max_bytes` in total, round-robin across
    /// groups and within each across signers.
    ///
    /// The transactions stay in the pool until [`Mempool::remove_committed`] sees them committed,
    /// so a proposal that fails to commit loses nothing. Cost: one pass over the signers, then
    /// O(log n) per transaction chosen.
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        next_nonce: impl Fn(&[u8; 32]) -> u64,
    ) -> Vec<T> {
        let mut by_group: BTreeMap<GroupKey, Vec<Cursor>> = BTreeMap::new();
        for (signer, queue) in &self.queues {
            let nonce = next_nonce(signer);
            let Some(entry) = queue.nonces.get(&nonce).and_then(|h| self.by_hash.get(h)) else {
                continue;
            };
            by_group.entry(queue.group).or_default().push(Cursor {
                signer: *signer,
                nonce,
                arrival: entry.arrival.seq,
            });
        }
        let mut groups: Vec<VecDeque<Cursor>> = by_group
            .into_values()
            .map(|mut cursors| {
                cursors.sort_by_key(|c| (c.arrival, c.signer));
                VecDeque::from(cursors)
            })
            .collect();
        groups.sort_by_key(|cursors| cursors.front().map_or(u64::MAX, |c| c.arrival));
        let mut turns: VecDeque<VecDeque<Cursor>> = groups.into();
        let mut chosen = Vec::new();
        let mut chosen_bytes = 0usize;
        while chosen.len() < max_txs {
            let Some(mut group) = turns.pop_front() else {
                break;
            };
            if let Some(mut cursor) = group.pop_front()
                && let Some(queue) = self.queues.get(&cursor.signer)
                && let Some(entry) = queue
                    .nonces
                    .get(&cursor.nonce)
                    .and_then(|h| self.by_hash.get(h))
            {
                let size = entry.tx.encoded_len();
                // A transaction that does not fit ends its signer's run (its later nonces cannot
                // go without it); other signers' smaller transactions may still fit.
                if chosen_bytes.saturating_add(size) <= max_bytes {
                    chosen_bytes += size;
                    chosen.push(entry.tx.clone());
                    if let Some(next) = cursor.nonce.checked_add(1)
                        && queue.nonces.contains_key(&next)
                    {
                        cursor.nonce = next;
                        group.push_back(cursor);
                    }
                }
            }
            if !group.is_empty() {
                turns.push_back(group);
            }
        }
        chosen
    }
}
