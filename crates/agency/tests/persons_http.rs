//! The kiosk-facing person endpoints over real HTTP on 127.0.0.1: status, the region
//! rule, the reference-read log, the rate limit, and what ends up in the file.

mod storage_suite;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;

use certpoint_agency::storage::{ReadResult, RosterStatus, SelfCertification};
use certpoint_agency::vault::KEY_FILE;
use certpoint_agency::{RateLimit, RunningServer, ServerOptions, SqliteStorage, Storage};
use serde_json::Value;
use storage_suite::{person, photo, ID_A, ID_B, ID_C};

const K1: &str = "kiosk-one-token-0123456789";
const K2: &str = "kiosk-two-token-0123456789";
const OLD: &str = "old-kiosk-token-0123456789";
/// On the roster of region 110105, without a reference photo.
const ID_D: &str = "110105194912310038";
/// On no roster.
const ID_X: &str = "110101200002290018";

struct Reply {
    status: u16,
    headers: String,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }

    fn error(&self) -> String {
        self.json()["error"].as_str().unwrap_or_default().to_owned()
    }
}

fn get(addr: SocketAddr, path: &str, token: Option<&str>) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let auth = token
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{auth}\r\n"
    )
    .unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).unwrap();
    let (head, body) = text.split_once("\r\n\r\n").unwrap();
    Reply {
        status: head.split(' ').nth(1).unwrap().parse().unwrap(),
        headers: head.to_ascii_lowercase(),
        body: body.to_owned(),
    }
}

struct Agency {
    dir: tempfile::TempDir,
    storage: Arc<SqliteStorage>,
    server: Option<RunningServer>,
}

/// A, D in region 110105 (A with a reference photo); B in 310115 (with one); C in
/// 110105 but deceased. K1 serves 110105, K2 310115, OLD has no region.
fn agency(limit: RateLimit) -> Agency {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
    let key = |b| {
        certpoint_protocol::public_key_b64(
            &certpoint_protocol::ed25519_dalek::SigningKey::from_bytes(&[b; 32]),
        )
    };
    certpoint_agency::add_kiosk(storage.as_ref(), "K1", &key(1), K1, "110105").unwrap();
    certpoint_agency::add_kiosk(storage.as_ref(), "K2", &key(2), K2, "310115").unwrap();
    storage
        .add_kiosk(
            &certpoint_agency::Kiosk {
                kiosk_id: "OLD".into(),
                public_key: key(3),
                region: None,
            },
            &certpoint_agency::parse::hex_sha256(OLD.as_bytes()),
        )
        .unwrap();
    storage
        .import_roster(&[
            person(ID_A, "Zhang Sanfeng", "110105", RosterStatus::Active),
            person(ID_B, "Li Sixiang", "310115", RosterStatus::Active),
            person(ID_C, "Wang Wuming", "110105", RosterStatus::Deceased),
            person(ID_D, "Zhao Liuhe", "110105", RosterStatus::Active),
        ])
        .unwrap();
    storage
        .put_reference(ID_A, &photo("a-v1", b"\xff\xd8\xffPHOTO-OF-A"))
        .unwrap();
    storage
        .put_reference(ID_B, &photo("b-v1", b"\xff\xd8\xffPHOTO-OF-B"))
        .unwrap();
    let shared: Arc<dyn Storage> = storage.clone();
    let server = RunningServer::start_configured(
        "127.0.0.1:0".parse().unwrap(),
        shared,
        None,
        ServerOptions {
            reference_reads: limit,
            ..ServerOptions::default()
        },
    )
    .unwrap();
    Agency {
        dir,
        storage,
        server: Some(server),
    }
}

fn generous() -> RateLimit {
    RateLimit {
        per_minute: 600,
        burst: 100,
    }
}

impl Agency {
    fn addr(&self) -> SocketAddr {
        self.server.as_ref().unwrap().addr
    }

