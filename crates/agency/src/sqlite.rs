//! The SQLite backend: one file in the data directory, WAL, `synchronous=FULL` (a 201
//! means the record is on disk), photos as blobs in the same file so a record and its
//! photo are committed together.

use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use certpoint_protocol::{GapReport, StoredCertification};

use crate::storage::{
    missing_ranges, InsertOutcome, Kiosk, NewCertification, RecordSummary, Reference, Storage,
    StorageError,
};

/// File name inside `--data`.
pub const DB_FILE: &str = "agency.sqlite";

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS kiosks (
    kiosk_id     TEXT PRIMARY KEY NOT NULL,
    public_key   TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS certifications (
    arrival     INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id   TEXT NOT NULL UNIQUE,
    kiosk_id    TEXT NOT NULL REFERENCES kiosks (kiosk_id),
    seq         INTEGER NOT NULL,
    body        TEXT NOT NULL,
    signature   TEXT NOT NULL,
    received_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS certifications_by_kiosk ON certifications (kiosk_id, seq);
CREATE TABLE IF NOT EXISTS certification_photos (
    record_id  TEXT PRIMARY KEY NOT NULL REFERENCES certifications (record_id),
    media_type TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    bytes      BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS auditors (
    name         TEXT PRIMARY KEY NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    added_at     TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reference_photos (
    id_number   TEXT PRIMARY KEY NOT NULL,
    version     TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    bytes       BLOB NOT NULL,
    enrolled_at TEXT NOT NULL
);
"#;

pub struct SqliteStorage {
    conn: Mutex<Connection>,
}

fn backend(e: rusqlite::Error) -> StorageError {
    StorageError::Backend(e.to_string())
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl SqliteStorage {
    /// Opens (creating) `<data_dir>/agency.sqlite`.
    pub fn open_in(data_dir: &Path) -> Result<SqliteStorage, StorageError> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StorageError::Backend(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let conn = Connection::open(data_dir.join(DB_FILE)).map_err(backend)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(backend)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(backend)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(backend)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(backend)?;
        conn.execute_batch(SCHEMA).map_err(backend)?;
        Ok(SqliteStorage {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A panic while holding the lock leaves SQLite consistent (transactions roll back).
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Storage for SqliteStorage {
    fn add_auditor(&self, name: &str, token_sha256: &str) -> Result<(), StorageError> {
        let conn = self.conn();
        let taken: bool = conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM auditors WHERE name = ?1) \
                 OR EXISTS (SELECT 1 FROM kiosks WHERE token_sha256 = ?2)",
                params![name, token_sha256],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if taken {
            return Err(StorageError::AuditorExists(name.to_owned()));
        }
        conn.execute(
            "INSERT INTO auditors (name, token_sha256, added_at) VALUES (?1, ?2, ?3)",
            params![name, token_sha256, now()],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn auditor_by_token(&self, token_sha256: &str) -> Result<Option<String>, StorageError> {
        self.conn()
            .query_row(
                "SELECT name FROM auditors WHERE token_sha256 = ?1",
                [token_sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn add_kiosk(&self, kiosk: &Kiosk, token_sha256: &str) -> Result<(), StorageError> {
        let conn = self.conn();
        let exists: Option<String> = conn
            .query_row(
                "SELECT kiosk_id FROM kiosks WHERE kiosk_id = ?1",
                [&kiosk.kiosk_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)?;
        if exists.is_some() {
            return Err(StorageError::KioskExists(kiosk.kiosk_id.clone()));
        }
        conn.execute(
            "INSERT INTO kiosks (kiosk_id, public_key, token_sha256, added_at) VALUES (?1, ?2, ?3, ?4)",
            params![kiosk.kiosk_id, kiosk.public_key, token_sha256, now()],
        )
        .map_err(backend)?;
        Ok(())
    }

    fn kiosk_by_token(&self, token_sha256: &str) -> Result<Option<Kiosk>, StorageError> {
        self.conn()
            .query_row(
                "SELECT kiosk_id, public_key FROM kiosks WHERE token_sha256 = ?1",
                [token_sha256],
                |r| {
                    Ok(Kiosk {
                        kiosk_id: r.get(0)?,
                        public_key: r.get(1)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
    }

    fn kiosks(&self) -> Result<Vec<Kiosk>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT kiosk_id, public_key FROM kiosks ORDER BY kiosk_id")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Kiosk {
                    kiosk_id: r.get(0)?,
                    public_key: r.get(1)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)
    }

    fn insert_certification(&self, c: &NewCertification) -> Result<InsertOutcome, StorageError> {
        let mut conn = self.conn();
        let tx = conn.transaction().map_err(backend)?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT body, received_at FROM certifications WHERE record_id = ?1",
                [c.record_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(backend)?;
        if let Some((body, received_at)) = existing {
            return Ok(if body == c.body {
                InsertOutcome::Duplicate { received_at }
            } else {
                InsertOutcome::Conflict
            });
        }
        let received_at = now();
        tx.execute(
            "INSERT INTO certifications (record_id, kiosk_id, seq, body, signature, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                c.record_id,
                c.kiosk_id,
                c.seq as i64,
                c.body,
                c.signature,
                received_at
            ],
        )
        .map_err(backend)?;
        if let Some((media_type, sha256, bytes)) = c.photo {
            tx.execute(
                "INSERT INTO certification_photos (record_id, media_type, sha256, bytes)
                 VALUES (?1, ?2, ?3, ?4)",
                params![c.record_id, media_type, sha256, bytes],
            )
            .map_err(backend)?;
        }
        tx.commit().map_err(backend)?;
        Ok(InsertOutcome::Created { received_at })
    }

    fn certification(&self, record_id: &str) -> Result<Option<StoredCertification>, StorageError> {
        let conn = self.conn();
        let row: Option<(String, String, String, bool)> = conn
            .query_row(
                "SELECT c.body, c.signature, c.received_at, p.record_id IS NOT NULL
                 FROM certifications c
                 LEFT JOIN certification_photos p ON p.record_id = c.record_id
                 WHERE c.record_id = ?1",
                [record_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(backend)?;
        let Some((body, signature, received_at, photo_stored)) = row else {
            return Ok(None);
        };
        let record = serde_json::from_str(&body)
            .map_err(|e| StorageError::Backend(format!("stored body unreadable: {e}")))?;
        Ok(Some(StoredCertification {
            record,
            signed_body: body,
            signature,
            received_at,
            photo_stored,
        }))
    }

    fn records(&self, kiosk_id: Option<&str>) -> Result<Vec<RecordSummary>, StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT record_id, kiosk_id, seq, received_at FROM certifications
                 WHERE (?1 IS NULL OR kiosk_id = ?1) ORDER BY arrival",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([kiosk_id], |r| {
                Ok(RecordSummary {
                    record_id: r.get(0)?,
                    kiosk_id: r.get(1)?,
                    seq: r.get::<_, i64>(2)? as u64,
                    received_at: r.get(3)?,
                })
            })
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)
    }

    fn photo(&self, record_id: &str) -> Result<Option<Vec<u8>>, StorageError> {
        self.conn()
            .query_row(
                "SELECT bytes FROM certification_photos WHERE record_id = ?1",
                [record_id],
                |r| r.get(0),
            )
            .optional()
            .map_err(backend)
    }

    fn gaps(&self, kiosk_id: &str) -> Result<GapReport, StorageError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT DISTINCT seq FROM certifications WHERE kiosk_id = ?1 ORDER BY seq")
            .map_err(backend)?;
        let seqs: Vec<u64> = stmt
            .query_map([kiosk_id], |r| Ok(r.get::<_, i64>(0)? as u64))
            .map_err(backend)?
            .collect::<rusqlite::Result<_>>()
            .map_err(backend)?;
        let received: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM certifications WHERE kiosk_id = ?1",
                [kiosk_id],
                |r| r.get(0),
            )
            .map_err(backend)?;
        Ok(GapReport {
            kiosk_id: kiosk_id.to_owned(),
            received: received as u64,
            max_seq: seqs.last().copied().unwrap_or(0),
            missing: missing_ranges(&seqs),
        })
    }

    fn put_reference(&self, id_number: &str, reference: &Reference) -> Result<(), StorageError> {
        self.conn()
            .execute(
                "INSERT INTO reference_photos (id_number, version, media_type, bytes, enrolled_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id_number) DO UPDATE SET version = ?2, media_type = ?3,
                   bytes = ?4, enrolled_at = ?5",
                params![
                    id_number,
                    reference.version,
                    reference.media_type,
                    reference.bytes,
                    now()
                ],
            )
            .map_err(backend)?;
        Ok(())
    }

    fn reference(&self, id_number: &str) -> Result<Option<Reference>, StorageError> {
        self.conn()
            .query_row(
                "SELECT version, media_type, bytes FROM reference_photos WHERE id_number = ?1",
                [id_number],
                |r| {
                    Ok(Reference {
                        version: r.get(0)?,
                        media_type: r.get(1)?,
                        bytes: r.get(2)?,
                    })
                },
            )
            .optional()
            .map_err(backend)
    }
}
