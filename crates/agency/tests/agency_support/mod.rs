//! What the matching, reference-import and bundle tests share: an agency data
//! directory with a roster and kiosks, the server on 127.0.0.1 with the real face
//! engine, a kiosk that signs and posts records with a real aligned face crop (made
//! by the kiosk's own pipeline from tests/data/faces), raw HTTP, and polling with a
//! deadline for what the matching thread does.

// Each test binary that includes this uses part of it.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint_agency::faces::{FaceArgs, Faces};
use certpoint_agency::storage::{RosterEntry, RosterStatus};
use certpoint_agency::{RunningServer, ServerOptions, SqliteStorage, Storage};
use certpoint_face::{Vision, Wants, DEFAULT_MATCH_THRESHOLD};
use certpoint_protocol::ed25519_dalek::SigningKey;
use certpoint_protocol::{
    canonical_json, encode_submission, sign_body, CertificationRecord, FaceMatch, Method, Outcome,
    PhotoRef,
};
use serde_json::Value;

/// Obama, Biden and the astronaut: on the roster of region 110105 (A, B, C); D in
/// 310115.
pub const ID_A: &str = "11010519491231002X";
pub const ID_B: &str = "110105194912310038";
pub const ID_C: &str = "110105194501010014";
pub const ID_D: &str = "310115196002291236";
pub const K1: &str = "matcher-kiosk-one-token-0123";
pub const K2: &str = "matcher-kiosk-two-token-0123";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn face_photo(name: &str) -> PathBuf {
    repo().join("tests/data/faces").join(name)
}

pub fn models() -> PathBuf {
    repo().join("models")
}

/// The agency's face engine as `serve` opens it, loaded.
pub fn faces() -> Arc<Faces> {
    let faces = Faces::open(&FaceArgs {
        models: models(),
        onnxruntime: None,
        match_threshold: DEFAULT_MATCH_THRESHOLD,
        face_threads: 1,
    })
    .unwrap();
    faces.load().unwrap();
    Arc::new(faces)
}

/// What a kiosk stores for a live face in `name`: the aligned 112×112 crop of the one
/// face, as JPEG, made by the kiosk's own pipeline.
pub fn kiosk_crop(name: &str) -> Vec<u8> {
    let mut v = Vision::load(&models(), None, 1).unwrap();
    let img = certpoint_face::image::open(face_photo(name))
        .unwrap()
        .to_rgb8();
    let a = v.analyze(&img, false, Wants::default()).unwrap();
    assert_eq!(a.face_count, 1, "{name}");
    v.embed_face(&img, &a.faces[0].bbox).unwrap();
    v.last_crop_jpeg().unwrap()
}

pub fn kiosk_key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

/// A data directory: kiosks K1 (region 110105) and K2 (310115), the roster.
pub struct Agency {
    pub dir: tempfile::TempDir,
    pub storage: Arc<SqliteStorage>,
    pub server: Option<RunningServer>,
}

impl Agency {
    pub fn new() -> Agency {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        for (id, n, token, region) in [("K1", 1, K1, "110105"), ("K2", 2, K2, "310115")] {
            let public = certpoint_protocol::public_key_b64(&kiosk_key(n));
            certpoint_agency::add_kiosk(storage.as_ref(), id, &public, token, region).unwrap();
        }
        let person = |id: &str, name: &str, region: &str| RosterEntry {
            id_number: id.into(),
            name: name.into(),
            region: region.into(),
            status: RosterStatus::Active,
        };
        storage
            .import_roster(&[
                person(ID_A, "Ao Bama", "110105"),
                person(ID_B, "Bai Deng", "110105"),
                person(ID_C, "Chang E", "110105"),
                person(ID_D, "Ding Yi", "310115"),
            ])
            .unwrap();
        Agency {
            dir,
            storage,
            server: None,
        }
    }

    pub fn data(&self) -> &Path {
        self.dir.path()
    }

