//! The sync worker against the real reference server on 127.0.0.1, real SQLite files
//! on both sides: records queued while the server is down all arrive exactly once, in
//! order, with valid signatures; a new record wakes the worker at once.

mod sync_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use certpoint::sync::SyncState;
use certpoint_agency::Storage;
use sync_support::{wait_until, Agency, Kiosk, TOKEN};

#[test]
fn thousand_records_queued_while_down_arrive_once_in_order_signed() {
    let mut agency = Agency::stopped();
    let kiosk = Kiosk::new("K-QUEUE", &agency.url(), 5);
    agency.register("K-QUEUE", &kiosk.key, TOKEN);
    let ids = kiosk.enqueue(1000);

    let worker = kiosk.worker();
    let status = worker.status();
    assert!(
        wait_until(Duration::from_secs(10), || status.get().state
            == SyncState::Offline),
        "worker should report offline while the server is down: {:?}",
        status.get()
    );
    let s = status.get();
    assert_eq!(s.pending, 1000);
    assert!(s.last_error.is_some());
    assert_eq!(kiosk.store().status().unwrap().pending, 1000);

    agency.start();
    assert!(
        wait_until(Duration::from_secs(120), || kiosk
            .store()
            .status()
            .unwrap()
            .pending
            == 0),
        "queue did not drain: {:?}",
        status.get()
    );
    worker.stop();

    let received = agency.records();
    assert_eq!(received.len(), 1000, "exactly once");
    let got: Vec<&str> = received.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(
        got,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "in order"
    );
    let seqs: Vec<u64> = received.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=1000).collect::<Vec<u64>>());
    assert_eq!(
        received
            .iter()
            .map(|r| &r.record_id)
            .collect::<HashSet<_>>()
            .len(),
        1000
    );
    let public = kiosk.key.verifying_key();
    for (i, r) in received.iter().enumerate() {
        let stored = agency.storage.certification(&r.record_id).unwrap().unwrap();
        certpoint_protocol::verify_body(&public, &stored.signed_body, &stored.signature)
            .unwrap_or_else(|e| panic!("record {i}: {e}"));
        assert_eq!(stored.photo_stored, i % 3 == 0, "record {i} photo");
    }
    let gaps = agency.storage.gaps("K-QUEUE").unwrap();
    assert!(gaps.missing.is_empty(), "{gaps:?}");
    assert_eq!(gaps.max_seq, 1000);
    let q = kiosk.store().status().unwrap();
    assert_eq!((q.pending, q.sent, q.rejected), (0, 1000, 0));
}

#[test]
fn a_new_record_wakes_the_idle_worker_at_once() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-WAKE", &agency.url(), 5);
    agency.register("K-WAKE", &kiosk.key, TOKEN);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(5), || status.get().state
        == SyncState::Online
        || status.get().state == SyncState::Starting));
    std::thread::sleep(Duration::from_millis(200));
    // The worker's idle poll is 30 s: only the wake can make this arrive quickly.
    let t = Instant::now();
    kiosk.enqueue(1);
    worker.wake();
    assert!(wait_until(Duration::from_secs(5), || agency
        .records()
        .len()
        == 1));
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "took {:?}",
        t.elapsed()
    );
    assert!(wait_until(Duration::from_secs(5), || status.get().state
        == SyncState::Online));
    assert_eq!(status.get().pending, 0);
}

#[test]
fn reference_photos_and_the_stored_record_can_be_fetched() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-REF", &agency.url(), 5);
    agency.register("K-REF", &kiosk.key, TOKEN);
    agency.on_roster("11010519491231002X");
    agency.on_roster("110105194912310038");
    agency
        .storage
        .put_reference(
            "11010519491231002X",
            &certpoint_agency::Reference {
                version: "v1".into(),
                media_type: "image/jpeg".into(),
                bytes: vec![1, 2, 3],
            },
        )
        .unwrap();
    let client = kiosk.client();
    let r = client
        .fetch_reference("11010519491231002X")
        .unwrap()
        .unwrap();
    assert_eq!(r.version, "v1");
    assert_eq!(
        certpoint_protocol::b64_decode(&r.photo).unwrap(),
        vec![1, 2, 3]
    );
    assert_eq!(client.fetch_reference("110105194912310038").unwrap(), None);
    assert!(client.health());
}
