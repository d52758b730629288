//! Request parsing and validation as pure functions over bytes and header values.
//!
//! Nothing here does I/O, so every rule is unit-tested and fuzzed (see the proptest at
//! the bottom and `tests/hostile_input.rs`) without a socket: whatever bytes arrive, the
//! answer is a typed value or an [`ApiError`] with a 4xx code, never a panic.

use certpoint_protocol::{b64_decode, CertificationRecord, ErrorCode, MAX_PHOTO_BYTES};
use serde::Deserialize;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// A submission whose shape, types and photo are valid; the signature is still to be
/// checked against the kiosk's key.
pub struct Submission {
    pub record: CertificationRecord,
    /// The record's JSON exactly as it arrived: what the signature covers, what is
    /// stored, and what a resend is compared with. (Not re-serialised: re-printing
    /// floats is not guaranteed to give the same bytes.)
    pub body: String,
    pub signature: String,
    pub photo: Option<Vec<u8>>,
}

fn malformed(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::MalformedRequest, msg)
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidRecord, msg)
}

/// The envelope as sent; `record` kept as raw text.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    #[serde(borrow)]
    record: &'a RawValue,
    signature: String,
    #[serde(default)]
    photo: Option<String>,
}

/// Parses a `POST /v1/certifications` body: `{"photo": b64|null, "record": {...},
/// "signature": b64}`.
pub fn parse_submission(bytes: &[u8]) -> Result<Submission, ApiError> {
    let text = std::str::from_utf8(bytes).map_err(|_| malformed("the body is not UTF-8"))?;
    let env: Envelope = serde_json::from_str(text).map_err(|e| {
        malformed(format!(
            "the body must be {{\"photo\": base64 or null, \"record\": {{…}}, \"signature\": base64}}: {e}"
        ))
    })?;
    let body = env.record.get();
    if !body.starts_with('{') {
        return Err(malformed("record must be a JSON object"));
    }
    let signature = env.signature;
    let photo_b64 = env.photo;
    let record: CertificationRecord = serde_json::from_str(body)
        .map_err(|e| invalid(format!("record is not a valid certification record: {e}")))?;
    let body = body.to_owned();
    validate_record(&record)?;
    let photo = match photo_b64 {
        Some(text) => {
            if text.len() > MAX_PHOTO_BYTES / 3 * 4 + 4 {
                return Err(ApiError::new(
                    ErrorCode::TooLarge,
                    format!("the photo is larger than {MAX_PHOTO_BYTES} bytes"),
                ));
            }
            Some(b64_decode(&text).map_err(|_| malformed("photo is not valid base64"))?)
        }
        None => None,
    };
    check_photo(&record, photo.as_deref())?;
    Ok(Submission {
        record,
        body,
        signature,
        photo,
    })
}

/// Rules serde cannot express.
pub fn validate_record(r: &CertificationRecord) -> Result<(), ApiError> {
    r.validate().map_err(|e| invalid(e.to_string()))?;
    if r.seq == 0 {
        return Err(invalid("seq starts at 1"));
    }
    // SQLite stores it as a signed 64-bit integer: a larger seq would come back negative,
    // sort first and corrupt the kiosk's gap report.
    if r.seq > i64::MAX as u64 {
        return Err(invalid(format!(
            "seq {} is above the largest, {}",
            r.seq,
            i64::MAX
        )));
    }
    if r.kiosk_id.is_empty() || r.kiosk_id.len() > 64 {
        return Err(invalid("kiosk_id must be 1 to 64 characters"));
    }
    if !is_id_number_shape(&r.id_number) {
        return Err(invalid(
            "id_number must be 17 digits and a check character (0-9 or X)",
        ));
    }
    if r.ended_at < r.started_at {
        return Err(invalid("ended_at is before started_at"));
    }
    Ok(())
}

