//! From the server's answer through positioning and the challenges.

use certpoint_protocol::{Action, Outcome, ReferenceSource::Server};

use super::harness::{doing, faces, good, placed, spoken, wall_at, Driver};
use crate::flow::{
    ClerkNotice, Effect, EndReason, Event, PendingReason, Placement, Prompt, ReferenceStatus, State,
};

fn reference(d: &Driver) -> ReferenceStatus {
    d.state.session().unwrap().reference.clone()
}

#[test]
fn reference_found_starts_an_online_attempt() {
    let mut d = Driver::reach("identity_entered");
    let fx = d.after(
        100,
        Event::ReferenceFound {
            version: "v7".into(),
            source: Server,
        },
    );
    assert_eq!(d.state.name(), "positioning");
    assert_eq!(
        reference(&d),
        ReferenceStatus::Found {
            version: "v7".into(),
            source: Server,
        }
    );
    assert_eq!(
        fx,
        vec![Effect::StartLiveness, Effect::Speak(Prompt::LookAtScreen)]
    );
    let s = d.state.session().unwrap();
    assert_eq!(
        (s.attempt, s.attempt_started_ms, s.attempt_started_wall),
        (1, 100, wall_at(100))
    );
}

#[test]
fn no_usable_reference_still_runs_the_attempt_towards_a_pending_match() {
    for (event, status, notice, pending) in [
        (
            Event::ReferenceNotFound,
            ReferenceStatus::NotFound,
            ClerkNotice::NoReference,
            PendingReason::NoReference,
        ),
        (
            Event::ServerUnavailable,
            ReferenceStatus::Unavailable,
            ClerkNotice::Offline,
            PendingReason::ServerUnavailable,
        ),
        (
            Event::ReferenceUnusable("2 faces".into()),
            ReferenceStatus::Unusable,
            ClerkNotice::ReferenceUnusable("2 faces".into()),
            PendingReason::ReferenceUnusable,
        ),
    ] {
        let mut d = Driver::reach("identity_entered");
        let fx = d.after(100, event);
        assert_eq!(d.state.name(), "positioning");
        assert_eq!(reference(&d), status);
        assert_eq!(reference(&d).pending_reason(), pending);
        assert!(fx.contains(&Effect::Notify(notice)));
    }
}

#[test]
fn a_slow_server_times_out_into_offline_and_a_late_answer_is_still_taken() {
    let mut d = Driver::reach("identity_entered");
    d.after(2_999, Event::Tick);
    assert_eq!(d.state.name(), "identity_entered");
    assert_eq!(d.state.countdown_ms(d.ms, &d.params), Some(1));
    let fx = d.after(1, Event::Tick);
    assert_eq!(d.state.name(), "positioning");
    assert_eq!(reference(&d), ReferenceStatus::TimedOut);
    assert!(fx.contains(&Effect::Notify(ClerkNotice::Offline)));

    assert_eq!(
        reference(&d).pending_reason(),
        PendingReason::ServerUnavailable
    );
    d.after(
        500,
        Event::ReferenceFound {
            version: "v2".into(),
            source: Server,
        },
    );
    let found = ReferenceStatus::Found {
        version: "v2".into(),
        source: Server,
    };
    assert_eq!(reference(&d), found);
    // Once known, later answers do not flip it back.
    d.after(500, Event::ServerUnavailable);
    assert_eq!(reference(&d), found);
}

#[test]
fn frames_before_the_answer_are_ignored() {
    let mut d = Driver::reach("identity_entered");
    let fx = d.after(100, doing(Action::Blink));
    assert!(fx.is_empty());
    assert_eq!(d.state.name(), "identity_entered");
}

