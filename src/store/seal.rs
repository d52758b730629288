//! Encryption at rest of the personal fields: the record body (which carries the full
//! ID number) and the face crop.
//!
//! Each field is sealed on its own with XChaCha20-Poly1305 under one 32-byte key kept
//! in a file beside the store (`<data_dir>/store.key` unless `kiosk.store_key_file`
//! says otherwise), readable by the service user only. Per-field sealing, rather than
//! encrypting the whole SQLite file, keeps the bundled SQLite, the WAL durability and
//! `PRAGMA integrity_check` exactly as they were, and leaves the non-personal columns
//! (state, seq, masked ID) readable for `certpoint queue list` and for an administrator
//! with the plain `sqlite3` tool.
//!
//! A sealed blob is `[version 1][24-byte random nonce][ciphertext and tag]`; the cipher,
//! the format and the key file's checks are `certpoint-seal`'s, shared with the agency,
//! while the key's place, the wording of its errors and the associated data stay here.
//! The associated data binds it to its record id and column, so a blob copied onto another
//! record, or a body swapped with a photo, fails to open instead of being sent as the
//! wrong person's evidence.
//!
//! The offline reference cache (`crate::cache`) seals its bundle file with the same key
//! and format under its own column name; at ~100 MB it is sealed and opened in place
//! ([`Sealer::seal_in_place`], [`Sealer::open_in_place`]) so no second copy is held.

use std::path::{Path, PathBuf};

use certpoint_seal::key_file::{self, KeyFileError};
use certpoint_seal::{OpenError, SecretKey, KEY_LEN};

/// File name of the default key, inside the data directory.
pub const KEY_FILE: &str = crate::config::STORE_KEY_FILE;

/// Why the store key could not be used. Every message names the file and the fix.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the record store key {path} cannot be read: {source}. Give the kiosk user read access to it (chmod 600, owned by that user)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create the record store key {path}: {source}. Check that its directory exists and the kiosk user may write to it")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the record store key {path} may be read by other users (mode {mode:03o}). Run `chmod 600 {path}` so only the kiosk user can read it")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("the record store key {path} is {len} bytes, not the {KEY_LEN} a key has: it is not a certpoint store key or it was damaged. Put the store's own key file back; do not replace it with a new one, or the queued records cannot be read")]
    Size { path: PathBuf, len: u64 },
    #[error("the record store {store} holds encrypted records but its key {path} is missing. Put the key file back (from the installation's backup) or set kiosk.store_key_file to where it is; a new key cannot read the records, so none is made")]
    Missing { path: PathBuf, store: PathBuf },
    #[error("the record store key {path} is not the key the records in {store} were sealed with. Put the store's own key file back, or set kiosk.store_key_file to it")]
    Wrong { path: PathBuf, store: PathBuf },
}

/// Which column a sealed blob belongs to; part of the associated data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Column {
    Body,
    Photo,
    /// The offline reference cache's bundle file.
    ReferenceCache,
}

impl Column {
    fn name(self) -> &'static [u8] {
        match self {
            Column::Body => b"records.body",
            Column::Photo => b"record_photos.bytes",
            Column::ReferenceCache => b"reference-cache.bundle",
        }
    }
}

