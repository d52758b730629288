//! Shared pieces of the sync tests: the reference agency server in-process on
//! 127.0.0.1, a kiosk with its own config, store, key and token in a temp dir, a
//! fault-injecting TCP proxy between them, and (`responder`) a fixed person-status
//! answer on 127.0.0.1.

#![allow(dead_code)]

pub mod responder;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use certpoint::config::LoadedConfig;
use certpoint::store::selftest::{synthetic_photo, synthetic_record};
use certpoint::store::Store;
use certpoint::sync::client::{AgencyClient, ClientSettings};
use certpoint::sync::worker::WorkerParts;
use certpoint::sync::{keys, Backoff, SyncWorker};
use certpoint_agency::storage::RecordSummary;
use certpoint_agency::{RunningServer, SqliteStorage, Storage};
use certpoint_protocol::ed25519_dalek::SigningKey;

pub const TOKEN: &str = "test-token-0123456789abcdef";
/// The roster region every test kiosk serves and every enrolled person lives in.
pub const REGION: &str = "110105";

/// A port that was free a moment ago, for a server that starts later.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

pub struct Agency {
    pub dir: tempfile::TempDir,
    pub storage: Arc<SqliteStorage>,
    pub addr: SocketAddr,
    server: Option<RunningServer>,
    tls: Option<Arc<certpoint_agency::tls::ServerConfig>>,
}

impl Agency {
    /// Data directory ready, not listening yet.
    pub fn stopped() -> Agency {
        let dir = tempfile::tempdir().unwrap();
        let storage = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        Agency {
            dir,
            storage,
            addr: free_addr(),
            server: None,
            tls: None,
        }
    }

    /// Serving HTTPS with the test certificate for localhost / 127.0.0.1, which
    /// `tests/fixtures/tls/ca.pem` signs.
    pub fn running_https() -> Agency {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tls");
        let mut a = Agency::stopped();
        a.tls = Some(
            certpoint_agency::tls::server_config(
                &fixtures.join("server.pem"),
                &fixtures.join("server.key"),
            )
            .unwrap(),
        );
        a.start();
        a
    }

    /// Listening on a free port. Nobody knows the URL before, so a port taken between
    /// `free_addr` and the bind (other tests on the machine) is simply replaced.
    pub fn running() -> Agency {
        let mut a = Agency::stopped();
        for _ in 0..5 {
            let storage: Arc<dyn Storage> = a.storage.clone();
            match RunningServer::start_with(a.addr, storage, None) {
                Ok(server) => {
                    a.server = Some(server);
                    return a;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => a.addr = free_addr(),
                Err(e) => panic!("start server: {e}"),
            }
        }
        panic!("no free port for the agency after 5 tries");
    }

    pub fn start(&mut self) {
        let storage: Arc<dyn Storage> = self.storage.clone();
        self.server = Some(
            RunningServer::start_with(self.addr, storage, self.tls.clone()).expect("start server"),
        );
    }

    pub fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.stop();
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    pub fn register(&self, kiosk_id: &str, key: &SigningKey, token: &str) {
        certpoint_agency::add_kiosk(
            self.storage.as_ref(),
            kiosk_id,
            &certpoint_protocol::public_key_b64(key),
            token,
            REGION,
        )
        .unwrap();
    }

    /// Puts `id` on the roster, active, in the kiosks' region (the agency answers
    /// kiosks only about people of their own region).
    pub fn on_roster(&self, id: &str) {
        self.storage
            .import_roster(&[certpoint_agency::storage::RosterEntry {
                id_number: id.into(),
                name: "Test Person".into(),
                region: REGION.into(),
                status: certpoint_agency::storage::RosterStatus::Active,
            }])
            .unwrap();
    }

    pub fn records(&self) -> Vec<RecordSummary> {
        self.storage.records(None).unwrap()
    }

    /// Enrols `photo` (from tests/data/faces) as `id`'s reference, version "ref-v1",
    /// and puts `id` on the roster.
    pub fn enrol(&self, id: &str, photo: &str) {
        self.on_roster(id);
        self.storage
            .put_reference(
                id,
                &certpoint_agency::Reference {
                    version: "ref-v1".into(),
                    media_type: "image/jpeg".into(),
                    bytes: std::fs::read(face(photo)).unwrap(),
                },
            )
            .unwrap();
    }
}

/// A photo of tests/data/faces.
pub fn face(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/faces")
        .join(name)
}

pub struct Kiosk {
    pub dir: tempfile::TempDir,
    pub config_path: PathBuf,
    pub cfg: LoadedConfig,
    pub key: SigningKey,
    pub id: String,
}

impl Kiosk {
    /// A kiosk `id` pointing at `url`, with a fresh signing key and [`TOKEN`].
    pub fn new(id: &str, url: &str, timeout_secs: u64) -> Kiosk {
        Kiosk::with_server_keys(id, url, timeout_secs, "")
    }

