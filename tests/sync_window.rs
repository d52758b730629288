//! The kiosk window asks the server for the reference photo on a thread of its own:
//! the match runs on the kiosk against the server's photo, a slow server does not
//! stall the analysis, and an answer that comes after its session is over is dropped.

mod sync_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use certpoint::driver::{Driver, Host, ReferenceAnswer};
use certpoint::flow::{ClerkNotice, Event, Now, Prompt, ReferenceStatus};
use certpoint::id_number::IdNumber;
use certpoint::record::KioskIdentity;
use certpoint::store::Enqueued;
use certpoint::ui::runtime::Runtime;
use certpoint::ui::view::Backend;
use certpoint::ui::voice::LogSpeaker;
use certpoint::vision::Vision;
use certpoint_agency::Storage;
use certpoint_protocol::{CertificationRecord, ReferenceSource};
use sync_support::{face, wait_until, Agency, Fault, FaultProxy, Kiosk, TOKEN};

const ID: &str = "11010519491231002X";
const OTHER: &str = "110105194912310038";

/// A kiosk whose camera replays a synthetic performance of the plan for `seed`.
fn window_kiosk(id: &str, url: &str, seed: u64, extra: &str) -> Kiosk {
    let k = Kiosk::new(id, url, 15);
    let frames = k.live_replay(seed);
    let mut text = std::fs::read_to_string(&k.config_path).unwrap();
    text.push_str(&format!(
        "\n[camera]\nsource = \"file:{}\"\nreplay_loop = true\n{extra}",
        frames.display()
    ));
    std::fs::write(&k.config_path, text).unwrap();
    Kiosk {
        cfg: certpoint::config::load(&k.config_path).unwrap(),
        ..k
    }
}

