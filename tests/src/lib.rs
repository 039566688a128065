//! Cross-crate tests of yrd-ledger.
