//! The scoring rules on hand-made frame rows: event windows, negatives, rates, passive.

use certpoint_protocol::Action;

use super::clip::{Capture, ClipKind, ClipMeta, Event, EventKind};
use super::play::FrameTrace;
use super::profile::Profile;
use super::score::{passive_verdict, percentile, rate, score_clip, Settings};
use super::summary::summarise;

/// `n` frames at 10 fps (100 ms apart), one face, baseline set from frame 5, passive
/// score `passive`; `done` = (frame, action) completions.
fn rows(n: usize, passive: f32, done: &[(usize, Action)]) -> Vec<FrameTrace> {
    (0..n)
        .map(|i| {
            let mut r = FrameTrace::empty(i, i as u64 * 100);
            r.faces = 1;
            r.placement = "good";
            r.passive = Some(passive);
            r.baseline = if i >= 5 { "set" } else { "collecting" };
            r.completed = done
                .iter()
                .filter(|(f, _)| *f == i)
                .map(|(_, a)| *a)
                .collect();
            r
        })
        .collect()
}

fn meta(kind: ClipKind, events: &[(EventKind, usize, usize)]) -> ClipMeta {
    ClipMeta {
        id: "c".into(),
        source: String::new(),
        licence: String::new(),
        redistributable: false,
        fps: 10.0,
        kind,
        attack: (kind == ClipKind::Attack).then_some(super::clip::AttackKind::Print),
        capture: Capture::Webcam,
        holdout: false,
        notes: String::new(),
        events: events
            .iter()
            .map(|&(kind, start, end)| Event { kind, start, end })
            .collect(),
    }
}

fn settings() -> Settings {
    Settings::new(15_000, 0.5)
}

#[test]
fn an_event_is_detected_inside_its_window_and_timed_from_the_prompt() {
    let m = meta(ClipKind::Real, &[(EventKind::Blink, 20, 23)]);
    // Completed at frame 24 (the reopening, 100 ms after the labelled end).
    let s = score_clip(
        &m,
        Profile::Kiosk,
        &rows(60, 0.9, &[(24, Action::Blink)]),
        &settings(),
    );
    let e = &s.events[0];
    assert!(e.detected);
    assert_eq!(e.prompt_ms, 1_000);
    assert_eq!(e.time_to_detect_ms, Some(1_400));
    assert!(e.baseline_at_prompt);
}

#[test]
fn only_events_prompted_after_positioning_are_promptable_whatever_the_detectors_did() {
    // Face from frame 3 (300 ms); positioning 800 ms and the 1 s lead-in put the
    // earliest promptable start at 2,100 ms = frame 21.
    let m = meta(
        ClipKind::Real,
        &[(EventKind::Blink, 10, 11), (EventKind::Blink, 21, 22)],
    );
    let mut r = rows(60, 0.9, &[(12, Action::Blink), (23, Action::Blink)]);
    for row in &mut r[..3] {
        row.faces = 0;
    }
    // No baseline ever: promptable must not depend on it.
    for row in &mut r {
        row.baseline = "collecting";
    }
    let s = score_clip(&m, Profile::Kiosk, &r, &settings());
    let flags: Vec<bool> = s.events.iter().map(|e| e.promptable).collect();
    assert_eq!(flags, [false, true]);
    let blink = &summarise(&[&s], &settings()).actions["blink"];
    assert_eq!((blink.events_promptable, blink.detected_promptable), (1, 1));
    assert_eq!(blink.events_with_baseline, 0);
}

#[test]
fn a_completion_outside_the_window_does_not_count() {
    let m = meta(ClipKind::Real, &[(EventKind::Blink, 20, 23)]);
    // Before the movement started, and long after it ended (beyond the 500 ms slack).
    for frame in [15, 29] {
        let s = score_clip(
            &m,
            Profile::Kiosk,
            &rows(60, 0.9, &[(frame, Action::Blink)]),
            &settings(),
        );
        assert!(!s.events[0].detected, "frame {frame}");
    }
}

#[test]
fn image_left_turn_needs_the_persons_right_turn() {
    let m = meta(ClipKind::Real, &[(EventKind::TurnLeft, 20, 30)]);
    let wrong = score_clip(
        &m,
        Profile::Kiosk,
        &rows(60, 0.9, &[(30, Action::TurnLeft)]),
        &settings(),
    );
    assert!(!wrong.events[0].detected);
    let right = score_clip(
        &m,
        Profile::Kiosk,
        &rows(60, 0.9, &[(30, Action::TurnRight)]),
        &settings(),
    );
    assert!(right.events[0].detected);
    assert_eq!(right.events[0].action, Action::TurnRight);
}

#[test]
fn one_completion_answers_one_event() {
    let m = meta(
        ClipKind::Real,
        &[(EventKind::Blink, 20, 22), (EventKind::Blink, 23, 26)],
    );
    let s = score_clip(
        &m,
        Profile::Kiosk,
        &rows(60, 0.9, &[(23, Action::Blink)]),
        &settings(),
    );
    assert_eq!(s.events.iter().filter(|e| e.detected).count(), 1);
}

#[test]
fn too_late_after_the_prompt_is_not_detected() {
    let m = meta(ClipKind::Real, &[(EventKind::TurnLeft, 20, 200)]);
    let tight = Settings::new(5_000, 0.5);
    let s = score_clip(
        &m,
        Profile::Kiosk,
        &rows(220, 0.9, &[(150, Action::TurnRight)]),
        &tight,
    );
    assert_eq!(s.events[0].time_to_detect_ms, Some(14_000));
    assert!(!s.events[0].detected);
}