    /// Starts the server on 127.0.0.1 with matching on (`faces`) or off, and the
    /// bundle key looked for in the data directory.
    pub fn start(&mut self, faces: Option<Arc<Faces>>) {
        let storage: Arc<dyn Storage> = self.storage.clone();
        self.server = Some(
            RunningServer::start_configured(
                "127.0.0.1:0".parse().unwrap(),
                storage,
                None,
                ServerOptions {
                    faces,
                    bundle_key_dir: Some(self.data().to_owned()),
                    ..ServerOptions::default()
                },
            )
            .unwrap(),
        );
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.as_ref().expect("server started").addr
    }

    /// `id`'s status for 2026 as kiosk K1 (or K2 for region 310115) asks for it.
    pub fn status(&self, id: &str) -> String {
        let token = if id == ID_D { K2 } else { K1 };
        let r = request(
            self.addr(),
            "GET",
            &format!("/v1/persons/{id}/status?period=2026"),
            &[("Authorization", &format!("Bearer {token}"))],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["state"].as_str().unwrap().to_owned()
    }

    /// Posts a signed `pending_match` record of `id` from kiosk K1 (seq `seq`), with
    /// `crop` as its face crop; returns the record id after the 201.
    pub fn post_pending(&self, seq: u64, id: &str, crop: Option<&[u8]>) -> String {
        let (kiosk, n, token) = if id == ID_D {
            ("K2", 2, K2)
        } else {
            ("K1", 1, K1)
        };
        let record = pending_record(kiosk, seq, id, crop);
        let body = canonical_json(&record).unwrap();
        let signature = sign_body(&kiosk_key(n), &body);
        let envelope = encode_submission(&body, &signature, crop);
        let record_id = record.record_id.to_string();
        let r = request(
            self.addr(),
            "POST",
            "/v1/certifications",
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Idempotency-Key", &record_id),
                ("Content-Type", "application/json"),
            ],
            envelope.as_bytes(),
        );
        assert_eq!(r.status, 201, "{}", r.text());
        record_id
    }

    /// The server's match of `record_id`, once the matching thread has stored it.
    pub fn wait_for_match(&self, record_id: &str) -> certpoint_agency::storage::RecordMatch {
        wait_for(&format!("the server's match of record {record_id}"), || {
            self.storage.record_match(record_id).unwrap()
        })
    }

    /// Runs the built `certpoint-agency` on this data directory, with the models.
    pub fn cli(&self, args: &[&str]) -> Run {
        let out = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
            .arg("--data")
            .arg(self.data())
            .arg("--models")
            .arg(models())
            .args(args)
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("{e}: {}{}", self.stdout, self.stderr))
    }
}

/// A schema-2 `pending_match` record (no reference when the kiosk asked).
pub fn pending_record(kiosk: &str, seq: u64, id: &str, crop: Option<&[u8]>) -> CertificationRecord {
    let t = chrono::DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap();
    CertificationRecord {
        schema_version: certpoint_protocol::RECORD_SCHEMA_VERSION,
        record_id: uuid::Uuid::now_v7(),
        seq,
        kiosk_id: kiosk.into(),
        site_code: "110105".into(),
        id_number: id.into(),
        period: "2026".into(),
        started_at: t,
        ended_at: t,
        outcome: Outcome::PendingMatch,
        reason: Some("no_reference".into()),
        method: Method::FaceAuto,
        attempt: 1,
        challenges: vec![],
        passive_liveness: Some(certpoint_protocol::Scored {
            score: 0.93,
            threshold: 0.5,
        }),
        face_match: FaceMatch::PendingMatch,
        quality: None,
        photo: crop.map(|c| PhotoRef {
            media_type: "image/jpeg".into(),
            bytes: c.len() as u64,
            sha256: certpoint_agency::parse::hex_sha256(c),
        }),
        models: certpoint_face::Engine::model_hashes(),
        app_version: "0.1.0".into(),
        id_source: None,
        excluded_actions: Vec::new(),
        depth_check: None,
        screen_flash: None,
    }
}

/// Polls `f` until it gives a value; fails after a generous deadline (the matching
/// thread scores a crop in milliseconds; the deadline only bounds a hung test).
pub fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub struct Reply {
    pub status: u16,
    /// Header lines, names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.text()))
    }
}

/// One HTTP/1.1 request on its own connection.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete answer");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}
