//! The fault matrix: the sync worker against the real server behind a fault-injecting
//! proxy (500s, slow answers past the timeout, reset connections), plus resends after a
//! lost acknowledgement, refused records, and refused credentials. In every case the
//! server ends up with each record exactly once and nothing is lost on the kiosk.

mod sync_support;

use std::collections::HashSet;
use std::time::Duration;

use certpoint::store::{OutboxState, Store};
use certpoint::sync::{drain_once, DrainStop, SendOutcome, StatusHandle, SyncState};
use certpoint_agency::storage::{NewCertification, RecordIndex};
use certpoint_agency::Storage;
use sync_support::{wait_until, Agency, Fault, FaultProxy, Kiosk, TOKEN};

fn assert_exactly_once(agency: &Agency, ids: &[String]) {
    let got: Vec<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    assert_eq!(got.len(), ids.len(), "server row count");
    assert_eq!(
        got.iter().collect::<HashSet<_>>().len(),
        got.len(),
        "no duplicates"
    );
    assert_eq!(got, ids, "same ids, in order");
}

fn drained(kiosk: &Kiosk) -> bool {
    kiosk.store().status().unwrap().pending == 0
}

#[test]
fn server_500s_for_a_while_then_recovers() {
    let agency = Agency::running();
    let proxy = FaultProxy::start(agency.addr);
    let kiosk = Kiosk::new("K-500", &proxy.url(), 5);
    agency.register("K-500", &kiosk.key, TOKEN);
    proxy.set(Fault::Status(500, None));
    let ids = kiosk.enqueue(20);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(10), || proxy.count(1) >= 3));
    let s = status.get();
    assert_eq!(s.state, SyncState::Offline, "{s:?}");
    assert!(
        s.last_error.as_deref().unwrap_or("").contains("HTTP 500"),
        "{s:?}"
    );
    assert_eq!(agency.records().len(), 0);
    proxy.set(Fault::Pass);
    assert!(
        wait_until(Duration::from_secs(20), || drained(&kiosk)),
        "{:?}",
        status.get()
    );
    assert!(wait_until(Duration::from_secs(5), || status.get().state
        == SyncState::Online));
    worker.stop();
    assert_exactly_once(&agency, &ids);
}

#[test]
fn retry_after_from_a_429_is_honoured() {
    let agency = Agency::running();
    let proxy = FaultProxy::start(agency.addr);
    let kiosk = Kiosk::new("K-429", &proxy.url(), 5);
    agency.register("K-429", &kiosk.key, TOKEN);
    proxy.set(Fault::Status(429, Some(1)));
    let ids = kiosk.enqueue(3);
    let worker = kiosk.worker();
    assert!(wait_until(Duration::from_secs(10), || proxy.count(1) >= 3));
    proxy.set(Fault::Pass);
    let times = proxy.status_times.lock().unwrap().clone();
    for w in times.windows(2) {
        // The worker's own backoff is at most 200 ms here: only Retry-After explains 1 s.
        assert!(
            w[1] - w[0] >= Duration::from_millis(950),
            "retried after {:?}",
            w[1] - w[0]
        );
    }
    assert!(wait_until(Duration::from_secs(20), || drained(&kiosk)));
    worker.stop();
    assert_exactly_once(&agency, &ids);
}

#[test]
fn answers_slower_than_the_timeout_are_retried_and_deduplicated() {
    let agency = Agency::running();
    let proxy = FaultProxy::start(agency.addr);
    let kiosk = Kiosk::new("K-SLOW", &proxy.url(), 1);
    agency.register("K-SLOW", &kiosk.key, TOKEN);
    // Each request reaches the server, but only after the kiosk has given up on it.
    proxy.set(Fault::Slow(Duration::from_millis(1500)));
    let ids = kiosk.enqueue(3);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(15), || proxy.count(2) >= 2));
    assert!(wait_until(Duration::from_secs(5), || status
        .get()
        .last_error
        .unwrap_or_default()
        .contains("timed out")));
    assert_eq!(kiosk.store().status().unwrap().sent, 0);
    proxy.set(Fault::Pass);
    assert!(wait_until(Duration::from_secs(20), || drained(&kiosk)));
    worker.stop();
    // The slow requests did store the first record; its resend was answered 200.
    assert_exactly_once(&agency, &ids);
}

#[test]
fn reset_connections_are_retried() {
    let agency = Agency::running();
    let proxy = FaultProxy::start(agency.addr);
    let kiosk = Kiosk::new("K-RST", &proxy.url(), 5);
    agency.register("K-RST", &kiosk.key, TOKEN);
    proxy.set(Fault::Reset);
    let ids = kiosk.enqueue(10);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(10), || proxy.count(3) >= 3));
    assert_eq!(status.get().state, SyncState::Offline, "{:?}", status.get());
    proxy.set(Fault::Pass);
    assert!(wait_until(Duration::from_secs(20), || drained(&kiosk)));
    worker.stop();
    assert_exactly_once(&agency, &ids);
}

