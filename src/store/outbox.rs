//! The outbox: records waiting to reach the agency server, and what became of them.

use chrono::Local;
use rusqlite::types::ValueRef;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use sha2::{Digest, Sha256};

use certpoint_protocol::{canonical_json, mask_id_number, CertificationRecord, PhotoRef};

use super::at_rest::check_figures;
use super::audit::{append, redact_id_numbers, AuditEntry};
use super::seal::{Column, Sealer};
use super::{Result, Store, StoreError};

/// Where a record stands with the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Stored, not yet acknowledged by the server.
    Pending,
    /// The server acknowledged it (2xx).
    Sent,
    /// The server refused it as invalid; kept for the administrator, not retried.
    Rejected,
}

impl OutboxState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Pending => "pending",
            OutboxState::Sent => "sent",
            OutboxState::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> OutboxState {
        match s {
            "sent" => OutboxState::Sent,
            "rejected" => OutboxState::Rejected,
            _ => OutboxState::Pending,
        }
    }
}

/// What [`Store::enqueue`] hands back once the record is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enqueued {
    pub record_id: String,
    pub seq: u64,
}

/// Counts the clerk's panel and `certpoint queue status` show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStatus {
    pub pending: u64,
    pub sent: u64,
    pub rejected: u64,
    /// Creation time of the oldest record still pending, if any.
    pub oldest_pending_at: Option<String>,
    pub last_seq: u64,
}

/// One line of `certpoint queue list`: no full ID number, no photo.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueEntry {
    pub record_id: String,
    pub seq: u64,
    pub created_at: String,
    pub outcome: String,
    pub id_number: String,
    pub state: OutboxState,
    pub send_attempts: u64,
    pub last_error: Option<String>,
    pub rejected_reason: Option<String>,
}

/// A record ready to send: its canonical body and photo bytes.
#[derive(Debug, Clone)]
pub struct PendingRecord {
    pub record: CertificationRecord,
    pub body: String,
    pub photo: Option<Vec<u8>>,
}

