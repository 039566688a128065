//! Key files: one key per file, JSON `{"publicKey": hex, "secretKey": hex}`, mode 0600, with
//! `"cryptoSuite": "sm2-sm3"` for an SM2 key (absent means an ed25519 key, and is never written
//! for one, so every existing key file keeps its bytes).
//!
//! On an `sm2-sm3` chain a node also needs an ed25519 *network* key, which libp2p proves in its
//! handshake (ADR 020). It is derived from the node's SM2 secret
//! ([`LedgerKey::network_secret`]), so an operator keeps one file; `yrd keygen` prints its
//! public half for the genesis file's `networkKeys`.
//!
//! A province operator keeps two kinds: the node key (consensus votes and the libp2p identity; listed
//! in genesis as a validator key) and the authority key (signs governance and accreditation
//! transactions; listed in genesis as the province's authority key). Issuers and pilot firms hold
//! their own keys in the same format.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use yrd_consensus::{CryptoSuite, Signer, SuiteSigner};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error("key file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not a key file.
    #[error("key file {path} is malformed: {reason}")]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file exists already (keys are never overwritten).
    #[error("key file {0} exists already; refusing to overwrite a key")]
    Exists(PathBuf),
    /// The key is of another suite than the one needed.
    #[error("key file {path} holds an {found} key; {needed} is needed here")]
    WrongSuite {
        /// The file.
        path: PathBuf,
        /// The file's suite.
        found: CryptoSuite,
        /// The suite needed.
        needed: CryptoSuite,
    },
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFileJson {
    #[serde(default, skip_serializing_if = "is_default_suite")]
    crypto_suite: CryptoSuite,
    #[serde(with = "hex::serde")]
    public_key: [u8; 32],
    #[serde(with = "hex::serde")]
    secret_key: [u8; 32],
}

fn is_default_suite(suite: &CryptoSuite) -> bool {
    *suite == CryptoSuite::default()
}

/// A key of either suite, as a key file holds it.
#[derive(Clone)]
pub struct LedgerKey {
    suite: CryptoSuite,
    secret: [u8; 32],
    public: [u8; 32],
    signer: std::sync::Arc<SuiteSigner>,
}

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LedgerKey")
            .field("suite", &self.suite)
            .field("public", &hex::encode(self.public))
            .finish_non_exhaustive()
    }
}

/// The context of the network-key derivation (ADR 020).
const NETWORK_KEY_CONTEXT: &str = "yrd-ledger 2026 network key from an sm2-sm3 node key";

impl LedgerKey {
    /// The key of `suite` with these secret bytes (`None` for the few 32-byte strings that are no
    /// SM2 secret).
    pub fn from_secret(suite: CryptoSuite, secret: [u8; 32]) -> Option<Self> {
        let signer = SuiteSigner::for_suite(suite, &secret).ok()?;
        Some(Self {
            suite,
            secret,
            public: signer.public_key().0,
            signer: std::sync::Arc::new(signer),
        })
    }

    /// A fresh key of `suite` from the operating system's randomness.
    pub fn generate(suite: CryptoSuite) -> Self {
        use rand::RngCore;
        loop {
            let mut secret = [0u8; 32];
            rand::rngs::OsRng.fill_bytes(&mut secret);
            if let Some(key) = Self::from_secret(suite, secret) {
                return key;
            }
        }
    }

    /// The suite the key belongs to.
    pub fn suite(&self) -> CryptoSuite {
        self.suite
    }

    /// The public key (an ed25519 key, or an SM2 key's x-coordinate).
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// The secret bytes.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.secret
    }

    /// The ed25519 key, for what only ed25519 can sign (`eddsa-jcs-2022` credentials).
    pub fn ed25519(&self, path: &Path) -> Result<SigningKey, KeyFileError> {
        match self.suite {
            CryptoSuite::Ed25519Blake3 => Ok(SigningKey::from_bytes(&self.secret)),
            found => Err(KeyFileError::WrongSuite {
                path: path.to_owned(),
                found,
                needed: CryptoSuite::Ed25519Blake3,
            }),
        }
    }

    /// The secret of the node's ed25519 network key: the key itself on `ed25519-blake3`; on
    /// `sm2-sm3`, `SM3-derive(context, secret)` (docs/PROOFS.md section 12), so a node keeps one
    /// key file.
    pub fn network_secret(&self) -> [u8; 32] {
        match self.suite {
            CryptoSuite::Ed25519Blake3 => self.secret,
            suite => suite.derive_hash(NETWORK_KEY_CONTEXT, &[&self.secret]),
        }
    }

    /// The transaction payload that binds this node's network key to its key on the chain
    /// `chain_id` (ADR 020): the network key signs the binding, proving it holds it.
    pub fn network_binding(&self, chain_id: &str) -> yrd_contracts::TxPayload {
        use ed25519_dalek::Signer as _;
        let network = SigningKey::from_bytes(&self.network_secret());
        let network_key = network.verifying_key().to_bytes();
        let message =
            yrd_contracts::hashing::network_binding_message(chain_id, &self.public, &network_key);
        yrd_contracts::TxPayload::BindNetworkKey {
            node_key: self.public,
            network_key,
            possession: network.sign(&message).to_bytes(),
        }
    }

    /// The public network key ([`LedgerKey::network_secret`]'s ed25519 public key).
    pub fn network_public_key(&self) -> [u8; 32] {
        SigningKey::from_bytes(&self.network_secret())
            .verifying_key()
            .to_bytes()
    }
}

