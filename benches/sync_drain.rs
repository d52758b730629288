//! Sync throughput and latency against the reference server on 127.0.0.1 (in-process,
//! real HTTP, real SQLite on both sides, fsync on every commit):
//!
//! - drain rate: N records with 30 KB photos queued while offline, then one
//!   `drain_once` to the server — records/s and MB/s of photo;
//! - enqueue-to-server latency with the worker running and idle: store a record, wake
//!   the worker, time until the server has it committed — p50/p99/max.
//!
//! ```text
//! cargo bench --bench sync_drain             # 10,000 records, 300 latency samples
//! cargo bench --bench sync_drain -- 2000     # a custom drain count
//! ```
//!
//! Under `cargo test` (no `--bench` argument) it runs 30 records and 5 samples as a
//! smoke test.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint::config::Secret;
use certpoint::store::selftest::{synthetic_photo, synthetic_record};
use certpoint::store::Store;
use certpoint::sync::client::{AgencyClient, ClientSettings};
use certpoint::sync::worker::WorkerParts;
use certpoint::sync::{drain_once, Backoff, DrainStop, StatusHandle, SyncWorker};
use certpoint_agency::{RunningServer, SqliteStorage, Storage};
use certpoint_protocol::ed25519_dalek::SigningKey;

const TOKEN: &str = "bench-token-0123456789abcdef";

fn main() {
    let (benching, count) = common::count_from_args(10_000, 30);
    let samples = if benching { 300 } else { 5 };

    let server_dir = tempfile::tempdir().expect("temp dir");
    let storage = Arc::new(SqliteStorage::open_in(server_dir.path()).expect("server store"));
    let key = SigningKey::from_bytes(&[5; 32]);
    certpoint_agency::add_kiosk(
        storage.as_ref(),
        "BENCH",
        &certpoint_protocol::public_key_b64(&key),
        TOKEN,
        "110105",
    )
    .expect("register");
    let dyn_storage: Arc<dyn Storage> = storage.clone();
    let server = RunningServer::start("127.0.0.1:0".parse().unwrap(), dyn_storage).expect("server");
    let settings = ClientSettings {
        base_url: server.url(),
        token: Secret::new(TOKEN),
        timeout: Duration::from_secs(15),
        ca_bundle_pem: None,
    };

    // Drain rate.
    let kiosk_dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open_in(kiosk_dir.path()).expect("kiosk store");
    let t = Instant::now();
    for i in 0..count {
        let photo = synthetic_photo(i as u64, 30 * 1024);
        store
            .enqueue(synthetic_record("BENCH", 1), Some(&photo))
            .expect("enqueue");
    }
    let enqueue_secs = t.elapsed().as_secs_f64();
    let client = AgencyClient::new(&settings).expect("client");
    let t = Instant::now();
    let report = drain_once(&mut store, &client, &key, &StatusHandle::default(), &|| {
        false
    })
    .expect("drain");
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.stop, DrainStop::Empty, "{report:?}");
    assert_eq!(report.sent as usize, count);
    assert_eq!(storage.records(Some("BENCH")).unwrap().len(), count);
    println!(
        "drain: {count} records with 30 KB photos in {secs:.2} s = {:.0} records/s, {:.1} MB/s of photo (enqueue took {enqueue_secs:.2} s)",
        count as f64 / secs,
        (count * 30 * 1024) as f64 / secs / 1e6
    );
    drop(store);

    // Enqueue-to-server latency with the worker idle and online.
    let worker = SyncWorker::spawn(WorkerParts {
        data_dir: kiosk_dir.path().to_owned(),
        store_key: kiosk_dir.path().join(certpoint::store::KEY_FILE),
        retention_days: 30,
        client: AgencyClient::new(&settings).expect("client"),
        key: Ok(key.clone()),
        backoff: Backoff::default(),
        idle_poll: Duration::from_secs(30),
    });
    let mut store = Store::open_in(kiosk_dir.path()).expect("kiosk store");
    let photo = synthetic_photo(1, 30 * 1024);
    let mut micros = Vec::with_capacity(samples);
    for _ in 0..samples {
        std::thread::sleep(Duration::from_millis(5));
        let t = Instant::now();
        let done = store
            .enqueue(synthetic_record("BENCH", 1), Some(&photo))
            .expect("enqueue");
        worker.wake();
        let deadline = t + Duration::from_secs(10);
        while storage.certification(&done.record_id).unwrap().is_none() {
            assert!(Instant::now() < deadline, "record never arrived");
            std::thread::sleep(Duration::from_micros(100));
        }
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    worker.stop();
    let (p50, p99, max) = common::p50_p99_max_ms(&mut micros);
    println!(
        "enqueue-to-server (30 KB photo, worker idle, fsync on both sides): n={samples} p50={p50:.2} ms p99={p99:.2} ms max={max:.2} ms"
    );
    server.stop();
}
