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
//! A sealed blob is `[version 1][24-byte random nonce][ciphertext and tag]`. The
//! associated data binds it to its record id and column, so a blob copied onto another
//! record, or a body swapped with a photo, fails to open instead of being sent as the
//! wrong person's evidence.
//!
//! The offline reference cache (`crate::cache`) seals its bundle file with the same key
//! and format under its own column name; at ~100 MB it is sealed and opened in place
//! ([`Sealer::seal_in_place`], [`Sealer::open_in_place`]) so no second copy is held.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, AeadInOut, Generate, KeyInit, Payload};
use chacha20poly1305::{Key, Tag, XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};

/// File name of the default key, inside the data directory.
pub const KEY_FILE: &str = crate::config::STORE_KEY_FILE;

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const FORMAT_V1: u8 = 1;
/// Version byte and nonce, before the ciphertext.
const HEADER_LEN: usize = 1 + NONCE_LEN;
const TAG_LEN: usize = 16;

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

/// The store's loaded key, ready to seal and open. Handed out by
/// [`Store::sealer`](super::Store::sealer) so other personal data kept on the kiosk (the
/// reference cache) is sealed the same way, under the key the store has vouched for.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
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
    fn new(key: &[u8; KEY_LEN]) -> Sealer {
        Sealer {
            cipher: XChaCha20Poly1305::new(&Key::from(*key)),
            fingerprint: fingerprint(key),
        }
    }

    /// Identifies the key in the store without revealing it, so a wrong key file is
    /// caught when the store opens rather than record by record in the sync worker.
    pub(super) fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub(super) fn seal(&self, record_id: &str, column: Column, plain: &[u8]) -> Vec<u8> {
        let nonce = XNonce::generate();
        let aad = aad(record_id, column);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: &aad,
                },
            )
            // Only fails for messages beyond 256 GiB; a record is a few KB.
            .expect("XChaCha20-Poly1305 seals any record-sized message");
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a sealed blob; `Err` carries a reason fit for `BadStoredRecord`.
    pub(super) fn open(
        &self,
        record_id: &str,
        column: Column,
        blob: &[u8],
    ) -> Result<Vec<u8>, String> {
        let what = check_header(column, blob)?;
        let nonce = XNonce::try_from(&blob[1..HEADER_LEN]).expect("length checked above");
        let aad = aad(record_id, column);
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &blob[HEADER_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| format!("{what} does not open with the store key: it was altered or belongs to another record"))
    }

    /// As [`seal`](Self::seal), encrypting `plain` where it lies (the result is the same
    /// format): for blobs too large to hold twice.
    pub(crate) fn seal_in_place(&self, name: &str, column: Column, mut plain: Vec<u8>) -> Vec<u8> {
        let nonce = XNonce::generate();
        let tag = self
            .cipher
            .encrypt_inout_detached(&nonce, &aad(name, column), plain.as_mut_slice().into())
            // Only fails beyond 256 GiB; a bundle is bounded far below that.
            .expect("XChaCha20-Poly1305 seals any bundle-sized message");
        let len = plain.len();
        plain.reserve_exact(HEADER_LEN + TAG_LEN);
        plain.resize(len + HEADER_LEN, 0);
        plain.copy_within(..len, HEADER_LEN);
        plain[0] = FORMAT_V1;
        plain[1..HEADER_LEN].copy_from_slice(&nonce);
        plain.extend_from_slice(&tag);
        plain
    }

    /// As [`open`](Self::open), decrypting `blob` where it lies.
    pub(crate) fn open_in_place(
        &self,
        name: &str,
        column: Column,
        mut blob: Vec<u8>,
    ) -> Result<Vec<u8>, String> {
        let what = check_header(column, &blob)?;
        let nonce = XNonce::try_from(&blob[1..HEADER_LEN]).expect("length checked above");
        let tag_at = blob.len() - TAG_LEN;
        let tag = Tag::try_from(&blob[tag_at..]).expect("length checked above");
        self.cipher
            .decrypt_inout_detached(
                &nonce,
                &aad(name, column),
                (&mut blob[HEADER_LEN..tag_at]).into(),
                &tag,
            )
            .map_err(|_| format!("{what} does not open with the store key: it was altered, or sealed with another key"))?;
        blob.copy_within(HEADER_LEN..tag_at, 0);
        blob.truncate(tag_at - HEADER_LEN);
        Ok(blob)
    }
}

