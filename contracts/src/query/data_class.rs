//! The data class that governs a licence: the strictest class its type has held from the
//! licence's anchoring height on.
//!
//! A type's owner may loosen its class (say non-open to unconditional) for licences anchored from
//! then on; licences anchored while a stricter class held keep that class, so loosening never
//! exposes them. Tightening applies to every licence at once (the current class is always
//! included). A class change in the block of anchoring counts for the licence (the stricter
//! reading). Reads the type record `05 ‖ code` and its history `10 ‖ code`.

use super::QueryError;
use crate::keys;
use crate::reader::{StateReader, read_record};
use crate::records::{DataClassHistory, LicenceTypeRecord};
use crate::types::{DataClass, LicenceTypeCode};

fn strictness(class: DataClass) -> u8 {
    match class {
        DataClass::Unconditional => 0,
        DataClass::Conditional => 1,
        DataClass::NonOpen => 2,
    }
}

/// The stricter of two classes.
pub fn stricter(a: DataClass, b: DataClass) -> DataClass {
    if strictness(b) > strictness(a) { b } else { a }
}

/// The class that applies to a licence of `type_code` anchored at `anchored_height`.
pub fn effective_data_class(
    reader: &impl StateReader,
    type_code: &LicenceTypeCode,
    anchored_height: u64,
) -> Result<DataClass, QueryError> {
    let record: LicenceTypeRecord = read_record(reader, &keys::licence_type(type_code))?
        .ok_or_else(|| QueryError::NotFound {
            kind: "licence type",
            id: type_code.to_string(),
        })?;
    class_for_licence(reader, &record, anchored_height)
}

/// [`effective_data_class`] for a type record already read.
pub fn class_for_licence(
    reader: &impl StateReader,
    record: &LicenceTypeRecord,
    anchored_height: u64,
) -> Result<DataClass, QueryError> {
    let history: DataClassHistory =
        read_record(reader, &keys::data_class_history(&record.code))?.unwrap_or_default();
    let mut class = record.data_class;
    if history
        .conditional_until
        .is_some_and(|until| until >= anchored_height)
    {
        class = stricter(class, DataClass::Conditional);
    }
    if history
        .non_open_until
        .is_some_and(|until| until >= anchored_height)
    {
        class = stricter(class, DataClass::NonOpen);
    }
    Ok(class)
}
