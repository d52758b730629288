//! The screen-flash phase of positioning: started once the face is well placed, waited
//! for, timed out, recorded, and deciding only when required.

use certpoint_protocol::ScreenFlash;

use super::harness::{good, scored, Driver};
use crate::flow::{Effect, FlashPhase, FlashRule, FlowParams, Prompt, State};

fn with(rule: FlashRule) -> Driver {
    Driver::new(FlowParams {
        screen_flash: rule,
        flash_timeout_ms: 9_000,
        ..FlowParams::for_tests()
    })
}

fn result(passed: bool, correlation: Option<f32>) -> ScreenFlash {
    ScreenFlash {
        sequence: "ABGPABGPAB".into(),
        step_ms: 600,
        frames: 100,
        correlation,
        score: correlation.map(|c| c - 0.3),
        lag_ms: correlation.map(|_| 66),
        threshold: 0.45,
        passed,
    }
}

fn phase(d: &Driver) -> FlashPhase {
    match &d.state {
        State::Positioning(p) => p.flash,
        other => panic!("not positioning: {}", other.name()),
    }
}

/// Scan, reference, then the first good frame: the flash starts.
fn flashing(rule: FlashRule) -> Driver {
    let mut d = with(rule);
    d.scan().online();
    let fx = d.after(100, good());
    assert_eq!(phase(&d), FlashPhase::Running { since_ms: d.ms });
    assert_eq!(
        fx,
        vec![Effect::StartFlash, Effect::Speak(Prompt::FlashNotice)]
    );
    assert_eq!(d.state.screen_prompt(), Prompt::FlashNotice);
    d
}

#[test]
fn off_never_flashes() {
    let mut d = with(FlashRule::Off);
    d.scan().online().place();
    assert!(!d.log.contains(&Effect::StartFlash));
}

#[test]
fn positioning_waits_for_the_result_then_the_challenges_start() {
    let mut d = flashing(FlashRule::Recorded);
    // Well placed for far longer than stable_positioning_ms: still waiting.
    for _ in 0..10 {
        d.after(500, good());
    }
    assert_eq!(d.state.name(), "positioning");
    // No placement hints talk over the flash notice.
    assert!(!d
        .log
        .iter()
        .any(|e| matches!(e, Effect::Speak(Prompt::HoldStill))));
    d.after(
        100,
        crate::flow::Event::FlashMeasured(result(true, Some(0.9))),
    );
    assert_eq!(phase(&d), FlashPhase::Done);
    d.after(100, good());
    assert_eq!(d.state.name(), "challenges");
}

#[test]
fn a_flash_that_never_answers_times_out_and_the_attempt_goes_on() {
    let mut d = flashing(FlashRule::Recorded);
    d.after(9_000, good());
    d.after(100, good());
    assert_eq!(d.state.name(), "challenges");
}

#[test]
fn recorded_only_a_failed_flash_is_in_the_record_but_does_not_decide() {
    let mut d = flashing(FlashRule::Recorded);
    d.after(
        100,
        crate::flow::Event::FlashMeasured(result(false, Some(0.1))),
    );
    d.after(900, good());
    d.perform();
    d.after(200, scored(0.9));
    let recs = d.records();
    assert_eq!(recs[0].outcome, certpoint_protocol::Outcome::Passed);
    assert_eq!(recs[0].screen_flash, Some(result(false, Some(0.1))));
}

#[test]
fn required_a_failed_or_missing_flash_fails_the_attempt_with_its_reason() {
    for (answer, reason) in [
        (Some(result(false, Some(0.1))), "screen_flash"),
        (Some(result(false, None)), "screen_flash_unavailable"),
        (None, "screen_flash_unavailable"),
    ] {
        let mut d = flashing(FlashRule::Required);
        match answer.clone() {
            Some(r) => d.after(100, crate::flow::Event::FlashMeasured(r)),
            None => d.after(9_000, good()),
        };
        d.after(900, good());
        d.perform();
        d.after(200, scored(0.9));
        let recs = d.records();
        assert_eq!(
            recs[0].outcome,
            certpoint_protocol::Outcome::Failed,
            "{reason}"
        );
        assert_eq!(recs[0].reason.as_deref(), Some(reason));
        assert_eq!(recs[0].screen_flash, answer);
        // The face match still ran, so the record carries both figures.
        assert!(recs[0].face_match.matched());
    }
}

#[test]
fn required_a_passed_flash_lets_the_attempt_pass() {
    let mut d = flashing(FlashRule::Required);
    d.after(
        100,
        crate::flow::Event::FlashMeasured(result(true, Some(0.95))),
    );
    d.after(900, good());
    d.perform();
    d.after(200, scored(0.9));
    assert_eq!(d.records()[0].outcome, certpoint_protocol::Outcome::Passed);
    assert_eq!(d.state.name(), "passed");
}

#[test]
fn a_retry_flashes_again() {
    let mut d = flashing(FlashRule::Required);
    d.after(
        100,
        crate::flow::Event::FlashMeasured(result(false, Some(0.0))),
    );
    d.after(900, good());
    d.perform();
    d.after(200, scored(0.9));
    assert_eq!(d.state.name(), "failed");
    d.after(100, crate::flow::Event::Retry);
    let fx = d.after(100, good());
    assert!(fx.contains(&Effect::StartFlash), "{fx:?}");
}
