//! Pictures instead of people, and the glitches a real detector produces.

use certpoint_protocol::Action;

use super::gen::{noise, run, Script};
use crate::liveness::{is_static, ActiveLiveness, FaceSignals, LivenessParams};

const FPS: [u64; 2] = [15, 30];

/// A printed photo on a stand: pose and openness fixed, only estimator jitter.
fn photo(fps: u64, dur_ms: u64, yaw: f32) -> Script {
    Script::new(fps).then(dur_ms, move |t, s| {
        s.yaw_deg = yaw + 0.5 * noise(t, 1);
        s.pitch_deg = 2.0 + 0.5 * noise(t, 2);
        s.left_eye = 0.28 + 0.004 * noise(t, 3);
        s.right_eye = 0.29 + 0.004 * noise(t, 4);
    })
}

#[test]
fn a_still_photo_passes_nothing_and_looks_static() {
    for fps in FPS {
        let frames = photo(fps, 30_000, 3.0).frames();
        let mut live = ActiveLiveness::default();
        let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
        assert_eq!(done, [], "{fps} fps");
        assert!(live.baseline().is_some());
        assert!(is_static(&frames, &LivenessParams::default()));
    }
}

#[test]
fn a_photo_held_at_25_degrees_from_the_first_frame_gets_no_baseline() {
    for fps in FPS {
        let frames = photo(fps, 10_000, 25.0).frames();
        let mut live = ActiveLiveness::default();
        let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
        assert_eq!(done, [], "{fps} fps");
        assert_eq!(live.baseline(), None);
    }
}

/// A frontal photo, swapped in one frame for one at `yaw`, maybe swapped back later.
fn swapped(fps: u64, yaw: f32, back_after_ms: Option<u64>) -> Vec<FaceSignals> {
    let held = back_after_ms.unwrap_or(5_000);
    let mut script = Script::new(fps)
        .still(2_000)
        .then(held, move |_, s| s.yaw_deg = yaw);
    if back_after_ms.is_some() {
        script = script.still(2_000);
    }
    script.frames()
}

#[test]
fn a_photo_swapped_for_an_angled_one_passes_nothing() {
    for fps in FPS {
        let frames = swapped(fps, 40.0, None);
        let mut live = ActiveLiveness::default();
        let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
        assert_eq!(done, [], "{fps} fps");
        assert_eq!(live.track_breaks(), 1);
    }
}

#[test]
fn photos_swapped_out_and_back_are_not_a_turn() {
    for fps in FPS {
        for yaw in [30.0, -30.0, 40.0] {
            for held in [300, 1_000, 3_000] {
                let frames = swapped(fps, yaw, Some(held));
                assert_eq!(run(&frames), [], "{fps} fps, {yaw}°, held {held} ms");
            }
        }
        // The same with pitch: a photo of the person looking up.
        let frames = Script::new(fps)
            .still(2_000)
            .then(1_000, |_, s| s.pitch_deg = 25.0)
            .still(2_000)
            .frames();
        assert_eq!(run(&frames), [], "{fps} fps");
    }
}

#[test]
fn photos_swapped_behind_a_hand_are_not_a_turn() {
    // The face disappears for 800 ms while each picture is exchanged: no frames at all.
    let frames: Vec<_> = Script::new(15)
        .still(2_000)
        .then(800, |_, s| s.yaw_deg = f32::NAN)
        .then(1_500, |_, s| s.yaw_deg = 25.0)
        .then(800, |_, s| s.yaw_deg = f32::NAN)
        .still(2_000)
        .frames()
        .into_iter()
        .filter(|f| !f.yaw_deg.is_nan())
        .collect();
    assert_eq!(run(&frames), []);
}

#[test]
fn a_one_frame_detector_glitch_does_not_spoil_a_real_turn() {
    for fps in FPS {
        let mut frames = Script::new(fps)
            .still(1_000)
            .turn(3_000, 30.0)
            .still(500)
            .frames();
        let mid = frames.iter().position(|f| f.at_ms >= 2_000).unwrap();
        frames[mid].yaw_deg = -60.0;
        frames[mid + 4].face_cx = 0.95;
        let mut live = ActiveLiveness::default();
        let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
        assert_eq!(done, [Action::TurnLeft], "{fps} fps");
        assert_eq!(live.track_breaks(), 0);
    }
}

#[test]
fn missing_and_absurd_figures_are_skipped() {
    let bad = [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1e30, -1e30];
    let frames = Script::new(15)
        .still(1_000)
        .then(3_000, |t, s| {
            s.yaw_deg += 30.0 * super::gen::bump(t, 3_000);
            if t % 5 == 0 {
                let b = bad[(t / 5) as usize % bad.len()];
                s.left_eye = b;
                s.mouth = b;
                s.face_w = b;
            }
        })
        .still(500)
        .frames();
    assert_eq!(run(&frames), [Action::TurnLeft]);
}

#[test]
fn repeated_and_backward_timestamps_are_ignored() {
    let mut live = ActiveLiveness::default();
    let mut frames = Script::new(15).still(1_000).blink(200, 0.03).frames();
    // A stale closed-eye frame re-delivered out of order must not close the eyes twice.
    let first_closed = frames.iter().position(|f| f.left_eye < 0.1).unwrap();
    let reopened = first_closed
        + frames[first_closed..]
            .iter()
            .position(|f| f.left_eye > 0.29)
            .unwrap();
    let stale = frames[first_closed];
    frames.insert(reopened + 1, stale);
    let mut repeated = frames[reopened + 2];
    repeated.left_eye = 0.03;
    repeated.right_eye = 0.03;
    frames.insert(reopened + 3, repeated);
    let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
    assert_eq!(done, [Action::Blink]);
}
