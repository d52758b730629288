//! The server over real HTTP on 127.0.0.1 against malformed, hostile and unauthorised
//! requests: every one gets a 4xx with a JSON error body, and the server keeps serving.
//! (The parser itself is also proptested on arbitrary bytes in `src/parse.rs`.)

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use certpoint_agency::{RunningServer, SqliteStorage, Storage};
use certpoint_protocol::ed25519_dalek::SigningKey;
use certpoint_protocol::{encode_submission, sign_body, CertificationRecord};
use proptest::prelude::*;

const TOKEN: &str = "hostile-test-token-0123456789";

struct Fixture {
    _dir: tempfile::TempDir,
    server: RunningServer,
    key: SigningKey,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
    let key = SigningKey::from_bytes(&[3; 32]);
    certpoint_agency::add_kiosk(
        storage.as_ref(),
        "K1",
        &certpoint_protocol::public_key_b64(&key),
        TOKEN,
        "110105",
    )
    .unwrap();
    let storage: Arc<dyn Storage> = storage;
    let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage).unwrap();
    Fixture {
        _dir: dir,
        server,
        key,
    }
}

/// Sends raw bytes, returns (status, body).
fn raw(addr: SocketAddr, request: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_owned();
    (status, body)
}

fn post(
    addr: SocketAddr,
    token: Option<&str>,
    key_header: Option<&str>,
    body: &[u8],
) -> (u16, String) {
    let mut req = format!(
        "POST /v1/certifications HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(t) = token {
        req.push_str(&format!("Authorization: Bearer {t}\r\n"));
    }
    if let Some(k) = key_header {
        req.push_str(&format!("Idempotency-Key: {k}\r\n"));
    }
    req.push_str("\r\n");
    let mut bytes = req.into_bytes();
    bytes.extend_from_slice(body);
    raw(addr, &bytes)
}

fn record(kiosk: &str) -> CertificationRecord {
    let t = chrono::DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap();
    CertificationRecord {
        schema_version: certpoint_protocol::RECORD_SCHEMA_VERSION,
        record_id: uuid::Uuid::now_v7(),
        seq: 1,
        kiosk_id: kiosk.into(),
        site_code: "110105".into(),
        id_number: "11010519491231002X".into(),
        period: "2026".into(),
        started_at: t,
        ended_at: t,
        outcome: certpoint_protocol::Outcome::PendingMatch,
        reason: Some("no_reference".into()),
        method: certpoint_protocol::Method::FaceAuto,
        attempt: 1,
        challenges: vec![],
        passive_liveness: Some(certpoint_protocol::Scored {
            score: 0.93,
            threshold: 0.5,
        }),
        face_match: certpoint_protocol::FaceMatch::PendingMatch,
        quality: None,
        photo: None,
        models: Default::default(),
        app_version: "0.1.0".into(),
        id_source: None,
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    }
}

/// Found by the agency_request fuzz target: a seq above i64::MAX went into SQLite as a
/// negative number.
#[test]
fn seq_beyond_what_sqlite_stores_is_refused() {
    use certpoint_agency::parse::validate_record;
    let with_seq = |seq: u64| CertificationRecord {
        seq,
        ..record("K1")
    };
    assert!(validate_record(&with_seq(i64::MAX as u64)).is_ok());
    for seq in [i64::MAX as u64 + 1, u64::MAX] {
        let e = validate_record(&with_seq(seq)).unwrap_err();
        assert_eq!(e.code, certpoint_protocol::ErrorCode::InvalidRecord);
        assert!(e.message.contains(&seq.to_string()), "{}", e.message);
    }
}

fn error_code(body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    v["error"].as_str().unwrap().to_owned()
}

