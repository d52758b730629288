//! Personal data stays out of every log and every command's output: a whole session
//! (`certify` against the server's reference, `sync now`) at the most verbose log level,
//! then the admin commands, and nothing printed or written to `<data_dir>/logs` carries
//! the full ID number.

mod sync_support;

use sync_support::{Agency, Kiosk, TOKEN};

const ID: &str = "11010519491231002X";

/// Everything a command printed, at trace level.
fn run(kiosk: &Kiosk, args: &[&str]) -> String {
    let out = kiosk
        .command()
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
    agency.enrol(ID, "obama_podium.jpg");
    let frames = kiosk.live_replay(5);

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
