//! The agency survives `kill -9` in the middle of an ingest: the real `certpoint-agency`
//! binary serves on 127.0.0.1 while kiosks (the `bench ingest` fleet: real keys, signed
//! records with 30 KB photos, the kiosk's retry rules) upload concurrently; the server
//! is killed with SIGKILL several times at spread-out points of the upload and started
//! again on the same port and storage; the kiosks keep retrying through the outages.
//! Afterwards everything is sent once more, and the storage, reopened after a last
//! kill, must hold every record exactly once with the body and photo that were sent,
//! and no gap in any kiosk's sequence.
//!
//! A 201 is only sent after the commit (SQLite `synchronous=FULL`), so what a kiosk
//! saw acknowledged must be there; what was in flight at the kill must come back as
//! either a new record or a duplicate on resend, never twice and never torn.
//!
//! The test is written once over a [`Backend`] and runs on SQLite and on PostgreSQL
//! (`--database`, a fresh database on the cluster `scripts/test` starts).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint_agency::bench::fleet::{Fleet, RecordSpec};
use certpoint_agency::bench::ingest::{self, SendOptions, Verification};
use certpoint_agency::bench::Backoff;
use certpoint_agency::{SqliteStorage, Storage};

#[path = "pg_support/mod.rs"]
mod pg_support;

const KIOSKS: usize = 16;
const RECORDS: u64 = 640;
const KILLS: u64 = 8;

/// A storage backend for the server binary and for this process.
struct Backend {
    /// What selects it on the server's command line.
    server_args: Vec<String>,
    /// The data directory (`--data`): the SQLite file, the sealing key, the logs.
    data: PathBuf,
    /// Opens the same storage here (registering the kiosks, checking afterwards).
    open: Box<dyn Fn() -> Arc<dyn Storage>>,
    /// Whatever must live as long as the test (the temporary directory, a database
    /// dropped on drop).
    _guard: Box<dyn std::any::Any>,
}

fn sqlite_backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let opened = data.clone();
    Backend {
        server_args: vec!["--data".into(), data.display().to_string()],
        data,
        open: Box::new(move || Arc::new(SqliteStorage::open_in(&opened).unwrap())),
        _guard: Box::new(dir),
    }
}

/// A fresh database on the throwaway cluster `scripts/test` starts
/// (`CERTPOINT_TEST_POSTGRES`; without it the test fails naming `scripts/test`); keys
/// and the photo store stay in the data directory.
fn postgres_backend() -> Backend {
    let db = pg_support::FreshDatabase::new();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (url, opened) = (db.url.clone(), data.clone());
    Backend {
        server_args: vec![
            "--data".into(),
            data.display().to_string(),
            "--database".into(),
            db.url.clone(),
        ],
        data,
        open: Box::new(move || Arc::new(certpoint_agency::PgStorage::open(&url, &opened).unwrap())),
        _guard: Box::new((dir, db)),
    }
}

#[test]
fn postgres_ingest_survives_kill_9() {
    kill_9_mid_ingest(postgres_backend());
}

#[test]
fn sqlite_ingest_survives_kill_9() {
    kill_9_mid_ingest(sqlite_backend());
}

/// The server binary as a child process.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts `certpoint-agency serve` on `port` (0: any) and waits for its
    /// "listening on" line.
    fn start(backend: &Backend, port: u16) -> Server {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let mut child = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
                .args(&backend.server_args)
                .args(["--bind", &format!("127.0.0.1:{port}"), "serve"])
                // No face models: matching is off and start-up is quick.
                .env("CERTPOINT_AGENCY_MODELS", backend.data.join("no-models"))
                .env("RUST_LOG", "info")
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start certpoint-agency");
            let stderr = child.stderr.take().unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            // Drains the log for the child's whole life (a full pipe would block it).
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    if let Some(rest) = line.split("listening on http://").nth(1) {
                        let addr = rest.split_whitespace().next().unwrap_or("").to_owned();
                        let _ = tx.send(addr);
                    }
                }
            });
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(addr) => {
                    return Server {
                        child,
                        addr: addr.parse().unwrap(),
                    }
                }
                // Exited without listening: the port may still be held for a moment.
                Err(_) if Instant::now() < deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(_) => panic!("the server never listened on port {port}"),
            }
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn kill_9(mut self) {
        self.child.kill().expect("kill -9"); // SIGKILL on Unix
        let status = self.child.wait().unwrap();
        assert!(!status.success(), "the server had ended before the kill");
    }
}

