//! No reference, no pass: the pending-match result and the person's status at the scan
//! (already certified, not eligible), driven only through `step`.

use certpoint_protocol::{Channel, FaceMatch, Method, Outcome, ReferenceSource};

use super::harness::{elder, records, scored, spoken, wall_at, Driver};
use crate::flow::{
    ClerkNotice, Effect, EndReason, Event, Ineligibility, ManualPassError, PendingReason, Prompt,
    State,
};

/// A live attempt (every challenge done, passive liveness fine) after `answer`, ended
/// by the runner having nothing to compare with.
fn live_without_reference(answer: Option<Event>) -> Driver {
    let mut d = Driver::tests();
    d.scan();
    match answer {
        Some(a) => {
            d.after(100, a);
        }
        None => {
            d.after(3_000, Event::Tick); // the lookup times out
        }
    }
    d.place().perform();
    d.after(200, Event::MatchNoReference);
    d
}

fn pending_reason(state: &State) -> PendingReason {
    match state {
        State::PendingMatch { reason, .. } => *reason,
        other => panic!("not pending_match: {other:?}"),
    }
}

#[test]
fn a_live_face_without_a_reference_is_pending_match_never_passed() {
    for (answer, reason) in [
        (Some(Event::ReferenceNotFound), PendingReason::NoReference),
        (
            Some(Event::ServerUnavailable),
            PendingReason::ServerUnavailable,
        ),
        (None, PendingReason::ServerUnavailable),
        (
            Some(Event::ReferenceUnusable("no face".into())),
            PendingReason::ReferenceUnusable,
        ),
    ] {
        let d = live_without_reference(answer.clone());
        assert_eq!(pending_reason(&d.state), reason, "{answer:?}");
        let recs = d.records();
        assert_eq!(recs.len(), 1);
        let r = recs[0];
        assert_eq!(
            (r.outcome, r.reason.as_deref(), &r.method, &r.face_match),
            (
                Outcome::PendingMatch,
                Some(reason.code()),
                &Method::FaceAuto,
                &FaceMatch::PendingMatch
            ),
            "{answer:?}"
        );
        // Liveness is on file: that is what pending_match vouches for.
        assert!(r.passive_liveness.is_some_and(|p| p.score >= p.threshold));
        assert!(r.challenges.iter().all(|c| c.passed));
        // Stored first, then said; the clerk is told why.
        let tail: Vec<&Effect> = d.log.iter().rev().take(3).collect();
        assert!(matches!(tail[2], Effect::StoreRecord(_)), "{tail:?}");
        assert_eq!(tail[1], &Effect::Speak(Prompt::PendingMatch));
        assert_eq!(tail[0], &Effect::Notify(ClerkNotice::PendingMatch(reason)));
        assert_eq!(d.state.screen_prompt(), Prompt::PendingMatch);
    }
}

#[test]
fn a_late_reference_during_the_attempt_still_gives_a_real_match() {
    let mut d = Driver::tests();
    d.scan();
    d.after(3_000, Event::Tick);
    d.after(
        100,
        Event::ReferenceFound {
            version: "v9".into(),
            source: ReferenceSource::KioskCache,
        },
    );
    d.place().perform();
    d.after(
        200,
        Event::MatchScored {
            score: 0.7,
            reference_version: "v9".into(),
            source: ReferenceSource::KioskCache,
        },
    );
    assert_eq!(d.state.name(), "passed");
    let r = d.records()[0];
    assert_eq!(r.outcome, Outcome::Passed);
    assert_eq!(
        r.face_match,
        FaceMatch::Scored {
            score: 0.7,
            threshold: 0.6,
            reference_version: "v9".into(),
            source: Some(ReferenceSource::KioskCache),
        }
    );
}

#[test]
fn a_threshold_that_is_not_a_number_lets_nothing_pass() {
    let mut d = Driver::tests();
    d.params.face_match_threshold = f32::NAN;
    d.scan().online().place().perform();
    d.after(200, scored(0.99));
    assert_eq!(d.state.name(), "failed");
    assert_eq!(
        d.records()[0].reason.as_deref(),
        Some("face_match_below_threshold")
    );
}

#[test]
fn the_pending_screen_offers_no_retry_and_closes_after_the_decision_time() {
    let mut d = Driver::reach("pending_match");
    let fx = d.after(10, Event::Retry);
    assert!(fx.is_empty(), "{fx:?}");
    assert_eq!(d.state.name(), "pending_match");
    assert_eq!(d.state.countdown_ms(d.ms, &d.params), Some(120_000 - 10));
    d.after(120_000 - 11, Event::Tick);
    assert_eq!(d.state.name(), "pending_match");
    let fx = d.after(1, Event::Tick);
    assert_eq!(d.state, State::Idle);
    assert!(
        records(&fx).is_empty(),
        "the pending match was stored already"
    );
}

