//! TLS to PostgreSQL (`sslmode` in --database, `--database-ca`) against real clusters that
//! `scripts/pg-cluster` starts for these tests: one with ssl=on and the test certificate
//! of tests/fixtures/tls (signed by ca.pem, for localhost, 127.0.0.1 and ::1), one
//! without TLS. The storage works over a verified link, the link really is TLS (the
//! server's own pg_stat_ssl), and every way the server cannot be verified is refused
//! with a message naming what failed, never the URL's password.
//!
//! Like the other PostgreSQL tests, these fail with the fix (never pass silently) when
//! PostgreSQL's server binaries are missing.

mod storage_suite;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, Weak};

use certpoint_agency::pg::tls::{DatabaseTls, SYSTEM_ROOTS};
use certpoint_agency::photos::PhotoStore;
use certpoint_agency::PgStorage;

/// In every URL; the clusters trust any password, so it must never show in a message.
const PASSWORD: &str = "pw-must-not-show";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo().join("tests/fixtures/tls").join(name)
}

/// A throwaway cluster, stopped and removed on drop.
struct Cluster {
    dir: PathBuf,
    port: u16,
}

impl Cluster {
    fn start(tls: bool) -> Cluster {
        let dir = std::env::temp_dir().join(format!(
            "certpoint-pg-tls.{}",
            uuid::Uuid::now_v7().simple()
        ));
        let mut cmd = Command::new(repo().join("scripts/pg-cluster"));
        cmd.arg("start").arg(&dir).env("CERTPOINT_PG_FSYNC", "off");
        if tls {
            cmd.env("CERTPOINT_PG_TLS_DIR", fixture(""));
        } else {
            cmd.env_remove("CERTPOINT_PG_TLS_DIR");
        }
        let out = cmd.output().expect("run scripts/pg-cluster");
        assert!(
            out.status.success(),
            "scripts/pg-cluster could not start a cluster for the TLS tests: {}. They need \
             PostgreSQL's server binaries: run scripts/setup test (installs the postgresql package)",
            String::from_utf8_lossy(&out.stderr)
        );
        let url = String::from_utf8(out.stdout).unwrap();
        let port = url
            .trim()
            .rsplit_once(':')
            .and_then(|(_, rest)| rest.split('/').next()?.parse().ok())
            .unwrap_or_else(|| panic!("no port in {url:?}"));
        Cluster { dir, port }
    }

    /// The TLS cluster, shared by the tests running at the same time (one initdb, not
    /// one per test) and stopped when the last of them lets go.
    fn tls() -> Arc<Cluster> {
        static SHARED: Mutex<Weak<Cluster>> = Mutex::new(Weak::new());
        let mut shared = SHARED.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = shared.upgrade() {
            return c;
        }
        let c = Arc::new(Cluster::start(true));
        *shared = Arc::downgrade(&c);
        c
    }

    /// A new empty database on this cluster.
    fn database(&self) -> Database<'_> {
        let name = format!("tls_{}", uuid::Uuid::now_v7().simple());
        self.plain_client("certpoint")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        Database {
            cluster: self,
            name,
        }
    }

    /// An administrator's connection without TLS (the clusters allow both).
    fn plain_client(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(
            &format!(
                "postgres://postgres@127.0.0.1:{}/{db}?sslmode=disable",
                self.port
            ),
            postgres::NoTls,
        )
        .unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(repo().join("scripts/pg-cluster"))
            .arg("stop")
            .arg(&self.dir)
            .status();
    }
}

struct Database<'a> {
    cluster: &'a Cluster,
    name: String,
}

impl Database<'_> {
    fn url(&self, host: &str, sslmode: &str) -> String {
        format!(
            "postgres://postgres:{PASSWORD}@{host}:{}/{}?sslmode={sslmode}",
            self.cluster.port, self.name
        )
    }

    /// The storage on `url`, with its key in a directory of its own.
    fn open(&self, url: &str, ca: Option<&Path>) -> Result<(PgStorage, tempfile::TempDir), String> {
        let dir = tempfile::tempdir().unwrap();
        let photos = PhotoStore::in_data(dir.path());
        match PgStorage::open_pooled(url, dir.path(), photos, 4, ca) {
            Ok(s) => Ok((s, dir)),
            Err(e) => {
                let message = e.to_string();
                assert!(!message.contains(PASSWORD), "the password shows: {message}");
                Err(message)
            }
        }
    }

    /// Whether the backends this database's other clients hold are all TLS, and how
    /// many there are: asked of the server, which knows what the link is.
    fn others_on_tls(&self) -> (i64, Option<bool>) {
        let row = self
            .cluster
            .plain_client(&self.name)
            .query_one(
                "SELECT count(*), bool_and(s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                 WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
                &[],
            )
            .unwrap();
        (row.get(0), row.get(1))
    }
}

/// `SELECT ssl FROM pg_stat_ssl` for a connection made with the storage's connector.
fn own_link_is_tls(url: &str, ca: Option<&Path>) -> bool {
    let config: postgres::Config = url.parse().unwrap();
    let tls = DatabaseTls::new(ca, config.get_ssl_mode()).unwrap();
    let mut client = config.connect(tls.connector()).unwrap();
    let ssl: bool = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    ssl
}

