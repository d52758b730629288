//! `certpoint-agency bench ingest`: many kiosks uploading at once, then a check that
//! every record arrived exactly once and whole.
//!
//! Each kiosk is one thread with one keep-alive connection sending its records one at a
//! time in `seq` order, as the kiosk's drain loop does; a transient failure (timeout,
//! refused or reset connection, 408/429/5xx) is retried after the kiosk's backoff with
//! the *same* record id and body, so a record whose first answer was lost comes back as
//! a duplicate (200), never as a second row. All kiosks start together; the clock runs
//! from the start until the last kiosk is done.
//!
//! Two ways to load: flat out (each kiosk sends its next record as soon as the last is
//! answered: the server's saturation throughput, where latency is mostly queueing,
//! 200 kiosks / throughput by Little's law), or at a fixed total `rate` (each kiosk
//! sends on its own schedule, first slots spread over one interval: latency at that
//! load). A record's latency runs from when it was due (its slot; flat out, when its
//! kiosk turned to it) to its acceptance, retries included, so a stall is never hidden
//! by a kiosk that fell behind its schedule (no coordinated omission). Failed exchanges
//! are also counted as retries by kind.
//! Verification reads the server's storage: each record must be stored once under its
//! id with the signed body and the photo byte for byte.

use std::collections::BTreeMap;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::fleet::Fleet;
use super::http::{self, Answer, Backoff, HttpSettings};
use super::stats::{Latencies, SplitMix};
use super::BenchError;
use crate::parse::hex_sha256;
use crate::storage::Storage;

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    pub http: HttpSettings,
    pub backoff: Backoff,
    /// A record still not accepted this long after its first try is given up (and
    /// will count as lost); the kiosk never gives up, a bench run has to end.
    pub give_up_after: Duration,
    /// Records per second for the whole fleet; `None`: flat out.
    pub rate: Option<f64>,
}

impl Default for SendOptions {
    fn default() -> Self {
        SendOptions {
            http: HttpSettings::default(),
            backoff: Backoff::default(),
            give_up_after: Duration::from_secs(120),
            rate: None,
        }
    }
}

/// What the sending side saw.
#[derive(Debug, Default)]
pub struct SendStats {
    /// 201: stored now.
    pub created: u64,
    /// 200: the server already had it (a resend whose first answer was lost).
    pub duplicates: u64,
    /// Refused for good (4xx other than 408/429), by status and reason.
    pub refused: BTreeMap<String, u64>,
    /// Records given up after [`SendOptions::give_up_after`].
    pub given_up: u64,
    /// Failed exchanges that were retried, by kind.
    pub retries: BTreeMap<String, u64>,
    /// Accepted records, from when each was due.
    pub latencies: Latencies,
    /// From the common start to the last kiosk done.
    pub wall: Duration,
}

impl SendStats {
    fn merge(&mut self, other: SendStats) {
        self.created += other.created;
        self.duplicates += other.duplicates;
        self.given_up += other.given_up;
        for (k, v) in other.refused {
            *self.refused.entry(k).or_default() += v;
        }
        for (k, v) in other.retries {
            *self.retries.entry(k).or_default() += v;
        }
        self.latencies.append(other.latencies);
    }
}

/// Sends every record of `fleet` to `url`, all kiosks at once.
pub fn send(fleet: &Arc<Fleet>, url: &str, opts: &SendOptions) -> Result<SendStats, BenchError> {
    let base = http::base_url(url)?;
    if opts.rate.is_some_and(|r| !r.is_finite() || r <= 0.0) {
        return Err(BenchError::Invalid("--rate must be above 0".into()));
    }
    // Built before the start so a bad CA bundle fails here, not in 200 threads.
    let agents = fleet
        .kiosks
        .iter()
        .map(|_| http::agent(&opts.http))
        .collect::<Result<Vec<_>, _>>()?;
    let start = Arc::new(Barrier::new(fleet.kiosks.len() + 1));
    let mut threads = Vec::with_capacity(agents.len());
    for (i, agent) in agents.into_iter().enumerate() {
        let (fleet, start, base, opts) = (fleet.clone(), start.clone(), base.clone(), opts.clone());
        let t = std::thread::Builder::new()
            .name(format!("bench-kiosk-{i}"))
            .spawn(move || {
                start.wait();
                send_kiosk(&fleet, i, &agent, &base, &opts)
            })
            .map_err(BenchError::Thread)?;
        threads.push(t);
    }
    start.wait();
    let began = Instant::now();
    let mut total = SendStats::default();
    for t in threads {
        total.merge(t.join().expect("a bench kiosk thread panicked"));
    }
    total.wall = began.elapsed();
    Ok(total)
}