impl Store {
    /// Stores `record` (and its JPEG face crop) durably and returns its sequence number.
    ///
    /// The store assigns `seq` (the next number for the record's kiosk) and fills in
    /// `photo` from the bytes, so that the canonical body, the photo and the sequence
    /// can never disagree. Returns only after the transaction is committed to disk.
    pub fn enqueue(
        &mut self,
        mut record: CertificationRecord,
        photo_jpeg: Option<&[u8]>,
    ) -> Result<Enqueued> {
        check_figures(&record)?;
        let now = Local::now().fixed_offset();
        let tx = self.conn.transaction()?;
        let seq: i64 = tx.query_row(
            "INSERT INTO kiosk_sequence (kiosk_id, last_seq) VALUES (?1, 1)
             ON CONFLICT (kiosk_id) DO UPDATE SET last_seq = last_seq + 1
             RETURNING last_seq",
            [&record.kiosk_id],
            |r| r.get(0),
        )?;
        record.seq = seq as u64;
        record.photo = photo_jpeg.map(|bytes| PhotoRef {
            media_type: "image/jpeg".into(),
            bytes: bytes.len() as u64,
            sha256: hex_sha256(bytes),
        });
        let body = canonical_json(&record)?;
        let record_id = record.record_id.to_string();
        let masked = mask_id_number(&record.id_number);
        let sealed_body = self.sealer.seal(&record_id, Column::Body, body.as_bytes());
        tx.execute(
            "INSERT INTO records (record_id, kiosk_id, seq, created_at, outcome, id_masked, body,
                                  sealed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1)",
            params![
                record_id,
                record.kiosk_id,
                seq,
                now.to_rfc3339(),
                record.outcome.as_str(),
                masked,
                sealed_body
            ],
        )?;
        if let (Some(bytes), Some(photo)) = (photo_jpeg, &record.photo) {
            let sealed_photo = self.sealer.seal(&record_id, Column::Photo, bytes);
            tx.execute(
                "INSERT INTO record_photos (record_id, media_type, sha256, bytes)
                 VALUES (?1, ?2, ?3, ?4)",
                params![record_id, photo.media_type, photo.sha256, sealed_photo],
            )?;
        }
        let detail = format!(
            "seq {seq}, record {record_id}, outcome {}, attempt {}, id {masked}",
            record.outcome.as_str(),
            record.attempt
        );
        let actor = match &record.method {
            certpoint_protocol::Method::ClerkManual { clerk_id, .. }
            | certpoint_protocol::Method::Assistance { clerk_id, .. } => {
                format!("clerk:{clerk_id}")
            }
            certpoint_protocol::Method::FaceAuto => "system".to_owned(),
        };
        let entry = AuditEntry {
            actor: &actor,
            action: "record_stored",
            detail: &detail,
        };
        append(&tx, &entry, now)?;
        tx.commit()?;
        Ok(Enqueued {
            record_id,
            seq: seq as u64,
        })
    }

    pub fn status(&self) -> Result<QueueStatus> {
        let (pending, sent, rejected): (i64, i64, i64) = self.conn.query_row(
            "SELECT COALESCE(SUM(state = 'pending'), 0), COALESCE(SUM(state = 'sent'), 0),
                    COALESCE(SUM(state = 'rejected'), 0) FROM records",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let oldest_pending_at = self
            .conn
            .query_row(
                "SELECT created_at FROM records WHERE state = 'pending' ORDER BY seq LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let last_seq: i64 = self.conn.query_row(
            "SELECT COALESCE(MAX(last_seq), 0) FROM kiosk_sequence",
            [],
            |r| r.get(0),
        )?;
        Ok(QueueStatus {
            pending: pending as u64,
            sent: sent as u64,
            rejected: rejected as u64,
            oldest_pending_at,
            last_seq: last_seq as u64,
        })
    }

    /// Records in sequence order, optionally only those in `state`, newest `limit`.
    pub fn list(&self, state: Option<OutboxState>, limit: usize) -> Result<Vec<QueueEntry>> {
        let mut stmt = self.conn.prepare(
            "SELECT * FROM (
               SELECT record_id, seq, created_at, outcome, id_masked, state, send_attempts,
                      last_error, rejected_reason
               FROM records WHERE (?1 IS NULL OR state = ?1) ORDER BY seq DESC LIMIT ?2)
             ORDER BY seq",
        )?;
        let rows = stmt.query_map(params![state.map(|s| s.as_str()), limit as i64], |r| {
            Ok(QueueEntry {
                record_id: r.get(0)?,
                seq: r.get::<_, i64>(1)? as u64,
                created_at: r.get(2)?,
                outcome: r.get(3)?,
                id_number: r.get(4)?,
                state: OutboxState::parse(&r.get::<_, String>(5)?),
                send_attempts: r.get::<_, i64>(6)? as u64,
                last_error: r.get(7)?,
                rejected_reason: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The oldest pending records, up to `limit`, with body and photo, for sending.
    pub fn next_pending(&self, limit: usize) -> Result<Vec<PendingRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT r.record_id, r.sealed, r.purged_at IS NOT NULL, r.body, p.bytes
             FROM records r LEFT JOIN record_photos p ON p.record_id = r.record_id
             WHERE r.state = 'pending' ORDER BY r.seq LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| StoredRow::read(r, 0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?.decode(&self.sealer)?);
        }
        Ok(out)
    }

    /// The next certificate-of-assistance number of `kiosk_id` for `period`, from 1.
    /// Committed on its own: a certificate abandoned after this (a crash, a refused
    /// record) leaves a gap in the numbers, never a number used twice.
    pub fn next_certificate_number(&mut self, kiosk_id: &str, period: &str) -> Result<u64> {
        let n: i64 = self.conn.query_row(
            "INSERT INTO certificate_sequence (kiosk_id, period, last_n) VALUES (?1, ?2, 1)
             ON CONFLICT (kiosk_id, period) DO UPDATE SET last_n = last_n + 1
             RETURNING last_n",
            params![kiosk_id, period],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// One record by id, with its state.
    pub fn get(&self, record_id: &str) -> Result<(PendingRecord, OutboxState)> {
        let (row, state) = self
            .conn
            .query_row(
                "SELECT r.record_id, r.sealed, r.purged_at IS NOT NULL, r.body, p.bytes, r.state
                 FROM records r LEFT JOIN record_photos p ON p.record_id = r.record_id
                 WHERE r.record_id = ?1",
                [record_id],
                |r| Ok((StoredRow::read(r, 0)?, r.get::<_, String>(5)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::UnknownRecord(record_id.to_owned()))?;
        Ok((row.decode(&self.sealer)?, OutboxState::parse(&state)))
    }

    /// Parks a record the server refused as invalid, with the server's reason.
    /// Its ID number and face crop stay (sealed) for `retention.days` from now, for the
    /// administrator to look into; then [`Store::purge`] removes them.
    pub fn mark_rejected(&mut self, record_id: &str, reason: &str) -> Result<()> {
        let changed = self.conn.execute(
            "UPDATE records SET state = 'rejected', rejected_reason = ?2, rejected_at = ?3
             WHERE record_id = ?1",
            params![
                record_id,
                redact_id_numbers(reason),
                Local::now().fixed_offset().to_rfc3339()
            ],
        )?;
        if changed == 0 {
            return Err(StoreError::UnknownRecord(record_id.to_owned()));
        }
        Ok(())
    }

    /// Notes a failed send attempt (the record stays pending).
    /// The server's words are stored masked, like the rest of the clear columns: a
    /// 422 may quote the ID number it refused.
    pub fn note_send_failure(&mut self, record_id: &str, error: &str) -> Result<()> {
        self.set_state(
            record_id,
            "UPDATE records SET send_attempts = send_attempts + 1,
                                   last_error = ?2 WHERE record_id = ?1",
            &redact_id_numbers(error),
        )
    }

    fn set_state(&mut self, record_id: &str, sql: &str, value: &str) -> Result<()> {
        let changed = self.conn.execute(sql, params![record_id, value])?;
        if changed == 0 {
            return Err(StoreError::UnknownRecord(record_id.to_owned()));
        }
        Ok(())
    }
}

/// A record's stored columns, as read, before opening and parsing.
struct StoredRow {
    record_id: String,
    sealed: bool,
    purged: bool,
    body: Vec<u8>,
    photo: Option<Vec<u8>>,
}

impl StoredRow {
    /// Reads `record_id, sealed, purged, body, photo` starting at column `at`.
    fn read(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<StoredRow> {
        // A sealed body is a BLOB, one written in the clear by an older certpoint TEXT.
        let body = match r.get_ref(at + 3)? {
            ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
            other => {
                return Err(rusqlite::Error::InvalidColumnType(
                    at + 3,
                    "body".into(),
                    other.data_type(),
                ))
            }
        };
        Ok(StoredRow {
            record_id: r.get(at)?,
            sealed: r.get(at + 1)?,
            purged: r.get(at + 2)?,
            body,
            photo: r.get(at + 4)?,
        })
    }

    /// Opens the sealed fields, parses the body and checks the photo against the hash
    /// the body carries, so a torn or edited row is reported instead of being sent.
    fn decode(self, sealer: &Sealer) -> Result<PendingRecord> {
        let record_id = self.record_id;
        if self.purged {
            return Err(StoreError::Purged { record_id });
        }
        let bad = |detail: String| StoreError::BadStoredRecord {
            record_id: record_id.clone(),
            detail,
        };
        let (body, photo) = if self.sealed {
            let body = sealer
                .open(&record_id, Column::Body, &self.body)
                .map_err(bad)?;
            let photo = match self.photo {
                Some(p) => Some(sealer.open(&record_id, Column::Photo, &p).map_err(bad)?),
                None => None,
            };
            (body, photo)
        } else {
            (self.body, self.photo)
        };
        let body = String::from_utf8(body).map_err(|_| bad("body is not UTF-8 text".into()))?;
        let record: CertificationRecord =
            serde_json::from_str(&body).map_err(|e| bad(format!("body is not a record: {e}")))?;
        match (&record.photo, &photo) {
            (Some(meta), Some(bytes)) if meta.sha256 != hex_sha256(bytes) => {
                return Err(bad(
                    "photo bytes do not match the sha256 in the record".into()
                ))
            }
            (Some(_), None) => return Err(bad("the record names a photo that is missing".into())),
            _ => {}
        }
        Ok(PendingRecord {
            record,
            body,
            photo,
        })
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
