//! Certificates of assistance: the serial index beside the record, and the channel the
//! status rules read.

use certpoint_agency::storage::{code_sha256, NewCertification, RecordIndex};
use certpoint_agency::{Storage, StorageError};
use certpoint_protocol::Channel;
use certpoint_protocol::{
    canonical_json, CertificationRecord, FaceMatch, Method, Outcome, Relation,
};

use super::*;

/// A valid certificate-of-assistance record of `id` with `serial`.
pub fn assistance_record(
    kiosk: &str,
    seq: u64,
    id: &str,
    serial: &str,
    at: &str,
) -> CertificationRecord {
    let mut r = record(kiosk, seq, id, Outcome::ManualPassed, at);
    r.reason = None;
    r.face_match = FaceMatch::NotRun;
    r.method = Method::Assistance {
        clerk_id: "C01".into(),
        serial: serial.into(),
        verification_code: "ABCDE12345".into(),
        relation: Relation::Child,
        relative_id_number: ID_C.into(),
        relative_name: "张小明".into(),
        reason: "长期卧床，无法到场".into(),
    };
    r.validate().expect("the suite builds valid records");
    r
}

pub fn assistance_serials_are_stored_beside_the_record(s: &dyn Storage) {
    registered(s, "K1");
    assert_eq!(
        s.assistance_certificate("110105-K1-2026-0001").unwrap(),
        None
    );
    let r = assistance_record(
        "K1",
        1,
        ID_A,
        "110105-K1-2026-0001",
        "2026-04-02T10:00:00+08:00",
    );
    let id = store(s, &r, None);
    let cert = s
        .assistance_certificate("110105-K1-2026-0001")
        .unwrap()
        .unwrap();
    assert_eq!(cert.record_id, id);
    assert_eq!(cert.code_sha256, code_sha256("ABCDE12345"));
    assert_ne!(
        cert.code_sha256, "ABCDE12345",
        "the code itself is not kept"
    );
    // The same record again is a duplicate, not a serial clash.
    let body = canonical_json(&r).unwrap();
    let again = s
        .insert_certification(&NewCertification {
            record_id: &id,
            kiosk_id: "K1",
            seq: 1,
            body: &body,
            signature: "sig",
            photo: None,
            index: RecordIndex::of(&r),
        })
        .unwrap();
    assert!(matches!(
        again,
        certpoint_agency::storage::InsertOutcome::Duplicate { .. }
    ));
    // Serials are case- and character-exact.
    assert_eq!(
        s.assistance_certificate("110105-k1-2026-0001").unwrap(),
        None
    );
}

pub fn an_assistance_serial_belongs_to_one_record(s: &dyn Storage) {
    registered(s, "K1");
    let first = assistance_record(
        "K1",
        1,
        ID_A,
        "110105-K1-2026-0009",
        "2026-04-02T10:00:00+08:00",
    );
    let first_id = store(s, &first, None);
    let other = assistance_record(
        "K1",
        2,
        ID_B,
        "110105-K1-2026-0009",
        "2026-04-03T10:00:00+08:00",
    );
    let body = canonical_json(&other).unwrap();
    let other_id = other.record_id.to_string();
    let e = s
        .insert_certification(&NewCertification {
            record_id: &other_id,
            kiosk_id: "K1",
            seq: 2,
            body: &body,
            signature: "sig",
            photo: None,
            index: RecordIndex::of(&other),
        })
        .unwrap_err();
    assert!(
        matches!(&e, StorageError::SerialTaken(s) if s == "110105-K1-2026-0009"),
        "{e}"
    );
    // Nothing of the refused record was kept: not the record, not the serial.
    assert!(s.certification(&other_id).unwrap().is_none());
    assert_eq!(
        s.assistance_certificate("110105-K1-2026-0009")
            .unwrap()
            .unwrap()
            .record_id,
        first_id
    );
    assert_eq!(s.person_facts(ID_B, "2026").unwrap().records.len(), 0);
}

pub fn person_facts_name_the_assistance_channel(s: &dyn Storage) {
    registered(s, "K1");
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    store(
        s,
        &assistance_record(
            "K1",
            1,
            ID_A,
            "110105-K1-2026-0009",
            "2026-04-02T10:00:00+08:00",
        ),
        None,
    );
    store(
        s,
        &record(
            "K1",
            2,
            ID_A,
            Outcome::ManualPassed,
            "2026-04-03T10:00:00+08:00",
        ),
        None,
    );
    let facts = s.person_facts(ID_A, "2026").unwrap();
    let channels: Vec<(Outcome, Channel)> = facts
        .records
        .iter()
        .map(|r| (r.outcome, r.channel))
        .collect();
    assert_eq!(
        channels,
        [
            (Outcome::ManualPassed, Channel::Assistance),
            (Outcome::ManualPassed, Channel::Onsite)
        ]
    );
    let status = certpoint_agency::service::status::decide("2026", &facts);
    assert_eq!(status.channel, Some(Channel::Assistance));
}