fn send_kiosk(
    fleet: &Fleet,
    kiosk: usize,
    agent: &ureq::Agent,
    base: &str,
    opts: &SendOptions,
) -> SendStats {
    let k = &fleet.kiosks[kiosk];
    let mut stats = SendStats::default();
    let mut rng = SplitMix::new(kiosk as u64 ^ 0x5EED);
    let began = Instant::now();
    // Each kiosk's share of the rate; the first slot somewhere in the first interval.
    let interval = opts
        .rate
        .map(|r| Duration::from_secs_f64(fleet.kiosks.len() as f64 / r));
    let offset = interval.map(|i| i.mul_f64(rng.unit()));
    for seq in 1..=k.records {
        let rec = fleet.record(kiosk, seq);
        let due = match (interval, offset) {
            (Some(i), Some(o)) => {
                let slot = began + o + i.saturating_mul(u32::try_from(seq - 1).unwrap_or(u32::MAX));
                if let Some(wait) = slot.checked_duration_since(Instant::now()) {
                    std::thread::sleep(wait);
                }
                slot
            }
            _ => Instant::now(),
        };
        let first_try = Instant::now();
        let mut attempt = 0u32;
        loop {
            match http::post_record(
                agent,
                base,
                &k.auth_header,
                &rec.record_id,
                rec.envelope.as_bytes(),
            ) {
                Answer::Accepted { duplicate } => {
                    stats.latencies.push(due.elapsed());
                    if duplicate {
                        stats.duplicates += 1;
                    } else {
                        stats.created += 1;
                    }
                    break;
                }
                Answer::Refused { status, reason } => {
                    *stats
                        .refused
                        .entry(format!("HTTP {status}: {reason}"))
                        .or_default() += 1;
                    break;
                }
                Answer::Retry { kind, retry_after } => {
                    *stats.retries.entry(kind).or_default() += 1;
                    let wait = opts.backoff.delay(attempt, rng.unit(), retry_after);
                    if first_try.elapsed() + wait > opts.give_up_after {
                        stats.given_up += 1;
                        break;
                    }
                    std::thread::sleep(wait);
                    attempt = attempt.saturating_add(1);
                }
            }
        }
    }
    stats
}

/// What the server's storage holds of the fleet's records.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Records stored with the body and photo that were sent.
    pub intact: u64,
    /// Records not stored, or stored with another body or photo (`damaged`).
    pub lost: u64,
    /// Stored rows beyond one per record sent.
    pub duplicated: u64,
    /// Of `lost`: stored, but body or photo differ from what was sent.
    pub damaged: u64,
}

/// Reads every record of `fleet` back from `storage`.
pub fn verify(storage: &dyn Storage, fleet: &Fleet) -> Result<Verification, BenchError> {
    let mut v = Verification::default();
    for (i, k) in fleet.kiosks.iter().enumerate() {
        let mut stored: BTreeMap<String, u64> = BTreeMap::new();
        for row in storage.records(Some(&k.kiosk_id))? {
            *stored.entry(row.record_id).or_default() += 1;
        }
        let rows: u64 = stored.values().sum();
        let mut found = 0u64;
        for seq in 1..=k.records {
            let rec = fleet.record(i, seq);
            if !stored.contains_key(&rec.record_id) {
                v.lost += 1;
                continue;
            }
            found += 1;
            let body_ok = storage
                .certification(&rec.record_id)?
                .is_some_and(|c| c.signed_body == rec.body && c.photo_stored);
            let photo_ok = storage.photo(&rec.record_id)?.is_some_and(|p| {
                p.len() == rec.photo.len() && hex_sha256(&p) == hex_sha256(&rec.photo)
            });
            if body_ok && photo_ok {
                v.intact += 1;
            } else {
                v.damaged += 1;
                v.lost += 1;
            }
        }
        v.duplicated += rows - found;
    }
    Ok(v)
}

/// `bench ingest --json`: the five agreed figures first, then the detail.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    pub records_per_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub lost: u64,
    pub duplicated: u64,
    pub max_ms: f64,
    pub kiosks: usize,
    pub records: u64,
    pub secs: f64,
    pub created: u64,
    /// Accepted as duplicates: resends after a lost answer (not stored twice).
    pub resent_duplicates: u64,
    pub damaged: u64,
    pub given_up: u64,
    pub refused: BTreeMap<String, u64>,
    pub retries: BTreeMap<String, u64>,
    pub photo_bytes: usize,
    /// The `--rate` asked for (records/s), or `None` for flat out.
    pub rate: Option<f64>,
    pub run_id: String,
}

