//! `certpoint-agency bench status`: `clients` concurrent clients (tasks on one thread,
//! each with its own keep-alive connection: `client`) asking
//! `GET /v1/persons/{id}/status?period=P` for random people of a roster file, for
//! `secs` seconds: flat out (each client asks again as soon as it has its answer: the
//! saturation throughput, where latency is mostly waiting in line, `clients` /
//! throughput), or at a fixed total `rate`, each client on its own schedule, latency
//! counted from when the question was due (a client that falls behind is not hidden).
//!
//! The roster file is the one imported into the server (`roster import`; `bench roster`
//! makes one). A kiosk may look up only its own region's people, so the bench
//! registers one kiosk per region of the file and asks each question with the token of
//! the person's region. Every answer but a 200 is an error, counted by kind.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use certpoint_protocol::ed25519_dalek::SigningKey;
use certpoint_protocol::public_key_b64;

use super::client;
use super::http::{self, HttpSettings};
use super::stats::{Latencies, SplitMix};
use super::{hex, os_random, BenchError};
use crate::service::kiosks::add_kiosk;
use crate::storage::Storage;

/// Regions a roster file may have for this bench (one kiosk is registered per region).
pub const MAX_REGIONS: usize = 1000;

/// The people of a roster file, compactly: 3 million cost ~60 MB.
pub struct RosterSample {
    ids: Vec<[u8; 18]>,
    region_of: Vec<u16>,
    regions: Vec<String>,
}

