//! The region's "not yet certified" list agrees with the status rules person by person,
//! and pages through everyone once.

use std::collections::BTreeMap;

use certpoint_agency::service::status::decide;
use certpoint_agency::storage::{RecordMatch, RosterStatus, SelfCertification};
use certpoint_agency::Storage;
use certpoint_protocol::{Outcome, PersonState};

use super::{person, record, registered, store, t};

/// A valid ID number (ISO 7064 MOD 11-2 check character) born in 1950 with serial `n`.
pub fn id_number(n: u32) -> String {
    let body = format!("110105195001{:02}{:03}", n % 28 + 1, n % 1000);
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn matched(s: &dyn Storage, record_id: &str, score: f32) {
    s.set_record_match(&RecordMatch {
        record_id: record_id.into(),
        score,
        threshold: 0.4,
        reference_version: "v1".into(),
        models: BTreeMap::new(),
        matched_at: t("2026-04-03T00:00:00Z").into(),
    })
    .unwrap();
}

pub fn not_certified_in_region_follows_the_status_rules(s: &dyn Storage) {
    registered(s, "K1");
    let ids: Vec<String> = (0..12).map(id_number).collect();
    let status = |i: usize| match i {
        9 => RosterStatus::Suspended,
        10 => RosterStatus::Deceased,
        _ => RosterStatus::Active,
    };
    let mut roster: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| person(id, &format!("Person {i}"), "110105", status(i)))
        .collect();
    roster[11].region = "310115".into();
    s.import_roster(&roster).unwrap();
    let at = "2026-04-02T09:30:00+08:00";
    // 0: nothing. 1: passed. 2: manual_passed. 3: pending, unmatched. 4: pending,
    // matched. 5: pending, mismatched. 6: self-certified. 7: passed in another period.
    // 8: failed only. 9, 10: not active. 11: another region.
    store(s, &record("K1", 1, &ids[1], Outcome::Passed, at), None);
    store(
        s,
        &record("K1", 2, &ids[2], Outcome::ManualPassed, at),
        None,
    );
    store(
        s,
        &record("K1", 3, &ids[3], Outcome::PendingMatch, at),
        None,
    );
    let r4 = store(
        s,
        &record("K1", 4, &ids[4], Outcome::PendingMatch, at),
        None,
    );
    matched(s, &r4, 0.8);
    let r5 = store(
        s,
        &record("K1", 5, &ids[5], Outcome::PendingMatch, at),
        None,
    );
    matched(s, &r5, 0.1);
    s.import_self_certifications(&[SelfCertification {
        id_number: ids[6].clone(),
        period: "2026".into(),
        at: t(at),
    }])
    .unwrap();
    let mut other_period = record("K1", 7, &ids[7], Outcome::Passed, at);
    other_period.period = "2025".into();
    store(s, &other_period, None);
    store(s, &record("K1", 8, &ids[8], Outcome::Failed, at), None);

    // Two at a time, to the end.
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = s
            .not_certified_in_region("110105", "2026", 2, after.as_deref())
            .unwrap();
        assert!(page.people.len() <= 2);
        listed.extend(page.people);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    let mut expected = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let state = decide("2026", &s.person_facts(id, "2026").unwrap()).state;
        if roster[i].region == "110105"
            && matches!(
                state,
                PersonState::NotCertified | PersonState::PendingReview
            )
        {
            expected.push((id.clone(), state == PersonState::PendingReview));
        }
    }
    let mut got: Vec<_> = listed
        .iter()
        .map(|u| (u.id_number.clone(), u.pending_review))
        .collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected);
    let want = |i: usize, pending| (ids[i].clone(), pending);
    let mut by_hand = vec![
        want(0, false),
        want(3, true),
        want(5, true),
        want(7, false),
        want(8, false),
    ];
    by_hand.sort();
    assert_eq!(got, by_hand, "the cases above, by hand");
    assert!(listed.iter().any(|u| u.name == "Person 0"));

    assert!(s
        .not_certified_in_region("110105", "2026", 0, None)
        .unwrap()
        .people
        .is_empty());
    assert!(s
        .not_certified_in_region("110105", "2026", 10, Some("not a cursor"))
        .is_err());
}
