//! The signature on `batch_submitLeaves`: only the issuer that anchored a batch may leave its leaves
//! with a node.
//!
//! ```text
//! message   = blake3_derive_key(BATCH_LEAVES_CONTEXT,
//!               chainId ‖ 0x00 ‖ issuer USCC (18 ASCII bytes) ‖ root ‖ leafCount (u64 BE)
//!               ‖ blake3(leaf_0 ‖ leaf_1 ‖ …))
//! signature = ed25519 over the 32-byte message, by the key recorded as the batch's issuer
//!             (`BatchRecord::issuer`, the key that signed the anchoring transaction)
//! ```
//!
//! The node checks it with `verify_strict` against the batch record read at the latest committed
//! state, under the key `(issuer USCC, root)`; a signature by any other key — another issuer, or
//! the same issuer over other leaves or another chain — is refused. The message binds the chain id,
//! so a signature cannot be replayed on another ledger, and the leaves themselves, so it cannot be
//! reused for another batch. Replaying the same request is harmless: keeping a kept batch again is
//! a no-op.

use ed25519_dalek::{Signer, SigningKey};
use yrd_contracts::hashing::derive_hash;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::sigverify::{SignatureCheck, verify_one};
use yrd_contracts::types::{ChainId, PublicKeyBytes};

/// One `batch_submitLeaves` request, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeavesSubmission {
    /// The issuer the batch is anchored under.
    pub issuer: Uscc,
    /// Its commitments, in batch order.
    pub leaves: Vec<[u8; 32]>,
    /// The issuer's signature over them (module doc).
    pub signature: [u8; 64],
}

/// Domain tag of the message an issuer signs to leave a batch's leaves with a node.
pub const BATCH_LEAVES_CONTEXT: &str = "yrd-ledger 2025 rpc batch leaves v1";

/// The 32-byte message an issuer signs for `leaves` (module doc).
pub fn batch_leaves_message(
    chain_id: &ChainId,
    issuer: &Uscc,
    root: &[u8; 32],
    leaves: &[[u8; 32]],
) -> [u8; 32] {
    let mut leaves_hasher = blake3::Hasher::new();
    for leaf in leaves {
        leaves_hasher.update(leaf);
    }
    let leaves_digest = leaves_hasher.finalize();
    let count = u64::try_from(leaves.len()).unwrap_or(u64::MAX);
    derive_hash(
        BATCH_LEAVES_CONTEXT,
        &[
            chain_id.0.as_bytes(),
            &[0],
            issuer.as_str().as_bytes(),
            root,
            &count.to_be_bytes(),
            leaves_digest.as_bytes(),
        ],
    )
}

/// The issuer's signature over `leaves` (for the CLI, the bench and tests).
pub fn sign_batch_leaves(
    key: &SigningKey,
    chain_id: &ChainId,
    issuer: &Uscc,
    root: &[u8; 32],
    leaves: &[[u8; 32]],
) -> [u8; 64] {
    key.sign(&batch_leaves_message(chain_id, issuer, root, leaves))
        .to_bytes()
}

/// Whether `signature` over `leaves` verifies (`verify_strict`) with `anchoring_key`, the key
/// recorded as the batch's issuer.
pub fn batch_leaves_signature_verifies(
    anchoring_key: &PublicKeyBytes,
    chain_id: &ChainId,
    issuer: &Uscc,
    root: &[u8; 32],
    leaves: &[[u8; 32]],
    signature: &[u8; 64],
) -> bool {
    let message = batch_leaves_message(chain_id, issuer, root, leaves);
    verify_one(&SignatureCheck {
        signer: anchoring_key,
        message: &message,
        signature,
    })
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uscc() -> Uscc {
        Uscc::with_check_character("91310000MA1FL8TQ3").unwrap()
    }

    #[test]
    fn a_signature_answers_one_chain_issuer_and_leaf_list_only() {
        let key = SigningKey::from_bytes(&[5; 32]);
        let chain = ChainId("yrd-test-1".into());
        let issuer = uscc();
        let leaves = [[1; 32], [2; 32]];
        let root = [9; 32];
        let signature = sign_batch_leaves(&key, &chain, &issuer, &root, &leaves);
        let public = key.verifying_key().to_bytes();
        assert!(batch_leaves_signature_verifies(
            &public, &chain, &issuer, &root, &leaves, &signature
        ));
        let other_chain = ChainId("yrd-test-2".into());
        assert!(!batch_leaves_signature_verifies(
            &public,
            &other_chain,
            &issuer,
            &root,
            &leaves,
            &signature
        ));
        assert!(!batch_leaves_signature_verifies(
            &public,
            &chain,
            &issuer,
            &root,
            &[[2; 32], [1; 32]],
            &signature
        ));
        let other_key = SigningKey::from_bytes(&[6; 32]).verifying_key().to_bytes();
        assert!(!batch_leaves_signature_verifies(
            &other_key, &chain, &issuer, &root, &leaves, &signature
        ));
    }
}
