//! Face crops and reference photos out of the database rows: a content-addressed store
//! of *sealed* blobs, which the rows reference by sha256.
//!
//! The address is the sha256 of the sealed bytes, not of the photo:
//! - a plain-photo hash beside the blob would let anyone holding a candidate photo
//!   (a scan of an ID card, a social-media picture) confirm that this person's face is
//!   stored, without the key;
//! - it lets the store check every blob it hands out against its name, whoever
//!   wrote it (a bit flip on disk or a blob swapped by someone with write access to
//!   the directory or bucket is refused, not opened);
//! - sealing binds each blob to its row (record id, or person key and version), so a
//!   blob copied under another row's address still does not open there.
//!
//! The cost: the same photo sealed twice is stored twice (nonces differ). Photos are not
//! shared between records, so nothing is lost.
//!
//! A blob is written (and fsynced, with its directory) *before* the row that names it
//! commits, so a crash leaves at worst an unreferenced blob, never a row without its
//! photo. Blobs are never overwritten: a name already present holds those very bytes.
//!
//! The store is a directory (`<data>/photos/ab/cdef…`), the default for both backends.
//! Several servers in front of one PostgreSQL database need a store they all reach:
//! a shared filesystem mounted at the same path (or object storage, see README).

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::storage::StorageError;

/// The directory inside `--data`.
pub const PHOTOS_DIR: &str = "photos";

pub struct PhotoStore {
    root: PathBuf,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StorageError {
    StorageError::Backend(format!(
        "photo store: cannot {what} {}: {e}. Check that the server's user may write there and that the disk is not full",
        path.display()
    ))
}

impl PhotoStore {
    /// The store in `root` (made on first write).
    pub fn at(root: &Path) -> PhotoStore {
        PhotoStore {
            root: root.to_owned(),
        }
    }

    /// The store of a data directory.
    pub fn in_data(data_dir: &Path) -> PhotoStore {
        PhotoStore::at(&data_dir.join(PHOTOS_DIR))
    }

    fn path(&self, sha256: &str) -> Result<PathBuf, StorageError> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(StorageError::Backend(format!(
                "photo store: {sha256:?} is not a sha256 name"
            )));
        }
        Ok(self.root.join(&sha256[..2]).join(sha256))
    }

    /// Stores `sealed` durably and returns its name (hex sha256).
    pub fn put(&self, sealed: &[u8]) -> Result<String, StorageError> {
        let sha256 = hex(&Sha256::digest(sealed));
        let path = self.path(&sha256)?;
        if path.exists() {
            return Ok(sha256);
        }
        let dir = path.parent().expect("has a fan-out directory");
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        // Written under a temporary name and renamed, so a crash never leaves a
        // half-written blob under a real name.
        let tmp = dir.join(format!(".{sha256}.{}.tmp", std::process::id()));
        let mut f = std::fs::File::create(&tmp).map_err(|e| io("write", &tmp, e))?;
        f.write_all(sealed).map_err(|e| io("write", &tmp, e))?;
        f.sync_all().map_err(|e| io("sync", &tmp, e))?;
        drop(f);
        std::fs::rename(&tmp, &path).map_err(|e| io("rename into", &path, e))?;
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io("sync", dir, e))?;
        Ok(sha256)
    }

    /// The sealed blob named `sha256`, checked against its name.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StorageError> {
        let path = self.path(sha256)?;
        let bytes = std::fs::read(&path).map_err(|e| {
            StorageError::Backend(format!(
                "photo store: {} (referenced by the database) cannot be read: {e}. Restore the photo store from the same backup as the database",
                path.display()
            ))
        })?;
        if hex(&Sha256::digest(&bytes)) != sha256 {
            return Err(StorageError::Backend(format!(
                "photo store: {} does not hash to its name; the file was damaged or replaced. Restore it from a backup",
                path.display()
            )));
        }
        Ok(bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_are_named_by_their_hash_and_checked_on_read() {
        let dir = tempfile::tempdir().unwrap();
        let store = PhotoStore::at(dir.path());
        let name = store.put(b"sealed bytes").unwrap();
        assert_eq!(name, hex(&Sha256::digest(b"sealed bytes")));
        assert_eq!(store.put(b"sealed bytes").unwrap(), name, "idempotent");
        assert_eq!(store.get(&name).unwrap(), b"sealed bytes");

        let path = dir.path().join(&name[..2]).join(&name);
        std::fs::write(&path, b"other bytes").unwrap();
        let e = store.get(&name).unwrap_err().to_string();
        assert!(e.contains("does not hash to its name"), "{e}");
        std::fs::remove_file(&path).unwrap();
        let e = store.get(&name).unwrap_err().to_string();
        assert!(e.contains("cannot be read"), "{e}");
        assert!(store.get("../../etc/passwd").is_err());
    }
}