/// Registers the fleet, sends everything, verifies.
pub fn run(
    storage: &dyn Storage,
    url: &str,
    kiosks: usize,
    records: u64,
    spec: super::fleet::RecordSpec,
    opts: &SendOptions,
) -> Result<IngestReport, BenchError> {
    if records == 0 {
        return Err(BenchError::Invalid("--records must be at least 1".into()));
    }
    let photo_bytes = spec.photo_bytes;
    let fleet = Arc::new(Fleet::register(storage, kiosks, records, spec)?);
    let k = &fleet.kiosks[0];
    http::preflight(
        &http::agent(&opts.http)?,
        &http::base_url(url)?,
        &k.kiosk_id,
        &k.auth_header,
    )?;
    let mut sent = send(&fleet, url, opts)?;
    let checked = verify(storage, &fleet)?;
    let lat = sent.latencies.summary();
    let secs = sent.wall.as_secs_f64();
    let accepted = sent.created + sent.duplicates;
    Ok(IngestReport {
        records_per_s: if secs > 0.0 {
            (accepted as f64 / secs * 10.0).round() / 10.0
        } else {
            0.0
        },
        p50_ms: lat.p50_ms,
        p99_ms: lat.p99_ms,
        lost: checked.lost,
        duplicated: checked.duplicated,
        max_ms: lat.max_ms,
        kiosks,
        records: fleet.total_records(),
        secs: (secs * 1000.0).round() / 1000.0,
        created: sent.created,
        resent_duplicates: sent.duplicates,
        damaged: checked.damaged,
        given_up: sent.given_up,
        refused: sent.refused,
        retries: sent.retries,
        photo_bytes,
        rate: opts.rate,
        run_id: fleet.run_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::fleet::RecordSpec;
    use crate::{RunningServer, SqliteStorage};

    /// Against the real server on 127.0.0.1: everything arrives once, whole; a second
    /// pass of the same records is all duplicates and stores nothing new.
    #[test]
    fn every_record_arrives_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(dir.path()).unwrap());
        let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage.clone()).unwrap();
        let report = run(
            storage.as_ref(),
            &server.url(),
            4,
            30,
            RecordSpec::default(),
            &SendOptions::default(),
        )
        .unwrap();
        assert_eq!(
            (
                report.lost,
                report.duplicated,
                report.created,
                report.records
            ),
            (0, 0, 30, 30),
            "{report:?}"
        );
        assert!(report.p99_ms > 0.0 && report.records_per_s > 0.0);
        let json = serde_json::to_string(&report).unwrap();
        assert!(
            json.starts_with(r#"{"records_per_s":"#)
                && json.contains(r#","p50_ms":"#)
                && json.contains(r#","duplicated":0,"#),
            "{json}"
        );

        // The same fleet again: nothing new is stored.
        let fleet =
            Arc::new(Fleet::register(storage.as_ref(), 2, 6, RecordSpec::default()).unwrap());
        let first = send(&fleet, &server.url(), &SendOptions::default()).unwrap();
        let again = send(&fleet, &server.url(), &SendOptions::default()).unwrap();
        assert_eq!((first.created, again.created, again.duplicates), (6, 0, 6));
        let v = verify(storage.as_ref(), &fleet).unwrap();
        assert_eq!(
            v,
            Verification {
                intact: 6,
                lost: 0,
                duplicated: 0,
                damaged: 0
            }
        );
    }

    /// Nothing listening: every record is retried, then given up and counted lost.
    #[test]
    fn an_unreachable_server_is_retried_then_counted_lost() {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open_in(dir.path()).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let opts = SendOptions {
            backoff: Backoff {
                base: Duration::from_millis(5),
                cap: Duration::from_millis(20),
            },
            give_up_after: Duration::from_millis(200),
            ..SendOptions::default()
        };
        let fleet = Arc::new(Fleet::register(&storage, 1, 2, RecordSpec::default()).unwrap());
        let sent = send(&fleet, &format!("http://127.0.0.1:{port}"), &opts).unwrap();
        assert_eq!((sent.given_up, sent.created), (2, 0));
        let v = verify(&storage, &fleet).unwrap();
        assert_eq!((v.lost, v.intact), (2, 0));
        assert!(sent.retries.values().sum::<u64>() >= 2, "{sent:?}");
        // `bench ingest` itself refuses to start against a server it cannot reach.
        let e = run(
            &storage,
            &format!("http://127.0.0.1:{port}"),
            1,
            1,
            RecordSpec::default(),
            &opts,
        )
        .unwrap_err();
        assert!(e.to_string().contains("cannot reach"), "{e}");
    }

    /// A bench given another data directory than the server's is told so before it
    /// measures a run of 401s.
    #[test]
    fn a_bench_on_another_storage_than_the_servers_is_refused() {
        let (served, other) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let storage: Arc<dyn Storage> = Arc::new(SqliteStorage::open_in(served.path()).unwrap());
        let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), storage).unwrap();
        let elsewhere = SqliteStorage::open_in(other.path()).unwrap();
        let e = run(
            &elsewhere,
            &server.url(),
            2,
            4,
            RecordSpec::default(),
            &SendOptions::default(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("the same --data"), "{e}");
    }
}
