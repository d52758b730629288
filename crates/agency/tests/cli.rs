//! The administrator's commands, run as the built binary on a temporary data directory:
//! roster and self-certification imports (bad rows by line, all or nothing,
//! idempotent), status, reference photos, kiosk regions.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const ID_A: &str = "11010519491231002X";
const ID_B: &str = "310115196002291236";
const ID_C: &str = "110101200002290026";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn agency(data: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_certpoint-agency"))
        .arg("--data")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn status(data: &Path, id: &str) -> Value {
    let r = agency(data, &["status", id, "--period", "2026", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    json(&r.stdout)
}

const ROSTER: &str = "id_number,name,region,status\n\
    11010519491231002X,\"Zhang, San\",110105,active\n\
    310115196002291236,李四,310115,active\n";

#[test]
fn roster_import_is_idempotent_and_reports_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = file(dir.path(), "roster.csv", ROSTER);

    let r = agency(&data, &["roster", "import", &roster]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("2 row(s) imported: 2 inserted, 0 updated, 0 unchanged"),
        "{}",
        r.stdout
    );
    let r = agency(&data, &["roster", "import", &roster, "--json"]);
    let v = json(&r.stdout);
    assert_eq!(
        (v["inserted"].as_u64(), v["unchanged"].as_u64()),
        (Some(0), Some(2))
    );
    assert_eq!(v["imported"], true);

    let changed = file(
        dir.path(),
        "roster2.csv",
        "id_number,name,region,status\n\
         11010519491231002X,\"Zhang, San\",110105,active\n\
         310115196002291236,李四,310115,deceased\n\
         110101200002290026,Wang,110101,suspended\n",
    );
    let v = json(&agency(&data, &["roster", "import", &changed, "--json"]).stdout);
    assert_eq!(
        (
            v["inserted"].as_u64(),
            v["updated"].as_u64(),
            v["unchanged"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(status(&data, ID_A)["state"], "not_certified");
    assert_eq!(status(&data, ID_B)["state"], "deceased");
    assert_eq!(status(&data, ID_C)["state"], "suspended");
    assert_eq!(
        status(&data, "110105194912310038")["state"],
        "not_in_roster"
    );
}

#[test]
fn a_file_with_bad_rows_imports_nothing_and_names_every_line() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let bad = file(
        dir.path(),
        "bad.csv",
        "id_number,name,region,status\n\
         11010519491231002X,Good Person,110105,active\n\
         110105194912310021,Bad Check,110105,active\n\
         310115196002291236,,310115,active\n\
         110101200002290026,Someone,110101,retired\n\
         11010519491231002X,Twice,110105,active\n\
         310115196002291236,Too,Many,Fields,active\n",
    );
    let r = agency(&data, &["roster", "import", &bad]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let lines: Vec<&str> = r.stderr.lines().collect();
    for (line, problem) in [
        (3, "wrong check character"),
        (4, "name: is empty"),
        (5, "status: must be active, suspended or deceased"),
        (6, "also on line 2"),
        (7, "has 5 field(s), not 4"),
    ] {
        let prefix = format!("{bad}:{line}: ");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&prefix) && l.contains(problem)),
            "line {line} ({problem}) not reported:\n{}",
            r.stderr
        );
    }
    assert!(r.stderr.contains("5 bad row(s)"), "{}", r.stderr);
    assert!(r.stderr.contains("nothing was imported"), "{}", r.stderr);
    assert!(
        !r.stderr.contains(ID_A),
        "full ID number in the output:\n{}",
        r.stderr
    );
    // The good row was not imported either.
    assert_eq!(status(&data, ID_A)["state"], "not_in_roster");

    let r = agency(&data, &["roster", "import", &bad, "--json"]);
    assert_eq!(r.code, 1);
    let v = json(&r.stdout);
    assert_eq!(v["imported"], false);
    let lines: Vec<u64> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4, 5, 6, 7]);

    let header = file(dir.path(), "header.csv", "id,name,region,status\n");
    let r = agency(&data, &["roster", "import", &header]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains(":1: the header must be exactly `id_number,name,region,status`"),
        "{}",
        r.stderr
    );
}

