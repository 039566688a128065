//! A signer's province, as the state records it: a member authority's key, an accredited
//! issuer's key or a validator's key. The mempool shares its room per province
//! ([`crate::mempool::GroupKey`]); signers without such a record (fresh or unregistered keys)
//! all share the one group `None`.

use yrd_contracts::StateReader;

use crate::mempool::GroupKey;

/// The province of `signer` in the state `reader` reads, or `None` if no record names one.
///
/// A read or decoding fault also gives `None`: the transaction then counts in the group of
/// signers without a province, never in a wider share than its own.
pub fn signer_province(reader: &impl StateReader, signer: &[u8; 32]) -> GroupKey {
    yrd_contracts::query::signer_province(reader, signer)
        .ok()
        .flatten()
        .map(|province| province.0)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use yrd_contracts::codec::encode;
    use yrd_contracts::keys;
    use yrd_contracts::records::{ValidatorList, ValidatorRecord};
    use yrd_contracts::types::ProvinceCode;

    use super::*;

    #[derive(Default)]
    struct Map(BTreeMap<Vec<u8>, Vec<u8>>);

    impl StateReader for Map {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, yrd_contracts::ReadError> {
            Ok(self.0.get(key).cloned())
        }
    }

    #[test]
    fn authority_and_validator_keys_have_their_province_and_a_fresh_key_none() {
        let mut state = Map::default();
        state.0.insert(
            keys::authority_key(&[1; 32]),
            encode(&ProvinceCode(310_000)),
        );
        let list = ValidatorList {
            validators: vec![ValidatorRecord {
                key: [2; 32],
                province: ProvinceCode(320_000),
                added_height: 0,
            }],
        };
        state.0.insert(keys::validator_list(), encode(&list));
        assert_eq!(signer_province(&state, &[1; 32]), Some(310_000));
        assert_eq!(signer_province(&state, &[2; 32]), Some(320_000));
        assert_eq!(signer_province(&state, &[3; 32]), None);
    }

    #[test]
    fn an_undecodable_record_counts_as_no_province() {
        let mut state = Map::default();
        state.0.insert(keys::issuer(&[4; 32]), vec![0xff]);
        assert_eq!(signer_province(&state, &[4; 32]), None);
    }
}
