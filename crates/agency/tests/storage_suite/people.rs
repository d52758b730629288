//! The roster, self-certifications and the facts status is decided from.

use certpoint_agency::storage::{
    ImportCounts, RecordMatch, RosterFacts, RosterStatus, SelfCertImport, SelfCertification,
};
use certpoint_agency::Storage;
use certpoint_protocol::Outcome;

use super::*;

fn counts(inserted: u64, updated: u64, unchanged: u64) -> ImportCounts {
    ImportCounts {
        inserted,
        updated,
        unchanged,
    }
}

pub fn roster_import_upserts(s: &dyn Storage) {
    let a = person(ID_A, "Zhang, San \"Old\"", "110105", RosterStatus::Active);
    let b = person(ID_B, "李四", "310115", RosterStatus::Active);
    assert_eq!(
        s.import_roster(&[a.clone(), b.clone()]).unwrap(),
        counts(2, 0, 0)
    );
    assert_eq!(
        s.import_roster(&[a.clone(), b.clone()]).unwrap(),
        counts(0, 0, 2)
    );
    let b2 = person(ID_B, "李四", "310115", RosterStatus::Deceased);
    let a2 = person(ID_A, "Zhang San", "110105", RosterStatus::Active);
    let c = person(ID_C, "Wang", "110101", RosterStatus::Suspended);
    assert_eq!(
        s.import_roster(&[a2.clone(), b2.clone(), c]).unwrap(),
        counts(1, 2, 0)
    );
    assert_eq!(s.roster_entry(ID_A).unwrap(), Some(a2));
    assert_eq!(s.roster_entry(ID_B).unwrap(), Some(b2));
    // A region move is an update too.
    let moved = person(ID_A, "Zhang San", "110101", RosterStatus::Active);
    assert_eq!(
        s.import_roster(std::slice::from_ref(&moved)).unwrap(),
        counts(0, 1, 0)
    );
    assert_eq!(s.roster_entry(ID_A).unwrap(), Some(moved));
    assert_eq!(s.roster_entry("110105194912310038").unwrap(), None);
}

pub fn roster_import_is_all_or_nothing_per_call(s: &dyn Storage) {
    assert_eq!(s.import_roster(&[]).unwrap(), counts(0, 0, 0));
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    // People absent from a later file are left as they were.
    s.import_roster(&[person(ID_B, "B", "110105", RosterStatus::Active)])
        .unwrap();
    assert!(s.roster_entry(ID_A).unwrap().is_some());
}

pub fn self_certifications_need_the_roster(s: &dyn Storage) {
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    let rows = [
        SelfCertification {
            id_number: ID_A.into(),
            period: "2026".into(),
            at: t("2026-04-02T09:30:00+08:00"),
        },
        SelfCertification {
            id_number: ID_B.into(),
            period: "2026".into(),
            at: t("2026-04-02T09:30:00+08:00"),
        },
    ];
    assert_eq!(
        s.import_self_certifications(&rows).unwrap(),
        SelfCertImport::NotInRoster(vec![1])
    );
    assert_eq!(
        s.person_facts(ID_A, "2026").unwrap().self_certified_at,
        None,
        "nothing written when a row is refused"
    );
}

pub fn self_certifications_upsert(s: &dyn Storage) {
    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Active)])
        .unwrap();
    let row = |period: &str, at: &str| SelfCertification {
        id_number: ID_A.into(),
        period: period.into(),
        at: t(at),
    };
    let first = [
        row("2026", "2026-04-02T09:30:00+08:00"),
        row("2025", "2025-05-01T10:00:00+08:00"),
    ];
    assert_eq!(
        s.import_self_certifications(&first).unwrap(),
        SelfCertImport::Imported(counts(2, 0, 0))
    );
    assert_eq!(
        s.import_self_certifications(&first).unwrap(),
        SelfCertImport::Imported(counts(0, 0, 2))
    );
    let moved = [row("2026", "2026-04-03T08:00:00+08:00")];
    assert_eq!(
        s.import_self_certifications(&moved).unwrap(),
        SelfCertImport::Imported(counts(0, 1, 0))
    );
    let at = s
        .person_facts(ID_A, "2026")
        .unwrap()
        .self_certified_at
        .unwrap();
    assert_eq!(
        at.to_rfc3339(),
        "2026-04-03T08:00:00+08:00",
        "the offset is kept"
    );
    assert!(s
        .person_facts(ID_A, "2024")
        .unwrap()
        .self_certified_at
        .is_none());
}

