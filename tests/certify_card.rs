//! `certpoint certify --card-device`: the ID number read off a card by the real
//! `certpoint card simulate` over a pseudo-terminal, the chip photo through a fake
//! vendor decoder (a shell script that writes a real photo of the same man), and the
//! whole flow on a synthetic replay (see certify_replay.rs).
//!
//! No reference, no pass: the chip photo is a reference (`id_card_chip`) only for the
//! session its card read started; a decoder that fails leaves the session to the
//! server's or the cache's reference (here: none, offline → pending_match).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use certpoint::flow::challenge_plan;
use certpoint::synth::{write_replay, Synth};
use certpoint::vision::Vision;
use serde_json::Value;

#[path = "common/sim.rs"]
mod sim;
use sim::Sim;

const BIN: &str = env!("CARGO_BIN_EXE_certpoint");
const ID: &str = "11010519491231002X";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn photo(name: &str) -> PathBuf {
    root().join("tests/data/faces").join(name)
}

fn config(dir: &Path, decoder: Option<&Path>) -> PathBuf {
    let cfg = dir.join(match decoder {
        Some(_) => "with-decoder.toml",
        None => "kiosk-config.toml",
    });
    let decoder = decoder
        .map(|d| format!("photo_decoder = \"{} {{in}} {{out}}\"\n", d.display()))
        .unwrap_or_default();
    std::fs::write(
        &cfg,
        format!(
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n[models]\ndir = {:?}\n[voice]\nenabled = false\n[card_reader]\n{decoder}",
            root().join("models").to_str().unwrap()
        ),
    )
    .unwrap();
    cfg
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn certify(cfg: &Path, camera: &Path, link: &Path, seed: u64) -> Value {
    let out = Command::new(BIN)
        .arg("--config")
        .arg(cfg)
        .args(["certify", "--camera"])
        .arg(format!("file:{}", camera.display()))
        .arg("--card-device")
        .arg(link)
        .args(["--seed", &seed.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn notices(r: &Value) -> String {
    r["clerk_notices"].to_string()
}

#[test]
fn the_card_reader_gives_the_number_and_its_chip_photo_is_the_reference() {
    let dir = tempfile::tempdir().unwrap();
    let seed = 7;
    let cfg0 = certpoint::config::Config::default();
    let plan = challenge_plan(&cfg0.challenges.set, cfg0.challenges.count, seed, 1);
    let frames = dir.path().join("live");
    {
        let mut v = Vision::load(&root().join("models"), None, 1).unwrap();
        let img = image::open(photo("obama_portrait.jpg")).unwrap().to_rgb8();
        let s = Synth::from_photo(&mut v, &img).unwrap();
        write_replay(&s.replay(&plan), &frames).unwrap();
    }
    // An expired card of the Mongolian nation: both reach the clerk, the session goes on.
    let sim = Sim::start(
        dir.path(),
        &["--id", ID, "--nation", "02", "--valid-to", "2020-01-01"],
    );

    // 1. No decoder: the number comes from the card, nothing else; offline, so the
    //    live face is pending_match (no reference, no pass).
    let plain = config(dir.path(), None);
    let r = certify(&plain, &frames, &sim.link, seed);
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["record"]["id_source"], "card_reader", "{r:#}");
    assert!(notices(&r).contains("CardExpired"), "{}", notices(&r));
    assert!(notices(&r).contains("MongolianCard"), "{}", notices(&r));

    // 2. A vendor decoder that writes a real photo of the same man (a different picture
    //    from the replay's): the chip photo is the reference, and the attempt passes.
    let good = script(
        dir.path(),
        "wlt2bmp",
        &format!(
            "[ \"$(wc -c < \"$1\")\" -eq 1024 ] || exit 4\ncp {:?} \"$2\"",
            photo("obama_podium.jpg")
        ),
    );
    sim.replace_card();
    let r = certify(&config(dir.path(), Some(&good)), &frames, &sim.link, seed);
    assert_eq!(r["outcome"], "passed", "{r:#}");
    let fm = &r["record"]["face_match"];
    assert_eq!(fm["source"], "id_card_chip", "{r:#}");
    assert!(fm["reference_version"]
        .as_str()
        .unwrap()
        .starts_with("chip:sha256:"));
    assert!(fm["score"].as_f64().unwrap() >= fm["threshold"].as_f64().unwrap());
    assert_eq!(r["record"]["id_source"], "card_reader");

    // 3. A chip photo of someone else (the decoder is the vendor's, the card is not
    //    this man's): the match fails; the chip never certifies a stranger.
    let other = script(
        dir.path(),
        "wlt2bmp-other",
        &format!("cp {:?} \"$2\"", photo("biden_portrait.jpg")),
    );
    sim.replace_card();
    let r = certify(&config(dir.path(), Some(&other)), &frames, &sim.link, seed);
    assert_eq!(r["outcome"], "failed", "{r:#}");
    assert_eq!(r["reason"], "face_match_below_threshold", "{r:#}");
    assert_eq!(r["record"]["face_match"]["source"], "id_card_chip");

    // 4. A decoder that fails: the clerk is told why, and the session falls back to
    //    the server's or the cache's reference (none here: pending_match, not passed).
    let broken = script(
        dir.path(),
        "wlt2bmp-broken",
        "echo 'licence dongle not found' >&2; exit 3",
    );
    sim.replace_card();
    let r = certify(&config(dir.path(), Some(&broken)), &frames, &sim.link, seed);
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["reason"], "server_unavailable", "{r:#}");
    assert!(
        notices(&r).contains("ChipPhotoFailed") && notices(&r).contains("licence dongle"),
        "{}",
        notices(&r)
    );
}

#[test]
fn without_a_card_or_a_number_certify_says_what_to_give() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .args(["certify", "--camera", "file:/nonexistent"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("--card-device") || text.contains("--id"),
        "{text}"
    );

    let sim = Sim::start(dir.path(), &["--no-card"]);
    let out = Command::new(BIN)
        .arg("--config")
        .arg(&cfg)
        .args([
            "certify",
            "--camera",
            "file:/nonexistent",
            "--card-wait",
            "0.5",
        ])
        .arg("--card-device")
        .arg(&sim.link)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("--card-device") && text.contains("card"),
        "{text}"
    );
}

/// `--exclude stiff_neck`: only the blink is asked (a replay that only blinks passes),
/// and the record says what was excluded and why; the number was typed.
#[test]
fn excluded_actions_shrink_the_challenges_and_go_into_the_record() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("blink");
    {
        let mut v = Vision::load(&root().join("models"), None, 1).unwrap();
        let img = image::open(photo("obama_portrait.jpg")).unwrap().to_rgb8();
        let s = Synth::from_photo(&mut v, &img).unwrap();
        write_replay(&s.replay(&[certpoint_protocol::Action::Blink]), &frames).unwrap();
    }
    let cfg = config(dir.path(), None);
    let run = |exclude: &str| {
        Command::new(BIN)
            .arg("--config")
            .arg(&cfg)
            .args(["certify", "--camera"])
            .arg(format!("file:{}", frames.display()))
            .args(["--id", ID, "--seed", "9", "--json", "--exclude", exclude])
            .arg("--reference")
            .arg(photo("obama_podium.jpg"))
            .output()
            .unwrap()
    };
    let out = run("stiff_neck");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["outcome"], "passed", "{r:#}");
    let rec = &r["record"];
    assert_eq!(rec["id_source"], "typed");
    assert_eq!(rec["challenges"].as_array().unwrap().len(), 1);
    assert_eq!(rec["challenges"][0]["action"], "blink");
    let excluded: Vec<(String, String)> = rec["excluded_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        excluded,
        [
            ("turn_left".to_owned(), "stiff_neck".to_owned()),
            ("turn_right".to_owned(), "stiff_neck".to_owned()),
            ("look_up".to_owned(), "stiff_neck".to_owned()),
        ]
    );

    let out = run("stiff_neck,eye_condition");
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("nothing would be left"), "{text}");
    let out = run("bad_knees");
    assert!(String::from_utf8_lossy(&out.stderr).contains("stiff_neck or eye_condition"));
}
