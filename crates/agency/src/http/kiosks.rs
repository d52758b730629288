//! `POST /v1/heartbeat`: a kiosk reports its app version and queue (for the back
//! office's kiosks page). The kiosk is the token's; the body says nothing about who.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::Utc;

use certpoint_protocol::{ErrorCode, Heartbeat};

use super::records::read_body;
use super::{authenticate, blocking, AppState};
use crate::error::ApiError;
use crate::storage::KioskHeartbeat;

/// Longest app version kept (a version string, not a document).
const MAX_VERSION_CHARS: usize = 64;

pub(super) async fn post_heartbeat(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ApiError> {
    let kiosk = authenticate(&state, &headers).await?;
    let bytes = read_body(&headers, body).await?;
    let beat: Heartbeat = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!("the heartbeat is not {{app_version, queue_depth, oldest_pending?}}: {e}"),
        )
    })?;
    if beat.app_version.is_empty() || beat.app_version.chars().count() > MAX_VERSION_CHARS {
        return Err(ApiError::new(
            ErrorCode::MalformedRequest,
            format!("app_version must be 1-{MAX_VERSION_CHARS} characters"),
        ));
    }
    let storage = state.storage.clone();
    blocking(&state.gate, move || {
        storage.set_heartbeat(&KioskHeartbeat {
            kiosk_id: kiosk.kiosk_id,
            received_at: Utc::now(),
            app_version: beat.app_version,
            queue_depth: beat.queue_depth,
            oldest_pending: beat.oldest_pending,
        })?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}
