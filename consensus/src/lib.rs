//! Sans-IO two-chain BFT consensus core of yrd-ledger.
//!
//! A HotStuff-family protocol with the two-chain commit rule of Jolteon / DiemBFT v4 / HotStuff-2:
//! a block is committed when it and its direct child in the next round are both certified by a
//! quorum certificate (more than two thirds of the voting power). Round changes after a failed
//! round go through timeout certificates; leaders rotate round-robin weighted by voting power and
//! skip validators that failed their recent leader rounds, judged from committed history only.
//!
//! # What this crate is, and what it must never do
//!
//! [`Core`] is a pure state machine in the style of raft-rs `RawNode` and malachite's `Driver`:
//! the host calls [`Core::step`] with the time it read from its own clock and one [`Input`], and
//! receives a [`Ready`] describing what to do: messages to send, timers to schedule, payloads to
//! build, blocks to sync, blocks that committed. The core never touches a socket, a disk, a clock,
//! a random number generator or a thread; `consensus/clippy.toml` bans them. The same inputs always
//! produce the same outputs, which is what lets the deterministic simulator in `yrd-tests` replay a
//! run from one seed.
//!
//! # Persist before send
//!
//! Votes, timeouts and a leader's proposals are the messages whose duplication can break safety
//! (a second proposal for a round after a crash is leader equivocation). They are never part of
//! [`Ready::outputs`]: they sit behind [`PersistSafety`], which hands them out only from
//! [`PersistSafety::persist`], after the host's durable-write callback has returned `Ok` for the
//! updated [`SafetyData`]. See [`driver`] for the host loop.
//!
//! # Module map
//!
//! - [`types`]: blocks, votes, timeouts, certificates, messages (and the bytes hashed or signed).
//! - [`certificates`]: the one place where QCs, TCs and commit certificates are verified; public
//!   for light clients ([`verify_commit_certificate`]).
//! - [`epoch`]: validator-set changes and [`verify_epoch_changes`].
//! - [`safety_rules`]: the voting rules and [`SafetyData`].
//! - [`pacemaker`], [`leader`], [`block_tree`], [`sync`]: round timing, leader election, the
//!   uncommitted block tree, catch-up.
//! - [`driver`]: [`Core`], [`Input`], [`Output`], [`Ready`].
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod block_tree;
pub mod certificates;
pub mod codec;
pub mod config;
pub mod crypto;
pub mod driver;
pub mod epoch;
pub mod hashing;
pub mod leader;
pub mod metrics;
pub mod pacemaker;
pub mod safety_rules;
pub mod suite;
pub mod sync;
pub mod types;

pub use certificates::{
    CertError, CommitCertificate, verify_commit_certificate, verify_commit_certificate_with,
};
pub use config::Config;
pub use crypto::{Ed25519Scheme, Ed25519Signer, PublicKey, Signature, SignatureScheme, Signer};
pub use driver::{Core, Input, Output, PersistSafety, Ready, StartState, TimerKind};
pub use epoch::{EpochChangeProof, verify_epoch_changes};
pub use metrics::Metrics;
pub use safety_rules::{SafetyData, SafetyError};
pub use suite::{CryptoSuite, SuiteConflict, SuiteScheme, SuiteSigner, UnknownSuite};
pub use types::{
    Block, BlockHeader, BlockId, ConsensusMessage, ExecutedState, Genesis, Proposal, QuorumCert,
    SyncInfo, SyncRequest, SyncResponse, TimeoutCert, TimeoutMsg, ValidatorInfo, ValidatorSet,
    Vote, VoteData,
};