#[test]
fn self_certifications_need_the_roster_and_make_the_status() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = file(dir.path(), "roster.csv", ROSTER);
    assert_eq!(agency(&data, &["roster", "import", &roster]).code, 0);

    let selfcert = file(
        dir.path(),
        "app.csv",
        "id_number,period,at\n\
         11010519491231002X,2026,2026-04-02T09:30:00+08:00\n\
         110101200002290026,2026,2026-04-03T09:30:00+08:00\n",
    );
    let r = agency(&data, &["selfcert", "import", &selfcert]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(&format!(
            "{selfcert}:3: id_number 1101**********0026 is not on the roster"
        )),
        "{}",
        r.stderr
    );
    assert_eq!(
        status(&data, ID_A)["state"],
        "not_certified",
        "nothing imported"
    );

    let good = file(
        dir.path(),
        "app-good.csv",
        "id_number,period,at\n11010519491231002X,2026,2026-04-02T09:30:00+08:00\n",
    );
    let r = agency(&data, &["selfcert", "import", &good]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("1 inserted"), "{}", r.stdout);
    let r = agency(&data, &["selfcert", "import", &good, "--json"]);
    assert_eq!(json(&r.stdout)["unchanged"], 1);

    // Exactly the four keys of the protocol's PersonStatus.
    let r = agency(&data, &["status", ID_A, "--period", "2026", "--json"]);
    assert_eq!(
        r.stdout.trim(),
        r#"{"period":"2026","state":"certified","channel":"app","at":"2026-04-02T09:30:00+08:00"}"#
    );
    let r = agency(&data, &["status", ID_A, "--period", "2026"]);
    assert_eq!(
        r.stdout.trim(),
        "1101**********002X period 2026: certified (app, 2026-04-02T09:30:00+08:00)"
    );
    assert_eq!(
        agency(&data, &["status", ID_A, "--period", "2025", "--json"])
            .stdout
            .trim(),
        r#"{"period":"2025","state":"not_certified","channel":null,"at":null}"#
    );
}

#[test]
fn status_refuses_bad_input_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let r = agency(&data, &["status", "110105194912310021", "--period", "2026"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("wrong check character"), "{}", r.stderr);
    assert!(!r.stderr.contains("110105194912310021"), "{}", r.stderr);
    let r = agency(&data, &["status", ID_A, "--period", "26"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("four-digit year"), "{}", r.stderr);
}

#[test]
fn references_are_versioned_and_kiosks_have_regions() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let one = dir.path().join("one.jpg");
    let two = dir.path().join("two.png");
    std::fs::write(&one, b"\xff\xd8\xff first photo").unwrap();
    std::fs::write(&two, b"\x89PNG\r\n\x1a\n second photo").unwrap();
    let add = |p: &Path| {
        agency(
            &data,
            &[
                "reference",
                "add",
                "--id",
                ID_A,
                "--photo",
                p.to_str().unwrap(),
            ],
        )
    };
    let r = add(&one);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("reference photo for 1101**********002X enrolled (version "),
        "{}",
        r.stdout
    );
    assert!(add(&one).stdout.contains("already the current one"));
    assert!(add(&two).stdout.contains("enrolled"));
    let r = agency(&data, &["reference", "list", "--id", ID_A]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert!(lines[0].contains("image/jpeg") && !lines[0].contains("(current)"));
    assert!(lines[1].contains("image/png") && lines[1].ends_with("(current)"));
    let not_a_photo = dir.path().join("x.txt");
    std::fs::write(&not_a_photo, b"text").unwrap();
    assert!(add(&not_a_photo)
        .stderr
        .contains("neither a JPEG nor a PNG"));

    let key = certpoint_protocol::public_key_b64(
        &certpoint_protocol::ed25519_dalek::SigningKey::from_bytes(&[5; 32]),
    );
    let r = agency(&data, &["kiosk", "add", "--id", "K1", "--public-key", &key]);
    assert_ne!(r.code, 0, "--region is required");
    assert!(r.stderr.contains("--region"), "{}", r.stderr);
    let r = agency(
        &data,
        &[
            "kiosk",
            "add",
            "--id",
            "K1",
            "--public-key",
            &key,
            "--region",
            "110105",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("registered for region 110105"),
        "{}",
        r.stdout
    );
    assert!(agency(&data, &["kiosk", "list"])
        .stdout
        .starts_with("K1  110105  "));
    assert_eq!(
        agency(
            &data,
            &["kiosk", "set-region", "--id", "K1", "--region", "310115"]
        )
        .code,
        0
    );
    assert!(agency(&data, &["kiosk", "list"])
        .stdout
        .starts_with("K1  310115  "));
    let r = agency(
        &data,
        &["kiosk", "set-region", "--id", "K9", "--region", "310115"],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no kiosk K9"), "{}", r.stderr);
}

#[test]
fn the_regions_not_certified_list_pages_through_by_the_status_rules() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = file(
        dir.path(),
        "roster.csv",
        "id_number,name,region,status\n\
         11010519491231002X,Zhang San,110105,active\n\
         110101200002290026,Wang Wu,110105,active\n\
         310115196002291236,Li Si,110105,deceased\n",
    );
    assert_eq!(agency(&data, &["roster", "import", &roster]).code, 0);
    let selfcert = file(
        dir.path(),
        "selfcert.csv",
        "id_number,period,at\n11010519491231002X,2026,2026-03-01T10:00:00+08:00\n",
    );
    assert_eq!(agency(&data, &["selfcert", "import", &selfcert]).code, 0);
    let list = |extra: &[&str]| {
        let mut args = vec![
            "roster",
            "not-certified",
            "--region",
            "110105",
            "--period",
            "2026",
            "--json",
        ];
        args.extend_from_slice(extra);
        let r = agency(&data, &args);
        assert_eq!(r.code, 0, "{}", r.stderr);
        json(&r.stdout)
    };
    let page = list(&[]);
    assert_eq!(page["people"].as_array().unwrap().len(), 1, "{page}");
    assert_eq!(page["people"][0]["id_number"], ID_C);
    assert_eq!(page["people"][0]["state"], "not_certified");
    assert_eq!(status(&data, ID_C)["state"], "not_certified");
    assert_eq!(page["next"], Value::Null);
    let first = list(&["--limit", "1"]);
    let next = first["next"].as_str().expect("a next page").to_owned();
    assert!(list(&["--limit", "1", "--after", &next])["people"]
        .as_array()
        .unwrap()
        .is_empty());
    let r = agency(
        &data,
        &[
            "roster",
            "not-certified",
            "--region",
            "110105",
            "--period",
            "26",
        ],
    );
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("--period"), "{}", r.stderr);
}

