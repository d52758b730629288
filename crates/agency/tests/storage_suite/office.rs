//! The back office's data: staff accounts, the audit log, listings, review decisions,
//! heartbeats.

use chrono::{Duration, TimeZone, Utc};

use certpoint_agency::storage::{
    AuditEvent, KioskHeartbeat, ReviewDecision, RosterStatus, StaffAccount, StaffRole, Verdict,
};
use certpoint_agency::{Storage, StorageError};
use certpoint_protocol::Outcome;

use super::*;

pub fn staff_accounts_and_lockout(s: &dyn Storage) {
    let a = StaffAccount {
        name: "li.wei".into(),
        role: StaffRole::Reviewer,
        password_hash: "$argon2id$v=19$m=19456,t=8,p=1$c2FsdA$aGFzaA".into(),
        failed_logins: 0,
        locked_until: None,
    };
    s.add_staff(&a).unwrap();
    assert!(matches!(s.add_staff(&a), Err(StorageError::StaffExists(n)) if n == "li.wei"));
    assert_eq!(s.staff("li.wei").unwrap(), Some(a.clone()));
    assert_eq!(s.staff("nobody").unwrap(), None);
    let until = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
    s.set_staff_lockout("li.wei", 5, Some(until)).unwrap();
    let locked = s.staff("li.wei").unwrap().unwrap();
    assert_eq!(
        (locked.failed_logins, locked.locked_until),
        (5, Some(until))
    );
    s.set_staff_lockout("li.wei", 0, None).unwrap();
    assert_eq!(s.staff("li.wei").unwrap(), Some(a));
}

pub fn audit_log_is_kept_newest_first(s: &dyn Storage) {
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
    for (i, action) in ["login", "review_confirm", "logout"].iter().enumerate() {
        s.append_audit(&AuditEvent {
            at: t0 + Duration::seconds(i as i64),
            actor: "ops".into(),
            action: (*action).into(),
            detail: format!("d{i}"),
        })
        .unwrap();
    }
    let got = s.audit_events(2).unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].action.as_str(), got[1].action.as_str()),
        ("logout", "review_confirm")
    );
    assert_eq!(got[0].at, t0 + Duration::seconds(2));
}

pub fn roster_and_records_are_listed(s: &dyn Storage) {
    s.import_roster(&[
        person(ID_A, "A", "110105", RosterStatus::Active),
        person(ID_B, "B", "310115", RosterStatus::Deceased),
        person(ID_C, "C", "110105", RosterStatus::Active),
    ])
    .unwrap();
    let mut all: Vec<String> = s
        .roster(None)
        .unwrap()
        .into_iter()
        .map(|e| e.id_number)
        .collect();
    all.sort();
    let mut expected = vec![ID_A.to_owned(), ID_B.to_owned(), ID_C.to_owned()];
    expected.sort();
    assert_eq!(all, expected);
    let b = s.roster(Some("310115")).unwrap();
    assert_eq!(b, vec![person(ID_B, "B", "310115", RosterStatus::Deceased)]);
    assert!(s.roster(Some("999999")).unwrap().is_empty());

    registered(s, "k1");
    let late = store(
        s,
        &record("k1", 1, ID_A, Outcome::Failed, "2026-04-02T10:00:00+08:00"),
        None,
    );
    let early = store(
        s,
        &record("k1", 2, ID_C, Outcome::Passed, "2026-04-01T10:00:00+08:00"),
        None,
    );
    let mut other = record("k1", 3, ID_A, Outcome::Passed, "2025-04-01T10:00:00+08:00");
    other.period = "2025".into();
    let old = store(s, &other, None);
    let period = s.period_records("2026").unwrap();
    let ids: Vec<&str> = period.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, [early.as_str(), late.as_str()]);
    assert_eq!(period[0].id_number, ID_C);
    assert_eq!(period[0].site_code, "110105");
    assert_eq!(period[1].outcome, Outcome::Failed);
    assert_eq!(period[1].kiosk_id, "k1");
    let person_a: Vec<(String, String)> = s
        .person_records(ID_A)
        .unwrap()
        .into_iter()
        .map(|r| (r.record_id, r.period))
        .collect();
    assert_eq!(person_a, [(old, "2025".into()), (late, "2026".into())]);
}

