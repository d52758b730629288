//! The sealed bundle file: read whole, written atomically.
//!
//! Written to a private temporary file beside it, synced, renamed over the old file and
//! the directory synced: a power cut leaves the old bundle or the new one, never a torn
//! file (which would cost the kiosk its cache until the next refresh).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::time::SystemTime;

/// File name of the sealed bundle inside the data directory.
pub const CACHE_FILE: &str = "reference-cache.sealed";

/// What identifies a version of the file cheaply: inode (a rename brings a new one),
/// modified time and length.
pub(super) type Stamp = (u64, SystemTime, u64);

pub(super) fn stamp(path: &Path) -> Option<Stamp> {
    let meta = fs::metadata(path).ok()?;
    Some((meta.ino(), meta.modified().ok()?, meta.len()))
}

/// The whole file; `None` when there is none.
pub(super) fn read(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // Sized up front: growing a 100 MB buffer by doubling would briefly need twice that.
    let len = f.metadata()?.len();
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    f.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Replaces the file at `path` with `bytes` (mode 0600); returns the new file's stamp.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<Stamp> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::config::permissions::create_private_dir(dir)?;
    let tmp = path.with_extension(format!("new-{}", std::process::id()));
    // A leftover of a crash of this same process id: ours to replace.
    let _ = fs::remove_file(&tmp);
    let written = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    stamp(path).ok_or_else(|| std::io::Error::other("the file vanished after writing"))
}
