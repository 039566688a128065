//! Building a snapshot manifest from the store (the serving side) and checking one against the
//! genesis file (the syncing side). A manifest is trusted only through its certificates: the
//! reconfiguration blocks are checked as a chain from the genesis validator set, and the target
//! and anchor blocks each against the set of their own epoch.

use yrd_consensus::types::{CommittedBlock, ValidatorSet};
use yrd_consensus::{CertError, EpochChangeProof};
use yrd_verifier::chain_spec::ChainSpec;

use super::wire::SnapshotManifest;
use crate::host::restart::committed_block;
use crate::storage::{Hash32, StorageError, Store};

/// How many blocks after a version the server looks for one whose header attests it.
pub const MAX_ANCHOR_SCAN: u64 = 16;

/// A manifest whose certificates all check out.
#[derive(Debug, Clone)]
pub struct VerifiedManifest {
    /// The state version.
    pub version: u64,
    /// Its certified root.
    pub root: Hash32,
    /// The committed block at `version`.
    pub target: CommittedBlock,
    /// The reconfiguration blocks, oldest first.
    pub epoch_changes: Vec<CommittedBlock>,
    /// Epoch and round of the newest header in the anchor's certificate: the latest round the
    /// syncing node knows the validators reached.
    pub latest_round: (u64, u64),
}

/// Why a manifest is refused (the peer that sent it is at fault).
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Version 0 is the genesis state: there is nothing to sync.
    #[error("a snapshot of version 0 is the genesis state")]
    GenesisVersion,
    /// A block's payload does not hash to its header's digest, or its certificate is for
    /// another block.
    #[error("{what}: block and certificate do not match")]
    Mismatch {
        /// Which block.
        what: &'static str,
    },
    /// A certificate does not verify.
    #[error("{what}: {source}")]
    Certificate {
        /// Which certificate.
        what: &'static str,
        /// Why.
        source: CertError,
    },
    /// A reconfiguration block lies above the snapshot version (the node could not start in
    /// the right epoch from it; a later manifest will do).
    #[error("reconfiguration block {height} lies above the snapshot version {version}")]
    ChangeAboveVersion {
        /// Its height.
        height: u64,
        /// The version.
        version: u64,
    },
    /// A block names an epoch the epoch changes do not reach.
    #[error("{what} is in epoch {epoch}, which the epoch changes do not reach")]
    UnknownEpoch {
        /// Which block.
        what: &'static str,
        /// Its epoch.
        epoch: u64,
    },
    /// The target is not at the version, or the anchor does not attest it.
    #[error("{0}")]
    Inconsistent(String),
}

fn matches(block: &CommittedBlock) -> bool {
    block.block.payload_matches() && block.certificate.headers.first() == Some(&block.block.header)
}

