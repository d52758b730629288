//! `POST /v1/certifications`, `GET /v1/certifications/{id}` and
//! `GET /v1/kiosks/{id}/gaps`: records in (a `pending_match` one with a face crop
//! handed to the matching thread), records and gap reports out.

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use certpoint_protocol::{
    mask_id_number, parse_public_key, verify_body, Accepted, ErrorCode, Outcome,
    IDEMPOTENCY_KEY_HEADER, MAX_BODY_BYTES,
};

use super::{authenticate, authenticate_reader, blocking, segment, AppState};
use crate::error::ApiError;
use crate::parse;
use crate::storage::{AwaitingMatch, InsertOutcome, NewCertification, RecordIndex, StorageError};

pub(super) async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
    let too_large = || {
        ApiError::new(
            ErrorCode::TooLarge,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())
}

pub(super) async fn post_certification(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let kiosk = authenticate(&state, &headers).await?;
    let AppState {
        storage,
        matching,
        gate,
        ..
    } = state;
    let bytes = read_body(&headers, body).await?;
    let key_header = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|v| v.as_bytes().to_vec());
    blocking(&gate, move || {
        let sub = parse::parse_submission(&bytes)?;
        let record_id = sub.record.record_id.to_string();
        parse::check_idempotency_key(key_header.as_deref(), &record_id)?;
        if sub.record.kiosk_id != kiosk.kiosk_id {
            return Err(ApiError::new(
                ErrorCode::KioskMismatch,
                format!(
                    "the record names kiosk {:?} but the token is kiosk {:?}'s",
                    sub.record.kiosk_id, kiosk.kiosk_id
                ),
            ));
        }
        let public = parse_public_key(&kiosk.public_key)
            .map_err(|e| ApiError::new(ErrorCode::Internal, e.to_string()))?;
        verify_body(&public, &sub.body, &sub.signature).map_err(|e| {
            ApiError::new(
                ErrorCode::BadSignature,
                format!("{e}; is the kiosk's registered public key the one in its key file?"),
            )
        })?;
        let photo = match (&sub.record.photo, &sub.photo) {
            (Some(meta), Some(bytes)) => Some((
                meta.media_type.as_str(),
                meta.sha256.as_str(),
                bytes.as_slice(),
            )),
            _ => None,
        };
        let index = RecordIndex::of(&sub.record);
        let awaits_match = index.outcome == Outcome::PendingMatch && photo.is_some();
        let outcome = storage.insert_certification(&NewCertification {
            record_id: &record_id,
            kiosk_id: &kiosk.kiosk_id,
            seq: sub.record.seq,
            body: &sub.body,
            signature: &sub.signature,
            photo,
            index,
        });
        // A serial is the kiosk's own counter; another record holding it is a kiosk
        // fault no resend can fix: 422, parked as rejected for the administrator.
        let outcome = match outcome {
            Err(StorageError::SerialTaken(serial)) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidRecord,
                    format!("certificate of assistance serial {serial} is already stored with another record; the kiosk's certificate counter was reset?"),
                ))
            }
            other => other?,
        };
        let (status, received_at, duplicate) = match outcome {
            InsertOutcome::Created { received_at } => (StatusCode::CREATED, received_at, false),
            InsertOutcome::Duplicate { received_at } => (StatusCode::OK, received_at, true),
            InsertOutcome::Conflict => {
                tracing::warn!(
                    record_id,
                    kiosk = kiosk.kiosk_id,
                    "conflicting resend refused"
                );
                return Err(ApiError::new(
                    ErrorCode::Conflict,
                    "a different record is already stored under this record_id",
                ));
            }
        };
        tracing::info!(
            record_id,
            kiosk = kiosk.kiosk_id,
            seq = sub.record.seq,
            id = mask_id_number(&sub.record.id_number),
            duplicate,
            "certification received"
        );
        // Scored on the matching thread, after the answer: the kiosk never waits for
        // a model. A repeat was queued on its first arrival (or by a start-up sweep).
        if awaits_match && !duplicate {
            if let Some(worker) = &matching {
                worker.submit(AwaitingMatch {
                    record_id: record_id.clone(),
                    id_number: sub.record.id_number.clone(),
                    period: sub.record.period.clone(),
                });
            }
        }
        Ok((
            status,
            Json(Accepted {
                record_id,
                kiosk_id: kiosk.kiosk_id,
                seq: sub.record.seq,
                duplicate,
                received_at,
            }),
        )
            .into_response())
    })
    .await
}

pub(super) async fn get_certification(
    State(state): State<AppState>,
    headers: HeaderMap,
    record_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let record_id = segment(record_id)?;
    let reader = authenticate_reader(&state, &headers).await?;
    let not_found = || ApiError::new(ErrorCode::NotFound, "no record with this record_id");
    if uuid::Uuid::parse_str(&record_id).is_err() {
        return Err(not_found());
    }
    let storage = state.storage.clone();
    let stored = blocking(&state.gate, move || {
        storage.certification(&record_id)?.ok_or_else(not_found)
    })
    .await?;
    // Another kiosk's record looks the same as an unknown one.
    let owner = stored.record.get("kiosk_id").and_then(|v| v.as_str());
    if !owner.is_some_and(|k| reader.may_read(k)) {
        return Err(not_found());
    }
    Ok(Json(stored).into_response())
}

pub(super) async fn get_gaps(
    State(state): State<AppState>,
    headers: HeaderMap,
    kiosk_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let kiosk_id = segment(kiosk_id)?;
    let reader = authenticate_reader(&state, &headers).await?;
    if !reader.may_read(&kiosk_id) {
        return Err(ApiError::new(
            ErrorCode::KioskMismatch,
            "a kiosk may read only its own gap report",
        ));
    }
    let storage = state.storage.clone();
    let report = blocking(&state.gate, move || Ok(storage.gaps(&kiosk_id)?)).await?;
    Ok(Json(report).into_response())
}