#[test]
fn a_manual_pass_on_the_pending_screen_copies_the_evidence_and_reason() {
    let mut d = Driver::reach("pending_match");
    let State::PendingMatch { verdict, .. } = d.state.clone() else {
        unreachable!()
    };
    let fx = d.after(
        30_000,
        Event::ManualPass {
            clerk_id: " C07 ".into(),
            reason: "ID card checked by eye".into(),
        },
    );
    assert!(matches!(d.state, State::Passed { manual: true, .. }));
    assert_eq!(spoken(&fx), vec![Prompt::Passed]);
    let recs = records(&fx);
    assert_eq!(recs.len(), 1);
    let r = recs[0];
    assert_eq!(r.outcome, Outcome::ManualPassed);
    assert_eq!(r.reason.as_deref(), Some("no_reference"));
    assert_eq!(
        r.method,
        Method::ClerkManual {
            clerk_id: "C07".into(),
            reason: "ID card checked by eye".into()
        }
    );
    assert_eq!(r.attempt, 1);
    assert_eq!(r.face_match, FaceMatch::PendingMatch);
    assert_eq!(
        (&r.challenges, r.passive_liveness),
        (&verdict.challenges, verdict.passive_liveness)
    );
    assert_eq!(r.ended_at, wall_at(d.ms));
}

#[test]
fn a_scan_on_the_pending_screen_starts_the_next_person() {
    let mut d = Driver::reach("pending_match");
    let fx = d.after(
        10,
        Event::IdScanned {
            source: certpoint_protocol::IdSource::Typed,
            id: elder(),
            seed: 9,
        },
    );
    assert_eq!(d.state.name(), "identity_entered");
    assert!(fx.contains(&Effect::FetchReference(elder())));
    assert!(records(&fx).is_empty());
}

#[test]
fn not_eligible_at_the_scan_stores_nothing_and_sends_the_person_to_the_clerk() {
    for why in Ineligibility::ALL {
        let mut d = Driver::reach("identity_entered");
        let fx = d.after(100, Event::NotEligible(why));
        assert_eq!(
            fx,
            vec![
                Effect::Notify(ClerkNotice::NotEligible(why)),
                Effect::Speak(Prompt::SeeClerk)
            ]
        );
        assert!(matches!(d.state, State::NotEligible { why: w, .. } if w == why));
        assert!(d.state.session().is_none());
        assert_eq!(d.state.screen_prompt(), Prompt::SeeClerk);
        // No attempt, no manual pass, no retry: the pension office decides.
        let fx = d.after(
            10,
            Event::ManualPass {
                clerk_id: "C01".into(),
                reason: "card checked".into(),
            },
        );
        assert_eq!(
            fx,
            vec![Effect::Notify(ClerkNotice::ManualPassRejected(
                ManualPassError::NotAvailable
            ))]
        );
        d.after(10, Event::Retry);
        d.after(10, super::harness::good());
        assert_eq!(d.state.name(), "not_eligible");
        d.after(120_000, Event::Tick);
        assert_eq!(d.state, State::Idle);
        assert!(d.records().is_empty(), "{why:?}");
    }
}

#[test]
fn not_eligible_learned_mid_attempt_abandons_it() {
    let mut d = Driver::tests();
    d.scan();
    d.after(3_000, Event::Tick); // offline: the attempt starts
    d.place();
    let fx = d.after(100, Event::NotEligible(Ineligibility::Suspended));
    assert_eq!(d.state.name(), "not_eligible");
    let recs = records(&fx);
    assert_eq!(recs.len(), 1);
    assert_eq!(
        (recs[0].outcome, recs[0].reason.as_deref()),
        (Outcome::Abandoned, Some("not_eligible"))
    );
    assert_eq!(EndReason::NotEligible.code(), "not_eligible");
}

#[test]
fn not_eligible_learned_on_the_pending_screen_closes_the_manual_pass() {
    let mut d = live_without_reference(None);
    assert_eq!(d.state.name(), "pending_match");
    let fx = d.after(100, Event::NotEligible(Ineligibility::Deceased));
    assert_eq!(d.state.name(), "not_eligible");
    assert!(
        records(&fx).is_empty(),
        "the pending match is on file already"
    );
    let fx = d.after(
        10,
        Event::ManualPass {
            clerk_id: "C01".into(),
            reason: "card checked".into(),
        },
    );
    assert!(records(&fx).is_empty());
}

#[test]
fn a_session_that_got_its_answer_ignores_a_late_not_eligible() {
    // The reference (and so the status) was known: nothing is pending any more.
    let mut d = Driver::reach("challenges");
    let before = d.state.clone();
    let fx = d.after(10, Event::NotEligible(Ineligibility::Deceased));
    assert!(fx.iter().all(|e| matches!(e, Effect::Speak(_))), "{fx:?}");
    assert_eq!(d.state.name(), before.name());
}

#[test]
fn already_certified_keeps_when_and_how_for_the_clerk() {
    let mut d = Driver::reach("identity_entered");
    let at = Some(wall_at(0) - chrono::Duration::days(3));
    d.after(
        100,
        Event::AlreadyCertified {
            at,
            channel: Some(Channel::Assistance),
        },
    );
    assert!(matches!(
        d.state,
        State::AlreadyCertified {
            channel: Some(Channel::Assistance),
            ..
        }
    ));
    assert!(d.records().is_empty());
}
