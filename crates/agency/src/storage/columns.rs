//! How values are written into columns, shared by every SQL backend so that they store
//! (and return) the same text: times as RFC 3339 with microseconds (UTC text sorts as
//! time), outcomes and roster statuses by their wire names, and what a reference
//! version's sealed blobs are bound to.

use chrono::{DateTime, FixedOffset, Utc};

use certpoint_protocol::{Channel, Outcome};

use super::{RosterStatus, StorageError};
use crate::vault::{Field, Vault};

/// Now, as stored: RFC 3339 UTC with microseconds, so text order is time order.
pub fn now() -> String {
    utc_text(Utc::now())
}

pub fn utc_text<Tz: chrono::TimeZone>(t: DateTime<Tz>) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

pub fn parse_utc(text: &str) -> Result<DateTime<Utc>, StorageError> {
    Ok(parse_time(text)?.with_timezone(&Utc))
}

pub fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, StorageError> {
    DateTime::parse_from_rfc3339(text)
        .map_err(|e| StorageError::Backend(format!("stored time {text:?} unreadable: {e}")))
}

/// An outcome as the index column stores it.
pub fn parse_outcome(text: &str) -> Result<Outcome, StorageError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| StorageError::Backend(format!("stored outcome {text:?} unknown")))
}

pub fn parse_status(text: &str) -> Result<RosterStatus, StorageError> {
    RosterStatus::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("stored roster status {text:?} unknown")))
}

/// What a reference version's sealed photo and embedding are bound to: person key and
/// version.
pub fn reference_row(person_key: &[u8], version: &str) -> Vec<u8> {
    let mut row = person_key.to_vec();
    row.push(0);
    row.extend_from_slice(version.as_bytes());
    row
}

/// A record's sealed body, opened; the error names the record.
pub fn open_body(vault: &Vault, record_id: &str, sealed: &[u8]) -> Result<String, StorageError> {
    vault
        .open_text(Field::RecordBody, record_id.as_bytes(), sealed)
        .map_err(|e| StorageError::Backend(format!("record {record_id}: {e}")))
}

/// The ID number inside a record's sealed body (the only place it is kept in full).
pub fn id_number_in_body(
    vault: &Vault,
    record_id: &str,
    sealed: &[u8],
) -> Result<String, StorageError> {
    let body = open_body(vault, record_id, sealed)?;
    let v: serde_json::Value = serde_json::from_str(&body)
        .map_err(|e| StorageError::Backend(format!("record {record_id} unreadable: {e}")))?;
    Ok(v["id_number"].as_str().unwrap_or_default().to_owned())
}

/// A sealed roster field (ID number, name), opened.
pub fn open_person_text(
    vault: &Vault,
    field: Field,
    person_key: &[u8],
    blob: &[u8],
) -> Result<String, StorageError> {
    vault
        .open_text(field, person_key, blob)
        .map_err(|e| StorageError::Backend(format!("roster entry: {e}")))
}

/// A reference version's sealed photo or embedding, opened.
pub fn open_reference(
    vault: &Vault,
    field: Field,
    row: &[u8],
    blob: &[u8],
) -> Result<Vec<u8>, StorageError> {
    vault
        .open(field, row, blob)
        .map_err(|e| StorageError::Backend(format!("reference: {e}")))
}

/// A version's embedding, when both the sealed values and the model are stored.
pub fn open_embedding(
    vault: &Vault,
    row: &[u8],
    sealed: Option<Vec<u8>>,
    model: Option<String>,
) -> Result<Option<super::Embedding>, StorageError> {
    let (Some(sealed), Some(model)) = (sealed, model) else {
        return Ok(None);
    };
    let bytes = open_reference(vault, Field::ReferenceEmbedding, row, &sealed)?;
    super::Embedding::from_bytes(&bytes, &model)
        .map(Some)
        .ok_or_else(|| StorageError::Backend("a stored embedding is not whole f32s".into()))
}

/// The server's match stores scores as numbers; one that is not finite is no result.
pub fn check_score(m: &super::RecordMatch) -> Result<String, StorageError> {
    if !m.score.is_finite() || !m.threshold.is_finite() {
        return Err(StorageError::BadScore(m.record_id.clone()));
    }
    serde_json::to_string(&m.models).map_err(|e| StorageError::Backend(format!("models: {e}")))
}

/// The records that may count for a status (`PersonFacts::records`), by stored outcome.
pub fn counting_outcome(text: &str) -> Outcome {
    match text {
        "passed" => Outcome::Passed,
        "manual_passed" => Outcome::ManualPassed,
        _ => Outcome::PendingMatch,
    }
}

/// A record's face crop: the sealed blob the row names, fetched and opened.
pub fn open_record_photo(
    vault: &Vault,
    photos: &crate::photos::PhotoStore,
    record_id: &str,
    blob_sha256: &str,
) -> Result<Vec<u8>, StorageError> {
    vault
        .open(
            Field::RecordPhoto,
            record_id.as_bytes(),
            &photos.get(blob_sha256)?,
        )
        .map_err(|e| StorageError::Backend(format!("record {record_id}: {e}")))
}

