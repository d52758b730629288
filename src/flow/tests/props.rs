//! Random event sequences: the flow never panics and its records stay consistent.

use std::collections::{BTreeMap, BTreeSet};

use certpoint_protocol::{Action, Method, Outcome};
use proptest::prelude::*;
use proptest::sample::select;

use super::harness::{elder, now, records, wall_at};
use crate::flow::{step, Event, FlowParams, FrameObservation, Input, Placement, State};

fn frame() -> impl Strategy<Value = Event> {
    let faces = prop_oneof![1 => Just(0usize), 6 => Just(1usize), 1 => 2usize..4];
    let passive =
        proptest::option::weighted(0.9, prop_oneof![4 => 0.4f32..1.0, 1 => Just(f32::NAN)]);
    let completed = proptest::collection::vec(select(Action::ALL.to_vec()), 0..3);
    // Mostly well placed, or the random walk rarely gets past positioning.
    let placement = prop_oneof![4 => Just(Placement::Good), 1 => select(Placement::ALL.to_vec())];
    (faces, placement, passive, completed).prop_map(|(faces, placement, passive, completed)| {
        Event::Frame(FrameObservation {
            faces,
            placement,
            passive_liveness: passive,
            quality: None,
            completed,
        })
    })
}

fn event() -> impl Strategy<Value = Event> {
    let text = || select(vec!["", " ", "C01", "card checked"]).prop_map(String::from);
    prop_oneof![
        2 => any::<u64>().prop_map(|seed| Event::IdScanned { id: elder(), seed }),
        1 => Just(Event::ReferenceFound { version: "v1".into() }),
        1 => Just(Event::ReferenceNotFound),
        1 => Just(Event::ServerUnavailable),
        1 => Just(Event::AlreadyCertified { at: wall_at(0) }),
        30 => frame(),
        2 => (-0.2f32..1.2).prop_map(|score| Event::MatchScored { score, reference_version: "v1".into() }),
        1 => Just(Event::MatchPendingServer),
        1 => Just(Event::MatchError("boom".into())),
        2 => Just(Event::Retry),
        2 => (text(), text()).prop_map(|(clerk_id, reason)| Event::ManualPass { clerk_id, reason }),
        1 => Just(Event::ClerkCancel),
        1 => Just(Event::CameraLost),
        3 => Just(Event::CameraRestored),
        3 => Just(Event::Tick),
    ]
}

fn delay() -> impl Strategy<Value = u64> {
    prop_oneof![12 => 0u64..1_500, 2 => 0u64..12_000, 1 => 0u64..200_000]
}

/// The attempt a state is running, not yet ended and so not yet stored.
fn running_attempt(state: &State) -> Option<u32> {
    state
        .attempt_in_progress()
        .then(|| state.session().unwrap().attempt)
}

proptest! {
    // No regression files: they would land outside this module's directory.
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_inputs_store_every_attempt_once_plus_at_most_one_manual_pass(
        max_attempts in 1u32..5,
        script in proptest::collection::vec((delay(), event()), 1..250),
    ) {
        let params = FlowParams { max_attempts, ..FlowParams::for_tests() };
        let mut state = State::Idle;
        let mut ms = 0u64;
        let mut session_no = 0u32;
        let mut started: BTreeSet<(u32, u32)> = BTreeSet::new();
        // (session, attempt) -> outcome of its FaceAuto record.
        let mut auto: BTreeMap<(u32, u32), Outcome> = BTreeMap::new();
        let mut manual: BTreeSet<u32> = BTreeSet::new();

        // A final cancel ends whatever is still running, so every started attempt must
        // be on file by the end.
        let cancel = (0, Event::ClerkCancel);
        for (dt, event) in script.into_iter().chain([cancel]) {
            ms += dt;
            let scan = matches!(event, Event::IdScanned { .. });
            let (next, fx) = step(state, Input { now: now(ms), event }, &params);
            // Records always belong to the session that was running before this input.
            // An attempt can start and end within one input (a deadline starts it, the
            // event ends it), so a recorded attempt also counts as started.
            for r in records(&fx) {
                prop_assert!(r.attempt >= 1 && r.attempt <= max_attempts, "attempt {} of {}", r.attempt, max_attempts);
                prop_assert!(r.started_at <= r.ended_at);
                let key = (session_no, r.attempt);
                match r.method {
                    Method::FaceAuto => {
                        prop_assert!(auto.insert(key, r.outcome).is_none(), "attempt {} stored twice", r.attempt);
                        started.insert(key);
                    }
                    Method::ClerkManual { .. } => {
                        prop_assert!(manual.insert(session_no), "second manual pass in a session");
                        prop_assert!(
                            matches!(auto.get(&key), Some(Outcome::Failed | Outcome::Abandoned)),
                            "manual pass of attempt {} without a stored failure", r.attempt
                        );
                    }
                }
            }
            if scan && matches!(&next, State::IdentityEntered { session, .. } if session.started_ms == ms) {
                session_no += 1;
            }
            if let Some(attempt) = running_attempt(&next) {
                started.insert((session_no, attempt));
            }
            if next.awaiting_decision() {
                let key = (session_no, next.session().unwrap().attempt);
                prop_assert!(auto.contains_key(&key), "a failure on screen is not stored yet");
            }
            prop_assert!(next.countdown_ms(ms, &params).is_none_or(|c| c <= 200_000));
            state = next;
        }

        prop_assert_eq!(state, State::Idle);
        let stored: BTreeSet<(u32, u32)> = auto.keys().copied().collect();
        prop_assert_eq!(started, stored, "every started attempt has exactly one FaceAuto record");
    }
}
