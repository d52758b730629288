//! The one error type every handler returns: a stable code, a sentence, and the HTTP
//! status the code implies. Rendered as the protocol's JSON error body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use certpoint_protocol::{ErrorBody, ErrorCode};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> ApiError {
        ApiError {
            code,
            message: message.into(),
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

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: self.code,
            message: self.message,
        };
        (status, Json(body)).into_response()
    }
}
