//! The HTTP endpoints. Each handler authenticates, hands the bytes to `parse`, and the
//! verified result to the [`Storage`](crate::Storage) on a blocking thread.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use certpoint_protocol::{
    mask_id_number, parse_public_key, verify_body, Accepted, ErrorCode, Health, ReferencePhoto,
    IDEMPOTENCY_KEY_HEADER, MAX_BODY_BYTES,
};

use crate::error::ApiError;
use crate::parse::{self, hex_sha256};
use crate::storage::{InsertOutcome, Kiosk, NewCertification, Storage};

pub type AppState = Arc<dyn Storage>;

pub fn router(storage: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route("/v1/certifications", post(post_certification))
        .route("/v1/certifications/{record_id}", get(get_certification))
        .route("/v1/persons/{id_number}/reference", get(get_reference))
        .route("/v1/kiosks/{kiosk_id}/gaps", get(get_gaps))
        .fallback(|| async { ApiError::new(ErrorCode::NotFound, "no such endpoint") })
        // Without these, axum answers a wrong method (405) and an undecodable path
        // segment (400) with an empty or plain-text body; the protocol promises JSON
        // errors with its own codes (found by the agency_request fuzz target).
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            ApiError::new(
                ErrorCode::MethodNotAllowed,
                format!("{method} is not served on this path; see docs/protocol.md"),
            )
        })
        // Bodies are read by hand with our own limit and JSON 413.
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(storage)
}

/// A path segment axum could not decode (bad percent-encoding, not UTF-8).
fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    path.map(|Path(s)| s).map_err(|_| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            "the path is not valid percent-encoded UTF-8",
        )
    })
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(ErrorCode::Internal, "the request handler failed"))?
}

async fn health() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// The kiosk the bearer token belongs to.
async fn authenticate(storage: &AppState, headers: &HeaderMap) -> Result<Kiosk, ApiError> {
    let token = parse::bearer_token(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))?;
    let hash = hex_sha256(token.as_bytes());
    let storage = storage.clone();
    blocking(move || {
        storage.kiosk_by_token(&hash)?.ok_or_else(|| {
            ApiError::new(
                ErrorCode::Unauthorized,
                "the token belongs to no registered kiosk",
            )
        })
    })
    .await
}

/// Who may read a stored record or a gap report.
enum Reader {
    Kiosk(Kiosk),
    Auditor,
}

impl Reader {
    /// A kiosk reads only what it sent; an auditor reads any kiosk's.
    fn may_read(&self, kiosk_id: &str) -> bool {
        match self {
            Reader::Kiosk(k) => k.kiosk_id == kiosk_id,
            Reader::Auditor => true,
        }
    }
}

/// A kiosk's token, or an auditor's (read-only; see `certpoint-agency auditor add`).
async fn authenticate_reader(storage: &AppState, headers: &HeaderMap) -> Result<Reader, ApiError> {
    let token = parse::bearer_token(headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()))?;
    let hash = hex_sha256(token.as_bytes());
    let storage = storage.clone();
    blocking(move || {
        if let Some(k) = storage.kiosk_by_token(&hash)? {
            return Ok(Reader::Kiosk(k));
        }
        if let Some(name) = storage.auditor_by_token(&hash)? {
            tracing::info!(auditor = name, "audit read");
            return Ok(Reader::Auditor);
        }
        Err(ApiError::new(
            ErrorCode::Unauthorized,
            "the token belongs to no registered kiosk or auditor",
        ))
    })
    .await
}

async fn read_body(headers: &HeaderMap, body: Body) -> Result<Bytes, ApiError> {
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

async fn post_certification(
    State(storage): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let kiosk = authenticate(&storage, &headers).await?;
    let bytes = read_body(&headers, body).await?;
    let key_header = headers
        .get(IDEMPOTENCY_KEY_HEADER)
        .map(|v| v.as_bytes().to_vec());
    blocking(move || {
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
        let outcome = storage.insert_certification(&NewCertification {
            record_id: &record_id,
            kiosk_id: &kiosk.kiosk_id,
            seq: sub.record.seq,
            body: &sub.body,
            signature: &sub.signature,
            photo,
        })?;
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

async fn get_certification(
    State(storage): State<AppState>,
    headers: HeaderMap,
    record_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let record_id = segment(record_id)?;
    let reader = authenticate_reader(&storage, &headers).await?;
    let not_found = || ApiError::new(ErrorCode::NotFound, "no record with this record_id");
    if uuid::Uuid::parse_str(&record_id).is_err() {
        return Err(not_found());
    }
    let stored = blocking(move || storage.certification(&record_id)?.ok_or_else(not_found)).await?;
    // Another kiosk's record looks the same as an unknown one.
    let owner = stored.record.get("kiosk_id").and_then(|v| v.as_str());
    if !owner.is_some_and(|k| reader.may_read(k)) {
        return Err(not_found());
    }
    Ok(Json(stored).into_response())
}

async fn get_reference(
    State(storage): State<AppState>,
    headers: HeaderMap,
    id_number: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id_number = segment(id_number)?;
    authenticate(&storage, &headers).await?;
    if !parse::is_id_number_shape(&id_number) {
        return Err(ApiError::new(
            ErrorCode::MalformedRequest,
            "the path must hold an 18-character ID number",
        ));
    }
    let found = blocking(move || Ok(storage.reference(&id_number)?)).await?;
    match found {
        Some(r) => Ok(Json(ReferencePhoto {
            version: r.version,
            media_type: r.media_type,
            photo: certpoint_protocol::b64_encode(&r.bytes),
        })
        .into_response()),
        None => Err(ApiError::new(
            ErrorCode::NotFound,
            "no reference photo is enrolled for this person",
        )),
    }
}

async fn get_gaps(
    State(storage): State<AppState>,
    headers: HeaderMap,
    kiosk_id: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let kiosk_id = segment(kiosk_id)?;
    let reader = authenticate_reader(&storage, &headers).await?;
    if !reader.may_read(&kiosk_id) {
        return Err(ApiError::new(
            ErrorCode::KioskMismatch,
            "a kiosk may read only its own gap report",
        ));
    }
    let report = blocking(move || Ok(storage.gaps(&kiosk_id)?)).await?;
    Ok(Json(report).into_response())
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use crate::{RunningServer, SqliteStorage, Storage};

    /// Found by the agency_request fuzz target: axum's own answers to a wrong method and
    /// to an undecodable path segment were not the protocol's JSON error body.
    #[test]
    fn axum_rejections_are_json_errors() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage).unwrap();
        for (request, status, code) in [
            ("PUT /v1/certifications", 405, "method_not_allowed"),
            ("DELETE /v1/health", 405, "method_not_allowed"),
            ("GET /v1/certifications/%ff%fe", 400, "malformed_request"),
            ("GET /v1/kiosks/%c3/gaps", 400, "malformed_request"),
        ] {
            let mut s = std::net::TcpStream::connect(server.addr).unwrap();
            write!(
                s,
                "{request} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = String::new();
            s.read_to_string(&mut answer).unwrap();
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status} ")),
                "{request}: {answer}"
            );
            let body = answer.split("\r\n\r\n").nth(1).unwrap_or_default();
            let err: certpoint_protocol::ErrorBody =
                serde_json::from_str(body).unwrap_or_else(|e| panic!("{request}: {e}: {answer}"));
            assert_eq!(err.error.as_str(), code, "{request}");
        }
    }
}
