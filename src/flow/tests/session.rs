//! Sessions: scans, retries up to the limit, the clerk-assisted path, screens that time out.

use certpoint_protocol::{Channel, FaceMatch, Method, Outcome};
use chrono::{Datelike, NaiveDate};

use super::harness::{elder, id_born, replay, spoken, wall_at, Driver};
use crate::flow::{
    ClerkNotice, Effect, EndReason, Event, FlowParams, ManualPassError, Prompt, State,
};

#[test]
fn the_elder_test_id_is_old_enough_on_the_test_date() {
    assert_eq!(
        elder().birth_date(),
        NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
    );
    assert_eq!(elder().age_on(wall_at(0).date_naive()), 76);
}

#[test]
fn a_scan_in_idle_starts_a_session_and_asks_the_server() {
    let (state, fx) = replay(
        State::Idle,
        &[(
            5,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: elder(),
                seed: 3,
            },
        )],
        &FlowParams::for_tests(),
    );
    assert_eq!(
        fx,
        vec![
            Effect::FetchReference(elder()),
            Effect::Speak(Prompt::Welcome)
        ]
    );
    let State::IdentityEntered {
        session,
        lookup_started_ms,
    } = state
    else {
        panic!("{state:?}")
    };
    assert_eq!(
        (
            session.attempt,
            session.seed,
            session.started_ms,
            lookup_started_ms
        ),
        (1, 3, 5, 5)
    );
    assert_eq!(session.started_wall, wall_at(5));
}

#[test]
fn someone_too_young_is_refused_without_a_record() {
    // 2026-04-02 is the test date: born 1976-04-03 is still 49.
    let young = id_born("19760403");
    let (state, fx) = replay(
        State::Idle,
        &[(
            0,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: young,
                seed: 1,
            },
        )],
        &FlowParams::for_tests(),
    );
    assert_eq!(state, State::Idle);
    assert_eq!(
        fx,
        vec![Effect::Notify(ClerkNotice::TooYoung {
            age: 49,
            min_age: 50
        })]
    );

    let fifty = id_born("19760402");
    let (state, _) = replay(
        State::Idle,
        &[(
            0,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: fifty,
                seed: 1,
            },
        )],
        &FlowParams::for_tests(),
    );
    assert_eq!(state.name(), "identity_entered");
}

#[test]
fn scans_outside_the_certification_window_warn_the_clerk_and_go_ahead() {
    let mut params = FlowParams::for_tests();
    let (from, to) = (
        NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 6, 30).unwrap(),
    );
    params.certification_window = Some((from, to));
    let (state, fx) = replay(
        State::Idle,
        &[(
            0,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: elder(),
                seed: 1,
            },
        )],
        &params,
    );
    assert_eq!(state.name(), "identity_entered");
    assert_eq!(
        fx.first(),
        Some(&Effect::Notify(ClerkNotice::OutsideWindow { from, to }))
    );
    assert!(fx.iter().any(|e| matches!(e, Effect::FetchReference(_))));

    params.certification_window = Some((from.with_month(4).unwrap(), wall_at(0).date_naive()));
    let (state, fx) = replay(
        State::Idle,
        &[(
            0,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: elder(),
                seed: 1,
            },
        )],
        &params,
    );
    assert_eq!(state.name(), "identity_entered");
    assert!(
        !fx.iter()
            .any(|e| matches!(e, Effect::Notify(ClerkNotice::OutsideWindow { .. }))),
        "both ends are inclusive: {fx:?}"
    );
}

#[test]
fn already_certified_ends_the_session_before_any_attempt() {
    let mut d = Driver::reach("identity_entered");
    let at = wall_at(0) - chrono::Duration::days(10);
    let (at, channel) = (Some(at), Some(Channel::App));
    let fx = d.after(100, Event::AlreadyCertified { at, channel });
    assert_eq!(
        fx,
        vec![
            Effect::Notify(ClerkNotice::AlreadyCertified { at, channel }),
            Effect::Speak(Prompt::AlreadyCertified)
        ]
    );
    assert!(d.state.session().is_none());
    assert!(
        matches!(&d.state, State::AlreadyCertified { at: a, channel: c, .. } if *a == at && *c == channel),
        "the clerk sees when and how: {:?}",
        d.state
    );
    d.after(4_999, Event::Tick);
    assert_eq!(d.state.name(), "already_certified");
    d.after(1, Event::Tick);
    assert_eq!(d.state, State::Idle);
    assert!(d.records().is_empty());
}

