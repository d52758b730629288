//! The 3-D check during head turns: the runner measures, the flow decides.

use certpoint_protocol::{Action, DepthCheck, Outcome};

use super::harness::{scored, Driver};
use crate::flow::{DepthFigure, EndReason, Event, FlowParams, FrameObservation, Prompt, State};

fn driver(set: Vec<Action>) -> Driver {
    let mut d = Driver::new(FlowParams {
        challenge_set: set,
        challenge_count: 1,
        depth_threshold: Some(0.03),
        ..FlowParams::for_tests()
    });
    d.scan().online().place();
    d
}

fn turn_with(depth: Option<DepthFigure>) -> Event {
    Event::Frame(FrameObservation {
        completed: vec![Action::TurnLeft],
        depth,
        ..FrameObservation::good(0.9)
    })
}

fn figure(residual: f32) -> Option<DepthFigure> {
    Some(DepthFigure {
        residual,
        yaw_span_deg: 22.0,
        frames: 6,
    })
}

fn reason(state: &State) -> Option<EndReason> {
    match state {
        State::Failed { failure, .. } | State::ClerkAssist { failure, .. } => failure.reason,
        other => panic!("not a failure: {other:?}"),
    }
}

#[test]
fn a_turn_that_moved_like_a_picture_fails_and_records_the_figure() {
    let mut d = driver(vec![Action::TurnLeft]);
    d.after(500, turn_with(figure(0.012)));
    assert_eq!(d.state.name(), "matching");
    d.after(200, scored(0.9));
    assert_eq!(reason(&d.state), Some(EndReason::DepthFlat));
    let r = d.records()[0];
    assert_eq!(
        (r.outcome, r.reason.as_deref()),
        (Outcome::Failed, Some("depth_flat"))
    );
    assert_eq!(
        r.depth_check,
        Some(DepthCheck {
            residual: 0.012,
            threshold: 0.03,
            yaw_span_deg: 22.0,
            frames: 6
        })
    );
    // The retiree hears what a passive-liveness failure says; the record is exact.
    assert_eq!(
        Prompt::Failed(EndReason::DepthFlat).key(),
        "failed.passive_liveness"
    );
}

#[test]
fn a_turn_that_left_the_rulers_passes_with_the_figure_on_record() {
    let mut d = driver(vec![Action::TurnLeft]);
    d.after(500, turn_with(figure(0.05)));
    d.after(200, scored(0.9));
    assert_eq!(d.state.name(), "passed");
    assert_eq!(d.records()[0].depth_check.unwrap().residual, 0.05);
}

#[test]
fn a_passed_turn_with_nothing_measured_fails_as_unavailable() {
    let mut d = driver(vec![Action::TurnLeft]);
    d.after(500, turn_with(None));
    d.after(200, scored(0.9));
    assert_eq!(reason(&d.state), Some(EndReason::DepthUnavailable));
    assert_eq!(d.records()[0].depth_check, None);
    // A figure that is not a number is no evidence of depth.
    let mut d = driver(vec![Action::TurnLeft]);
    d.after(500, turn_with(figure(f32::NAN)));
    d.after(200, scored(0.9));
    assert_eq!(reason(&d.state), Some(EndReason::DepthFlat));
}

#[test]
fn without_a_turn_or_with_the_check_off_nothing_is_asked_of_it() {
    let mut d = driver(vec![Action::Blink]);
    d.after(
        500,
        Event::Frame(FrameObservation {
            completed: vec![Action::Blink],
            ..FrameObservation::good(0.9)
        }),
    );
    d.after(200, scored(0.9));
    assert_eq!(d.state.name(), "passed");
    assert_eq!(d.records()[0].depth_check, None);

    let mut d = Driver::new(FlowParams {
        challenge_set: vec![Action::TurnLeft],
        challenge_count: 1,
        depth_threshold: None,
        ..FlowParams::for_tests()
    });
    d.scan().online().place();
    d.after(500, turn_with(figure(0.001)));
    d.after(200, scored(0.9));
    assert_eq!(d.state.name(), "passed");
    assert_eq!(d.records()[0].depth_check, None);
}
