//! A licence's secrets — its GB/T 36904 identifier and the holder's salt — read from a file or
//! standard input, so they never appear in `ps` output or shell history.
//!
//! `--secret-file PATH` names a small TOML file; `--secret-file -` reads the same text from
//! standard input:
//!
//! ```toml
//! licence_id = "<the identifier as printed on the licence>"
//! salt = "<64 hex characters, from the holder's credential>"
//! ```
//!
//! Both fields are required and no other field is allowed. Errors name the field and what is wrong,
//! never the value (the file holds secrets), and never panic. Files over
//! [`MAX_SECRET_FILE_BYTES`] are refused.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use yrd_contracts::licence_id::{self, LicenceId, Uscc, licence_commitment};

/// Largest secret file (or standard input) read.
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// Why the secrets could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The file could not be read.
    #[error("reading licence secret file {path}: {source}")]
    Read {
        /// The path (`-` for standard input).
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// Over [`MAX_SECRET_FILE_BYTES`].
    #[error("licence secret file {path} is over {MAX_SECRET_FILE_BYTES} bytes")]
    TooLarge {
        /// The path.
        path: PathBuf,
    },
    /// Not TOML of the expected shape (missing or unknown field, wrong type).
    #[error("licence secret file: {0} (expected licence_id = \"...\" and salt = \"<64 hex>\")")]
    Shape(String),
    /// The identifier is not a valid GB/T 36904 identifier.
    #[error("licence secret file: licence_id is not a valid licence identifier: {0}")]
    LicenceId(String),
    /// The salt is not 32 bytes of hex.
    #[error("licence secret file: salt must be 64 hex characters (32 bytes)")]
    Salt,
}

/// A licence identifier and its holder's salt.
#[derive(Clone, PartialEq, Eq)]
pub struct LicenceSecret {
    /// The identifier.
    pub id: LicenceId,
    /// The holder's salt.
    pub salt: [u8; 32],
}

impl std::fmt::Debug for LicenceSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LicenceSecret").finish_non_exhaustive()
    }
}

impl LicenceSecret {
    /// The licence's commitment.
    pub fn commitment(&self) -> [u8; 32] {
        licence_commitment(&self.id, &self.salt)
    }

    /// The issuer the identifier names.
    pub fn issuer(&self) -> &Uscc {
        self.id.issuer_uscc()
    }

    /// From the argument forms (test fixtures only).
    pub fn from_args(licence_id: &str, salt: &str) -> Result<Self, SecretError> {
        Ok(Self {
            id: parse_id(licence_id)?,
            salt: parse_salt(salt)?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFile {
    licence_id: String,
    salt: String,
}

fn parse_id(text: &str) -> Result<LicenceId, SecretError> {
    licence_id::parse(text).map_err(|e| SecretError::LicenceId(e.to_string()))
}

fn parse_salt(text: &str) -> Result<[u8; 32], SecretError> {
    hex::decode(text.trim())
        .ok()
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or(SecretError::Salt)
}

/// Parses the TOML text of a secret file.
pub fn parse_secret(text: &str) -> Result<LicenceSecret, SecretError> {
    // Only the message: `toml`'s full error quotes the offending line, which may hold the salt.
    let file: SecretFile =
        toml::from_str(text).map_err(|e| SecretError::Shape(e.message().to_owned()))?;
    Ok(LicenceSecret {
        id: parse_id(file.licence_id.trim())?,
        salt: parse_salt(&file.salt)?,
    })
}

/// Reads at most [`MAX_SECRET_FILE_BYTES`] from `reader` and parses them.
pub fn read_secret_from(reader: impl Read, path: &Path) -> Result<LicenceSecret, SecretError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| SecretError::Read {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(SecretError::TooLarge {
            path: path.to_path_buf(),
        });
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| SecretError::Shape("the file is not UTF-8 text".into()))?;
    parse_secret(&text)
}

/// Reads the secrets from `path`, or from standard input when `path` is `-`.
pub fn read_secret(path: &Path) -> Result<LicenceSecret, SecretError> {
    if path == Path::new("-") {
        return read_secret_from(std::io::stdin().lock(), path);
    }
    let file = std::fs::File::open(path).map_err(|source| SecretError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    read_secret_from(file, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "0101010101010101010101010101010101010101010101010101010101010101";

    /// A published identifier (contracts/src/licence_id.rs).
    fn sample_id() -> String {
        "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0".to_owned()
    }

    #[test]
    fn a_file_with_both_fields_parses_and_gives_the_commitment() {
        let id = sample_id();
        let secret = parse_secret(&format!("licence_id = \"{id}\"\nsalt = \"{SALT}\"\n")).unwrap();
        assert_eq!(secret.salt, [1; 32]);
        assert_eq!(secret.id.to_string(), id);
        assert_eq!(
            secret.commitment(),
            licence_commitment(&parse_id(&id).unwrap(), &[1; 32])
        );
        assert_eq!(secret, LicenceSecret::from_args(&id, SALT).unwrap());
    }

    #[test]
    fn the_file_is_read_from_disk_and_the_stdin_form_from_any_reader() {
        let id = sample_id();
        let text = format!("licence_id = \"{id}\"\nsalt = \"{SALT}\"\n");
        let dir = tempfile::TempDir::new().unwrap();
        let path = dir.path().join("secret.toml");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_secret(&path).unwrap().salt, [1; 32]);
        let from_stdin = read_secret_from(text.as_bytes(), Path::new("-")).unwrap();
        assert_eq!(from_stdin.id.to_string(), id);
        assert!(matches!(
            read_secret(&dir.path().join("absent.toml")),
            Err(SecretError::Read { .. })
        ));
        let huge = vec![b'#'; MAX_SECRET_FILE_BYTES as usize + 1];
        assert!(matches!(
            read_secret_from(huge.as_slice(), Path::new("-")),
            Err(SecretError::TooLarge { .. })
        ));
    }

    #[test]
    fn missing_or_unknown_fields_are_shape_errors() {
        let id = sample_id();
        for text in [
            format!("licence_id = \"{id}\"\n"),
            format!("salt = \"{SALT}\"\n"),
            String::new(),
            format!("licence_id = \"{id}\"\nsalt = \"{SALT}\"\nextra = 1\n"),
            format!("licence_id = 5\nsalt = \"{SALT}\"\n"),
            "not toml at all [".to_owned(),
        ] {
            assert!(
                matches!(parse_secret(&text), Err(SecretError::Shape(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_salt_or_identifier_is_refused_without_echoing_it() {
        let id = sample_id();
        for salt in ["zz", "0101", &format!("{SALT}00"), "g".repeat(64).as_str()] {
            let error = parse_secret(&format!("licence_id = \"{id}\"\nsalt = \"{salt}\"\n"))
                .expect_err("a bad salt is refused");
            assert!(matches!(error, SecretError::Salt), "{error}");
            assert!(!error.to_string().contains(salt));
        }
        assert!(matches!(
            parse_secret(&format!("licence_id = \"not-an-id\"\nsalt = \"{SALT}\"\n")),
            Err(SecretError::LicenceId(_))
        ));
        // A TOML syntax error does not quote the line holding the salt.
        let error = parse_secret(&format!("licence_id = \"{id}\"\nsalt = {SALT}\n")).unwrap_err();
        assert!(!error.to_string().contains(SALT), "{error}");
    }
}
