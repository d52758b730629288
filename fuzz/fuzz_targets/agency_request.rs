//! The agency server's request handling: the pure parsers in `crates/agency/src/parse.rs`
//! and the real axum Router (`certpoint_agency::router`) on a temporary SQLite store,
//! driven in-process through `tower::ServiceExt::oneshot`.
//!
//! Input layout (so seeds are plain text): byte 0 is flags, then the request path up to
//! the first `\n`, then the body.
//! - bits 0-1: method POST, GET, PUT, DELETE
//! - bits 2-3: Authorization: kiosk K1's token, none, kiosk K2's token, the path bytes
//! - bit 4: the body is a *record*: the harness signs it with K1's key and wraps it in
//!   the envelope, so mutations reach the checks behind the signature
//! - bit 5: send `Idempotency-Key` = the body's `record_id` (when it has one)
//! - bit 6: then ask for K1's gap report
//! - bit 7: send the request twice (the idempotent resend)
//!
//! Invariants: no panic; no 5xx; every error answer is the protocol's JSON error body
//! with the status its code implies (docs/protocol.md, "Errors"); a record the server
//! accepted is never reported missing from the gap report.

#![no_main]

use std::sync::{Arc, OnceLock};

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use certpoint_agency::{parse, storage, SqliteStorage, Storage};
use certpoint_protocol::ed25519_dalek::SigningKey;
use certpoint_protocol::{encode_submission, sign_body, ErrorBody, GapReport, MAX_BODY_BYTES};
use libfuzzer_sys::fuzz_target;
use tower::ServiceExt;

const TOKEN_K1: &str = "fuzz-token-kiosk-one-0123456789";
const TOKEN_K2: &str = "fuzz-token-kiosk-two-0123456789";

struct Server {
    _dir: tempfile::TempDir,
    rt: tokio::runtime::Runtime,
    app: Router,
    key: SigningKey,
}

/// One store per process: opening SQLite per run would dominate the run time. Runs share
/// it, which only means a resend of an earlier run's record is a duplicate or conflict,
/// both legitimate answers.
fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("certpoint-fuzz-agency")
            .tempdir_in("/dev/shm")
            .or_else(|_| tempfile::tempdir())
            .expect("a temporary directory");
        let storage = Arc::new(SqliteStorage::open_in(dir.path()).expect("the store opens"));
        let key = SigningKey::from_bytes(&[7; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        for (id, k, token) in [("K1", &key, TOKEN_K1), ("K2", &other, TOKEN_K2)] {
            let public = certpoint_protocol::public_key_b64(k);
            certpoint_agency::add_kiosk(storage.as_ref(), id, &public, token, "110105")
                .expect("kiosk added");
        }
        let storage: Arc<dyn Storage> = storage;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a tokio runtime");
        Server {
            _dir: dir,
            rt,
            app: certpoint_agency::router(storage),
            key,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let (path, body) = match rest.iter().position(|&b| b == b'\n') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, &[][..]),
    };
    pure_parsers(path, body);

    let s = server();
    let record_text = (flags & 0x10 != 0).then(|| String::from_utf8_lossy(body).into_owned());
    let body: Vec<u8> = match &record_text {
        Some(text) => encode_submission(text, &sign_body(&s.key, text), None).into_bytes(),
        None => body.to_vec(),
    };
    let record_id = record_text
        .as_deref()
        .or_else(|| std::str::from_utf8(&body).ok())
        .and_then(record_id_of);
    let method = ["POST", "GET", "PUT", "DELETE"][usize::from(flags & 3)];
    let path = if path.is_empty() {
        &b"/v1/certifications"[..]
    } else {
        path
    };
    let auth: Option<&[u8]> = match (flags >> 2) & 3 {
        0 => Some(b"Bearer fuzz-token-kiosk-one-0123456789"),
        1 => None,
        2 => Some(b"Bearer fuzz-token-kiosk-two-0123456789"),
        _ => Some(path),
    };
    let idempotency = if flags & 0x20 != 0 {
        record_id.as_deref()
    } else {
        None
    };
    let times = if flags & 0x80 != 0 { 2 } else { 1 };
    let mut accepted_seq = None;
    for _ in 0..times {
        let Some(req) = request(method, path, auth, idempotency, body.clone()) else {
            return;
        };
        let (status, bytes) = send(s, req);
        check_answer(status, &bytes);
        if status == 200 || status == 201 {
            let v: serde_json::Value = serde_json::from_slice(&bytes).expect("a JSON answer");
            accepted_seq = v.get("seq").and_then(|n| n.as_u64()).or(accepted_seq);
        }
    }
    if flags & 0x40 != 0 {
        let req = request(
            "GET",
            b"/v1/kiosks/K1/gaps",
            Some(b"Bearer fuzz-token-kiosk-one-0123456789"),
            None,
            Vec::new(),
        )
        .expect("a valid request");
        let (status, bytes) = send(s, req);
        check_answer(status, &bytes);
        assert_eq!(status, 200);
        let report: GapReport = serde_json::from_slice(&bytes).expect("a gap report");
        if let Some(seq) = accepted_seq {
            assert!(
                report.max_seq >= seq,
                "accepted seq {seq} but max_seq {}",
                report.max_seq
            );
            for [a, b] in &report.missing {
                assert!(
                    !(*a..=*b).contains(&seq),
                    "accepted seq {seq} reported missing"
                );
            }
        }
    }
});