    /// As [`new`](Self::new), with more `[server]` lines (e.g. a `ca_bundle`).
    pub fn with_server_keys(id: &str, url: &str, timeout_secs: u64, extra: &str) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
        let text = format!(
            "[kiosk]\nid = \"{id}\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\n\
             [server]\nurl = \"{url}\"\ntoken_file = \"token\"\nrequest_timeout_secs = {timeout_secs}\n{extra}\n\
             [models]\ndir = \"{}/models\"\n\n[voice]\nenabled = false\n",
            env!("CARGO_MANIFEST_DIR")
        );
        let config_path = dir.path().join("kiosk-config.toml");
        std::fs::write(&config_path, text).unwrap();
        let cfg = certpoint::config::load(&config_path).expect("test config loads");
        let key = keys::init_key(&cfg.signing_key_path()).unwrap();
        Kiosk {
            dir,
            config_path,
            cfg,
            key,
            id: id.to_owned(),
        }
    }

    /// Writes a synthetic replay of obama_portrait.jpg performing the challenges the
    /// shipped settings ask for with `seed`, to `<dir>/live`; returns that directory.
    pub fn live_replay(&self, seed: u64) -> PathBuf {
        use certpoint::synth::{write_replay, Synth};
        let cfg = certpoint::config::Config::default();
        let plan =
            certpoint::flow::challenge_plan(&cfg.challenges.set, cfg.challenges.count, seed, 1);
        let mut v = certpoint::vision::Vision::load(&self.cfg.models_dir(), None, 1).unwrap();
        let img = image::open(face("obama_portrait.jpg")).unwrap().to_rgb8();
        let frames = self.dir.path().join("live");
        write_replay(
            &Synth::from_photo(&mut v, &img).unwrap().replay(&plan),
            &frames,
        )
        .unwrap();
        frames
    }

