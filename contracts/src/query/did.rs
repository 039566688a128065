//! DID resolution at the latest or a given version.

use super::QueryError;
use crate::did_document::{DidResolution, render_resolution};
use crate::did_id::DidId;
use crate::keys;
use crate::reader::{StateReader, read_record};
use crate::records::{DidDocumentRecord, DidHeadRecord};

/// Resolves `did` at `version` (latest when `None`). `Ok(None)` when the DID or the version does
/// not exist; a deactivated DID resolves with `deactivated: true` in its metadata.
pub fn did_resolve(
    reader: &impl StateReader,
    did: &DidId,
    version: Option<u32>,
) -> Result<Option<DidResolution>, QueryError> {
    let Some(head) = read_record::<DidHeadRecord>(reader, &keys::did_head(did))? else {
        return Ok(None);
    };
    let version = version.unwrap_or(head.latest_version);
    if version == 0 || version > head.latest_version {
        return Ok(None);
    }
    let record: Option<DidDocumentRecord> = read_record(reader, &keys::did_version(did, version))?;
    Ok(record.map(|r| render_resolution(&head, &r)))
}
