//! The kiosk asks at the scan (`GET /v1/persons/{id}/status?period=YYYY`) before any
//! attempt: already certified → `already_certified` and nothing stored; deceased (and
//! the other not-eligible states) → `not_eligible` and nothing stored; a status it
//! cannot read → treated as unknown, the session goes on (here to `pending_match`,
//! since this server has no reference either). The endpoint is certpoint-agency's;
//! these cases run against a tiny real HTTP responder on 127.0.0.1 with a fixed answer.

mod sync_support;

use serde_json::Value;
use sync_support::responder::StatusResponder;
use sync_support::Kiosk;

const ID: &str = "11010519491231002X";

/// The period the kiosk computes for today (the shipped window, 04-01…06-30).
fn period() -> String {
    certpoint::driver::period_for(
        &certpoint::config::WindowSection::default(),
        chrono::Local::now().date_naive(),
    )
}

fn status_body(state: &str, channel: &str, at: &str) -> String {
    format!(
        r#"{{"period":"{}","state":"{state}","channel":{channel},"at":{at}}}"#,
        period()
    )
}

/// `certpoint certify --json` for ID with `camera`; returns (report, stderr).
fn certify(k: &Kiosk, camera: &str, seed: u64) -> (Value, String) {
    let out = k
        .command()
        .args(["certify", "--camera", camera, "--id", ID, "--seed"])
        .arg(seed.to_string())
        .arg("--json")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    (serde_json::from_slice(&out.stdout).unwrap(), stderr)
}

/// A single photo as the camera: enough for the cases that end at the scan.
fn photo_camera() -> String {
    format!(
        "file:{}",
        sync_support::face("obama_portrait.jpg").display()
    )
}

