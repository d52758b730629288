//! The offline cache bundle last published per region (no personal data: a region
//! code, a digest and a time).

use rusqlite::{params, Connection, OptionalExtension};

use super::{backend, parse_utc, utc_text};
use crate::storage::{BundlePublication, StorageError};

pub(super) fn get(
    conn: &Connection,
    region: &str,
) -> Result<Option<BundlePublication>, StorageError> {
    let row: Option<(String, String)> = conn
        .query_row(
            "SELECT content_sha256, generated_at FROM bundle_publications WHERE region = ?1",
            [region],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend)?;
    row.map(|(content_sha256, generated_at)| {
        Ok(BundlePublication {
            region: region.to_owned(),
            content_sha256,
            generated_at: parse_utc(&generated_at)?,
        })
    })
    .transpose()
}

pub(super) fn set(conn: &Connection, p: &BundlePublication) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO bundle_publications (region, content_sha256, generated_at)
         VALUES (?1, ?2, ?3)
         ON CONFLICT (region) DO UPDATE SET content_sha256 = ?2, generated_at = ?3",
        params![p.region, p.content_sha256, utc_text(p.generated_at)],
    )
    .map_err(backend)?;
    Ok(())
}
