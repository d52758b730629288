//! Binding the store to its key, sealing rows an older certpoint wrote in the clear,
//! keeping the WAL free of old page images, and refusing figures the server would
//! refuse.

use std::path::Path;

use certpoint_protocol::{CertificationRecord, FaceMatch};
use rusqlite::{Connection, OptionalExtension};

use super::seal::{self, Column, KeyError, Sealer};
use super::{Result, Store, StoreError};

/// Loads the store's key, or makes one for a store that has never sealed anything.
///
/// The fingerprint recorded in `store_key` is what makes a missing or different key
/// file an error rather than a reason to start afresh: a new key over existing
/// ciphertext would lose every queued record.
pub(super) fn load_key(conn: &mut Connection, store: &Path, key_file: &Path) -> Result<Sealer> {
    let recorded: Option<String> = conn
        .query_row("SELECT fingerprint FROM store_key WHERE id = 1", [], |r| {
            r.get(0)
        })
        .optional()?;
    let sealer = match (seal::load(key_file)?, &recorded) {
        (Some(sealer), _) => sealer,
        (None, Some(_)) => {
            return Err(KeyError::Missing {
                path: key_file.to_owned(),
                store: store.to_owned(),
            }
            .into())
        }
        (None, None) => seal::create(key_file)?,
    };
    if recorded.is_none() {
        // Another process opening the same new store at the same moment may record
        // its key first; the comparison below then catches the disagreement.
        conn.execute(
            "INSERT INTO store_key (id, fingerprint) VALUES (1, ?1) ON CONFLICT (id) DO NOTHING",
            [sealer.fingerprint()],
        )?;
    }
    let in_store: String =
        conn.query_row("SELECT fingerprint FROM store_key WHERE id = 1", [], |r| {
            r.get(0)
        })?;
    if in_store != sealer.fingerprint() {
        return Err(KeyError::Wrong {
            path: key_file.to_owned(),
            store: store.to_owned(),
        }
        .into());
    }
    Ok(sealer)
}

impl Store {
    /// Seals, in one transaction, every record an older certpoint stored in the clear;
    /// returns how many. A crash part-way leaves them all in the clear, to be sealed at
    /// the next start, never half of a record sealed.
    pub(super) fn seal_legacy_rows(&mut self) -> Result<usize> {
        let tx = self.conn.transaction()?;
        let rows: Vec<(String, String)> = {
            let mut stmt = tx.prepare("SELECT record_id, body FROM records WHERE sealed = 0")?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        if rows.is_empty() {
            return Ok(0);
        }
        for (record_id, body) in &rows {
            let sealed = self.sealer.seal(record_id, Column::Body, body.as_bytes());
            tx.execute(
                "UPDATE records SET body = ?2, sealed = 1 WHERE record_id = ?1",
                rusqlite::params![record_id, sealed],
            )?;
            let photo: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT bytes FROM record_photos WHERE record_id = ?1",
                    [record_id],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(photo) = photo {
                let sealed = self.sealer.seal(record_id, Column::Photo, &photo);
                tx.execute(
                    "UPDATE record_photos SET bytes = ?2 WHERE record_id = ?1",
                    rusqlite::params![record_id, sealed],
                )?;
            }
        }
        tx.commit()?;
        compact(&self.conn);
        tracing::info!(
            records = rows.len(),
            "sealed records stored in the clear by an older certpoint"
        );
        Ok(rows.len())
    }
}

/// Copies the WAL into the main file and truncates it, so page images from before a
/// purge (or from before sealing) do not linger in `-wal`. Best effort: a reader in
/// another connection can hold the WAL, and the next purge tries again; the data
/// itself is already committed either way.
pub(super) fn wipe_wal(conn: &Connection) {
    let result = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
        r.get::<_, i64>(0)
    });
    match result {
        Ok(0) => {}
        Ok(_) => {
            tracing::debug!("WAL still in use by another connection; truncated at the next purge")
        }
        Err(e) => tracing::warn!(error = %e, "could not truncate the record store's WAL"),
    }
}

/// Rewrites the whole file (VACUUM) and truncates the WAL. `secure_delete` zeroes
/// freed cells and pages, but when SQLite rebalances a b-tree page it rebuilds it in
/// place and leaves old bytes in the page's unused gap — measured: a v1 photo's first
/// 3.6 KB survived sealing that way. Only a rewrite clears those. Best effort, like
/// [`wipe_wal`]: the next purge tries again while the file has free pages.
pub(super) fn compact(conn: &Connection) {
    if let Err(e) = conn.execute_batch("VACUUM") {
        tracing::warn!(error = %e, "could not compact the record store; retried at the next purge");
    }
    wipe_wal(conn);
}

/// Pages SQLite holds free in the file: a purge left old data to clear.
pub(super) fn free_pages(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "freelist_count", |r| r.get(0))?)
}

/// The first figure in `record` that is NaN or infinite, with its wire name.
pub(super) fn non_finite_figure(record: &CertificationRecord) -> Option<(&'static str, f32)> {
    let mut figures: Vec<(&'static str, f32)> = Vec::new();
    if let Some(p) = &record.passive_liveness {
        figures.push(("passive_liveness.score", p.score));
        figures.push(("passive_liveness.threshold", p.threshold));
    }
    if let FaceMatch::Scored {
        score, threshold, ..
    } = &record.face_match
    {
        figures.push(("face_match.score", *score));
        figures.push(("face_match.threshold", *threshold));
    }
    if let Some(q) = &record.quality {
        figures.push(("quality.brightness", q.brightness));
        figures.push(("quality.sharpness", q.sharpness));
        figures.push(("quality.face_size", q.face_size));
    }
    figures.into_iter().find(|(_, v)| !v.is_finite())
}

/// [`non_finite_figure`] as the error [`Store::enqueue`] returns.
pub(super) fn check_figures(record: &CertificationRecord) -> Result<()> {
    match non_finite_figure(record) {
        None => Ok(()),
        Some((field, value)) => Err(StoreError::NonFiniteFigure {
            record_id: record.record_id.to_string(),
            field,
            value,
        }),
    }
}
