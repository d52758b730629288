//! The kiosk itself syncs: starting it with a server configured starts the sync thread,
//! which sends what is queued without anyone running `sync now`.

mod sync_support;

use std::time::Duration;

use certpoint_agency::Storage;

use sync_support::{wait_until, Agency, Kiosk};

#[test]
fn a_started_kiosk_drains_its_queue_to_the_server() {
    let agency = Agency::running();
    let k = Kiosk::new("K-START", &agency.url(), 5);
    agency.register(&k.id, &k.key, sync_support::TOKEN);
    let ids = k.enqueue(3);

    let kiosk = certpoint::kiosk::Kiosk::start(&k.cfg).expect("kiosk starts");
    assert!(
        kiosk.sync.is_some(),
        "server.url is set, so the sync thread runs"
    );
    assert!(
        wait_until(Duration::from_secs(30), || agency.records().len()
            == ids.len()),
        "records did not arrive: {:?}",
        agency.records()
    );
    let arrived: Vec<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    for id in &ids {
        assert!(arrived.contains(id), "{id} missing from {arrived:?}");
    }
    // After a drain pass the worker reports itself (the back office's kiosks page).
    let beat = || {
        agency
            .storage
            .heartbeats()
            .unwrap()
            .into_iter()
            .find(|h| h.kiosk_id == k.id)
    };
    assert!(
        wait_until(Duration::from_secs(30), || beat().is_some()),
        "no heartbeat arrived"
    );
    let beat = beat().unwrap();
    assert_eq!(beat.app_version, env!("CARGO_PKG_VERSION"));
    assert!(beat.queue_depth <= ids.len() as u64);
}
