//! The schema, as a list of migrations tracked in `PRAGMA user_version`.
//!
//! Each migration runs once, in its own transaction with the version bump, so a crash
//! leaves the database at one version or the next, never between. Data directories from
//! before this list (version 0, tables made with `CREATE TABLE IF NOT EXISTS`) go
//! through migration 1 unchanged, since it is exactly that schema, and then through the
//! rest: existing records get their index columns and are sealed, existing reference
//! photos become version history, existing kiosks have no region until an
//! administrator sets one. A database written by a newer server is refused.
//!
//! Migrations that move data are Rust, because sealing needs the key; foreign keys are
//! off while they run (a table rebuild drops the old table) and checked before commit.

use rusqlite::{params, Connection, Transaction};

use certpoint_protocol::CertificationRecord;

use super::{backend, utc_text};
use crate::photos::PhotoStore;
use crate::storage::StorageError;
use crate::vault::{Field, Vault};

struct Migration {
    name: &'static str,
    apply: fn(&Transaction, &Vault, &PhotoStore) -> Result<(), StorageError>,
}

/// In order; migration `i` brings the database to `user_version` `i + 1`.
const MIGRATIONS: &[Migration] = &[
    Migration {
        name: "baseline: kiosks, auditors, certifications, photos, reference photos",
        apply: |tx, _, _| sql(tx, BASELINE),
    },
    Migration {
        name: "kiosks have a roster region",
        apply: |tx, _, _| sql(tx, "ALTER TABLE kiosks ADD COLUMN region TEXT;"),
    },
    Migration {
        name: "roster and app self-certifications",
        apply: |tx, _, _| sql(tx, ROSTER),
    },
    Migration {
        name: "records sealed, with index columns for status lookups",
        apply: seal_records,
    },
    Migration {
        name: "reference photos sealed, with version history and embeddings",
        apply: reference_versions,
    },
    Migration {
        name: "the server's match results beside the records",
        apply: |tx, _, _| sql(tx, MATCHES),
    },
    Migration {
        name: "the log of reference reads",
        apply: |tx, _, _| sql(tx, READS),
    },
    Migration {
        name: "the offline cache bundle published per region",
        apply: |tx, _, _| sql(tx, BUNDLES),
    },
    Migration {
        name: "photos out of the rows, into the content-addressed photo store",
        apply: photos_out,
    },
    Migration {
        name: "covering indexes for the region's not-yet-certified list",
        apply: |tx, _, _| sql(tx, REGION_INDEXES),
    },
    Migration {
        name: "back office: staff accounts, audit log, review decisions, kiosk heartbeats",
        apply: |tx, _, _| sql(tx, OFFICE),
    },
    Migration {
        name: "record channels and certificates of assistance",
        apply: |tx, _, _| sql(tx, ASSISTANCE),
    },
];

/// The schema version this build writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;

fn sql(tx: &Transaction, batch: &str) -> Result<(), StorageError> {
    tx.execute_batch(batch).map_err(backend)
}

pub(super) fn version(conn: &Connection) -> Result<u32, StorageError> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(backend)
}

/// Brings the database to [`LATEST`].
pub(super) fn run(
    conn: &mut Connection,
    vault: &Vault,
    photos: &PhotoStore,
    path: &str,
) -> Result<(), StorageError> {
    let at = version(conn)?;
    if at > LATEST {
        return Err(StorageError::Backend(format!(
            "{path} is at schema version {at}, written by a newer certpoint-agency (this one knows up to {LATEST}); run that version or restore a backup"
        )));
    }
    if at == LATEST {
        return Ok(());
    }
    conn.pragma_update(None, "foreign_keys", "OFF")
        .map_err(backend)?;
    let result = (|| {
        for (i, m) in MIGRATIONS.iter().enumerate().skip(at as usize) {
            let tx = conn.transaction().map_err(backend)?;
            (m.apply)(&tx, vault, photos).map_err(|e| {
                StorageError::Backend(format!(
                    "{path}: migration {} ({}) failed: {e}",
                    i + 1,
                    m.name
                ))
            })?;
            let broken: Option<String> = tx
                .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(backend(e)),
                })?;
            if let Some(table) = broken {
                return Err(StorageError::Backend(format!(
                    "{path}: migration {} ({}) left a broken reference in table {table}",
                    i + 1,
                    m.name
                )));
            }
            tx.pragma_update(None, "user_version", (i + 1) as u32)
                .map_err(backend)?;
            tx.commit().map_err(backend)?;
            tracing::info!("{path}: schema migration {} applied: {}", i + 1, m.name);
        }
        Ok(())
    })();
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(backend)?;
    result
}

