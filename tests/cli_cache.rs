//! `certpoint cache import` and `certpoint cache status --json` as an administrator runs
//! them, on real bundles made by the agency's own builder and key.

use std::path::{Path, PathBuf};
use std::process::Output;

use certpoint_agency::bundle::{build_region_bundle, BundleKey, BundleSpec, ReferenceEmbedding};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

const ID: &str = "11010519491231002X";

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    agency: BundleKey,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let agency = BundleKey::init(&dir.path().join("agency")).unwrap();
    let config = dir.path().join("kiosk-config.toml");
    std::fs::write(
        &config,
        format!(
            "[kiosk]\nid = \"K-CACHE\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\n\
             [reference_cache]\nenabled = true\nagency_public_keys = [\"{}\"]\n\n\
             [models]\ndir = \"{}/models\"\n\n[voice]\nenabled = false\n",
            agency.public_key_b64(),
            env!("CARGO_MANIFEST_DIR")
        ),
    )
    .unwrap();
    Setup {
        dir,
        config,
        agency,
    }
}

fn embedding(seed: usize) -> Vec<f32> {
    (0..512)
        .map(|i| ((i * 31 + seed * 7) as f32 * 0.013).sin())
        .collect()
}

/// A bundle file of region `region` made by `key` at `at`, holding `ID` and 99 others.
fn export(s: &Setup, key: &BundleKey, region: &str, at: DateTime<Utc>, name: &str) -> PathBuf {
    let model = certpoint::vision::runtime::EMBEDDER.sha256;
    let references = (0..100).map(|i| ReferenceEmbedding {
        id_number: if i == 0 {
            ID.to_owned()
        } else {
            format!("110105194501{i:05}X")
        },
        reference_version: format!("ref-{i}"),
        embedding: embedding(i),
        model_sha256: model.to_owned(),
    });
    let spec = BundleSpec {
        region,
        model_sha256: model,
        dimension: 512,
        generated_at: at,
    };
    let bundle = build_region_bundle(key, &spec, references).unwrap();
    let path = s.dir.path().join(name);
    std::fs::write(&path, &bundle.bytes).unwrap();
    path
}

fn certpoint(s: &Setup, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&s.config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    })
}

fn import(s: &Setup, file: &Path) -> Output {
    certpoint(s, &["cache", "import", file.to_str().unwrap(), "--json"])
}

#[test]
fn import_then_status_and_every_refusal() {
    let s = setup();
    let status = json(&certpoint(&s, &["cache", "status", "--json"]));
    assert_eq!(status["present"], false);
    assert_eq!(status["usable"], false);
    assert_eq!(status["reason_code"], "absent");
    assert_eq!(status["expected_scope"], "110105");

    let t0 = DateTime::from_timestamp((Utc::now() - TimeDelta::hours(30)).timestamp(), 0).unwrap();
    let first = export(&s, &s.agency, "110105", t0, "first.bundle");
    let o = import(&s, &first);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v = json(&o);
    assert_eq!(
        (v["installed"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(100))
    );
    assert_eq!(v["replaced"], Value::Null);

    let status = json(&certpoint(&s, &["cache", "status", "--json"]));
    assert_eq!(status["present"], true);
    assert_eq!(status["usable"], true, "{status}");
    assert_eq!(status["scope"], "110105");
    assert_eq!(status["entries"], 100);
    assert_eq!(
        status["model_sha256"],
        certpoint::vision::runtime::EMBEDDER.sha256
    );
    assert_eq!(status["key_id"], s.agency.key_id());
    assert_eq!(
        status["generated_at"],
        t0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let age = status["age_secs"].as_i64().unwrap();
    assert!((30 * 3600..31 * 3600).contains(&age), "{age}");
    assert_eq!(status["age_days"], 1.3);

    // Sealed at rest: no ID number in the file on disk.
    let raw = std::fs::read(s.dir.path().join("data/reference-cache.sealed")).unwrap();
    assert!(!raw.windows(ID.len()).any(|w| w == ID.as_bytes()));

    // The same file again is fine and changes nothing.
    let v = json(&import(&s, &first));
    assert_eq!(
        (v["installed"].as_bool(), v["unchanged"].as_bool()),
        (Some(true), Some(true))
    );

    let refused = |file: &Path, needle: &str| {
        let o = import(&s, file);
        assert!(!o.status.success(), "{needle}: accepted");
        let v = json(&o);
        assert_eq!(v["installed"], false);
        let error = v["error"].as_str().unwrap();
        assert!(error.contains(needle), "{needle}: {error}");
    };
    refused(
        &export(
            &s,
            &s.agency,
            "110105",
            t0 - TimeDelta::hours(1),
            "older.bundle",
        ),
        "not after the installed one",
    );
    let stranger = BundleKey::init(&s.dir.path().join("stranger")).unwrap();
    refused(
        &export(
            &s,
            &stranger,
            "110105",
            t0 + TimeDelta::hours(1),
            "foreign.bundle",
        ),
        "does not pin",
    );
    refused(
        &export(
            &s,
            &s.agency,
            "320102",
            t0 + TimeDelta::hours(1),
            "other-region.bundle",
        ),
        "region 320102",
    );
    let mut damaged = std::fs::read(&first).unwrap();
    let n = damaged.len();
    damaged[n / 2] ^= 0x10;
    let damaged_path = s.dir.path().join("damaged.bundle");
    std::fs::write(&damaged_path, &damaged).unwrap();
    refused(&damaged_path, "signature does not verify");
    std::fs::write(&damaged_path, &damaged[..n - 10]).unwrap();
    refused(&damaged_path, "cut off");

    // Text mode: the reason and its fix on stderr, exit 1.
    let o = certpoint(&s, &["cache", "import", damaged_path.to_str().unwrap()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("was not installed") && err.contains("download or copy it again"),
        "{err}"
    );

    // Still the first bundle after all of that; a newer one replaces it.
    let status = json(&certpoint(&s, &["cache", "status", "--json"]));
    assert_eq!(
        status["generated_at"],
        t0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let newer = export(
        &s,
        &s.agency,
        "110105",
        t0 + TimeDelta::hours(2),
        "newer.bundle",
    );
    let v = json(&import(&s, &newer));
    assert_eq!(
        v["replaced"],
        t0.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let text = certpoint(&s, &["cache", "status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("reference cache: usable") && text.contains("references: 100"),
        "{text}"
    );
}

#[test]
fn a_stale_bundle_is_reported_unusable_with_the_reason() {
    let s = setup();
    let old = Utc::now() - TimeDelta::days(9);
    let file = export(&s, &s.agency, "110105", old, "old.bundle");
    assert!(import(&s, &file).status.success());
    let status = json(&certpoint(&s, &["cache", "status", "--json"]));
    assert_eq!(status["present"], true);
    assert_eq!(status["usable"], false);
    assert_eq!(status["reason_code"], "stale");
    assert!(status["reason"]
        .as_str()
        .unwrap()
        .contains("max_age_days (7)"));
    let text = certpoint(&s, &["cache", "status"]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("NOT usable") && text.contains("9 days old"),
        "{text}"
    );
}
