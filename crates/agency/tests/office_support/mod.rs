//! A small season for the back-office tests (route tests and the browser test): two
//! regions, people certified through each channel, two records awaiting review (one
//! with a reference photo to compare, one without), a manual pass, people who have not
//! come, and a deceased person. Written through the `Storage` trait, as the server
//! would have stored it.

#![allow(dead_code)]

use std::path::PathBuf;

use certpoint_agency::storage::{Reference, RosterStatus, SelfCertification, StaffRole};
use certpoint_agency::Storage;
use certpoint_protocol::id_number::check_char;
use certpoint_protocol::{Action, ChallengeResult, Outcome, Scored};

use crate::storage_suite::{person, record, registered, store, t};

/// A valid ID number in `region`, born on `birth` (YYYYMMDD).
pub fn id(region: &str, birth: &str, seq: &str) -> String {
    let first17 = format!("{region}{birth}{seq}");
    format!("{first17}{}", check_char(&first17))
}

pub struct Season {
    pub app: String,
    pub onsite: String,
    /// pending_match with a face crop and a reference photo: a reviewer may confirm.
    pub review: String,
    pub review_record: String,
    pub none_a: String,
    pub manual: String,
    pub manual_record: String,
    /// pending_match with a crop but no reference photo: only rejection is possible.
    pub noref: String,
    pub noref_record: String,
    pub dead: String,
    /// Aged 90+ on 2026-05-20.
    pub none_old: String,
    pub everyone: Vec<String>,
}

pub const PASSWORD: &str = "correct horse battery staple";

pub fn face(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/data/faces")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Seeds `s` with the season (period 2026) and the accounts `ops` (admin), `rev`
/// (reviewer) and `aud` (auditor), all with [`PASSWORD`].
pub fn seed(s: &dyn Storage) -> Season {
    let season = Season {
        app: id("110105", "19500302", "011"),
        onsite: id("110105", "19450611", "021"),
        review: id("110105", "19380101", "031"),
        none_a: id("110105", "19580815", "041"),
        manual: id("310115", "19400405", "052"),
        noref: id("310115", "19520920", "062"),
        dead: id("310115", "19300101", "071"),
        none_old: id("310115", "19330101", "082"),
        review_record: String::new(),
        manual_record: String::new(),
        noref_record: String::new(),
        everyone: vec![],
    };
    let names = [
        (&season.app, "王秀英", "110105", RosterStatus::Active),
        (&season.onsite, "李建国", "110105", RosterStatus::Active),
        (&season.review, "张桂兰", "110105", RosterStatus::Active),
        (&season.none_a, "刘志强", "110105", RosterStatus::Active),
        (&season.manual, "陈玉珍", "310115", RosterStatus::Active),
        (&season.noref, "杨德明", "310115", RosterStatus::Active),
        (&season.dead, "赵淑华", "310115", RosterStatus::Deceased),
        (&season.none_old, "黄宝山", "310115", RosterStatus::Active),
    ];
    let roster: Vec<_> = names
        .iter()
        .map(|(id, name, region, status)| person(id, name, region, *status))
        .collect();
    s.import_roster(&roster).unwrap();
    s.import_self_certifications(&[SelfCertification {
        id_number: season.app.clone(),
        period: "2026".into(),
        at: t("2026-03-02T10:00:00+08:00"),
    }])
    .unwrap();
    registered(s, "kiosk-a");
    s.add_kiosk(
        &crate::storage_suite::kiosk("kiosk-b", Some("310115")),
        "token-sha-of-kiosk-b",
    )
    .unwrap();
    let mut onsite = record(
        "kiosk-a",
        1,
        &season.onsite,
        Outcome::Passed,
        "2026-03-05T09:00:00+08:00",
    );
    onsite.site_code = "110105-01".into();
    store(s, &onsite, None);
    let mut pending = record(
        "kiosk-a",
        2,
        &season.review,
        Outcome::PendingMatch,
        "2026-03-05T11:00:00+08:00",
    );
    pending.site_code = "110105-01".into();
    pending.challenges = vec![
        ChallengeResult {
            action: Action::Blink,
            passed: true,
            duration_ms: 1800,
        },
        ChallengeResult {
            action: Action::TurnLeft,
            passed: true,
            duration_ms: 2400,
        },
    ];
    pending.passive_liveness = Some(Scored {
        score: 0.93,
        threshold: 0.5,
    });
    let review_record = store(s, &pending, Some(&face("obama_podium.jpg")));
    s.put_reference(
        &season.review,
        &Reference {
            version: "2024-01".into(),
            media_type: "image/jpeg".into(),
            bytes: face("obama_portrait.jpg"),
        },
    )
    .unwrap();
    let mut manual = record(
        "kiosk-b",
        1,
        &season.manual,
        Outcome::ManualPassed,
        "2026-03-06T09:30:00+08:00",
    );
    manual.site_code = "310115-01".into();
    let manual_record = store(s, &manual, None);
    let mut noref = record(
        "kiosk-b",
        3,
        &season.noref,
        Outcome::PendingMatch,
        "2026-03-09T15:00:00+08:00",
    );
    noref.site_code = "310115-01".into();
    let noref_record = store(s, &noref, Some(&face("biden_portrait.jpg")));
    for (name, role) in [
        ("ops", StaffRole::Admin),
        ("rev", StaffRole::Reviewer),
        ("aud", StaffRole::Auditor),
    ] {
        certpoint_agency::service::staff::add_account(s, name, role, PASSWORD).unwrap();
    }
    let everyone = roster.iter().map(|e| e.id_number.clone()).collect();
    Season {
        review_record,
        manual_record,
        noref_record,
        everyone,
        ..season
    }
}
