//! The kiosk's https path against a real TLS endpoint: the reference server with the
//! test certificate in `tests/fixtures/tls` (see `make.sh` there). A kiosk that trusts
//! the agency's CA delivers; one that does not refuses the connection, says why, and
//! keeps every record pending.

mod sync_support;

use std::path::Path;

use certpoint::store::OutboxState;
use certpoint::sync::{drain_once, DrainStop, StatusHandle};
use sync_support::{Agency, Kiosk, TOKEN};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
        .display()
        .to_string()
}

/// `https://localhost:PORT`, the name the test certificate carries.
fn https_url(agency: &Agency) -> String {
    format!("https://localhost:{}", agency.addr.port())
}

#[test]
fn a_kiosk_trusting_the_agency_ca_delivers_over_https() {
    let agency = Agency::running_https();
    let ca = format!("ca_bundle = \"{}\"", fixture("ca.pem"));
    let kiosk = Kiosk::with_server_keys("K-TLS", &https_url(&agency), 5, &ca);
    agency.register("K-TLS", &kiosk.key, TOKEN);
    let ids = kiosk.enqueue(6);

    let client = kiosk.client();
    assert!(client.health(), "health over https");
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
    assert_eq!(report.sent, 6);
    let got: Vec<String> = agency.records().into_iter().map(|r| r.record_id).collect();
    assert_eq!(got, ids);
    // The reference lookup goes over the same client: no photo enrolled → 404 → None.
    agency.on_roster("11010519491231002X");
    assert_eq!(client.fetch_reference("11010519491231002X"), Ok(None));
}

#[test]
fn the_same_server_by_ip_address_is_trusted_too() {
    let agency = Agency::running_https();
    let ca = format!("ca_bundle = \"{}\"", fixture("ca.pem"));
    let kiosk = Kiosk::with_server_keys("K-IP", &agency.url(), 5, &ca);
    assert!(agency.url().starts_with("https://127.0.0.1:"));
    assert!(kiosk.client().health());
}

fn assert_refused(kiosk: &Kiosk, agency: &Agency) {
    let ids = kiosk.enqueue(3);
    let mut store = kiosk.store();
    let status = StatusHandle::default();
    let report = drain_once(&mut store, &kiosk.client(), &kiosk.key, &status, &|| false).unwrap();
    let DrainStop::Retry { reason, .. } = &report.stop else {
        panic!("expected a retry, got {:?}", report.stop);
    };
    assert!(
        reason.contains("certificate"),
        "the reason names the certificate problem: {reason}"
    );
    assert!(
        reason.contains("server.ca_bundle"),
        "the reason names the fix: {reason}"
    );
    assert_eq!((report.sent, report.pending), (0, 3));
    for id in &ids {
        assert_eq!(store.get(id).unwrap().1, OutboxState::Pending);
    }
    assert!(agency.records().is_empty());
}

#[test]
fn a_certificate_from_another_ca_is_refused_and_nothing_is_lost() {
    let agency = Agency::running_https();
    let other = format!("ca_bundle = \"{}\"", fixture("other-ca.pem"));
    let kiosk = Kiosk::with_server_keys("K-OTHER", &https_url(&agency), 5, &other);
    agency.register("K-OTHER", &kiosk.key, TOKEN);
    assert_refused(&kiosk, &agency);
}

#[test]
fn without_a_ca_bundle_the_private_ca_is_not_trusted() {
    let agency = Agency::running_https();
    let kiosk = Kiosk::new("K-NOCA", &https_url(&agency), 5);
    agency.register("K-NOCA", &kiosk.key, TOKEN);
    assert_refused(&kiosk, &agency);
}

#[test]
fn the_server_refuses_a_key_that_does_not_fit_its_certificate() {
    let err = certpoint_agency::tls::server_config(
        Path::new(&fixture("ca.pem")),
        Path::new(&fixture("server.key")),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("does not fit"), "{err}");
    let err = certpoint_agency::tls::server_config(
        Path::new(&fixture("server.key")),
        Path::new(&fixture("server.key")),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("no CERTIFICATE"), "{err}");
}
