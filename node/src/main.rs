//! The `yrd` binary.
//!
//! The node's building blocks (network, storage, mempool, JSON-RPC) are in the library; the host
//! loop that joins them to consensus and execution, and the `keygen`/`genesis`/`node`/`devnet`/`tx`
//! commands on top of it, are not wired into this binary yet.
fn main() -> std::process::ExitCode {
    eprintln!("yrd: the node commands are not available in this build yet (see README, status)");
    std::process::ExitCode::from(2)
}