/// The schema every data directory had before migrations were numbered.
const BASELINE: &str = r#"
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

/// People are found by `person_key`, the keyed hash of the ID number (`vault`); the
/// number and the name are sealed. Region and status stay readable: the back office
/// counts and lists by them.
const ROSTER: &str = r#"
CREATE TABLE people (
    person_key  BLOB PRIMARY KEY NOT NULL,
    id_sealed   BLOB NOT NULL,
    name_sealed BLOB NOT NULL,
    region      TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('active', 'suspended', 'deceased')),
    updated_at  TEXT NOT NULL
);
CREATE INDEX people_by_region ON people (region, status);
CREATE TABLE self_certifications (
    person_key  BLOB NOT NULL,
    period      TEXT NOT NULL,
    at          TEXT NOT NULL,
    at_utc      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    PRIMARY KEY (person_key, period)
);
CREATE INDEX self_certifications_by_period ON self_certifications (period);
"#;

/// The records table with a sealed body and the index columns status lookups read.
const RECORDS: &str = r#"
CREATE TABLE certifications_sealed (
    arrival      INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id    TEXT NOT NULL UNIQUE,
    kiosk_id     TEXT NOT NULL REFERENCES kiosks (kiosk_id),
    seq          INTEGER NOT NULL,
    body_sealed  BLOB NOT NULL,
    signature    TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    person_key   BLOB NOT NULL,
    period       TEXT NOT NULL,
    site_code    TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    ended_at     TEXT NOT NULL,
    ended_at_utc TEXT NOT NULL
);
"#;

const RECORD_INDEXES: &str = r#"
CREATE INDEX certifications_by_kiosk ON certifications (kiosk_id, seq);
CREATE INDEX certifications_by_person ON certifications (person_key, period);
CREATE INDEX certifications_by_period ON certifications (period, outcome);
"#;

fn seal_records(tx: &Transaction, vault: &Vault, _: &PhotoStore) -> Result<(), StorageError> {
    sql(tx, RECORDS)?;
    {
        let mut old = tx
            .prepare(
                "SELECT arrival, record_id, kiosk_id, seq, body, signature, received_at
                 FROM certifications ORDER BY arrival",
            )
            .map_err(backend)?;
        let mut insert = tx
            .prepare(
                "INSERT INTO certifications_sealed (arrival, record_id, kiosk_id, seq,
                   body_sealed, signature, received_at, person_key, period, site_code,
                   outcome, ended_at, ended_at_utc)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )
            .map_err(backend)?;
        let mut rows = old.query([]).map_err(backend)?;
        while let Some(r) = rows.next().map_err(backend)? {
            let record_id: String = r.get(1).map_err(backend)?;
            let body: String = r.get(4).map_err(backend)?;
            let record: CertificationRecord = serde_json::from_str(&body).map_err(|e| {
                StorageError::Backend(format!("stored record {record_id} is unreadable: {e}"))
            })?;
            insert
                .execute(params![
                    r.get::<_, i64>(0).map_err(backend)?,
                    record_id,
                    r.get::<_, String>(2).map_err(backend)?,
                    r.get::<_, i64>(3).map_err(backend)?,
                    vault.seal(Field::RecordBody, record_id.as_bytes(), body.as_bytes()),
                    r.get::<_, String>(5).map_err(backend)?,
                    r.get::<_, String>(6).map_err(backend)?,
                    &vault.person_key(&record.id_number)[..],
                    record.period,
                    record.site_code,
                    record.effective_outcome().as_str(),
                    record.ended_at.to_rfc3339(),
                    utc_text(record.ended_at),
                ])
                .map_err(backend)?;
        }
    }
    sql(
        tx,
        "DROP TABLE certifications;
         ALTER TABLE certifications_sealed RENAME TO certifications;",
    )?;
    sql(tx, RECORD_INDEXES)?;
    // Photos stay where they are, sealed in place.
    let photos: Vec<(String, Vec<u8>)> = {
        let mut stmt = tx
            .prepare("SELECT record_id, bytes FROM certification_photos")
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)?
    };
    for (record_id, bytes) in photos {
        tx.execute(
            "UPDATE certification_photos SET bytes = ?2 WHERE record_id = ?1",
            params![
                record_id,
                vault.seal(Field::RecordPhoto, record_id.as_bytes(), &bytes)
            ],
        )
        .map_err(backend)?;
    }
    Ok(())
}