/// The pure functions the handlers call, on the same bytes.
fn pure_parsers(header: &[u8], body: &[u8]) {
    if let Ok(sub) = parse::parse_submission(body) {
        assert!(parse::validate_record(&sub.record).is_ok());
        assert!(parse::is_id_number_shape(&sub.record.id_number));
        assert!(sub.body.starts_with('{'));
    }
    if let Ok(token) = parse::bearer_token(Some(header)) {
        assert!(!token.is_empty() && token.trim() == token);
    }
    let _ = parse::check_idempotency_key(Some(header), "0190a000-0000-7000-8000-000000000000");
    if let Ok(text) = std::str::from_utf8(header) {
        if parse::is_id_number_shape(text) {
            assert_eq!(text.len(), 18);
        }
    }
    // The gap computation on a sorted, de-duplicated list, as the store hands it over.
    let mut seqs: Vec<u64> = body
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap()))
        .collect();
    seqs.sort_unstable();
    seqs.dedup();
    let missing = storage::missing_ranges(&seqs);
    for [a, b] in &missing {
        assert!(a <= b && *a >= 1);
        assert!(
            !seqs.iter().any(|s| (*a..=*b).contains(s)),
            "{seqs:?} -> {missing:?}"
        );
    }
}

fn record_id_of(text: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let id = v
        .get("record_id")
        .or_else(|| v.get("record")?.get("record_id"))?;
    id.as_str().map(str::to_owned)
}

fn request(
    method: &str,
    path: &[u8],
    auth: Option<&[u8]>,
    idempotency: Option<&str>,
    body: Vec<u8>,
) -> Option<Request<Body>> {
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("content-length", body.len());
    if let Some(a) = auth {
        b = b.header("authorization", a);
    }
    if let Some(k) = idempotency {
        b = b.header("idempotency-key", k);
    }
    // What hyper would refuse before the router (bad URI or header bytes) is skipped.
    b.body(Body::from(body)).ok()
}

fn send(s: &Server, req: Request<Body>) -> (u16, Vec<u8>) {
    s.rt.block_on(async {
        let resp: Response<Body> = s.app.clone().oneshot(req).await.expect("infallible");
        let status = resp.status().as_u16();
        let bytes = axum::body::to_bytes(resp.into_body(), MAX_BODY_BYTES * 2)
            .await
            .expect("the answer body");
        (status, bytes.to_vec())
    })
}

fn check_answer(status: u16, bytes: &[u8]) {
    assert!(
        status < 500,
        "status {status}: {}",
        String::from_utf8_lossy(bytes)
    );
    if status >= 400 {
        let err: ErrorBody = serde_json::from_slice(bytes).unwrap_or_else(|e| {
            panic!(
                "status {status} without the JSON error body ({e}): {:?}",
                String::from_utf8_lossy(bytes)
            )
        });
        assert_eq!(err.error.http_status(), status, "{err:?}");
        assert!(!err.message.is_empty());
    }
}