fn stored(storage: &dyn Storage) -> usize {
    storage.records(None).unwrap().len()
}

fn kill_9_mid_ingest(backend: Backend) {
    let storage = (backend.open)();
    let fleet = Arc::new(
        Fleet::register(storage.as_ref(), KIOSKS, RECORDS, RecordSpec::default()).unwrap(),
    );
    let opts = SendOptions {
        // The kiosk's shape, quicker: the test should not sit in backoff.
        backoff: Backoff {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(500),
        },
        give_up_after: Duration::from_secs(90),
        // Paced, so the upload outlasts the last kill however fast the machine is
        // (kiosks behind schedule after an outage catch up flat out).
        rate: Some(400.0),
        ..SendOptions::default()
    };
    let mut server = Server::start(&backend, 0);
    let port = server.addr.port();
    let url = server.url();
    let sender = {
        let (fleet, url, opts) = (fleet.clone(), url.clone(), opts.clone());
        std::thread::spawn(move || ingest::send(&fleet, &url, &opts).unwrap())
    };
    // Kill when the store has grown by another share of the upload, so every kill
    // lands mid-ingest however fast this machine is, at a different point each time.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut stored_at_kills = Vec::new();
    for kill in 1..=KILLS {
        let target = (RECORDS * kill / (KILLS + 1)) as usize;
        let deadline = Instant::now() + Duration::from_secs(120);
        while stored(storage.as_ref()) < target {
            assert!(
                Instant::now() < deadline,
                "kill {kill}: the upload stalled below {target} records"
            );
            std::thread::sleep(Duration::from_millis(2));
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::thread::sleep(Duration::from_micros(x % 20_000));
        server.kill_9();
        stored_at_kills.push(stored(storage.as_ref()));
        server = Server::start(&backend, port);
    }
    let sent = sender.join().unwrap();
    assert!(
        *stored_at_kills.last().unwrap() < RECORDS as usize,
        "the last kill came after the upload ended: {stored_at_kills:?}"
    );
    assert_eq!(sent.given_up, 0, "{sent:?}");
    assert!(sent.refused.is_empty(), "{sent:?}");
    assert_eq!(sent.created + sent.duplicates, RECORDS, "{sent:?}");
    assert!(
        sent.retries.values().sum::<u64>() > 0,
        "no request failed, so no kill hit the upload: {sent:?}"
    );

    // Resend everything: all of it is already there.
    let again = ingest::send(&fleet, &url, &opts).unwrap();
    assert_eq!((again.created, again.duplicates), (0, RECORDS), "{again:?}");

    // One last crash, then read everything back from a freshly opened storage.
    server.kill_9();
    drop(storage);
    let storage = (backend.open)();
    let v = ingest::verify(storage.as_ref(), &fleet).unwrap();
    assert_eq!(
        v,
        Verification {
            intact: RECORDS,
            lost: 0,
            duplicated: 0,
            damaged: 0
        }
    );
    for k in &fleet.kiosks {
        let gaps = storage.gaps(&k.kiosk_id).unwrap();
        assert_eq!(
            (gaps.received, gaps.max_seq, gaps.missing.len()),
            (k.records, k.records, 0),
            "{}",
            k.kiosk_id
        );
    }
    assert_eq!(stored(storage.as_ref()), RECORDS as usize);
    eprintln!(
        "crash_ingest: {KILLS} kills at {stored_at_kills:?} stored records; {} created, {} resent as duplicates, retries {:?}",
        sent.created, sent.duplicates, sent.retries
    );
}
