//! Online certification end to end: the kiosk asks the agency server for the person's
//! reference photo (`GET /v1/persons/{id}/reference`), matches on the kiosk, stores the
//! record with the reference version, and `sync now` delivers it.

mod sync_support;

use certpoint_agency::Storage;
use serde_json::Value;
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

    let out = kiosk
        .command()
        .args(["certify", "--camera"])
        .arg(format!("file:{}", frames.display()))
        .args(["--id", ID, "--seed", &seed.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["outcome"], "passed", "{r:#}");
    assert_eq!(r["record"]["face_match"]["status"], "scored", "{r:#}");
    assert_eq!(r["record"]["face_match"]["reference_version"], "ref-v1");

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
