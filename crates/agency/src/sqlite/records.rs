//! Received records: the sealed body with its index columns, the sealed face crop, the
//! per-kiosk gap report, and the server's match results beside them.

use rusqlite::{params, Connection, OptionalExtension};

use certpoint_protocol::{GapReport, Outcome, StoredCertification};

use super::{backend, now, parse_utc, utc_text};
use crate::photos::PhotoStore;
use crate::storage::columns::open_record_photo;
use crate::storage::columns::{check_score, id_number_in_body, open_body, parse_outcome};
use crate::storage::{
    gap_report, AssistanceCertificate, AwaitingMatch, InsertOutcome, NewCertification, RecordMatch,
    RecordSummary, StorageError,
};
use crate::vault::{Field, Vault};

pub(super) fn insert(
    conn: &mut Connection,
    vault: &Vault,
    photos: &PhotoStore,
    c: &NewCertification,
) -> Result<InsertOutcome, StorageError> {
    let tx = conn.transaction().map_err(backend)?;
    let existing: Option<(Vec<u8>, String)> = tx
        .query_row(
            "SELECT body_sealed, received_at FROM certifications WHERE record_id = ?1",
            [c.record_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(backend)?;
    if let Some((sealed, received_at)) = existing {
        let body = open_body(vault, c.record_id, &sealed)?;
        return Ok(if body == c.body {
            InsertOutcome::Duplicate { received_at }
        } else {
            InsertOutcome::Conflict
        });
    }
    let received_at = now();
    let ix = &c.index;
    tx.execute(
        "INSERT INTO certifications (record_id, kiosk_id, seq, body_sealed, signature,
           received_at, person_key, period, site_code, outcome, ended_at, ended_at_utc,
           channel)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            c.record_id,
            c.kiosk_id,
            c.seq as i64,
            vault.seal(Field::RecordBody, c.record_id.as_bytes(), c.body.as_bytes()),
            c.signature,
            received_at,
            &vault.person_key(ix.id_number)[..],
            ix.period,
            ix.site_code,
            ix.outcome.as_str(),
            ix.ended_at.to_rfc3339(),
            utc_text(ix.ended_at),
            ix.channel.as_str(),
        ],
    )
    .map_err(backend)?;
    if let Some(a) = &ix.assistance {
        let taken: bool = tx
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM assistance_certificates WHERE serial = ?1)",
                [a.serial],
                |r| r.get(0),
            )
            .map_err(backend)?;
        if taken {
            return Err(StorageError::SerialTaken(a.serial.to_owned()));
        }
        tx.execute(
            "INSERT INTO assistance_certificates (serial, record_id, code_sha256)
             VALUES (?1, ?2, ?3)",
            params![a.serial, c.record_id, a.code_sha256],
        )
        .map_err(backend)?;
    }
    if let Some((media_type, sha256, bytes)) = c.photo {
        let blob = photos.put(&vault.seal(Field::RecordPhoto, c.record_id.as_bytes(), bytes))?;
        tx.execute(
            "INSERT INTO certification_photos (record_id, media_type, sha256, blob_sha256)
             VALUES (?1, ?2, ?3, ?4)",
            params![c.record_id, media_type, sha256, blob],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)?;
    Ok(InsertOutcome::Created { received_at })
}

