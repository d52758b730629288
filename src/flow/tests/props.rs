//! Random event sequences: the flow never panics and its records stay consistent.

use std::collections::{BTreeMap, BTreeSet};

use certpoint_protocol::{Action, FaceMatch, Method, Outcome, ReferenceSource};
use proptest::prelude::*;
use proptest::sample::select;

use super::harness::{elder, now, records, wall_at};
use crate::flow::{
    step, Event, FlowParams, FrameObservation, Ineligibility, Input, Placement, State,
};

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
            depth: None,
        })
    })
}

fn source() -> impl Strategy<Value = ReferenceSource> {
    select(vec![
        ReferenceSource::Server,
        ReferenceSource::KioskCache,
        ReferenceSource::IdCardChip,
    ])
}

fn event() -> impl Strategy<Value = Event> {
    let text = || select(vec!["", " ", "C01", "card checked"]).prop_map(String::from);
    let score = prop_oneof![8 => -0.2f32..1.2, 1 => Just(f32::NAN), 1 => Just(f32::INFINITY)];
    prop_oneof![
           2 => any::<u64>().prop_map(|seed| Event::IdScanned {
    source: certpoint_protocol::IdSource::Typed, id: elder(), seed }),
           1 => source().prop_map(|source| Event::ReferenceFound { version: "v1".into(), source }),
           1 => Just(Event::ReferenceNotFound),
           1 => Just(Event::ReferenceUnusable("no face".into())),
           1 => Just(Event::ServerUnavailable),
           1 => Just(Event::AlreadyCertified { at: Some(wall_at(0)), channel: None }),
           1 => select(Ineligibility::ALL.to_vec()).prop_map(Event::NotEligible),
           30 => frame(),
           2 => (score, source()).prop_map(|(score, source)| Event::MatchScored { score, reference_version: "v1".into(), source }),
           2 => Just(Event::MatchNoReference),
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
            // A manual check (the camera was down at the scan) has no automatic
            // attempt before its manual pass.
            let manual_check = matches!(state, State::ManualCheck { .. });
            let (next, fx) = step(state, Input { now: now(ms), event }, &params);
            // Records always belong to the session that was running before this input.
            // An attempt can start and end within one input (a deadline starts it, the
            // event ends it), so a recorded attempt also counts as started.
            for r in records(&fx) {
                // No reference, no pass: an automatic pass always carries a finite score
                // at or above the threshold, with the reference's source recorded.
                if r.outcome == Outcome::Passed {
                    prop_assert_eq!(&r.method, &Method::FaceAuto);
                    let ok = matches!(
                        &r.face_match,
                        FaceMatch::Scored { score, threshold, source: Some(_), .. }
                            if score.is_finite() && score >= threshold && *threshold == params.face_match_threshold
                    );
                    prop_assert!(ok, "passed without a scored match: {:?}", r.face_match);
                }
                if r.outcome == Outcome::PendingMatch {
                    prop_assert_eq!(&r.face_match, &FaceMatch::PendingMatch);
                    prop_assert!(
                        matches!(r.reason.as_deref(), Some("no_reference" | "server_unavailable" | "reference_unusable")),
                        "pending_match reason {:?}", r.reason
                    );
                }
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
                            manual_check || matches!(auto.get(&key), Some(Outcome::Failed | Outcome::Abandoned | Outcome::PendingMatch)),
                            "manual pass of attempt {} without a stored failure or pending match", r.attempt
                        );
                    }
                    // Issued at the clerk panel (`crate::assist`), never by the flow.
                    Method::Assistance { .. } => prop_assert!(false, "the flow stored a certificate of assistance"),
                }
            }
            if scan && matches!(&next, State::IdentityEntered { session, .. } | State::ManualCheck { session, .. } if session.started_ms == ms) {
                session_no += 1;
            }
            if let Some(attempt) = running_attempt(&next) {
                started.insert((session_no, attempt));
            }
            if next.awaiting_decision() && !matches!(next, State::ManualCheck { .. }) {
                let key = (session_no, next.session().unwrap().attempt);
                prop_assert!(auto.contains_key(&key), "a failure on screen is not stored yet");
            }
            prop_assert!(next.countdown_ms(ms, &params).is_none_or(|c| c <= 200_000));
            if let State::Passed { manual: false, face_match, .. } = &next {
                prop_assert!(face_match.matched(), "pass screen without a match: {:?}", face_match);
            }
            state = next;
        }

        prop_assert_eq!(state, State::Idle);
        let stored: BTreeSet<(u32, u32)> = auto.keys().copied().collect();
        prop_assert_eq!(started, stored, "every started attempt has exactly one FaceAuto record");
    }
}

/// A live, well-placed face that performs whatever is asked (the stranger at the kiosk
/// is a real, cooperative person).
fn live_frame() -> Event {
    Event::Frame(FrameObservation {
        completed: Action::ALL.to_vec(),
        ..FrameObservation::good(0.95)
    })
}

/// Any input, with live frames weighted up so most scripts reach the comparison, and
/// comparisons that never reach the threshold (a stranger, or no reference at all).
fn unmatched_event() -> impl Strategy<Value = Event> {
    let below =
        prop_oneof![4 => -0.2f32..0.5999, 1 => Just(f32::NAN), 1 => Just(f32::NEG_INFINITY)];
    prop_oneof![
        2 => (below, source()).prop_map(|(score, source)| Event::MatchScored { score, reference_version: "v1".into(), source }),
        4 => Just(live_frame()),
        6 => event(),
    ]
    .prop_filter("no comparison at or above the threshold", |e| {
        !matches!(e, Event::MatchScored { score, .. } if *score >= 0.6)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    /// No reference, no pass: whatever else happens (live frames, every challenge done,
    /// any server answer, retries, timeouts), without a comparison scored at or above
    /// the threshold nothing is ever `passed` automatically.
    #[test]
    fn nothing_passes_automatically_without_a_match_at_the_threshold(
        script in proptest::collection::vec((delay(), unmatched_event()), 1..300),
    ) {
        let params = FlowParams::for_tests();
        prop_assert_eq!(params.face_match_threshold, 0.6);
        let mut state = State::Idle;
        let mut ms = 0u64;
        for (dt, event) in script {
            ms += dt;
            let (next, fx) = step(state, Input { now: now(ms), event }, &params);
            for r in records(&fx) {
                prop_assert_ne!(r.outcome, Outcome::Passed, "{:?}", r);
            }
            let auto_pass = matches!(next, State::Passed { manual: false, .. });
            prop_assert!(!auto_pass, "an automatic pass screen");
            state = next;
        }
    }
}
