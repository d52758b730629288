//! One test per validation rule.

use std::fs;

use certpoint_protocol::Action;

use super::super::*;
use super::{install, ok, one, parse_in, problems, with, MINIMAL};
#[test]
fn minimal_file_takes_every_default() {
    let c = ok(MINIMAL);
    let expected = Config {
        kiosk: KioskSection {
            id: "K-1".into(),
            site_code: "110105".into(),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(c, expected);
    assert_eq!(
        c.challenges.set,
        [
            Action::Blink,
            Action::TurnLeft,
            Action::TurnRight,
            Action::LookUp
        ]
    );
}

#[test]
fn kiosk_id_is_required_and_restricted() {
    let p = one("[kiosk]\nsite_code = \"110105\"\n", "kiosk.id");
    assert_eq!(
        (p.line, p.column),
        (1, 1),
        "absent key points at its section header"
    );
    one(
        "[kiosk]\nid = \"a b\"\nsite_code = \"110105\"\n",
        "kiosk.id",
    );
    one(
        &format!(
            "[kiosk]\nid = \"{}\"\nsite_code = \"110105\"\n",
            "x".repeat(33)
        ),
        "kiosk.id",
    );
    ok(&format!(
        "[kiosk]\nid = \"{}\"\nsite_code = \"110105\"\n",
        "A_b-9".repeat(6)
    ));
}

#[test]
fn site_code_is_six_digits_of_a_real_province() {
    for bad in ["", "11010", "11010x", "1101050", "990105"] {
        one(
            &format!("[kiosk]\nid = \"K\"\nsite_code = \"{bad}\"\n"),
            "kiosk.site_code",
        );
    }
    let p = one(
        "[kiosk]\nid = \"K\"\nsite_code = 110105\n",
        "kiosk.site_code",
    );
    assert!(
        p.fix.contains("site_code = \"\""),
        "wrong type shows the default as the example: {p}"
    );
}

#[test]
fn data_dir_must_not_be_a_file() {
    let dir = install();
    fs::write(dir.path().join("data"), "").unwrap();
    let found = parse_in(dir.path(), MINIMAL).unwrap_err();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].key, "kiosk.data_dir");
    ok(&format!("{MINIMAL}data_dir = \"not/yet/there\"\n"));
}

#[test]
fn server_url_rules() {
    assert!(ok(MINIMAL).server.is_offline());
    ok(&with("server", "url = \"https://cert.example.gov.cn/\""));
    ok(&with("server", "url = \"http://127.0.0.1:8080\""));
    one(
        &with("server", "url = \"cert.example.gov.cn\""),
        "server.url",
    );
    let p = one(
        &with("server", "url = \"http://10.1.2.3:8080\""),
        "server.url",
    );
    assert!(
        p.fix.contains("https://") && p.fix.contains("ca_bundle"),
        "{p}"
    );
    // The switch that allowed it is gone, and saying so names the way forward.
    let p = one(
        &with(
            "server",
            "url = \"https://10.1.2.3:8443\"\nallow_plain_http = true",
        ),
        "server.allow_plain_http",
    );
    assert!(p.message.contains("removed"), "{p}");
    assert!(p.fix.contains("ca_bundle"), "{p}");
}

#[test]
fn token_and_token_file_are_exclusive_and_files_must_exist() {
    let dir = install();
    fs::write(dir.path().join("token"), " tok-1 \n").unwrap();
    let loaded = parse_in(dir.path(), &with("server", "token_file = \"token\"")).unwrap();
    assert_eq!(loaded.server_token().unwrap().expose(), "tok-1");
    let both = parse_in(
        dir.path(),
        &with("server", "token = \"x\"\ntoken_file = \"token\""),
    )
    .unwrap_err();
    assert_eq!(both.len(), 1);
    assert_eq!(both[0].key, "server.token_file");
    one(
        &with("server", "token_file = \"missing\""),
        "server.token_file",
    );
    one(
        &with("server", "ca_bundle = \"missing.pem\""),
        "server.ca_bundle",
    );
    one(&with("server", "signing_key = \"\""), "server.signing_key");
    one(
        &with("server", "request_timeout_secs = 0"),
        "server.request_timeout_secs",
    );
}

