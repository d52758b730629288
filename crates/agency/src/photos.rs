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
//! Where the blobs go (`--photos`, `CERTPOINT_AGENCY_PHOTOS`):
//! - a directory, by default `<data>/photos` (`ab/abcdef…`), for both backends: our
//!   own code, because a blob must be fsynced (with its directory) before the row
//!   naming it commits, which object_store's local store does not do;
//! - object storage through the `object_store` crate's trait: `s3://bucket/prefix`
//!   (any S3-compatible service, credentials and endpoint from the usual `AWS_*`
//!   variables) when built with the `s3` feature; what a province running several
//!   servers in front of one PostgreSQL database uses, since all of them must reach
//!   every photo. The same code path is tested over object_store's in-memory and
//!   local-filesystem stores. Object stores acknowledge a PUT once it is durable.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::ObjectStore;
use sha2::{Digest, Sha256};

use crate::storage::StorageError;

/// The directory inside `--data`.
pub const PHOTOS_DIR: &str = "photos";

pub struct PhotoStore {
    kind: Kind,
}

enum Kind {
    Dir(PathBuf),
    Object(ObjectPhotos),
}

/// Blobs under `prefix` in an object store, driven from the storage's blocking
/// threads on a small runtime of its own.
struct ObjectPhotos {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    shown: String,
    runtime: Option<tokio::runtime::Runtime>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StorageError {
    StorageError::Backend(format!(
        "photo store: cannot {what} {}: {e}. Check that the server's user may write there and that the disk is not full",
        path.display()
    ))
}

/// Why `--photos` cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PhotoStoreError {
    #[error("--photos {0}: this certpoint-agency was built without S3 support; build it with `cargo build -p certpoint-agency --release --features s3`, or give a directory")]
    NoS3(String),
    #[error("--photos {url}: {reason}. Write s3://BUCKET/PREFIX with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION (and AWS_ENDPOINT for another S3-compatible service) set")]
    Object { url: String, reason: String },
    #[error("--photos {url}: the photo store cannot start its I/O runtime: {source}")]
    Runtime { url: String, source: std::io::Error },
}

/// A blob's relative name: two hex digits of fan-out, then the whole name.
fn relative(sha256: &str) -> Result<String, StorageError> {
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(StorageError::Backend(format!(
            "photo store: {sha256:?} is not a sha256 name"
        )));
    }
    Ok(format!("{}/{sha256}", &sha256[..2]))
}

impl PhotoStore {
    /// The store in the directory `root` (made on first write).
    pub fn at(root: &Path) -> PhotoStore {
        PhotoStore {
            kind: Kind::Dir(root.to_owned()),
        }
    }

    /// The store of a data directory.
    pub fn in_data(data_dir: &Path) -> PhotoStore {
        PhotoStore::at(&data_dir.join(PHOTOS_DIR))
    }

    /// Blobs under `prefix` in `store`; `shown` names it in messages.
    pub fn over(
        store: Arc<dyn ObjectStore>,
        prefix: &str,
        shown: &str,
    ) -> Result<PhotoStore, PhotoStoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("photo-store")
            .enable_all()
            .build()
            .map_err(|source| PhotoStoreError::Runtime {
                url: shown.to_owned(),
                source,
            })?;
        Ok(PhotoStore {
            kind: Kind::Object(ObjectPhotos {
                store,
                prefix: prefix.trim_matches('/').to_owned(),
                shown: shown.to_owned(),
                runtime: Some(runtime),
            }),
        })
    }

    /// `--photos`: `s3://BUCKET[/PREFIX]`, or a directory; `None` is `<data>/photos`.
    pub fn from_option(
        option: Option<&str>,
        data_dir: &Path,
    ) -> Result<PhotoStore, PhotoStoreError> {
        match option {
            None => Ok(PhotoStore::in_data(data_dir)),
            Some(url) if url.starts_with("s3://") => s3(url),
            Some(dir) => Ok(PhotoStore::at(Path::new(
                dir.strip_prefix("file://").unwrap_or(dir),
            ))),
        }
    }

    /// Stores `sealed` durably and returns its name (hex sha256).
    pub fn put(&self, sealed: &[u8]) -> Result<String, StorageError> {
        let sha256 = hex(&Sha256::digest(sealed));
        let name = relative(&sha256)?;
        match &self.kind {
            Kind::Dir(root) => put_file(&root.join(name), &sha256, sealed)?,
            // Same name, same bytes: writing it again is harmless, so no existence check
            // (one round trip instead of two).
            Kind::Object(o) => o.run(&name, async {
                o.store
                    .put(&o.path(&name), sealed.to_vec().into())
                    .await
                    .map(|_| ())
            })?,
        }
        Ok(sha256)
    }

    /// The sealed blob named `sha256`, checked against its name.
    pub fn get(&self, sha256: &str) -> Result<Vec<u8>, StorageError> {
        let name = relative(sha256)?;
        let (bytes, shown) = match &self.kind {
            Kind::Dir(root) => {
                let path = root.join(&name);
                let bytes = std::fs::read(&path).map_err(|e| {
                    StorageError::Backend(format!(
                        "photo store: {} (referenced by the database) cannot be read: {e}. Restore the photo store from the same backup as the database",
                        path.display()
                    ))
                })?;
                (bytes, path.display().to_string())
            }
            Kind::Object(o) => {
                let bytes = o.run(&name, async {
                    o.store.get(&o.path(&name)).await?.bytes().await
                })?;
                (bytes.to_vec(), format!("{}/{}", o.shown, name))
            }
        };
        if hex(&Sha256::digest(&bytes)) != sha256 {
            return Err(StorageError::Backend(format!(
                "photo store: {shown} does not hash to its name; the blob was damaged or replaced. Restore it from a backup"
            )));
        }
        Ok(bytes)
    }
}

