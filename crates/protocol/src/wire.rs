//! The sync protocol's wire types: what travels between a kiosk and the agency server
//! besides the record itself. `docs/protocol.md` is the prose version of this file.
//!
//! Both sides build and read these from one definition, so the kiosk and the reference
//! server cannot drift apart. The submission envelope is written by [`encode_submission`]
//! around the record's canonical body verbatim, so the bytes the kiosk signed are the
//! bytes the server re-derives and checks.

use std::fmt;

use base64::Engine;
use serde::{Deserialize, Serialize};

/// Every endpoint lives under this prefix; an incompatible change gets `/v2`.
pub const API_PREFIX: &str = "/v1";
/// Header carrying the record id on `POST /v1/certifications`.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";
/// Largest request body the server reads; larger ones get 413 without being read.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest face crop accepted (before base64).
pub const MAX_PHOTO_BYTES: usize = 512 * 1024;

/// Base64 with padding, the standard alphabet: signatures, keys and photos.
pub fn b64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn b64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

/// Writes the `POST /v1/certifications` body: `{"photo":…,"record":<body>,"signature":…}`.
///
/// `body` must be the record's canonical JSON (as stored in the kiosk's outbox); it is
/// inserted verbatim, so the envelope is itself canonical JSON.
pub fn encode_submission(body: &str, signature_b64: &str, photo: Option<&[u8]>) -> String {
    let photo = match photo {
        Some(bytes) => format!("\"{}\"", b64_encode(bytes)),
        None => "null".to_owned(),
    };
    let mut out = String::with_capacity(body.len() + photo.len() + 128);
    out.push_str("{\"photo\":");
    out.push_str(&photo);
    out.push_str(",\"record\":");
    out.push_str(body);
    out.push_str(",\"signature\":\"");
    out.push_str(signature_b64);
    out.push_str("\"}");
    out
}

/// The answer to an accepted `POST /v1/certifications` (201 new, 200 duplicate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub record_id: String,
    pub kiosk_id: String,
    pub seq: u64,
    /// `true` when the server already had this exact record (the 200 case).
    pub duplicate: bool,
    /// When the server first stored it (RFC 3339, UTC).
    pub received_at: String,
}

/// `GET /v1/certifications/{record_id}`: the record as stored, for audits and support.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredCertification {
    pub record: serde_json::Value,
    /// The record's JSON exactly as received and signed (verify the signature over
    /// this, not over a re-serialisation of `record`).
    pub signed_body: String,
    pub signature: String,
    pub received_at: String,
    /// Whether the server holds the face crop the record names.
    pub photo_stored: bool,
}

impl fmt::Debug for StoredCertification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredCertification")
            .field("record_id", &self.record.get("record_id"))
            .field("received_at", &self.received_at)
            .finish_non_exhaustive()
    }
}

/// `GET /v1/persons/{id_number}/reference`: the enrolled reference photo.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferencePhoto {
    /// Changes whenever the photo is replaced; recorded in the record's face match.
    pub version: String,
    pub media_type: String,
    /// The image, base64.
    pub photo: String,
}

impl fmt::Debug for ReferencePhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReferencePhoto")
            .field("version", &self.version)
            .field("media_type", &self.media_type)
            .field("photo_b64_len", &self.photo.len())
            .finish()
    }
}

/// `GET /v1/kiosks/{kiosk_id}/gaps`: which sequence numbers never arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GapReport {
    pub kiosk_id: String,
    /// Records received from this kiosk.
    pub received: u64,
    /// Highest `seq` received (0 when none).
    pub max_seq: u64,
    /// Missing sequence numbers as inclusive ranges `[first, last]`, oldest first.
    pub missing: Vec<[u64; 2]>,
}

/// `POST /v1/heartbeat` (kiosk bearer token): what a kiosk says about itself, for the
/// back office's kiosks page. Answered `204 No Content`. Additive: older servers answer
/// 404, which a kiosk ignores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Heartbeat {
    /// The kiosk's `CARGO_PKG_VERSION`.
    pub app_version: String,
    /// Records in its queue not yet accepted by the server.
    pub queue_depth: u64,
    /// When the oldest of them was made (`None` when the queue is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oldest_pending: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// `GET /v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// Server-side matching of `pending_match` records: `ready` (the face models are
    /// loaded) or `off` (the server runs without them; such records wait unscored and
    /// their people show `pending_review` until it is restarted with them). Absent
    /// from servers older than matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
}

/// Every error answer's body: a stable machine code and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorCode,
    pub message: String,
}

/// The stable error codes. The HTTP status tells the kiosk what to do; the code says why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 400: the body is not JSON, or not the envelope's shape.
    MalformedRequest,
    /// 400: `Idempotency-Key` missing or not the record's id.
    IdempotencyKeyMismatch,
    /// 401: no bearer token, or one no kiosk is registered with.
    Unauthorized,
    /// 403: the record names another kiosk than the token's.
    KioskMismatch,
    /// 403: the signature does not verify with the kiosk's registered public key.
    BadSignature,
    /// 403: the kiosk may not read this person: not on the roster, on another region's
    /// roster, or the kiosk has no region (status and reference reads).
    Forbidden,
    /// 404.
    NotFound,
    /// 405: a known path asked with a method it does not serve.
    MethodNotAllowed,
    /// 409: a different record was already stored under this record id.
    Conflict,
    /// 413.
    TooLarge,
    /// 422: well-formed JSON that is not a valid record (types, schema, photo hash).
    InvalidRecord,
    /// 429: too many reference reads from this kiosk; `Retry-After` says when to ask again.
    RateLimited,
    /// 500.
    Internal,
}

impl ErrorCode {
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::MalformedRequest | ErrorCode::IdempotencyKeyMismatch => 400,
            ErrorCode::Unauthorized => 401,
            ErrorCode::KioskMismatch | ErrorCode::BadSignature | ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::Conflict => 409,
            ErrorCode::TooLarge => 413,
            ErrorCode::InvalidRecord => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::MalformedRequest => "malformed_request",
            ErrorCode::IdempotencyKeyMismatch => "idempotency_key_mismatch",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::KioskMismatch => "kiosk_mismatch",
            ErrorCode::BadSignature => "bad_signature",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::NotFound => "not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Conflict => "conflict",
            ErrorCode::TooLarge => "too_large",
            ErrorCode::InvalidRecord => "invalid_record",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_canonical_json() {
        let body = r#"{"a":1,"b":[2]}"#;
        let env = encode_submission(body, "c2ln", Some(b"jpg"));
        let v: serde_json::Value = serde_json::from_str(&env).unwrap();
        assert_eq!(crate::canonical_json(&v).unwrap(), env);
        let none = encode_submission(body, "c2ln", None);
        assert_eq!(
            none,
            r#"{"photo":null,"record":{"a":1,"b":[2]},"signature":"c2ln"}"#
        );
    }

    #[test]
    fn error_codes_serialise_as_their_names() {
        for code in [
            ErrorCode::BadSignature,
            ErrorCode::TooLarge,
            ErrorCode::Conflict,
            ErrorCode::Forbidden,
            ErrorCode::RateLimited,
        ] {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
    }
}
