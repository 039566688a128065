//! Signing transactions in tests and benchmarks: one function for a given nonce, and a signer that
//! numbers its own transactions.

use ed25519_dalek::SigningKey;
use yrd_consensus::{Signer as _, SuiteSigner};
use yrd_contracts::{ChainId, SignedTx, TxBody, TxPayload};

/// The signer of 32 secret bytes on the process's crypto suite (ADR 019): ed25519, or SM2.
pub fn suite_signer(secret: &[u8; 32]) -> SuiteSigner {
    // Test secrets are fixed patterns or fresh random keys; the few 32-byte strings that are no
    // SM2 secret (zero, at least the group order, n - 1) never occur.
    #[allow(clippy::expect_used)]
    SuiteSigner::from_secret_bytes(secret).expect("a test secret is a key on both suites")
}

/// The signer of `key`'s secret on the process's suite.
pub fn ledger_signer(key: &SigningKey) -> SuiteSigner {
    suite_signer(&key.to_bytes())
}

/// The ledger public key of `key`'s secret on the process's suite: the ed25519 key itself, or
/// the SM2 x-only key of the same secret.
pub fn ledger_public(key: &SigningKey) -> [u8; 32] {
    ledger_signer(key).public_key().0
}

/// Signs `payload` as `key` for `chain` with `nonce`, expiring at `expiry_height`.
pub fn sign_tx(
    chain: &ChainId,
    key: &SigningKey,
    nonce: u64,
    payload: TxPayload,
    expiry_height: u64,
) -> SignedTx {
    TxBody {
        chain_id: chain.clone(),
        signer: ledger_public(key),
        nonce,
        expiry_height,
        payload,
    }
    .sign_with(&ledger_signer(key))
}

/// A key with the nonce of its next transaction.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The key.
    pub key: SigningKey,
    /// The nonce its next transaction carries.
    pub next_nonce: u64,
}

impl Signer {
    /// A signer whose next nonce is `next_nonce`.
    pub fn new(key: SigningKey, next_nonce: u64) -> Self {
        Self { key, next_nonce }
    }

    /// A signer with a deterministic key derived from `seed` (the same seed, the same key).
    pub fn from_seed(seed: u64, next_nonce: u64) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8] = 0xbe;
        Self::new(SigningKey::from_bytes(&bytes), next_nonce)
    }

    /// The public key.
    pub fn public_key(&self) -> [u8; 32] {
        ledger_public(&self.key)
    }

    /// Signs `payload` for `chain` with the next nonce (and advances it), expiring at
    /// `expiry_height`.
    pub fn sign(&mut self, chain: &ChainId, payload: TxPayload, expiry_height: u64) -> SignedTx {
        let tx = sign_tx(chain, &self.key, self.next_nonce, payload, expiry_height);
        self.next_nonce += 1;
        tx
    }
}
