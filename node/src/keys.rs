//! Key files: one ed25519 key per file, JSON `{"publicKey": hex, "secretKey": hex}`, mode 0600.
//!
//! A province operator keeps two kinds: the node key (consensus votes and the libp2p identity; listed
//! in genesis as a validator key) and the authority key (signs governance and accreditation
//! transactions; listed in genesis as the province's authority key). Issuers and pilot firms hold
//! their own keys in the same format.

use std::path::{Path, PathBuf};

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};

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
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KeyFileJson {
    #[serde(with = "hex::serde")]
    public_key: [u8; 32],
    #[serde(with = "hex::serde")]
    secret_key: [u8; 32],
}

/// Read a key file and check that its public key matches its secret key.
pub fn read_key_file(path: &Path) -> Result<SigningKey, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    })?;
    let parsed: KeyFileJson = serde_json::from_str(&text).map_err(|e| KeyFileError::Malformed {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let key = SigningKey::from_bytes(&parsed.secret_key);
    if key.verifying_key().to_bytes() != parsed.public_key {
        return Err(KeyFileError::Malformed {
            path: path.to_owned(),
            reason: "publicKey does not belong to secretKey".into(),
        });
    }
    Ok(key)
}

/// Write a new key file (never overwriting one), readable by its owner only.
pub fn write_key_file(path: &Path, key: &SigningKey) -> Result<(), KeyFileError> {
    if path.exists() {
        return Err(KeyFileError::Exists(path.to_owned()));
    }
    let json = KeyFileJson {
        public_key: key.verifying_key().to_bytes(),
        secret_key: key.to_bytes(),
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
