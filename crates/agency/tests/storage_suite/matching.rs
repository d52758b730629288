//! What the server-side matcher reads and writes: records awaiting a match and the
//! match results.

use std::collections::BTreeMap;

use certpoint_agency::storage::RecordMatch;
use certpoint_agency::{Storage, StorageError};
use certpoint_protocol::Outcome;

use super::*;

fn result(record_id: &str, score: f32) -> RecordMatch {
    RecordMatch {
        record_id: record_id.into(),
        score,
        threshold: 0.4,
        reference_version: "v1".into(),
        models: BTreeMap::from([
            ("detector".to_owned(), "11".repeat(32)),
            ("embedder".to_owned(), "22".repeat(32)),
        ]),
        matched_at: chrono::DateTime::parse_from_rfc3339("2026-04-03T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc),
    }
}

pub fn records_awaiting_match(s: &dyn Storage) {
    registered(s, "K1");
    let crop = b"\xff\xd8\xff crop";
    let pending = |seq, id| {
        record(
            "K1",
            seq,
            id,
            Outcome::PendingMatch,
            "2026-04-02T10:00:00+08:00",
        )
    };
    let a1 = store(s, &pending(1, ID_A), Some(crop));
    let _no_photo = store(s, &pending(2, ID_A), None);
    let _passed = store(
        s,
        &record("K1", 3, ID_A, Outcome::Passed, "2026-04-02T10:00:00+08:00"),
        Some(crop),
    );
    let b1 = store(s, &pending(4, ID_B), Some(crop));
    let a2 = store(s, &pending(5, ID_A), Some(crop));

    // Nobody has a reference yet: nothing to compare with.
    assert!(s.records_awaiting_match(None, 100).unwrap().is_empty());
    s.put_reference(ID_A, &photo("v1", b"a")).unwrap();
    let ids = |who: Option<&str>, limit| -> Vec<(String, String, String)> {
        s.records_awaiting_match(who, limit)
            .unwrap()
            .into_iter()
            .map(|m| (m.record_id, m.id_number, m.period))
            .collect()
    };
    let a = |id: &str| (id.to_owned(), ID_A.to_owned(), "2026".to_owned());
    assert_eq!(
        ids(None, 100),
        [a(&a1), a(&a2)],
        "oldest first, with photo, with a reference"
    );
    assert_eq!(ids(None, 1), [a(&a1)]);

    s.set_record_match(&result(&a1, 0.8)).unwrap();
    assert_eq!(ids(None, 100), [a(&a2)], "a matched record is done");
    // A new reference for A: every pending record of A again, matched or not.
    assert_eq!(ids(Some(ID_A), 100), [a(&a1), a(&a2)]);
    // B has no reference, but asking for B by name lists B's.
    assert_eq!(
        ids(Some(ID_B), 100),
        [(b1, ID_B.to_owned(), "2026".to_owned())]
    );

    // A new current reference whose rescoring never happened (a crash between the
    // import and the scoring): the record matched against v1 is awaiting again.
    s.set_record_match(&result(&a2, 0.7)).unwrap();
    assert!(ids(None, 100).is_empty());
    s.put_reference(ID_A, &photo("v2", b"a2")).unwrap();
    assert_eq!(ids(None, 100), [a(&a1), a(&a2)]);
    let mut on_v2 = result(&a1, 0.8);
    on_v2.reference_version = "v2".into();
    s.set_record_match(&on_v2).unwrap();
    assert_eq!(ids(None, 100), [a(&a2)]);
}

pub fn bundle_publications(s: &dyn Storage) {
    use certpoint_agency::storage::BundlePublication;
    assert_eq!(s.bundle_publication("110105").unwrap(), None);
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let first = BundlePublication {
        region: "110105".into(),
        content_sha256: "ab".repeat(32),
        generated_at: at("2026-04-03T08:00:00Z"),
    };
    s.set_bundle_publication(&first).unwrap();
    assert_eq!(s.bundle_publication("110105").unwrap(), Some(first.clone()));
    assert_eq!(s.bundle_publication("310115").unwrap(), None);
    let next = BundlePublication {
        content_sha256: "cd".repeat(32),
        generated_at: at("2026-04-04T08:00:00Z"),
        ..first
    };
    s.set_bundle_publication(&next).unwrap();
    assert_eq!(s.bundle_publication("110105").unwrap(), Some(next));
}

pub fn match_results(s: &dyn Storage) {
    registered(s, "K1");
    let id = store(
        s,
        &record(
            "K1",
            1,
            ID_A,
            Outcome::PendingMatch,
            "2026-04-02T10:00:00+08:00",
        ),
        None,
    );
    assert_eq!(s.record_match(&id).unwrap(), None);
    s.set_record_match(&result(&id, 0.8)).unwrap();
    assert_eq!(s.record_match(&id).unwrap(), Some(result(&id, 0.8)));
    // Matching again (a new reference) replaces the result.
    s.set_record_match(&result(&id, 0.1)).unwrap();
    let again = s.record_match(&id).unwrap().unwrap();
    assert_eq!(again.score, 0.1);
    assert!(!again.matched());
    assert!(matches!(
        s.set_record_match(&result(&id, f32::NAN)),
        Err(StorageError::BadScore(_))
    ));
    assert!(matches!(
        s.set_record_match(&result("0190a000-0000-7000-8000-000000000000", 0.5)),
        Err(StorageError::NoSuchRecord(_))
    ));
}
