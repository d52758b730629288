//! The command line: `certpoint-agency [serve]` runs the server, the subcommands
//! administer its data directory. Each command parses its flags, calls `service` (or
//! the storage for plain listings) and prints; `main.rs` only calls [`main`].

mod admin;
mod assistance;
mod bench;
mod bundle;
mod people;
mod photos;
mod reference_import;
mod serve;
mod staff;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::faces::FaceArgs;
use crate::photos::PhotoStore;
use crate::service::bundles::DEFAULT_REISSUE_HOURS;
use crate::{PgStorage, SqliteStorage, Storage};

#[derive(Debug, Parser)]
#[command(
    name = "certpoint-agency",
    version,
    about = "Reference central agency server for certpoint kiosks"
)]
pub struct Args {
    /// Address to listen on (when serving).
    #[arg(long, default_value = "127.0.0.1:8443")]
    bind: SocketAddr,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key). Without both, the
    /// server speaks plain HTTP: for 127.0.0.1 or behind a TLS proxy only.
    #[arg(long, requires = "tls_key", env = "CERTPOINT_AGENCY_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, requires = "tls_cert", env = "CERTPOINT_AGENCY_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// Reference photo reads allowed per kiosk and minute (token bucket; a kiosk over
    /// it gets 429 with Retry-After).
    #[arg(
        long,
        default_value_t = 30,
        env = "CERTPOINT_AGENCY_REFERENCE_READS_PER_MINUTE"
    )]
    reference_reads_per_minute: u32,
    /// Reference photo reads a kiosk may make at once before the per-minute rate applies.
    #[arg(
        long,
        default_value_t = 30,
        env = "CERTPOINT_AGENCY_REFERENCE_READ_BURST"
    )]
    reference_read_burst: u32,
    /// Hours after which the offline cache bundle of a region is issued anew even if
    /// nothing in it changed (kiosks count their max_age_days from its time; keep this
    /// well below it). A change (a reference imported, a person suspended) issues a
    /// new one at once.
    #[arg(
        long,
        default_value_t = DEFAULT_REISSUE_HOURS,
        value_parser = clap::value_parser!(u32).range(1..=720),
        env = "CERTPOINT_AGENCY_BUNDLE_REISSUE_HOURS"
    )]
    bundle_reissue_hours: u32,
    /// Directory for the server's SQLite file (records, photos, kiosks, roster,
    /// references), its key, agency.key (made on first use; keep it with backups), and
    /// the bundle-signing key (`bundle key init`).
    #[arg(long, global = true, default_value = "agency-data")]
    data: PathBuf,
    /// Keep the data in PostgreSQL instead of the SQLite file in --data
    /// (postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE; the database must exist, the
    /// schema is made and migrated at start). The keys stay in --data.
    #[arg(long, global = true, env = "CERTPOINT_AGENCY_DATABASE")]
    database: Option<String>,
    /// The CA certificate(s) (PEM) that signed the PostgreSQL server's certificate, for
    /// TLS to --database (the URL's sslmode=require or prefer). Without it the system's
    /// CAs (/etc/ssl/certs/ca-certificates.crt) are trusted. The certificate is always
    /// verified, and its name against the URL's host.
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        requires = "database",
        env = "CERTPOINT_AGENCY_DATABASE_CA"
    )]
    database_ca: Option<PathBuf>,
    /// Connections this process keeps to PostgreSQL (with --database): at most this
    /// many storage calls run at once, the others wait for one. Keep the sum over every
    /// server under the database's max_connections (100 by default).
    #[arg(
        long,
        global = true,
        default_value_t = crate::pg::POOL_SIZE,
        value_parser = parse_pool_size,
        env = "CERTPOINT_AGENCY_DB_POOL"
    )]
    db_pool: usize,
    /// Where face crops and reference photos go (sealed, named by sha256): a directory,
    /// or s3://BUCKET[/PREFIX] (credentials from AWS_* variables; needs a build with
    /// `--features s3`). Default: the `photos` directory in --data.
    #[arg(long, global = true, env = "CERTPOINT_AGENCY_PHOTOS")]
    photos: Option<String>,
    /// The face engine, for server-side matching (`serve`) and `reference import`.
    /// Without the models the server still starts, with matching off.
    #[command(flatten)]
    faces: FaceArgs,
    /// The back office's date (YYYY-MM-DD) instead of today in China: for demos and
    /// tests of the suspension list. Never set it in production.
    #[arg(long, hide = true, env = "CERTPOINT_AGENCY_OFFICE_TODAY")]
    office_today: Option<chrono::NaiveDate>,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the HTTP API (the default).
    Serve,
    /// Registered kiosks.
    #[command(subcommand)]
    Kiosk(admin::KioskCmd),
    /// Read-only credentials for support and audits: they may read any kiosk's
    /// records (`GET /v1/certifications/{id}`) and gap reports, never submit.
    #[command(subcommand)]
    Auditor(admin::AuditorCmd),
    /// The roster of pensioners.
    #[command(subcommand)]
    Roster(people::RosterCmd),
    /// App self-certifications.
    #[command(subcommand)]
    Selfcert(people::SelfcertCmd),
    /// A person's certification status for a period.
    Status(people::StatusArgs),
    /// Reference photos of enrolled persons, and who read them.
    #[command(subcommand)]
    Reference(people::ReferenceCmd),
    /// Received certification records.
    #[command(subcommand)]
    Records(admin::RecordsCmd),
    /// The kiosks' offline reference cache: the bundle-signing key and bundle files.
    #[command(subcommand)]
    Bundle(bundle::BundleCmd),
    /// Back-office accounts (the web pages under /admin/).
    #[command(subcommand)]
    Admin(staff::StaffCmd),
    /// Load generators against a running server (upload and status lookups), and a
    /// synthetic roster file to load it with.
    #[command(subcommand)]
    Bench(bench::BenchCmd),
    /// Certificates of Assistance: verify one from its paper.
    #[command(subcommand)]
    Assistance(assistance::AssistanceCmd),
    /// The photo store: sweep out blobs no row names.
    #[command(subcommand)]
    Photos(photos::PhotosCmd),
}

