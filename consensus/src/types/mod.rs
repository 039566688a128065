//! Consensus data types and the exact bytes that are hashed and signed.
//!
//! All encodings are borsh; fixed-size arrays encode as their raw bytes, integers little-endian,
//! `Vec<T>` as a `u32` length then the items, `Option<T>` as one byte `0`/`1` then the value.
//! Each module's `//!` documents the bytes of its types. Hash tags are in [`crate::hashing`].

mod block;
mod message;
mod quorum;
mod timeout;
mod validator;
mod vote;

pub use block::{Block, BlockHeader, BlockId, ExecutedState, Genesis, payload_digest};
pub use message::{
    CommittedBlock, ConsensusMessage, MAX_MESSAGE_BYTES, Proposal, SyncInfo, SyncRequest,
    SyncResponse,
};
pub use quorum::{QuorumCert, TimeoutCert, TimeoutData, TimeoutSignature, VoteData};
pub use timeout::TimeoutMsg;
pub use validator::{MAX_VALIDATORS, ValidatorInfo, ValidatorSet, ValidatorSetError};
pub use vote::Vote;
