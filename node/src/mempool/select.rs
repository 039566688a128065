//! Payload order: round-robin across provinces, and within a province across signers.
//!
//! FIFO across the whole pool would let one issuer that submits far faster than blocks commit
//! fill every block with its own transactions while others wait; here each province in turn
//! contributes one transaction, from each of its signers in turn, until the block is full. The
//! province and signer whose waiting transaction is oldest go first in each cycle. Within one
//! signer the order is its nonce order (a later nonce cannot go without the earlier one).

use std::collections::{BTreeMap, VecDeque};

use super::PoolTx;

/// A proposable transaction and what the order needs to know about it.
#[derive(Debug)]
pub(super) struct Ready<'a, T> {
    pub arrival: u64,
    pub province: Option<u32>,
    pub signer: [u8; 32],
    pub tx: &'a T,
}

/// Take transactions from the signers' proposable `runs` (each non-empty, in nonce order), at
/// most `max_txs` of them and `max_bytes` in total.
pub(super) fn round_robin<T: PoolTx>(
    runs: Vec<Vec<Ready<'_, T>>>,
    max_txs: usize,
    max_bytes: usize,
) -> Vec<T> {
    let mut by_province: BTreeMap<Option<u32>, Vec<VecDeque<Ready<'_, T>>>> = BTreeMap::new();
    for run in runs {
        if let Some(head) = run.first() {
            by_province
                .entry(head.province)
                .or_default()
                .push(run.into());
        }
    }
    let oldest = |run: &VecDeque<Ready<'_, T>>| run.front().map_or(u64::MAX, |r| r.arrival);
    let mut provinces: Vec<VecDeque<VecDeque<Ready<'_, T>>>> = by_province
        .into_values()
        .map(|mut signers| {
            signers.sort_by_key(|run| (oldest(run), run.front().map(|r| r.signer)));
            VecDeque::from(signers)
        })
        .collect();
    provinces.sort_by_key(|signers| signers.front().map_or(u64::MAX, oldest));
    let mut active: VecDeque<_> = provinces.into();
    let mut chosen = Vec::new();
    let mut chosen_bytes = 0usize;
    while chosen.len() < max_txs {
        let Some(mut signers) = active.pop_front() else {
            break;
        };
        if let Some(mut run) = signers.pop_front()
            && let Some(ready) = run.pop_front()
        {
            let size = ready.tx.encoded_len();
            if chosen_bytes.saturating_add(size) <= max_bytes {
                chosen_bytes += size;
                chosen.push(ready.tx.clone());
                if !run.is_empty() {
                    signers.push_back(run);
                }
            }
            // Otherwise this signer's later nonces cannot go without this one: its run ends here,
            // while other signers' smaller transactions might still fit.
        }
        if !signers.is_empty() {
            active.push_back(signers);
        }
    }
    chosen
}