    fn status(&self, id: &str, token: &str) -> Reply {
        get(
            self.addr(),
            &format!("/v1/persons/{id}/status?period=2026"),
            Some(token),
        )
    }

    fn reference(&self, id: &str, token: &str) -> Reply {
        get(
            self.addr(),
            &format!("/v1/persons/{id}/reference"),
            Some(token),
        )
    }
}

#[test]
fn status_answers_the_protocols_shape_and_follows_the_records() {
    let a = agency(generous());
    let r = a.status(ID_A, K1);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body,
        r#"{"period":"2026","state":"not_certified","channel":null,"at":null}"#
    );
    assert_eq!(a.status(ID_C, K1).json()["state"], "deceased");
    a.storage
        .import_self_certifications(&[SelfCertification {
            id_number: ID_A.into(),
            period: "2026".into(),
            at: storage_suite::t("2026-04-02T09:30:00+08:00"),
        }])
        .unwrap();
    assert_eq!(
        a.status(ID_A, K1).body,
        r#"{"period":"2026","state":"certified","channel":"app","at":"2026-04-02T09:30:00+08:00"}"#
    );
    // Someone on no roster: answered, so the clerk learns why nothing can follow.
    let r = a.status(ID_X, K1);
    assert_eq!(
        (r.status, r.json()["state"].as_str()),
        (200, Some("not_in_roster"))
    );
}

#[test]
fn status_refuses_bad_requests_with_json_errors() {
    let a = agency(generous());
    let addr = a.addr();
    for (path, token, status, code) in [
        (
            "/v1/persons/110105194912310021/status?period=2026",
            Some(K1),
            400,
            "malformed_request",
        ),
        (
            "/v1/persons/1101051949/status?period=2026",
            Some(K1),
            400,
            "malformed_request",
        ),
        (
            "/v1/persons/11010519491231002X/status?period=26",
            Some(K1),
            400,
            "malformed_request",
        ),
        (
            "/v1/persons/11010519491231002X/status?period=",
            Some(K1),
            400,
            "malformed_request",
        ),
        (
            "/v1/persons/11010519491231002X/status",
            Some(K1),
            400,
            "malformed_request",
        ),
        (
            "/v1/persons/11010519491231002X/status?period=2026",
            None,
            401,
            "unauthorized",
        ),
        (
            "/v1/persons/11010519491231002X/status?period=2026",
            Some("nobody-0123456789"),
            401,
            "unauthorized",
        ),
    ] {
        let r = get(addr, path, token);
        assert_eq!(
            (r.status, r.error().as_str()),
            (status, code),
            "{path}: {}",
            r.body
        );
        assert!(
            !r.body.contains("110105194912310021"),
            "the number is not repeated: {}",
            r.body
        );
    }
}

#[test]
fn kiosks_see_only_their_own_regions_people() {
    let a = agency(generous());
    // Other region, and a kiosk without one: 403, for status and photos alike.
    for (id, token) in [(ID_B, K1), (ID_A, K2), (ID_A, OLD)] {
        let r = a.status(id, token);
        assert_eq!(
            (r.status, r.error().as_str()),
            (403, "forbidden"),
            "{}",
            r.body
        );
        let r = a.reference(id, token);
        assert_eq!(
            (r.status, r.error().as_str()),
            (403, "forbidden"),
            "{}",
            r.body
        );
    }
    assert!(a
        .status(ID_A, OLD)
        .body
        .contains("kiosk set-region --id OLD"));
    // A photo of someone on no roster is refused too.
    assert_eq!(a.reference(ID_X, K1).status, 403);
    // Own region: served, or 404 when none is enrolled.
    let r = a.reference(ID_A, K1);
    assert_eq!(r.status, 200, "{}", r.body);
    let v = r.json();
    assert_eq!(v["version"], "a-v1");
    assert_eq!(
        certpoint_protocol::b64_decode(v["photo"].as_str().unwrap()).unwrap(),
        b"\xff\xd8\xffPHOTO-OF-A"
    );
    assert_eq!(a.reference(ID_B, K2).status, 200);
    let r = a.reference(ID_D, K1);
    assert_eq!((r.status, r.error().as_str()), (404, "not_found"));
    assert_eq!(a.reference("110105194912310021", K1).status, 400);
}

