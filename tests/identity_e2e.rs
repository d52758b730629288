//! Identity end to end (issue 11), with the real binaries over loopback: the agency
//! (`certpoint-agency`: roster, reference import with real embeddings, self-
//! certifications, server-side matching, the offline bundle) and the kiosk (`certpoint
//! certify` on a synthetic live replay of a real photo, `sync now`, `cache import`).
//!
//! The live face is obama_portrait.jpg throughout. Enrolled with another photo of the
//! same man → `passed` (source `server`); enrolled with Biden's photo → `failed`
//! (`face_match_below_threshold`); unenrolled → `pending_match`, and after `reference
//! import` the agency scores the synced crop and `status` says certified;
//! self-certified in the app → `already_certified` with nothing stored; deceased → no
//! attempt; server down with a fresh cache → matched from the cache (`kiosk_cache`).

mod sync_support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::Duration;

use serde_json::Value;
use sync_support::{face, free_addr, wait_until, Kiosk, TOKEN};

const REGION: &str = "110105";

/// A valid ID number from its first 17 characters (GB 11643 MOD 11-2).
fn with_check(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17
        .chars()
        .zip(W)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// The agency binary beside this test's own (built by `cargo test --workspace`).
fn agency_bin() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("certpoint-agency");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p certpoint-agency` (cargo test --workspace builds it)",
        bin.display()
    );
    bin
}

struct Agency {
    data: PathBuf,
    models: PathBuf,
}

impl Agency {
    fn cmd(&self) -> Command {
        let mut c = Command::new(agency_bin());
        c.arg("--data")
            .arg(&self.data)
            .arg("--models")
            .arg(&self.models);
        c
    }

    /// Runs an agency command that must succeed; returns its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "certpoint-agency {args:?}: {}",
            text(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn status(&self, id: &str, period: &str) -> Value {
        serde_json::from_str(&self.ok(&["status", id, "--period", period, "--json"])).unwrap()
    }

    fn serve(&self, addr: std::net::SocketAddr) -> Child {
        let child = self
            .cmd()
            .args(["--bind", &addr.to_string(), "serve"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let up = wait_until(Duration::from_secs(30), || {
            std::net::TcpStream::connect(addr).is_ok()
        });
        assert!(up, "the agency did not start listening on {addr}");
        child
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn identity_end_to_end_over_loopback() {
    let period = certpoint::driver::period_for(
        &certpoint::config::WindowSection::default(),
        chrono::Local::now().date_naive(),
    );
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let agency = Agency {
        data: w.join("agency"),
        models: Path::new(env!("CARGO_MANIFEST_DIR")).join("models"),
    };
    let [same, other, later, app, dead] = [
        "11010519480101001",
        "11010519480101002",
        "11010519480101003",
        "11010519480101004",
        "11010519480101005",
    ]
    .map(with_check);

    // The roster, the references (embedded at import), the app's self-certifications.
    let roster = w.join("roster.csv");
    std::fs::write(
        &roster,
        format!(
            "id_number,name,region,status\n{same},\"Wang, Li\",{REGION},active\n\
             {other},Zhao Min,{REGION},active\n{later},Sun Hua,{REGION},active\n\
             {app},Qian Yu,{REGION},active\n{dead},Zhou Wei,{REGION},deceased\n"
        ),
    )
    .unwrap();
    agency.ok(&["roster", "import", roster.to_str().unwrap()]);
    let refs = w.join("refs");
    std::fs::create_dir(&refs).unwrap();
    std::fs::copy(face("obama_podium.jpg"), refs.join(format!("{same}.jpg"))).unwrap();
    std::fs::copy(
        face("biden_portrait.jpg"),
        refs.join(format!("{other}.jpg")),
    )
    .unwrap();
    agency.ok(&["reference", "import", refs.to_str().unwrap()]);
    let selfcert = w.join("selfcert.csv");
    std::fs::write(
        &selfcert,
        format!("id_number,period,at\n{app},{period},{period}-04-02T09:30:00+08:00\n"),
    )
    .unwrap();
    agency.ok(&["selfcert", "import", selfcert.to_str().unwrap()]);
    agency.ok(&["bundle", "key", "init"]);
    let agency_key = agency.ok(&["bundle", "key", "show", "--json"]);
    let agency_key: Value = serde_json::from_str(&agency_key).unwrap();
    let agency_key = agency_key["public_key"]
        .as_str()
        .unwrap_or_else(|| panic!("bundle key show --json: {agency_key}"))
        .to_owned();

    // The kiosk, registered in the region, pinning the agency's bundle key.
    let addr = free_addr();
    let kiosk = Kiosk::with_server_keys(
        "K-E2E",
        &format!("http://{addr}"),
        10,
        &format!("\n[reference_cache]\nenabled = true\nagency_public_keys = [\"{agency_key}\"]\n"),
    );
    std::fs::write(w.join("token"), TOKEN).unwrap();
    agency.ok(&[
        "kiosk",
        "add",
        "--id",
        "K-E2E",
        "--region",
        REGION,
        "--public-key",
        &certpoint_protocol::public_key_b64(&kiosk.key),
        "--token-file",
        w.join("token").to_str().unwrap(),
    ]);
    let mut server = agency.serve(addr);
    let seed = 23;
    let replay = kiosk.live_replay(seed);

    let r = kiosk.certify(&replay, &same, seed);
    assert_eq!(r["outcome"], "passed", "{r:#}");
    assert_eq!(r["record"]["face_match"]["source"], "server", "{r:#}");

    let r = kiosk.certify(&replay, &other, seed);
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert_eq!(r["reason"], "face_match_below_threshold", "{r:#}");

    let r = kiosk.certify(&replay, &later, seed);
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["reason"], "no_reference", "{r:#}");

    let r = kiosk.certify(&replay, &app, seed);
    assert_eq!(r["outcome"], "already_certified", "{r:#}");
    assert_eq!(r["record"], Value::Null, "nothing stored: {r:#}");

    let r = kiosk.certify(&replay, &dead, seed);
    assert_eq!(r["outcome"], "not_eligible", "{r:#}");
    assert_eq!(r["state"], "deceased", "{r:#}");
    assert_eq!(r["record"], Value::Null, "nothing stored: {r:#}");

    let out = kiosk
        .command()
        .args(["sync", "now", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "sync now: {}", text(&out));

    // What the agency says now: the match and the app count, the stranger does not,
    // the unenrolled one waits for a person or a reference.
    assert_eq!(agency.status(&same, &period)["state"], "certified");
    assert_eq!(agency.status(&same, &period)["channel"], "onsite");
    assert_eq!(agency.status(&other, &period)["state"], "not_certified");
    assert_eq!(agency.status(&app, &period)["channel"], "app");
    assert_eq!(agency.status(&dead, &period)["state"], "deceased");
    assert_eq!(agency.status(&later, &period)["state"], "pending_review");

    // The bundle for the region, made while the server still runs.
    let bundle = w.join("bundle.bin");
    agency.ok(&[
        "bundle",
        "export",
        "--region",
        REGION,
        "--out",
        bundle.to_str().unwrap(),
    ]);
    server.kill().unwrap();
    server.wait().unwrap();

    // A reference imported later: the agency scores the stored crop of that visit.
    let refs2 = w.join("refs2");
    std::fs::create_dir(&refs2).unwrap();
    std::fs::copy(
        face("obama_standing.jpg"),
        refs2.join(format!("{later}.jpg")),
    )
    .unwrap();
    agency.ok(&["reference", "import", refs2.to_str().unwrap()]);
    let s = agency.status(&later, &period);
    assert_eq!(s["state"], "certified", "{s}");
    assert_eq!(s["channel"], "onsite", "{s}");

    // Server down, the cache installed: matched from it.
    let out = kiosk
        .command()
        .args(["cache", "import"])
        .arg(&bundle)
        .arg("--json")
        .output()
        .unwrap();
    assert!(out.status.success(), "cache import: {}", text(&out));
    let r = kiosk.certify(&replay, &same, seed);
    assert_eq!(r["outcome"], "passed", "{r:#}");
    assert_eq!(r["record"]["face_match"]["source"], "kiosk_cache", "{r:#}");
    // Another person's cached reference does not let the live face through.
    let r = kiosk.certify(&replay, &other, seed);
    assert_eq!(r["outcome"], "failed", "{r:#}");
}
