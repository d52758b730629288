//! The kiosk runtime behind the window, for real: camera thread on a synthetic replay,
//! the analysis thread with the real models, flow driver and store, and the published
//! views — driven the way the window drives it (events in, `view()` out), no window.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint::flow::{challenge_plan, Event};
use certpoint::id_number::IdNumber;
use certpoint::kiosk::Kiosk;
use certpoint::synth::{write_replay, Synth};
use certpoint::ui::runtime::Runtime;
use certpoint::ui::view::Backend;
use certpoint::ui::voice::LogSpeaker;
use certpoint::vision::Vision;

const ID: &str = "11010519491231002X";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn config(dir: &Path, replay: &Path, looping: bool) -> certpoint::config::LoadedConfig {
    config_with_camera(dir, &format!("file:{}", replay.display()), looping)
}

fn config_with_camera(dir: &Path, camera: &str, looping: bool) -> certpoint::config::LoadedConfig {
    let path = dir.join("kiosk-config.toml");
    std::fs::write(
        &path,
        format!(
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\
             [models]\ndir = {:?}\n[voice]\nenabled = false\n\
             [camera]\nsource = \"{camera}\"\nreplay_loop = {looping}\n",
            root().join("models").to_str().unwrap(),
        ),
    )
    .unwrap();
    certpoint::config::load(&path).unwrap()
}

/// A synthetic replay performing the plan of `seed`, or holding still with `None`.
fn replay(seed: Option<u64>, out: &Path) {
    let cfg = certpoint::config::Config::default();
    let plan = seed
        .map(|seed| challenge_plan(&cfg.challenges.set, cfg.challenges.count, seed, 1))
        .unwrap_or_default();
    let mut v = Vision::load(&root().join("models"), None, 1).unwrap();
    let img = image::open(root().join("tests/data/faces/obama_portrait.jpg"))
        .unwrap()
        .to_rgb8();
    let s = Synth::from_photo(&mut v, &img).unwrap();
    write_replay(&s.replay(&plan), out).unwrap();
}

/// Waits until the published view is in `state` (by name), or panics with the last one.
fn wait_for(rt: &mut Runtime, state: &str, within: Duration) {
    let t = Instant::now();
    loop {
        let v = rt.view();
        if v.state.name() == state {
            return;
        }
        assert!(
            t.elapsed() < within,
            "no {state} within {within:?}; still {} (camera: {})",
            v.state.name(),
            v.camera.label
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// No server is configured, so there is no reference: the live attempt is recorded as
/// pending_match (never passed) and the screen says the office will confirm.
#[test]
fn a_scanned_session_ends_pending_match_offline_on_the_threaded_runtime_and_the_ui_is_told() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    let seed = 7;
    replay(Some(seed), &frames);
    let cfg = config(dir.path(), &frames, true);
    let kiosk = Kiosk::start(&cfg).unwrap();
    let repaints = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&repaints);
    let mut rt = Runtime::start(
        kiosk,
        Box::new(LogSpeaker),
        Arc::new(move || {
            counter.fetch_add(1, Ordering::Relaxed);
        }),
    )
    .unwrap();
    // The view is there at once, before any frame: the UI never waits.
    let t = Instant::now();
    assert_eq!(rt.view().state.name(), "idle");
    assert!(t.elapsed() < Duration::from_millis(50));

    rt.send(Event::IdScanned {
        source: certpoint_protocol::IdSource::Typed,
        id: IdNumber::parse(ID).unwrap(),
        seed,
    });
    wait_for(&mut rt, "positioning", Duration::from_secs(5));
    wait_for(&mut rt, "challenges", Duration::from_secs(60));
    let v = rt.view();
    assert!(v.preview.is_some(), "the live picture is published");
    assert!(v.camera.connected);
    wait_for(&mut rt, "pending_match", Duration::from_secs(120));
    let v = rt.view();
    assert!(v.analysis_ms.is_some());
    assert!(
        v.notices
            .contains(&certpoint::flow::ClerkNotice::PendingMatch(
                certpoint::flow::PendingReason::ServerUnavailable
            )),
        "{:?}",
        v.notices
    );
    assert!(
        repaints.load(Ordering::Relaxed) > 10,
        "the window is asked to repaint"
    );
    // The record is in the store and the panel's queue figure catches up.
    let t = Instant::now();
    while rt.view().queue.as_ref().map(|q| q.pending) != Some(1) {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "queue never showed the record"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_camera_that_ends_is_a_fault_then_reconnects() {
    let dir = tempfile::tempdir().unwrap();
    let frames = dir.path().join("frames");
    // A face holding still: the attempt is running (never passing) when, played once,
    // the replay ends — the camera going away. The reconnect reopens it.
    replay(None, &frames);
    let cfg = config(dir.path(), &frames, false);
    let kiosk = Kiosk::start(&cfg).unwrap();
    let mut rt = Runtime::start(kiosk, Box::new(LogSpeaker), Arc::new(|| {})).unwrap();
    rt.send(Event::IdScanned {
        source: certpoint_protocol::IdSource::Typed,
        id: IdNumber::parse(ID).unwrap(),
        seed: 99,
    });
    wait_for(&mut rt, "camera_fault", Duration::from_secs(60));
    assert!(!rt.view().camera.connected);
    wait_for(&mut rt, "idle", Duration::from_secs(10));
    assert!(rt.view().camera.connected);
    // The attempt the camera loss ended is on file as abandoned, not silently dropped.
    drop(rt);
    let store = certpoint::store::Store::open_in(&cfg.data_dir()).unwrap();
    let outcomes: Vec<String> = store
        .list(None, 10)
        .unwrap()
        .into_iter()
        .map(|e| e.outcome)
        .collect();
    assert_eq!(outcomes, ["abandoned"]);
}

#[test]
fn a_camera_missing_at_start_is_a_fault_with_reconnect_attempts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_with_camera(dir.path(), "device:9", true);
    let kiosk = Kiosk::start(&cfg).unwrap();
    let mut rt = Runtime::start(kiosk, Box::new(LogSpeaker), Arc::new(|| {})).unwrap();
    wait_for(&mut rt, "camera_fault", Duration::from_secs(5));
    let t = Instant::now();
    while rt.view().camera.reconnect_tries < 2 {
        assert!(
            t.elapsed() < Duration::from_secs(15),
            "no reconnect attempts"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let v = rt.view();
    assert!(!v.camera.connected);
    assert!(
        v.camera.label.contains('9'),
        "the clerk sees why: {}",
        v.camera.label
    );
    // A scan while the camera is down opens the manual check by the ID card; once it
    // ends (here: cancelled) the kiosk is back on the fault screen.
    rt.send(Event::IdScanned {
        source: certpoint_protocol::IdSource::Typed,
        id: IdNumber::parse(ID).unwrap(),
        seed: 1,
    });
    wait_for(&mut rt, "manual_check", Duration::from_secs(5));
    assert!(rt
        .view()
        .notices
        .contains(&certpoint::flow::ClerkNotice::ManualCheck(
            certpoint::flow::ManualWhy::CameraUnavailable
        )));
    rt.send(Event::ClerkCancel);
    wait_for(&mut rt, "camera_fault", Duration::from_secs(5));
}
