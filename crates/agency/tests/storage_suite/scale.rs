//! The province-scale paths: a status lookup read in one go, a roster import fed in
//! batches, and the sweep of photo blobs no row names.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use certpoint_agency::service::photo_sweep::sweep;
use certpoint_agency::storage::{
    ImportCounts, ReviewDecision, RosterStatus, SelfCertification, Verdict,
};
use certpoint_agency::{Storage, StorageError};
use certpoint_protocol::Outcome;

use super::*;

/// `kiosk_lookup` says what `kiosk_by_token`, `person_facts` and `review_decisions`
/// say, for a person with every kind of fact, one with none and one on no roster; an
/// unknown token reads nothing; a kiosk's new region shows at the next lookup.
pub fn kiosk_lookup_equals_the_separate_reads(s: &dyn Storage) {
    registered(s, "K1");
    s.import_roster(&[
        person(ID_A, "A", "110105", RosterStatus::Active),
        person(ID_B, "B", "110105", RosterStatus::Suspended),
    ])
    .unwrap();
    s.import_self_certifications(&[SelfCertification {
        id_number: ID_A.into(),
        period: "2026".into(),
        at: t("2026-06-01T10:00:00+08:00"),
    }])
    .unwrap();
    let pending = store(
        s,
        &record(
            "K1",
            1,
            ID_A,
            Outcome::PendingMatch,
            "2026-04-02T09:30:00+08:00",
        ),
        Some(b"crop"),
    );
    let passed = store(
        s,
        &record("K1", 2, ID_A, Outcome::Passed, "2026-04-01T09:30:00+08:00"),
        None,
    );
    store(
        s,
        &record("K1", 3, ID_A, Outcome::Failed, "2026-04-03T09:30:00+08:00"),
        None,
    );
    s.set_record_match(&certpoint_agency::storage::RecordMatch {
        record_id: pending.clone(),
        score: 0.8,
        threshold: 0.4,
        reference_version: "v1".into(),
        models: BTreeMap::new(),
        matched_at: Utc.with_ymd_and_hms(2026, 4, 3, 0, 0, 0).unwrap(),
    })
    .unwrap();
    s.set_review_decision(&ReviewDecision {
        record_id: passed.clone(),
        verdict: Verdict::Rejected,
        reason: "checked".into(),
        reviewer: "rev".into(),
        at: Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap(),
    })
    .unwrap();
    let token = "token-sha-of-K1";
    for (id, period) in [
        (ID_A, "2026"),
        (ID_A, "2025"),
        (ID_A, "2024"),
        (ID_B, "2026"),
        (ID_C, "2026"),
    ] {
        let lookup = s.kiosk_lookup(token, id, period).unwrap().unwrap();
        assert_eq!(
            Some(&lookup.kiosk),
            s.kiosk_by_token(token).unwrap().as_ref()
        );
        assert_eq!(
            lookup.facts,
            s.person_facts(id, period).unwrap(),
            "{id} {period}"
        );
        let separate: BTreeMap<String, Verdict> = s
            .review_decisions(id, period)
            .unwrap()
            .into_iter()
            .map(|d| (d.record_id, d.verdict))
            .collect();
        assert_eq!(lookup.verdicts, separate, "{id} {period}");
    }
    let a = s.kiosk_lookup(token, ID_A, "2026").unwrap().unwrap();
    assert_eq!(a.facts.records.len(), 2, "the failed record does not count");
    assert_eq!(a.facts.records[0].record_id, passed, "end-time order");
    assert_eq!(a.verdicts.get(&passed), Some(&Verdict::Rejected));
    assert_eq!(a.facts.records[1].server_match, Some((0.8, 0.4)));
    assert_eq!(s.kiosk_lookup("no-such-token", ID_A, "2026").unwrap(), None);
    s.set_kiosk_region("K1", "310115").unwrap();
    let moved = s.kiosk_lookup(token, ID_A, "2026").unwrap().unwrap();
    assert_eq!(moved.kiosk.region.as_deref(), Some("310115"));
}

/// A roster fed in batches is one transaction: an error from the feeder after two
/// good batches leaves nothing written; fed whole, later batches update earlier
/// imports as a single call would.
pub fn roster_import_in_batches_is_one_transaction(s: &dyn Storage) {
    let first = vec![person(ID_A, "A", "110105", RosterStatus::Active)];
    let second = vec![person(ID_B, "B", "310115", RosterStatus::Active)];
    let mut aborted = vec![
        Ok(first.clone()),
        Ok(second.clone()),
        Err(StorageError::ImportAborted),
    ]
    .into_iter();
    assert!(matches!(
        s.import_roster_batches(&mut aborted),
        Err(StorageError::ImportAborted)
    ));
    assert_eq!(s.roster_entry(ID_A).unwrap(), None, "rolled back");
    assert_eq!(s.roster_entry(ID_B).unwrap(), None, "rolled back");
    let mut whole = vec![Ok(first.clone()), Ok(second), Ok(vec![])].into_iter();
    assert_eq!(
        s.import_roster_batches(&mut whole).unwrap(),
        ImportCounts {
            inserted: 2,
            updated: 0,
            unchanged: 0
        }
    );
    let mut again = vec![
        Ok(first),
        Ok(vec![person(ID_B, "B", "310115", RosterStatus::Deceased)]),
    ]
    .into_iter();
    assert_eq!(
        s.import_roster_batches(&mut again).unwrap(),
        ImportCounts {
            inserted: 0,
            updated: 1,
            unchanged: 1
        }
    );
    assert_eq!(
        s.roster_entry(ID_B).unwrap().unwrap().status,
        RosterStatus::Deceased
    );
}

/// The sweep deletes an old blob no row names, never a record's crop or a reference
/// photo, and never a blob younger than the grace period (an upload in flight).
pub fn photo_sweep_takes_only_old_unreferenced_blobs(s: &dyn Storage) {
    registered(s, "K1");
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    let crop = b"\xff\xd8\xff crop".to_vec();
    let record_id = store(
        s,
        &record("K1", 1, ID_A, Outcome::Failed, "2026-04-02T09:30:00+08:00"),
        Some(&crop),
    );
    s.put_reference(ID_A, &photo("v1", b"reference")).unwrap();
    // What a crash between the blob's write and its row's commit leaves.
    s.photo_store()
        .put(b"sealed bytes of a lost upload")
        .unwrap();

    let young = sweep(s, Duration::from_secs(3600), false).unwrap();
    assert_eq!((young.stored, young.recent, young.orphans), (3, 3, 0));
    assert_eq!(young.referenced, 2);

    let dry = sweep(s, Duration::ZERO, true).unwrap();
    assert_eq!((dry.orphans, dry.deleted), (1, 0));
    assert!(dry.orphan_bytes > 0);

    let swept = sweep(s, Duration::ZERO, false).unwrap();
    assert_eq!((swept.stored, swept.orphans, swept.deleted), (3, 1, 1));
    assert_eq!(s.photo(&record_id).unwrap(), Some(crop));
    assert_eq!(
        s.reference(ID_A).unwrap().unwrap().bytes,
        b"reference".to_vec()
    );
    let after = sweep(s, Duration::ZERO, false).unwrap();
    assert_eq!((after.stored, after.orphans), (2, 0));
}
