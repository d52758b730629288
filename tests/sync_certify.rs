//! Online certification end to end: the kiosk asks the agency server for the person's
//! reference photo (`GET /v1/persons/{id}/reference`), matches on the kiosk, stores the
//! record with the reference version and source, and `sync now` delivers it. A person
//! with no reference enrolled is `pending_match`, on the kiosk and on the server.

mod sync_support;

use certpoint_agency::Storage;
use sync_support::{Agency, Kiosk, TOKEN};

const ID: &str = "11010519491231002X";

#[test]
fn certify_online_matches_against_the_servers_reference_and_syncs() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-CERT", &agency.url(), 5);
    agency.register("K-CERT", &kiosk.key, TOKEN);
    agency.enrol(ID, "obama_podium.jpg");
    let seed = 11;
    let frames = kiosk.live_replay(seed);

    let r = kiosk.certify(&frames, ID, seed);
    assert_eq!(r["outcome"], "passed", "{r:#}");
    assert_eq!(r["record"]["face_match"]["status"], "scored", "{r:#}");
    assert_eq!(r["record"]["face_match"]["reference_version"], "ref-v1");
    assert_eq!(r["record"]["face_match"]["source"], "server");

    let o = kiosk
        .command()
        .args(["sync", "now", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let got = agency.records();
    assert_eq!(got.len(), 1);
    let stored = agency
        .storage
        .certification(&got[0].record_id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.record["face_match"]["reference_version"], "ref-v1");
    assert_eq!(stored.record["outcome"], "passed");
    assert!(stored.photo_stored);
}

/// No reference, no pass, end to end: the agency has no photo of this person, so the
/// live attempt is `pending_match` (`no_reference`), and that is what the agency holds
/// after the sync — never `passed`.
#[test]
fn certify_online_unenrolled_is_pending_match_on_the_kiosk_and_on_the_server() {
    let agency = Agency::running();
    let kiosk = Kiosk::new("K-UNENROLLED", &agency.url(), 5);
    agency.register("K-UNENROLLED", &kiosk.key, TOKEN);
    // On the roster (or the kiosk would stop at not_in_roster), with no reference.
    agency.on_roster(ID);
    let seed = 11;
    let frames = kiosk.live_replay(seed);

    let r = kiosk.certify(&frames, ID, seed);
    assert_eq!(r["outcome"], "pending_match", "{r:#}");
    assert_eq!(r["reason"], "no_reference", "{r:#}");
    assert_eq!(r["record"]["face_match"]["status"], "pending_match");

    let o = kiosk
        .command()
        .args(["sync", "now", "--json"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    let got = agency.records();
    assert_eq!(got.len(), 1);
    let stored = agency
        .storage
        .certification(&got[0].record_id)
        .unwrap()
        .unwrap();
    assert_eq!(stored.record["schema_version"], 2);
    assert_eq!(stored.record["outcome"], "pending_match");
    assert_eq!(stored.record["reason"], "no_reference");
    assert_eq!(stored.record["face_match"]["status"], "pending_match");
    // The face crop went along, for the agency to match once a reference exists.
    assert!(stored.photo_stored);
}