/// What the store holds under one name, for the sweep of unreferenced blobs
/// (`service::photo_sweep`).
#[derive(Debug, Clone)]
pub struct StoredBlob {
    /// The blob's sha256 name; `None` for a temporary file a crash left behind
    /// (directory store), which no row can name.
    pub sha256: Option<String>,
    /// Where it is, for `delete` and messages.
    pub location: String,
    pub modified: std::time::SystemTime,
    pub bytes: u64,
}

impl PhotoStore {
    /// Every blob (and leftover temporary file) in the store, one fan-out directory
    /// or prefix at a time. Files of other names are not the store's and are skipped.
    pub fn list(&self, each: &mut dyn FnMut(StoredBlob)) -> Result<(), StorageError> {
        match &self.kind {
            Kind::Dir(root) => {
                let fans = match std::fs::read_dir(root) {
                    Ok(d) => d,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                    Err(e) => return Err(io("list", root, e)),
                };
                for fan in fans {
                    let fan = fan.map_err(|e| io("list", root, e))?.path();
                    if !fan.is_dir() {
                        continue;
                    }
                    for file in std::fs::read_dir(&fan).map_err(|e| io("list", &fan, e))? {
                        let file = file.map_err(|e| io("list", &fan, e))?;
                        let name = file.file_name().to_string_lossy().into_owned();
                        let sha256 = relative(&name).is_ok().then(|| name.clone());
                        if sha256.is_none() && !(name.starts_with('.') && name.ends_with(".tmp")) {
                            continue;
                        }
                        let meta = file.metadata().map_err(|e| io("read", &file.path(), e))?;
                        each(StoredBlob {
                            sha256,
                            location: file.path().display().to_string(),
                            modified: meta.modified().map_err(|e| io("read", &file.path(), e))?,
                            bytes: meta.len(),
                        });
                    }
                }
                Ok(())
            }
            Kind::Object(o) => {
                let root = (!o.prefix.is_empty())
                    .then(|| object_store::path::Path::from(o.prefix.as_str()));
                let top = o.run("(list)", o.store.list_with_delimiter(root.as_ref()))?;
                for fan in top.common_prefixes {
                    let listed = o.run("(list)", o.store.list_with_delimiter(Some(&fan)))?;
                    for meta in listed.objects {
                        let Some(name) = meta.location.filename().map(str::to_owned) else {
                            continue;
                        };
                        if relative(&name).is_err() {
                            continue;
                        }
                        each(StoredBlob {
                            sha256: Some(name),
                            location: meta.location.to_string(),
                            modified: meta.last_modified.into(),
                            bytes: meta.size,
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// Removes a listed blob. Only the sweep calls this, for blobs no row names.
    pub fn delete(&self, blob: &StoredBlob) -> Result<(), StorageError> {
        match &self.kind {
            Kind::Dir(_) => {
                let path = Path::new(&blob.location);
                match std::fs::remove_file(path) {
                    Ok(()) => Ok(()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    Err(e) => Err(io("delete", path, e)),
                }
            }
            Kind::Object(o) => {
                let location = object_store::path::Path::from(blob.location.as_str());
                o.run(&blob.location, async {
                    match o.store.delete(&location).await {
                        Err(object_store::Error::NotFound { .. }) => Ok(()),
                        other => other,
                    }
                })
            }
        }
    }
}

impl ObjectPhotos {
    fn path(&self, name: &str) -> object_store::path::Path {
        if self.prefix.is_empty() {
            object_store::path::Path::from(name)
        } else {
            object_store::path::Path::from(format!("{}/{name}", self.prefix))
        }
    }

    fn run<T>(
        &self,
        name: &str,
        f: impl std::future::Future<Output = object_store::Result<T>>,
    ) -> Result<T, StorageError> {
        self.runtime
            .as_ref()
            .expect("present until drop")
            .block_on(f)
            .map_err(|e| {
                StorageError::Backend(format!(
                    "photo store {}: {name}: {e}. Restore the blob from the same backup as the database if it is missing, or check the store's address and credentials",
                    self.shown
                ))
            })
    }
}

impl Drop for ObjectPhotos {
    fn drop(&mut self) {
        // The server may drop its storage on an async thread, where a runtime may not
        // be dropped the blocking way.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

#[cfg(feature = "s3")]
fn s3(url: &str) -> Result<PhotoStore, PhotoStoreError> {
    let store = object_store::aws::AmazonS3Builder::from_env()
        .with_url(url)
        .build()
        .map_err(|e| PhotoStoreError::Object {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
    let prefix = url
        .trim_start_matches("s3://")
        .split_once('/')
        .map(|(_, p)| p)
        .unwrap_or("");
    PhotoStore::over(Arc::new(store), prefix, url)
}

#[cfg(not(feature = "s3"))]
fn s3(url: &str) -> Result<PhotoStore, PhotoStoreError> {
    Err(PhotoStoreError::NoS3(url.to_owned()))
}

/// Writes one blob file durably, unless it is already there.
fn put_file(path: &Path, sha256: &str, sealed: &[u8]) -> Result<(), StorageError> {
    static TMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    if path.exists() {
        // The same name is the same bytes; its time is made new so that the sweep's
        // grace period counts from this write too (the row naming it may be about to
        // commit).
        if let Ok(f) = std::fs::File::options().append(true).open(path) {
            let _ = f.set_modified(std::time::SystemTime::now());
        }
        return Ok(());
    }
    let dir = path.parent().expect("has a fan-out directory");
    std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
    // Written under a temporary name of its own and renamed, so a crash never leaves a
    // half-written blob under a real name.
    let n = TMP.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{sha256}.{}.{n}.tmp", std::process::id()));
    let mut f = std::fs::File::create(&tmp).map_err(|e| io("write", &tmp, e))?;
    f.write_all(sealed).map_err(|e| io("write", &tmp, e))?;
    f.sync_all().map_err(|e| io("sync", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| io("rename into", path, e))?;
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("sync", dir, e))?;
    Ok(())
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

    /// The object-store path, over object_store's own local filesystem store: the
    /// same names as the directory store, and damage is refused the same way.
    #[test]
    fn an_object_store_holds_the_same_names() {
        let dir = tempfile::tempdir().unwrap();
        let local = object_store::local::LocalFileSystem::new_with_prefix(dir.path()).unwrap();
        let store = PhotoStore::over(Arc::new(local), "crops/", "local").unwrap();
        let name = store.put(b"sealed bytes").unwrap();
        assert_eq!(name, hex(&Sha256::digest(b"sealed bytes")));
        assert_eq!(store.get(&name).unwrap(), b"sealed bytes");
        let path = dir.path().join("crops").join(&name[..2]).join(&name);
        assert_eq!(std::fs::read(&path).unwrap(), b"sealed bytes");
        std::fs::write(&path, b"other bytes").unwrap();
        let e = store.get(&name).unwrap_err().to_string();
        assert!(e.contains("does not hash to its name"), "{e}");
        let e = store
            .get(&hex(&Sha256::digest(b"never stored")))
            .unwrap_err();
        assert!(e.to_string().contains("photo store local"), "{e}");
    }

    #[test]
    fn photos_option() {
        let data = Path::new("/srv/agency");
        assert!(matches!(
            PhotoStore::from_option(None, data).unwrap().kind,
            Kind::Dir(p) if p == data.join(PHOTOS_DIR)
        ));
        assert!(matches!(
            PhotoStore::from_option(Some("file:///mnt/photos"), data).unwrap().kind,
            Kind::Dir(p) if p == Path::new("/mnt/photos")
        ));
        #[cfg(not(feature = "s3"))]
        assert!(PhotoStore::from_option(Some("s3://bucket/p"), data)
            .err()
            .unwrap()
            .to_string()
            .contains("--features s3"));
    }
}
