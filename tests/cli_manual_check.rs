//! `certpoint manual-check`: the manual check by the ID card, headless — with the
//! clerk's PIN from a real store, the number typed or read off the simulated card
//! reader over a pty, and the record in the queue.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

#[path = "common/sim.rs"]
mod sim;
use sim::Sim;

const BIN: &str = env!("CARGO_BIN_EXE_certpoint");
const ID: &str = "11010519491231002X";
const PIN: &str = "482915";

fn config(dir: &Path) -> PathBuf {
    let cfg = dir.join("kiosk-config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n[models]\ndir = {:?}\n[voice]\nenabled = false\n",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("models").to_str().unwrap()
        ),
    )
    .unwrap();
    cfg
}

fn run(cfg: &Path, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .arg("--config")
        .arg(cfg)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn queue(cfg: &Path) -> Vec<Value> {
    let o = run(cfg, &["queue", "list", "--json"], "");
    assert!(o.status.success());
    serde_json::from_slice::<Value>(&o.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_manual_check_needs_the_clerks_pin_and_stores_one_manual_pass() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let o = run(
        &cfg,
        &["clerk", "add", "C0042", "--pin-stdin"],
        &format!("{PIN}\n"),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let check = |extra: &[&str], pin: &str| {
        let mut args = vec![
            "manual-check",
            "--clerk",
            "C0042",
            "--reason",
            "cannot turn the head, ID card checked",
            "--pin-stdin",
            "--json",
        ];
        args.extend_from_slice(extra);
        run(&cfg, &args, &format!("{pin}\n"))
    };

    // A wrong PIN stores nothing.
    let o = check(&["--id", ID], "000000");
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("wrong PIN") && err.contains("nothing was stored"),
        "{err}"
    );
    assert!(queue(&cfg).is_empty());

    // The right one: a manual pass, no automatic attempt before it.
    let o = check(&["--id", ID], PIN);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["outcome"], "manual_passed", "{r:#}");
    assert_eq!(r["reason"], "cannot_perform_challenges");
    let rec = &r["record"];
    assert_eq!(rec["method"]["kind"], "clerk_manual");
    assert_eq!(rec["method"]["clerk_id"], "C0042");
    assert_eq!(rec["face_match"]["status"], "not_run");
    assert_eq!(rec["id_source"], "typed");
    assert_eq!(rec["id_number"], "1101**********002X");
    let q = queue(&cfg);
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(q[0]["outcome"], "manual_passed");

    // The camera is down, the number comes off the card reader.
    let sim = Sim::start(dir.path(), &["--id", ID]);
    let o = check(
        &[
            "--card-device",
            sim.link.to_str().unwrap(),
            "--why",
            "camera_unavailable",
        ],
        PIN,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["reason"], "camera_unavailable", "{r:#}");
    assert_eq!(r["record"]["id_source"], "card_reader");
    assert_eq!(queue(&cfg).len(), 2);

    let o = check(&["--id", ID, "--why", "tired"], PIN);
    assert!(String::from_utf8_lossy(&o.stderr)
        .contains("cannot_perform_challenges or camera_unavailable"));
}
