//! The genesis: chain id, the founding province authorities with their validator keys, and the
//! initial parameters. Applied as state version 0 by [`crate::state::State::genesis`].

use std::collections::BTreeSet;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};
use yrd_consensus::CryptoSuite;

use crate::apply::{Writes, genesis_did_document};
use crate::codec::encode;
use crate::did_id::DidId;
use crate::envelope::check_signer_key;
use crate::keys;
use crate::limits::{MAX_GENESIS_VALIDATORS_PER_PROVINCE, MAX_MEMBERS, MAX_VALIDATORS};
use crate::params::Parameters;
use crate::records::{
    ChainRecord, HeadRecord, MemberList, MemberRecord, NetworkKeyRecord, ValidatorList,
    ValidatorRecord,
};
use crate::tx::SubjectKind;
use crate::types::{ChainId, FieldError, ProvinceCode, PublicKeyBytes};

/// One founding province.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisAuthority {
    /// The province.
    pub province: ProvinceCode,
    /// The authority's signing key; also `#key-1` of its DID
    /// (`DidId::genesis_authority(province)`).
    #[serde(with = "hex::serde")]
    pub authority_key: PublicKeyBytes,
    /// The consensus keys of the validators it operates.
    #[serde(with = "crate::tree::serde_hex::bytes32_vec")]
    pub validator_keys: Vec<PublicKeyBytes>,
}

/// A genesis validator's network key, on a chain whose ledger keys are not ed25519 keys
/// (ADR 020). Members find and authenticate each other on the network by ed25519 keys; on
/// `ed25519-blake3` that key is the validator key itself and no binding is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkKeyBinding {
    /// The validator's consensus key, as listed under `validatorKeys`.
    #[serde(with = "hex::serde")]
    pub validator_key: PublicKeyBytes,
    /// The ed25519 key its node proves on the network (libp2p Noise).
    #[serde(with = "hex::serde")]
    pub network_key: PublicKeyBytes,
}

/// Everything the chain starts from.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Genesis {
    /// The chain id.
    pub chain_id: ChainId,
    /// Genesis time, ms since the Unix epoch (the block time of version 0).
    pub genesis_time_ms: u64,
    /// The founding members.
    pub authorities: Vec<GenesisAuthority>,
    /// Initial parameters.
    pub parameters: Parameters,
    /// The chain's crypto suite (ADR 019), fixed for its life. Absent in the file means
    /// `ed25519-blake3`, and that value is never written, so every existing genesis file keeps
    /// its bytes. Not in the borsh encoding either: the suite is committed to by the hash function
    /// the genesis hash, the state root and every block id are computed with.
    #[serde(default, skip_serializing_if = "is_default_suite")]
    #[borsh(skip)]
    pub crypto_suite: CryptoSuite,
    /// The genesis validators' network keys, on a chain whose suite is not `ed25519-blake3`
    /// (ADR 020). Absent in the file means none, and an empty list is never written. Not in the
    /// borsh encoding: the genesis state writes each binding (tables `14` and `15`), so the
    /// genesis state root, which the genesis certificate commits to, covers them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[borsh(skip)]
    pub network_keys: Vec<NetworkKeyBinding>,
}

fn is_default_suite(suite: &CryptoSuite) -> bool {
    *suite == CryptoSuite::default()
}

impl Genesis {
    /// Checks the suite (the one this process runs on), the chain id, provinces, keys (usable on
    /// the suite, no key used twice) and parameters.
    pub fn validate(&self) -> Result<(), FieldError> {
        let running = CryptoSuite::current();
        if self.crypto_suite != running {
            return Err(FieldError::new(
                "cryptoSuite",
                format!(
                    "the chain is on {} but this process runs on {running}",
                    self.crypto_suite
                ),
            ));
        }
        self.chain_id.validate()?;
        self.parameters.validate()?;
        if self.authorities.is_empty() || self.authorities.len() > MAX_MEMBERS {
            return Err(FieldError::new(
                "authorities",
                format!("must list 1..={MAX_MEMBERS} provinces"),
            ));
        }
        let mut provinces = BTreeSet::new();
        let mut keys_seen = BTreeSet::new();
        let mut validators = 0usize;
        for authority in &self.authorities {
            authority.province.validate()?;
            if !provinces.insert(authority.province) {
                return Err(FieldError::new(
                    "authorities",
                    format!("province {} listed twice", authority.province),
                ));
            }
            let n = authority.validator_keys.len();
            if n > MAX_GENESIS_VALIDATORS_PER_PROVINCE {
                return Err(FieldError::new(
                    "validator_keys",
                    format!(
                        "{n} for {}; at most {MAX_GENESIS_VALIDATORS_PER_PROVINCE}",
                        authority.province
                    ),
                ));
            }
            validators = validators.saturating_add(n);
            for key in std::iter::once(&authority.authority_key).chain(&authority.validator_keys) {
                check_signer_key(key).map_err(|e| FieldError::new("key", e.to_string()))?;
                if !keys_seen.insert(*key) {
                    return Err(FieldError::new(
                        "key",
                        format!("{} used twice", hex::encode(key)),
                    ));
                }
            }
        }
        if validators == 0 || validators > MAX_VALIDATORS {
            return Err(FieldError::new(
                "validator_keys",
                format!("{validators} in total; need 1..={MAX_VALIDATORS}"),
            ));
        }
        self.validate_network_keys()
    }