    /// `certpoint certify --json` of `id` on the replay in `frames` with `seed`; the
    /// command must succeed; returns its report.
    pub fn certify(&self, frames: &Path, id: &str, seed: u64) -> serde_json::Value {
        let out = self
            .command()
            .args(["certify", "--camera"])
            .arg(format!("file:{}", frames.display()))
            .args(["--id", id, "--seed", &seed.to_string(), "--json"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "certify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// The `certpoint` binary with this kiosk's `--config`; add the command and run it.
    pub fn command(&self) -> std::process::Command {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_certpoint"));
        cmd.arg("--config").arg(&self.config_path);
        cmd
    }

    pub fn store(&self) -> Store {
        Store::open_in(&self.cfg.data_dir()).unwrap()
    }

    /// Enqueues `n` synthetic records, every third with a 30 KB photo; their ids in order.
    pub fn enqueue(&self, n: usize) -> Vec<String> {
        let mut store = self.store();
        (0..n)
            .map(|i| {
                let photo = (i % 3 == 0).then(|| synthetic_photo(i as u64, 30 * 1024));
                store
                    .enqueue(synthetic_record(&self.id, 1), photo.as_deref())
                    .unwrap()
                    .record_id
            })
            .collect()
    }

    pub fn settings(&self) -> ClientSettings {
        ClientSettings::from_config(&self.cfg).unwrap()
    }

    pub fn client(&self) -> AgencyClient {
        AgencyClient::new(&self.settings()).unwrap()
    }

    /// A worker with short backoff so tests run in seconds.
    pub fn worker(&self) -> SyncWorker {
        SyncWorker::spawn(WorkerParts {
            data_dir: self.cfg.data_dir(),
            store_key: self.cfg.store_key_path(),
            retention_days: self.cfg.config.retention.days,
            client: self.client(),
            key: Ok(self.key.clone()),
            backoff: fast_backoff(),
            idle_poll: Duration::from_secs(30),
        })
    }
}

pub fn fast_backoff() -> Backoff {
    Backoff {
        base: Duration::from_millis(20),
        cap: Duration::from_millis(200),
        max_retry_after: Duration::from_secs(5),
    }
}

/// Polls `f` every 20 ms until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    f()
}

/// What the proxy does with the next request.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward to the server.
    Pass,
    /// Answer this status itself (with `Retry-After` seconds if given).
    Status(u16, Option<u64>),
    /// Forward, but only after this long (past the kiosk's timeout).
    Slow(Duration),
    /// Read a few bytes and drop the connection with the body unread (a reset).
    Reset,
}

/// A TCP proxy in front of the server that handles one request per connection and
/// applies the current [`Fault`]; responses carry `Connection: close` so every request
/// sees the fault in force when it was made.
pub struct FaultProxy {
    pub addr: SocketAddr,
    pub fault: Arc<Mutex<Fault>>,
    /// Requests seen, per fault applied (index: Pass, Status, Slow, Reset).
    pub seen: Arc<[AtomicU64; 4]>,
    /// Instants of requests answered with a status (to check Retry-After).
    pub status_times: Arc<Mutex<Vec<Instant>>>,
}

impl FaultProxy {
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let fault = Arc::new(Mutex::new(Fault::Pass));
        let seen: Arc<[AtomicU64; 4]> = Arc::new(Default::default());
        let status_times = Arc::new(Mutex::new(Vec::new()));
        {
            let (fault, seen, times) = (fault.clone(), seen.clone(), status_times.clone());
            std::thread::spawn(move || {
                for conn in listener.incoming() {
                    let Ok(conn) = conn else { continue };
                    let (fault, seen, times) = (fault.clone(), seen.clone(), times.clone());
                    std::thread::spawn(move || {
                        let _ = handle(conn, upstream, &fault, &seen, &times);
                    });
                }
            });
        }
        FaultProxy {
            addr,
            fault,
            seen,
            status_times,
        }
    }

    pub fn set(&self, f: Fault) {
        *self.fault.lock().unwrap() = f;
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn count(&self, i: usize) -> u64 {
        self.seen[i].load(Ordering::SeqCst)
    }
}

fn handle(
    mut client: TcpStream,
    upstream: SocketAddr,
    fault: &Mutex<Fault>,
    seen: &[AtomicU64; 4],
    times: &Mutex<Vec<Instant>>,
) -> std::io::Result<()> {
    let f = fault.lock().unwrap().clone();
    if f == Fault::Reset {
        seen[3].fetch_add(1, Ordering::SeqCst);
        let mut buf = [0u8; 16];
        let _ = client.read(&mut buf)?;
        // Closing with unread data in the receive buffer makes the kernel send RST.
        return Ok(());
    }
    let request = read_message(&mut client)?;
    match f {
        Fault::Status(code, retry_after) => {
            seen[1].fetch_add(1, Ordering::SeqCst);
            times.lock().unwrap().push(Instant::now());
            let body = format!(r#"{{"error":"internal","message":"injected {code}"}}"#);
            let ra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            write!(
                client,
                "HTTP/1.1 {code} Injected\r\nContent-Type: application/json\r\n{ra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
        }
        Fault::Pass | Fault::Slow(_) => {
            if let Fault::Slow(d) = f {
                seen[2].fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(d);
            } else {
                seen[0].fetch_add(1, Ordering::SeqCst);
            }
            let mut up = TcpStream::connect(upstream)?;
            up.write_all(&request)?;
            let response = read_message(&mut up)?;
            let head_end = find(&response, b"\r\n").unwrap_or(0) + 2;
            client.write_all(&response[..head_end])?;
            client.write_all(b"Connection: close\r\n")?;
            client.write_all(&response[head_end..])?;
        }
        Fault::Reset => unreachable!(),
    }
    client.flush()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 message with a Content-Length body (or none).
fn read_message(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(p) = find(&buf, b"\r\n\r\n") {
            break p + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + len {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(buf)
}