#[test]
fn hints_are_spoken_on_change_paced_and_repeated_when_nothing_improves() {
    let mut d = Driver::reach("positioning"); // spoke LookAtScreen at 100
                                              // Within the minimum gap after the entry prompt: shown, not yet spoken.
    let fx = d.after(500, placed(Placement::TooFar));
    assert!(spoken(&fx).is_empty());
    assert_eq!(d.state.screen_prompt(), Prompt::Hint(Placement::TooFar));
    let fx = d.after(500, placed(Placement::TooFar));
    assert_eq!(spoken(&fx), vec![Prompt::Hint(Placement::TooFar)]);
    // Same hint: silent until voice_repeat_ms, then again, even on a bare tick.
    let fx = d.after(5_000, placed(Placement::TooFar));
    assert!(spoken(&fx).is_empty());
    let fx = d.after(1_000, Event::Tick);
    assert_eq!(spoken(&fx), vec![Prompt::Hint(Placement::TooFar)]);
    // A new hint after the gap is spoken at once.
    let fx = d.after(1_000, placed(Placement::TooDark));
    assert_eq!(spoken(&fx), vec![Prompt::Hint(Placement::TooDark)]);
    // Flicker inside the gap stays quiet; the screen follows the latest frame.
    let fx = d.after(200, placed(Placement::OffCenter));
    assert!(spoken(&fx).is_empty());
    assert_eq!(d.state.screen_prompt(), Prompt::Hint(Placement::OffCenter));
}

#[test]
fn the_face_count_overrides_a_good_placement_label() {
    let mut d = Driver::reach("positioning");
    d.after(100, faces(2));
    d.after(2_000, faces(2));
    assert_eq!(d.state.name(), "positioning");
    assert_eq!(
        d.state.screen_prompt(),
        Prompt::Hint(Placement::MultipleFaces)
    );
    d.after(100, faces(0));
    assert_eq!(d.state.screen_prompt(), Prompt::Hint(Placement::NoFace));
}

#[test]
fn challenges_start_only_after_staying_well_placed() {
    let mut d = Driver::reach("positioning");
    let fx = d.after(1_000, good());
    assert_eq!(spoken(&fx), vec![Prompt::HoldStill]);
    d.after(700, good());
    assert_eq!(d.state.name(), "positioning");
    // One bad frame resets the stability clock.
    d.after(50, placed(Placement::Blurry));
    d.after(50, good());
    d.after(750, good());
    assert_eq!(d.state.name(), "positioning");
    let fx = d.after(50, good());
    assert_eq!(d.state.name(), "challenges");
    let first = d.state.current_challenge().unwrap();
    assert_eq!(spoken(&fx), vec![Prompt::Challenge(first)]);
    assert_eq!(d.state.remaining_challenges().len(), 3);
}

#[test]
fn positioning_timeout_abandons_the_attempt_and_offers_a_retry() {
    let mut d = Driver::reach("positioning");
    d.after(29_999, placed(Placement::TooClose));
    assert_eq!(d.state.name(), "positioning");
    let fx = d.after(1, Event::Tick);
    let State::Failed { failure, .. } = &d.state else {
        panic!("{:?}", d.state)
    };
    assert_eq!(failure.outcome, Outcome::Abandoned);
    assert_eq!(failure.reason, Some(EndReason::PositioningTimeout));
    assert_eq!(
        spoken(&fx),
        vec![Prompt::Failed(EndReason::PositioningTimeout)]
    );
    let recs = d.records();
    assert_eq!(recs.len(), 1, "stored as soon as it ends, not on retry");
    assert_eq!(
        (recs[0].outcome, recs[0].reason.as_deref()),
        (Outcome::Abandoned, Some("positioning_timeout"))
    );
}

#[test]
fn the_current_action_passes_and_other_actions_are_ignored() {
    let mut d = Driver::reach("challenges");
    let plan = d.state.remaining_challenges().to_vec();
    let other = Action::ALL.into_iter().find(|a| !plan.contains(a)).unwrap();
    let fx = d.after(300, doing(other));
    assert!(fx.is_empty());
    assert_eq!(d.state.current_challenge(), Some(plan[0]));
    // Not the current one yet either.
    d.after(300, doing(plan[1]));
    assert_eq!(d.state.current_challenge(), Some(plan[0]));

    let fx = d.after(400, doing(plan[0]));
    assert_eq!(spoken(&fx), vec![Prompt::Challenge(plan[1])]);
    assert_eq!(d.state.remaining_challenges(), &plan[1..]);
    let State::Challenges(c) = &d.state else {
        panic!()
    };
    assert_eq!(c.evidence.challenges.len(), 1);
    assert_eq!(
        (
            c.evidence.challenges[0].action,
            c.evidence.challenges[0].duration_ms
        ),
        (plan[0], 1_000)
    );
    assert!(c.evidence.challenges[0].passed);
}

