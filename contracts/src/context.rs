//! The inputs and outputs of applying one block.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::error::TxError;
use crate::tree::StateRoot;
use crate::types::{ChainId, TxHash};

/// What consensus tells the state machine about the block being applied. Block time comes from
/// consensus (never from a clock), so every node computes the same result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockContext {
    /// Block height: the state version this block produces (the genesis is version 0).
    pub height: u64,
    /// Block time, ms since the Unix epoch, as agreed by consensus.
    pub block_time_ms: u64,
    /// The chain id (must equal the genesis chain id).
    pub chain_id: ChainId,
    /// Consensus epoch.
    pub epoch: u64,
}

/// The result of one transaction. `code` is 0 on success, else [`TxError::code`].
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// The transaction hash.
    #[serde(with = "hex::serde")]
    pub tx_hash: TxHash,
    /// 0, or the error code.
    pub code: u32,
}

impl Receipt {
    /// Whether the transaction took effect.
    pub fn is_success(&self) -> bool {
        self.code == 0
    }

    /// Whether the receipt settles its transaction: every receipt but a nonce refusal
    /// ([`TxError::BadNonce`]), which says only that the block held the transaction out of its
    /// signer's nonce order. Such a transaction may still take effect in a later block; if its
    /// nonce was spent by another transaction, it never will.
    pub fn settles(&self) -> bool {
        self.code != crate::TxError::BAD_NONCE_CODE
    }
}

/// The result of one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockOutcome {
    /// The height applied.
    pub height: u64,
    /// The state root after the block.
    pub state_root: StateRoot,
    /// One receipt per transaction, in block order.
    pub receipts: Vec<Receipt>,
    /// The refused transactions: index in the block and the full error (its message carries the
    /// offending values; receipts keep only the code).
    pub errors: Vec<(usize, TxError)>,
    /// Whether a passed proposal changed the validator set in this block (consensus applies the
    /// new set at its next epoch boundary).
    pub validator_set_changed: bool,
}
