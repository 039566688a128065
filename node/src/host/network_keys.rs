//! Which ed25519 key each member proves on the network (ADR 020).
//!
//! On `ed25519-blake3` a member's network key is its member key, and the map is empty. On
//! `sm2-sm3` member keys are SM2 keys, which libp2p cannot authenticate: each member's node proves
//! an ed25519 network key instead, bound to its member key in the committed state (the genesis
//! writes its validators' bindings, `BindNetworkKey` the others'); before a node has state (state
//! sync) the genesis file's `networkKeys` serve. A member with no binding cannot be reached, and is
//! logged (it is still a member: its votes, relayed by nobody, never arrive, as with a member
//! that is down).

use std::collections::{BTreeMap, BTreeSet};

use yrd_consensus::CryptoSuite;
use yrd_contracts::Genesis;

/// Member key → network key, for every member whose network key is not its member key: the
/// binding `bound` finds (the committed state's), else the genesis file's.
pub fn network_keys(
    genesis: &Genesis,
    members: &BTreeSet<[u8; 32]>,
    bound: impl Fn(&[u8; 32]) -> Option<[u8; 32]>,
) -> BTreeMap<[u8; 32], [u8; 32]> {
    let mut keys = BTreeMap::new();
    if genesis.crypto_suite == CryptoSuite::Ed25519Blake3 {
        return keys;
    }
    for member in members {
        if let Some(network_key) = bound(member).or_else(|| genesis.network_key(member)) {
            keys.insert(*member, network_key);
        }
    }
    keys
}

/// The members the network can admit: every member on `ed25519-blake3`; on `sm2-sm3` those with
/// a network key in `network_keys`, each of the others logged (its SM2 key is no network
/// identity, so the network is never handed it). Called when the membership changes.
pub fn reachable(
    genesis: &Genesis,
    members: &BTreeSet<[u8; 32]>,
    network_keys: &BTreeMap<[u8; 32], [u8; 32]>,
) -> BTreeSet<[u8; 32]> {
    if genesis.crypto_suite == CryptoSuite::Ed25519Blake3 {
        return members.clone();
    }
    let mut reachable = BTreeSet::new();
    for member in members {
        if network_keys.contains_key(member) {
            reachable.insert(*member);
        } else {
            tracing::warn!(
                member = %hex::encode(member),
                "member has no network key bound; it cannot connect until its province binds one \
                 (yrd tx bind-network-key, ADR 020)"
            );
        }
    }
    reachable
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrd_contracts::{ChainId, GenesisAuthority, NetworkKeyBinding, Parameters, ProvinceCode};

    fn genesis(suite: CryptoSuite, bindings: Vec<NetworkKeyBinding>) -> Genesis {
        Genesis {
            chain_id: ChainId("t".into()),
            genesis_time_ms: 0,
            authorities: vec![GenesisAuthority {
                province: ProvinceCode::SHANGHAI,
                authority_key: [1; 32],
                validator_keys: vec![[2; 32], [3; 32]],
            }],
            parameters: Parameters::default(),
            crypto_suite: suite,
            network_keys: bindings,
        }
    }

    #[test]
    fn ed25519_members_are_their_own_network_keys() {
        let members = [[2; 32], [3; 32]].into_iter().collect();
        let genesis = genesis(CryptoSuite::Ed25519Blake3, vec![]);
        let keys = network_keys(&genesis, &members, |_| Some([9; 32]));
        assert!(keys.is_empty());
        assert_eq!(reachable(&genesis, &members, &keys), members);
    }

    #[test]
    fn sm_members_get_their_binding_and_unbound_ones_none() {
        let bound = NetworkKeyBinding {
            validator_key: [2; 32],
            network_key: [9; 32],
        };
        let members = [[2; 32], [3; 32], [4; 32]].into_iter().collect();
        let genesis = genesis(CryptoSuite::Sm2Sm3, vec![bound]);
        // The genesis file's binding when the state has none; the state's before the file's.
        let keys = network_keys(&genesis, &members, |_| None);
        assert_eq!(
            keys.into_iter().collect::<Vec<_>>(),
            vec![([2; 32], [9; 32])]
        );
        let state = |key: &[u8; 32]| (*key == [2; 32] || *key == [4; 32]).then_some([8; 32]);
        let keys = network_keys(&genesis, &members, state);
        // The unbound member is never handed to the network (its SM2 key is no network key).
        assert_eq!(
            reachable(&genesis, &members, &keys),
            [[2; 32], [4; 32]].into_iter().collect()
        );
        assert_eq!(
            keys.into_iter().collect::<Vec<_>>(),
            vec![([2; 32], [8; 32]), ([4; 32], [8; 32])]
        );
    }
}
