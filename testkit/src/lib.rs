//! Helpers shared by the node's process tests and the benchmark suite; never part of a node.
//!
//! - [`net`]: one local network of real `yrd node` processes on 127.0.0.1, laid out by
//!   `yrd devnet --init-only`, with typed edits of the nodes' configuration files;
//! - [`signer`]: signing transactions with a key and a nonce counter;
//! - [`http`] and [`rpc`]: a byte-level HTTP/1.1 client (for requests a client library would refuse
//!   to send) and a blocking JSON-RPC client over it;
//! - [`certify`]: chains of certified headers without a network, signed by validators whose keys
//!   the caller holds;
//! - [`forge`]: a node's data directory holding a long history of executed, certified blocks,
//!   written without a network.
//!
//! Only tests and benchmarks depend on this crate (as a dev-dependency of `yrd-node`, and from
//! `yrd-bench`).
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod certify;
pub mod forge;
pub mod http;
pub mod net;
pub mod rpc;
pub mod signer;

pub use certify::{Certifier, store_certified_blocks};
pub use forge::{Forge, ForgeError};
pub use net::{ConfigTweaks, LocalNet, NetError, NetLayout, Node};
pub use rpc::{Rpc, RpcError};
pub use signer::{Signer, ledger_public, ledger_signer, sign_tx, suite_signer};
