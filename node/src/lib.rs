//! The yrd-ledger node: the host around the deterministic consensus and contracts crates.
//!
//! Everything that touches the outside world lives here: the libp2p network, RocksDB storage, the
//! mempool, the JSON-RPC server and the `yrd` command line. The consensus core and the contracts
//! state machine never do IO; this crate feeds them explicit inputs and performs their outputs.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod clock;
pub mod config;
pub mod config_limits;
pub mod host;
pub mod keys;
pub mod mempool;
pub mod network;
pub mod proof;
pub mod rpc;
pub mod storage;
