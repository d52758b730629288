//! Kiosks, auditors and received records.

use certpoint_agency::storage::{InsertOutcome, NewCertification, RecordIndex};
use certpoint_agency::{Storage, StorageError};
use certpoint_protocol::{canonical_json, CertificationRecord, Outcome};

use super::*;

pub fn kiosks_and_auditors(s: &dyn Storage) {
    s.add_kiosk(&kiosk("K2", Some("310115")), "sha-2").unwrap();
    s.add_kiosk(&kiosk("K1", Some("110105")), "sha-1").unwrap();
    assert!(matches!(
        s.add_kiosk(&kiosk("K1", None), "sha-3"),
        Err(StorageError::KioskExists(k)) if k == "K1"
    ));
    assert_eq!(
        s.kiosk_by_token("sha-1").unwrap(),
        Some(kiosk("K1", Some("110105")))
    );
    assert_eq!(s.kiosk_by_token("sha-3").unwrap(), None);
    let all: Vec<String> = s
        .kiosks()
        .unwrap()
        .into_iter()
        .map(|k| k.kiosk_id)
        .collect();
    assert_eq!(all, ["K1", "K2"]);

    s.add_auditor("support", "sha-audit").unwrap();
    assert_eq!(
        s.auditor_by_token("sha-audit").unwrap().as_deref(),
        Some("support")
    );
    assert_eq!(s.auditor_by_token("sha-1").unwrap(), None);
    assert!(matches!(
        s.add_auditor("support", "sha-x"),
        Err(StorageError::AuditorExists(_))
    ));
    // A kiosk's token cannot become an auditor's.
    assert!(matches!(
        s.add_auditor("other", "sha-1"),
        Err(StorageError::AuditorExists(_))
    ));
}

pub fn kiosk_regions(s: &dyn Storage) {
    s.add_kiosk(&kiosk("OLD", None), "sha-old").unwrap();
    assert_eq!(s.kiosk_by_token("sha-old").unwrap().unwrap().region, None);
    s.set_kiosk_region("OLD", "110105").unwrap();
    assert_eq!(
        s.kiosk_by_token("sha-old")
            .unwrap()
            .unwrap()
            .region
            .as_deref(),
        Some("110105")
    );
    assert!(matches!(
        s.set_kiosk_region("NOPE", "110105"),
        Err(StorageError::NoSuchKiosk(_))
    ));
}

pub fn records_are_idempotent(s: &dyn Storage) {
    registered(s, "K1");
    let r = record("K1", 1, ID_A, Outcome::Passed, "2026-04-02T09:30:00+08:00");
    let body = canonical_json(&r).unwrap();
    let id = r.record_id.to_string();
    fn new<'a>(id: &'a str, body: &'a str, r: &'a CertificationRecord) -> NewCertification<'a> {
        NewCertification {
            record_id: id,
            kiosk_id: "K1",
            seq: 1,
            body,
            signature: "sig",
            photo: None,
            index: RecordIndex::of(r),
        }
    }
    let InsertOutcome::Created { received_at } =
        s.insert_certification(&new(&id, &body, &r)).unwrap()
    else {
        panic!("first insert creates");
    };
    assert_eq!(
        s.insert_certification(&new(&id, &body, &r)).unwrap(),
        InsertOutcome::Duplicate {
            received_at: received_at.clone()
        }
    );
    let other = body.replace("\"attempt\":1", "\"attempt\":2");
    assert_ne!(other, body);
    assert_eq!(
        s.insert_certification(&new(&id, &other, &r)).unwrap(),
        InsertOutcome::Conflict
    );

    let stored = s.certification(&id).unwrap().unwrap();
    assert_eq!(
        stored.signed_body, body,
        "the body comes back byte for byte"
    );
    assert_eq!(stored.signature, "sig");
    assert_eq!(stored.received_at, received_at);
    assert_eq!(stored.record["id_number"], ID_A);
    assert!(!stored.photo_stored);
    assert!(s
        .certification("0190a000-0000-7000-8000-000000000000")
        .unwrap()
        .is_none());
}