/// The store's loaded key, ready to seal and open (the cipher and blob format are
/// `certpoint-seal`'s, shared with the agency; the associated data is the store's).
/// Handed out by [`Store::sealer`](super::Store::sealer) so other personal data kept on
/// the kiosk (the reference cache) is sealed the same way, under the key the store has
/// vouched for.
#[derive(Clone)]
pub struct Sealer {
    cipher: certpoint_seal::Sealer,
    fingerprint: String,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl Sealer {
    fn new(key: &SecretKey) -> Sealer {
        Sealer {
            cipher: certpoint_seal::Sealer::new(key),
            fingerprint: key.fingerprint(b"certpoint-store-key-fingerprint-v1\0"),
        }
    }

    /// Identifies the key in the store without revealing it, so a wrong key file is
    /// caught when the store opens rather than record by record in the sync worker.
    pub(super) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(super) fn seal(&self, record_id: &str, column: Column, plain: &[u8]) -> Vec<u8> {
        self.cipher.seal(&aad(record_id, column), plain)
    }

    /// Opens a sealed blob; `Err` carries a reason fit for `BadStoredRecord`.
    pub(super) fn open(
        &self,
        record_id: &str,
        column: Column,
        blob: &[u8],
    ) -> Result<Vec<u8>, String> {
        let what = String::from_utf8_lossy(column.name()).into_owned();
        self.cipher
            .open(&aad(record_id, column), blob)
            .map_err(|e| match e {
                OpenError::UnknownFormat(v) => format!("{what} is sealed in unknown format {v}"),
                OpenError::TooShort => format!("{what} is too short to be sealed data"),
                OpenError::Rejected => format!("{what} does not open with the store key: it was altered or belongs to another record"),
            })
    }

    /// As [`seal`](Self::seal), encrypting `plain` where it lies (the result is the same
    /// format): for blobs too large to hold twice.
    pub(crate) fn seal_in_place(&self, name: &str, column: Column, plain: Vec<u8>) -> Vec<u8> {
        self.cipher.seal_in_place(&aad(name, column), plain)
    }

    /// As [`open`](Self::open), decrypting `blob` where it lies.
    pub(crate) fn open_in_place(
        &self,
        name: &str,
        column: Column,
        blob: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let what = String::from_utf8_lossy(column.name()).into_owned();
        self.cipher
            .open_in_place(&aad(name, column), blob)
            .map_err(|e| match e {
                OpenError::UnknownFormat(v) => format!("{what} is sealed in unknown format {v}"),
                OpenError::TooShort => format!("{what} is too short to be sealed data"),
                OpenError::Rejected => format!("{what} does not open with the store key: it was altered, or sealed with another key"),
            })
    }
}

fn aad(record_id: &str, column: Column) -> Vec<u8> {
    let mut aad = b"certpoint-store-v1\0".to_vec();
    aad.extend_from_slice(column.name());
    aad.push(0);
    aad.extend_from_slice(record_id.as_bytes());
    aad
}

/// The kiosk's wording of a key-file problem: which key it is and what to do.
fn key_error(e: KeyFileError) -> KeyError {
    match e {
        KeyFileError::Read { path, source } => KeyError::Read { path, source },
        KeyFileError::Create { path, source } => KeyError::Create { path, source },
        KeyFileError::Permissions { path, mode } => KeyError::Permissions { path, mode },
        KeyFileError::Size { path, len } => KeyError::Size { path, len },
    }
}

/// Loads the key at `path`, checking its size and that only its owner can read it.
pub(super) fn load(path: &Path) -> Result<Option<Sealer>, KeyError> {
    Ok(key_file::load(path)
        .map_err(key_error)?
        .map(|k| Sealer::new(&k)))
}

/// Makes a new random key at `path`, durably, and never over an existing file
/// (`certpoint_seal::key_file::create`: another process's key, if it got there
/// first, is the one used).
pub(super) fn create(path: &Path) -> Result<Sealer, KeyError> {
    Ok(Sealer::new(&key_file::create(path).map_err(key_error)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&SecretKey::from_bytes([7u8; KEY_LEN]))
    }

    #[test]
    fn a_sealed_field_opens_only_for_its_own_record_and_column() {
        let s = sealer();
        let blob = s.seal("rec-1", Column::Body, b"11010519491231002X");
        assert!(!blob
            .windows(18)
            .any(|w| w == b"11010519491231002X".as_slice()));
        assert_eq!(
            s.open("rec-1", Column::Body, &blob).unwrap(),
            b"11010519491231002X"
        );
        assert!(s.open("rec-2", Column::Body, &blob).is_err());
        assert!(s.open("rec-1", Column::Photo, &blob).is_err());
        let mut edited = blob.clone();
        *edited.last_mut().unwrap() ^= 1;
        assert!(s.open("rec-1", Column::Body, &edited).is_err());
        let other = Sealer::new(&SecretKey::from_bytes([8u8; KEY_LEN]));
        assert!(other.open("rec-1", Column::Body, &blob).is_err());
        assert_ne!(other.fingerprint(), s.fingerprint());
    }

    #[test]
    fn sealing_in_place_is_the_same_format() {
        let s = sealer();
        let plain = b"CPREFBUN and 11010519491231002X".to_vec();
        let blob = s.seal_in_place("cache", Column::ReferenceCache, plain.clone());
        assert_eq!(blob.len(), plain.len() + certpoint_seal::OVERHEAD);
        assert!(!blob.windows(8).any(|w| w == b"CPREFBUN"));
        assert_eq!(
            s.open("cache", Column::ReferenceCache, &blob).unwrap(),
            plain
        );
        assert_eq!(
            s.open_in_place("cache", Column::ReferenceCache, blob.clone())
                .unwrap(),
            plain
        );
        let copy = s.seal("cache", Column::ReferenceCache, &plain);
        assert_eq!(
            s.open_in_place("cache", Column::ReferenceCache, copy)
                .unwrap(),
            plain
        );
        assert!(s
            .open_in_place("other", Column::ReferenceCache, blob.clone())
            .is_err());
        assert!(s
            .open_in_place("cache", Column::Body, blob.clone())
            .is_err());
        let other = Sealer::new(&SecretKey::from_bytes([8u8; KEY_LEN]));
        assert!(other
            .open_in_place("cache", Column::ReferenceCache, blob)
            .is_err());
        for short in [vec![], vec![1u8; 10], vec![9u8; 60]] {
            assert!(s
                .open_in_place("cache", Column::ReferenceCache, short)
                .is_err());
        }
    }

    #[test]
    fn the_same_field_sealed_twice_differs() {
        let s = sealer();
        let a = s.seal("r", Column::Photo, b"same bytes");
        let b = s.seal("r", Column::Photo, b"same bytes");
        assert_ne!(a, b, "a fresh nonce per blob");
    }
}
