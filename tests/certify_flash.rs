//! The screen flash end to end, headless: `certpoint certify --flash-loopback` lights a
//! still replay (synthesised from a real photo: src/synth.rs) with the flash the
//! driver shows, through the real face models. A face that reflects the screen passes
//! the check; a recording (no response) and a phone screen (its own light) do not; when
//! the config requires it, the attempt fails.
//! SYNTHETIC light (src/flash/loopback.rs): the threshold is not calibrated on real kiosks.

use std::path::{Path, PathBuf};
use std::process::Command;

use certpoint::synth::{write_replay, Synth};
use certpoint::vision::Vision;
use serde_json::Value;

const ID: &str = "11010519491231002X";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn kiosk(dir: &Path, required: bool) -> PathBuf {
    let config = dir.join(format!("kiosk-config-{required}.toml"));
    std::fs::write(
        &config,
        format!(
            // One attempt with one short challenge: the flash comes during positioning,
            // and the still photo's challenge can only time out, so anything longer is
            // minutes of test time saying the same thing.
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data-{required}\"\n[models]\ndir = {:?}\n[voice]\nenabled = false\n[flow]\nmax_attempts = 1\n[challenges]\ncount = 1\ntimeout_secs = 3\n[flash]\nenabled = true\nrequired = {required}\n",
            root().join("models").to_str().unwrap()
        ),
    )
    .unwrap();
    config
}

/// One still frame of a face, centred as the kiosk wants it.
fn still_face(dir: &Path) -> PathBuf {
    let mut v = Vision::load(&root().join("models"), None, 1).unwrap();
    let img = image::open(root().join("tests/data/faces/obama_portrait.jpg"))
        .unwrap()
        .to_rgb8();
    let s = Synth::from_photo(&mut v, &img).unwrap();
    let out = dir.join("still");
    write_replay(&s.replay(&[]), &out).unwrap();
    out.join("frame_00000.jpg")
}

fn certify(config: &Path, photo: &Path, model: &str) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(config)
        .args(["certify", "--camera"])
        .arg(format!("file:{}", photo.display()))
        .args([
            "--id",
            ID,
            "--seed",
            "5",
            "--flash-loopback",
            model,
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn a_reflecting_face_follows_the_flash_and_a_recording_or_a_phone_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let photo = still_face(dir.path());
    let recorded = kiosk(dir.path(), false);
    let mut sequences = Vec::new();
    for (model, passes) in [("live", true), ("replay", false), ("phone", false)] {
        let r = certify(&recorded, &photo, model);
        let f = &r["record"]["screen_flash"];
        assert_eq!(f["passed"], passes, "{model}: {f:#}");
        assert!(f["frames"].as_u64().unwrap() >= 20, "{model}: {f:#}");
        let score = f["score"].as_f64().unwrap();
        let threshold = f["threshold"].as_f64().unwrap();
        assert_eq!(score >= threshold, passes, "{model}: {f:#}");
        if passes {
            assert!(f["correlation"].as_f64().unwrap() > 0.8, "{model}: {f:#}");
            assert!(f["lag_ms"].as_u64().unwrap() <= 200, "{model}: {f:#}");
        }
        // Recorded only: the still photo fails its challenges, not the flash.
        assert_eq!(r["reason"], "challenge_timeout", "{model}: {r:#}");
        assert!(r["prompts"]
            .as_array()
            .unwrap()
            .contains(&Value::from("flash_notice")));
        sequences.push(f["sequence"].as_str().unwrap().to_owned());
    }
    // Same seed, same attempt: the same colours, ten letters of the palette.
    assert!(sequences.windows(2).all(|w| w[0] == w[1]), "{sequences:?}");
    assert!(sequences[0].len() == 10 && sequences[0].chars().all(|c| "ABGP".contains(c)));

    // Required: a recording fails. (The still photo also fails its first challenge,
    // which ends the attempt before the verdict, so the reason here is
    // `challenge_timeout`; the `screen_flash` reason itself is the flow's unit tests'.)
    let required = kiosk(dir.path(), true);
    let r = certify(&required, &photo, "replay");
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert_eq!(r["record"]["screen_flash"]["passed"], false, "{r:#}");
}
