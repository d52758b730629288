//! Events that mean the same in every state: cancel, camera loss, scans, manual passes.

use certpoint_protocol::{Method, Outcome};

use super::harness::{elder, Driver, STATES};
use crate::flow::{ClerkNotice, Effect, Event, ManualPassError, State};

/// Only a running attempt has anything left to store when interrupted, as abandoned
/// with the interruption's reason. A failure on the fail or clerk-assist screen was
/// stored when it ended, so interrupting it must not store it again.
fn records_when_interrupted(name: &str) -> bool {
    matches!(name, "positioning" | "challenges" | "matching")
}

fn check_interruption(event: Event, reason: &str, expect_state: &str) {
    for name in STATES {
        let mut d = Driver::reach(name);
        let fx = d.after(10, event.clone());
        // A manual check needs no camera, so losing it does not end one.
        let expect = if name == "manual_check" && event == Event::CameraLost {
            "manual_check"
        } else {
            expect_state
        };
        assert_eq!(d.state.name(), expect, "{event:?} in {name}");
        let recs = d.records();
        if records_when_interrupted(name) {
            assert_eq!(
                recs.len(),
                1,
                "{event:?} in {name} must store exactly one record"
            );
            let r = recs[0];
            assert_eq!(r.outcome, Outcome::Abandoned, "{name}");
            assert_eq!(r.reason.as_deref(), Some(reason), "{name}");
            assert_eq!(r.attempt, 1, "{name}");
            assert_eq!(r.method, Method::FaceAuto);
        } else {
            assert!(
                recs.is_empty(),
                "{event:?} in {name} must not store a record: {fx:?}"
            );
        }
    }
}

#[test]
fn clerk_cancel_in_every_state_returns_to_idle_and_records_only_running_attempts() {
    check_interruption(Event::ClerkCancel, "clerk_cancelled", "idle");
}

#[test]
fn camera_lost_in_every_state_shows_the_fault_and_records_only_running_attempts() {
    check_interruption(Event::CameraLost, "camera_lost", "camera_fault");
}

#[test]
fn camera_lost_tells_the_clerk_once_and_only_restoration_or_cancel_leaves_the_fault() {
    let mut d = Driver::reach("positioning");
    let fx = d.after(10, Event::CameraLost);
    assert!(fx.contains(&Effect::Notify(ClerkNotice::CameraLost)));
    let fx = d.after(10, Event::CameraLost);
    assert!(fx.is_empty(), "a repeated loss is not news: {fx:?}");
    for ignored in [Event::Tick, Event::Retry, super::harness::good()] {
        d.after(60_000, ignored);
        assert_eq!(d.state.name(), "camera_fault");
    }
    d.after(10, Event::CameraRestored);
    assert_eq!(d.state, State::Idle);

    let mut d = Driver::reach("camera_fault");
    d.after(10, Event::ClerkCancel);
    assert_eq!(d.state, State::Idle);
}

#[test]
fn a_scan_starts_a_session_only_where_none_is_running() {
    for name in STATES {
        let mut d = Driver::reach(name);
        let before = d.state.clone();
        // Stay within every state's own deadline, so only the scan decides.
        let fx = d.after(
            10,
            Event::IdScanned {
                source: certpoint_protocol::IdSource::Typed,
                id: elder(),
                seed: 7,
            },
        );
        match name {
            "idle" | "passed" | "pending_match" | "already_certified" | "not_eligible" => {
                assert_eq!(d.state.name(), "identity_entered", "{name}");
                assert_eq!(d.state.session().unwrap().seed, 7);
                assert!(fx.contains(&Effect::FetchReference(elder())));
            }
            "camera_fault" => {
                // The person is served by hand: the manual check, the status asked.
                assert_eq!(d.state.name(), "manual_check", "{before:?}");
                assert!(fx.contains(&Effect::FetchReference(elder())));
            }
            _ => {
                assert_eq!(
                    d.state, before,
                    "{name}: a scan must not disturb a running session"
                );
                assert_eq!(fx, vec![Effect::Notify(ClerkNotice::SessionBusy)], "{name}");
            }
        }
        assert!(d.records().is_empty(), "{name}");
    }
}

#[test]
fn manual_pass_is_refused_outside_fail_clerk_assist_pending_match_and_manual_check() {
    for name in STATES {
        if matches!(
            name,
            "failed" | "clerk_assist" | "pending_match" | "manual_check"
        ) {
            continue;
        }
        let mut d = Driver::reach(name);
        let before = d.state.clone();
        let fx = d.after(
            10,
            Event::ManualPass {
                clerk_id: "C01".into(),
                reason: "card checked".into(),
            },
        );
        assert_eq!(d.state, before, "{name}");
        assert_eq!(
            fx,
            vec![Effect::Notify(ClerkNotice::ManualPassRejected(
                ManualPassError::NotAvailable
            ))]
        );
    }
}

#[test]
fn retry_means_nothing_outside_the_fail_screen() {
    for name in STATES {
        if name == "failed" {
            continue;
        }
        let mut d = Driver::reach(name);
        let before = d.state.clone();
        let fx = d.after(10, Event::Retry);
        // Positioning and challenges may speak on any input; nothing else may happen.
        assert!(
            fx.iter().all(|e| matches!(e, Effect::Speak(_))),
            "{name}: {fx:?}"
        );
        assert_eq!(d.state.name(), before.name(), "{name}");
        assert_eq!(d.state.session(), before.session(), "{name}");
    }
}