pub(super) fn get(
    conn: &Connection,
    vault: &Vault,
    record_id: &str,
) -> Result<Option<StoredCertification>, StorageError> {
    let row: Option<(Vec<u8>, String, String, bool)> = conn
        .query_row(
            "SELECT c.body_sealed, c.signature, c.received_at, p.record_id IS NOT NULL
             FROM certifications c
             LEFT JOIN certification_photos p ON p.record_id = c.record_id
             WHERE c.record_id = ?1",
            [record_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((sealed, signature, received_at, photo_stored)) = row else {
        return Ok(None);
    };
    let body = open_body(vault, record_id, &sealed)?;
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

pub(super) fn list(
    conn: &Connection,
    kiosk_id: Option<&str>,
) -> Result<Vec<RecordSummary>, StorageError> {
    let mut stmt = conn
        .prepare(
            "SELECT c.record_id, c.kiosk_id, c.seq, c.received_at, c.outcome,
                    EXISTS (SELECT 1 FROM certification_photos p WHERE p.record_id = c.record_id)
             FROM certifications c
             WHERE (?1 IS NULL OR c.kiosk_id = ?1) ORDER BY c.arrival",
        )
        .map_err(backend)?;
    let rows = stmt
        .query_map([kiosk_id], |r| {
            Ok((
                RecordSummary {
                    record_id: r.get(0)?,
                    kiosk_id: r.get(1)?,
                    seq: r.get::<_, i64>(2)? as u64,
                    received_at: r.get(3)?,
                    outcome: Outcome::Abandoned,
                    photo: r.get(5)?,
                },
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(backend)?;
    rows.map(|row| {
        let (mut summary, outcome) = row.map_err(backend)?;
        summary.outcome = parse_outcome(&outcome)?;
        Ok(summary)
    })
    .collect()
}

pub(super) fn photo(
    conn: &Connection,
    vault: &Vault,
    photos: &PhotoStore,
    record_id: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    let blob: Option<String> = conn
        .query_row(
            "SELECT blob_sha256 FROM certification_photos WHERE record_id = ?1",
            [record_id],
            |r| r.get(0),
        )
        .optional()
        .map_err(backend)?;
    blob.map(|b| open_record_photo(vault, photos, record_id, &b))
        .transpose()
}

pub(super) fn gaps(conn: &Connection, kiosk_id: &str) -> Result<GapReport, StorageError> {
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
    Ok(gap_report(kiosk_id, &seqs, received as u64))
}

pub(super) fn awaiting_match(
    conn: &Connection,
    vault: &Vault,
    id_number: Option<&str>,
    limit: usize,
) -> Result<Vec<AwaitingMatch>, StorageError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let pending = Outcome::PendingMatch.as_str();
    let rows: Vec<(String, Vec<u8>, String)> = match id_number {
        None => {
            let mut stmt = conn
                .prepare(
                    "SELECT c.record_id, c.body_sealed, c.period FROM certifications c
                     JOIN certification_photos p ON p.record_id = c.record_id
                     JOIN reference_current rc ON rc.person_key = c.person_key
                     JOIN reference_versions v ON v.ref_id = rc.ref_id
                     LEFT JOIN record_matches m ON m.record_id = c.record_id
                     WHERE c.outcome = ?1
                       AND (m.record_id IS NULL OR m.reference_version <> v.version)
                     ORDER BY c.arrival LIMIT ?2",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![pending, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)?
        }
        Some(id) => {
            let mut stmt = conn
                .prepare(
                    "SELECT c.record_id, X'', c.period FROM certifications c
                     JOIN certification_photos p ON p.record_id = c.record_id
                     WHERE c.person_key = ?1 AND c.outcome = ?2
                     ORDER BY c.arrival LIMIT ?3",
                )
                .map_err(backend)?;
            let rows = stmt
                .query_map(params![&vault.person_key(id)[..], pending, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(backend)?;
            rows.collect::<rusqlite::Result<_>>().map_err(backend)?
        }
    };
    rows.into_iter()
        .map(|(record_id, sealed, period)| {
            let id_number = match id_number {
                Some(id) => id.to_owned(),
                // The ID number is inside the sealed body only.
                None => id_number_in_body(vault, &record_id, &sealed)?,
            };
            Ok(AwaitingMatch {
                record_id,
                id_number,
                period,
            })
        })
        .collect()
}

pub(super) fn set_match(conn: &Connection, m: &RecordMatch) -> Result<(), StorageError> {
    // SQLite would store NaN as NULL; a score that is not a number is no result.
    let models = check_score(m)?;
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM certifications WHERE record_id = ?1)",
            [&m.record_id],
            |r| r.get(0),
        )
        .map_err(backend)?;
    if !exists {
        return Err(StorageError::NoSuchRecord(m.record_id.clone()));
    }
    conn.execute(
        "INSERT INTO record_matches (record_id, score, threshold, reference_version, models, matched_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (record_id) DO UPDATE SET score = ?2, threshold = ?3,
           reference_version = ?4, models = ?5, matched_at = ?6",
        params![
            m.record_id,
            f64::from(m.score),
            f64::from(m.threshold),
            m.reference_version,
            models,
            utc_text(m.matched_at)
        ],
    )
    .map_err(backend)?;
    Ok(())
}

pub(super) fn get_match(
    conn: &Connection,
    record_id: &str,
) -> Result<Option<RecordMatch>, StorageError> {
    let row: Option<(f64, f64, String, String, String)> = conn
        .query_row(
            "SELECT score, threshold, reference_version, models, matched_at
             FROM record_matches WHERE record_id = ?1",
            [record_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()
        .map_err(backend)?;
    let Some((score, threshold, reference_version, models, matched_at)) = row else {
        return Ok(None);
    };
    Ok(Some(RecordMatch {
        record_id: record_id.to_owned(),
        score: score as f32,
        threshold: threshold as f32,
        reference_version,
        models: serde_json::from_str(&models)
            .map_err(|e| StorageError::Backend(format!("stored models unreadable: {e}")))?,
        matched_at: parse_utc(&matched_at)?,
    }))
}

pub(super) fn assistance_certificate(
    conn: &Connection,
    serial: &str,
) -> Result<Option<AssistanceCertificate>, StorageError> {
    conn.query_row(
        "SELECT record_id, code_sha256 FROM assistance_certificates WHERE serial = ?1",
        [serial],
        |r| {
            Ok(AssistanceCertificate {
                serial: serial.to_owned(),
                record_id: r.get(0)?,
                code_sha256: r.get(1)?,
            })
        },
    )
    .optional()
    .map_err(backend)
}
