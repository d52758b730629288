//! The built server on PostgreSQL (`--database`), over real HTTP on 127.0.0.1: the
//! administrator's commands and the server share one database, a kiosk's record is
//! stored once however often it is sent (also across a restart), and the status
//! endpoint answers from it. The base the ingest load generator and the kill -9 test
//! build on.

mod agency_support;
mod pg_support;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agency_support::{kiosk_key, pending_record, request, Run, ID_A, K1};
use certpoint_protocol::{canonical_json, encode_submission, sign_body};

fn agency(data: &Path, url: &str, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
        .arg("--data")
        .arg(data)
        .env("CERTPOINT_AGENCY_DATABASE", url)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

struct Server(Child, SocketAddr);

impl Server {
    /// `certpoint-agency serve` with `--database url`, once it answers health.
    fn start(data: &Path, url: &str) -> Server {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
            .arg("--data")
            .arg(data)
            .args(["--database", url, "--bind", &addr.to_string(), "--models"])
            .arg(data.join("no-models"))
            .arg("serve")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "the server never listened on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Server(child, addr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_server_stores_and_answers_from_postgresql() {
    let db = pg_support::FreshDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path();
    let token_file = data.join("k1.token");
    std::fs::write(&token_file, K1).unwrap();
    let public = certpoint_protocol::public_key_b64(&kiosk_key(1));
    let r = agency(
        data,
        &db.url,
        &[
            "kiosk",
            "add",
            "--id",
            "K1",
            "--public-key",
            &public,
            "--region",
            "110105",
            "--token-file",
            token_file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let roster = data.join("roster.csv");
    std::fs::write(
        &roster,
        format!("id_number,name,region,status\n{ID_A},Ao Bama,110105,active\n"),
    )
    .unwrap();
    let r = agency(
        data,
        &db.url,
        &["roster", "import", roster.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1 inserted"), "{}", r.stdout);

    let record = pending_record("K1", 1, ID_A, Some(b"\xff\xd8\xff crop"));
    let body = canonical_json(&record).unwrap();
    let envelope = encode_submission(
        &body,
        &sign_body(&kiosk_key(1), &body),
        Some(b"\xff\xd8\xff crop"),
    );
    let record_id = record.record_id.to_string();
    let auth = format!("Bearer {K1}");
    let post = |addr| {
        request(
            addr,
            "POST",
            "/v1/certifications",
            &[
                ("Authorization", auth.as_str()),
                ("Idempotency-Key", record_id.as_str()),
                ("Content-Type", "application/json"),
            ],
            envelope.as_bytes(),
        )
    };
    let status = |addr| {
        let r = request(
            addr,
            "GET",
            &format!("/v1/persons/{ID_A}/status?period=2026"),
            &[("Authorization", auth.as_str())],
            b"",
        );
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["state"].as_str().unwrap().to_owned()
    };

    let server = Server::start(data, &db.url);
    assert_eq!(post(server.1).status, 201);
    assert_eq!(post(server.1).status, 200, "a repeat is a duplicate");
    assert_eq!(status(server.1), "pending_review");
    drop(server);

    // Another server on the same database (and key) knows the record.
    let server = Server::start(data, &db.url);
    assert_eq!(post(server.1).status, 200);
    let r = agency(data, &db.url, &["records", "list"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    assert!(r.stdout.contains(&record_id), "{}", r.stdout);

    // Without the key the database was sealed with, nothing starts.
    std::fs::rename(data.join("agency.key"), data.join("agency.key.moved")).unwrap();
    let r = agency(data, &db.url, &["kiosk", "list"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("agency.key is missing"), "{}", r.stderr);
}