fn wait_for(rt: &mut Runtime, state: &str, within: Duration) {
    let t = Instant::now();
    while rt.view().state.name() != state {
        assert!(
            t.elapsed() < within,
            "no {state} within {within:?}; still {}",
            rt.view().state.name()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_window_matches_on_the_kiosk_against_the_servers_reference() {
    let agency = Agency::running();
    agency.enrol(ID, "obama_podium.jpg");
    let seed = 7;
    let k = window_kiosk("K-WIN", &agency.url(), seed, "");
    agency.register(&k.id, &k.key, TOKEN);
    let kiosk = certpoint::kiosk::Kiosk::start(&k.cfg).unwrap();
    assert!(kiosk.reference.is_some(), "a server is configured");
    let mut rt = Runtime::start(kiosk, Box::new(LogSpeaker), Arc::new(|| {})).unwrap();
    rt.send(Event::IdScanned {
        source: certpoint_protocol::IdSource::Typed,
        id: IdNumber::parse(ID).unwrap(),
        seed,
    });
    wait_for(&mut rt, "passed", Duration::from_secs(120));
    // The sync thread delivers it (and the kiosk then purges its copy): read it on
    // the server, as an auditor would.
    assert!(
        wait_until(Duration::from_secs(30), || agency.records().len() == 1),
        "the record never reached the server"
    );
    drop(rt);
    let got = agency.records();
    let stored = agency
        .storage
        .certification(&got[0].record_id)
        .unwrap()
        .unwrap();
    let face_match = &stored.record["face_match"];
    assert_eq!(face_match["status"], "scored", "{face_match}");
    assert_eq!(face_match["reference_version"], "ref-v1");
    assert_eq!(face_match["source"], "server");
    assert_eq!(stored.record["outcome"], "passed");
    let (score, threshold) = (
        face_match["score"].as_f64().unwrap(),
        face_match["threshold"].as_f64().unwrap(),
    );
    assert!(score >= threshold, "{score} < {threshold}");
}

#[test]
fn a_slow_server_does_not_stall_the_analysis() {
    let agency = Agency::running();
    agency.enrol(ID, "obama_podium.jpg");
    let proxy = FaultProxy::start(agency.addr);
    proxy.set(Fault::Slow(Duration::from_secs(8)));
    let seed = 3;
    let k = window_kiosk(
        "K-SLOW",
        &proxy.url(),
        seed,
        "[flow]\nreference_timeout_secs = 2\n",
    );
    agency.register(&k.id, &k.key, TOKEN);
    let kiosk = certpoint::kiosk::Kiosk::start(&k.cfg).unwrap();
    let mut rt = Runtime::start(kiosk, Box::new(LogSpeaker), Arc::new(|| {})).unwrap();
    wait_for(&mut rt, "idle", Duration::from_secs(5));
    let t0 = Instant::now();
    rt.send(Event::IdScanned {
        source: certpoint_protocol::IdSource::Typed,
        id: IdNumber::parse(ID).unwrap(),
        seed,
    });
    wait_for(&mut rt, "identity_entered", Duration::from_secs(5));
    let frames_before = rt.view().preview.as_ref().map(|p| p.seq).unwrap_or(0);
    // The flow gives up waiting after its own 2 s, while the request is still out.
    wait_for(&mut rt, "positioning", Duration::from_secs(6));
    assert!(
        t0.elapsed() < Duration::from_secs(6),
        "the flow moved on before the server answered"
    );
    std::thread::sleep(Duration::from_secs(1));
    let frames_after = rt.view().preview.as_ref().map(|p| p.seq).unwrap_or(0);
    assert!(
        frames_after > frames_before + 10,
        "frames kept flowing while the request was out: {frames_before} → {frames_after}"
    );
    drop(rt);
}

/// A host whose reference lookups are always answered later.
struct LaterHost {
    asked: Vec<IdNumber>,
}

impl Host for LaterHost {
    fn look_up(&mut self, id: &IdNumber, _period: &str) -> ReferenceAnswer {
        self.asked.push(id.clone());
        ReferenceAnswer::Pending
    }
    fn store(&mut self, _: CertificationRecord, _: Option<&[u8]>) -> anyhow::Result<Enqueued> {
        anyhow::bail!("nothing is stored in this test")
    }
    fn speak(&mut self, _: &Prompt) {}
    fn notify(&mut self, _: &ClerkNotice) {}
}

#[test]
fn an_answer_for_the_previous_person_is_dropped() {
    let k = Kiosk::new("K-LATE", "http://127.0.0.1:9", 5);
    let mut vision = Vision::load(&k.cfg.models_dir(), None, 1).unwrap();
    let identity = KioskIdentity {
        kiosk_id: k.id.clone(),
        site_code: "110105".into(),
        app_version: "test".into(),
        models: Default::default(),
    };
    let mut driver = Driver::new(&k.cfg, identity, k.cfg.config.liveness.clone());
    let mut host = LaterHost { asked: Vec::new() };
    let now = |ms| Now {
        mono_ms: ms,
        wall: chrono::Local::now().fixed_offset(),
    };
    let (a, b) = (
        IdNumber::parse(OTHER).unwrap(),
        IdNumber::parse(ID).unwrap(),
    );
    let photo = || ReferenceAnswer::Photo {
        photo: image::open(face("obama_podium.jpg")).unwrap().to_rgb8(),
        version: "ref-v1".into(),
        source: ReferenceSource::Server,
    };
    let reference = |d: &Driver| d.state.session().map(|s| s.reference.clone());

    driver
        .event(
            &mut host,
            &mut vision,
            now(0),
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: a.clone(),
                seed: 1,
            },
        )
        .unwrap();
    driver
        .event(&mut host, &mut vision, now(100), Event::ClerkCancel)
        .unwrap();
    driver
        .event(
            &mut host,
            &mut vision,
            now(200),
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: b.clone(),
                seed: 2,
            },
        )
        .unwrap();
    assert_eq!(host.asked, [a.clone(), b.clone()]);
    assert_eq!(driver.state.name(), "identity_entered");

    // A's photo, late: never matched against B.
    driver
        .reference_arrived(&mut host, &mut vision, now(300), &a, photo())
        .unwrap();
    assert_eq!(driver.state.name(), "identity_entered");
    assert_eq!(reference(&driver), Some(ReferenceStatus::Pending));

    // B's own answer is taken, and only once.
    driver
        .reference_arrived(&mut host, &mut vision, now(400), &b, photo())
        .unwrap();
    assert_eq!(driver.state.name(), "positioning");
    let found = Some(ReferenceStatus::Found {
        version: "ref-v1".into(),
        source: ReferenceSource::Server,
    });
    assert_eq!(reference(&driver), found);
    driver
        .reference_arrived(
            &mut host,
            &mut vision,
            now(500),
            &b,
            ReferenceAnswer::NotFound,
        )
        .unwrap();
    assert_eq!(reference(&driver), found);
}
