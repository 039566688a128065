//! Queries over stored (or proven) bytes that apply could never have written: a record whose
//! count field is out of range is refused as corrupt, not trusted to size an allocation.

mod common;

use std::collections::BTreeMap;

use common::*;
use yrd_contracts::codec::{decode_canonical, encode};
use yrd_contracts::keys;
use yrd_contracts::query::{self, QueryError};
use yrd_contracts::reader::{MapReader, ReadError, RecordingReader};
use yrd_contracts::records::LicenceRecord;
use yrd_contracts::tree::StateProof;
use yrd_contracts::{ProvinceCode, StateReader};

/// Found by the `query_reads` fuzz target (input kept in
/// `fuzz/regressions/query_reads-licence-history-length`): a licence record with a huge
/// `history_len` made `licence_history` reserve room for that many events up front, and the
/// process aborted on the allocation. The length is now checked against `MAX_LICENCE_HISTORY`.
#[test]
fn licence_history_refuses_a_record_with_an_impossible_history_length() {
    let (mut chain, issuer, code) = shanghai_issuer_chain();
    let commitment = [0x42; 32];
    chain
        .run(
            &issuer,
            anchor(commitment, &code, GENESIS_TIME_MS, GENESIS_TIME_MS + DAY_MS),
        )
        .unwrap();
    let uscc = issuer_uscc(ProvinceCode::SHANGHAI, &issuer);

    // Every value the query reads, as a verifier would hold them.
    let snapshot = chain.state.snapshot();
    let recorder = RecordingReader::new(|key: &[u8]| {
        let no_proof = StateProof {
            leaf: None,
            siblings: Vec::new(),
        };
        Ok((snapshot.get(key)?, no_proof))
    });
    let events = query::licence_history(&recorder, &uscc, &commitment, None)
        .unwrap()
        .unwrap();
    assert_eq!(events.len(), 1);
    let mut values: BTreeMap<Vec<u8>, Vec<u8>> = recorder
        .into_reads()
        .into_iter()
        .filter_map(|(key, value, _)| value.map(|value| (key, value)))
        .collect();

    let key = keys::licence(&uscc, &commitment);
    let mut record: LicenceRecord = decode_canonical(&values[&key]).unwrap();
    record.history_len = u32::MAX;
    values.insert(key, encode(&record));
    let result = query::licence_history(&MapReader(values), &uscc, &commitment, None);
    assert!(
        matches!(result, Err(QueryError::Read(ReadError::Corrupt { .. }))),
        "{result:?}"
    );
}
