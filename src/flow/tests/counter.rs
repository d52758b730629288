//! Issue 14 at the counter: where the number came from, a card read, the manual check
//! without an attempt, and the clerk's exclusions.

use certpoint_protocol::{
    Action, ExcludedAction, ExclusionReason, FaceMatch, IdSource, Method, Outcome,
};
use chrono::NaiveDate;

use super::harness::*;
use crate::flow::{
    CardFacts, ChipPhoto, ClerkNotice, Effect, Event, ExclusionError, ManualWhy, Prompt, State,
};

fn notices(fx: &[Effect]) -> Vec<ClerkNotice> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Notify(n) => Some(n.clone()),
            _ => None,
        })
        .collect()
}

fn manual_pass() -> Event {
    Event::ManualPass {
        clerk_id: "C01".into(),
        reason: "card checked".into(),
    }
}

#[test]
fn every_record_of_a_session_says_where_the_number_came_from() {
    for source in IdSource::ALL {
        let mut d = Driver::tests();
        let fx = d.after(
            0,
            Event::IdScanned {
                id: elder(),
                seed: 1,
                source,
            },
        );
        assert!(notices(&fx).is_empty(), "{fx:?}");
        d.online().fail_attempt();
        d.after(100, manual_pass());
        let recs = d.records();
        assert_eq!(recs.len(), 2, "the failure and the manual pass");
        assert!(recs.iter().all(|r| r.id_source == source), "{source:?}");
    }
}

#[test]
fn a_card_read_starts_a_session_like_a_scan_and_tells_the_clerk_what_the_card_said() {
    let mut d = Driver::tests();
    let card = CardFacts {
        expired_on: NaiveDate::from_ymd_opt(2025, 1, 31),
        mongolian: true,
        chip_photo: ChipPhoto::Failed("wlt2bmp exited with status 3".into()),
    };
    let fx = d.after(
        0,
        Event::CardRead {
            id: elder(),
            seed: 5,
            card: card.clone(),
        },
    );
    assert_eq!(d.state.name(), "identity_entered");
    let n = notices(&fx);
    assert!(n.contains(&ClerkNotice::CardExpired {
        on: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap()
    }));
    assert!(n.contains(&ClerkNotice::MongolianCard));
    assert!(n.contains(&ClerkNotice::ChipPhotoFailed(
        "wlt2bmp exited with status 3".into()
    )));
    assert!(fx.contains(&Effect::FetchReference(elder())));
    let s = d.state.session().unwrap();
    assert_eq!(
        (s.id_source, s.card.as_ref()),
        (IdSource::CardReader, Some(&card))
    );
    d.online().fail_attempt();
    assert_eq!(d.records()[0].id_source, IdSource::CardReader);
}

#[test]
fn a_card_read_during_a_session_is_refused_like_a_scan() {
    let mut d = Driver::reach("challenges");
    let fx = d.after(
        10,
        Event::CardRead {
            id: id_born("19500101"),
            seed: 1,
            card: CardFacts::default(),
        },
    );
    assert_eq!(notices(&fx), [ClerkNotice::SessionBusy]);
    assert_eq!(d.state.name(), "challenges");
    assert_eq!(d.state.session().unwrap().id, elder());
}

#[test]
fn outside_the_window_the_retiree_hears_it_after_the_welcome() {
    let mut d = Driver::tests();
    let d1 = NaiveDate::from_ymd_opt(2026, 4, 1).unwrap();
    d.params.certification_window = Some((d1, d1));
    let fx = d.after(
        0,
        Event::IdScanned {
            id: elder(),
            seed: 1,
            source: IdSource::Scanner,
        },
    );
    assert_eq!(
        spoken(&fx),
        [Prompt::Welcome, Prompt::OutsideWindow],
        "the session still goes ahead"
    );
    assert_eq!(d.state.name(), "identity_entered");
}

#[test]
fn the_manual_check_from_the_lookup_stores_only_the_manual_pass() {
    let mut d = Driver::reach("identity_entered");
    let fx = d.after(100, Event::ManualCheck);
    assert_eq!(
        notices(&fx),
        [ClerkNotice::ManualCheck(ManualWhy::CannotPerformChallenges)]
    );
    assert!(d.records().is_empty(), "no attempt had started");
    assert!(d.state.awaiting_decision());
    d.after(100, manual_pass());
    let recs = d.records();
    assert_eq!(recs.len(), 1);
    let r = recs[0];
    assert_eq!(r.outcome, Outcome::ManualPassed);
    assert_eq!(r.reason.as_deref(), Some("cannot_perform_challenges"));
    assert_eq!(r.face_match, FaceMatch::NotRun);
    assert!(r.challenges.is_empty());
    assert!(matches!(r.method, Method::ClerkManual { .. }));
    assert!(matches!(d.state, State::Passed { manual: true, .. }));
}