#[test]
fn already_certified_learned_mid_attempt_only_tells_the_clerk() {
    let mut d = Driver::tests();
    d.scan();
    d.after(3_000, Event::Tick); // lookup timed out
    let (at, channel) = (Some(wall_at(0)), None);
    let fx = d.after(100, Event::AlreadyCertified { at, channel });
    assert_eq!(
        fx,
        vec![Effect::Notify(ClerkNotice::AlreadyCertified {
            at,
            channel
        })]
    );
    assert_eq!(d.state.name(), "positioning");
}

#[test]
fn the_pass_screen_returns_to_idle_after_its_display_time() {
    let mut d = Driver::reach("passed");
    assert_eq!(d.state.countdown_ms(d.ms, &d.params), Some(5_000));
    d.after(4_999, Event::Tick);
    assert_eq!(d.state.name(), "passed");
    let fx = d.after(1, Event::Tick);
    assert_eq!(d.state, State::Idle);
    assert!(fx.is_empty());
}

#[test]
fn a_failure_is_stored_in_the_step_that_shows_it() {
    for (max_attempts, screen) in [(3, "failed"), (1, "clerk_assist")] {
        let mut d = Driver::tests();
        d.params.max_attempts = max_attempts;
        d.scan().online().place().perform();
        let fx = d.after(200, super::harness::scored(0.1));
        assert_eq!(d.state.name(), screen);
        let recs = super::harness::records(&fx);
        assert_eq!(recs.len(), 1, "{screen}");
        assert_eq!(
            (recs[0].attempt, recs[0].outcome, &recs[0].method),
            (1, Outcome::Failed, &Method::FaceAuto)
        );
        assert_eq!(recs[0].ended_at, wall_at(d.ms));
        // Durable before the retiree or the clerk is told anything.
        assert!(matches!(fx[0], Effect::StoreRecord(_)), "{screen}: {fx:?}");
    }
}

#[test]
fn retry_starts_the_next_attempt_with_a_new_order_and_stores_nothing() {
    let mut d = Driver::reach("failed");
    assert_eq!(d.state.attempts_left(&d.params), Some(2));
    let fx = d.after(1_000, Event::Retry);
    assert!(super::harness::records(&fx).is_empty());
    assert_eq!(spoken(&fx), vec![Prompt::TryAgain]);
    assert!(fx.contains(&Effect::StartLiveness));
    let s = d.state.session().unwrap();
    assert_eq!((s.attempt, s.attempt_started_ms), (2, d.ms));
    assert_eq!(d.state.name(), "positioning");
}

#[test]
fn attempts_count_up_to_the_limit_then_only_the_clerk_can_help() {
    let mut d = Driver::tests();
    d.scan().online().fail_attempt();
    for attempt in 2..=3 {
        assert_eq!(d.state.name(), "failed");
        d.after(1_000, Event::Retry);
        assert_eq!(d.state.session().unwrap().attempt, attempt);
        d.fail_attempt();
    }
    assert_eq!(d.state.name(), "clerk_assist");
    assert_eq!(d.state.attempts_left(&d.params), Some(0));
    assert!(d.log.contains(&Effect::Notify(ClerkNotice::AssistNeeded {
        reason: EndReason::FaceMatchBelowThreshold
    })));
    assert_eq!(d.state.screen_prompt(), Prompt::SeeClerk);

    let fx = d.after(1_000, Event::Retry);
    assert!(fx.is_empty());
    assert_eq!(d.state.name(), "clerk_assist");

    let attempts: Vec<u32> = d.records().iter().map(|r| r.attempt).collect();
    assert_eq!(attempts, vec![1, 2, 3], "each stored as it failed");
    assert!(d.records().iter().all(|r| r.outcome == Outcome::Failed));
    let fx = d.after(1_000, Event::ClerkCancel);
    assert!(super::harness::records(&fx).is_empty());
    assert_eq!(d.state, State::Idle);
}

#[test]
fn max_attempts_of_zero_still_allows_one() {
    let mut params = FlowParams::for_tests();
    params.max_attempts = 0;
    let mut d = Driver::new(params);
    d.scan().online().fail_attempt();
    assert_eq!(d.state.name(), "clerk_assist");
}

