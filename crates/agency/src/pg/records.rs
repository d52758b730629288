//! Received records: the sealed body with its index columns, the sealed face crop, the
//! per-kiosk gap report, and the server's match results beside them.

use postgres::Client;

use certpoint_protocol::{GapReport, Outcome, StoredCertification};

use super::backend;
use crate::photos::PhotoStore;
use crate::storage::columns::open_record_photo;
use crate::storage::columns::{
    check_score, id_number_in_body, now, open_body, parse_outcome, parse_utc, utc_text,
};
use crate::storage::{
    gap_report, AssistanceCertificate, AwaitingMatch, InsertOutcome, NewCertification, RecordMatch,
    RecordSummary, StorageError,
};
use crate::vault::{Field, Vault};

pub(super) fn insert(
    client: &mut Client,
    vault: &Vault,
    photos: &PhotoStore,
    c: &NewCertification,
) -> Result<InsertOutcome, StorageError> {
    let mut tx = client.transaction().map_err(backend)?;
    let received_at = now();
    let ix = &c.index;
    // The unique record id decides: of two racing inserts one stores, the other waits
    // for it and then finds the row (a retry after a lost 201 is the usual case).
    let created = tx
        .execute(
            "INSERT INTO certifications (record_id, kiosk_id, seq, body_sealed, signature,
               received_at, person_key, period, site_code, outcome, ended_at, ended_at_utc,
               channel)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (record_id) DO NOTHING",
            &[
                &c.record_id,
                &c.kiosk_id,
                &(c.seq as i64),
                &vault.seal(Field::RecordBody, c.record_id.as_bytes(), c.body.as_bytes()),
                &c.signature,
                &received_at,
                &&vault.person_key(ix.id_number)[..],
                &ix.period,
                &ix.site_code,
                &ix.outcome.as_str(),
                &ix.ended_at.to_rfc3339(),
                &utc_text(ix.ended_at),
                &ix.channel.as_str(),
            ],
        )
        .map_err(backend)?;
    if created == 0 {
        let row = tx
            .query_one(
                "SELECT body_sealed, received_at FROM certifications WHERE record_id = $1",
                &[&c.record_id],
            )
            .map_err(backend)?;
        let body = open_body(vault, c.record_id, row.get(0))?;
        return Ok(if body == c.body {
            InsertOutcome::Duplicate {
                received_at: row.get(1),
            }
        } else {
            InsertOutcome::Conflict
        });
    }
    if let Some(a) = &ix.assistance {
        // A serial is one certificate: of two records racing for it, the second waits
        // for the first to commit and then writes nothing. Returning drops the
        // transaction, so the record is not stored either.
        let written = tx
            .execute(
                "INSERT INTO assistance_certificates (serial, record_id, code_sha256)
                 VALUES ($1, $2, $3) ON CONFLICT (serial) DO NOTHING",
                &[&a.serial, &c.record_id, &a.code_sha256],
            )
            .map_err(backend)?;
        if written == 0 {
            return Err(StorageError::SerialTaken(a.serial.to_owned()));
        }
    }
    if let Some((media_type, sha256, bytes)) = c.photo {
        let blob = photos.put(&vault.seal(Field::RecordPhoto, c.record_id.as_bytes(), bytes))?;
        tx.execute(
            "INSERT INTO certification_photos (record_id, media_type, sha256, blob_sha256)
             VALUES ($1, $2, $3, $4)",
            &[&c.record_id, &media_type, &sha256, &blob],
        )
        .map_err(backend)?;
    }
    tx.commit().map_err(backend)?;
    Ok(InsertOutcome::Created { received_at })
}

pub(super) fn get(
    client: &mut Client,
    vault: &Vault,
    record_id: &str,
) -> Result<Option<StoredCertification>, StorageError> {
    let Some(row) = client
        .query_opt(
            "SELECT c.body_sealed, c.signature, c.received_at, p.record_id IS NOT NULL
             FROM certifications c
             LEFT JOIN certification_photos p ON p.record_id = c.record_id
             WHERE c.record_id = $1",
            &[&record_id],
        )
        .map_err(backend)?
    else {
        return Ok(None);
    };
    let body = open_body(vault, record_id, row.get(0))?;
    let record = serde_json::from_str(&body)
        .map_err(|e| StorageError::Backend(format!("stored body unreadable: {e}")))?;
    Ok(Some(StoredCertification {
        record,
        signed_body: body,
        signature: row.get(1),
        received_at: row.get(2),
        photo_stored: row.get(3),
    }))
}

pub(super) fn list(
    client: &mut Client,
    kiosk_id: Option<&str>,
) -> Result<Vec<RecordSummary>, StorageError> {
    client
        .query(
            "SELECT c.record_id, c.kiosk_id, c.seq, c.received_at, c.outcome,
                    EXISTS (SELECT 1 FROM certification_photos p WHERE p.record_id = c.record_id)
             FROM certifications c
             WHERE ($1::text IS NULL OR c.kiosk_id = $1) ORDER BY c.arrival",
            &[&kiosk_id],
        )
        .map_err(backend)?
        .iter()
        .map(|r| {
            Ok(RecordSummary {
                record_id: r.get(0),
                kiosk_id: r.get(1),
                seq: r.get::<_, i64>(2) as u64,
                received_at: r.get(3),
                outcome: parse_outcome(r.get(4))?,
                photo: r.get(5),
            })
        })
        .collect()
}

