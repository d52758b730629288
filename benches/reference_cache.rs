//! The offline reference cache at a region's size: build a signed bundle of N random
//! 512-d unit vectors with the agency's builder, install it (verify, seal, write, load
//! back), then, in a fresh child process so the figures are the load's alone: cold load
//! from the sealed file to a ready index (the file dropped from the page cache first),
//! resident memory before and after (VmRSS, VmHWM), a warm reload, and lookup
//! p50/p99/max.
//!
//! ```text
//! cargo bench --bench reference_cache            # 200,000 entries
//! cargo bench --bench reference_cache -- 50000   # a custom count
//! ```
//!
//! Under `cargo test` (no `--bench` argument) it runs 2,000 entries as a smoke test.
//! Targets (issue 11): 200,000 embeddings load in ≤ 1 s, take ≤ 150 MB, lookup ≤ 1 ms.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use certpoint::cache::{CacheSettings, ReferenceCache, CACHE_FILE, EMBEDDING_DIM};
use certpoint::store::Store;
use certpoint_agency::bundle::{build_region_bundle, BundleKey, BundleSpec, ReferenceEmbedding};
use certpoint_protocol::ed25519_dalek::SigningKey;
use chrono::{TimeDelta, Utc};

const CHILD_ENV: &str = "CERTPOINT_BENCH_CACHE_CHILD";
const LOOKUPS: usize = 100_000;