pub fn review_decisions_are_kept_per_record(s: &dyn Storage) {
    registered(s, "k1");
    let r1 = store(
        s,
        &record(
            "k1",
            1,
            ID_A,
            Outcome::PendingMatch,
            "2026-04-01T10:00:00+08:00",
        ),
        None,
    );
    let r2 = store(
        s,
        &record(
            "k1",
            2,
            ID_B,
            Outcome::ManualPassed,
            "2026-04-01T11:00:00+08:00",
        ),
        None,
    );
    let at = Utc.with_ymd_and_hms(2026, 5, 1, 8, 0, 0).unwrap();
    let d = |record_id: &str, verdict| ReviewDecision {
        record_id: record_id.into(),
        verdict,
        reason: "checked".into(),
        reviewer: "rev".into(),
        at,
    };
    assert!(matches!(
        s.set_review_decision(&d("no-such-record", Verdict::Confirmed)),
        Err(StorageError::NoSuchRecord(_))
    ));
    s.set_review_decision(&d(&r1, Verdict::Rejected)).unwrap();
    // A later decision replaces the earlier one.
    s.set_review_decision(&d(&r1, Verdict::Confirmed)).unwrap();
    s.set_review_decision(&d(&r2, Verdict::Rejected)).unwrap();
    assert_eq!(
        s.review_decisions(ID_A, "2026").unwrap(),
        vec![d(&r1, Verdict::Confirmed)]
    );
    assert!(s.review_decisions(ID_A, "2025").unwrap().is_empty());
    assert_eq!(s.period_review_decisions("2026").unwrap().len(), 2);
}

pub fn heartbeats_keep_the_latest(s: &dyn Storage) {
    registered(s, "k1");
    let beat = |depth| KioskHeartbeat {
        kiosk_id: "k1".into(),
        received_at: Utc
            .with_ymd_and_hms(2026, 5, 1, 8, 0, depth as u32)
            .unwrap(),
        app_version: "0.1.0".into(),
        queue_depth: depth,
        oldest_pending: (depth > 0).then(|| t("2026-05-01T07:00:00+08:00")),
    };
    assert!(s.heartbeats().unwrap().is_empty());
    s.set_heartbeat(&beat(3)).unwrap();
    s.set_heartbeat(&beat(0)).unwrap();
    assert_eq!(s.heartbeats().unwrap(), vec![beat(0)]);
    s.set_heartbeat(&beat(4)).unwrap();
    assert_eq!(s.heartbeats().unwrap(), vec![beat(4)]);
}

pub fn period_people_equal_person_facts_one_by_one(s: &dyn Storage) {
    s.import_roster(&[
        person(ID_A, "A", "110105", RosterStatus::Active),
        person(ID_B, "B", "310115", RosterStatus::Suspended),
        person(ID_C, "C", "110105", RosterStatus::Active),
    ])
    .unwrap();
    s.import_self_certifications(&[certpoint_agency::storage::SelfCertification {
        id_number: ID_C.into(),
        period: "2026".into(),
        at: t("2026-03-01T09:00:00+08:00"),
    }])
    .unwrap();
    registered(s, "k1");
    let mut first = record(
        "k1",
        1,
        ID_A,
        Outcome::PendingMatch,
        "2026-04-02T10:00:00+08:00",
    );
    first.site_code = "site-1".into();
    let pending = store(s, &first, Some(b"crop"));
    let mut later = record("k1", 2, ID_A, Outcome::Failed, "2026-04-03T10:00:00+08:00");
    later.site_code = "site-2".into();
    store(s, &later, None);
    store(
        s,
        &record("k1", 3, ID_A, Outcome::Passed, "2026-04-01T10:00:00+08:00"),
        None,
    );
    let mut other = record("k1", 4, ID_C, Outcome::Passed, "2025-04-01T10:00:00+08:00");
    other.period = "2025".into();
    store(s, &other, None);
    s.set_record_match(&certpoint_agency::storage::RecordMatch {
        record_id: pending,
        score: 0.2,
        threshold: 0.4,
        reference_version: "v1".into(),
        models: Default::default(),
        matched_at: Utc::now(),
    })
    .unwrap();
    let all = s.period_people("2026", None).unwrap();
    assert_eq!(all.len(), 3);
    for p in &all {
        assert_eq!(
            p.facts,
            s.person_facts(&p.entry.id_number, "2026").unwrap(),
            "{:?}",
            p.entry
        );
        assert_eq!(
            Some(&p.entry),
            s.roster_entry(&p.entry.id_number).unwrap().as_ref()
        );
    }
    let a = all.iter().find(|p| p.entry.id_number == ID_A).unwrap();
    // The latest record's site, whatever its outcome.
    assert_eq!(a.site.as_deref(), Some("site-2"));
    assert_eq!(a.facts.records.len(), 2);
    let c = all.iter().find(|p| p.entry.id_number == ID_C).unwrap();
    assert_eq!(c.site, None);
    let region: Vec<String> = s
        .period_people("2026", Some("310115"))
        .unwrap()
        .into_iter()
        .map(|p| p.entry.id_number)
        .collect();
    assert_eq!(region, [ID_B]);
}
