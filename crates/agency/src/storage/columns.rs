//! How values are written into columns, shared by every SQL backend so that they store
//! (and return) the same text: times as RFC 3339 with microseconds (UTC text sorts as
//! time), outcomes and roster statuses by their wire names, and what a reference
//! version's sealed blobs are bound to.

use chrono::{DateTime, FixedOffset, Utc};

use certpoint_protocol::Outcome;

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