fn main() {
    if let Ok(spec) = std::env::var(CHILD_ENV) {
        let (dir, count) = spec.split_once('|').expect("dir|count");
        load_and_look_up(Path::new(dir), count.parse().expect("count"));
        return;
    }
    let (_, count) = common::count_from_args(200_000, 2_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_in(dir.path()).expect("store");

    let t = Instant::now();
    let key = BundleKey::from_signing_key(agency_key(), dir.path().join("unused.key"));
    let spec = BundleSpec {
        region: "110105",
        model_sha256: model(),
        dimension: EMBEDDING_DIM,
        generated_at: Utc::now() - TimeDelta::hours(1),
    };
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let references = (0..count).map(|i| ReferenceEmbedding {
        id_number: id_number(i),
        reference_version: format!("{:016x}", i as u64 * 0x9E37_79B9),
        embedding: rng.unit_vector(EMBEDDING_DIM),
        model_sha256: model().to_owned(),
    });
    let bundle = build_region_bundle(&key, &spec, references).expect("build");
    let build_s = t.elapsed().as_secs_f64();
    let bundle_mb = bundle.bytes.len() as f64 / 1e6;

    let cache = ReferenceCache::open(settings(), dir.path(), store.sealer());
    let t = Instant::now();
    cache.install(bundle.bytes).expect("install");
    let install_s = t.elapsed().as_secs_f64();
    drop(cache);
    let sealed = dir.path().join(CACHE_FILE);
    evict(&sealed);

    println!(
        "reference cache, {count} entries: bundle {bundle_mb:.1} MB built and signed in {build_s:.2} s (agency); install (verify, seal, write, fsync, load back) {install_s:.2} s"
    );
    let out = Command::new(std::env::current_exe().expect("own path"))
        .env(CHILD_ENV, format!("{}|{count}", dir.path().display()))
        .output()
        .expect("child");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{}", String::from_utf8_lossy(&out.stdout));
}

/// The child: everything measured here starts from a process with the store open and
/// no cache loaded.
fn load_and_look_up(dir: &Path, count: usize) {
    // The cache logs the phases of each load (read, open, verify) at debug level.
    tracing_subscriber::fmt()
        .with_env_filter("certpoint::cache=debug")
        .with_writer(std::io::stdout)
        .without_time()
        .init();
    let store = Store::open_in(dir).expect("store");
    let before = memory();
    let t = Instant::now();
    let cache = ReferenceCache::open(settings(), dir, store.sealer());
    let cold = t.elapsed();
    let after = memory();
    assert!(cache.status().usable, "{:?}", cache.status());

    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut micros = Vec::with_capacity(LOOKUPS);
    let mut hits = 0usize;
    for _ in 0..LOOKUPS {
        // Nine in ten for someone in the bundle, one in ten for someone not in it.
        let i = (rng.next() % (count as u64 * 10 / 9 + 1)) as usize;
        let id = id_number(i);
        let t = Instant::now();
        let found = cache.lookup(&id);
        micros.push(t.elapsed().as_secs_f64() * 1e6);
        if let Some(r) = found {
            assert_eq!(r.embedding.len(), EMBEDDING_DIM);
            hits += 1;
        }
    }
    let over_1ms = micros.iter().filter(|&&us| us > 1000.0).count();
    let (p50, p99, max) = common::p50_p99_max_ms(&mut micros);
    drop(cache);
    let t = Instant::now();
    let warm_cache = ReferenceCache::open(settings(), dir, store.sealer());
    let warm = t.elapsed();
    drop(warm_cache);

    let mb = |kb: u64| kb as f64 / 1024.0;
    println!(
        "cold load (sealed file, not in page cache → verified index): {:.3} s; warm reload {:.3} s",
        secs(cold),
        secs(warm)
    );
    println!(
        "memory: VmRSS {:.1} → {:.1} MiB (+{:.1} MiB for the index); VmHWM {:.1} MiB (+{:.1} MiB over the pre-load RSS)",
        mb(before.0),
        mb(after.0),
        mb(after.0.saturating_sub(before.0)),
        mb(after.1),
        mb(after.1.saturating_sub(before.0)),
    );
    println!(
        "lookup (binary search + decode to f32): n={LOOKUPS} ({hits} hits) p50={p50:.4} ms p99={p99:.4} ms max={max:.4} ms; {over_1ms} over 1 ms"
    );
    println!(
        "{}",
        serde_json::json!({
            "entries": count,
            "cold_load_s": secs(cold),
            "warm_load_s": secs(warm),
            "rss_before_mib": mb(before.0),
            "rss_after_mib": mb(after.0),
            "rss_index_mib": mb(after.0.saturating_sub(before.0)),
            "hwm_mib": mb(after.1),
            "lookup_p50_ms": p50,
            "lookup_p99_ms": p99,
            "lookup_max_ms": max,
            "lookups_over_1ms": over_1ms,
        })
    );
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn agency_key() -> SigningKey {
    SigningKey::from_bytes(&[42; 32])
}

fn model() -> &'static str {
    certpoint::vision::runtime::EMBEDDER.sha256
}

fn settings() -> CacheSettings {
    CacheSettings {
        enabled: true,
        pinned_keys: vec![agency_key().verifying_key()],
        scope: "110105".into(),
        max_age: TimeDelta::days(7),
        refresh_interval: Duration::from_secs(3600),
        download_timeout: Duration::from_secs(600),
        model_sha256: model().into(),
        dimension: EMBEDDING_DIM,
    }
}

/// Distinct, well-shaped ID numbers (17 digits and a check character; the bundle does
/// not check the check character).
fn id_number(i: usize) -> String {
    format!("11{:015}X", i * 7919 + 1)
}

/// (VmRSS, VmHWM) in KiB.
fn memory() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Drops the file's pages from the page cache, so the child's load reads the disk:
/// GNU dd's `iflag=nocache count=0` advises the kernel to drop the whole file
/// (posix_fadvise DONTNEED) without unsafe code here. The file is synced first (dirty
/// pages are not dropped).
fn evict(path: &Path) {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .expect("sync the sealed file");
    let dropped = Command::new("dd")
        .arg(format!("if={}", path.display()))
        .args(["iflag=nocache", "count=0", "status=none"])
        .status()
        .is_ok_and(|s| s.success());
    if !dropped {
        eprintln!(
            "could not drop the file from the page cache (GNU dd); the cold load may be warm"
        );
    }
}

/// xorshift64*: fast, deterministic, good enough for benchmark vectors and picks.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn unit_vector(&mut self, dim: usize) -> Vec<f32> {
        let v: Vec<f32> = (0..dim)
            .map(|_| (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
            .collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }
}
