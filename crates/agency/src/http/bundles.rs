//! `GET /v1/reference-bundle?region=R`: the signed offline cache bundle of the calling
//! kiosk's region (binary, `certpoint_protocol::bundle`), 304 when the kiosk's
//! `If-Modified-Since` is at or after the bundle's `generated_at`, 404 while the agency
//! has no bundle-signing key. Which references go in and when a bundle is new:
//! `service::bundles`.

use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use certpoint_protocol::ErrorCode;

use super::{authenticate, blocking, AppState};
use crate::bundle::RegionBundle;
use crate::error::ApiError;
use crate::service::bundles::{region_for_kiosk, BundleServiceError, Publication};

#[derive(Debug, serde::Deserialize)]
pub(super) struct BundleQuery {
    region: Option<String>,
}

/// The bundle's bytes as a response body without copying them (they may be ~100 MB
/// and are shared by every kiosk of the region).
struct SharedBundle(std::sync::Arc<RegionBundle>);

impl AsRef<[u8]> for SharedBundle {
    fn as_ref(&self) -> &[u8] {
        &self.0.bytes
    }
}

/// An HTTP date (IMF-fixdate), as `Last-Modified` carries it.
pub(super) fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// `If-Modified-Since`; an unreadable date is ignored, as HTTP says.
fn if_modified_since(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = headers.get(header::IF_MODIFIED_SINCE)?.to_str().ok()?;
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub(super) async fn get_reference_bundle(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<BundleQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kiosk = authenticate(&state, &headers).await?;
    let Query(query) = query.map_err(|e| {
        ApiError::new(
            ErrorCode::MalformedRequest,
            format!("the query is not ?region=REGION: {e}"),
        )
    })?;
    let region = region_for_kiosk(&kiosk, query.region.as_deref())?;
    let Some(publisher) = state.bundles.clone() else {
        return Err(no_key());
    };
    let since = if_modified_since(&headers);
    let kiosk_id = kiosk.kiosk_id.clone();
    let answer = blocking(&state.gate, move || {
        publisher
            .current(&region, Utc::now(), since)
            .map_err(|e| match e {
                BundleServiceError::NoKey(_) => no_key(),
                BundleServiceError::Service(e) => e.into(),
                e => {
                    tracing::error!(region, "reference bundle: {e}");
                    ApiError::new(
                        ErrorCode::Internal,
                        format!("the agency cannot publish the reference bundle: {e}"),
                    )
                }
            })
    })
    .await?;
    let last_modified = |t| HeaderValue::from_str(&http_date(t)).expect("an HTTP date is ASCII");
    match answer {
        Publication::NotModified { generated_at } => {
            tracing::debug!(kiosk = kiosk_id, "reference bundle not modified");
            Ok((
                StatusCode::NOT_MODIFIED,
                [(header::LAST_MODIFIED, last_modified(generated_at))],
            )
                .into_response())
        }
        Publication::Bundle(bundle) => {
            tracing::info!(
                kiosk = kiosk_id,
                region = bundle.region,
                entries = bundle.entries,
                generated_at = %bundle.generated_at,
                "reference bundle served"
            );
            let headers = [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (header::LAST_MODIFIED, last_modified(bundle.generated_at)),
            ];
            let body = Body::from(Bytes::from_owner(SharedBundle(bundle)));
            Ok((StatusCode::OK, headers, body).into_response())
        }
    }
}

fn no_key() -> ApiError {
    ApiError::new(
        ErrorCode::NotFound,
        "the agency publishes no reference bundle yet: it has no bundle-signing key. On the server run `certpoint-agency bundle key init`, then pin the public key it prints on the kiosks (reference_cache.agency_public_keys)",
    )
}