pub fn records_keep_photos_and_gaps(s: &dyn Storage) {
    registered(s, "K1");
    registered(s, "K2");
    let photo = b"\xff\xd8\xff jpeg bytes".to_vec();
    let a = store(
        s,
        &record("K1", 1, ID_A, Outcome::Failed, "2026-04-02T09:30:00+08:00"),
        Some(&photo),
    );
    let b = store(
        s,
        &record("K1", 4, ID_B, Outcome::Failed, "2026-04-02T09:31:00+08:00"),
        None,
    );
    let c = store(
        s,
        &record("K2", 1, ID_B, Outcome::Failed, "2026-04-02T09:32:00+08:00"),
        None,
    );
    assert_eq!(s.photo(&a).unwrap(), Some(photo));
    assert_eq!(s.photo(&b).unwrap(), None);
    assert!(s.certification(&a).unwrap().unwrap().photo_stored);
    let ids = |k: Option<&str>| -> Vec<String> {
        s.records(k)
            .unwrap()
            .into_iter()
            .map(|r| r.record_id)
            .collect()
    };
    assert_eq!(
        ids(None),
        [a.clone(), b.clone(), c.clone()],
        "arrival order"
    );
    assert_eq!(ids(Some("K1")), [a, b]);
    let listed: Vec<(Outcome, bool)> = s
        .records(None)
        .unwrap()
        .into_iter()
        .map(|r| (r.outcome, r.photo))
        .collect();
    assert_eq!(
        listed,
        [
            (Outcome::Failed, true),
            (Outcome::Failed, false),
            (Outcome::Failed, false)
        ],
        "each record's outcome and whether its face crop is stored"
    );
    let gaps = s.gaps("K1").unwrap();
    assert_eq!(
        (gaps.received, gaps.max_seq, gaps.missing),
        (2, 4, vec![[2, 3]])
    );
    assert_eq!(s.gaps("K9").unwrap().received, 0);
}

/// A kiosk's retries racing each other (or two servers behind one database): the same
/// record sent at once from several threads is stored once; the others are told it is
/// a duplicate with the first one's arrival time, and its photo is there once.
pub fn concurrent_inserts_store_a_record_once(s: &dyn Storage) {
    registered(s, "K1");
    let r = record(
        "K1",
        1,
        ID_A,
        Outcome::PendingMatch,
        "2026-04-02T09:30:00+08:00",
    );
    let body = canonical_json(&r).unwrap();
    let id = r.record_id.to_string();
    let crop = b"\xff\xd8\xff racing crop".as_slice();
    let sha = certpoint_agency::parse::hex_sha256(crop);
    let outcomes: Vec<InsertOutcome> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    s.insert_certification(&NewCertification {
                        record_id: &id,
                        kiosk_id: "K1",
                        seq: 1,
                        body: &body,
                        signature: "sig",
                        photo: Some(("image/jpeg", &sha, crop)),
                        index: RecordIndex::of(&r),
                    })
                    .unwrap()
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let created: Vec<&String> = outcomes
        .iter()
        .filter_map(|o| match o {
            InsertOutcome::Created { received_at } => Some(received_at),
            _ => None,
        })
        .collect();
    assert_eq!(created.len(), 1, "{outcomes:?}");
    for o in &outcomes {
        match o {
            InsertOutcome::Created { .. } => {}
            InsertOutcome::Duplicate { received_at } => assert_eq!(received_at, created[0]),
            InsertOutcome::Conflict => panic!("the same body is no conflict"),
        }
    }
    assert_eq!(s.records(None).unwrap().len(), 1);
    assert_eq!(s.photo(&id).unwrap().as_deref(), Some(crop));
    assert_eq!(s.gaps("K1").unwrap().received, 1);
}
