//! Safety rules: the only code that decides whether this node may sign a vote or a timeout.
//!
//! Two-chain rules (Jolteon / DiemBFT v4), checked in this order before any signature:
//!
//! 1. *Epoch*: the block or timeout is in [`SafetyData::epoch`].
//! 2. *Vote once per round*: a vote needs `round > last_voted_round`; asked again for the round it
//!    already voted in, the cached vote is returned if it is for the same block and refused
//!    otherwise. A timeout for round `r` needs `r >= last_voted_round` and sets it to `r`, so no
//!    vote follows a timeout in the same round.
//! 3. *Safe to vote*: `round == qc_round + 1`, or `round == tc_round + 1` and
//!    `qc_round >= tc.highest_qc_round` (the new block extends the highest QC any of the timeout
//!    signers held). Also `qc_round >= locked_round`.
//! 4. *Safe to timeout*: `round == qc_round + 1` or `round == tc_round + 1`, and
//!    `qc_round >= preferred_round`.
//!
//! 5. *Propose once per round*: a leader signs a proposal only for a round above
//!    `last_proposed_round`, and records it.
//!
//! After a vote, `preferred_round` (highest certified round seen in a voted block's QC, the
//! "one-chain" round) and `locked_round` (the round that QC's block certifies, the "two-chain"
//! round) advance. The caller must persist the returned [`SafetyData`] before the signed message
//! leaves the node; [`crate::PersistSafety`] enforces that.

use borsh::{BorshDeserialize, BorshSerialize};

use crate::crypto::Signer;
use crate::types::{Block, BlockHeader, Proposal, QuorumCert, TimeoutCert, TimeoutMsg, Vote};

/// What must survive a crash for this node never to sign conflicting messages.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SafetyData {
    /// Epoch these rounds belong to.
    pub epoch: u64,
    /// Highest round voted or timed out in.
    pub last_voted_round: u64,
    /// Highest QC round among the QCs of blocks voted for (one-chain round).
    pub preferred_round: u64,
    /// Highest round certified by the parent QC of a block such a QC certified (two-chain round).
    pub locked_round: u64,
    /// Highest round timed out in.
    pub highest_timeout_round: u64,
    /// The last vote signed, returned again when asked for the same round.
    pub last_vote: Option<Vote>,
    /// The last timeout signed. After a restart it tells the node which round it had reached
    /// and carries the certificates that justify it, so it can resend it instead of waiting
    /// for a round it may no longer time out in.
    pub last_timeout: Option<TimeoutMsg>,
    /// Highest round this node signed a proposal for as leader. A proposal leaves only after
    /// this is durable, so a leader that crashes and restarts in the same round never signs a
    /// second, different block for it.
    pub last_proposed_round: u64,
}

impl SafetyData {
    /// Safety data of a node that has never voted in `epoch`.
    pub fn new(epoch: u64) -> Self {
        Self {
            epoch,
            last_voted_round: 0,
            preferred_round: 0,
            locked_round: 0,
            highest_timeout_round: 0,
            last_vote: None,
            last_timeout: None,
            last_proposed_round: 0,
        }
    }
}

/// Why the safety rules refused to sign.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SafetyError {
    /// Message of another epoch.
    #[error("epoch {found} while safety data is at epoch {expected}")]
    WrongEpoch {
        /// Safety data epoch.
        expected: u64,
        /// The message epoch.
        found: u64,
    },
    /// Already voted or timed out in this or a later round.
    #[error("round {round} is not above the last voted round {last_voted_round}")]
    IncorrectLastVotedRound {
        /// Round asked for.
        round: u64,
        /// Last voted round.
        last_voted_round: u64,
    },
    /// Already voted for another block in this round.
    #[error("already voted for another block in round {round}")]
    AlreadyVotedOtherBlock {
        /// The round.
        round: u64,
    },
    /// Neither QC nor TC justify the round.
    #[error("round {round} follows neither QC round {qc_round} nor TC round {tc_round:?}")]
    NotSafeToVote {
        /// Round.
        round: u64,
        /// The block's QC round.
        qc_round: u64,
        /// The TC's round, if any.
        tc_round: Option<u64>,
    },
    /// The block's QC is below a TC signer's highest QC.
    #[error("QC round {qc_round} is below the TC's highest QC round {tc_highest_qc_round}")]
    QcBelowTimeoutCert {
        /// The block's QC round.
        qc_round: u64,
        /// The TC's highest QC round.
        tc_highest_qc_round: u64,
    },
    /// The block's QC is below the locked round.
    #[error("QC round {qc_round} is below the locked round {locked_round}")]
    QcBelowLock {
        /// The block's QC round.
        qc_round: u64,
        /// The locked round.
        locked_round: u64,
    },
    /// Already proposed in this or a later round.
    #[error("round {round} is not above the last proposed round {last_proposed_round}")]
    AlreadyProposed {
        /// Round asked for.
        round: u64,
        /// Last proposed round.
        last_proposed_round: u64,
    },
    /// A timeout whose QC is below the preferred round.
    #[error("timeout QC round {qc_round} is below the preferred round {preferred_round}")]
    TimeoutQcBelowPreferred {
        /// The QC round.
        qc_round: u64,
        /// The preferred round.
        preferred_round: u64,
    },
}

/// The result of asking for a vote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoteDecision {
    /// A new vote; the safety data changed.
    New(Vote),
    /// The vote already given for this block in this round.
    Cached(Vote),
}

/// The voting rules around [`SafetyData`].
#[derive(Clone, Debug)]
pub struct SafetyRules {
    data: SafetyData,
}

