//! Kiosks (with their region) and auditors: credentials, stored as token sha256s.

use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, now};
use crate::storage::{Kiosk, StorageError};

fn kiosk_row(r: &rusqlite::Row) -> rusqlite::Result<Kiosk> {
    Ok(Kiosk {
        kiosk_id: r.get(0)?,
        public_key: r.get(1)?,
        region: r.get(2)?,
    })
}

pub(super) fn add_kiosk(
    conn: &Connection,
    kiosk: &Kiosk,
    token_sha256: &str,
) -> Result<(), StorageError> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM kiosks WHERE kiosk_id = ?1)",
            [&kiosk.kiosk_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if exists {
        return Err(StorageError::KioskExists(kiosk.kiosk_id.clone()));
    }
    conn.execute(
        "INSERT INTO kiosks (kiosk_id, public_key, token_sha256, added_at, region)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            kiosk.kiosk_id,
            kiosk.public_key,
            token_sha256,
            now(),
            kiosk.region
        ],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn set_region(
    conn: &Connection,
    kiosk_id: &str,
    region: &str,
) -> Result<(), StorageError> {
    let changed = conn
        .execute(
            "UPDATE kiosks SET region = ?2 WHERE kiosk_id = ?1",
            params![kiosk_id, region],
        )
        .map_err(backend)?;
    if changed == 0 {
        return Err(StorageError::NoSuchKiosk(kiosk_id.to_owned()));
    }
    Ok(())
}

pub(super) fn by_token(
    conn: &Connection,
    token_sha256: &str,
) -> Result<Option<Kiosk>, StorageError> {
    conn.query_row(
        "SELECT kiosk_id, public_key, region FROM kiosks WHERE token_sha256 = ?1",
        [token_sha256],
        kiosk_row,
    )
    .optional()
    .map_err(backend)
}

pub(super) fn all(conn: &Connection) -> Result<Vec<Kiosk>, StorageError> {
    let mut stmt = conn
        .prepare("SELECT kiosk_id, public_key, region FROM kiosks ORDER BY kiosk_id")
        .map_err(backend)?;
    let rows = stmt.query_map([], kiosk_row).map_err(backend)?;
    rows.collect::<rusqlite::Result<_>>().map_err(backend)
}

pub(super) fn add_auditor(
    conn: &Connection,
    name: &str,
    token_sha256: &str,
) -> Result<(), StorageError> {
    let taken: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM auditors WHERE name = ?1)
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

pub(super) fn auditor_by_token(
    conn: &Connection,
    token_sha256: &str,
) -> Result<Option<String>, StorageError> {
    conn.query_row(
        "SELECT name FROM auditors WHERE token_sha256 = ?1",
        [token_sha256],
        |r| r.get(0),
    )
    .optional()
    .map_err(backend)
}
