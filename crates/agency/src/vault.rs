//! Personal data at rest on the agency server: the key, what it seals, and how a
//! person is found without storing the ID number in the clear.
//!
//! One 32-byte key in `<data>/agency.key` (mode 0600, made on first use, never
//! replaced) yields two independent keys: one seals fields with XChaCha20-Poly1305
//! (`certpoint-seal`, the core the kiosk's record store uses), the other computes the
//! *person key*, an HMAC-SHA256 of the ID number, which the database indexes instead of
//! the number. A plain hash would not do: there are only about 10^11 plausible ID
//! numbers, which a laptop hashes through in hours; without the key the HMAC cannot be
//! recomputed.
//!
//! Sealed: ID numbers, names, record bodies (which carry the ID number), face crops,
//! reference photos and their embeddings. Each blob is bound to its field and row
//! (associated data), so a blob copied to another row or column does not open.
//! In the clear, because queries need them and they identify nobody on their own:
//! regions, roster status, periods, outcomes, times, kiosk and site ids, scores,
//! versions, sha256s of photos and models, and masked ID numbers in the read log.
//!
//! Which key a database was sealed with is recorded (a fingerprint), so a missing or
//! different key file is refused with the fix rather than answered with a new key that
//! could read nothing.

use std::path::{Path, PathBuf};

use certpoint_seal::key_file::{self, KeyFileError};
use certpoint_seal::{Sealer, SecretKey, KEY_LEN};

/// The key's file name inside `--data`.
pub const KEY_FILE: &str = "agency.key";

/// Why the agency key could not be used. Every message names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("the agency key {path} cannot be read: {source}. Give the server's user read access to it (chmod 600, owned by that user)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the agency key {path}: {source}. Check that the data directory exists and the server's user may write to it")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the agency key {path} may be read by other users (mode {mode:03o}). Run `chmod 600 {path}` so only the server's user can read it")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("the agency key {path} is {len} bytes, not the {KEY_LEN} a key has: it is not a certpoint agency key or it was damaged. Put the data directory's own agency.key back from its backup; a new key cannot read what is sealed")]
    Size { path: PathBuf, len: u64 },
    #[error("the agency database {store} holds sealed data but its key {path} is missing. Put the key file back from the backup of the data directory; a new key cannot read the data, so none is made")]
    Missing { path: PathBuf, store: String },
    #[error("the agency key {path} is not the key the data in {store} was sealed with. Put the data directory's own agency.key back")]
    Wrong { path: PathBuf, store: String },
}

impl From<KeyFileError> for VaultError {
    fn from(e: KeyFileError) -> Self {
        match e {
            KeyFileError::Read { path, source } => VaultError::Read { path, source },
            KeyFileError::Create { path, source } => VaultError::Create { path, source },
            KeyFileError::Permissions { path, mode } => VaultError::Permissions { path, mode },
            KeyFileError::Size { path, len } => VaultError::Size { path, len },
        }
    }
}

/// The sealed fields; each name is part of its blobs' associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    PersonId,
    PersonName,
    RecordBody,
    RecordPhoto,
    ReferencePhoto,
    ReferenceEmbedding,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::PersonId => "people.id_number",
            Field::PersonName => "people.name",
            Field::RecordBody => "certifications.body",
            Field::RecordPhoto => "certification_photos.bytes",
            Field::ReferencePhoto => "reference_versions.photo",
            Field::ReferenceEmbedding => "reference_versions.embedding",
        }
    }
}

/// The loaded key: seals, opens and computes person keys.
pub struct Vault {
    sealer: Sealer,
    id_key: SecretKey,
    fingerprint: String,
}

impl Vault {
    pub fn from_key(master: &SecretKey) -> Vault {
        Vault {
            sealer: Sealer::new(&master.derive(b"certpoint-agency-seal-v1")),
            id_key: master.derive(b"certpoint-agency-person-key-v1"),
            fingerprint: master.fingerprint(b"certpoint-agency-key-fingerprint-v1\0"),
        }
    }

