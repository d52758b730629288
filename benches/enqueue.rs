//! Enqueue latency: how long the flow waits between "attempt ended" and "record durable"
//! (WAL + synchronous=FULL, so each enqueue includes an fsync). Prints p50/p99/max.
//!
//!     cargo bench --bench enqueue            # 2,000 records with 30 KB photos
//!     cargo bench --bench enqueue -- 10000   # a custom count
//!
//! Under `cargo test` (no `--bench` argument) it runs 20 records as a smoke test.

use std::time::Instant;

mod common;

use certpoint::store::selftest::{synthetic_photo, synthetic_record};
use certpoint::store::Store;

fn main() {
    let (_, count) = common::count_from_args(2_000, 20);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open_in(dir.path()).expect("open store");
    let photo = synthetic_photo(7, 30 * 1024);
    let mut micros = Vec::with_capacity(count);
    let all = Instant::now();
    for i in 0..count {
        let record = synthetic_record("BENCH", 1 + (i % 3) as u32);
        let t = Instant::now();
        store.enqueue(record, Some(&photo)).expect("enqueue");
        micros.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let total = all.elapsed().as_secs_f64();
    let (p50, p99, max) = common::p50_p99_max_ms(&mut micros);
    println!(
        "enqueue (30 KB photo, WAL, synchronous=FULL): n={count} p50={p50:.2} ms p99={p99:.2} ms max={max:.2} ms, {:.0} records/s",
        count as f64 / total
    );
}
