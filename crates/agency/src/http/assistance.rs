//! `GET /v1/assistance/{serial}?code=…`: is this certificate of assistance genuine?
//!
//! Who may ask: any registered kiosk (an office shown a certificate) or auditor (agency
//! staff checking one), by bearer token, as for reading records; and only with the
//! verification code printed on the paper. The answer never holds a full ID number or
//! name (see `service::assistance`).

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use certpoint_protocol::ErrorCode;

use super::{authenticate_reader, blocking, segment, AppState, Reader};
use crate::error::ApiError;
use crate::service::assistance;

#[derive(Deserialize)]
pub(super) struct CodeQuery {
    code: Option<String>,
}

pub(super) async fn get_assistance(
    State(state): State<AppState>,
    headers: HeaderMap,
    serial: Result<Path<String>, PathRejection>,
    query: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let serial = segment(serial)?;
    let reader = authenticate_reader(&state, &headers).await?;
    let code = query.ok().and_then(|Query(q)| q.code).ok_or_else(|| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            "the query must give the verification code printed on the certificate: ?code=XXXXX-XXXXX",
        )
    })?;
    let asker = match &reader {
        Reader::Kiosk(k) => k.kiosk_id.clone(),
        Reader::Auditor => "auditor".to_owned(),
    };
    let storage = state.storage.clone();
    let answer = blocking(&state.gate, move || {
        let found = assistance::verify(storage.as_ref(), &serial, &code);
        tracing::info!(
            asker,
            serial,
            valid = found.is_ok(),
            "certificate of assistance checked"
        );
        Ok(found?)
    })
    .await?;
    Ok(Json(answer).into_response())
}
