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
    ChainRecord, HeadRecord, MemberList, MemberRecord, ValidatorList, ValidatorRecord,
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
        Ok(())
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
        members.provinces.sort_unstable();
        validators.validators.sort_by_key(|a| a.key);
        put(keys::member_list(), encode(&members));
        put(keys::validator_list(), encode(&validators));
        Ok(writes)
    }
}
