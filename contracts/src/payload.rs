//! Block payloads: what a proposer puts in the opaque `payload` bytes of a consensus block.
//!
//! A payload is the borsh encoding of `Vec<Vec<u8>>`: the canonical bytes of each transaction, in
//! block order. The rule every node applies on execution, so that all reach the same state: a
//! payload that is not the canonical encoding of such a list, lists more than
//! [`MAX_BLOCK_TXS`](crate::limits::MAX_BLOCK_TXS) entries, or holds an entry that is not a
//! canonical transaction, executes as an empty block (a Byzantine proposer gains nothing by sending
//! one; honest proposers never do). Decoding stops at the count limit before allocating.
//!
//! This rule decides what a block means, so it lives here with the rest of the ledger's rules;
//! the node only calls it.

use crate::envelope::SignedTx;
use crate::limits::MAX_BLOCK_TXS;

/// Why a payload is refused (it then executes as an empty block).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Not a canonical list of byte strings.
    #[error("payload is not a canonical transaction list: {0}")]
    Malformed(String),
    /// More transactions than a block may hold.
    #[error("payload lists {count} transactions; a block holds at most {max}")]
    TooManyTxs {
        /// Transactions listed.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// An entry is not a canonical signed transaction.
    #[error("payload entry {index} is not a transaction: {reason}")]
    BadTx {
        /// Its position.
        index: usize,
        /// Why.
        reason: String,
    },
}

/// Encode transactions (already canonical bytes) as a payload.
pub fn encode_payload(txs: &[Vec<u8>]) -> Vec<u8> {
    crate::codec::encode(&txs.to_vec())
}

/// Decode a payload into transactions under the rules in the module doc.
pub fn decode_payload(bytes: &[u8]) -> Result<Vec<SignedTx>, PayloadError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    // Check the count prefix before borsh allocates anything.
    let count = bytes
        .get(..4)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| PayloadError::Malformed("shorter than its length prefix".into()))?
        as usize;
    if count > MAX_BLOCK_TXS {
        return Err(PayloadError::TooManyTxs {
            count,
            max: MAX_BLOCK_TXS,
        });
    }
    let entries: Vec<Vec<u8>> = crate::codec::decode_canonical(bytes)
        .map_err(|e| PayloadError::Malformed(e.to_string()))?;
    entries
        .iter()
        .enumerate()
        .map(|(index, entry)| {
            SignedTx::from_bytes(entry).map_err(|e| PayloadError::BadTx {
                index,
                reason: e.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_payload_is_an_empty_block() {
        assert_eq!(decode_payload(&[]), Ok(Vec::new()));
        assert_eq!(decode_payload(&encode_payload(&[])), Ok(Vec::new()));
    }

    #[test]
    fn count_over_limit_refused_before_decoding() {
        let mut bytes = ((MAX_BLOCK_TXS + 1) as u32).to_le_bytes().to_vec();
        bytes.extend([0u8; 8]);
        assert_eq!(
            decode_payload(&bytes),
            Err(PayloadError::TooManyTxs {
                count: MAX_BLOCK_TXS + 1,
                max: MAX_BLOCK_TXS
            })
        );
    }

    #[test]
    fn garbage_entries_refused() {
        let bytes = encode_payload(&[vec![1, 2, 3]]);
        assert!(matches!(
            decode_payload(&bytes),
            Err(PayloadError::BadTx { index: 0, .. })
        ));
        assert!(matches!(
            decode_payload(&[1, 0]),
            Err(PayloadError::Malformed(_))
        ));
    }
}