#[test]
fn secret_token_never_appears_in_debug() {
    let c = ok(&with("server", "token = \"s3cr3t-token\""));
    assert_eq!(c.server.token.expose(), "s3cr3t-token");
    let dump = format!("{c:?} {c:#?}");
    assert!(!dump.contains("s3cr3t"), "{dump}");
    assert!(dump.contains("***"));
    let serialised = toml::to_string(&c).unwrap();
    assert!(!serialised.contains("s3cr3t"), "{serialised}");
}

#[test]
fn camera_source_and_sizes() {
    assert_eq!(
        ok(&with("camera", "source = \"device:2\"")).camera.source,
        CameraSource::Device(2)
    );
    assert_eq!(
        ok(&with("camera", "source = \"demo\"")).camera.source,
        CameraSource::Demo
    );
    let p = one(&with("camera", "source = \"webcam\""), "camera.source");
    assert!(p.fix.contains("device:N"), "{p}");
    assert_eq!((p.line, p.column), (5, 10));
    one(
        &with("camera", "source = \"file:no/such/dir\""),
        "camera.source",
    );
    one(&with("camera", "width = 100"), "camera.width");
    one(&with("camera", "height = 4000"), "camera.height");
    one(&with("camera", "fps = 0"), "camera.fps");
    one(&with("camera", "replay_fps = 61"), "camera.replay_fps");
}

#[test]
fn replay_directory_resolves_against_the_file() {
    let dir = install();
    fs::create_dir_all(dir.path().join("replay/ok")).unwrap();
    let loaded = parse_in(dir.path(), &with("camera", "source = \"file:replay/ok\"")).unwrap();
    let CameraSource::Replay(p) = &loaded.config.camera.source else {
        panic!()
    };
    assert!(loaded.path_of(p).is_dir());
}

#[test]
fn models_and_voice_directories() {
    one(&with("models", "dir = \"nope\""), "models.dir");
    one(&with("models", "intra_threads = 9"), "models.intra_threads");
    one(&with("voice", "dir = \"nope\""), "voice.dir");
    ok(&with("voice", "dir = \"nope\"\nenabled = false"));
    one(&with("voice", "volume = 1.5"), "voice.volume");
}

#[test]
fn voice_speaker_is_female_or_male_and_located() {
    let p = one(&with("voice", "speaker = \"robot\""), "voice.speaker");
    assert!(p.line > 1 && p.column > 1, "{p:?}");
    assert!(p.to_string().contains("female, male"), "{p}");
    assert_eq!(
        ok(&with("voice", "speaker = \"male\"")).voice.speaker,
        "male"
    );
    assert_eq!(ok(MINIMAL).voice.speaker, "female");
}

#[test]
fn threshold_ranges_and_orderings() {
    one(
        &with("thresholds", "face_match = 1.2"),
        "thresholds.face_match",
    );
    one(
        &with("thresholds", "passive_liveness = nan"),
        "thresholds.passive_liveness",
    );
    one(
        &with("thresholds", "face_size_min = 0.01"),
        "thresholds.face_size_min",
    );
    let p = one(
        &with("thresholds", "face_size_min = 0.5\nface_size_max = 0.4"),
        "thresholds.face_size_max",
    );
    assert_eq!(p.line, 6, "points at face_size_max: {p}");
    one(
        &with("thresholds", "min_brightness = 200\nmax_brightness = 100"),
        "thresholds.max_brightness",
    );
    one(
        &with("thresholds", "max_brightness = 300"),
        "thresholds.max_brightness",
    );
    one(
        &with("thresholds", "min_sharpness = -1"),
        "thresholds.min_sharpness",
    );
    one(
        &with("thresholds", "max_yaw_deg = 60"),
        "thresholds.max_yaw_deg",
    );
    assert_eq!(
        ok(&with("thresholds", "min_brightness = 50"))
            .thresholds
            .min_brightness,
        50.0
    );
}

#[test]
fn challenge_set_and_count() {
    let c = ok(&with(
        "challenges",
        "set = [\"nod\", \"open_mouth\"]\ncount = 2",
    ));
    assert_eq!(c.challenges.set, [Action::Nod, Action::OpenMouth]);
    let p = one(
        &with("challenges", "set = [\"blink\", \"wink\"]"),
        "challenges.set",
    );
    assert!(
        p.message.contains("wink") && p.fix.contains("turn_left"),
        "{p}"
    );
    assert_eq!(p.column, 17, "points at the bad element: {p}");
    let p = one(
        &with(
            "challenges",
            "set = [\"blink\", \"nod\", \"blink\"]\ncount = 2",
        ),
        "challenges.set",
    );
    assert_eq!(p.column, 24, "points at the repeat: {p}");
    one(&with("challenges", "set = []"), "challenges.set");
    let p = one(
        &with("challenges", "set = [\"blink\", \"nod\"]"),
        "challenges.count",
    );
    assert_eq!(
        p.fix,
        "use a value from 1 to 2 (the number of actions in challenges.set)"
    );
    one(&with("challenges", "count = 0"), "challenges.count");
    one(
        &with("challenges", "timeout_secs = 2"),
        "challenges.timeout_secs",
    );
}