/// `photos sweep`: a blob no row names (what a crash before the row's commit leaves)
/// and a temporary file of a cut-short write go once older than --older-than; the
/// reference photo a row names stays; --dry-run deletes nothing.
#[test]
fn photos_sweep_deletes_only_unreferenced_blobs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let roster = file(dir.path(), "roster.csv", ROSTER);
    assert_eq!(agency(&data, &["roster", "import", &roster]).code, 0);
    let photo = dir.path().join("a.jpg");
    std::fs::write(&photo, b"\xff\xd8\xff reference photo").unwrap();
    let r = agency(
        &data,
        &[
            "reference",
            "add",
            "--id",
            ID_A,
            "--photo",
            &photo.display().to_string(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let orphan = "ab".repeat(32);
    let fan = data.join("photos").join("ab");
    std::fs::create_dir_all(&fan).unwrap();
    std::fs::write(fan.join(&orphan), b"sealed bytes of a lost upload").unwrap();
    std::fs::write(fan.join(format!(".{orphan}.1.0.tmp")), b"half").unwrap();
    std::fs::write(fan.join("README"), b"not the store's").unwrap();

    let sweep = |args: &[&str]| {
        let mut all = vec!["photos", "sweep", "--json"];
        all.extend_from_slice(args);
        let r = agency(&data, &all);
        assert_eq!(r.code, 0, "{}", r.stderr);
        json(&r.stdout)
    };
    let young = sweep(&[]);
    assert_eq!(young["stored"], 3, "{young}");
    assert_eq!(young["orphans"], 0, "the default grace is an hour: {young}");
    let dry = sweep(&["--older-than", "0s", "--dry-run"]);
    assert_eq!(
        (dry["orphans"].as_u64(), dry["deleted"].as_u64()),
        (Some(2), Some(0))
    );
    assert!(fan.join(&orphan).exists());
    let swept = sweep(&["--older-than", "0s"]);
    assert_eq!(swept["deleted"], 2, "{swept}");
    assert!(!fan.join(&orphan).exists());
    assert!(
        fan.join("README").exists(),
        "a file not named like a blob stays"
    );
    assert_eq!(
        sweep(&["--older-than", "0s"])["stored"],
        1,
        "the reference photo"
    );
    let r = agency(&data, &["reference", "list", "--id", ID_A]);
    assert_eq!(r.stdout.lines().count(), 1, "{}", r.stdout);
    let r = agency(&data, &["photos", "sweep", "--older-than", "soon"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("e.g. 24h"), "{}", r.stderr);
}
