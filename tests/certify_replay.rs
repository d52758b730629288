//! The whole flow, headless, on replays synthesised from real photos (warped head turns,
//! painted blinks: see src/synth.rs — synthetic, documented as such): `certpoint
//! certify` must pass a replay that performs the asked challenges against a reference of
//! the same man, record a live but unmatched face as `pending_match` (no reference, no
//! pass), and fail a still photo and a different person.

use std::path::{Path, PathBuf};
use std::process::Command;

use certpoint::flow::challenge_plan;
use certpoint::synth::{write_replay, Synth};
use certpoint::vision::Vision;
use certpoint_protocol::Action;
use serde_json::Value;

const ID: &str = "11010519491231002X";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn photo(name: &str) -> PathBuf {
    root().join("tests/data/faces").join(name)
}

struct Kiosk {
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn kiosk() -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("kiosk-config.toml");
    std::fs::write(
        &config,
        format!(
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n[models]\ndir = {:?}\n[voice]\nenabled = false\n",
            root().join("models").to_str().unwrap()
        ),
    )
    .unwrap();
    Kiosk { dir, config }
}

/// The order the flow will ask for with `seed` and the shipped challenge settings.
fn plan(seed: u64) -> Vec<Action> {
    let cfg = certpoint::config::Config::default();
    challenge_plan(&cfg.challenges.set, cfg.challenges.count, seed, 1)
}

fn synth_replay(from: &str, actions: &[Action], out: &Path) {
    let mut v = Vision::load(&root().join("models"), None, 1).unwrap();
    let img = image::open(photo(from)).unwrap().to_rgb8();
    let s = Synth::from_photo(&mut v, &img).unwrap();
    write_replay(&s.replay(actions), out).unwrap();
}

fn certify(k: &Kiosk, camera: &str, reference: Option<&str>, seed: u64) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_certpoint"));
    cmd.arg("--config").arg(&k.config);
    cmd.args([
        "certify",
        "--camera",
        camera,
        "--id",
        ID,
        "--seed",
        &seed.to_string(),
        "--json",
    ]);
    if let Some(r) = reference {
        cmd.arg("--reference").arg(photo(r));
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_replay_performing_the_challenges_passes_and_matches_another_photo_of_the_same_man() {
    let k = kiosk();
    let seed = 7;
    let frames = k.dir.path().join("live");
    synth_replay("obama_portrait.jpg", &plan(seed), &frames);
    let r = certify(
        &k,
        &format!("file:{}", frames.display()),
        Some("obama_podium.jpg"),
        seed,
    );
    assert_eq!(r["outcome"], "passed", "{r:#}");
    let rec = &r["record"];
    let asked: Vec<String> = plan(seed).iter().map(|a| a.as_str().to_owned()).collect();
    let done: Vec<String> = rec["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(done, asked);
    assert!(rec["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    assert_eq!(rec["face_match"]["status"], "scored");
    assert!(
        rec["face_match"]["score"].as_f64().unwrap() >= 0.4,
        "{rec:#}"
    );
    assert_eq!(rec["face_match"]["source"], "server");
    assert_eq!(rec["schema_version"], 2);
    assert!(rec["passive_liveness"]["score"].as_f64().unwrap() >= 0.5);
    assert_eq!(rec["photo"]["media_type"], "image/jpeg");
    assert_eq!(rec["id_number"], "1101**********002X");

    // The record is in the kiosk's store, pending for the server.
    let status = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&k.config)
        .args(["queue", "status", "--json"])
        .output()
        .unwrap();
    let s: Value = serde_json::from_slice(&status.stdout).unwrap();
    assert_eq!(s["pending"], 1);
}

/// The hole issue 11 closes: a live face with no reference to compare with (this kiosk
/// has no server) proves liveness only. It is `pending_match`, never `passed`.
#[test]
fn offline_a_live_unenrolled_face_is_pending_match_never_passed() {
    let k = kiosk();
    let seed = 11;
    let frames = k.dir.path().join("live");
    synth_replay("obama_portrait.jpg", &plan(seed), &frames);
    let r = certify(&k, &format!("file:{}", frames.display()), None, seed);
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["reason"], "server_unavailable", "{r:#}");
    let rec = &r["record"];
    assert_eq!(rec["schema_version"], 2);
    assert_eq!(rec["outcome"], "pending_match");
    assert_eq!(rec["face_match"]["status"], "pending_match");
    // Liveness was proven: every challenge done, passive score above its threshold.
    assert!(rec["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == true));
    let passive = &rec["passive_liveness"];
    assert!(passive["score"].as_f64().unwrap() >= passive["threshold"].as_f64().unwrap());
    // The face crop is kept for the agency to match later.
    assert_eq!(rec["photo"]["media_type"], "image/jpeg");
    assert!(r["prompts"]
        .as_array()
        .unwrap()
        .contains(&Value::from("pending_match")));
    assert!(!r["prompts"]
        .as_array()
        .unwrap()
        .contains(&Value::from("passed")));

    // Nothing of this run is on file as passed.
    let list = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&k.config)
        .args(["queue", "list", "--json"])
        .output()
        .unwrap();
    let entries: Value = serde_json::from_slice(&list.stdout).unwrap();
    let outcomes: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["pending_match"]);
}

#[test]
fn a_still_photo_never_passes() {
    let k = kiosk();
    let still = k.dir.path().join("still");
    synth_replay("obama_portrait.jpg", &[], &still);
    // A single photo held up: the first frame of the still replay, played as a photo.
    let one = still.join("frame_00000.jpg");
    let r = certify(
        &k,
        &format!("file:{}", one.display()),
        Some("obama_podium.jpg"),
        3,
    );
    assert_ne!(r["outcome"], "passed", "{r:#}");
    assert_eq!(r["reason"], "challenge_timeout", "{r:#}");
    assert!(r["record"]["challenges"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["passed"] == false));
}

#[test]
fn a_different_person_performing_the_challenges_fails_the_match() {
    let k = kiosk();
    let seed = 5;
    let frames = k.dir.path().join("live");
    synth_replay("astronaut.jpg", &plan(seed), &frames);
    let r = certify(
        &k,
        &format!("file:{}", frames.display()),
        Some("obama_podium.jpg"),
        seed,
    );
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert_eq!(r["reason"], "face_match_below_threshold", "{r:#}");
    assert!(r["record"]["face_match"]["score"].as_f64().unwrap() < 0.4);
}