pub(super) fn photo(
    client: &mut Client,
    vault: &Vault,
    photos: &PhotoStore,
    record_id: &str,
) -> Result<Option<Vec<u8>>, StorageError> {
    client
        .query_opt(
            "SELECT blob_sha256 FROM certification_photos WHERE record_id = $1",
            &[&record_id],
        )
        .map_err(backend)?
        .map(|r| open_record_photo(vault, photos, record_id, r.get(0)))
        .transpose()
}

pub(super) fn gaps(client: &mut Client, kiosk_id: &str) -> Result<GapReport, StorageError> {
    let seqs: Vec<u64> = client
        .query(
            "SELECT DISTINCT seq FROM certifications WHERE kiosk_id = $1 ORDER BY seq",
            &[&kiosk_id],
        )
        .map_err(backend)?
        .iter()
        .map(|r| r.get::<_, i64>(0) as u64)
        .collect();
    let received: i64 = client
        .query_one(
            "SELECT COUNT(*) FROM certifications WHERE kiosk_id = $1",
            &[&kiosk_id],
        )
        .map_err(backend)?
        .get(0);
    Ok(gap_report(kiosk_id, &seqs, received as u64))
}

pub(super) fn awaiting_match(
    client: &mut Client,
    vault: &Vault,
    id_number: Option<&str>,
    limit: usize,
) -> Result<Vec<AwaitingMatch>, StorageError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let pending = Outcome::PendingMatch.as_str();
    let rows = match id_number {
        None => client.query(
            "SELECT c.record_id, c.body_sealed, c.period FROM certifications c
             JOIN certification_photos p ON p.record_id = c.record_id
             JOIN reference_current rc ON rc.person_key = c.person_key
             JOIN reference_versions v ON v.ref_id = rc.ref_id
             LEFT JOIN record_matches m ON m.record_id = c.record_id
             WHERE c.outcome = $1
               AND (m.record_id IS NULL OR m.reference_version <> v.version)
             ORDER BY c.arrival LIMIT $2",
            &[&pending, &limit],
        ),
        Some(id) => client.query(
            "SELECT c.record_id, ''::bytea, c.period FROM certifications c
             JOIN certification_photos p ON p.record_id = c.record_id
             WHERE c.person_key = $1 AND c.outcome = $2
             ORDER BY c.arrival LIMIT $3",
            &[&&vault.person_key(id)[..], &pending, &limit],
        ),
    }
    .map_err(backend)?;
    rows.iter()
        .map(|r| {
            let record_id: String = r.get(0);
            let id_number = match id_number {
                Some(id) => id.to_owned(),
                None => id_number_in_body(vault, &record_id, r.get(1))?,
            };
            Ok(AwaitingMatch {
                record_id,
                id_number,
                period: r.get(2),
            })
        })
        .collect()
}

pub(super) fn set_match(client: &mut Client, m: &RecordMatch) -> Result<(), StorageError> {
    let models = check_score(m)?;
    let written = client
        .execute(
            "INSERT INTO record_matches (record_id, score, threshold, reference_version, models, matched_at)
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM certifications WHERE record_id = $1)
             ON CONFLICT (record_id) DO UPDATE SET score = $2, threshold = $3,
               reference_version = $4, models = $5, matched_at = $6",
            &[
                &m.record_id,
                &f64::from(m.score),
                &f64::from(m.threshold),
                &m.reference_version,
                &models,
                &utc_text(m.matched_at),
            ],
        )
        .map_err(backend)?;
    if written == 0 {
        return Err(StorageError::NoSuchRecord(m.record_id.clone()));
    }
    Ok(())
}

pub(super) fn get_match(
    client: &mut Client,
    record_id: &str,
) -> Result<Option<RecordMatch>, StorageError> {
    let Some(r) = client
        .query_opt(
            "SELECT score, threshold, reference_version, models, matched_at
             FROM record_matches WHERE record_id = $1",
            &[&record_id],
        )
        .map_err(backend)?
    else {
        return Ok(None);
    };
    Ok(Some(RecordMatch {
        record_id: record_id.to_owned(),
        score: r.get::<_, f64>(0) as f32,
        threshold: r.get::<_, f64>(1) as f32,
        reference_version: r.get(2),
        models: serde_json::from_str(r.get(3))
            .map_err(|e| StorageError::Backend(format!("stored models unreadable: {e}")))?,
        matched_at: parse_utc(r.get(4))?,
    }))
}

pub(super) fn assistance_certificate(
    client: &mut Client,
    serial: &str,
) -> Result<Option<AssistanceCertificate>, StorageError> {
    Ok(client
        .query_opt(
            "SELECT record_id, code_sha256 FROM assistance_certificates WHERE serial = $1",
            &[&serial],
        )
        .map_err(backend)?
        .map(|r| AssistanceCertificate {
            serial: serial.to_owned(),
            record_id: r.get(0),
            code_sha256: r.get(1),
        }))
}
