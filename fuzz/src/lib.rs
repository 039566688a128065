//! Shared pieces of the fuzz targets: the valid samples (the same files the property tests use)
//! and structure-aware byte edits, so that inputs start from real encodings and reach past the
//! first tag byte instead of dying in the decoder's first match.

use arbitrary::Arbitrary;

/// Valid contracts samples: one signed transaction per payload kind, a genesis, a batch proof.
#[path = "../../contracts/tests/samples/mod.rs"]
pub mod contract_samples;

/// The contracts tests' in-memory chain (four provinces, helpers that sign and apply).
#[path = "../../contracts/tests/common/mod.rs"]
#[allow(clippy::new_without_default)] // Test helper, written for a private module.
pub mod contract_chain;

/// Valid consensus samples: every message kind, commit certificates, an epoch-change proof.
#[path = "../../consensus/tests/samples/mod.rs"]
pub mod consensus_samples;

/// One edit of an encoding; positions are taken modulo the editable span.
#[derive(Debug, Clone, Arbitrary)]
pub enum Edit {
    /// Overwrite one byte.
    Set(u32, u8),
    /// XOR one byte.
    Flip(u32, u8),
    /// Insert bytes.
    Insert(u32, Vec<u8>),
    /// Remove up to `n` bytes.
    Remove(u32, u8),
    /// Cut the encoding short.
    Truncate(u32),
    /// Overwrite a little-endian u32 (a borsh length or count) with a chosen value.
    SetU32(u32, u32),
    /// Overwrite a little-endian u64 (a borsh integer field) with a chosen value.
    SetU64(u32, u64),
}

/// Applies `edits` to `bytes`, leaving the first `floor` bytes alone.
pub fn mutate(mut bytes: Vec<u8>, edits: &[Edit], floor: usize) -> Vec<u8> {
    for edit in edits {
        let span = bytes.len().saturating_sub(floor);
        if span == 0 {
            break;
        }
        let at = |position: &u32| floor + (*position as usize) % span;
        match edit {
            Edit::Set(position, byte) => bytes[at(position)] = *byte,
            Edit::Flip(position, mask) => bytes[at(position)] ^= mask.max(&1),
            Edit::Insert(position, run) => {
                let position = floor + (*position as usize) % (span + 1);
                bytes.splice(position..position, run.iter().copied().take(64));
            }
            Edit::Remove(position, n) => {
                let start = at(position);
                let end = bytes.len().min(start + usize::from(*n).max(1));
                bytes.drain(start..end);
            }
            Edit::Truncate(position) => bytes.truncate(at(position)),
            Edit::SetU32(position, value) => {
                overwrite(&mut bytes, at(position), &value.to_le_bytes())
            }
            Edit::SetU64(position, value) => {
                overwrite(&mut bytes, at(position), &value.to_le_bytes())
            }
        }
    }
    bytes
}

fn overwrite(bytes: &mut [u8], start: usize, value: &[u8]) {
    for (slot, byte) in bytes.iter_mut().skip(start).zip(value) {
        *slot = *byte;
    }
}

/// A sample chosen by index, and edits to apply to its encoding.
#[derive(Debug, Arbitrary)]
pub struct MutatedSample {
    /// Which sample (modulo the number of samples).
    pub which: u8,
    /// Keep the first byte (the tag) when true, so every edit lands in the fields.
    pub keep_tag: bool,
    /// The edits.
    pub edits: Vec<Edit>,
}

impl MutatedSample {
    /// The edited encoding of the chosen sample among `samples`.
    pub fn apply(&self, samples: &[Vec<u8>]) -> Vec<u8> {
        if samples.is_empty() {
            return Vec::new();
        }
        let original = samples[usize::from(self.which) % samples.len()].clone();
        mutate(original, &self.edits, usize::from(self.keep_tag))
    }
}