/// A page cursor (`UncertifiedPage::next`): the hex of the last person key. `None` is
/// the start (the empty key sorts before every key).
pub fn parse_cursor(after: Option<&str>) -> Result<Vec<u8>, StorageError> {
    let Some(text) = after else {
        return Ok(Vec::new());
    };
    let bad = || StorageError::Backend(format!("page cursor {text:?} is not one this server gave"));
    if text.len() != 64 {
        return Err(bad());
    }
    (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad()))
        .collect()
}

/// One row of [`not_certified_sql`]: person key, sealed ID number, sealed name, and
/// whether a `pending_match` record awaits.
pub type UncertifiedRow = (Vec<u8>, Vec<u8>, Vec<u8>, bool);

/// The page of uncertified people from its rows, `limit` asked for.
pub fn uncertified_page(
    vault: &Vault,
    rows: Vec<UncertifiedRow>,
    limit: usize,
) -> Result<super::UncertifiedPage, StorageError> {
    let next = (rows.len() == limit && limit > 0)
        .then(|| {
            rows.last()
                .map(|r| r.0.iter().map(|b| format!("{b:02x}")).collect())
        })
        .flatten();
    let people = rows
        .into_iter()
        .map(|(key, id, name, pending_review)| {
            Ok(super::Uncertified {
                id_number: open_person_text(vault, Field::PersonId, &key, &id)?,
                name: open_person_text(vault, Field::PersonName, &key, &name)?,
                pending_review,
            })
        })
        .collect::<Result<_, StorageError>>()?;
    Ok(super::UncertifiedPage { people, next })
}

/// Who of a region's active roster is not certified for a period, one page: the SQL
/// both backends run (`?1`/`$1` region, period, cursor, limit). Certified means what
/// `service::status::decide` counts: a self-certification, a `passed` or
/// `manual_passed` record, or a `pending_match` record the server matched at or above
/// its threshold. Those left with a `pending_match` record are `pending_review`.
pub fn not_certified_sql(placeholder: char) -> String {
    let p = |n: u8| format!("{placeholder}{n}");
    format!(
        "SELECT p.person_key, p.id_sealed, p.name_sealed,
                EXISTS (SELECT 1 FROM certifications c
                        WHERE c.person_key = p.person_key AND c.period = {period}
                          AND c.outcome = 'pending_match')
         FROM people p
         WHERE p.region = {region} AND p.status = 'active' AND p.person_key > {after}
           AND NOT EXISTS (SELECT 1 FROM self_certifications s
                           WHERE s.person_key = p.person_key AND s.period = {period})
           AND NOT EXISTS (SELECT 1 FROM certifications c
                           LEFT JOIN record_matches m ON m.record_id = c.record_id
                           WHERE c.person_key = p.person_key AND c.period = {period}
                             AND (c.outcome IN ('passed', 'manual_passed')
                                  OR (c.outcome = 'pending_match' AND m.score >= m.threshold)))
         ORDER BY p.person_key LIMIT {limit}",
        region = p(1),
        period = p(2),
        after = p(3),
        limit = p(4),
    )
}

/// A record's stored `channel` column (`onsite` unless it is a certificate of assistance).
pub fn parse_channel(channel: &str) -> Result<Channel, StorageError> {
    match channel {
        "assistance" => Ok(Channel::Assistance),
        "onsite" => Ok(Channel::Onsite),
        other => Err(StorageError::Backend(format!(
            "stored record channel {other:?} unknown"
        ))),
    }
}

/// A roster row (sealed ID number and name, bound to the person key), opened.
pub fn open_roster_entry(
    vault: &Vault,
    person_key: &[u8],
    id_sealed: &[u8],
    name_sealed: &[u8],
    region: String,
    status: &str,
) -> Result<super::RosterEntry, StorageError> {
    Ok(super::RosterEntry {
        id_number: open_person_text(vault, Field::PersonId, person_key, id_sealed)?,
        name: open_person_text(vault, Field::PersonName, person_key, name_sealed)?,
        region,
        status: parse_status(status)?,
    })
}

/// Everyone's facts of a period (`Storage::period_people`) from the four per-period
/// reads every backend makes, keyed by person key: the roster in its order, the
/// self-certification times, the counting records (oldest first) and the site of the
/// latest record.
pub fn period_people(
    roster: Vec<(Vec<u8>, super::RosterEntry)>,
    self_cert: std::collections::HashMap<Vec<u8>, String>,
    mut records: std::collections::HashMap<Vec<u8>, Vec<super::RecordFact>>,
    mut sites: std::collections::HashMap<Vec<u8>, String>,
) -> Result<Vec<super::PersonPeriod>, StorageError> {
    roster
        .into_iter()
        .map(|(key, entry)| {
            Ok(super::PersonPeriod {
                facts: super::PersonFacts {
                    roster: Some(super::RosterFacts {
                        region: entry.region.clone(),
                        status: entry.status,
                    }),
                    self_certified_at: self_cert.get(&key).map(|t| parse_time(t)).transpose()?,
                    records: records.remove(&key).unwrap_or_default(),
                },
                site: sites.remove(&key),
                entry,
            })
        })
        .collect()
}

pub fn parse_role(text: &str) -> Result<super::StaffRole, StorageError> {
    super::StaffRole::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("stored staff role {text:?} unknown")))
}

pub fn parse_verdict(text: &str) -> Result<super::Verdict, StorageError> {
    super::Verdict::parse(text)
        .ok_or_else(|| StorageError::Backend(format!("stored verdict {text:?} unknown")))
}