/// Runs the command line; what `main.rs` calls.
pub fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certpoint-agency: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut args: Args) -> anyhow::Result<ExitCode> {
    // A roster file for a load test touches no data directory.
    if let Some(Cmd::Bench(bench::BenchCmd::Roster(a))) = &args.command {
        return bench::roster(a);
    }
    let storage = open_storage(&args)?;
    match args.command.take() {
        None | Some(Cmd::Serve) => serve::run(&args, storage),
        Some(Cmd::Kiosk(cmd)) => admin::kiosk(storage.as_ref(), cmd),
        Some(Cmd::Auditor(cmd)) => admin::auditor(storage.as_ref(), cmd),
        Some(Cmd::Records(cmd)) => admin::records(storage.as_ref(), cmd),
        Some(Cmd::Roster(cmd)) => people::roster(storage.as_ref(), cmd),
        Some(Cmd::Selfcert(cmd)) => people::selfcert(storage.as_ref(), cmd),
        Some(Cmd::Status(a)) => people::status(storage.as_ref(), a),
        Some(Cmd::Reference(cmd)) => people::reference(storage, &args.faces, cmd),
        Some(Cmd::Bundle(cmd)) => bundle::run(storage, &args.data, cmd),
        Some(Cmd::Admin(cmd)) => staff::run(storage.as_ref(), cmd),
        Some(Cmd::Bench(cmd)) => bench::run(storage, cmd),
        Some(Cmd::Assistance(cmd)) => assistance::run(storage.as_ref(), cmd),
        Some(Cmd::Photos(cmd)) => photos::run(storage.as_ref(), cmd),
    }
}

/// Opens the server's storage as every command that reads or writes it does (the
/// server, the admin commands, the benches): the one place a backend is chosen, the
/// SQLite file in `--data`, or PostgreSQL with `--database` (keys in `--data`).
fn open_storage(args: &Args) -> anyhow::Result<Arc<dyn Storage>> {
    let photos = PhotoStore::from_option(args.photos.as_deref(), &args.data)?;
    Ok(match &args.database {
        Some(url) => Arc::new(
            PgStorage::open_pooled(
                url,
                &args.data,
                photos,
                args.db_pool,
                args.database_ca.as_deref(),
            )
            .with_context(|| {
                format!(
                    "opening the PostgreSQL database of --database (keys in {})",
                    args.data.display()
                )
            })?,
        ),
        None => Arc::new(
            SqliteStorage::open(&args.data, photos)
                .with_context(|| format!("opening the data directory {}", args.data.display()))?,
        ),
    })
}

/// `--db-pool`: 1 to 1000 connections.
fn parse_pool_size(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!(
            "{text:?} is not a connection count from 1 to 1000 (the default is {})",
            crate::pg::POOL_SIZE
        )),
    }
}
