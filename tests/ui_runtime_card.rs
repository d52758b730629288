//! The window's runtime with the ID card reader wired in: the real `certpoint card
//! simulate` on a pseudo-terminal, the real listener, analysis thread and flow. A card
//! on the reader while idle starts the session like a scan (source `card_reader`); the
//! reader pauses while it runs; a card left on the reader does not start a second
//! session after a cancel, a card put back does.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint::card_reader::ReaderStatus;
use certpoint::flow::{ClerkNotice, Event};
use certpoint::kiosk::Kiosk;
use certpoint::ui::runtime::Runtime;
use certpoint::ui::view::{Backend, View};
use certpoint::ui::voice::LogSpeaker;
use certpoint_protocol::IdSource;

#[path = "common/sim.rs"]
mod sim;
use sim::Sim;

const ID: &str = "11010519491231002X";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Waits until `ok` holds for the published view, or panics with the last one.
fn wait_until(rt: &mut Runtime, what: &str, ok: impl Fn(&View) -> bool) -> Arc<View> {
    let t = Instant::now();
    loop {
        let v = rt.view();
        if ok(&v) {
            return v;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "not {what} within 30 s; state {}, reader {:?}, notices {:?}",
            v.state.name(),
            v.card_reader,
            v.notices
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_card_on_the_reader_starts_the_session_in_the_window_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let sim = Sim::start(dir.path(), &["--id", ID, "--nation", "02", "--no-card"]);
    let photo = root().join("tests/data/faces/obama_portrait.jpg");
    let path = dir.path().join("kiosk-config.toml");
    std::fs::write(
        &path,
        format!(
            "[kiosk]\nid = \"TEST-01\"\nsite_code = \"110105\"\ndata_dir = \"data\"\n\
             [models]\ndir = {:?}\n[voice]\nenabled = false\n\
             [camera]\nsource = \"file:{}\"\nreplay_loop = true\n\
             [card_reader]\nenabled = true\ndevice = {:?}\npoll_interval_ms = 200\n",
            root().join("models").to_str().unwrap(),
            photo.display(),
            sim.link.to_str().unwrap(),
        ),
    )
    .unwrap();
    let cfg = certpoint::config::load(&path).unwrap();
    let kiosk = Kiosk::start(&cfg).unwrap();
    let mut rt = Runtime::start(kiosk, Box::new(LogSpeaker), Arc::new(|| {})).unwrap();

    wait_until(&mut rt, "reader ready", |v| {
        v.card_reader == Some(ReaderStatus::Ready)
    });
    assert_eq!(rt.view().state.name(), "idle");
    sim.replace_card_once();
    let v = wait_until(&mut rt, "a session from the card", |v| {
        v.state.session().is_some()
    });
    let s = v.state.session().unwrap();
    assert_eq!(s.id.as_str(), ID);
    assert_eq!(s.id_source, IdSource::CardReader);
    assert!(s.card.as_ref().unwrap().mongolian);
    wait_until(&mut rt, "the Mongolian notice", |v| {
        v.notices.contains(&ClerkNotice::MongolianCard)
    });
    wait_until(&mut rt, "reader paused", |v| {
        v.card_reader == Some(ReaderStatus::Paused)
    });

    // Cancelled: idle again, listening, but the card still on the reader is the same
    // card and starts nothing.
    rt.send(Event::ClerkCancel);
    wait_until(&mut rt, "idle and listening", |v| {
        v.state.name() == "idle" && v.card_reader == Some(ReaderStatus::Ready)
    });
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(
        rt.view().state.name(),
        "idle",
        "the card left on the reader"
    );

    // Taken off and put back: a new read, a new session.
    sim.replace_card();
    wait_until(&mut rt, "a second session", |v| v.state.session().is_some());
}