#[test]
fn completions_in_negatives_are_false_detections() {
    let m = meta(
        ClipKind::Real,
        &[
            (EventKind::Wink, 10, 14),
            (EventKind::Blink, 40, 43),
            (EventKind::Still, 50, 79),
        ],
    );
    let done = [
        (12, Action::Blink),
        (43, Action::Blink),
        (60, Action::TurnLeft),
    ];
    let s = score_clip(&m, Profile::Kiosk, &rows(100, 0.9, &done), &settings());
    let by_kind = |k: &str| s.negatives.iter().find(|n| n.kind == k).unwrap();
    assert_eq!(by_kind("wink").false_detections[0].action, Action::Blink);
    assert_eq!(
        by_kind("still").false_detections[0].action,
        Action::TurnLeft
    );
    // Unlabelled: frames 20..=34 (0.5 s from the wink's end and the blink's start) and
    // 85..=99; 0..=4 is under a second and dropped.
    let unlabelled: Vec<(usize, usize)> = s
        .negatives
        .iter()
        .filter(|n| n.kind == "unlabelled")
        .map(|n| (n.start, n.end))
        .collect();
    assert_eq!(unlabelled, [(20, 34), (85, 99)]);
    let sum = summarise(&[&s], &settings());
    let blink = &sum.actions["blink"];
    assert_eq!((blink.events, blink.detected), (1, 1));
    assert_eq!(blink.detection_rate_with_baseline, Some(1.0));
    assert_eq!(blink.false_detections, 1);
    assert_eq!(blink.negative_stretches, 4);
    assert_eq!(blink.false_detection_rate, Some(0.25));
    assert_eq!(sum.negatives["wink"].with_detection, 1);
    assert_eq!(sum.negatives["still"].seconds, 3.0);
}

#[test]
fn passive_verdict_is_the_median_over_single_face_frames() {
    let mut r = rows(5, 0.9, &[]);
    r[0].passive = Some(0.1);
    r[1].passive = Some(0.2);
    r[2].passive = None;
    r[3].faces = 2;
    r[3].passive = Some(0.0);
    // Scores 0.1, 0.2, 0.9: median 0.2.
    let v = passive_verdict(&r, 0.5);
    assert_eq!((v.scored_frames, v.median, v.live), (3, Some(0.2), false));
    assert!(
        passive_verdict(&rows(4, 0.5, &[]), 0.5).live,
        "at the threshold is live"
    );
    let none = passive_verdict(&rows(4, f32::NAN, &[]), 0.5);
    assert_eq!((none.median, none.live), (None, false));
}

#[test]
fn bpcer_apcer_and_attack_passes() {
    let s = settings();
    let real_live = score_clip(
        &meta(ClipKind::Real, &[]),
        Profile::Kiosk,
        &rows(30, 0.9, &[]),
        &s,
    );
    let real_rejected = score_clip(
        &meta(ClipKind::Real, &[]),
        Profile::Kiosk,
        &rows(30, 0.1, &[]),
        &s,
    );
    let attack_live_still = score_clip(
        &meta(ClipKind::Attack, &[]),
        Profile::Kiosk,
        &rows(30, 0.9, &[]),
        &s,
    );
    let mut a = meta(ClipKind::Attack, &[]);
    a.id = "replay".into();
    let attack_passing = score_clip(
        &a,
        Profile::Kiosk,
        &rows(30, 0.9, &[(10, Action::Blink)]),
        &s,
    );
    let attack_caught = score_clip(
        &a,
        Profile::Kiosk,
        &rows(30, 0.2, &[(10, Action::Blink)]),
        &s,
    );
    assert_eq!(attack_live_still.attack_passes, Some(false));
    assert_eq!(attack_passing.attack_passes, Some(true));
    assert_eq!(attack_caught.attack_passes, Some(false));
    assert_eq!(real_live.attack_passes, None);
    let sum = summarise(
        &[
            &real_live,
            &real_rejected,
            &attack_live_still,
            &attack_passing,
            &attack_caught,
        ],
        &s,
    );
    assert_eq!(
        (sum.passive.real_called_attack, sum.passive.real_clips),
        (1, 2)
    );
    assert_eq!(sum.passive.bpcer, Some(0.5));
    assert_eq!(
        (sum.passive.attack_called_live, sum.passive.attack_clips),
        (2, 3)
    );
    assert_eq!(sum.attacks.passing_clips, ["replay"]);
    // Attack clips' completions never count as real detections.
    assert_eq!(sum.actions["blink"].events, 0);
}

#[test]
fn percentiles_and_rates() {
    assert_eq!(percentile(&[], 50.0), None);
    assert_eq!(percentile(&[300, 100, 200], 50.0), Some(200));
    let v: Vec<u64> = (1..=10).map(|i| i * 100).collect();
    assert_eq!(percentile(&v, 90.0), Some(900));
    assert_eq!(percentile(&v, 50.0), Some(500));
    assert_eq!(percentile(&[7], 90.0), Some(7));
    assert_eq!(rate(1, 4), Some(0.25));
    assert_eq!(rate(0, 0), None);
}
