//! `batch_submitLeaves` and `batch_getInclusionProof` over the node's store: which leaves a node
//! keeps, for whom, and how many.
//!
//! A submission is kept only if its leaves rebuild the root of a batch anchored under the named
//! issuer, it is signed by the key that anchored that batch (`crate::rpc::batch_leaves`), the
//! batch was issued in this node's province (a validator keeps its own province's batches; an
//! observer keeps any), and the issuer stays within `[rpc] max_batch_leaves_per_issuer`. Leaves are
//! stored under the issuer's USCC, so a submission never changes what another issuer's holders
//! are served.

use yrd_contracts::StateReader;
use yrd_contracts::batch::BatchTree;
use yrd_contracts::keys;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::reader::read_record;
use yrd_contracts::records::BatchRecord;
use yrd_contracts::types::{ChainId, ProvinceCode};

use crate::rpc::backend::{BackendError, BackendFault, BatchLeavesError};
use crate::rpc::batch_leaves::{LeavesSubmission, batch_leaves_signature_verifies};
use crate::storage::table::UsccKey;
use crate::storage::{KeptBatch, Store};

/// Most leaves of one batch this node keeps for its issuers.
pub const MAX_LOCAL_BATCH_LEAVES: usize = 1 << 20;

/// What the node checks a submission against.
#[derive(Debug, Clone, Copy)]
pub struct LeavesPolicy<'a> {
    /// This chain.
    pub chain_id: &'a ChainId,
    /// This node's province when it is a validator; `None` for an observer.
    pub local_province: Option<ProvinceCode>,
    /// `[rpc] max_batch_leaves_per_issuer`.
    pub max_leaves_per_issuer: u64,
}

/// Checks `submission` against the batch anchored in `state` and keeps its leaves in `store`.
/// Returns the batch root.
pub fn keep_batch_leaves(
    store: &Store,
    state: &(impl StateReader + ?Sized),
    policy: LeavesPolicy<'_>,
    submission: LeavesSubmission,
) -> Result<[u8; 32], BatchLeavesError> {
    let LeavesSubmission {
        issuer,
        leaves,
        signature,
    } = submission;
    if leaves.len() > MAX_LOCAL_BATCH_LEAVES {
        return Err(BatchLeavesError::TooManyLeaves {
            leaves: leaves.len(),
            max: MAX_LOCAL_BATCH_LEAVES,
        });
    }
    let issuer_key = UsccKey::of(&issuer);
    let root = BatchTree::build(leaves.clone())
        .map_err(BatchLeavesError::Invalid)?
        .root();
    let record: BatchRecord = read_record(state, &keys::batch(&issuer, &root))?
        .ok_or(BatchLeavesError::NotAnchored { root })?;
    if let Some(local) = policy.local_province
        && local != record.province
    {
        return Err(BatchLeavesError::OtherProvince {
            issuing: record.province.0,
            local: local.0,
        });
    }
    if !batch_leaves_signature_verifies(
        &record.issuer,
        policy.chain_id,
        &issuer,
        &root,
        &leaves,
        &signature,
    ) {
        tracing::info!(issuer = %issuer, root = %hex::encode(root), "batch leaves refused: not signed by the anchoring issuer");
        return Err(BatchLeavesError::NotSignedByIssuer { root });
    }
    let kept =
        store.keep_batch_leaves(&issuer_key, &root, &leaves, policy.max_leaves_per_issuer)?;
    match kept {
        KeptBatch::Kept { issuer_leaves } => {
            tracing::info!(issuer = %issuer, root = %hex::encode(root), leaves = leaves.len(), issuer_leaves, "kept batch leaves");
            Ok(root)
        }
        KeptBatch::AlreadyKept => Ok(root),
        KeptBatch::OverQuota { issuer_leaves, max } => {
            tracing::info!(issuer = %issuer, root = %hex::encode(root), leaves = leaves.len(), issuer_leaves, max, "batch leaves refused: issuer quota");
            Err(BatchLeavesError::IssuerQuota {
                kept: issuer_leaves,
                submitted: leaves.len() as u64,
                max,
            })
        }
    }
}

/// Where `issuer`'s kept leaf `commitment` is: (batch root, index); `None` when no kept batch of
/// that issuer holds it.
pub fn kept_leaf(
    store: &Store,
    issuer: &Uscc,
    commitment: &[u8; 32],
) -> Result<Option<([u8; 32], u64)>, BackendError> {
    Ok(store.batch_leaf(&UsccKey::of(issuer), commitment)?)
}

/// The tree of `issuer`'s kept batch `root`, checked to be anchored under `issuer` in `state` and
/// to rebuild the root.
pub fn kept_tree(
    store: &Store,
    state: &(impl StateReader + ?Sized),
    issuer: &Uscc,
    root: &[u8; 32],
) -> Result<BatchTree, BackendError> {
    let root = *root;
    let record: BatchRecord =
        read_record(state, &keys::batch(issuer, &root))?.ok_or(BackendFault::KeptLeaves {
            root,
            problem: "no batch with this root is anchored",
        })?;
    let leaves = store.batch_leaves(&UsccKey::of(issuer), &root, record.count)?;
    let tree =
        BatchTree::build(leaves).map_err(|source| BackendFault::KeptTree { root, source })?;
    if tree.root() != root {
        return Err(BackendFault::KeptLeaves {
            root,
            problem: "they do not rebuild the root",
        }
        .into());
    }
    Ok(tree)
}
