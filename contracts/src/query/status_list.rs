//! An issuer's status-list entries: what a Bitstring Status List credential (docs/CREDENTIALS.md,
//! ADR 014) is built from.
//!
//! Every licence record takes its issuer's next status-list index when it is first written
//! (`apply::licence`, `keys::status_list_entry`). [`status_list_entries`] walks the indexes
//! `0..counter` and reports, for each, whether it is revoked or suspended.
//!
//! Disclosure: a list is public, so an entry shows its status only when anyone may learn it from
//! `licence_verify`, i.e. when the licence's effective data class is unconditional. Entries of
//! conditional and non-open licences are [`ListedStatus::NotListed`]: the node sets their bit in
//! every list (fail closed: a list never says "not revoked" of a licence whose status it may not
//! show, as when a type's data class becomes stricter after a credential was issued), and
//! `yrd vc issue` gives their credentials no `credentialStatus`.

use super::QueryError;
use super::data_class::class_for_licence;
use super::lookup::head;
use crate::keys;
use crate::licence_id::Uscc;
use crate::reader::{ReadError, StateReader, read_record};
use crate::records::{LicenceGate, LicenceStatusLeaf, LicenceTypeRecord};
use crate::types::{DataClass, Digest32, LicenceTypeCode};

/// What one status-list index says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListedStatus {
    /// An unconditional licence with status active.
    Active,
    /// An unconditional licence, suspended.
    Suspended,
    /// An unconditional licence, revoked.
    Revoked,
    /// A licence whose data class keeps its status from the public: not listed (its bits are set
    /// in every list, so a list-only verifier refuses it rather than trusting it).
    NotListed,
}

/// An issuer's entries at one state version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusListEntries {
    /// The state version (height) read.
    pub height: u64,
    /// Its block time, ms.
    pub block_time_ms: u64,
    /// Entry `i` is the licence with status-list index `i`; the length is the issuer's counter.
    pub entries: Vec<ListedStatus>,
}

/// Why an issuer's entries could not be listed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    /// A query or read failed (`NotFound` for an issuer never accredited under the USCC).
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The issuer has more entries than the caller's cap.
    #[error("issuer {uscc} has {count} status-list entries; this node lists at most {max}")]
    TooMany {
        /// The issuer.
        uscc: Uscc,
        /// Its counter.
        count: u64,
        /// The cap.
        max: u64,
    },
}

impl From<ReadError> for StatusListError {
    fn from(error: ReadError) -> Self {
        Self::Query(QueryError::Read(error))
    }
}

/// The issuer's next status-list index (the number of indexes assigned; absent = 0).
pub fn status_list_counter(reader: &impl StateReader, uscc: &Uscc) -> Result<u64, QueryError> {
    Ok(read_record::<u64>(reader, &keys::status_list_counter(uscc))?.unwrap_or(0))
}

/// The entries of the issuer with USCC `uscc`, refusing more than `max_entries` of them before
/// reading any. An issuer never accredited under `uscc` is `NotFound`.
pub fn status_list_entries(
    reader: &impl StateReader,
    uscc: &Uscc,
    max_entries: u64,
) -> Result<StatusListEntries, StatusListError> {
    let now = head(reader)?;
    if reader.get(&keys::issuer_by_uscc(uscc))?.is_none() {
        return Err(QueryError::NotFound {
            kind: "issuer",
            id: uscc.to_string(),
        }
        .into());
    }
    let count = status_list_counter(reader, uscc)?;
    if count > max_entries {
        return Err(StatusListError::TooMany {
            uscc: uscc.clone(),
            count,
            max: max_entries,
        });
    }
    let corrupt = |key: &[u8], reason: &str| {
        QueryError::Read(ReadError::Corrupt {
            key: hex::encode(key),
            reason: reason.to_owned(),
        })
    };
    // Type records and data classes, per (type, anchoring height) run: looked up once per type.
    let mut types: Vec<(LicenceTypeCode, LicenceTypeRecord)> = Vec::new();
    let mut entries = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for index in 0..count {
        let entry_key = keys::status_list_entry(uscc, index);
        let commitment: Digest32 = read_record(reader, &entry_key)?
            .ok_or_else(|| corrupt(&entry_key, "an index below the counter without an entry"))?;
        let gate_key = keys::licence_part(uscc, &commitment, keys::LicencePart::Gate);
        let gate: LicenceGate = read_record(reader, &gate_key)?
            .ok_or_else(|| corrupt(&gate_key, "a status-list entry without its licence"))?;
        let type_record = match types.iter().find(|(code, _)| *code == gate.licence_type) {
            Some((_, record)) => record.clone(),
            None => {
                let record: LicenceTypeRecord =
                    read_record(reader, &keys::licence_type(&gate.licence_type))?.ok_or_else(
                        || QueryError::NotFound {
                            kind: "licence type",
                            id: gate.licence_type.to_string(),
                        },
                    )?;
                types.push((gate.licence_type.clone(), record.clone()));
                record
            }
        };
        let class = class_for_licence(reader, &type_record, gate.anchored_height)?;
        if class != DataClass::Unconditional {
            entries.push(ListedStatus::NotListed);
            continue;
        }
        let status_key = keys::licence_part(uscc, &commitment, keys::LicencePart::Status);
        let status: LicenceStatusLeaf = read_record(reader, &status_key)?
            .ok_or_else(|| corrupt(&status_key, "a licence gate leaf without this leaf"))?;
        entries.push(match status.status {
            crate::records::LicenceStatus::Active => ListedStatus::Active,
            crate::records::LicenceStatus::Suspended => ListedStatus::Suspended,
            crate::records::LicenceStatus::Revoked => ListedStatus::Revoked,
        });
    }
    Ok(StatusListEntries {
        height: now.height,
        block_time_ms: now.block_time_ms,
        entries,
    })
}