#[test]
fn the_storage_works_over_verified_tls() {
    let cluster = Cluster::tls();
    let db = cluster.database();
    let ca = fixture("ca.pem");
    let url = db.url("127.0.0.1", "require");
    let (storage, _dir) = db.open(&url, Some(&ca)).unwrap();
    // A kiosk, a roster, a record and the facts a status lookup is decided from.
    storage_suite::person_facts_come_from_the_index_columns(&storage);
    let (links, all_tls) = db.others_on_tls();
    assert!(links >= 1, "the storage holds no connection");
    assert_eq!(all_tls, Some(true), "a storage connection is not TLS");
    drop(storage);

    assert!(own_link_is_tls(&url, Some(&ca)));
    // The check tells the two apart: the administrator's own plain link says false.
    let plain: bool = cluster
        .plain_client("certpoint")
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap()
        .get(0);
    assert!(!plain);
    // prefer takes the TLS the server offers (and checks it the same way); the
    // certificate's DNS name works as well as its IP address.
    assert!(own_link_is_tls(&db.url("127.0.0.1", "prefer"), Some(&ca)));
    assert!(own_link_is_tls(&db.url("localhost", "require"), Some(&ca)));
}

#[test]
fn a_server_that_cannot_be_verified_is_refused() {
    let cluster = Cluster::tls();
    let db = cluster.database();
    let other = fixture("other-ca.pem");

    let e = db
        .open(&db.url("127.0.0.1", "require"), Some(&other))
        .err()
        .unwrap();
    assert!(
        e.contains(&format!(
            "the server's certificate is not signed by a CA in --database-ca {}",
            other.display()
        )),
        "{e}"
    );
    // prefer does not fall back to plain text when the certificate fails.
    let e = db
        .open(&db.url("127.0.0.1", "prefer"), Some(&other))
        .err()
        .unwrap();
    assert!(e.contains("not signed by a CA in --database-ca"), "{e}");
    // Without --database-ca the system's CAs are asked, and the test CA is not one.
    let e = db
        .open(&db.url("127.0.0.1", "require"), None)
        .err()
        .unwrap();
    assert!(
        e.contains(SYSTEM_ROOTS) && e.contains("--database-ca FILE"),
        "{e}"
    );

    // The right CA, the wrong name: reach 127.0.0.1 while verifying another host name.
    let wrong = format!(
        "{}&hostaddr=127.0.0.1",
        db.url("db.wrong.example", "require")
    );
    let e = db.open(&wrong, Some(&fixture("ca.pem"))).err().unwrap();
    assert!(
        e.contains("not valid for the host name db.wrong.example of --database")
            && e.contains("(it lists localhost, 127.0.0.1, "),
        "{e}"
    );
    assert_eq!(db.others_on_tls().0, 0, "a refused open left a connection");
}

#[test]
fn require_refuses_a_server_without_tls_and_prefer_goes_plain() {
    let cluster = Cluster::start(false);
    let db = cluster.database();
    let ca = fixture("ca.pem");
    let e = db
        .open(&db.url("127.0.0.1", "require"), Some(&ca))
        .err()
        .unwrap();
    assert!(
        e.contains("does not offer TLS and --database asks for sslmode=require")
            && e.contains("ssl = on"),
        "{e}"
    );
    let (storage, _dir) = db.open(&db.url("127.0.0.1", "prefer"), Some(&ca)).unwrap();
    storage_suite::roster_import_upserts(&storage);
    assert_eq!(db.others_on_tls().1, Some(false));
}

fn agency(args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"));
    cmd.arg("--data").arg(data.path()).args(args);
    cmd.env_remove("CERTPOINT_AGENCY_DATABASE")
        .env_remove("CERTPOINT_AGENCY_DATABASE_CA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains(PASSWORD), "the password shows: {stderr}");
    (out.status.code().unwrap_or(-1), stderr)
}

#[test]
fn the_command_line_takes_the_ca_from_the_flag_or_the_environment() {
    let cluster = Cluster::tls();
    let db = cluster.database();
    let url = db.url("127.0.0.1", "require");
    let ca = fixture("ca.pem");
    let ca = ca.to_str().unwrap();
    let (code, stderr) = agency(
        &["kiosk", "list"],
        &[
            ("CERTPOINT_AGENCY_DATABASE", &url),
            ("CERTPOINT_AGENCY_DATABASE_CA", ca),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let other = fixture("other-ca.pem");
    let (code, stderr) = agency(
        &[
            "--database",
            &url,
            "--database-ca",
            other.to_str().unwrap(),
            "kiosk",
            "list",
        ],
        &[],
    );
    assert_ne!(code, 0);
    assert!(
        stderr.contains("not signed by a CA in --database-ca") && stderr.contains("other-ca.pem"),
        "{stderr}"
    );
}

#[test]
fn a_missing_or_empty_ca_file_is_named_with_the_fix() {
    // Read before any connection: nothing listens on port 1.
    let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:1/certpoint?sslmode=require");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-ca.pem");
    let empty = dir.path().join("empty.pem");
    std::fs::write(&empty, "").unwrap();
    for (file, says) in [
        (missing.clone(), "cannot read --database-ca"),
        (empty.clone(), "holds no certificate"),
        // A key, not a certificate.
        (fixture("server.key"), "holds no certificate"),
    ] {
        let (code, stderr) = agency(
            &[
                "--database",
                &url,
                "--database-ca",
                file.to_str().unwrap(),
                "kiosk",
                "list",
            ],
            &[],
        );
        assert_ne!(code, 0);
        assert!(
            stderr.contains(says)
                && stderr.contains(&file.display().to_string())
                && stderr.contains("pass"),
            "{stderr}"
        );
    }
    // Without --database there is nothing to verify: a CA alone is a mistake.
    let (code, stderr) = agency(
        &["--database-ca", missing.to_str().unwrap(), "kiosk", "list"],
        &[],
    );
    assert_ne!(code, 0);
    assert!(stderr.contains("--database"), "{stderr}");
}