pub fn person_facts_come_from_the_index_columns(s: &dyn Storage) {
    registered(s, "K1");
    let none = s.person_facts(ID_A, "2026").unwrap();
    assert_eq!(
        (none.roster, none.self_certified_at, none.records.len()),
        (None, None, 0)
    );

    s.import_roster(&[person(ID_A, "A", "110105", RosterStatus::Suspended)])
        .unwrap();
    let late = store(
        s,
        &record(
            "K1",
            1,
            ID_A,
            Outcome::ManualPassed,
            "2026-05-02T10:00:00+08:00",
        ),
        None,
    );
    let early = store(
        s,
        &record(
            "K1",
            2,
            ID_A,
            Outcome::PendingMatch,
            "2026-04-02T10:00:00+08:00",
        ),
        None,
    );
    store(
        s,
        &record("K1", 3, ID_A, Outcome::Failed, "2026-04-01T10:00:00+08:00"),
        None,
    );
    store(
        s,
        &record(
            "K1",
            4,
            ID_A,
            Outcome::Abandoned,
            "2026-04-01T11:00:00+08:00",
        ),
        None,
    );
    store(
        s,
        &record("K1", 5, ID_B, Outcome::Passed, "2026-04-01T11:00:00+08:00"),
        None,
    );
    let mut other_period = record("K1", 6, ID_A, Outcome::Passed, "2025-04-01T11:00:00+08:00");
    other_period.period = "2025".into();
    store(s, &other_period, None);

    let f = s.person_facts(ID_A, "2026").unwrap();
    assert_eq!(
        f.roster,
        Some(RosterFacts {
            region: "110105".into(),
            status: RosterStatus::Suspended
        })
    );
    let got: Vec<(&str, Outcome, String)> = f
        .records
        .iter()
        .map(|r| (r.record_id.as_str(), r.outcome, r.ended_at.to_rfc3339()))
        .collect();
    assert_eq!(
        got,
        [
            (
                early.as_str(),
                Outcome::PendingMatch,
                "2026-04-02T10:00:00+08:00".to_owned()
            ),
            (
                late.as_str(),
                Outcome::ManualPassed,
                "2026-05-02T10:00:00+08:00".to_owned()
            ),
        ],
        "counting outcomes of the period only, earliest first"
    );
    assert_eq!(s.person_facts(ID_A, "2025").unwrap().records.len(), 1);
}

pub fn person_facts_join_the_servers_match(s: &dyn Storage) {
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
    assert_eq!(
        s.person_facts(ID_A, "2026").unwrap().records[0].server_match,
        None
    );
    s.set_record_match(&RecordMatch {
        record_id: id,
        score: 0.25,
        threshold: 0.4,
        reference_version: "v1".into(),
        models: Default::default(),
        matched_at: chrono::Utc::now(),
    })
    .unwrap();
    assert_eq!(
        s.person_facts(ID_A, "2026").unwrap().records[0].server_match,
        Some((0.25, 0.4))
    );
    // A v1 "passed" without a scored match is indexed as what it proved.
    let mut v1 = record("K1", 2, ID_B, Outcome::Failed, "2026-04-02T10:00:00+08:00");
    v1.schema_version = 1;
    v1.outcome = Outcome::Passed;
    v1.face_match = certpoint_protocol::FaceMatch::PendingMatch;
    store(s, &v1, None);
    assert_eq!(
        s.person_facts(ID_B, "2026").unwrap().records[0].outcome,
        Outcome::PendingMatch
    );
}
