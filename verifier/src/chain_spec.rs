//! The chain specification a node (and an offline verifier) starts from: the genesis file.
//!
//! The file is the JSON form of [`yrd_contracts::genesis::Genesis`]. Everything else is derived from
//! it deterministically: the genesis state root (by applying it to an empty state tree), the first
//! validator set (every province's validator keys, equal voting power, epoch 0) and the consensus
//! genesis block. Two parties holding the same file derive the same chain.

use std::path::Path;

use yrd_consensus::PublicKey;
use yrd_consensus::types::{Genesis as ConsensusGenesis, ValidatorSet};
use yrd_contracts::genesis::Genesis;
use yrd_contracts::state::State;
use yrd_contracts::tree::MemoryTreeStore;

/// Domain tag of the genesis hash: H(tag || borsh(genesis)), H the suite's hash.
pub const GENESIS_HASH_TAG: &[u8] = b"yrd/genesis/v1";

/// Why a genesis file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ChainSpecError {
    /// The file could not be read.
    #[error("genesis file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a genesis.
    #[error("genesis file {path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The genesis is well-formed but invalid.
    #[error("genesis is invalid: {0}")]
    Invalid(String),
    /// The genesis names a crypto suite other than the one this process already runs on.
    #[error("genesis crypto suite: {0}")]
    Suite(#[from] yrd_consensus::SuiteConflict),
}

/// A loaded and checked genesis with what derives from it.
#[derive(Debug, Clone)]
pub struct ChainSpec {
    /// The genesis as written in the file.
    pub genesis: Genesis,
    /// H(GENESIS_HASH_TAG || borsh(genesis)), H the suite's hash (blake3 or SM3).
    pub genesis_hash: [u8; 32],
    /// The consensus genesis: first validator set, genesis state root, genesis time.
    pub consensus: ConsensusGenesis,
}

impl ChainSpec {
    /// Derive the chain spec from a genesis value. Installs the genesis's crypto suite as this
    /// process's suite (ADR 019) before anything is hashed; fails if the process already runs
    /// on the other one.
    pub fn from_genesis(genesis: Genesis) -> Result<Self, ChainSpecError> {
        yrd_consensus::CryptoSuite::install(genesis.crypto_suite)?;
        genesis
            .validate()
            .map_err(|e| ChainSpecError::Invalid(e.to_string()))?;
        let (_, root) = State::genesis(&genesis, MemoryTreeStore::new())
            .map_err(|e| ChainSpecError::Invalid(e.to_string()))?;
        let keys: Vec<PublicKey> = genesis
            .authorities
            .iter()
            .flat_map(|a| a.validator_keys.iter().map(|k| PublicKey(*k)))
            .collect();
        let validator_set = ValidatorSet::equal_power(0, &keys)
            .map_err(|e| ChainSpecError::Invalid(e.to_string()))?;
        let genesis_hash = yrd_consensus::CryptoSuite::current()
            .tagged_hash(GENESIS_HASH_TAG, &yrd_contracts::codec::encode(&genesis));
        let consensus = ConsensusGenesis {
            validator_set,
            state_root: root.0,
            timestamp_ms: genesis.genesis_time_ms,
        };
        Ok(Self {
            genesis,
            genesis_hash,
            consensus,
        })
    }

    /// Load and check a genesis file.
    pub fn load(path: &Path) -> Result<Self, ChainSpecError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ChainSpecError::Io {
            path: display.clone(),
            source,
        })?;
        let genesis: Genesis =
            serde_json::from_str(&text).map_err(|e| ChainSpecError::Malformed {
                path: display,
                reason: e.to_string(),
            })?;
        Self::from_genesis(genesis)
    }

    /// The validator keys of the first epoch.
    pub fn validator_keys(&self) -> Vec<[u8; 32]> {
        self.consensus
            .validator_set
            .validators
            .iter()
            .map(|v| v.public_key.0)
            .collect()
    }
}
