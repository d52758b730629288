//! The command line as an administrator or a clerk runs it: the real binary, real files.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn certpoint(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .args(args)
        .current_dir(cwd)
        .env_remove("CERTPOINT_CONFIG")
        .output()
        .expect("run certpoint")
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

#[test]
fn id_check_reports_a_valid_number_with_birth_date_and_age() {
    let dir = tempfile::tempdir().unwrap();
    let o = certpoint(
        &["id", "check", "11010519491231002X", "--on", "2026-11-25"],
        dir.path(),
    );
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("valid: 1101**********002X"), "{t}");
    assert!(t.contains("1949-12-31") && t.contains("age: 76"), "{t}");
    assert!(
        !t.contains("11010519491231002X"),
        "the full number must not be echoed: {t}"
    );
}

#[test]
fn id_check_names_the_expected_check_character() {
    let dir = tempfile::tempdir().unwrap();
    let o = certpoint(&["id", "check", "110105194912310021"], dir.path());
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(t.contains("invalid") && t.contains("'X'"), "{t}");

    let o = certpoint(&["id", "check", "110105194912310021", "--json"], dir.path());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    assert_eq!(v["expected_check_character"], "X");
}

#[test]
fn id_check_json_for_a_valid_legacy_15_digit_number() {
    let dir = tempfile::tempdir().unwrap();
    let o = certpoint(
        &[
            "id",
            "check",
            "110105491231002",
            "--json",
            "--on",
            "2026-01-01",
        ],
        dir.path(),
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["id_number"], "1101**********002X");
    assert_eq!(v["birth_date"], "1949-12-31");
    assert_eq!(v["age"], 76);
    assert_eq!(v["converted_from_15_digits"], true);
}

#[test]
fn the_shipped_config_checks_clean_and_queue_commands_open_the_store() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    // A copy of the shipped config whose data_dir points into the temp dir.
    let (_cfg, data) = common::shipped_config_in(dir.path());

    let o = certpoint(&["check-config", "kiosk-config.toml"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let o = certpoint(&["check-config"], root);
    assert!(o.status.success(), "shipped config: {}", text(&o));

    let o = certpoint(&["queue", "status", "--json"], dir.path());
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pending"], 0);
    assert!(data.join("certpoint.sqlite").exists());
    let o = certpoint(
        &["queue", "list", "--json", "--state", "pending"],
        dir.path(),
    );
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
        serde_json::json!([])
    );
}

#[test]
fn check_config_lists_three_mistakes_with_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("broken.toml");
    // The directories the defaults name exist, so only the three planted mistakes remain.
    std::fs::create_dir_all(dir.path().join("models")).unwrap();
    std::fs::create_dir_all(dir.path().join("assets/voice")).unwrap();
    std::fs::write(
        &cfg,
        "[kiosk]\nid = \"K1\"\nsite_code = \"110105\"\n\n[camera]\nresolutoin = 720\n\n[challenges]\ncount = \"three\"\n\n[flow]\nmax_attempts = 0\n",
    )
    .unwrap();
    let o = certpoint(&["check-config", "broken.toml"], dir.path());
    let t = text(&o);
    assert_eq!(o.status.code(), Some(1), "{t}");
    assert!(
        t.contains("broken.toml:6:") && t.contains("camera.resolutoin"),
        "{t}"
    );
    assert!(
        t.contains("broken.toml:9:") && t.contains("challenges.count"),
        "{t}"
    );
    assert!(
        t.contains("broken.toml:12:") && t.contains("flow.max_attempts"),
        "{t}"
    );
    assert!(t.contains("3 problem(s)"), "{t}");
}

#[test]
fn a_missing_config_file_is_named_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let o = certpoint(&["--config", "nope.toml", "queue", "status"], dir.path());
    let t = text(&o);
    assert!(!o.status.success());
    assert!(t.contains("nope.toml"), "{t}");
}