#[test]
fn a_manual_pass_needs_a_clerk_id_and_a_reason() {
    for (clerk_id, reason, error) in [
        ("", "card checked", ManualPassError::MissingClerkId),
        ("  ", "card checked", ManualPassError::MissingClerkId),
        ("C01", "", ManualPassError::MissingReason),
        ("C01", " \t", ManualPassError::MissingReason),
    ] {
        let mut d = Driver::reach("clerk_assist");
        let before = d.state.clone();
        let fx = d.after(
            10,
            Event::ManualPass {
                clerk_id: clerk_id.into(),
                reason: reason.into(),
            },
        );
        assert_eq!(
            fx,
            vec![Effect::Notify(ClerkNotice::ManualPassRejected(error))]
        );
        assert_eq!(
            d.state, before,
            "the screen and its timer stay as they were"
        );
    }
}

#[test]
fn a_manual_pass_adds_a_clerk_record_next_to_the_stored_failure() {
    for (max_attempts, screen) in [(3, "failed"), (1, "clerk_assist")] {
        let mut d = Driver::tests();
        d.params.max_attempts = max_attempts;
        d.scan().online().fail_attempt();
        assert_eq!(d.state.name(), screen);
        let failed_at = d.ms;
        let fx = d.after(
            10_000,
            Event::ManualPass {
                clerk_id: " C01 ".into(),
                reason: "card checked".into(),
            },
        );
        assert_eq!(spoken(&fx), vec![Prompt::Passed]);
        assert!(matches!(d.state, State::Passed { manual: true, .. }));
        let recs = d.records();
        assert_eq!(recs.len(), 2, "{screen}");
        let (auto, manual) = (recs[0], recs[1]);
        assert_eq!(
            (auto.outcome, &auto.method, auto.ended_at),
            (Outcome::Failed, &Method::FaceAuto, wall_at(failed_at)),
            "the failure stays on file as the machine saw it"
        );
        assert_eq!(manual.outcome, Outcome::ManualPassed);
        assert_eq!(
            manual.method,
            Method::ClerkManual {
                clerk_id: "C01".into(),
                reason: "card checked".into()
            }
        );
        assert_eq!(manual.attempt, 1, "the attempt it resolves");
        assert_eq!(
            manual.reason.as_deref(),
            Some("face_match_below_threshold"),
            "why the clerk had to step in"
        );
        assert!(matches!(manual.face_match, FaceMatch::Scored { .. }));
        assert_eq!(
            (
                &manual.challenges,
                &manual.passive_liveness,
                &manual.face_match,
                &manual.quality
            ),
            (
                &auto.challenges,
                &auto.passive_liveness,
                &auto.face_match,
                &auto.quality
            ),
            "the failure's evidence is copied"
        );
        assert_eq!(
            (manual.started_at, manual.ended_at),
            (auto.started_at, wall_at(d.ms))
        );

        d.after(5_000, Event::Tick);
        assert_eq!(d.state, State::Idle);
        assert_eq!(d.records().len(), 2, "the pass screen stores nothing more");
    }
}

#[test]
fn an_undecided_failure_screen_times_out_to_idle_without_another_record() {
    for screen in ["failed", "clerk_assist"] {
        let mut d = Driver::reach(screen);
        d.after(119_999, Event::Tick);
        assert_eq!(d.state.name(), screen);
        let fx = d.after(1, Event::Tick);
        assert_eq!(d.state, State::Idle);
        assert!(fx.is_empty(), "{screen}: {fx:?}");
        assert!(d.records().is_empty(), "stored when it failed");
    }
}

#[test]
fn a_new_scan_on_the_pass_screen_starts_the_next_person_at_once() {
    let mut d = Driver::reach("passed");
    d.seed = 99;
    d.scan();
    assert_eq!(d.state.session().unwrap().seed, 99);
    assert!(
        d.records().is_empty(),
        "the pass was stored when it happened"
    );
}

#[test]
fn deadlines_fire_before_the_event_that_arrives_after_them() {
    let mut d = Driver::reach("failed");
    // The fail screen timed out before the retry arrived: the late retry finds the
    // attract screen and starts nothing.
    let fx = d.after(120_000, Event::Retry);
    assert_eq!(d.state, State::Idle);
    assert!(fx.is_empty(), "{fx:?}");
}
