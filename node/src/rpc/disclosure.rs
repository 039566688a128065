//! What the public RPC withholds outside the licence methods, so that no path discloses more
//! about a licence than `licence_verify` would disclose to the same caller.
//!
//! The licence methods (`licence_verify`, `licence_get`, `licence_getHistory`,
//! `licence_subscribeStatus`) apply the licence type's data class to the caller. Two generic
//! paths could otherwise bypass them:
//!
//! - `state_getProof` reads any state key. It refuses every key of a licence-keyed table
//!   ([`LICENCE_TABLES`]: licence records `06`, their histories `07`, batch records `08`, and the
//!   status-list entries `13`, which map an issuer's index to a commitment and would let anyone
//!   enumerate an issuer's commitments) for every caller, with `-33020`. Refusing by table is the only rule that needs no state read
//!   and leaks nothing: deciding per key would mean reading the record to learn its type, and the
//!   answer "refused" versus "absent" would then itself tell whether the licence exists. Tables
//!   keyed by something other than a licence stay served: the data-class history (`10`) is keyed
//!   by licence type and is as public as the type catalogue.
//! - `chain_getTx` returns a committed transaction. For every licence-bearing kind
//!   ([`payload_withheld`]) it returns the hash, kind, signer, nonce, expiry and receipt but not
//!   the payload nor the signed bytes (which contain it). The rule is by kind, for every data
//!   class, rather than only for conditional and non-open types, because:
//!   the class that applies to a licence is the stricter of the classes its type has held since
//!   the licence was anchored (`query::data_class`), so deciding per transaction would need a
//!   state read at the current head and the same transaction would be shown or hidden depending on
//!   when it is asked for; a batch anchor carries no per-licence class at all; and an open
//!   licence's payload facts are served, with proofs, by `licence_get` anyway. Withholding them
//!   all costs an open-data verifier nothing and keeps the answer a pure function of the stored
//!   transaction.
//!
//! `chain_getBlock` never carried payloads (only transaction hashes and the payload digest).
//! Member nodes still receive full blocks over the p2p sync path, which only members can reach.

use yrd_contracts::TxPayload;
use yrd_contracts::keys::table;

/// State tables whose keys name a licence (or a batch of licences). `state_getProof` refuses
/// every key whose first byte is one of these.
pub const LICENCE_TABLES: [u8; 4] = [
    table::LICENCE,
    table::LICENCE_HISTORY,
    table::BATCH,
    table::STATUS_LIST_ENTRY,
];

/// The `-33020` message of a refused `state_getProof`.
pub const LICENCE_KEY_REFUSED: &str = "state_getProof does not serve keys of the licence tables \
     (06 licence, 07 licence history, 08 batch, 13 status-list entry) to anyone: ask \
     licence_verify, licence_get or licence_getHistory, which apply the licence type's data \
     class to the caller";

/// Whether `key` lies in a licence-keyed table.
pub fn is_licence_key(key: &[u8]) -> bool {
    key.first().is_some_and(|t| LICENCE_TABLES.contains(t))
}

/// Whether `chain_getTx` withholds the payload (and the signed bytes) of a transaction with
/// this payload: every kind that anchors a licence or a batch, or changes a licence's status.
/// The match is exhaustive so that a new kind must be classified here.
pub fn payload_withheld(payload: &TxPayload) -> bool {
    match payload {
        TxPayload::AnchorLicence(_)
        | TxPayload::AnchorBatch(_)
        | TxPayload::SuspendLicence(_)
        | TxPayload::RevokeLicence(_)
        | TxPayload::ReinstateLicence(_)
        | TxPayload::RenewLicence(_) => true,
        TxPayload::Propose(_)
        | TxPayload::Vote { .. }
        | TxPayload::AccreditIssuer(_)
        | TxPayload::SuspendIssuer { .. }
        | TxPayload::RevokeIssuer { .. }
        | TxPayload::RegisterLicenceType(_)
        | TxPayload::UpdateLicenceType(_)
        | TxPayload::DeclareRecognition(_)
        | TxPayload::WithdrawRecognition { .. }
        | TxPayload::DidCreate(_)
        | TxPayload::DidAddVerificationMethod { .. }
        | TxPayload::DidRemoveVerificationMethod { .. }
        | TxPayload::DidAddService { .. }
        | TxPayload::DidRemoveService { .. }
        | TxPayload::DidRotateKey { .. }
        | TxPayload::DidAddController { .. }
        | TxPayload::DidRemoveController { .. }
        | TxPayload::DidDeactivate { .. }
        | TxPayload::TimestampDocument { .. }
        | TxPayload::RegisterVerifier { .. }
        | TxPayload::DeregisterVerifier { .. }
        | TxPayload::RegisterObserver { .. }
        | TxPayload::RemoveObserver { .. }
        | TxPayload::BindNetworkKey { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yrd_contracts::keys;
    use yrd_contracts::licence_id::Uscc;
    use yrd_contracts::types::LicenceTypeCode;

    #[test]
    fn licence_tables_are_refused_and_others_are_not() {
        let Ok(uscc) = "91310000MA1FL0001R".parse::<Uscc>() else {
            panic!("fixture USCC parses");
        };
        assert!(is_licence_key(&keys::licence(&uscc, &[1; 32])));
        assert!(is_licence_key(&keys::licence_history(&uscc, &[1; 32], 0)));
        assert!(is_licence_key(&keys::batch(&uscc, &[1; 32])));
        assert!(is_licence_key(&keys::status_list_entry(&uscc, 0)));
        // The counter says how many licences the issuer has given a record, which its signed
        // anchoring transactions already show.
        assert!(!is_licence_key(&keys::status_list_counter(&uscc)));
        let code = LicenceTypeCode("U1".into());
        assert!(!is_licence_key(&keys::licence_type(&code)));
        assert!(!is_licence_key(&keys::data_class_history(&code)));
        assert!(!is_licence_key(&keys::issuer_by_uscc(&uscc)));
        assert!(!is_licence_key(&keys::head()));
        assert!(!is_licence_key(&[]));
    }
}