#[test]
fn a_valid_record_is_created_then_deduplicated() {
    let f = fixture();
    let r = record("K1");
    let body = certpoint_protocol::canonical_json(&r).unwrap();
    let env = encode_submission(&body, &sign_body(&f.key, &body), None);
    let id = r.record_id.to_string();
    let (s, b) = post(f.server.addr, Some(TOKEN), Some(&id), env.as_bytes());
    assert_eq!(s, 201, "{b}");
    let (s, b) = post(f.server.addr, Some(TOKEN), Some(&id), env.as_bytes());
    assert_eq!(s, 200, "{b}");
    assert!(b.contains("\"duplicate\":true"));
    let (s, b) = raw(
        f.server.addr,
        format!("GET /v1/certifications/{id} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes(),
    );
    assert_eq!(s, 200, "{b}");
    assert!(b.contains(&id));
}

fn get(addr: SocketAddr, path: &str, token: &str) -> (u16, String) {
    raw(
        addr,
        format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\r\n").as_bytes(),
    )
}

#[test]
fn an_auditor_reads_every_kiosks_records_and_submits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
    let (k1, k2) = (
        SigningKey::from_bytes(&[3; 32]),
        SigningKey::from_bytes(&[4; 32]),
    );
    for (id, key, token) in [
        ("K1", &k1, TOKEN),
        ("K2", &k2, "second-kiosk-token-0123456789"),
    ] {
        certpoint_agency::add_kiosk(
            storage.as_ref(),
            id,
            &certpoint_protocol::public_key_b64(key),
            token,
            "110105",
        )
        .unwrap();
    }
    const AUDIT: &str = "auditor-token-0123456789abcdef";
    certpoint_agency::add_auditor(storage.as_ref(), "support", AUDIT).unwrap();
    // The same name twice, or a kiosk's token, is refused.
    assert!(
        certpoint_agency::add_auditor(storage.as_ref(), "support", "x-0123456789abcdefgh").is_err()
    );
    assert!(certpoint_agency::add_auditor(storage.as_ref(), "other", TOKEN).is_err());
    let shared: Arc<dyn Storage> = storage;
    let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), shared).unwrap();
    let addr = server.addr;

    let r = record("K1");
    let id = r.record_id.to_string();
    let body = certpoint_protocol::canonical_json(&r).unwrap();
    let env = encode_submission(&body, &sign_body(&k1, &body), None);
    assert_eq!(post(addr, Some(TOKEN), Some(&id), env.as_bytes()).0, 201);

    let path = format!("/v1/certifications/{id}");
    let (s, b) = get(addr, &path, AUDIT);
    assert_eq!(s, 200, "{b}");
    assert!(b.contains(&id));
    assert_eq!(get(addr, "/v1/kiosks/K1/gaps", AUDIT).0, 200);
    // Another kiosk still cannot see it.
    let (s, b) = get(addr, &path, "second-kiosk-token-0123456789");
    assert_eq!((s, error_code(&b).as_str()), (404, "not_found"));
    // An auditor's token submits nothing and reads no reference photo.
    let r2 = record("K1");
    let id2 = r2.record_id.to_string();
    let body2 = certpoint_protocol::canonical_json(&r2).unwrap();
    let env2 = encode_submission(&body2, &sign_body(&k1, &body2), None);
    assert_eq!(post(addr, Some(AUDIT), Some(&id2), env2.as_bytes()).0, 401);
    assert_eq!(
        get(addr, "/v1/persons/11010519491231002X/reference", AUDIT).0,
        401
    );
    // An unknown token reads nothing.
    assert_eq!(get(addr, &path, "unknown-token-0123456789abcdef").0, 401);
}