fn queue_pending(k: &Kiosk) -> u64 {
    let out = k
        .command()
        .args(["queue", "status", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["pending"].as_u64().unwrap()
}

#[test]
fn already_certified_is_reported_and_nothing_is_stored() {
    let server = StatusResponder::start(
        200,
        &status_body("certified", r#""app""#, r#""2026-04-02T09:30:00+08:00""#),
    );
    let k = Kiosk::new("K-STATUS", &server.url(), 5);
    let (r, _) = certify(&k, &photo_camera(), 1);
    assert_eq!(r["outcome"], "already_certified", "{r:#}");
    assert_eq!(r["state"], "certified");
    assert_eq!(r["channel"], "app");
    assert_eq!(r["at"], "2026-04-02T09:30:00+08:00");
    assert_eq!(r["period"], period().as_str());
    // The existing keys stay, empty where nothing was recorded.
    for key in ["reason", "record_id", "seq", "record"] {
        assert!(r[key].is_null(), "{key}: {r:#}");
    }
    assert_eq!(r["frames_analysed"], 0);
    assert!(r["prompts"]
        .as_array()
        .unwrap()
        .contains(&Value::from("already_certified")));
    assert_eq!(queue_pending(&k), 0, "no attempt is stored");
    // The status was asked for the kiosk's period, and the photo never was.
    let asked = server.requests();
    assert_eq!(
        asked,
        [format!(
            "GET /v1/persons/{ID}/status?period={} HTTP/1.1",
            period()
        )]
    );
}

#[test]
fn a_deceased_person_gets_no_attempt_and_nothing_is_stored() {
    let server = StatusResponder::start(200, &status_body("deceased", "null", "null"));
    let k = Kiosk::new("K-DEAD", &server.url(), 5);
    let (r, _) = certify(&k, &photo_camera(), 2);
    assert_eq!(r["outcome"], "not_eligible", "{r:#}");
    assert_eq!(r["state"], "deceased");
    assert!(r["record"].is_null());
    assert!(r["prompts"]
        .as_array()
        .unwrap()
        .contains(&Value::from("see_clerk")));
    assert!(r["clerk_notices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n.as_str().unwrap().contains("Deceased")));
    assert_eq!(queue_pending(&k), 0);
    assert_eq!(server.requests().len(), 1, "no reference request");
}

#[test]
fn suspended_and_not_in_roster_are_not_eligible_too() {
    for state in ["suspended", "not_in_roster"] {
        let server = StatusResponder::start(200, &status_body(state, "null", "null"));
        let k = Kiosk::new("K-NE", &server.url(), 5);
        let (r, _) = certify(&k, &photo_camera(), 3);
        assert_eq!(r["outcome"], "not_eligible", "{r:#}");
        assert_eq!(r["state"], state);
        assert_eq!(queue_pending(&k), 0);
    }
}

#[test]
fn a_garbage_status_is_treated_as_unknown_and_the_session_goes_on() {
    let server = StatusResponder::start(200, "<html>captive portal</html>");
    let k = Kiosk::new("K-GARBAGE", &server.url(), 5);
    let seed = 11;
    let frames = k.live_replay(seed);
    let (r, stderr) = certify(&k, &format!("file:{}", frames.display()), seed);
    // Unknown status: the reference is still asked (this server has none), the live
    // attempt runs and, with nothing to match, is recorded pending_match.
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["reason"], "no_reference", "{r:#}");
    assert_eq!(queue_pending(&k), 1);
    assert!(
        stderr.contains("person status unknown") && stderr.contains("not a person status"),
        "the reason is logged: {stderr}"
    );
    let asked = server.requests();
    assert_eq!(asked.len(), 2, "{asked:?}");
    assert!(asked[1].starts_with(&format!("GET /v1/persons/{ID}/reference ")));
}

/// The window asks on the lookup thread and shows the server's word: the flow reaches
/// the not-eligible / already-certified screen with the clerk's notice, and nothing
/// is stored.
#[test]
fn the_window_shows_the_status_from_its_lookup_thread() {
    use certpoint::flow::{ClerkNotice, Event, Ineligibility};
    use certpoint::ui::view::Backend;
    use std::time::{Duration, Instant};

    for (body, screen) in [
        (status_body("suspended", "null", "null"), "not_eligible"),
        (
            status_body("certified", r#""onsite""#, r#""2026-04-02T09:30:00+08:00""#),
            "already_certified",
        ),
    ] {
        let server = StatusResponder::start(200, &body);
        let k = Kiosk::new("K-WIN-STATUS", &server.url(), 5);
        let mut text = std::fs::read_to_string(&k.config_path).unwrap();
        text.push_str(&format!(
            "\n[camera]\nsource = \"{}\"\nreplay_loop = true\n",
            photo_camera()
        ));
        std::fs::write(&k.config_path, text).unwrap();
        let cfg = certpoint::config::load(&k.config_path).unwrap();
        let kiosk = certpoint::kiosk::Kiosk::start(&cfg).unwrap();
        let mut rt = certpoint::ui::runtime::Runtime::start(
            kiosk,
            Box::new(certpoint::ui::voice::LogSpeaker),
            std::sync::Arc::new(|| {}),
        )
        .unwrap();
        rt.send(Event::IdScanned {
            source: certpoint_protocol::IdSource::Typed,
            id: certpoint::id_number::IdNumber::parse(ID).unwrap(),
            seed: 1,
        });
        let t = Instant::now();
        while rt.view().state.name() != screen {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no {screen}; still {}",
                rt.view().state.name()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let notices = rt.view().notices.clone();
        let expected = match screen {
            "not_eligible" => ClerkNotice::NotEligible(Ineligibility::Suspended),
            _ => ClerkNotice::AlreadyCertified {
                at: Some(
                    chrono::DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00").unwrap(),
                ),
                channel: Some(certpoint_protocol::Channel::Onsite),
            },
        };
        assert!(notices.contains(&expected), "{notices:?}");
        drop(rt);
        assert_eq!(queue_pending(&k), 0, "{screen}: nothing stored");
    }
}
