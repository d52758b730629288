//! A key kept in a file: exactly [`KEY_LEN`] bytes, readable by its owner only.
//!
//! [`load`] refuses a file that others may read or that has the wrong size; [`create`]
//! writes a new random key durably and never over an existing file. The errors carry
//! the path and what went wrong; each program words the fix for its administrator.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{SecretKey, KEY_LEN};

/// Why a key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Group or others may read (or write) it.
    #[error("{path} may be read by other users (mode {mode:03o})")]
    Permissions { path: PathBuf, mode: u32 },
    #[error("{path} is {len} bytes, not {KEY_LEN}")]
    Size { path: PathBuf, len: u64 },
}

/// Loads the key at `path`; `Ok(None)` when there is no file.
pub fn load(path: &Path) -> Result<Option<SecretKey>, KeyFileError> {
    let read_err = |source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    };
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(read_err(source)),
    };
    let meta = file.metadata().map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyFileError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(KeyFileError::Size {
            path: path.to_owned(),
            len: meta.len(),
        });
    }
    let mut key = SecretKey::from_bytes([0u8; KEY_LEN]);
    file.read_exact(&mut key.0).map_err(read_err)?;
    Ok(Some(key))
}

/// Makes a new random key at `path` (mode 0600), durably, and never over an existing
/// file.
///
/// The key is written to a private temporary file and hard-linked into place: the link
/// fails if `path` already exists (another process got there first, whose key is then
/// loaded and returned), and the key file is never seen half-written. The file and its
/// directory are synced before returning, because data sealed with a key that a power
/// cut then loses would be lost with it.
pub fn create(path: &Path) -> Result<SecretKey, KeyFileError> {
    let create_err = |source| KeyFileError::Create {
        path: path.to_owned(),
        source,
    };
    let key = SecretKey::generate().map_err(create_err)?;
    let tmp = path.with_extension(format!("new-{}", std::process::id()));
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(key.bytes())?;
        f.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(create_err(e));
    }
    let linked = fs::hard_link(&tmp, path);
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return load(path)?.ok_or_else(|| KeyFileError::Read {
                path: path.to_owned(),
                source: std::io::Error::other("it vanished while being created"),
            });
        }
        Err(e) => return Err(create_err(e)),
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(create_err)?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_keys_load_back_and_are_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        assert!(load(&path).unwrap().is_none());
        let made = create(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let loaded = load(&path).unwrap().unwrap();
        assert_eq!(made.fingerprint(b"t"), loaded.fingerprint(b"t"));
        // A second create finds the first key and returns it.
        assert_eq!(
            create(&path).unwrap().fingerprint(b"t"),
            made.fingerprint(b"t")
        );
        assert!(
            fs::read_dir(dir.path()).unwrap().count() == 1,
            "no temp file left"
        );
    }

    #[test]
    fn open_or_wrong_sized_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.key");
        create(&path).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(matches!(
            load(&path),
            Err(KeyFileError::Permissions { mode: 0o644, .. })
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(&path, b"short").unwrap();
        assert!(matches!(
            load(&path),
            Err(KeyFileError::Size { len: 5, .. })
        ));
    }
}