#[test]
fn every_reference_read_is_logged_with_a_masked_number() {
    let a = agency(generous());
    a.reference(ID_A, K1);
    a.reference(ID_B, K1);
    a.reference(ID_D, K1);
    a.reference(ID_B, K2);
    a.reference("110105194912310021", K1); // not an ID number: nothing to log
    let log = a.storage.reference_reads(None, 100).unwrap();
    let got: Vec<(&str, &str, ReadResult)> = log
        .iter()
        .rev()
        .map(|r| (r.kiosk_id.as_str(), r.id_masked.as_str(), r.result))
        .collect();
    assert_eq!(
        got,
        [
            ("K1", "1101**********002X", ReadResult::Served),
            ("K1", "3101**********1236", ReadResult::Forbidden),
            ("K1", "1101**********0038", ReadResult::NotFound),
            ("K2", "3101**********1236", ReadResult::Served),
        ]
    );
    assert_eq!(a.storage.reference_reads(Some(ID_B), 100).unwrap().len(), 2);
}

#[test]
fn reference_reads_are_rate_limited_per_kiosk() {
    let a = agency(RateLimit {
        per_minute: 2,
        burst: 3,
    });
    for _ in 0..3 {
        assert_eq!(a.reference(ID_A, K1).status, 200);
    }
    let r = a.reference(ID_A, K1);
    assert_eq!(
        (r.status, r.error().as_str()),
        (429, "rate_limited"),
        "{}",
        r.body
    );
    let retry: u64 = r
        .headers
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .expect("Retry-After")
        .trim()
        .parse()
        .unwrap();
    assert!(
        (1..=30).contains(&retry),
        "two a minute: at most 30 s, got {retry}"
    );
    // Refused reads count against the bucket too, and are logged.
    assert_eq!(a.reference(ID_B, K1).status, 429);
    let log = a.storage.reference_reads(None, 2).unwrap();
    assert!(
        log.iter().all(|r| r.result == ReadResult::RateLimited),
        "{log:?}"
    );
    // Another kiosk has its own bucket; status is not rate-limited.
    assert_eq!(a.reference(ID_B, K2).status, 200);
    assert_eq!(a.status(ID_A, K1).status, 200);
}

#[test]
fn the_database_file_holds_no_id_number_name_or_photo_in_the_clear() {
    let mut a = agency(generous());
    a.reference(ID_A, K1);
    a.status(ID_A, K1);
    a.server.take().unwrap().stop();
    let Agency { dir, storage, .. } = a;
    drop(storage);
    // The database file and the photo store beside it.
    fn read_all(dir: &std::path::Path, raw: &mut Vec<u8>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                read_all(&p, raw);
            } else if p.file_name().unwrap() != KEY_FILE {
                raw.extend(std::fs::read(&p).unwrap());
            }
        }
    }
    let mut raw = Vec::new();
    read_all(dir.path(), &mut raw);
    assert!(!raw.is_empty());
    let has = |needle: &[u8]| raw.windows(needle.len()).any(|w| w == needle);
    for id in [ID_A, ID_B, ID_C, ID_D] {
        assert!(!has(id.as_bytes()), "an ID number in the clear");
    }
    for name in ["Zhang Sanfeng", "Li Sixiang", "Wang Wuming", "Zhao Liuhe"] {
        assert!(!has(name.as_bytes()), "a name in the clear");
    }
    assert!(
        !has(b"PHOTO-OF-A") && !has(b"PHOTO-OF-B"),
        "a photo in the clear"
    );
}
