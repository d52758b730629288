//! The listener thread against the simulator's reader in memory: new cards offered once,
//! newest only, paused during a session, faults reported and the device reopened.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use super::*;
use crate::card_reader::sim::{CardSpec, SimReader};
use crate::card_reader::testing::{sim_with, Line};

const WAIT: Duration = Duration::from_secs(10);

fn settings() -> ListenerSettings {
    ListenerSettings {
        device: "/dev/null".into(),
        baud: 115_200,
        poll_interval: Duration::from_millis(5),
        reopen_interval: Duration::from_millis(5),
        reader: ReaderSettings::default(),
        photo_decoder: None,
    }
}

fn listen(sim: &Arc<Mutex<SimReader>>, notified: &Arc<AtomicUsize>) -> CardListener {
    let (sim, n) = (sim.clone(), notified.clone());
    CardListener::spawn_with(
        move || Ok(Line::to_sim(sim.clone())),
        settings(),
        move || {
            n.fetch_add(1, Ordering::SeqCst);
        },
    )
}

/// Waits until the simulator has seen `n` more requests (the listener polled on).
fn polls(sim: &Arc<Mutex<SimReader>>, n: u64) {
    let start = sim.lock().unwrap().requests;
    let deadline = std::time::Instant::now() + WAIT;
    while sim.lock().unwrap().requests < start + n {
        assert!(
            std::time::Instant::now() < deadline,
            "the listener stopped polling"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_card_is_offered_once_with_its_number_and_the_consumer_is_notified() {
    let sim = sim_with(CardSpec::default(), true, true, &[]);
    let notified = Arc::new(AtomicUsize::new(0));
    let l = listen(&sim, &notified);
    let Some(Offered::Card(ev)) = l.wait(WAIT) else {
        panic!("no card offered")
    };
    assert_eq!(ev.seq, 1);
    assert_eq!(
        ev.id.as_ref().map(|i| i.masked()),
        Some("1101**********002X".into())
    );
    assert!(!ev.expired);
    assert!(ev.photo.is_none(), "no decoder configured");
    assert_eq!(l.status(), ReaderStatus::Ready);
    // The callback runs just after the offer is visible.
    let deadline = std::time::Instant::now() + WAIT;
    while notified.load(Ordering::SeqCst) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the consumer was not notified"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    // The card stays (and this reader finds it again): nothing more is offered.
    polls(&sim, 30);
    assert!(l.take().is_none());
    assert_eq!(
        notified.load(Ordering::SeqCst),
        1,
        "one card, one notification"
    );
    l.stop();
}

#[test]
fn an_expired_card_is_flagged() {
    let spec = CardSpec {
        valid_to: Some("2020-01-01".into()),
        ..Default::default()
    };
    let sim = sim_with(spec, true, false, &[]);
    let l = listen(&sim, &Arc::default());
    let Some(Offered::Card(ev)) = l.wait(WAIT) else {
        panic!("no card offered")
    };
    assert!(ev.expired);
}

#[test]
fn paused_it_neither_polls_nor_keeps_an_offer() {
    let sim = sim_with(CardSpec::default(), false, false, &[]);
    let l = listen(&sim, &Arc::default());
    polls(&sim, 3);
    l.set_listening(false);
    // Once paused, the request count stops moving.
    let deadline = std::time::Instant::now() + WAIT;
    while l.status() != ReaderStatus::Paused {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    let before = sim.lock().unwrap().requests;
    sim.lock().unwrap().set_present(true);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(sim.lock().unwrap().requests, before);
    assert!(l.take().is_none());
    l.set_listening(true);
    assert!(matches!(l.wait(WAIT), Some(Offered::Card(_))));
    // Listening again, the clerk panel says so (it once stayed "paused").
    assert_eq!(l.status(), ReaderStatus::Ready);
}

#[test]
fn the_newest_card_replaces_one_not_taken() {
    let sim = sim_with(CardSpec::default(), true, false, &[]);
    let notified = Arc::new(AtomicUsize::new(0));
    let l = listen(&sim, &notified);
    let deadline = std::time::Instant::now() + WAIT;
    while notified.load(Ordering::SeqCst) < 1 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    let other = CardSpec {
        id: Some(crate::card_reader::card::tests::number("11010519500101001")),
        ..Default::default()
    };
    sim.lock().unwrap().set_card(other.build().unwrap());
    while notified.load(Ordering::SeqCst) < 2 {
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    let Some(Offered::Card(ev)) = l.take() else {
        panic!()
    };
    assert_eq!(ev.seq, 2);
    assert!(ev.read.card.number().starts_with("11010519500101"));
    assert!(l.take().is_none(), "only the newest is kept");
}

#[test]
fn a_bad_card_is_offered_as_a_failure_once() {
    let spec = CardSpec {
        id: Some("110105194912310021".into()),
        ..Default::default()
    };
    let sim = sim_with(spec, true, true, &[]);
    let l = listen(&sim, &Arc::default());
    let Some(Offered::Failed(e)) = l.wait(WAIT) else {
        panic!("no failure offered")
    };
    assert!(matches!(e, ReaderError::Card(_)), "{e}");
    polls(&sim, 30);
    assert!(
        l.take().is_none(),
        "the same failure is not offered at every poll"
    );
}

#[test]
fn a_missing_device_is_a_fault_and_is_reopened() {
    let sim = sim_with(CardSpec::default(), true, false, &[]);
    let opens = Arc::new(AtomicUsize::new(0));
    let (s, o) = (sim.clone(), opens.clone());
    let l = CardListener::spawn_with(
        move || {
            if o.fetch_add(1, Ordering::SeqCst) < 3 {
                Err(ReaderError::NoDevice {
                    path: "/dev/ttyUSB7".into(),
                })
            } else {
                Ok(Line::to_sim(s.clone()))
            }
        },
        settings(),
        || {},
    );
    assert!(matches!(l.wait(WAIT), Some(Offered::Card(_))));
    assert!(opens.load(Ordering::SeqCst) >= 4);
    l.stop();

    let l = CardListener::spawn_with(
        || -> Result<Line, _> {
            Err(ReaderError::NoDevice {
                path: "/dev/ttyUSB7".into(),
            })
        },
        settings(),
        || {},
    );
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let ReaderStatus::Fault(text) = l.status() {
            assert!(text.contains("/dev/ttyUSB7"), "{text}");
            break;
        }
        assert!(std::time::Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(2));
    }
    drop(l);
}

#[test]
fn stopping_is_prompt_even_with_a_long_poll_interval() {
    let sim = sim_with(CardSpec::default(), false, false, &[]);
    let s = sim.clone();
    let l = CardListener::spawn_with(
        move || Ok(Line::to_sim(s.clone())),
        ListenerSettings {
            poll_interval: Duration::from_secs(3600),
            ..settings()
        },
        || {},
    );
    let deadline = std::time::Instant::now() + WAIT;
    while l.status() != ReaderStatus::Ready {
        assert!(std::time::Instant::now() < deadline, "{:?}", l.status());
        std::thread::sleep(Duration::from_millis(2));
    }
    let (done, stopped) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        l.stop();
        let _ = done.send(());
    });
    assert!(
        stopped.recv_timeout(WAIT).is_ok(),
        "stop waited for the poll interval"
    );
}

#[test]
fn with_a_decoder_the_chip_photo_comes_with_the_card() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bmp = dir.path().join("decoded.bmp");
    image::RgbImage::from_pixel(102, 126, image::Rgb([1, 2, 3]))
        .save_with_format(&bmp, image::ImageFormat::Bmp)
        .unwrap();
    let script = dir.path().join("wlt2bmp");
    std::fs::write(&script, format!("#!/bin/sh\ncp {} \"$2\"\n", bmp.display())).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let decoder = PhotoDecoder::parse(
        &format!("{} {{in}} {{out}}", script.display()),
        dir.path(),
        Duration::from_secs(10),
    )
    .unwrap();
    let sim = sim_with(CardSpec::default(), true, false, &[]);
    let s = sim.clone();
    let l = CardListener::spawn_with(
        move || Ok(Line::to_sim(s.clone())),
        ListenerSettings {
            photo_decoder: Some(decoder),
            ..settings()
        },
        || {},
    );
    let Some(Offered::Card(ev)) = l.wait(WAIT) else {
        panic!("no card offered")
    };
    let photo = ev.photo.expect("a decoder is configured").unwrap();
    assert_eq!(photo.dimensions(), (102, 126));
    assert_eq!(photo.get_pixel(0, 0), &image::Rgb([1, 2, 3]));
}
