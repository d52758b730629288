//! Matching and the verdict: thresholds, passive liveness, offline, errors and timeouts.

use certpoint_protocol::{FaceMatch, Method, Outcome, Quality, Scored};

use super::harness::{scored, wall_at, Driver};
use crate::flow::{
    ClerkNotice, Effect, EndReason, Event, FrameObservation, PassiveAggregate, Prompt, State,
};

fn failure_reason(state: &State) -> Option<EndReason> {
    match state {
        State::Failed { failure, .. } | State::ClerkAssist { failure, .. } => failure.reason,
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn a_good_match_passes_and_stores_the_whole_story() {
    let mut d = Driver::reach("matching");
    let fx = d.after(300, scored(0.8));
    assert!(matches!(d.state, State::Passed { manual: false, .. }));
    assert_eq!(super::harness::spoken(&fx), vec![Prompt::Passed]);
    let recs = d.records();
    assert_eq!(recs.len(), 1);
    let r = recs[0];
    assert_eq!(
        (r.outcome, r.reason.as_deref(), r.attempt),
        (Outcome::Passed, None, 1)
    );
    assert_eq!(r.method, Method::FaceAuto);
    assert_eq!(
        r.face_match,
        FaceMatch::Scored {
            score: 0.8,
            threshold: 0.6,
            reference_version: "v1".into(),
            source: Some(certpoint_protocol::ReferenceSource::Server),
        }
    );
    assert_eq!(
        r.passive_liveness,
        Some(Scored {
            score: 0.9,
            threshold: 0.5
        })
    );
    assert_eq!(r.challenges.len(), 3);
    assert!(r
        .challenges
        .iter()
        .all(|c| c.passed && c.duration_ms == 500));
    // Attempt 1 started when positioning did, after the server answered.
    assert_eq!((r.started_at, r.ended_at), (wall_at(100), wall_at(d.ms)));
}

#[test]
fn the_threshold_itself_passes_and_just_below_fails() {
    let mut d = Driver::reach("matching");
    d.after(300, scored(0.6));
    assert_eq!(d.state.name(), "passed");
    let mut d = Driver::reach("matching");
    d.after(300, scored(0.5999));
    assert_eq!(
        failure_reason(&d.state),
        Some(EndReason::FaceMatchBelowThreshold)
    );
    assert_eq!(
        d.state.screen_prompt(),
        Prompt::Failed(EndReason::FaceMatchBelowThreshold)
    );
}

#[test]
fn low_passive_liveness_fails_even_with_a_perfect_match() {
    let mut d = Driver::tests();
    d.scan().online();
    let spoof = |completed| {
        Event::Frame(FrameObservation {
            passive_liveness: Some(0.2),
            completed,
            ..FrameObservation::good(0.0)
        })
    };
    d.after(100, spoof(vec![]));
    d.after(800, spoof(vec![]));
    // A few live-looking frames do not carry a mostly spoofed attempt.
    d.after(100, Event::Frame(FrameObservation::good(0.99)));
    d.after(100, Event::Frame(FrameObservation::good(0.99)));
    while let Some(a) = d.state.current_challenge() {
        d.after(300, spoof(vec![a]));
    }
    d.after(300, scored(0.95));
    assert_eq!(failure_reason(&d.state), Some(EndReason::PassiveLiveness));
    // A suspected spoof is on file while its fail screen is still up.
    let r = d.records()[0];
    assert_eq!(
        r.passive_liveness,
        Some(Scored {
            score: 0.2,
            threshold: 0.5
        })
    );
    assert!(
        matches!(r.face_match, FaceMatch::Scored { .. }),
        "both figures recorded"
    );
}

#[test]
fn no_passive_scores_at_all_fails() {
    let mut d = Driver::tests();
    d.scan().online();
    let blind = |completed| {
        Event::Frame(FrameObservation {
            passive_liveness: None,
            completed,
            ..FrameObservation::good(0.0)
        })
    };
    d.after(100, blind(vec![]));
    d.after(800, blind(vec![]));
    while let Some(a) = d.state.current_challenge() {
        d.after(300, blind(vec![a]));
    }
    d.after(300, scored(0.95));
    assert_eq!(
        failure_reason(&d.state),
        Some(EndReason::PassiveLivenessUnavailable)
    );
}

#[test]
fn the_passive_aggregate_is_a_median_that_ignores_glitches() {
    let mut agg = PassiveAggregate::default();
    assert_eq!(agg.median(), None);
    for s in [0.9, 0.1, f32::NAN, 0.8, f32::INFINITY] {
        agg.push(s);
    }
    assert_eq!((agg.count(), agg.median()), (3, Some(0.8)));
    agg.push(0.2);
    assert_eq!(agg.median(), Some(0.5));
}

#[test]
fn offline_still_fails_on_passive_liveness() {
    let mut d = Driver::tests();
    d.scan();
    d.after(100, Event::ReferenceNotFound);
    let spoof = |completed| {
        Event::Frame(FrameObservation {
            completed,
            ..FrameObservation::good(0.1)
        })
    };
    d.after(100, spoof(vec![]));
    d.after(800, spoof(vec![]));
    while let Some(a) = d.state.current_challenge() {
        d.after(300, spoof(vec![a]));
    }
    d.after(200, Event::MatchNoReference);
    assert_eq!(failure_reason(&d.state), Some(EndReason::PassiveLiveness));
    // Failed, not pending: a spoof is not "identity to be confirmed".
    let r = d.records()[0];
    assert_eq!(
        (r.outcome, &r.face_match),
        (Outcome::Failed, &FaceMatch::PendingMatch)
    );
}

#[test]
fn a_match_error_fails_as_unavailable_and_tells_the_clerk() {
    let mut d = Driver::reach("matching");
    let fx = d.after(200, Event::MatchError("model crashed".into()));
    assert!(fx.contains(&Effect::Notify(ClerkNotice::MatchError(
        "model crashed".into()
    ))));
    assert_eq!(failure_reason(&d.state), Some(EndReason::MatchUnavailable));
}

#[test]
fn a_score_that_is_not_a_number_is_no_comparison() {
    let mut d = Driver::reach("matching");
    d.after(200, scored(f32::NAN));
    assert_eq!(failure_reason(&d.state), Some(EndReason::MatchUnavailable));
    let State::Failed { failure, .. } = &d.state else {
        panic!()
    };
    assert_eq!(failure.face_match, FaceMatch::NotRun);
}

#[test]
fn a_comparison_that_never_answers_times_out_and_a_late_answer_changes_nothing() {
    let mut d = Driver::reach("matching");
    d.after(4_999, Event::Tick);
    assert_eq!(d.state.name(), "matching");
    d.after(1, scored(0.99));
    assert_eq!(failure_reason(&d.state), Some(EndReason::MatchUnavailable));
    d.after(100, scored(0.99));
    assert_eq!(d.state.name(), "failed");
}

#[test]
fn the_record_keeps_the_sharpest_frames_quality() {
    let q = |sharpness| {
        Some(Quality {
            brightness: 120.0,
            sharpness,
            face_size: 0.3,
        })
    };
    let mut d = Driver::tests();
    d.scan().online();
    let frame = |quality, completed| {
        Event::Frame(FrameObservation {
            quality,
            completed,
            ..FrameObservation::good(0.9)
        })
    };
    d.after(100, frame(q(50.0), vec![]));
    d.after(800, frame(q(80.0), vec![]));
    let first = d.state.current_challenge().unwrap();
    d.after(300, frame(q(f32::NAN), vec![]));
    d.after(300, frame(q(60.0), vec![first]));
    while let Some(a) = d.state.current_challenge() {
        d.after(300, frame(None, vec![a]));
    }
    d.after(200, scored(0.9));
    assert_eq!(d.records()[0].quality, q(80.0));
}
