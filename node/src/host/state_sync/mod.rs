//! State sync: a new or wiped node starts from a certified snapshot of the state instead of
//! replaying every block (`yrd node --state-sync`).
//!
//! - [`wire`]: the requests and answers on `/yrd/direct/1`.
//! - [`manifest`]: what proves a snapshot (the block at its height, a later block attesting its
//!   root, the reconfiguration blocks from genesis), built by the server and checked by the
//!   syncing node against the genesis file.
//! - [`serve`]: answering peers, off the consensus loop and within a byte budget per peer.
//! - [`client`]: fetching, checking and restoring, resumable after a crash.
//! - [`ranges`]: fetching key ranges from several peers at once, the restore still taking every
//!   chunk in order and checking it on arrival.
//!
//! The chunks themselves and their range proofs are the store's
//! ([`crate::storage::Store::snapshot_chunk`], [`crate::storage::SnapshotRestore`]).

pub mod client;
pub mod manifest;
pub mod ranges;
pub mod serve;
pub mod wire;
