//! The kiosk itself syncs: starting it with a server configured starts the sync thread,
//! which sends what is queued without anyone running `sync now`.

mod sync_support;

use std::time::Duration;

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
}