/// Every version of a person's reference is kept; `reference_current` points at the
/// one served. Photo and embedding are sealed, bound to the person and version.
const REFERENCES: &str = r#"
CREATE TABLE reference_versions (
    ref_id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    person_key             BLOB NOT NULL,
    version                TEXT NOT NULL,
    media_type             TEXT NOT NULL,
    photo_sealed           BLOB NOT NULL,
    embedding_sealed       BLOB,
    embedding_model_sha256 TEXT,
    enrolled_at            TEXT NOT NULL,
    UNIQUE (person_key, version)
);
CREATE TABLE reference_current (
    person_key BLOB PRIMARY KEY NOT NULL,
    ref_id     INTEGER NOT NULL REFERENCES reference_versions (ref_id)
);
"#;

fn reference_versions(tx: &Transaction, vault: &Vault, _: &PhotoStore) -> Result<(), StorageError> {
    sql(tx, REFERENCES)?;
    let old: Vec<(String, String, String, Vec<u8>, String)> = {
        let mut stmt = tx
            .prepare(
                "SELECT id_number, version, media_type, bytes, enrolled_at FROM reference_photos",
            )
            .map_err(backend)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .map_err(backend)?;
        rows.collect::<rusqlite::Result<_>>().map_err(backend)?
    };
    for (id_number, version, media_type, bytes, enrolled_at) in old {
        let key = vault.person_key(&id_number);
        let row = crate::storage::columns::reference_row(&key, &version);
        tx.execute(
            "INSERT INTO reference_versions (person_key, version, media_type, photo_sealed, enrolled_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                &key[..],
                version,
                media_type,
                vault.seal(Field::ReferencePhoto, &row, &bytes),
                enrolled_at
            ],
        )
        .map_err(backend)?;
        tx.execute(
            "INSERT INTO reference_current (person_key, ref_id) VALUES (?1, last_insert_rowid())",
            [&key[..]],
        )
        .map_err(backend)?;
    }
    sql(tx, "DROP TABLE reference_photos;")
}

const MATCHES: &str = r#"
CREATE TABLE record_matches (
    record_id         TEXT PRIMARY KEY NOT NULL REFERENCES certifications (record_id),
    score             REAL NOT NULL,
    threshold         REAL NOT NULL,
    reference_version TEXT NOT NULL,
    models            TEXT NOT NULL,
    matched_at        TEXT NOT NULL
);
"#;

/// Who read whose reference photo, when, and what they got. The ID number is kept
/// masked for people and keyed-hashed for lookups by person, never in the clear.
const READS: &str = r#"
CREATE TABLE reference_reads (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    kiosk_id   TEXT NOT NULL,
    person_key BLOB NOT NULL,
    id_masked  TEXT NOT NULL,
    result     TEXT NOT NULL CHECK (result IN ('served', 'not_found', 'forbidden', 'rate_limited'))
);
CREATE INDEX reference_reads_by_person ON reference_reads (person_key, id);
"#;

