//! The state key layout: one domain byte per table, then fixed-width fields.
//!
//! A light-client verifier computes these keys to ask a node for a proof, so the layout is a
//! public format (docs/PROOFS.md copies this table). Integers are big-endian; keys, commitments,
//! roots and digests are raw 32 bytes; DID identifiers are their raw 16 bytes; a licence-type code
//! is its ASCII bytes and always comes last. Values are the borsh encoding of the named record
//! (`crate::records`), read back with the canonical decoder.
//!
//! | table | key bytes | value |
//! |---|---|---|
//! | chain | `00 01` | `ChainRecord` |
//! | parameters | `00 02` | `Parameters` |
//! | head | `00 03` | `HeadRecord` (last applied block) |
//! | member list | `00 04` | `MemberList` |
//! | validator list | `00 05` | `ValidatorList` |
//! | next proposal id | `00 06` | `u64` |
//! | observer list | `00 07` | `ObserverList` |
//! | member | `01 ‖ province u32` | `MemberRecord` |
//! | authority key | `02 ‖ key[32]` | `ProvinceCode` (kept after removal: a key is never reused) |
//! | proposal | `03 ‖ id u64` | `ProposalRecord` |
//! | issuer | `04 ‖ key[32]` | `IssuerRecord` |
//! | licence type | `05 ‖ code` | `LicenceTypeRecord` |
//! | licence | `06 ‖ issuer USCC[18] ‖ commitment[32]` | `LicenceRecord` |
//! | licence history | `07 ‖ issuer USCC[18] ‖ commitment[32] ‖ seq u32` | `LicenceEvent` |
//! | batch | `08 ‖ issuer USCC[18] ‖ root[32]` | `BatchRecord` |
//! | recognition policy | `09 ‖ recognising u32 ‖ issuing u32 ‖ code` | `PolicyRecord` |
//! | DID head | `0a ‖ id[16]` | `DidHeadRecord` |
//! | DID version | `0b ‖ id[16] ‖ version u32` | `DidDocumentRecord` |
//! | timestamp | `0c ‖ digest[32] ‖ signer[32]` | `TimestampRecord` |
//! | verifier | `0d ‖ province u32 ‖ id[16]` | `VerifierRecord` (registration by that province) |
//! | nonce | `0e ‖ key[32]` | `u64`: the signer's next nonce (absent = 0) |
//! | former member | `0f ‖ province u32` | `FormerMemberRecord` (its last removal) |
//! | data-class history | `10 ‖ code` | `DataClassHistory` (absent: the class never changed) |
//! | issuer by USCC | `11 ‖ USCC[18]` | `PublicKeyBytes`: the issuer key accredited under it |
//! | status-list counter | `12 ‖ USCC[18]` | `u64`: the issuer's next status-list index (absent = 0) |
//! | status-list entry | `13 ‖ USCC[18] ‖ index u64` | `Digest32`: the commitment holding that index |
//! | network key | `14 ‖ node key[32]` | `NetworkKeyRecord`: the ed25519 key the node proves on the network (`sm2-sm3` only, ADR 020) |
//! | network key owner | `15 ‖ network key[32]` | `PublicKeyBytes`: the node key it is bound to |
//!
//! Licences and batches are keyed by the issuing agency's USCC first (ADR 009): a question about
//! a licence names the issuer its identifier names, and no other issuer's record can answer it.
//!
//! Every key begins with its table byte and has a fixed length per table (apart from the
//! trailing type code), so keys of different tables never collide.

use crate::did_id::DidId;
use crate::licence_id::Uscc;
use crate::types::{Digest32, LicenceTypeCode, ProvinceCode, PublicKeyBytes};

/// Table bytes.
pub mod table {
    /// Chain-wide singletons.
    pub const META: u8 = 0x00;
    /// Member provinces.
    pub const MEMBER: u8 = 0x01;
    /// Authority key to province.
    pub const AUTHORITY_KEY: u8 = 0x02;
    /// Proposals.
    pub const PROPOSAL: u8 = 0x03;
    /// Issuers.
    pub const ISSUER: u8 = 0x04;
    /// Licence-type catalogue.
    pub const LICENCE_TYPE: u8 = 0x05;
    /// Licences.
    pub const LICENCE: u8 = 0x06;
    /// Licence status history.
    pub const LICENCE_HISTORY: u8 = 0x07;
    /// Batch anchors.
    pub const BATCH: u8 = 0x08;
    /// Recognition policies.
    pub const POLICY: u8 = 0x09;
    /// DID heads.
    pub const DID_HEAD: u8 = 0x0a;
    /// DID versions.
    pub const DID_VERSION: u8 = 0x0b;
    /// Document timestamps.
    pub const TIMESTAMP: u8 = 0x0c;
    /// Registered verifiers.
    pub const VERIFIER: u8 = 0x0d;
    /// Signer nonces.
    pub const NONCE: u8 = 0x0e;
    /// The last removal of each former member province.
    pub const FORMER_MEMBER: u8 = 0x0f;
    /// Stricter data classes a licence type has held.
    pub const DATA_CLASS_HISTORY: u8 = 0x10;
    /// Issuer USCC to issuer key.
    pub const ISSUER_USCC: u8 = 0x11;
    /// Each issuer's next status-list index.
    pub const STATUS_LIST_COUNTER: u8 = 0x12;
    /// Status-list index to licence commitment, per issuer.
    pub const STATUS_LIST_ENTRY: u8 = 0x13;
    /// A node key's network key (ADR 020).
    pub const NETWORK_KEY: u8 = 0x14;
    /// A network key's node key (one node per network key).
    pub const NETWORK_KEY_OWNER: u8 = 0x15;
}