/// The column's name for messages, once `blob` is known to be long enough and in a
/// format this build reads.
fn check_header(column: Column, blob: &[u8]) -> Result<String, String> {
    let what = String::from_utf8_lossy(column.name()).into_owned();
    match blob.first() {
        Some(&FORMAT_V1) if blob.len() >= HEADER_LEN + TAG_LEN => Ok(what),
        Some(&v) if v != FORMAT_V1 => Err(format!("{what} is sealed in unknown format {v}")),
        _ => Err(format!("{what} is too short to be sealed data")),
    }
}

fn aad(record_id: &str, column: Column) -> Vec<u8> {
    let mut aad = b"certpoint-store-v1\0".to_vec();
    aad.extend_from_slice(column.name());
    aad.push(0);
    aad.extend_from_slice(record_id.as_bytes());
    aad
}

fn fingerprint(key: &[u8; KEY_LEN]) -> String {
    let digest = Sha256::new()
        .chain_update(b"certpoint-store-key-fingerprint-v1\0")
        .chain_update(key)
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Loads the key at `path`, checking its size and that only its owner can read it.
pub(super) fn load(path: &Path) -> Result<Option<Sealer>, KeyError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(KeyError::Read {
                path: path.to_owned(),
                source,
            })
        }
    };
    let read_err = |source| KeyError::Read {
        path: path.to_owned(),
        source,
    };
    let meta = file.metadata().map_err(read_err)?;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.to_owned(),
            mode,
        });
    }
    if meta.len() != KEY_LEN as u64 {
        return Err(KeyError::Size {
            path: path.to_owned(),
            len: meta.len(),
        });
    }
    let mut key = [0u8; KEY_LEN];
    file.read_exact(&mut key).map_err(read_err)?;
    let sealer = Sealer::new(&key);
    key.fill(0);
    Ok(Some(sealer))
}

/// Makes a new random key at `path`, durably, and never over an existing file.
///
/// The key is written to a private temporary file and hard-linked into place: the link
/// fails if `path` already exists (another process got there first, whose key is then
/// used), and the key file is never seen half-written. The file and its directory are
/// synced before returning, because records sealed with a key that a power cut then
/// loses would be lost with it.
pub(super) fn create(path: &Path) -> Result<Sealer, KeyError> {
    let create_err = |source| KeyError::Create {
        path: path.to_owned(),
        source,
    };
    let mut key = [0u8; KEY_LEN];
    getrandom_key(&mut key).map_err(create_err)?;
    let tmp = path.with_extension(format!("new-{}", std::process::id()));
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(&key)?;
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
            key.fill(0);
            return load(path)?.ok_or_else(|| KeyError::Read {
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
    let sealer = Sealer::new(&key);
    key.fill(0);
    Ok(sealer)
}

fn getrandom_key(key: &mut [u8; KEY_LEN]) -> std::io::Result<()> {
    let fresh = Key::try_generate().map_err(std::io::Error::other)?;
    key.copy_from_slice(&fresh);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer() -> Sealer {
        Sealer::new(&[7u8; KEY_LEN])
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
        let other = Sealer::new(&[8u8; KEY_LEN]);
        assert!(other.open("rec-1", Column::Body, &blob).is_err());
        assert_ne!(other.fingerprint(), s.fingerprint());
    }

    #[test]
    fn sealing_in_place_is_the_same_format() {
        let s = sealer();
        let plain = b"CPREFBUN and 11010519491231002X".to_vec();
        let blob = s.seal_in_place("cache", Column::ReferenceCache, plain.clone());
        assert_eq!(blob.len(), plain.len() + HEADER_LEN + TAG_LEN);
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
        let other = Sealer::new(&[8u8; KEY_LEN]);
        assert!(other
            .open_in_place("cache", Column::ReferenceCache, blob)
            .is_err());
        for short in [vec![], vec![FORMAT_V1; 10], vec![9u8; 60]] {
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
