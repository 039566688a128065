//! The verification log: which caller asked about which licence, and what it was told.
//!
//! Who showed which licence to whom is personal information (the brief keeps it off the ledger,
//! on the node that served the query, under access control). Every licence query is therefore
//! logged on its own tracing target, [`TARGET`], and nowhere else. The `yrd` binary's log filter
//! turns that target off unless the operator asks for it by name (`--verification-log`, or a
//! `RUST_LOG` directive naming `yrd::verification_log`); `--verbose` and a bare `RUST_LOG=debug`
//! leave it off. docs/OPERATIONS.md says how to enable it and how to treat what it writes.

use yrd_contracts::DidId;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query::Disclosure;
use yrd_contracts::types::Digest32;

/// The tracing target of the verification log.
pub const TARGET: &str = "yrd::verification_log";

/// One answered (or refused) licence query. `disclosure` is `None` when the answer was a proof
/// envelope or an error whose disclosure the handler did not compute.
pub fn record(
    method: &'static str,
    issuer: &Uscc,
    commitment: &Digest32,
    verifier: Option<&DidId>,
    disclosure: Option<Disclosure>,
    outcome: &'static str,
) {
    tracing::info!(
        target: TARGET,
        method,
        issuer = %issuer,
        commitment = %hex::encode(commitment),
        verifier = ?verifier.map(ToString::to_string),
        ?disclosure,
        outcome,
        "licence query"
    );
}