/// Signs with the key's suite (votes, transactions, RPC authentication, batch leaves).
impl Signer for LedgerKey {
    fn public_key(&self) -> yrd_consensus::PublicKey {
        yrd_consensus::PublicKey(self.public)
    }

    fn sign(&self, message: &[u8]) -> yrd_consensus::Signature {
        self.signer.sign(message)
    }
}

/// Read a key file of either suite and check that its public key matches its secret key.
pub fn read_ledger_key(path: &Path) -> Result<LedgerKey, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let parsed: KeyFileJson = serde_json::from_str(&text).map_err(|e| KeyFileError::Malformed {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let malformed = |reason: &str| KeyFileError::Malformed {
        path: path.to_owned(),
        reason: reason.into(),
    };
    let key = LedgerKey::from_secret(parsed.crypto_suite, parsed.secret_key)
        .ok_or_else(|| malformed("secretKey is no SM2 secret"))?;
    if key.public != parsed.public_key {
        return Err(malformed("publicKey does not belong to secretKey"));
    }
    Ok(key)
}

/// Read an ed25519 key file and check that its public key matches its secret key.
pub fn read_key_file(path: &Path) -> Result<SigningKey, KeyFileError> {
    read_ledger_key(path)?.ed25519(path)
}

/// Write a new ed25519 key file (never overwriting one), readable by its owner only.
pub fn write_key_file(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    // Every 32 bytes are an ed25519 secret; the error is for the type, never taken.
    let key =
        LedgerKey::from_secret(CryptoSuite::Ed25519Blake3, key.to_bytes()).ok_or_else(|| {
            KeyFileError::Malformed {
                path: path.to_owned(),
                reason: "not an ed25519 secret".into(),
            }
        })?;
    write_ledger_key(path, &key)
}

/// Write a new key file of either suite (never overwriting one), readable by its owner only.
pub fn write_ledger_key(path: &Path, key: &LedgerKey) -> Result<(), KeyFileError> {
    if path.exists() {
        return Err(KeyFileError::Exists(path.to_owned()));
    }
    let json = KeyFileJson {
        crypto_suite: key.suite,
        public_key: key.public,
        secret_key: key.secret,
    };
    let text = serde_json::to_string_pretty(&json).map_err(|e| KeyFileError::Malformed {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let io = |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent).map_err(io)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(io)?;
    use std::io::Write;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.write_all(b"\n").map_err(io)?;
    file.sync_all().map_err(io)
}

/// A fresh key from the operating system's randomness.
pub fn generate_key() -> SigningKey {
    SigningKey::generate(&mut rand::rngs::OsRng)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_then_read_round_trips_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = SigningKey::from_bytes(&[7; 32]);
        write_key_file(&path, &key).unwrap();
        assert_eq!(read_key_file(&path).unwrap().to_bytes(), key.to_bytes());
        assert!(matches!(
            write_key_file(&path, &key),
            Err(KeyFileError::Exists(_))
        ));
    }

    #[test]
    fn an_sm2_key_file_round_trips_and_is_refused_where_ed25519_is_needed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let key = LedgerKey::generate(CryptoSuite::Sm2Sm3);
        write_ledger_key(&path, &key).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("\"cryptoSuite\": \"sm2-sm3\""), "{text}");
        let read = read_ledger_key(&path).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert_eq!(read.suite(), CryptoSuite::Sm2Sm3);
        assert_eq!(Signer::public_key(&read).0, key.public_key());
        assert!(matches!(
            read_key_file(&path),
            Err(KeyFileError::WrongSuite { .. })
        ));
        // The network key is an ed25519 key apart from the ledger key, the same on every read.
        assert_ne!(read.network_public_key(), read.public_key());
        assert_eq!(read.network_public_key(), key.network_public_key());
    }

    #[test]
    fn an_ed25519_key_file_keeps_its_bytes_and_is_its_own_network_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        write_key_file(&path, &SigningKey::from_bytes(&[7; 32])).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("cryptoSuite"), "{text}");
        let key = read_ledger_key(&path).unwrap();
        assert_eq!(key.network_public_key(), key.public_key());
        assert_eq!(key.network_secret(), [7; 32]);
    }

    #[test]
    fn a_zero_sm2_secret_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let text = format!(
            "{{\"cryptoSuite\":\"sm2-sm3\",\"publicKey\":\"{}\",\"secretKey\":\"{}\"}}",
            hex::encode([1u8; 32]),
            hex::encode([0u8; 32])
        );
        std::fs::write(&path, text).unwrap();
        let error = read_ledger_key(&path).unwrap_err().to_string();
        assert!(error.contains("no SM2 secret"), "{error}");
    }

    #[test]
    fn mismatched_public_key_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.json");
        let text = format!(
            "{{\"publicKey\":\"{}\",\"secretKey\":\"{}\"}}",
            hex::encode([1u8; 32]),
            hex::encode([7u8; 32])
        );
        std::fs::write(&path, text).unwrap();
        assert!(matches!(
            read_key_file(&path),
            Err(KeyFileError::Malformed { .. })
        ));
    }
}
