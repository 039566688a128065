//! The queries a verifier re-runs over proven reads (and a node runs over its store), fed a real
//! state whose values are dropped, replaced or edited: record decoding and every query never
//! panic, whatever the stored bytes.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use yrd_contracts::licence_id::Uscc;
use yrd_contracts::query;
use yrd_contracts::reader::{MapReader, RecordingReader};
use yrd_contracts::tree::StateProof;
use yrd_contracts::tx::StatusReason;
use yrd_contracts::{DidId, LicenceTypeCode, ProvinceCode, StateReader, TxPayload};
use yrd_fuzz::contract_chain::{
    DAY_MS, GENESIS_TIME_MS, anchor, issuer_uscc, pk, shanghai_issuer_chain, status_change,
};
use yrd_fuzz::{Edit, mutate};

const COMMITMENT: [u8; 32] = [0x42; 32];

struct World {
    uscc: Uscc,
    issuer_key: [u8; 32],
    issuer_did: DidId,
    code: LicenceTypeCode,
    /// Every key the queries read, with its value in the real state.
    reads: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// Every query a verifier or the RPC runs; results are ignored, panics are not.
fn run_queries(reader: &impl StateReader, world: &World) {
    let _ = query::licence_verify(
        reader,
        &world.uscc,
        &COMMITMENT,
        ProvinceCode::SHANGHAI,
        None,
    );
    let _ = query::licence_verify(
        reader,
        &world.uscc,
        &COMMITMENT,
        ProvinceCode::JIANGSU,
        Some(&world.issuer_did),
    );
    let _ = query::licence_history(reader, &world.uscc, &COMMITMENT, Some(&world.issuer_did));
    let _ = query::did_resolve(reader, &world.issuer_did, None);
    let _ = query::did_resolve(reader, &world.issuer_did, Some(1));
    let _ = query::issuer_get(reader, &world.issuer_key);
    let _ = query::licence_type_get(reader, &world.code);
    let _ = query::members(reader);
    let _ = query::validators(reader);
    let _ = query::head(reader);
    let _ = query::parameters(reader);
    let _ = query::member_get(reader, ProvinceCode::SHANGHAI);
}

static WORLD: LazyLock<World> = LazyLock::new(|| {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let uscc = issuer_uscc(ProvinceCode::SHANGHAI, &issuer);
    chain
        .run(
            &issuer,
            anchor(
                COMMITMENT,
                &code,
                GENESIS_TIME_MS,
                GENESIS_TIME_MS + 365 * DAY_MS,
            ),
        )
        .unwrap();
    chain
        .run(
            &issuer,
            TxPayload::SuspendLicence(status_change(&uscc, COMMITMENT, StatusReason::CourtOrder)),
        )
        .unwrap();
    let issuer_key = pk(&issuer);
    let snapshot = chain.state.snapshot();
    let issuer_did = query::issuer_get(&snapshot, &issuer_key)
        .unwrap()
        .unwrap()
        .did;
    let mut world = World {
        uscc,
        issuer_key,
        issuer_did,
        code,
        reads: BTreeMap::new(),
    };
    let recorder = RecordingReader::new(|key: &[u8]| {
        let empty = StateProof {
            leaf: None,
            siblings: Vec::new(),
        };
        Ok((snapshot.get(key)?, empty))
    });
    run_queries(&recorder, &world);
    world.reads = recorder
        .into_reads()
        .into_iter()
        .filter_map(|(key, value, _)| value.map(|value| (key, value)))
        .collect();
    world
});

#[derive(Debug, Arbitrary)]
enum Change {
    Drop,
    Replace(Vec<u8>),
    Edit(Vec<Edit>),
}

fuzz_target!(|changes: Vec<(u8, Change)>| {
    let world = &*WORLD;
    let keys: Vec<&Vec<u8>> = world.reads.keys().collect();
    if keys.is_empty() {
        return;
    }
    let mut map = world.reads.clone();
    for (index, change) in changes.into_iter().take(16) {
        let key = keys[usize::from(index) % keys.len()];
        match change {
            Change::Drop => {
                map.remove(key);
            }
            Change::Replace(bytes) => {
                map.insert(key.clone(), bytes);
            }
            Change::Edit(edits) => {
                if let Some(value) = map.get_mut(key) {
                    *value = mutate(value.clone(), &edits, 0);
                }
            }
        }
    }
    run_queries(&MapReader(map), world);
});