fn check_photo(r: &CertificationRecord, photo: Option<&[u8]>) -> Result<(), ApiError> {
    match (&r.photo, photo) {
        (None, None) => Ok(()),
        (Some(_), None) => Err(invalid("the record names a photo but none was sent")),
        (None, Some(_)) => Err(invalid("a photo was sent but the record names none")),
        (Some(meta), Some(bytes)) => {
            if bytes.len() > MAX_PHOTO_BYTES {
                return Err(ApiError::new(
                    ErrorCode::TooLarge,
                    format!("the photo is larger than {MAX_PHOTO_BYTES} bytes"),
                ));
            }
            if meta.bytes != bytes.len() as u64 || meta.sha256 != hex_sha256(bytes) {
                return Err(invalid(
                    "the photo's size or sha256 differs from the record's photo field",
                ));
            }
            Ok(())
        }
    }
}

/// 17 digits and a check character; the full GB 11643 check is the kiosk's job, the
/// server only refuses what cannot be an ID number.
pub fn is_id_number_shape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 18
        && b[..17].iter().all(u8::is_ascii_digit)
        && (b[17].is_ascii_digit() || b[17] == b'X')
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(header: Option<&[u8]>) -> Result<&str, ApiError> {
    let unauthorized = |m: &str| ApiError::new(ErrorCode::Unauthorized, m);
    let raw = header.ok_or_else(|| unauthorized("Authorization: Bearer <token> is required"))?;
    let text = std::str::from_utf8(raw)
        .map_err(|_| unauthorized("the Authorization header is not text"))?;
    let token = text
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| unauthorized("the Authorization header must be Bearer <token>"))?;
    Ok(token)
}

/// The `Idempotency-Key` header must be the record's id.
pub fn check_idempotency_key(header: Option<&[u8]>, record_id: &str) -> Result<(), ApiError> {
    match header.map(std::str::from_utf8) {
        Some(Ok(key)) if key.trim() == record_id => Ok(()),
        Some(_) => Err(ApiError::new(
            ErrorCode::IdempotencyKeyMismatch,
            "Idempotency-Key must equal the record's record_id",
        )),
        None => Err(ApiError::new(
            ErrorCode::IdempotencyKeyMismatch,
            "the Idempotency-Key header (the record's record_id) is required",
        )),
    }
}

pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn bearer_tokens() {
        assert_eq!(bearer_token(Some(b"Bearer abc")).unwrap(), "abc");
        for bad in [&b"Basic abc"[..], b"Bearer ", b"\xff\xfe", b"bearer abc"] {
            assert_eq!(
                bearer_token(Some(bad)).unwrap_err().code,
                ErrorCode::Unauthorized
            );
        }
        assert!(bearer_token(None).is_err());
    }

    #[test]
    fn hostile_shapes_are_4xx() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{",
            b"{\"record\":1,\"signature\":\"\"}",
            b"{\"record\":{},\"signature\":\"\",\"photo\":null}",
            b"{\"record\":{},\"signature\":5}",
            b"{\"record\":{},\"signature\":\"\",\"extra\":1}",
            b"{\"record\":{\"seq\":\"one\"},\"signature\":\"\"}",
            b"\xff\xff\xff",
        ] {
            let e = parse_submission(body).err().expect("refused");
            let s = e.code.http_status();
            assert!((400..500).contains(&s), "{body:?} -> {s}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        #[test]
        fn arbitrary_bytes_never_panic_and_are_4xx(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Err(e) = parse_submission(&bytes) {
                prop_assert!((400..500).contains(&e.code.http_status()));
            }
        }

        #[test]
        fn arbitrary_json_values_never_panic(v in arb_json()) {
            let bytes = serde_json::to_vec(&serde_json::json!({"record": v, "signature": "AA==", "photo": null})).unwrap();
            if let Err(e) = parse_submission(&bytes) {
                prop_assert!((400..500).contains(&e.code.http_status()));
            }
        }
    }

    const VALID: &str = r#"{"photo":null,"record":{"app_version":"0.1.0","attempt":1,"challenges":[{"action":"blink","duration_ms":1500,"passed":true}],"ended_at":"2026-04-02T09:31:00+08:00","face_match":{"status":"pending_server_match"},"id_number":"11010519491231002X","kiosk_id":"K1","method":{"kind":"face_auto"},"models":{},"outcome":"passed","passive_liveness":{"score":0.9,"threshold":0.5},"period":"2026","photo":null,"quality":null,"reason":null,"record_id":"0190a000-0000-7000-8000-000000000001","schema_version":1,"seq":1,"site_code":"110105","started_at":"2026-04-02T09:30:00+08:00"},"signature":"AA=="}"#;

    #[test]
    fn the_mutation_seed_is_valid() {
        match parse_submission(VALID.as_bytes()) {
            Ok(sub) => assert_eq!(sub.record.seq, 1),
            Err(e) => panic!("{e:?}"),
        }
    }

    /// `id_source` and `excluded_actions` (additive, issue 14) are taken and kept in
    /// the stored body as sent; an unknown value is still a 422, not a 500.
    #[test]
    fn id_source_and_excluded_actions_are_accepted_and_kept() {
        let with = VALID
            .replace(
                r#""id_number""#,
                r#""excluded_actions":[{"action":"blink","reason":"eye_condition"}],"id_number""#,
            )
            .replace(r#""kiosk_id""#, r#""id_source":"card_reader","kiosk_id""#);
        let sub = parse_submission(with.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            sub.record.id_source,
            Some(certpoint_protocol::IdSource::CardReader)
        );
        assert_eq!(sub.record.excluded_actions.len(), 1);
        assert!(sub.body.contains(r#""id_source":"card_reader""#));
        let odd = with.replace("card_reader", "carrier_pigeon");
        let e = parse_submission(odd.as_bytes()).map(|_| ()).unwrap_err();
        assert_eq!(e.code.http_status(), 422, "{e:?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]
        /// A valid envelope with a few bytes changed, inserted or cut: parsed or 4xx.
        #[test]
        fn mutated_valid_envelopes_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)
        ) {
            let mut bytes = VALID.as_bytes().to_vec();
            for (at, byte, kind) in edits {
                let i = at.index(bytes.len().max(1));
                match kind {
                    0 if !bytes.is_empty() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => bytes.truncate(i),
                }
            }
            if let Err(e) = parse_submission(&bytes) {
                prop_assert!((400..500).contains(&e.code.http_status()));
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]
        /// The kiosk signs the canonical JSON of a typed record, whose f32 figures print
        /// with up to 17 digits; the server must check exactly those bytes.
        #[test]
        fn a_kiosk_body_with_any_floats_arrives_byte_for_byte(
            score in any::<f32>().prop_filter("finite", |f| f.is_finite()),
            sharp in any::<f32>().prop_filter("finite", |f| f.is_finite()),
        ) {
            let mut record: CertificationRecord =
                serde_json::from_value(serde_json::from_str::<Value>(VALID).unwrap()["record"].clone()).unwrap();
            record.passive_liveness = Some(certpoint_protocol::Scored { score, threshold: 0.5 });
            record.quality = Some(certpoint_protocol::Quality { brightness: score / 3.0, sharpness: sharp, face_size: 0.31 });
            let body = certpoint_protocol::canonical_json(&record).unwrap();
            let key = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
            let env = certpoint_protocol::encode_submission(&body, &certpoint_protocol::sign_body(&key, &body), None);
            let sub = match parse_submission(env.as_bytes()) {
                Ok(s) => s,
                Err(e) => return Err(TestCaseError::fail(format!("{e:?}"))),
            };
            prop_assert_eq!(&sub.body, &body);
            prop_assert!(certpoint_protocol::verify_body(&key.verifying_key(), &sub.body, &sub.signature).is_ok());
        }
    }

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null)),
            ".{0,20}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 8, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                proptest::collection::btree_map(
                    prop_oneof![
                        Just("record_id".to_owned()),
                        Just("seq".to_owned()),
                        Just("kiosk_id".to_owned()),
                        Just("photo".to_owned()),
                        "[a-z_]{1,12}"
                    ],
                    inner,
                    0..8
                )
                .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }
}