fn key(table: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len = 1 + parts.iter().map(|p| p.len()).sum::<usize>();
    let mut out = Vec::with_capacity(len);
    out.push(table);
    for part in parts {
        out.extend_from_slice(part);
    }
    out
}

/// `00 01`.
pub fn chain() -> Vec<u8> {
    vec![table::META, 0x01]
}
/// `00 02`.
pub fn parameters() -> Vec<u8> {
    vec![table::META, 0x02]
}
/// `00 03`.
pub fn head() -> Vec<u8> {
    vec![table::META, 0x03]
}
/// `00 04`.
pub fn member_list() -> Vec<u8> {
    vec![table::META, 0x04]
}
/// `00 05`.
pub fn validator_list() -> Vec<u8> {
    vec![table::META, 0x05]
}
/// `00 06`.
pub fn next_proposal_id() -> Vec<u8> {
    vec![table::META, 0x06]
}
/// `00 07`.
pub fn observer_list() -> Vec<u8> {
    vec![table::META, 0x07]
}
/// `01 ‖ province`.
pub fn member(province: ProvinceCode) -> Vec<u8> {
    key(table::MEMBER, &[&province.0.to_be_bytes()])
}
/// `02 ‖ key`.
pub fn authority_key(k: &PublicKeyBytes) -> Vec<u8> {
    key(table::AUTHORITY_KEY, &[k])
}
/// `03 ‖ id`.
pub fn proposal(id: u64) -> Vec<u8> {
    key(table::PROPOSAL, &[&id.to_be_bytes()])
}
/// `04 ‖ key`.
pub fn issuer(k: &PublicKeyBytes) -> Vec<u8> {
    key(table::ISSUER, &[k])
}
/// `05 ‖ code`.
pub fn licence_type(code: &LicenceTypeCode) -> Vec<u8> {
    key(table::LICENCE_TYPE, &[code.0.as_bytes()])
}
/// `06 ‖ issuer USCC ‖ commitment`.
pub fn licence(issuer: &Uscc, commitment: &Digest32) -> Vec<u8> {
    key(table::LICENCE, &[&issuer.to_bytes(), commitment])
}
/// The parts of a licence stored in leaves of their own beside its record, so that a proof opens
/// only what the caller may learn (docs/PROOFS.md, "Licence leaves").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum LicencePart {
    /// [`crate::records::LicenceGate`]: what decides disclosure.
    Gate = 1,
    /// [`crate::records::LicenceStatusLeaf`].
    Status = 2,
    /// [`crate::records::LicenceValidityLeaf`].
    Validity = 3,
}
/// `06 ‖ issuer USCC ‖ commitment ‖ part` (one byte longer than the record's key).
pub fn licence_part(issuer: &Uscc, commitment: &Digest32, part: LicencePart) -> Vec<u8> {
    key(
        table::LICENCE,
        &[&issuer.to_bytes(), commitment, &[part as u8]],
    )
}
/// `07 ‖ issuer USCC ‖ commitment ‖ seq`.
pub fn licence_history(issuer: &Uscc, commitment: &Digest32, seq: u32) -> Vec<u8> {
    key(
        table::LICENCE_HISTORY,
        &[&issuer.to_bytes(), commitment, &seq.to_be_bytes()],
    )
}
/// `08 ‖ issuer USCC ‖ root`.
pub fn batch(issuer: &Uscc, root: &Digest32) -> Vec<u8> {
    key(table::BATCH, &[&issuer.to_bytes(), root])
}
/// `11 ‖ USCC`.
pub fn issuer_by_uscc(uscc: &Uscc) -> Vec<u8> {
    key(table::ISSUER_USCC, &[&uscc.to_bytes()])
}
/// `12 ‖ USCC`: the issuer's next status-list index.
pub fn status_list_counter(uscc: &Uscc) -> Vec<u8> {
    key(table::STATUS_LIST_COUNTER, &[&uscc.to_bytes()])
}
/// `13 ‖ USCC ‖ index`: the commitment of the issuer's licence at status-list `index`.
pub fn status_list_entry(uscc: &Uscc, index: u64) -> Vec<u8> {
    key(
        table::STATUS_LIST_ENTRY,
        &[&uscc.to_bytes(), &index.to_be_bytes()],
    )
}
/// `14 ‖ node key`.
pub fn network_key(node_key: &PublicKeyBytes) -> Vec<u8> {
    key(table::NETWORK_KEY, &[node_key])
}
/// `15 ‖ network key`.
pub fn network_key_owner(network_key: &PublicKeyBytes) -> Vec<u8> {
    key(table::NETWORK_KEY_OWNER, &[network_key])
}
/// `09 ‖ recognising ‖ issuing ‖ code`.
pub fn policy(recognising: ProvinceCode, issuing: ProvinceCode, code: &LicenceTypeCode) -> Vec<u8> {
    key(
        table::POLICY,
        &[
            &recognising.0.to_be_bytes(),
            &issuing.0.to_be_bytes(),
            code.0.as_bytes(),
        ],
    )
}
/// `0a ‖ id`.
pub fn did_head(did: &DidId) -> Vec<u8> {
    key(table::DID_HEAD, &[&did.0])
}
/// `0b ‖ id ‖ version`.
pub fn did_version(did: &DidId, version: u32) -> Vec<u8> {
    key(table::DID_VERSION, &[&did.0, &version.to_be_bytes()])
}
/// `0c ‖ digest ‖ signer`.
pub fn timestamp(digest: &Digest32, signer: &PublicKeyBytes) -> Vec<u8> {
    key(table::TIMESTAMP, &[digest, signer])
}
/// `0d ‖ province ‖ id`: the registration of `did` by `province`.
pub fn verifier(province: ProvinceCode, did: &DidId) -> Vec<u8> {
    key(table::VERIFIER, &[&province.0.to_be_bytes(), &did.0])
}
/// `0e ‖ key`.
pub fn nonce(k: &PublicKeyBytes) -> Vec<u8> {
    key(table::NONCE, &[k])
}