#[test]
fn flow_ranges() {
    for (key, bad) in [
        ("max_attempts", "0"),
        ("positioning_timeout_secs", "4"),
        ("reference_timeout_secs", "61"),
        ("matching_timeout_secs", "0"),
        ("result_display_secs", "2"),
        ("min_pension_age", "81"),
        ("voice_repeat_secs", "1"),
    ] {
        one(
            &with("flow", &format!("{key} = {bad}")),
            &format!("flow.{key}"),
        );
    }
}

#[test]
fn clerk_pin_lockout_ranges() {
    for (key, bad) in [
        ("max_pin_attempts", "0"),
        ("max_pin_attempts", "21"),
        ("lockout_minutes", "0"),
        ("lockout_minutes", "1441"),
    ] {
        one(
            &with("clerk", &format!("{key} = {bad}")),
            &format!("clerk.{key}"),
        );
    }
    let c = ok(&with("clerk", "max_pin_attempts = 3\nlockout_minutes = 60"));
    let p = crate::store::PinPolicy::from(&c.clerk);
    assert_eq!(
        (p.max_attempts, p.lockout),
        (3, chrono::Duration::minutes(60))
    );
}

#[test]
fn languages() {
    ok(&with("ui", "language = \"en\"\nlanguages = [\"en\"]"));
    one(&with("ui", "language = \"fr\""), "ui.language");
    one(
        &with("ui", "language = \"en\"\nlanguages = [\"zh-CN\"]"),
        "ui.languages",
    );
    one(
        &with("ui", "languages = [\"zh-CN\", \"zh-CN\", \"en\"]"),
        "ui.languages",
    );
    one(
        &with("ui", "languages = [\"zh-CN\", \"de\"]"),
        "ui.languages",
    );
    one(&with("ui", "languages = []"), "ui.languages");
}

#[test]
fn certification_window_month_days() {
    let c = ok(&with(
        "certification_window",
        "start = \"11-01\"\nend = \"02-29\"",
    ));
    assert_eq!(c.certification_window.start, MonthDay::new(11, 1).unwrap());
    let p = one(
        &with("certification_window", "end = \"02-30\""),
        "certification_window.end",
    );
    assert!(p.fix.contains("MM-DD"), "{p}");
    one(
        &with("certification_window", "start = \"4-1\""),
        "certification_window.start",
    );
}

#[test]
fn retention_and_logging() {
    one(&with("retention", "days = 0"), "retention.days");
    let p = one(&with("logging", "level = \"verbose\""), "logging.level");
    assert!(p.fix.contains("debug"), "{p}");
    one(
        &with("logging", "file_max_files = 0"),
        "logging.file_max_files",
    );
}

#[test]
fn the_depth_check_is_ranged_and_must_fit_inside_a_turn() {
    let c = ok(MINIMAL);
    assert!(c.depth_check.enabled);
    assert_eq!(c.depth_check.threshold, DEFAULT_DEPTH_THRESHOLD);
    one(
        &with("depth_check", "threshold = 0.8"),
        "depth_check.threshold",
    );
    one(
        &with("depth_check", "min_yaw_deg = 2.0"),
        "depth_check.min_yaw_deg",
    );
    // turn_deg 18 and a frontal frame up to 4° off rest: 14° is the most a turn
    // is sure to reach.
    let p = one(
        &with("depth_check", "min_yaw_deg = 16.0"),
        "depth_check.min_yaw_deg",
    );
    assert!(p.fix.contains("14"), "{p}");
    let off = ok(&with("depth_check", "enabled = false\nmin_yaw_deg = 16.0"));
    assert!(!off.depth_check.enabled);
    assert!(problems(&with("depth_check", "thresold = 0.02"))[0]
        .fix
        .contains("threshold"));
}
