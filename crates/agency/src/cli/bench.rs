//! `bench ingest`, `bench status` and `bench roster`: load against a running server
//! (the library's `bench` module does the work; this file parses and prints).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args as ClapArgs, Subcommand};

use crate::bench::fleet::RecordSpec;
use crate::bench::ingest::{self, SendOptions};
use crate::bench::status::{self, RosterSample, StatusLoad};
use crate::bench::{roster, HttpSettings};
use crate::Storage;

#[derive(Debug, Subcommand)]
pub(super) enum BenchCmd {
    /// Upload load: register N throwaway kiosks (real Ed25519 keys) in the server's
    /// storage (the same --data as the server's), send M signed records with ~30 KB
    /// photos from all of them at once as kiosks do (one at a time per kiosk, retried
    /// with the kiosk's backoff on timeouts, refused connections, 429 and 5xx), then read
    /// every record back from storage: stored once, body and photo intact. The records
    /// are `passed` with a face match scored against a `kiosk_cache` reference, so the
    /// server's own face matcher is not part of what is measured.
    /// `--json` prints {"records_per_s","p50_ms","p99_ms","lost","duplicated",…}.
    Ingest(IngestArgs),
    /// Lookup load: C clients ask `GET /v1/persons/{id}/status` for random people of a
    /// roster file (the one imported into the server) for S seconds; one kiosk per
    /// region of the file is registered in the server's storage to ask with.
    /// `--json` prints {"requests_per_s","p50_ms","p99_ms","max_ms","errors",…}.
    Status(StatusArgs),
    /// Write a synthetic roster file (valid ID numbers with check characters, names,
    /// 16 regions, a few suspended and deceased) for `roster import` and `bench status`.
    Roster(RosterArgs),
}

#[derive(Debug, ClapArgs)]
pub(super) struct IngestArgs {
    /// The server's base URL, e.g. http://127.0.0.1:8443.
    #[arg(long)]
    url: String,
    /// Simulated kiosks, each with its own connection.
    #[arg(long, default_value_t = 200)]
    kiosks: usize,
    /// Records in total, shared evenly among the kiosks.
    #[arg(long, default_value_t = 10_000)]
    records: u64,
    /// Records per second for all kiosks together, each kiosk on its own schedule:
    /// the latency at that load. Without it every kiosk sends flat out (the
    /// saturation throughput; latency is then mostly waiting in line).
    #[arg(long)]
    rate: Option<f64>,
    /// Photo size per record, in bytes.
    #[arg(long, default_value_t = 30 * 1024)]
    photo_bytes: usize,
    /// Per-request timeout in seconds (the kiosk's default is 15).
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
    /// Give a record up (it then counts as lost) when it is still not accepted this
    /// many seconds after its first try.
    #[arg(long, default_value_t = 120)]
    give_up_secs: u64,
    /// PEM bundle of the CA that signed an https server's certificate.
    #[arg(long)]
    ca_bundle: Option<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, ClapArgs)]
pub(super) struct StatusArgs {
    /// The server's base URL.
    #[arg(long)]
    url: String,
    /// Concurrent clients.
    #[arg(long, default_value_t = 200)]
    clients: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 30.0)]
    secs: f64,
    /// Requests per second for all clients together, each client on its own schedule:
    /// the latency at that load. Without it every client asks flat out (the
    /// saturation throughput; latency is then mostly waiting in line).
    #[arg(long)]
    rate: Option<f64>,
    /// The roster file imported into the server (`id_number` and `region` columns).
    #[arg(long)]
    roster: PathBuf,
    /// The period asked about.
    #[arg(long, default_value = "2026")]
    period: String,
    #[arg(long, default_value_t = 15)]
    timeout_secs: u64,
    #[arg(long)]
    ca_bundle: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, ClapArgs)]
pub(super) struct RosterArgs {
    /// People to write.
    #[arg(long)]
    rows: u64,
    /// The CSV file to write (it must not exist yet).
    #[arg(long)]
    out: PathBuf,
    /// Another seed gives other people; the same seed, the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

fn http_settings(timeout_secs: u64, ca: &Option<PathBuf>) -> anyhow::Result<HttpSettings> {
    Ok(HttpSettings {
        timeout: Duration::from_secs(timeout_secs.max(1)),
        ca_bundle_pem: match ca {
            Some(p) => Some(std::fs::read(p).with_context(|| format!("reading {}", p.display()))?),
            None => None,
        },
    })
}

/// `bench roster` needs no storage; it runs before the data directory is opened.
pub(super) fn roster(a: &RosterArgs) -> anyhow::Result<ExitCode> {
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&a.out)
        .with_context(|| format!("creating {} (it must not exist yet)", a.out.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let summary = roster::write(&mut out, a.rows, a.seed)
        .with_context(|| format!("writing {}", a.out.display()))?;
    println!(
        "wrote {} people in {} regions to {} (seed {})",
        summary.rows,
        summary.regions,
        a.out.display(),
        summary.seed
    );
    Ok(ExitCode::SUCCESS)
}

pub(super) fn run(storage: Arc<dyn Storage>, cmd: BenchCmd) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCmd::Ingest(a) => {
            let opts = SendOptions {
                http: http_settings(a.timeout_secs, &a.ca_bundle)?,
                give_up_after: Duration::from_secs(a.give_up_secs),
                rate: a.rate,
                ..SendOptions::default()
            };
            let spec = RecordSpec {
                photo_bytes: a.photo_bytes,
                ..RecordSpec::default()
            };
            let r = ingest::run(storage.as_ref(), &a.url, a.kiosks, a.records, spec, &opts)?;
            if a.json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "{} records from {} kiosks in {:.1} s: {:.1} records/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                    r.records, r.kiosks, r.secs, r.records_per_s, r.p50_ms, r.p99_ms, r.max_ms
                );
                println!(
                    "lost {} (damaged {}, given up {}), duplicated {}; {} resends answered as duplicates",
                    r.lost, r.damaged, r.given_up, r.duplicated, r.resent_duplicates
                );
                for (kind, n) in &r.retries {
                    println!("retried: {kind} ×{n}");
                }
                for (why, n) in &r.refused {
                    println!("refused: {why} ×{n}");
                }
            }
            Ok(if r.lost == 0 && r.duplicated == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        BenchCmd::Status(a) => {
            let sample = RosterSample::read(&a.roster)?;
            let http = http_settings(a.timeout_secs, &a.ca_bundle)?;
            let load = StatusLoad {
                clients: a.clients,
                secs: a.secs,
                rate: a.rate,
                period: a.period,
            };
            let r = status::run(storage.as_ref(), &a.url, sample, &load, &http)?;
            if a.json {
                println!("{}", serde_json::to_string(&r)?);
            } else {
                println!(
                    "{} status requests from {} clients in {:.1} s over {} people: {:.1} requests/s; latency p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; {} errors",
                    r.requests, r.clients, r.secs, r.roster_people, r.requests_per_s, r.p50_ms, r.p99_ms, r.max_ms, r.errors
                );
                for (kind, n) in &r.error_kinds {
                    println!("error: {kind} ×{n}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        BenchCmd::Roster(a) => roster(&a),
    }
}
