//! The one error type every handler returns: a stable code, a sentence, and the HTTP
//! status the code implies. Rendered as the protocol's JSON error body (with
//! `Retry-After` on 429).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use certpoint_protocol::{ErrorBody, ErrorCode};

use crate::service::ServiceError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// Seconds for `Retry-After` (429).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> Self {
        tracing::error!("storage failed: {e}");
        ApiError::new(
            ErrorCode::Internal,
            "the server could not store or read data; retry later",
        )
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        let code = match &e {
            ServiceError::Storage(_) => {
                tracing::error!("{e}");
                return ApiError::new(
                    ErrorCode::Internal,
                    "the server could not store or read data; retry later",
                );
            }
            ServiceError::RateLimited { retry_after_secs } => {
                return ApiError {
                    retry_after: Some(*retry_after_secs),
                    ..ApiError::new(ErrorCode::RateLimited, e.to_string())
                }
            }
            ServiceError::BadIdNumber(_)
            | ServiceError::BadPeriod(_)
            | ServiceError::Invalid(_)
            | ServiceError::BadRows(_) => ErrorCode::MalformedRequest,
            ServiceError::Forbidden(_) => ErrorCode::Forbidden,
            ServiceError::NotFound(_) => ErrorCode::NotFound,
        };
        ApiError::new(code, e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: self.code,
            message: self.message,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}
