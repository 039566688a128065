//! Deterministic native state machine of yrd-ledger.
//!
//! This crate decides what the ledger means: which transactions are valid, who may sign them, and
//! what a verifier reads back. It must never do IO, read a clock or draw randomness: block time,
//! height and chain id arrive in a [`BlockContext`]-style input, so every node (and every offline
//! verifier) computes the same state root from the same blocks.
//!
//! Map: [`envelope`] (signed transactions) carries a [`tx::TxPayload`]; [`state::State`] applies
//! blocks of them through `apply` (one module per family) and writes records ([`records`]) under
//! the keys of [`keys`] into the authenticated [`tree`]; [`query`] reads them back through a
//! [`reader::StateReader`]; [`sigverify`] holds the signature rule and its exact batch fast path;
//! [`error::TxError`] lists every refusal with its stable code.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod batch;
pub mod codec;
pub mod licence_id;
pub mod tree;

mod apply;
pub mod context;
pub mod did_document;
pub mod did_id;
pub mod envelope;
pub mod error;
pub mod genesis;
pub mod hashing;
pub mod keys;
pub mod limits;
pub mod params;
pub mod payload;
pub mod query;
pub mod reader;
pub mod records;
pub mod sigverify;
pub mod state;
pub mod time;
pub mod tx;
mod tx_checks;
pub mod type_namespace;
pub mod types;

pub use context::{BlockContext, BlockOutcome, Receipt};
pub use did_id::DidId;
pub use envelope::{SignedTx, TxBody};
pub use error::TxError;
pub use genesis::{Genesis, GenesisAuthority, NetworkKeyBinding};
pub use params::Parameters;
pub use reader::{ReadError, StateReader};
pub use state::{
    BlockError, ExecutedBlock, GenesisError, SignatureMode, State, StateSnapshot, apply_block,
};
pub use tx::TxPayload;
pub use types::{ChainId, DataClass, LicenceTypeCode, ProvinceCode};