#[test]
fn actions_seen_with_two_faces_in_view_are_not_credited() {
    let mut d = Driver::reach("challenges");
    let current = d.state.current_challenge().unwrap();
    d.after(
        300,
        Event::Frame(crate::flow::FrameObservation {
            faces: 2,
            ..good_completing(current)
        }),
    );
    assert_eq!(d.state.current_challenge(), Some(current));
}

fn good_completing(action: Action) -> crate::flow::FrameObservation {
    match doing(action) {
        Event::Frame(f) => f,
        _ => unreachable!(),
    }
}

#[test]
fn challenge_timeout_fails_naming_the_action() {
    let mut d = Driver::reach("challenges");
    let current = d.state.current_challenge().unwrap();
    d.after(9_000, good());
    assert_eq!(d.state.countdown_ms(d.ms, &d.params), Some(1_000));
    d.after(1_000, Event::Tick);
    let State::Failed { failure, .. } = &d.state else {
        panic!("{:?}", d.state)
    };
    assert_eq!(failure.outcome, Outcome::Failed);
    assert_eq!(failure.reason, Some(EndReason::ChallengeTimeout(current)));
    let last = failure.challenges.last().unwrap();
    assert_eq!(
        (last.action, last.passed, last.duration_ms),
        (current, false, 10_000)
    );
}

#[test]
fn each_action_gets_its_own_timeout() {
    let mut d = Driver::reach("challenges");
    for _ in 0..3 {
        let current = d.state.current_challenge().unwrap();
        d.after(9_500, doing(current));
    }
    assert_eq!(d.state.name(), "matching");
}

#[test]
fn a_face_that_leaves_is_called_back_and_is_abandoned_if_still_away_at_the_deadline() {
    let mut d = Driver::reach("challenges");
    d.after(1_000, faces(0));
    let fx = d.after(1_999, faces(0));
    assert!(spoken(&fx).is_empty());
    let fx = d.after(1, Event::Tick);
    assert_eq!(spoken(&fx), vec![Prompt::Hint(Placement::NoFace)]);
    // Back again: the challenge prompt returns.
    let current = d.state.current_challenge().unwrap();
    let fx = d.after(1_000, good());
    assert_eq!(spoken(&fx), vec![Prompt::Challenge(current)]);

    d.after(1_000, faces(0));
    d.after(5_000, Event::Tick);
    let State::Failed { failure, .. } = &d.state else {
        panic!("{:?}", d.state)
    };
    assert_eq!(
        (failure.outcome, failure.reason),
        (Outcome::Abandoned, Some(EndReason::FaceLost))
    );
}

#[test]
fn a_second_face_is_tolerated_briefly_then_fails_the_attempt() {
    let mut d = Driver::reach("challenges");
    d.after(100, faces(2));
    let fx = d.after(1_900, faces(2));
    assert_eq!(d.state.name(), "challenges");
    assert_eq!(spoken(&fx), vec![Prompt::Hint(Placement::MultipleFaces)]);
    d.after(100, good()); // the helper stepped back
    d.after(100, faces(3));
    d.after(1_999, faces(2));
    assert_eq!(d.state.name(), "challenges");
    d.after(1, Event::Tick);
    let State::Failed { failure, .. } = &d.state else {
        panic!("{:?}", d.state)
    };
    assert_eq!(
        (failure.outcome, failure.reason),
        (Outcome::Failed, Some(EndReason::MultipleFaces))
    );
}

#[test]
fn the_challenge_prompt_is_repeated_for_someone_who_did_not_hear_it() {
    let mut d = Driver::reach("challenges");
    let current = d.state.current_challenge().unwrap();
    let fx = d.after(5_999, good());
    assert!(spoken(&fx).is_empty());
    let fx = d.after(1, good());
    assert_eq!(spoken(&fx), vec![Prompt::Challenge(current)]);
}

#[test]
fn finishing_the_plan_runs_the_match() {
    let mut d = Driver::reach("challenges");
    let plan = d.state.remaining_challenges().to_vec();
    d.after(500, doing(plan[0]));
    d.after(500, doing(plan[1]));
    let fx = d.after(500, doing(plan[2]));
    assert_eq!(fx, vec![Effect::Speak(Prompt::Checking), Effect::RunMatch]);
    assert_eq!(d.state.name(), "matching");
    assert_eq!(d.state.countdown_ms(d.ms, &d.params), Some(5_000));
}
