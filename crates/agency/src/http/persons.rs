//! `GET /v1/persons/{id}/status?period=YYYY` and `GET /v1/persons/{id}/reference`: what
//! a kiosk may ask about a person. The rules (region, read log, rate limit) are
//! `service::persons`'.

use std::time::Instant;

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use certpoint_protocol::{mask_id_number, ErrorCode, ReferencePhoto};

use super::{authenticate, blocking, kiosk_by_token_hash, segment, token_hash, AppState};
use crate::error::ApiError;
use crate::service::{persons, ServiceError};

#[derive(Deserialize)]
pub(super) struct StatusQuery {
    period: Option<String>,
}

pub(super) async fn get_status(
    State(AppState { storage, gate, .. }): State<AppState>,
    headers: HeaderMap,
    id_number: Result<Path<String>, PathRejection>,
    query: Result<Query<StatusQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let id_number = segment(id_number)?;
    let hash = token_hash(&headers)?;
    let period = query.ok().and_then(|Query(q)| q.period);
    // One hop to the blocking pool, and on the fast path one statement for the token
    // and the person together (`Storage::kiosk_lookup`).
    let status = blocking(&gate, move || {
        let fast = match period.as_deref() {
            Some(p) => persons::status_for_token(storage.as_ref(), &hash, &id_number, p),
            None => Ok(None),
        };
        let (kiosk, status) = match fast {
            Ok(Some(found)) => found,
            // An unknown token, a missing period or a bad ID number or period: the
            // token is checked first, as on every endpoint, then the request.
            Ok(None) | Err(ServiceError::BadIdNumber(_) | ServiceError::BadPeriod(_)) => {
                let kiosk = kiosk_by_token_hash(storage.as_ref(), &hash)?;
                let period = period.ok_or_else(|| {
                    ApiError::new(
                        ErrorCode::MalformedRequest,
                        "the query must name the period: ?period=YYYY",
                    )
                })?;
                let status =
                    persons::status_for_kiosk(storage.as_ref(), &kiosk, &id_number, &period)?;
                (kiosk, status)
            }
            Err(e) => return Err(e.into()),
        };
        tracing::info!(
            kiosk = kiosk.kiosk_id,
            id = mask_id_number(&id_number),
            period = status.period,
            state = status.state.as_str(),
            "status asked"
        );
        Ok(status)
    })
    .await?;
    Ok(Json(status).into_response())
}

pub(super) async fn get_reference(
    State(state): State<AppState>,
    headers: HeaderMap,
    id_number: Result<Path<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let id_number = segment(id_number)?;
    let kiosk = authenticate(&state, &headers).await?;
    let AppState {
        storage,
        reference_reads,
        gate,
        ..
    } = state;
    let now = Instant::now();
    let reference = blocking(&gate, move || {
        let found = persons::reference_for_kiosk(
            storage.as_ref(),
            &reference_reads,
            &kiosk,
            &id_number,
            now,
        );
        tracing::info!(
            kiosk = kiosk.kiosk_id,
            id = mask_id_number(&id_number),
            served = found.is_ok(),
            "reference asked"
        );
        Ok(found?)
    })
    .await?;
    Ok(Json(ReferencePhoto {
        version: reference.version,
        media_type: reference.media_type,
        photo: certpoint_protocol::b64_encode(&reference.bytes),
    })
    .into_response())
}