    /// Loads `key_file`, or creates it when the database has sealed nothing yet
    /// (`recorded` is the fingerprint the database holds, if any), and checks that it
    /// is the key the database was sealed with. `store` names the database in errors.
    pub fn bind(key_file: &Path, recorded: Option<&str>, store: &str) -> Result<Vault, VaultError> {
        let vault = match (key_file::load(key_file)?, recorded) {
            (Some(key), _) => Vault::from_key(&key),
            (None, Some(_)) => {
                return Err(VaultError::Missing {
                    path: key_file.to_owned(),
                    store: store.to_owned(),
                })
            }
            (None, None) => Vault::from_key(&key_file::create(key_file)?),
        };
        if recorded.is_some_and(|r| r != vault.fingerprint) {
            return Err(VaultError::Wrong {
                path: key_file.to_owned(),
                store: store.to_owned(),
            });
        }
        Ok(vault)
    }

    /// Names the key without revealing it; the database records it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The keyed hash a person is indexed by: HMAC-SHA256 of the normalised
    /// 18-character ID number.
    pub fn person_key(&self, id_number: &str) -> [u8; 32] {
        self.id_key.keyed_hash(id_number.as_bytes())
    }

    /// Seals `plain` as `field` of the row named by `row` (a record id, a person key).
    pub fn seal(&self, field: Field, row: &[u8], plain: &[u8]) -> Vec<u8> {
        self.sealer.seal(&aad(field, row), plain)
    }

    /// Opens what [`seal`](Self::seal) made for the same field and row; the error names
    /// the field.
    pub fn open(&self, field: Field, row: &[u8], blob: &[u8]) -> Result<Vec<u8>, String> {
        self.sealer
            .open(&aad(field, row), blob)
            .map_err(|e| format!("{}: {e}", field.name()))
    }

    /// [`open`](Self::open) for text fields.
    pub fn open_text(&self, field: Field, row: &[u8], blob: &[u8]) -> Result<String, String> {
        String::from_utf8(self.open(field, row, blob)?)
            .map_err(|_| format!("{}: not UTF-8 once opened", field.name()))
    }
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

fn aad(field: Field, row: &[u8]) -> Vec<u8> {
    let mut aad = b"certpoint-agency-v1\0".to_vec();
    aad.extend_from_slice(field.name().as_bytes());
    aad.push(0);
    aad.extend_from_slice(row);
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn blobs_open_only_in_their_own_field_and_row() {
        let v = Vault::from_key(&SecretKey::from_bytes([3; KEY_LEN]));
        let blob = v.seal(Field::PersonName, b"row-1", "张三".as_bytes());
        assert_eq!(
            v.open_text(Field::PersonName, b"row-1", &blob).unwrap(),
            "张三"
        );
        assert!(v.open(Field::PersonName, b"row-2", &blob).is_err());
        let e = v.open(Field::PersonId, b"row-1", &blob).unwrap_err();
        assert!(e.starts_with("people.id_number: "), "{e}");
    }

    #[test]
    fn person_keys_are_keyed() {
        let a = Vault::from_key(&SecretKey::from_bytes([1; KEY_LEN]));
        let b = Vault::from_key(&SecretKey::from_bytes([2; KEY_LEN]));
        let id = "11010519491231002X";
        assert_eq!(a.person_key(id), a.person_key(id));
        assert_ne!(a.person_key(id), b.person_key(id));
        assert_ne!(a.person_key(id), a.person_key("310115196002291236"));
    }

    #[test]
    fn a_missing_or_other_key_is_refused_once_something_was_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        let made = Vault::bind(&path, None, "db").unwrap();
        let again = Vault::bind(&path, Some(made.fingerprint()), "db").unwrap();
        assert_eq!(again.fingerprint(), made.fingerprint());

        let e = Vault::bind(&path, Some("0000"), "db").unwrap_err();
        assert!(matches!(e, VaultError::Wrong { .. }), "{e}");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let e = Vault::bind(&path, Some(made.fingerprint()), "db").unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
        assert!(e.to_string().contains(&path.display().to_string()), "{e}");

        std::fs::remove_file(&path).unwrap();
        let e = Vault::bind(&path, Some(made.fingerprint()), "db").unwrap_err();
        assert!(matches!(e, VaultError::Missing { .. }), "{e}");
        assert!(!path.exists(), "no new key made over sealed data");
    }
}
