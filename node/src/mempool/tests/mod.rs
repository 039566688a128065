//! Unit tests of the pool, at every limit's edge, and one named test per attack it closes.

mod admission;
mod attacks;
mod fairness;
mod lifetime;

use super::*;

#[derive(Debug, Clone, PartialEq)]
struct FakeTx {
    signer: u8,
    nonce: u64,
    expiry: u64,
    len: usize,
}

impl PoolTx for FakeTx {
    fn hash(&self) -> [u8; 32] {
        let mut h = [0u8; 32];
        h[0] = self.signer;
        h[1..9].copy_from_slice(&self.nonce.to_be_bytes());
        h[9..17].copy_from_slice(&self.expiry.to_be_bytes());
        h[17..25].copy_from_slice(&(self.len as u64).to_be_bytes());
        h
    }
    fn signer(&self) -> [u8; 32] {
        [self.signer; 32]
    }
    fn nonce(&self) -> u64 {
        self.nonce
    }
    fn expiry_height(&self) -> u64 {
        self.expiry
    }
    fn encoded_len(&self) -> usize {
        self.len
    }
}

/// A 10-byte transaction expiring at 100.
fn tx(signer: u8, nonce: u64) -> FakeTx {
    FakeTx {
        signer,
        nonce,
        expiry: 100,
        len: 10,
    }
}

/// A 10-byte transaction expiring at `expiry`.
fn tx_expiring(signer: u8, nonce: u64, expiry: u64) -> FakeTx {
    FakeTx {
        expiry,
        ..tx(signer, nonce)
    }
}

/// Admission at `height` and time 0, signer's next nonce `next`, no group.
fn at(next_nonce: u64, height: u64) -> Admission {
    Admission {
        next_nonce,
        height,
        now_ms: 0,
        group: None,
    }
}

/// Small limits, fair shares only when full.
fn config() -> MempoolConfig {
    MempoolConfig {
        max_txs: 5,
        max_bytes: 45,
        max_txs_per_signer: 3,
        max_nonce_gap: 4,
        max_gapped_txs_per_signer: 2,
        max_gapped_age_ms: 10_000,
        max_lifetime_blocks: 50,
        max_lifetime_ms: 100_000,
        max_expiry_blocks: 200,
        fair_share_from_percent: 100,
    }
}

fn pool() -> Mempool<FakeTx> {
    Mempool::new(config())
}

/// Commit a block at `height`, time `now_ms`, that included `included`; every signer's next
/// nonce is `next(signer byte)`.
fn commit(
    pool: &mut Mempool<FakeTx>,
    included: &[FakeTx],
    height: u64,
    now_ms: u64,
    next: impl Fn(u8) -> u64,
) -> usize {
    let hashes: Vec<[u8; 32]> = included.iter().map(PoolTx::hash).collect();
    let signers: Vec<[u8; 32]> = included.iter().map(PoolTx::signer).collect();
    pool.remove_committed(
        Commit {
            included: &hashes,
            signers: &signers,
            height,
            now_ms,
        },
        |s| next(s[0]),
    )
}

/// (signer, nonce) of a selection.
fn picked(txs: &[FakeTx]) -> Vec<(u8, u64)> {
    txs.iter().map(|t| (t.signer, t.nonce)).collect()
}
