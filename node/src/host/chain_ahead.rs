//! What the uncommitted chain a new proposal extends already spends.
//!
//! Transactions stay in the mempool until their block commits, so a leader building on
//! uncommitted blocks must not propose their transactions again (they would fail with a stale
//! nonce), and must go on proposing promptly while any of them carries transactions (each needs
//! certified descendants to commit). Both are read from the blocks themselves: the chain from the
//! committed tip to the parent the proposal extends, as the consensus core holds it (every block
//! in it was verified and certified or voted for). Nothing here trusts a message that the core
//! has not accepted: a proposal merely *seen* from a peer, valid or not, changes nothing.
//!
//! Decoding a payload is the costly part, so each block's summary is kept by block id while the
//! block stays uncommitted and forgotten once it leaves the chain.

use std::collections::BTreeMap;

use yrd_consensus::types::Block;

/// One block's transactions, as payload building needs them.
#[derive(Debug, Default)]
struct BlockSpend {
    /// Each signer's nonce after its transactions in the block.
    next: BTreeMap<[u8; 32], u64>,
    /// Whether the block carries at least one transaction.
    carries: bool,
}

impl BlockSpend {
    fn of(block: &Block) -> Self {
        // A malformed payload executes as empty: it spends nothing.
        let Ok(txs) = yrd_contracts::payload::decode_payload(&block.payload) else {
            return Self::default();
        };
        let mut next = BTreeMap::new();
        for tx in &txs {
            let after = tx.body.nonce.saturating_add(1);
            let known = next.entry(tx.body.signer).or_insert(after);
            *known = (*known).max(after);
        }
        Self {
            next,
            carries: !txs.is_empty(),
        }
    }
}

/// What the uncommitted chain below a proposal spends.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChainAhead {
    /// Each signer's nonce after its transactions in the chain (only signers with some).
    pub next: BTreeMap<[u8; 32], u64>,
    /// Whether some block of the chain carries transactions (it still needs descendants).
    pub carrying: bool,
}

impl ChainAhead {
    /// `signer`'s next nonce for a proposal on this chain, given its next nonce in the committed
    /// state.
    pub fn next_nonce(&self, signer: &[u8; 32], committed: u64) -> u64 {
        self.next
            .get(signer)
            .map_or(committed, |ahead| committed.max(*ahead))
    }
}

/// Block summaries by block id, for the blocks of the latest chain looked at.
#[derive(Debug, Default)]
pub struct ChainAheadCache {
    by_block: BTreeMap<[u8; 32], BlockSpend>,
}

impl ChainAheadCache {
    /// What `chain` (uncommitted blocks, from the committed tip's child up to the parent) spends.
    /// Summaries of blocks no longer in `chain` are dropped, so the cache holds at most one
    /// chain's worth.
    pub fn ahead<'a>(&mut self, chain: impl IntoIterator<Item = &'a Block>) -> ChainAhead {
        let mut kept = BTreeMap::new();
        let mut ahead = ChainAhead::default();
        for block in chain {
            let id = block.id().0;
            let spend = self
                .by_block
                .remove(&id)
                .unwrap_or_else(|| BlockSpend::of(block));
            ahead.carrying |= spend.carries;
            for (signer, next) in &spend.next {
                let known = ahead.next.entry(*signer).or_insert(*next);
                *known = (*known).max(*next);
            }
            kept.insert(id, spend);
        }
        self.by_block = kept;
        ahead
    }

    /// Blocks summarised.
    pub fn len(&self) -> usize {
        self.by_block.len()
    }

    /// Whether nothing is summarised.
    pub fn is_empty(&self) -> bool {
        self.by_block.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;
    use yrd_consensus::PublicKey;
    use yrd_consensus::types::{Genesis, ValidatorSet, payload_digest};
    use yrd_contracts::TxBody;
    use yrd_contracts::payload::encode_payload;
    use yrd_contracts::tx::TxPayload;
    use yrd_contracts::types::ChainId;

    use super::*;

    fn tx(key: &SigningKey, nonce: u64) -> Vec<u8> {
        TxBody {
            chain_id: ChainId("test".into()),
            signer: key.verifying_key().to_bytes(),
            nonce,
            expiry_height: 1_000,
            payload: TxPayload::TimestampDocument {
                digest: [nonce as u8; 32],
                acting_did: None,
            },
        }
        .sign(key)
        .to_bytes()
    }

    fn block(height: u64, payload: Vec<u8>) -> Block {
        let genesis = Genesis {
            validator_set: ValidatorSet::equal_power(0, &[PublicKey([1; 32])]).unwrap(),
            state_root: [0; 32],
            timestamp_ms: 0,
        };
        let mut header = genesis.header();
        header.height = height;
        header.payload_digest = payload_digest(&payload);
        Block { header, payload }
    }

    #[test]
    fn signers_next_nonce_passes_their_transactions_in_the_chain() {
        let (a, b) = (
            SigningKey::from_bytes(&[1; 32]),
            SigningKey::from_bytes(&[2; 32]),
        );
        let chain = [
            block(5, encode_payload(&[tx(&a, 3), tx(&a, 4), tx(&b, 0)])),
            block(6, encode_payload(&[])),
            block(7, encode_payload(&[tx(&a, 5)])),
        ];
        let mut cache = ChainAheadCache::default();
        let ahead = cache.ahead(&chain);
        let (ka, kb) = (a.verifying_key().to_bytes(), b.verifying_key().to_bytes());
        assert_eq!(ahead.next_nonce(&ka, 3), 6);
        assert_eq!(ahead.next_nonce(&kb, 0), 1);
        // The committed state is ahead of the chain (never behind it): it wins.
        assert_eq!(ahead.next_nonce(&ka, 9), 9);
        assert_eq!(ahead.next_nonce(&[9; 32], 2), 2);
        assert!(ahead.carrying);
        assert_eq!(cache.len(), 3);
    }

    #[test]
    fn an_empty_or_malformed_chain_spends_nothing_and_carries_nothing() {
        let chain = [block(5, encode_payload(&[])), block(6, vec![1, 0, 0, 0, 9])];
        let ahead = ChainAheadCache::default().ahead(&chain);
        assert_eq!(ahead, ChainAhead::default());
        assert_eq!(
            ChainAheadCache::default().ahead(&[] as &[Block]),
            ChainAhead::default()
        );
    }

    #[test]
    fn blocks_that_left_the_chain_are_forgotten() {
        let a = SigningKey::from_bytes(&[1; 32]);
        let first = block(5, encode_payload(&[tx(&a, 0)]));
        let second = block(6, encode_payload(&[tx(&a, 1)]));
        let mut cache = ChainAheadCache::default();
        cache.ahead(&[first.clone(), second.clone()]);
        assert_eq!(cache.len(), 2);
        // `first` committed: the chain now starts at `second`.
        let ahead = cache.ahead(std::slice::from_ref(&second));
        assert_eq!(cache.len(), 1);
        assert_eq!(ahead.next_nonce(&a.verifying_key().to_bytes(), 1), 2);
        cache.ahead(&[] as &[Block]);
        assert!(cache.is_empty());
    }
}
