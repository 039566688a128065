//! Chain parameters that governance may change, with their bounds.

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::limits::{
    DEFAULT_MAX_TX_BYTES, MAX_PROPOSAL_TTL_BLOCKS, MAX_TX_BYTES_CEILING, MIN_TX_BYTES_FLOOR,
    MIN_YES_VOTES,
};
use crate::types::FieldError;

/// Tunable chain parameters, set at genesis and changed by passed proposals.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Parameters {
    /// A proposal passes once `yes_votes * quorum_denominator >= members * quorum_numerator`
    /// and `yes_votes >= MIN_YES_VOTES` (2), counting only votes cast under each member's
    /// current admission.
    ///
    /// The fraction must be more than 1/2 (two disjoint groups never both pass) and less than 1:
    /// unanimity (1/1, 2/2, ...) is refused because it gives every member a veto over its own
    /// removal. Together with the two-vote floor, no rule lets a single member decide alone,
    /// whatever the member count (including a vote on its own removal).
    pub quorum_numerator: u32,
    /// See [`Parameters::quorum_numerator`].
    pub quorum_denominator: u32,
    /// A proposal made at height `h` may be voted on up to and including height `h + ttl`.
    pub proposal_ttl_blocks: u64,
    /// Largest canonical encoding of one signed transaction, in bytes.
    pub max_tx_bytes: u32,
}

impl Default for Parameters {
    fn default() -> Self {
        Self {
            quorum_numerator: 2,
            quorum_denominator: 3,
            proposal_ttl_blocks: 100_800,
            max_tx_bytes: DEFAULT_MAX_TX_BYTES,
        }
    }
}

impl Parameters {
    /// Checks every bound: quorum in (1/2, 1) (see [`Parameters::quorum_numerator`]), TTL in 1..=[`MAX_PROPOSAL_TTL_BLOCKS`], size limit
    /// in [`MIN_TX_BYTES_FLOOR`]..=[`MAX_TX_BYTES_CEILING`].
    pub fn validate(&self) -> Result<(), FieldError> {
        let n = u64::from(self.quorum_numerator);
        let d = u64::from(self.quorum_denominator);
        // More than half, so two disjoint groups can never both pass conflicting proposals; less
        // than all, so no member can veto its own removal.
        if d == 0 || n >= d || n.saturating_mul(2) <= d {
            return Err(FieldError::new(
                "quorum",
                format!(
                    "{}/{} must be more than 1/2 and less than 1",
                    self.quorum_numerator, self.quorum_denominator
                ),
            ));
        }
        if self.proposal_ttl_blocks == 0 || self.proposal_ttl_blocks > MAX_PROPOSAL_TTL_BLOCKS {
            return Err(FieldError::new(
                "proposal_ttl_blocks",
                format!(
                    "{} must be in 1..={MAX_PROPOSAL_TTL_BLOCKS}",
                    self.proposal_ttl_blocks
                ),
            ));
        }
        if !(MIN_TX_BYTES_FLOOR..=MAX_TX_BYTES_CEILING).contains(&self.max_tx_bytes) {
            return Err(FieldError::new(
                "max_tx_bytes",
                format!(
                    "{} must be in {MIN_TX_BYTES_FLOOR}..={MAX_TX_BYTES_CEILING}",
                    self.max_tx_bytes
                ),
            ));
        }
        Ok(())
    }

    /// Whether `yes` votes out of `members` reach the quorum (checked arithmetic in u64). Fewer
    /// than [`MIN_YES_VOTES`] never do.
    pub fn quorum_reached(&self, yes: u64, members: u64) -> bool {
        if yes < MIN_YES_VOTES {
            return false;
        }
        let lhs = yes.checked_mul(u64::from(self.quorum_denominator));
        let rhs = members.checked_mul(u64::from(self.quorum_numerator));
        match (lhs, rhs) {
            (Some(l), Some(r)) => members > 0 && l >= r,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_two_thirds() {
        let p = Parameters::default();
        assert!(p.validate().is_ok());
        assert!(!p.quorum_reached(2, 4));
        assert!(p.quorum_reached(3, 4));
        assert!(p.quorum_reached(2, 3));
        assert!(!p.quorum_reached(1, 3));
        assert!(!p.quorum_reached(0, 0));
    }

    #[test]
    fn bounds() {
        let half = Parameters {
            quorum_numerator: 1,
            quorum_denominator: 2,
            ..Parameters::default()
        };
        assert!(half.validate().is_err());
        let all = Parameters {
            quorum_numerator: 1,
            quorum_denominator: 1,
            ..Parameters::default()
        };
        assert!(all.validate().is_err());
        let three_of_four = Parameters {
            quorum_numerator: 3,
            quorum_denominator: 4,
            ..Parameters::default()
        };
        assert!(three_of_four.validate().is_ok());
        // One vote never passes, even in a one-member chain.
        assert!(!three_of_four.quorum_reached(1, 1));
        assert!(Parameters::default().quorum_reached(2, 2));
        let at_ceiling = Parameters {
            max_tx_bytes: MAX_TX_BYTES_CEILING,
            ..Parameters::default()
        };
        assert!(at_ceiling.validate().is_ok());
        let over = Parameters {
            max_tx_bytes: MAX_TX_BYTES_CEILING + 1,
            ..Parameters::default()
        };
        assert!(over.validate().is_err());
        let ttl = Parameters {
            proposal_ttl_blocks: MAX_PROPOSAL_TTL_BLOCKS + 1,
            ..Parameters::default()
        };
        assert!(ttl.validate().is_err());
    }
}
