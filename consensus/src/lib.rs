//! Sans-IO two-chain BFT consensus core of yrd-ledger.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
