//! `certpoint clerk …` and `certpoint audit verify` as an administrator runs them: the
//! real binary, a real store, the PIN piped in on stdin, and the audit log tampered
//! with by plain SQL the way someone with the file would.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

struct Kiosk {
    _dir: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
}

fn kiosk() -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let (config, data) = common::shipped_config_in(dir.path());
    Kiosk {
        _dir: dir,
        config,
        data,
    }
}

fn run(k: &Kiosk, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&k.config)
        .args(args)
        .env_remove("CERTPOINT_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run certpoint");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr)
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn db(data: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(data.join("certpoint.sqlite")).unwrap()
}

#[test]
fn clerk_add_reads_the_pin_from_stdin_and_list_never_shows_it() {
    let k = kiosk();
    let o = run(&k, &["clerk", "add", "C0042", "--pin-stdin"], "482915\n");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(text(&o).trim(), "clerk C0042 added");

    let o = run(
        &k,
        &["clerk", "add", "C0043", "--pin-stdin", "--json"],
        "1234\n",
    );
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(t.contains("too short") && !t.contains("1234"), "{t}");

    // Without --pin-stdin and without a terminal, nothing is read from the pipe.
    let o = run(&k, &["clerk", "add", "C0044"], "777777\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("--pin-stdin"), "{}", text(&o));

    let o = run(&k, &["clerk", "list", "--json"], "");
    assert!(o.status.success(), "{}", text(&o));
    let list = json(&o);
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["clerk_id"], "C0042");
    assert_eq!(list[0]["failed_attempts"], 0);
    assert!(list[0].get("pin_hash").is_none());
    let shown = text(&o) + &text(&run(&k, &["clerk", "list"], ""));
    assert!(
        !shown.contains("482915") && !shown.contains("argon2"),
        "{shown}"
    );

    // The stored hash is Argon2id, and the PIN is nowhere in the file.
    let hash: String = db(&k.data)
        .query_row("SELECT pin_hash FROM clerks", [], |r| r.get(0))
        .unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    let file = std::fs::read(k.data.join("certpoint.sqlite")).unwrap();
    assert!(!file.windows(6).any(|w| w == b"482915"));

    let o = run(&k, &["clerk", "remove", "C0042", "--json"], "");
    assert_eq!(json(&o)["done"], "removed");
    let o = run(&k, &["clerk", "unlock", "C0042"], "");
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no clerk C0042"), "{}", text(&o));
}

#[test]
fn audit_verify_passes_an_intact_log_and_catches_an_edited_row() {
    let k = kiosk();
    for id in ["C1", "C2", "C3"] {
        let o = run(&k, &["clerk", "add", id, "--pin-stdin"], "135790\n");
        assert!(o.status.success(), "{}", text(&o));
    }
    let o = run(&k, &["audit", "verify"], "");
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("audit log intact: 3 entries"),
        "{}",
        text(&o)
    );
    let o = run(&k, &["audit", "verify", "--json"], "");
    let v = json(&o);
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_u64()),
        (Some(true), Some(3))
    );
    assert_eq!(v["head_id"], 3);
    let head = v["head"].as_str().unwrap().to_owned();
    assert_eq!(head.len(), 64);
    let noted = format!("3:{head}");
    let o = run(&k, &["audit", "verify", "--head", &noted], "");
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains(&format!("head: {noted}")), "{}", text(&o));
    let o = run(&k, &["audit", "verify", "--head", "4:nothex"], "");
    assert_eq!(o.status.code(), Some(2), "clap refuses it: {}", text(&o));

    // An attacker with the file: drop the trigger, rewrite who did it.
    db(&k.data)
        .execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET detail = 'clerk C9 registered' WHERE id = 2;",
        )
        .unwrap();
    let o = run(&k, &["audit", "verify"], "");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("BROKEN") && t.contains("entry 2: edited"), "{t}");
    let v = json(&run(&k, &["audit", "verify", "--json"], ""));
    assert_eq!(v["ok"], false);
    assert_eq!(v["problems"][0]["id"], 2);
    assert_eq!(v["problems"][0]["kind"], "edited");
    assert_eq!(v["head"], head.as_str());
}

#[test]
fn audit_verify_catches_a_deleted_row() {
    let k = kiosk();
    for id in ["C1", "C2", "C3"] {
        run(&k, &["clerk", "add", id, "--pin-stdin"], "135790\n");
    }
    db(&k.data)
        .execute_batch(
            "DROP TRIGGER audit_log_no_delete;
             DELETE FROM audit_log WHERE id = 2;",
        )
        .unwrap();
    let o = run(&k, &["audit", "verify", "--json"], "");
    assert_eq!(o.status.code(), Some(1));
    let v = json(&o);
    assert_eq!(v["problems"][0]["kind"], "deleted");
    assert_eq!(v["problems"][0]["id"], 3);
    assert_eq!(v["problems"][0]["detail"], "entry 2 is missing");
}