#[test]
fn a_resend_after_a_lost_acknowledgement_is_deduplicated() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-ACK", &agency.url(), 5);
    agency.register("K-ACK", &kiosk.key, TOKEN);
    let ids = kiosk.enqueue(5);
    // The kiosk sent record 3 and the server stored it (2xx), then the kiosk died
    // before mark_sent: the store still says pending.
    let store = kiosk.store();
    let pending = store.next_pending(5).unwrap();
    let client = kiosk.client();
    assert_eq!(
        client.send(&pending[2], &kiosk.key),
        SendOutcome::Accepted { duplicate: false }
    );
    assert_eq!(store.status().unwrap().pending, 5);
    drop(store);

    let mut store = kiosk.store();
    let report = drain_once(
        &mut store,
        &client,
        &kiosk.key,
        &StatusHandle::default(),
        &|| false,
    )
    .unwrap();
    assert_eq!(report.stop, DrainStop::Empty);
    assert_eq!((report.sent, report.duplicates, report.pending), (5, 1, 0));
    let got: HashSet<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    assert_eq!(got, ids.iter().cloned().collect::<HashSet<_>>());
    assert_eq!(agency.records().len(), 5);
}

#[test]
fn conflicting_and_invalid_records_are_parked_and_the_rest_continue() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-PARK", &agency.url(), 5);
    agency.register("K-PARK", &kiosk.key, TOKEN);
    let mut store = kiosk.store();
    let good_a = kiosk.enqueue(1).remove(0);
    // 422: a record the server cannot accept (not an ID number).
    let mut bad = certpoint::store::selftest::synthetic_record("K-PARK", 1);
    bad.id_number = "12345".into();
    let invalid = store.enqueue(bad, None).unwrap().record_id;
    // 409: the server already holds a different record under this id.
    let conflicting = kiosk.enqueue(1).remove(0);
    agency
        .storage
        .insert_certification(&NewCertification {
            record_id: &conflicting,
            kiosk_id: "K-PARK",
            seq: 99,
            body: "{\"something\":\"else\"}",
            signature: "x",
            photo: None,
            index: RecordIndex {
                id_number: "11010519491231002X",
                period: "2026",
                site_code: "110105",
                outcome: certpoint_protocol::Outcome::Failed,
                ended_at: chrono::DateTime::parse_from_rfc3339("2026-04-02T09:30:00+08:00")
                    .unwrap(),
                channel: certpoint_protocol::Channel::Onsite,
                assistance: None,
            },
        })
        .unwrap();
    let good_b = kiosk.enqueue(1).remove(0);

    let status = StatusHandle::default();
    let report = drain_once(&mut store, &kiosk.client(), &kiosk.key, &status, &|| false).unwrap();
    assert_eq!(report.stop, DrainStop::Empty);
    assert_eq!((report.sent, report.rejected, report.pending), (2, 2, 0));

    let (_, state) = store.get(&invalid).unwrap();
    assert_eq!(state, OutboxState::Rejected);
    let rejected = store.list(Some(OutboxState::Rejected), 10).unwrap();
    let reason = |id: &str| {
        rejected
            .iter()
            .find(|e| e.record_id == id)
            .and_then(|e| e.rejected_reason.clone())
            .unwrap()
    };
    assert!(
        reason(&invalid).starts_with("HTTP 422: invalid_record"),
        "{}",
        reason(&invalid)
    );
    assert!(
        reason(&conflicting).starts_with("HTTP 409: conflict"),
        "{}",
        reason(&conflicting)
    );
    let got: Vec<String> = agency
        .storage
        .records(Some("K-PARK"))
        .unwrap()
        .into_iter()
        .map(|r| r.record_id)
        .collect();
    assert_eq!(got, vec![conflicting.clone(), good_a, good_b]);
    // Parked records are not retried.
    let again = drain_once(&mut store, &kiosk.client(), &kiosk.key, &status, &|| false).unwrap();
    assert_eq!((again.sent, again.rejected), (0, 0));
}

#[test]
fn a_refused_token_stops_the_worker_and_says_why() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-401", &agency.url(), 5);
    agency.register("K-401", &kiosk.key, "a-different-token-entirely");
    kiosk.enqueue(3);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(10), || status.get().state
        == SyncState::Stopped));
    let s = status.get();
    assert!(
        s.last_error.as_deref().unwrap().contains("HTTP 401"),
        "{s:?}"
    );
    assert!(!format!("{s:?}").contains(TOKEN));
    // No hammering: one attempt, then silence until an admin restarts it.
    std::thread::sleep(Duration::from_millis(300));
    worker.wake();
    std::thread::sleep(Duration::from_millis(300));
    let q = Store::open_in(&kiosk.cfg.data_dir())
        .unwrap()
        .list(None, 10)
        .unwrap();
    assert_eq!(q.iter().map(|e| e.send_attempts).sum::<u64>(), 1);
    assert_eq!(status.get().pending, 3);
    worker.stop();
    assert_eq!(agency.records().len(), 0);
    // What `certpoint sync status` shows from another process.
    let saved = certpoint::sync::status::load(&kiosk.cfg.data_dir()).unwrap();
    assert_eq!(saved.state, SyncState::Stopped);
    assert!(saved.last_error.unwrap().contains("HTTP 401"));
}

#[test]
fn a_key_the_server_does_not_know_stops_the_worker() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-403", &agency.url(), 5);
    let other = certpoint_protocol::ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    agency.register("K-403", &other, TOKEN);
    kiosk.enqueue(2);
    let worker = kiosk.worker();
    let status = worker.status();
    assert!(wait_until(Duration::from_secs(10), || status.get().state
        == SyncState::Stopped));
    assert!(status
        .get()
        .last_error
        .unwrap()
        .contains("HTTP 403: bad_signature"));
    worker.stop();
    assert_eq!(agency.records().len(), 0);
    assert_eq!(kiosk.store().status().unwrap().pending, 2);
}