    /// Network keys: only on a suite whose ledger keys are not ed25519 keys; each names a
    /// genesis validator once, is an ed25519 point, and is nobody else's network key.
    fn validate_network_keys(&self) -> Result<(), FieldError> {
        if self.network_keys.is_empty() {
            return Ok(());
        }
        if self.crypto_suite == CryptoSuite::Ed25519Blake3 {
            return Err(FieldError::new(
                "networkKeys",
                "on ed25519-blake3 a validator's network key is its validator key; list none",
            ));
        }
        let validators: BTreeSet<&PublicKeyBytes> = self
            .authorities
            .iter()
            .flat_map(|authority| &authority.validator_keys)
            .collect();
        let mut bound = BTreeSet::new();
        let mut network = BTreeSet::new();
        for binding in &self.network_keys {
            let validator = hex::encode(binding.validator_key);
            if !validators.contains(&binding.validator_key) {
                return Err(FieldError::new(
                    "networkKeys",
                    format!("{validator} is not a genesis validator key"),
                ));
            }
            if !bound.insert(binding.validator_key) {
                return Err(FieldError::new(
                    "networkKeys",
                    format!("{validator} is listed twice"),
                ));
            }
            crate::envelope::parse_signer_key(&binding.network_key).map_err(|e| {
                FieldError::new("networkKeys", format!("network key of {validator}: {e}"))
            })?;
            if !network.insert(binding.network_key) {
                return Err(FieldError::new(
                    "networkKeys",
                    format!(
                        "network key {} is listed twice",
                        hex::encode(binding.network_key)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The network key of a genesis validator: the validator key itself on `ed25519-blake3`,
    /// the listed binding otherwise (`None` when the genesis lists none for it).
    pub fn network_key(&self, validator_key: &PublicKeyBytes) -> Option<PublicKeyBytes> {
        if self.crypto_suite == CryptoSuite::Ed25519Blake3 {
            return Some(*validator_key);
        }
        self.network_keys
            .iter()
            .find(|binding| binding.validator_key == *validator_key)
            .map(|binding| binding.network_key)
    }

    /// The state writes of version 0 (after [`Genesis::validate`]).
    pub(crate) fn writes(&self) -> Result<Writes, FieldError> {
        self.validate()?;
        let mut writes = Writes::new();
        let mut put = |key: Vec<u8>, bytes: Vec<u8>| {
            writes.insert(key, Some(bytes));
        };
        put(
            keys::chain(),
            encode(&ChainRecord {
                chain_id: self.chain_id.clone(),
                genesis_time_ms: self.genesis_time_ms,
            }),
        );
        put(keys::parameters(), encode(&self.parameters));
        put(
            keys::head(),
            encode(&HeadRecord {
                height: 0,
                block_time_ms: self.genesis_time_ms,
                epoch: 0,
            }),
        );
        let mut members = MemberList::default();
        let mut validators = ValidatorList::default();
        for authority in &self.authorities {
            let did = DidId::genesis_authority(authority.province);
            let (head, document) = genesis_did_document(
                did,
                SubjectKind::ProvinceAuthority,
                authority.authority_key,
                0,
                self.genesis_time_ms,
                [0; 32],
            );
            put(keys::did_head(&did), encode(&head));
            put(keys::did_version(&did, 1), encode(&document));
            let member = MemberRecord {
                province: authority.province,
                authority_key: authority.authority_key,
                authority_did: did,
                joined_height: 0,
            };
            put(keys::member(authority.province), encode(&member));
            put(
                keys::authority_key(&authority.authority_key),
                encode(&authority.province),
            );
            members.provinces.push(authority.province);
            for key in &authority.validator_keys {
                validators.validators.push(ValidatorRecord {
                    key: *key,
                    province: authority.province,
                    added_height: 0,
                });
            }
        }
        for binding in &self.network_keys {
            let province = validators
                .validators
                .iter()
                .find(|v| v.key == binding.validator_key)
                .map(|v| v.province)
                .ok_or_else(|| FieldError::new("networkKeys", "not a genesis validator"))?;
            put(
                keys::network_key(&binding.validator_key),
                encode(&NetworkKeyRecord {
                    network_key: binding.network_key,
                    province,
                    bound_height: 0,
                }),
            );
            put(
                keys::network_key_owner(&binding.network_key),
                encode(&binding.validator_key),
            );
        }
        members.provinces.sort_unstable();
        validators.validators.sort_by_key(|a| a.key);
        put(keys::member_list(), encode(&members));
        put(keys::validator_list(), encode(&validators));
        Ok(writes)
    }
}
