//! Personal data stays out of every log and every command's output: a whole session
//! (`certify` against the server's reference, `sync now`) at the most verbose log level,
//! then the admin commands, and nothing printed or written to `<data_dir>/logs` carries
//! the full ID number.

mod sync_support;

use std::path::Path;
use std::process::Command;

use certpoint::flow::challenge_plan;
use certpoint::synth::{write_replay, Synth};
use certpoint::vision::Vision;
use certpoint_agency::{Reference, Storage};
use sync_support::{Agency, Kiosk, TOKEN};

const ID: &str = "11010519491231002X";

fn faces(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/faces")
        .join(name)
}

/// Everything a command printed, at trace level.
fn run(kiosk: &Kiosk, args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_certpoint"))
        .arg("--config")
        .arg(&kiosk.config_path)
        .args(args)
        .env("RUST_LOG", "trace")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{args:?}: {text}");
    text
}

fn assert_no_id(what: &str, text: &str) {
    // The whole number, and its unmasked middle (birth date + sequence), lowercase too.
    for needle in [ID, "19491231002", "11010519491231002x"] {
        assert!(!text.contains(needle), "{what} carries {needle}:\n{text}");
    }
}

#[test]
fn no_log_or_command_output_carries_a_full_id_number() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-PRIV", &agency.url(), 5);
    agency.register("K-PRIV", &kiosk.key, TOKEN);
    agency
        .storage
        .put_reference(
            ID,
            &Reference {
                version: "ref-v1".into(),
                media_type: "image/jpeg".into(),
                bytes: std::fs::read(faces("obama_podium.jpg")).unwrap(),
            },
        )
        .unwrap();
    let seed = 5;
    let cfg = certpoint::config::Config::default();
    let plan = challenge_plan(&cfg.challenges.set, cfg.challenges.count, seed, 1);
    let mut v = Vision::load(&kiosk.cfg.models_dir(), None, 1).unwrap();
    let img = image::open(faces("obama_portrait.jpg")).unwrap().to_rgb8();
    let frames = kiosk.dir.path().join("live");
    write_replay(
        &Synth::from_photo(&mut v, &img).unwrap().replay(&plan),
        &frames,
    )
    .unwrap();

    let camera = format!("file:{}", frames.display());
    let mut seen = run(
        &kiosk,
        &[
            "certify", "--camera", &camera, "--id", ID, "--seed", "5", "--json",
        ],
    );
    assert!(
        seen.contains("1101**********002X"),
        "the masked form is what shows"
    );
    for args in [
        &["sync", "now", "--json"][..],
        &["sync", "status", "--json"],
        &["queue", "status", "--json"],
        &["queue", "list", "--json"],
        &["queue", "list"],
        &["audit", "list", "--json"],
        &["audit", "list"],
    ] {
        seen.push_str(&run(&kiosk, args));
    }
    assert_eq!(
        agency.records().len(),
        1,
        "the session was real and reached the server"
    );
    assert_no_id("command output", &seen);

    let logs = kiosk.cfg.data_dir().join("logs");
    if let Ok(dir) = std::fs::read_dir(&logs) {
        for f in dir {
            let path = f.unwrap().path();
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert_no_id(&path.display().to_string(), &text);
        }
    }
}
