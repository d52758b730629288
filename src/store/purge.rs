//! Removing personal data the kiosk no longer needs.
//!
//! Once the agency server has acknowledged a record it holds the evidence, so the
//! kiosk drops the face crop and the body (the full ID number) in the same transaction
//! that marks the record sent. The row itself stays — seq, outcome, masked ID, times,
//! state — so the clerk's counts and the sequence reasoning still work, until
//! `retention.days` after the acknowledgement, when [`Store::purge`] deletes it.
//! A record the server rejected keeps its sealed fields for `retention.days` for the
//! administrator, then loses them. Pending records are never touched: a record lost
//! before it reached the server is the one failure the kiosk must not have.

use chrono::{DateTime, FixedOffset, TimeDelta};
use rusqlite::{params, Transaction};
use serde::Serialize;

use super::at_rest::{compact, free_pages};
use super::audit::{append, AuditEntry};
use super::{Result, Store, StoreError};

/// What one [`Store::purge`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PurgeReport {
    /// Acknowledged records whose ID number and face crop were still on the kiosk:
    /// acknowledged under a certpoint that did not yet remove them on acknowledgement.
    pub sent_scrubbed: u64,
    /// Acknowledged records older than the retention period, deleted entirely.
    pub sent_deleted: u64,
    /// Rejected records older than the retention period whose ID number and face crop
    /// were removed; the row stays for the administrator.
    pub rejected_scrubbed: u64,
}

impl PurgeReport {
    pub fn is_empty(&self) -> bool {
        *self == PurgeReport::default()
    }
}

impl Store {
    /// Marks a record acknowledged by the server and removes its personal fields. Only
    /// the sync worker calls this, and only after a 2xx answer.
    pub fn mark_sent(&mut self, record_id: &str, at: DateTime<FixedOffset>) -> Result<()> {
        self.mark_sent_many(&[record_id.to_owned()], at)
    }

    /// Marks several acknowledged records sent in one transaction (one fsync instead of
    /// one per record), removing their ID numbers and face crops in the same commit
    /// (sealed copies in the WAL and in page gaps last until the next [`Store::purge`]). A
    /// crash before it commits leaves them pending and whole: they are sent again and
    /// the server answers 200 (duplicate) — never a lost record.
    pub fn mark_sent_many(
        &mut self,
        record_ids: &[String],
        at: DateTime<FixedOffset>,
    ) -> Result<()> {
        let at = at.to_rfc3339();
        let tx = self.conn.transaction()?;
        for id in record_ids {
            let changed = tx.execute(
                "UPDATE records SET state = 'sent', sent_at = ?2, last_error = NULL
                 WHERE record_id = ?1",
                params![id, at],
            )?;
            if changed == 0 {
                return Err(StoreError::UnknownRecord(id.clone()));
            }
            scrub(&tx, id, &at)?;
        }
        tx.commit()?;
        // No WAL truncation here: it blocks writers for a few fsyncs, and the next
        // retiree's record would wait (measured: enqueue-to-server p50 2-5 ms → 10-20
        // ms). The WAL's old frames hold only ciphertext; the next purge pass rewrites
        // the file and truncates the WAL.
        Ok(())
    }

    /// Applies the retention rules as of `now` (see the module documentation) and
    /// returns what was removed. The kiosk runs it at start and the sync worker when
    /// idle; `certpoint queue purge` runs it on demand.
    pub fn purge(
        &mut self,
        now: DateTime<FixedOffset>,
        retention_days: u32,
    ) -> Result<PurgeReport> {
        let now_text = now.to_rfc3339();
        let cutoff = (now - TimeDelta::days(i64::from(retention_days))).to_rfc3339();
        let tx = self.conn.transaction()?;
        let sent = ids(
            &tx,
            "SELECT record_id FROM records WHERE state = 'sent' AND purged_at IS NULL",
            None,
        )?;
        // julianday() compares the instants, whatever UTC offset each was written with.
        let rejected = ids(
            &tx,
            "SELECT record_id FROM records WHERE state = 'rejected' AND purged_at IS NULL
               AND julianday(COALESCE(rejected_at, created_at)) < julianday(?1)",
            Some(&cutoff),
        )?;
        for id in sent.iter().chain(&rejected) {
            scrub(&tx, id, &now_text)?;
        }
        let old = ids(
            &tx,
            "SELECT record_id FROM records WHERE state = 'sent'
               AND julianday(sent_at) < julianday(?1)",
            Some(&cutoff),
        )?;
        for id in &old {
            tx.execute("DELETE FROM record_photos WHERE record_id = ?1", [id])?;
            tx.execute("DELETE FROM records WHERE record_id = ?1", [id])?;
        }
        let report = PurgeReport {
            sent_scrubbed: sent.len() as u64,
            sent_deleted: old.len() as u64,
            rejected_scrubbed: rejected.len() as u64,
        };
        if !report.is_empty() {
            let detail = format!(
                "retention {retention_days} days: {} acknowledged record(s) scrubbed, {} deleted, {} rejected record(s) scrubbed",
                report.sent_scrubbed, report.sent_deleted, report.rejected_scrubbed
            );
            let entry = AuditEntry {
                actor: "system",
                action: "records_purged",
                detail: &detail,
            };
            append(&tx, &entry, now)?;
        }
        tx.commit()?;
        // Free pages mean something was removed since the last rewrite (an
        // acknowledgement's scrub, or this pass): rewrite the file so no fragment of
        // it stays in a page gap. Cheap when it matters most: after a drain the queue
        // holds no photos.
        if !report.is_empty() || free_pages(&self.conn)? > 0 {
            compact(&self.conn);
        }
        Ok(report)
    }
}

/// Deletes a record's face crop and empties its body (the only columns holding the
/// full ID number or the face); `secure_delete` zeroes the freed bytes in the file.
fn scrub(tx: &Transaction<'_>, record_id: &str, at: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM record_photos WHERE record_id = ?1",
        [record_id],
    )?;
    tx.execute(
        "UPDATE records SET body = X'', purged_at = ?2 WHERE record_id = ?1",
        params![record_id, at],
    )?;
    Ok(())
}

fn ids(tx: &Transaction<'_>, sql: &str, cutoff: Option<&str>) -> Result<Vec<String>> {
    let mut stmt = tx.prepare(sql)?;
    let id = |r: &rusqlite::Row<'_>| r.get::<_, String>(0);
    let rows = match cutoff {
        Some(c) => stmt.query_map([c], id)?,
        None => stmt.query_map([], id)?,
    };
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