#[test]
fn hostile_requests_get_4xx_json_and_the_server_lives_on() {
    let f = fixture();
    let addr = f.server.addr;
    let r = record("K1");
    let id = r.record_id.to_string();
    let body = certpoint_protocol::canonical_json(&r).unwrap();
    let good = encode_submission(&body, &sign_body(&f.key, &body), None);

    // (what, status, code, response)
    let cases: Vec<(&str, u16, &str, (u16, String))> = vec![
        ("no token", 401, "unauthorized", post(addr, None, Some(&id), good.as_bytes())),
        ("unknown token", 401, "unauthorized", post(addr, Some("nobody-has-this-token"), Some(&id), good.as_bytes())),
        ("not json", 400, "malformed_request", post(addr, Some(TOKEN), Some(&id), b"{\"record\": [1,2,")),
        ("binary", 400, "malformed_request", post(addr, Some(TOKEN), Some(&id), &[0xff, 0x00, 0xfe, 0x80])),
        ("wrong types", 422, "invalid_record", post(addr, Some(TOKEN), Some(&id),
            good.replace("\"seq\":1", "\"seq\":\"one\"").as_bytes())),
        ("unknown record field", 422, "invalid_record", post(addr, Some(TOKEN), Some(&id),
            good.replace("\"seq\":1", "\"seq\":1,\"zzz\":true").as_bytes())),
        ("missing idempotency key", 400, "idempotency_key_mismatch", post(addr, Some(TOKEN), None, good.as_bytes())),
        ("wrong idempotency key", 400, "idempotency_key_mismatch", post(addr, Some(TOKEN), Some("0190a000-0000-7000-8000-000000000000"), good.as_bytes())),
        ("bad signature", 403, "bad_signature", post(addr, Some(TOKEN), Some(&id),
            encode_submission(&body, &sign_body(&SigningKey::from_bytes(&[4; 32]), &body), None).as_bytes())),
        ("garbage signature", 403, "bad_signature", post(addr, Some(TOKEN), Some(&id),
            encode_submission(&body, "!!!", None).as_bytes())),
        ("tampered body", 403, "bad_signature", post(addr, Some(TOKEN), Some(&id),
            good.replace("\"attempt\":1", "\"attempt\":2").as_bytes())),
        ("another kiosk's record", 403, "kiosk_mismatch", {
            let r2 = record("K2");
            let b2 = certpoint_protocol::canonical_json(&r2).unwrap();
            post(addr, Some(TOKEN), Some(&r2.record_id.to_string()),
                encode_submission(&b2, &sign_body(&f.key, &b2), None).as_bytes())
        }),
        ("photo without a photo field", 422, "invalid_record", post(addr, Some(TOKEN), Some(&id),
            encode_submission(&body, &sign_body(&f.key, &body), Some(b"jpeg")).as_bytes())),
        ("declared oversized body", 413, "too_large", raw(addr,
            format!("POST /v1/certifications HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 50000000\r\n\r\n{{").as_bytes())),
        ("chunked oversized body", 413, "too_large", {
            let mut req = format!("POST /v1/certifications HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
            let chunk = vec![b'a'; 256 * 1024];
            for _ in 0..6 {
                req.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                req.extend_from_slice(&chunk);
                req.extend_from_slice(b"\r\n");
            }
            req.extend_from_slice(b"0\r\n\r\n");
            raw(addr, &req)
        }),
        ("unknown endpoint", 404, "not_found", raw(addr, b"GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")),
        // Found by the agency_request fuzz target: this was an empty-bodied 405.
        ("wrong method", 405, "method_not_allowed", raw(addr,
            format!("DELETE /v1/certifications HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())),
        ("unknown record", 404, "not_found", raw(addr,
            format!("GET /v1/certifications/not-a-uuid HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())),
        ("bad person id", 400, "malformed_request", raw(addr,
            format!("GET /v1/persons/..%2f..%2fetc/reference HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())),
        ("a person on no roster", 403, "forbidden", raw(addr,
            format!("GET /v1/persons/11010519491231002X/reference HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())),
        ("another kiosk's gaps", 403, "kiosk_mismatch", raw(addr,
            format!("GET /v1/kiosks/K2/gaps HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes())),
    ];
    for (what, status, code, (got, body)) in cases {
        assert_eq!(got, status, "{what}: {body}");
        assert_eq!(error_code(&body), code, "{what}");
    }
    // Still serving, and nothing was stored by any of the above.
    let (s, b) = raw(
        addr,
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(s, 200, "{b}");
    let (s, b) = raw(addr, format!("GET /v1/kiosks/K1/gaps HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer {TOKEN}\r\n\r\n").as_bytes());
    assert_eq!(s, 200);
    assert!(b.contains("\"received\":0"), "{b}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Arbitrary bodies over real HTTP: always a 4xx, never a 5xx or a dropped connection.
    #[test]
    fn arbitrary_bodies_over_http_are_4xx(body in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let f = FIXTURE.with(|f| f.server.addr);
        let (s, _) = post(f, Some(TOKEN), Some("x"), &body);
        prop_assert!((400..500).contains(&s), "status {}", s);
    }
}

thread_local! {
    static FIXTURE: Fixture = fixture();
}