/// Check `manifest` against the chain's genesis.
pub fn verify_manifest(
    chain: &ChainSpec,
    manifest: &SnapshotManifest,
) -> Result<VerifiedManifest, ManifestError> {
    let version = manifest.version;
    if version == 0 {
        return Err(ManifestError::GenesisVersion);
    }
    let mut current = chain.consensus.validator_set.clone();
    let mut sets: Vec<ValidatorSet> = vec![current.clone()];
    for change in &manifest.epoch_changes {
        if !matches(change) {
            return Err(ManifestError::Mismatch {
                what: "reconfiguration block",
            });
        }
        if change.block.header.height > version {
            return Err(ManifestError::ChangeAboveVersion {
                height: change.block.header.height,
                version,
            });
        }
        let next = yrd_consensus::verify_epoch_changes(
            &current,
            &EpochChangeProof {
                certificates: vec![change.certificate.clone()],
            },
        )
        .map_err(|source| ManifestError::Certificate {
            what: "reconfiguration block",
            source,
        })?;
        sets.push(next.clone());
        current = next;
    }
    let set_of = |what: &'static str, epoch: u64| {
        sets.iter()
            .find(|set| set.epoch == epoch)
            .ok_or(ManifestError::UnknownEpoch { what, epoch })
    };

    let target = &manifest.target;
    if !matches(target) {
        return Err(ManifestError::Mismatch {
            what: "target block",
        });
    }
    if target.block.header.height != version {
        return Err(ManifestError::Inconsistent(format!(
            "target block is at height {}, not the version {version}",
            target.block.header.height
        )));
    }
    yrd_consensus::verify_commit_certificate(
        set_of("target block", target.block.header.epoch)?,
        &target.block.id(),
        &target.certificate,
    )
    .map_err(|source| ManifestError::Certificate {
        what: "target block",
        source,
    })?;

    let Some(anchor) = manifest.anchor.headers.first() else {
        return Err(ManifestError::Inconsistent(
            "anchor certificate has no header".into(),
        ));
    };
    yrd_consensus::verify_commit_certificate(
        set_of("anchor block", anchor.epoch)?,
        &anchor.id(),
        &manifest.anchor,
    )
    .map_err(|source| ManifestError::Certificate {
        what: "anchor block",
        source,
    })?;
    if anchor.executed.height != version || anchor.height <= version {
        return Err(ManifestError::Inconsistent(format!(
            "anchor block {} attests version {}, not {version}",
            anchor.height, anchor.executed.height
        )));
    }
    let latest = manifest.anchor.headers.last().unwrap_or(anchor);
    Ok(VerifiedManifest {
        version,
        root: anchor.executed.state_root,
        target: target.clone(),
        epoch_changes: manifest.epoch_changes.clone(),
        latest_round: (latest.epoch, latest.round),
    })
}

/// Why this node cannot serve a manifest (told to the asking peer).
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Nothing to offer (the peer should ask another).
    #[error("{0}")]
    Unavailable(String),
    /// The store failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// The manifest of `version` (or of the newest attested version) from this node's store.
pub fn build_manifest(
    store: &Store,
    chain: &ChainSpec,
    version: Option<u64>,
) -> Result<SnapshotManifest, ServeError> {
    let Some(head) = store.committed_head()? else {
        return Err(ServeError::Unavailable("no committed block yet".into()));
    };
    let anchor = match version {
        None => committed_block(store, head.height)?,
        Some(version) => {
            let last = head.height.min(version.saturating_add(MAX_ANCHOR_SCAN));
            let mut found = None;
            for height in version.saturating_add(1)..=last {
                if let Some(block) = committed_block(store, height)?
                    && block.block.header.executed.height == version
                {
                    found = Some(block);
                    break;
                }
            }
            found
        }
    };
    let Some(anchor) = anchor else {
        return Err(ServeError::Unavailable(
            "no committed block attests that version".into(),
        ));
    };
    let version = anchor.block.header.executed.height;
    if version == 0 {
        return Err(ServeError::Unavailable(
            "only the genesis state is attested yet".into(),
        ));
    }
    store.check_version_readable(version)?;
    let Some(target) = committed_block(store, version)? else {
        return Err(ServeError::Unavailable(format!(
            "block {version} is not kept here"
        )));
    };
    let first_epoch = chain.consensus.validator_set.epoch;
    let mut epoch_changes = Vec::new();
    for epoch in first_epoch.saturating_add(1)..=anchor.block.header.epoch {
        let Some(height) = store.epoch_change_height(epoch)? else {
            return Err(ServeError::Unavailable(format!(
                "no reconfiguration block recorded for epoch {epoch}"
            )));
        };
        let Some(change) = committed_block(store, height)? else {
            return Err(ServeError::Unavailable(format!(
                "reconfiguration block {height} is not kept here"
            )));
        };
        epoch_changes.push(change);
    }
    Ok(SnapshotManifest {
        version,
        target,
        anchor: anchor.certificate,
        epoch_changes,
    })
}
