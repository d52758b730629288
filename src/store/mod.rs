//! The kiosk's local store: one SQLite file holding the outbox of certification records
//! (with their face crops), the per-kiosk sequence, the append-only, hash-chained audit
//! log and the clerk registry (PIN hashes and lockouts).
//!
//! Why it is shaped so: a record shown as "saved" to a retiree must survive a power cut,
//! so the file runs in WAL mode with `synchronous=FULL` and [`Store::enqueue`] returns
//! only after the commit is on disk. The record, its photo, its sequence number and the
//! audit line are written in one transaction, so a crash leaves either all of them or
//! none. A file that fails `PRAGMA integrity_check` is refused and left exactly as found:
//! the administrator decides what to do with it, the kiosk never "repairs" evidence.
//!
//! Personal data at rest: the record body (full ID number) and the face crop are
//! sealed with a key file readable by the kiosk user only (see `seal`), and removed
//! once the server has acknowledged the record (see `purge`).

mod at_rest;
mod audit;
mod chain;
mod clerks;
mod outbox;
mod purge;
mod schema;
mod seal;
pub mod selftest;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use audit::{redact_id_numbers, AuditEntry, AuditRow};
pub use chain::{entry_hash, ChainFault, ChainProblem, ChainReport, NotedHead, GENESIS};
pub use clerks::{
    hash_pin, verify_pin, ClerkError, ClerkInfo, ClerkResult, PinCheck, PinPolicy, PIN_HASH_M_KIB,
    PIN_HASH_P, PIN_HASH_T, PIN_MIN_DIGITS,
};
pub use outbox::{hex_sha256, Enqueued, OutboxState, PendingRecord, QueueEntry, QueueStatus};
pub use purge::PurgeReport;
pub(crate) use seal::Column as SealColumn;
pub use seal::{KeyError, Sealer, KEY_FILE};

/// File name of the store inside the data directory.
pub const STORE_FILE: &str = "certpoint.sqlite";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the record store {path}: {source}. Check that the data directory exists and the kiosk user may write to it")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the record store {path} is damaged ({detail}). It has been left untouched: copy it somewhere safe for the administrator, then move it aside so the kiosk can start with a new, empty store; unsent records in it must be recovered by hand")]
    Corrupt { path: PathBuf, detail: String },
    #[error("the record store {path} was written by a newer certpoint (schema version {found}, this build knows up to {supported}). Install the newer certpoint version again; do not delete the file")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("record store error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error(transparent)]
    Canonical(#[from] certpoint_protocol::CanonicalError),
    #[error("record {0} is not in the store")]
    UnknownRecord(String),
    #[error("record {record_id} in the store cannot be read back ({detail}); the store may have been edited by hand")]
    BadStoredRecord { record_id: String, detail: String },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("record {record_id} was acknowledged by the server and its ID number and face crop have been removed from this kiosk; the agency server holds the record")]
    Purged { record_id: String },
    #[error("record {record_id} was not stored: {field} is {value}, not a finite number, and the server would refuse the record for good. This is a fault in the measurement that produced it; report it with the kiosk log")]
    NonFiniteFigure {
        record_id: String,
        field: &'static str,
        value: f32,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// An open record store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    sealer: Sealer,
}

impl Store {
    /// Opens (creating if needed) the store at `path` with the key `store.key` beside
    /// it; see [`Store::open_with_key`].
    pub fn open(path: &Path) -> Result<Store> {
        let key = path.with_file_name(KEY_FILE);
        Store::open_with_key(path, &key)
    }

    /// Opens (creating if needed) the store at `path`, checks its integrity, brings its
    /// schema up to date and loads the key that seals its personal fields from
    /// `key_file` (made, mode 0600, when neither it nor any sealed record exists yet).
    /// Records written unsealed by an older certpoint are sealed here.
    pub fn open_with_key(path: &Path, key_file: &Path) -> Result<Store> {
        if path.exists() {
            check_integrity(path)?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_owned(),
            source,
        };
        let mut conn = Connection::open(path).map_err(open_err)?;
        // WAL lets the sync worker read while the flow writes; FULL makes every commit
        // fsync the WAL, which is what "acknowledged" has to mean here.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| classify(path, e))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // Purged ID numbers and face crops are overwritten with zeros in the file, not
        // just unlinked from the b-tree where a disk image would still show them.
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn, path)?;
        let sealer = at_rest::load_key(&mut conn, path, key_file)?;
        let mut store = Store {
            conn,
            path: path.to_owned(),
            sealer,
        };
        store.seal_legacy_rows()?;
        Ok(store)
    }

    /// Opens the store in `data_dir` with the default key `<data_dir>/store.key`,
    /// creating the directory if needed.
    pub fn open_in(data_dir: &Path) -> Result<Store> {
        Store::open_in_with_key(data_dir, &data_dir.join(KEY_FILE))
    }

    /// Opens the store of a configured kiosk: `<data_dir>/certpoint.sqlite` with the
    /// key `kiosk.store_key_file` (default `<data_dir>/store.key`).
    pub fn open_configured(cfg: &crate::config::LoadedConfig) -> Result<Store> {
        Store::open_in_with_key(&cfg.data_dir(), &cfg.store_key_path())
    }

    fn open_in_with_key(data_dir: &Path, key_file: &Path) -> Result<Store> {
        let path = data_dir.join(STORE_FILE);
        if let Err(e) = crate::config::permissions::create_private_dir(data_dir) {
            return Err(StoreError::Open {
                path,
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            });
        }
        Store::open_with_key(&path, key_file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key that seals this store's personal fields, for other personal data the
    /// kiosk keeps at rest (the offline reference cache). Only obtainable from an open
    /// store, so it is always the key the store has checked against its records.
    pub fn sealer(&self) -> Sealer {
        self.sealer.clone()
    }

    /// A second connection to this same file, for another thread (the PIN checker).
    /// Skips the integrity check and migration `open` already did in this process.
    pub fn connect_again(&self) -> Result<Store> {
        let open_err = |source| StoreError::Open {
            path: self.path.clone(),
            source,
        };
        let conn = Connection::open(&self.path).map_err(open_err)?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "secure_delete", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store {
            conn,
            path: self.path.clone(),
            sealer: self.sealer.clone(),
        })
    }
}

/// Runs `PRAGMA integrity_check` on a read-only connection, so that a damaged file is
/// not modified (no migration, no checkpoint) before it is refused.
fn check_integrity(path: &Path) -> Result<()> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
    let mut stmt = conn
        .prepare("PRAGMA integrity_check")
        .map_err(|e| classify(path, e))?;
    let problems: Vec<String> = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect())
        .map_err(|e| classify(path, e))?;
    if problems.len() == 1 && problems[0] == "ok" {
        return Ok(());
    }
    Err(StoreError::Corrupt {
        path: path.to_owned(),
        detail: problems.into_iter().take(3).collect::<Vec<_>>().join("; "),
    })
}

/// SQLite reports a file that is not a database, or a damaged one, through error codes;
/// those become [`StoreError::Corrupt`] so the message tells the administrator what to do.
fn classify(path: &Path, e: rusqlite::Error) -> StoreError {
    use rusqlite::ErrorCode::{DatabaseCorrupt, NotADatabase};
    match e.sqlite_error_code() {
        Some(DatabaseCorrupt) | Some(NotADatabase) => StoreError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => StoreError::Open {
            path: path.to_owned(),
            source: e,
        },
    }
}

#[cfg(test)]
mod legacy_tests;
#[cfg(test)]
mod tests;