/// `0f ‖ province`.
pub fn former_member(province: ProvinceCode) -> Vec<u8> {
    key(table::FORMER_MEMBER, &[&province.0.to_be_bytes()])
}
/// `10 ‖ code`.
pub fn data_class_history(code: &LicenceTypeCode) -> Vec<u8> {
    key(table::DATA_CLASS_HISTORY, &[code.0.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_pinned() {
        assert_eq!(hex::encode(member(ProvinceCode::SHANGHAI)), "010004baf0");
        assert_eq!(hex::encode(proposal(1)), "030000000000000001");
        let uscc: Uscc = "91310000MA1FL0001R".parse().unwrap();
        assert_eq!(
            hex::encode(licence_history(&uscc, &[0xaa; 32], 2)),
            format!(
                "07{}{}00000002",
                hex::encode("91310000MA1FL0001R"),
                "aa".repeat(32)
            )
        );
        assert_eq!(licence(&uscc, &[1; 32]).len(), 51);
        assert_eq!(batch(&uscc, &[1; 32]).len(), 51);
        assert_eq!(issuer_by_uscc(&uscc).len(), 19);
        assert_eq!(
            hex::encode(policy(
                ProvinceCode::JIANGSU,
                ProvinceCode::SHANGHAI,
                &LicenceTypeCode("T1".into())
            )),
            "090004e2000004baf05431"
        );
        assert_eq!(
            hex::encode(did_version(&DidId([1; 16]), 3)),
            format!("0b{}00000003", "01".repeat(16))
        );
        assert_eq!(nonce(&[5; 32]).len(), 33);
        assert_eq!(
            hex::encode(verifier(ProvinceCode::SHANGHAI, &DidId([1; 16]))),
            format!("0d0004baf0{}", "01".repeat(16))
        );
        assert_eq!(
            hex::encode(former_member(ProvinceCode::ANHUI)),
            "0f00053020"
        );
        assert_eq!(
            hex::encode(data_class_history(&LicenceTypeCode("T1".into()))),
            "105431"
        );
        assert_eq!(timestamp(&[1; 32], &[2; 32]).len(), 65);
        assert_eq!(
            hex::encode(status_list_counter(&uscc)),
            format!("12{}", hex::encode("91310000MA1FL0001R"))
        );
        assert_eq!(
            hex::encode(status_list_entry(&uscc, 258)),
            format!("13{}0000000000000102", hex::encode("91310000MA1FL0001R"))
        );
    }
}