impl SafetyRules {
    /// Rules starting from recovered (or fresh) safety data.
    pub fn new(data: SafetyData) -> Self {
        Self { data }
    }

    /// The current safety data (what the host must persist).
    pub fn data(&self) -> &SafetyData {
        &self.data
    }

    /// Move to a new epoch: rounds restart their accounting.
    pub fn start_epoch(&mut self, epoch: u64) {
        if epoch > self.data.epoch {
            self.data = SafetyData::new(epoch);
        }
    }

    /// Decide and sign a vote for the block `header`, whose QC certifies a block whose own parent
    /// QC has round `parent_parent_qc_round`. `tc` is the proposal's TC, if any.
    pub fn vote(
        &mut self,
        signer: &dyn Signer,
        header: &BlockHeader,
        parent_qc_parent_round: u64,
        tc: Option<&TimeoutCert>,
    ) -> Result<VoteDecision, SafetyError> {
        if header.epoch != self.data.epoch {
            return Err(SafetyError::WrongEpoch {
                expected: self.data.epoch,
                found: header.epoch,
            });
        }
        let vote_data = header.vote_data();
        if let Some(last) = &self.data.last_vote
            && last.vote_data.round == header.round
        {
            return if last.vote_data == vote_data {
                Ok(VoteDecision::Cached(last.clone()))
            } else {
                Err(SafetyError::AlreadyVotedOtherBlock {
                    round: header.round,
                })
            };
        }
        if header.round <= self.data.last_voted_round {
            return Err(SafetyError::IncorrectLastVotedRound {
                round: header.round,
                last_voted_round: self.data.last_voted_round,
            });
        }
        let qc_round = header.parent_qc.round();
        safe_to_vote(header.round, qc_round, tc)?;
        if qc_round < self.data.locked_round {
            return Err(SafetyError::QcBelowLock {
                qc_round,
                locked_round: self.data.locked_round,
            });
        }
        self.data.last_voted_round = header.round;
        self.data.preferred_round = self.data.preferred_round.max(qc_round);
        self.data.locked_round = self.data.locked_round.max(parent_qc_parent_round);
        let vote = Vote::sign(vote_data, signer);
        self.data.last_vote = Some(vote.clone());
        Ok(VoteDecision::New(vote))
    }

    /// Sign `block` as this node's proposal for its round, at most once per round: the round is
    /// recorded in the safety data, which the caller must persist before the proposal leaves
    /// (the driver puts proposals behind [`crate::PersistSafety`] like votes).
    pub fn propose(
        &mut self,
        signer: &dyn Signer,
        block: Block,
        timeout_cert: Option<TimeoutCert>,
    ) -> Result<Proposal, SafetyError> {
        let header = &block.header;
        if header.epoch != self.data.epoch {
            return Err(SafetyError::WrongEpoch {
                expected: self.data.epoch,
                found: header.epoch,
            });
        }
        if header.round <= self.data.last_proposed_round {
            return Err(SafetyError::AlreadyProposed {
                round: header.round,
                last_proposed_round: self.data.last_proposed_round,
            });
        }
        self.data.last_proposed_round = header.round;
        Ok(Proposal::sign(block, timeout_cert, signer))
    }

    /// Decide and sign a timeout for `round`, carrying `highest_qc` and the TC of `round - 1`.
    pub fn timeout(
        &mut self,
        signer: &dyn Signer,
        epoch: u64,
        round: u64,
        highest_qc: &QuorumCert,
        last_round_tc: Option<&TimeoutCert>,
    ) -> Result<TimeoutMsg, SafetyError> {
        if epoch != self.data.epoch {
            return Err(SafetyError::WrongEpoch {
                expected: self.data.epoch,
                found: epoch,
            });
        }
        let qc_round = highest_qc.round();
        let tc_round = last_round_tc.map(|tc| tc.round);
        let follows_qc = qc_round.checked_add(1) == Some(round);
        let follows_tc = tc_round.and_then(|r| r.checked_add(1)) == Some(round);
        if !follows_qc && !follows_tc {
            return Err(SafetyError::NotSafeToVote {
                round,
                qc_round,
                tc_round,
            });
        }
        if qc_round < self.data.preferred_round {
            return Err(SafetyError::TimeoutQcBelowPreferred {
                qc_round,
                preferred_round: self.data.preferred_round,
            });
        }
        if round < self.data.last_voted_round {
            return Err(SafetyError::IncorrectLastVotedRound {
                round,
                last_voted_round: self.data.last_voted_round,
            });
        }
        self.data.last_voted_round = round;
        self.data.highest_timeout_round = self.data.highest_timeout_round.max(round);
        let timeout = TimeoutMsg::sign(
            epoch,
            round,
            highest_qc.clone(),
            last_round_tc.cloned(),
            signer,
        );
        self.data.last_timeout = Some(timeout.clone());
        Ok(timeout)
    }
}

/// Rule 3: the round follows the QC directly, or follows a TC whose signers held no higher QC.
fn safe_to_vote(round: u64, qc_round: u64, tc: Option<&TimeoutCert>) -> Result<(), SafetyError> {
    if qc_round.checked_add(1) == Some(round) {
        return Ok(());
    }
    match tc {
        Some(tc) if tc.round.checked_add(1) == Some(round) => {
            let tc_highest_qc_round = tc.highest_qc_round();
            if qc_round >= tc_highest_qc_round {
                Ok(())
            } else {
                Err(SafetyError::QcBelowTimeoutCert {
                    qc_round,
                    tc_highest_qc_round,
                })
            }
        }
        _ => Err(SafetyError::NotSafeToVote {
            round,
            qc_round,
            tc_round: tc.map(|t| t.round),
        }),
    }
}