impl RosterSample {
    /// Reads `id_number` and `region` of every row of a roster file.
    pub fn read(path: &Path) -> Result<RosterSample, BenchError> {
        let shown = path.display().to_string();
        let file_err = |detail: String| BenchError::File {
            path: shown.clone(),
            detail,
        };
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_path(path)
            .map_err(|e| file_err(e.to_string()))?;
        let header = reader
            .byte_headers()
            .map_err(|e| file_err(e.to_string()))?
            .clone();
        let column = |name: &str| {
            header
                .iter()
                .position(|h| h.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(h) == name.as_bytes())
                .ok_or_else(|| {
                    file_err(format!(
                        "no {name} column; a roster file starts with id_number,name,region,status"
                    ))
                })
        };
        let (id_col, region_col) = (column("id_number")?, column("region")?);
        let mut sample = RosterSample {
            ids: Vec::new(),
            region_of: Vec::new(),
            regions: Vec::new(),
        };
        let mut region_ix: HashMap<Vec<u8>, u16> = HashMap::new();
        for (n, row) in reader.byte_records().enumerate() {
            let row = row.map_err(|e| file_err(e.to_string()))?;
            let line = n + 2;
            let id: [u8; 18] = row
                .get(id_col)
                .and_then(|f| f.try_into().ok())
                .ok_or_else(|| file_err(format!("line {line}: id_number is not 18 characters")))?;
            let region = row.get(region_col).unwrap_or_default();
            let next = region_ix.len();
            let ix = *region_ix.entry(region.to_vec()).or_insert(next as u16);
            if region_ix.len() > MAX_REGIONS {
                return Err(file_err(format!(
                    "more than {MAX_REGIONS} regions; bench status registers one kiosk per region"
                )));
            }
            if ix as usize == sample.regions.len() {
                sample.regions.push(
                    String::from_utf8(region.to_vec())
                        .map_err(|_| file_err(format!("line {line}: the region is not UTF-8")))?,
                );
            }
            sample.ids.push(id);
            sample.region_of.push(ix);
        }
        if sample.ids.is_empty() {
            return Err(file_err("no people in it".into()));
        }
        Ok(sample)
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// `bench status --json`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub requests_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: u64,
    pub requests: u64,
    pub clients: usize,
    pub secs: f64,
    pub roster_people: usize,
    /// The `--rate` asked for (requests/s), or `None` for flat out.
    pub rate: Option<f64>,
    /// Errors by kind (`HTTP 403`, `timeout`, …).
    pub error_kinds: BTreeMap<String, u64>,
}

#[derive(Default)]
struct ClientStats {
    latencies: Latencies,
    errors: BTreeMap<String, u64>,
}

/// How to load.
#[derive(Debug, Clone)]
pub struct StatusLoad {
    pub clients: usize,
    pub secs: f64,
    /// Requests per second for all clients together; `None`: flat out.
    pub rate: Option<f64>,
    pub period: String,
}

/// Registers a kiosk per region of `roster`, then runs the clients.
pub fn run(
    storage: &dyn Storage,
    url: &str,
    roster: RosterSample,
    load: &StatusLoad,
    http_settings: &HttpSettings,
) -> Result<StatusReport, BenchError> {
    let StatusLoad {
        clients,
        secs,
        rate,
        ref period,
    } = *load;
    if clients == 0 || !secs.is_finite() || secs <= 0.0 {
        return Err(BenchError::Invalid(
            "--clients must be at least 1 and --secs above 0".into(),
        ));
    }
    if rate.is_some_and(|r| !r.is_finite() || r <= 0.0) {
        return Err(BenchError::Invalid("--rate must be above 0".into()));
    }
    let interval = rate.map(|r| Duration::from_secs_f64(clients as f64 / r));
    let base = http::base_url(url)?;
    let run_id = hex(&os_random::<4>()?);
    let mut auth = Vec::with_capacity(roster.regions.len());
    let mut first_kiosk = String::new();
    for (i, region) in roster.regions.iter().enumerate() {
        let key = SigningKey::from_bytes(&os_random::<32>()?);
        let token = hex(&os_random::<32>()?);
        let kiosk_id = format!("bench-status-{run_id}-{i:03}");
        add_kiosk(storage, &kiosk_id, &public_key_b64(&key), &token, region)?;
        if i == 0 {
            first_kiosk = kiosk_id;
        }
        auth.push(format!("Bearer {token}"));
    }
    let target = Arc::new(client::Target::new(&base, http_settings)?);
    let agent = http::agent(http_settings)?;
    http::preflight(&agent, &base, &first_kiosk, &auth[0])?;
    let shared = Arc::new((roster, auth, period.clone()));
    let duration = Duration::from_secs_f64(secs);
    let seed = u64::from_le_bytes(os_random::<8>()?);
    // One thread for every client (see `client`): the load generator stays a small
    // share of the machine it shares with the server.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(BenchError::Thread)?;
    let (began, results) = runtime.block_on(async {
        let began = Instant::now();
        let tasks = (0..clients)
            .map(|c| {
                let (shared, target) = (shared.clone(), target.clone());
                tokio::spawn(async move {
                    let (roster, auth, period) = &*shared;
                    let mut rng = SplitMix::new(seed ^ (c as u64).wrapping_mul(0x9E37_79B9));
                    let mut client = client::Client::new(target);
                    let mut stats = ClientStats::default();
                    let mut next = interval.map(|i| began + i.mul_f64(rng.unit()));
                    while began.elapsed() < duration {
                        let due = match (next, interval) {
                            (Some(slot), Some(i)) => {
                                tokio::time::sleep_until(slot.into()).await;
                                next = Some(slot + i);
                                slot
                            }
                            _ => Instant::now(),
                        };
                        let i = rng.below(roster.ids.len() as u64) as usize;
                        let id = std::str::from_utf8(&roster.ids[i]).unwrap_or("");
                        let path = format!("/v1/persons/{id}/status?period={period}");
                        let auth = &auth[roster.region_of[i] as usize];
                        match client.get(&path, auth).await {
                            Ok(200) => stats.latencies.push(due.elapsed()),
                            Ok(s) => *stats.errors.entry(format!("HTTP {s}")).or_default() += 1,
                            Err(kind) => *stats.errors.entry(kind).or_default() += 1,
                        }
                    }
                    stats
                })
            })
            .collect::<Vec<_>>();
        let mut results = Vec::with_capacity(clients);
        for t in tasks {
            results.push(t.await.expect("a bench client task panicked"));
        }
        (began, results)
    });
    let mut latencies = Latencies::default();
    let mut error_kinds: BTreeMap<String, u64> = BTreeMap::new();
    for s in results {
        latencies.append(s.latencies);
        for (k, v) in s.errors {
            *error_kinds.entry(k).or_default() += v;
        }
    }
    let wall = began.elapsed().as_secs_f64();
    let errors: u64 = error_kinds.values().sum();
    let ok = latencies.len() as u64;
    let lat = latencies.summary();
    Ok(StatusReport {
        requests_per_s: ((ok + errors) as f64 / wall * 10.0).round() / 10.0,
        p50_ms: lat.p50_ms,
        p99_ms: lat.p99_ms,
        max_ms: lat.max_ms,
        errors,
        requests: ok + errors,
        clients,
        secs: (wall * 1000.0).round() / 1000.0,
        roster_people: shared.0.len(),
        rate,
        error_kinds,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{RunningServer, SqliteStorage};

    /// A generated roster imported into a real server: every answer is a 200.
    #[test]
    fn asks_random_people_of_the_roster() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        let file = dir.path().join("roster.csv");
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file).unwrap());
        crate::bench::roster::write(&mut out, 300, 9).unwrap();
        drop(out);
        let entries = crate::service::roster::parse(&std::fs::read(&file).unwrap()).unwrap();
        storage.import_roster(&entries).unwrap();
        let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage.clone()).unwrap();
        let sample = RosterSample::read(&file).unwrap();
        assert_eq!(sample.len(), 300);
        let report = run(
            storage.as_ref(),
            &server.url(),
            sample,
            &StatusLoad {
                clients: 3,
                secs: 0.5,
                rate: None,
                period: "2026".into(),
            },
            &HttpSettings::default(),
        )
        .unwrap();
        assert_eq!(report.errors, 0, "{report:?}");
        assert!(report.requests > 0 && report.p99_ms > 0.0, "{report:?}");
    }
}
