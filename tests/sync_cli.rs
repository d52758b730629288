//! `certpoint keys init|show` and `certpoint sync now` as a user runs them, and the
//! kill -9 loop: `sync now` killed mid-batch again and again loses and duplicates
//! nothing on the server.

mod sync_support;

use std::collections::HashSet;
use std::os::unix::fs::PermissionsExt;
use std::process::{Output, Stdio};
use std::time::Duration;

use sync_support::{Agency, Kiosk, TOKEN};

fn certpoint(kiosk: &Kiosk, args: &[&str]) -> Output {
    kiosk
        .command()
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

#[test]
fn keys_init_creates_a_0600_key_once_and_prints_its_public_key() {
    let kiosk = Kiosk::new("K-KEYS", "", 5);
    // Kiosk::new made a key; start over without it.
    std::fs::remove_file(kiosk.cfg.signing_key_path()).unwrap();
    let o = certpoint(&kiosk, &["keys", "init", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let public = v["public_key"].as_str().unwrap();
    certpoint_protocol::parse_public_key(public).unwrap();
    assert_eq!(v["kiosk_id"], "K-KEYS");
    let mode = std::fs::metadata(kiosk.cfg.signing_key_path())
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let again = certpoint(&kiosk, &["keys", "init"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    let show = certpoint(&kiosk, &["keys", "show"]);
    assert!(String::from_utf8_lossy(&show.stdout).contains(public));
    assert!(
        String::from_utf8_lossy(&show.stdout).contains("certpoint-agency kiosk add --id K-KEYS")
    );
}

#[test]
fn sync_now_drains_and_reports_counts() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-NOW", &agency.url(), 5);
    agency.register("K-NOW", &kiosk.key, TOKEN);
    let ids = kiosk.enqueue(25);
    let o = certpoint(&kiosk, &["sync", "now", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["sent"], 25);
    assert_eq!(v["pending"], 0);
    assert_eq!(v["result"], "done");
    let got: Vec<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    assert_eq!(got, ids);
    let o = certpoint(&kiosk, &["sync", "now"]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("still pending: 0"));
    let o = certpoint(&kiosk, &["sync", "status", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["queue"]["sent"], 25);
    assert_eq!(v["worker"]["state"], "online");
    assert!(!String::from_utf8_lossy(&o.stdout).contains(TOKEN));
}

#[test]
fn sync_now_fails_while_the_server_is_down_and_keeps_everything() {
    let agency = Agency::stopped();
    let kiosk = Kiosk::new("K-DOWN", &agency.url(), 1);
    kiosk.enqueue(3);
    let o = certpoint(&kiosk, &["sync", "now", "--json"]);
    assert!(!o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["pending"], 3);
    assert_eq!(v["result"], "server_unavailable");
    let o = certpoint(&kiosk, &["sync", "status"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("sync: offline"), "{text}");
    assert!(text.contains("last error: cannot connect"), "{text}");
}

#[test]
fn sync_now_in_offline_mode_says_so() {
    let kiosk = Kiosk::new("K-OFF", "", 5);
    let o = certpoint(&kiosk, &["sync", "now"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("offline mode"));
}

#[test]
fn kill_9_mid_batch_in_a_loop_loses_and_duplicates_nothing() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-KILL", &agency.url(), 5);
    agency.register("K-KILL", &kiosk.key, TOKEN);
    let mut ids = Vec::new();
    let mut kills = 0;
    for round in 0..12u64 {
        ids.extend(kiosk.enqueue(40));
        let mut child = kiosk
            .command()
            .args(["sync", "now"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread the kill over start-up, mid-batch and (sometimes) after the end.
        std::thread::sleep(Duration::from_millis(10 + (round * 37) % 120));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
    }
    assert!(kills >= 6, "only {kills} runs were killed mid-way");
    let o = certpoint(&kiosk, &["sync", "now", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let got: Vec<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    assert_eq!(got.len(), ids.len(), "server rows");
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        got.len(),
        "duplicates"
    );
    assert_eq!(got, ids, "nothing lost, in order");
    let q = kiosk.store().status().unwrap();
    assert_eq!((q.pending, q.sent), (0, ids.len() as u64));
}
