//! The driver's rule for the chip photo, with the real face model: a decoded chip photo
//! is the session's reference (`id_card_chip`) only for the session its own card read
//! starts. A card read refused because another session runs leaves nothing behind for
//! the next person, and a photo with no face falls back with a clerk notice.

use std::path::Path;
use std::sync::Arc;

use certpoint::driver::{Driver, Host, ReferenceAnswer};
use certpoint::flow::{CardFacts, ChipPhoto, ClerkNotice, Event, Now, Prompt, ReferenceStatus};
use certpoint::id_number::IdNumber;
use certpoint::record::KioskIdentity;
use certpoint::store::{Enqueued, Store};
use certpoint::vision::Vision;
use certpoint_protocol::{CertificationRecord, IdSource, ReferenceSource};
use chrono::{DateTime, Duration};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// An offline kiosk: no server, no cache.
struct Offline {
    store: Store,
    notices: Vec<ClerkNotice>,
}

impl Host for Offline {
    fn look_up(&mut self, _id: &IdNumber, _period: &str) -> ReferenceAnswer {
        ReferenceAnswer::Unavailable
    }
    fn store(&mut self, r: CertificationRecord, photo: Option<&[u8]>) -> anyhow::Result<Enqueued> {
        Ok(self.store.enqueue(r, photo)?)
    }
    fn speak(&mut self, _: &Prompt) {}
    fn notify(&mut self, n: &ClerkNotice) {
        self.notices.push(n.clone());
    }
}

fn at(ms: u64) -> Now {
    Now {
        mono_ms: ms,
        wall: DateTime::parse_from_rfc3339("2026-05-10T09:30:00+08:00").unwrap()
            + Duration::milliseconds(ms as i64),
    }
}

fn reference(d: &Driver) -> ReferenceStatus {
    d.state.session().expect("a session").reference.clone()
}

#[test]
fn a_chip_photo_serves_only_the_session_its_card_read_starts() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = certpoint::config::parse_str(
        &format!(
            "[kiosk]\nid = \"T\"\nsite_code = \"110105\"\n[models]\ndir = {:?}\n[voice]\nenabled = false\n",
            root().join("models").to_str().unwrap()
        ),
        &dir.path().join("kiosk-config.toml"),
    )
    .unwrap();
    let mut vision = Vision::load(&root().join("models"), None, 1).unwrap();
    let identity = KioskIdentity {
        kiosk_id: "T".into(),
        site_code: "110105".into(),
        app_version: "test".into(),
        models: Default::default(),
    };
    let mut host = Offline {
        store: Store::open_in(dir.path()).unwrap(),
        notices: Vec::new(),
    };
    let mut d = Driver::new(&cfg, identity, cfg.config.liveness.clone());
    let face = |name: &str| {
        Arc::new(
            image::open(root().join("tests/data/faces").join(name))
                .unwrap()
                .to_rgb8(),
        )
    };
    let a = IdNumber::parse("11010519491231002X").unwrap();
    let facts = CardFacts {
        chip_photo: ChipPhoto::Decoded,
        ..CardFacts::default()
    };

    // A's card with A's photo: the chip is the reference although the server is out.
    d.card_read(
        &mut host,
        &mut vision,
        at(0),
        a.clone(),
        1,
        facts.clone(),
        Some(face("obama_podium.jpg")),
    )
    .unwrap();
    match reference(&d) {
        ReferenceStatus::Found { source, version } => {
            assert_eq!(source, ReferenceSource::IdCardChip);
            assert!(version.starts_with("chip:sha256:"), "{version}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(d.state.session().unwrap().id_source, IdSource::CardReader);

    // Another card read while A's session runs: refused, and its photo is dropped, so
    // the next session (typed) has no reference but what the server would give.
    let b = IdNumber::parse("110105195001010012").unwrap();
    d.card_read(
        &mut host,
        &mut vision,
        at(100),
        b.clone(),
        2,
        facts.clone(),
        Some(face("biden_portrait.jpg")),
    )
    .unwrap();
    assert!(host.notices.contains(&ClerkNotice::SessionBusy));
    assert_eq!(d.state.session().unwrap().id, a, "A's session goes on");
    d.event(&mut host, &mut vision, at(200), Event::ClerkCancel)
        .unwrap();
    d.event(
        &mut host,
        &mut vision,
        at(300),
        Event::IdScanned {
            id: b.clone(),
            seed: 3,
            source: IdSource::Typed,
        },
    )
    .unwrap();
    assert_eq!(
        reference(&d),
        ReferenceStatus::Unavailable,
        "no chip carried over"
    );
    d.event(&mut host, &mut vision, at(400), Event::ClerkCancel)
        .unwrap();

    // A "photo" without a face: the clerk is told, and the session falls back.
    let blank = Arc::new(image::RgbImage::from_pixel(
        102,
        126,
        image::Rgb([200, 200, 200]),
    ));
    host.notices.clear();
    d.card_read(&mut host, &mut vision, at(500), a, 4, facts, Some(blank))
        .unwrap();
    assert_eq!(reference(&d), ReferenceStatus::Unavailable);
    assert!(
        host.notices
            .iter()
            .any(|n| matches!(n, ClerkNotice::ChipPhotoFailed(_))),
        "{:?}",
        host.notices
    );
}