#[test]
fn the_manual_check_during_an_attempt_abandons_it_first() {
    for from in ["positioning", "challenges", "matching"] {
        let mut d = Driver::reach(from);
        d.after(100, Event::ManualCheck);
        assert_eq!(d.state.name(), "manual_check", "from {from}");
        let recs = d.records();
        assert_eq!(recs.len(), 1, "from {from}");
        assert_eq!(recs[0].outcome, Outcome::Abandoned);
        assert_eq!(recs[0].reason.as_deref(), Some("cannot_perform_challenges"));
        d.after(100, manual_pass());
        let recs = d.records();
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[1].outcome, Outcome::ManualPassed);
        assert_eq!(recs[1].attempt, recs[0].attempt, "the same attempt");
    }
}

#[test]
fn the_manual_check_needs_the_clerk_fields_and_times_out_to_idle() {
    let mut d = Driver::reach("manual_check");
    let fx = d.after(
        100,
        Event::ManualPass {
            clerk_id: "C01".into(),
            reason: " ".into(),
        },
    );
    assert_eq!(notices(&fx).len(), 1);
    assert_eq!(d.state.name(), "manual_check");
    // The camera is not needed: losing it changes nothing.
    d.after(100, Event::CameraLost);
    assert_eq!(d.state.name(), "manual_check");
    let t = d.params.decision_timeout_ms;
    d.after(t, Event::Tick);
    assert_eq!(d.state.name(), "idle");
    assert!(d.records().is_empty());
}

#[test]
fn with_the_camera_down_a_scan_goes_straight_to_the_manual_check() {
    let mut d = Driver::reach("camera_fault");
    let fx = d.after(
        100,
        Event::IdScanned {
            id: elder(),
            seed: 1,
            source: IdSource::Typed,
        },
    );
    assert_eq!(
        d.state,
        match &d.state {
            State::ManualCheck {
                why: ManualWhy::CameraUnavailable,
                ..
            } => d.state.clone(),
            other => panic!("{other:?}"),
        }
    );
    // The status is still asked: already certified or not eligible must reach the clerk.
    assert!(fx.contains(&Effect::FetchReference(elder())));
    d.after(
        100,
        Event::NotEligible(crate::flow::Ineligibility::Deceased),
    );
    assert_eq!(
        d.state.name(),
        "not_eligible",
        "no manual pass for the deceased"
    );

    let mut d = Driver::reach("camera_fault");
    d.after(
        100,
        Event::IdScanned {
            id: elder(),
            seed: 1,
            source: IdSource::Typed,
        },
    );
    d.after(100, manual_pass());
    let r = d.records();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].reason.as_deref(), Some("camera_unavailable"));
}

#[test]
fn exclusions_shrink_the_challenges_and_go_into_every_record() {
    let mut d = Driver::reach("positioning");
    d.after(10, Event::Exclude(vec![ExclusionReason::StiffNeck]));
    let excluded = d.state.session().unwrap().excluded.clone();
    assert_eq!(
        excluded.iter().map(|e| e.action).collect::<Vec<_>>(),
        [Action::TurnLeft, Action::TurnRight, Action::LookUp]
    );
    d.place();
    match &d.state {
        State::Challenges(c) => assert_eq!(c.plan, [Action::Blink]),
        other => panic!("{other:?}"),
    }
    d.perform();
    d.after(200, scored(0.1));
    assert_eq!(d.state.name(), "failed");
    // On the fail screen the clerk may change them for the retry.
    d.after(10, Event::Exclude(vec![ExclusionReason::EyeCondition]));
    d.after(10, Event::Retry);
    d.place();
    match &d.state {
        State::Challenges(c) => assert!(!c.plan.contains(&Action::Blink), "{:?}", c.plan),
        other => panic!("{other:?}"),
    }
    let recs = d.records();
    assert_eq!(recs[0].excluded_actions, excluded);
    assert!(recs[0]
        .excluded_actions
        .iter()
        .all(|e| e.reason == ExclusionReason::StiffNeck));
}

#[test]
fn exclusions_are_refused_mid_challenge_and_when_nothing_would_be_left() {
    let mut d = Driver::reach("challenges");
    let fx = d.after(10, Event::Exclude(vec![ExclusionReason::EyeCondition]));
    assert_eq!(
        notices(&fx),
        [ClerkNotice::ExclusionRefused(ExclusionError::NotNow)]
    );
    assert!(d.state.session().unwrap().excluded.is_empty());

    let mut d = Driver::reach("identity_entered");
    let fx = d.after(
        10,
        Event::Exclude(vec![
            ExclusionReason::StiffNeck,
            ExclusionReason::EyeCondition,
        ]),
    );
    assert_eq!(
        notices(&fx),
        [ClerkNotice::ExclusionRefused(ExclusionError::NothingLeft)]
    );
    // Clearing is always possible.
    d.after(10, Event::Exclude(vec![ExclusionReason::EyeCondition]));
    assert_eq!(
        d.state.session().unwrap().excluded,
        [ExcludedAction {
            action: Action::Blink,
            reason: ExclusionReason::EyeCondition
        }]
    );
    d.after(10, Event::Exclude(vec![]));
    assert!(d.state.session().unwrap().excluded.is_empty());
}