/// The bundle last published per region, so an unchanged one keeps its time.
const BUNDLES: &str = r#"
CREATE TABLE bundle_publications (
    region         TEXT PRIMARY KEY NOT NULL,
    content_sha256 TEXT NOT NULL,
    generated_at   TEXT NOT NULL
);
"#;

/// Sealed photo blobs move, unchanged (still bound to their rows), into the photo
/// store; the rows keep their sha256. Blobs are written before the transaction
/// commits: a crash leaves unreferenced blobs, and the rerun writes the same names.
fn photos_out(tx: &Transaction, _: &Vault, photos: &PhotoStore) -> Result<(), StorageError> {
    sql(
        tx,
        "ALTER TABLE certification_photos ADD COLUMN blob_sha256 TEXT;
         ALTER TABLE reference_versions ADD COLUMN photo_blob TEXT;",
    )?;
    for (select, update) in [
        (
            "SELECT record_id, bytes FROM certification_photos",
            "UPDATE certification_photos SET blob_sha256 = ?2 WHERE record_id = ?1",
        ),
        (
            "SELECT ref_id, photo_sealed FROM reference_versions",
            "UPDATE reference_versions SET photo_blob = ?2 WHERE ref_id = ?1",
        ),
    ] {
        let rows: Vec<(rusqlite::types::Value, Vec<u8>)> = {
            let mut stmt = tx.prepare(select).map_err(backend)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)?
        };
        for (row, sealed) in rows {
            let name = photos.put(&sealed)?;
            tx.execute(update, params![row, name]).map_err(backend)?;
        }
    }
    sql(
        tx,
        "ALTER TABLE certification_photos DROP COLUMN bytes;
         ALTER TABLE reference_versions DROP COLUMN photo_sealed;",
    )
}

/// `not_certified_in_region` reads only indexes until it has its page: the region's
/// active people in person-key order (the page order), and per person and period the
/// outcomes with the record id that joins the server's match.
const REGION_INDEXES: &str = r#"
DROP INDEX people_by_region;
CREATE INDEX people_by_region ON people (region, status, person_key);
DROP INDEX certifications_by_person;
CREATE INDEX certifications_by_person ON certifications (person_key, period, outcome, record_id);
"#;

/// The back office (`/admin/…`): staff accounts (Argon2id hashes, lockout counters),
/// the audit log of logins, decisions and exports, one review decision per record (the
/// latest; the audit log keeps the history), and each kiosk's last heartbeat.
const OFFICE: &str = r#"
CREATE TABLE staff_accounts (
    name          TEXT PRIMARY KEY NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'auditor')),
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  TEXT,
    added_at      TEXT NOT NULL
);
CREATE TABLE staff_audit (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE TABLE review_decisions (
    record_id TEXT PRIMARY KEY NOT NULL REFERENCES certifications (record_id),
    verdict   TEXT NOT NULL CHECK (verdict IN ('confirmed', 'rejected')),
    reason    TEXT NOT NULL,
    reviewer  TEXT NOT NULL,
    at        TEXT NOT NULL
);
CREATE TABLE kiosk_heartbeats (
    kiosk_id       TEXT PRIMARY KEY NOT NULL REFERENCES kiosks (kiosk_id),
    received_at    TEXT NOT NULL,
    app_version    TEXT NOT NULL,
    queue_depth    INTEGER NOT NULL,
    oldest_pending TEXT
);
"#;

/// A record's channel (every record before certificates of assistance was on site)
/// and the serials of certificates of assistance, with the sha256 of their codes.
const ASSISTANCE: &str = r#"
ALTER TABLE certifications ADD COLUMN channel TEXT NOT NULL DEFAULT 'onsite'
    CHECK (channel IN ('onsite', 'assistance'));
CREATE TABLE assistance_certificates (
    serial      TEXT PRIMARY KEY NOT NULL,
    record_id   TEXT NOT NULL UNIQUE REFERENCES certifications (record_id),
    code_sha256 TEXT NOT NULL
);
"#;
