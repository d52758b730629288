use certpoint_protocol::Action;

use super::gen::{close_eyes, lid, noise, run, Script};
use crate::liveness::{ActiveLiveness, LivenessParams};

const FPS: [u64; 2] = [15, 30];

/// A blink of `total_ms` starting `delay_ms` after a frame, so it falls at every phase
/// of the frame grid.
fn blink_at(
    fps: u64,
    delay_ms: u64,
    total_ms: u64,
    closed: f32,
) -> Vec<crate::liveness::FaceSignals> {
    Script::new(fps)
        .still(1_000)
        .then(delay_ms + total_ms + 500, move |t, s| {
            let closure = if t < delay_ms {
                0.0
            } else {
                lid(t - delay_ms, total_ms)
            };
            close_eyes(s, closure, closed)
        })
        .frames()
}

#[test]
fn a_normal_blink_passes_at_every_phase_of_the_frame_grid() {
    for fps in FPS {
        for delay in (0..67).step_by(7) {
            let frames = blink_at(fps, delay, 150, 0.03);
            assert_eq!(run(&frames), [Action::Blink], "{fps} fps, delay {delay} ms");
        }
    }
}

#[test]
fn a_slow_elderly_blink_passes() {
    for fps in FPS {
        let frames = Script::new(fps).still(1_000).blink(900, 0.05).frames();
        assert_eq!(run(&frames), [Action::Blink], "{fps} fps");
    }
}

#[test]
fn eyes_resting_shut_for_three_seconds_are_not_a_blink() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .blink(3_000, 0.05)
            .still(1_000)
            .frames();
        assert_eq!(run(&frames), [], "{fps} fps");
    }
}

#[test]
fn resting_eyes_do_not_stop_the_next_blink() {
    let frames = Script::new(15)
        .still(1_000)
        .blink(3_000, 0.05)
        .blink(200, 0.05)
        .frames();
    assert_eq!(run(&frames), [Action::Blink]);
}

#[test]
fn one_unmeasurable_eye_is_enough() {
    for fps in FPS {
        let frames = Script::new(fps)
            .base(|s| s.left_eye = f32::NAN)
            .still(1_000)
            .blink(200, 0.04)
            .frames();
        assert_eq!(run(&frames), [Action::Blink], "{fps} fps");
    }
}

#[test]
fn unequal_eyes_dropping_out_in_turn_are_not_a_blink_but_a_real_one_is() {
    // One lid droops (0.2 vs 0.34); which eye is measurable changes frame by frame. A
    // plain mean of whatever is measured would swing between 0.2 and 0.34.
    let flicker = |t: u64, s: &mut crate::liveness::FaceSignals| match noise(t, 9) {
        n if n < -0.4 => s.left_eye = f32::NAN,
        n if n > 0.4 => s.right_eye = f32::NAN,
        _ => {}
    };
    let script = Script::new(30)
        .base(|s| {
            s.left_eye = 0.20;
            s.right_eye = 0.34;
        })
        .then(10_000, flicker);
    assert_eq!(run(&script.frames()), []);

    let frames = Script::new(30)
        .base(|s| {
            s.left_eye = 0.20;
            s.right_eye = 0.34;
        })
        .then(2_000, flicker)
        .then(500, move |t, s| {
            close_eyes(s, lid(t, 200), 0.03);
            flicker(t, s);
        })
        .frames();
    assert_eq!(run(&frames), [Action::Blink]);
}

#[test]
fn glasses_with_a_small_eye_opening_still_blink() {
    for fps in FPS {
        let frames = Script::new(fps)
            .base(|s| {
                s.left_eye = 0.18;
                s.right_eye = 0.18;
            })
            .still(1_000)
            .blink(250, 0.09)
            .frames();
        assert_eq!(run(&frames), [Action::Blink], "{fps} fps");
    }
}

#[test]
fn eye_noise_of_two_hundredths_is_not_a_blink() {
    for fps in FPS {
        for open in [0.30, 0.18] {
            let frames = Script::new(fps)
                .then(20_000, |t, s| {
                    s.left_eye = open + 0.02 * noise(t, 1);
                    s.right_eye = open + 0.02 * noise(t, 2);
                })
                .frames();
            assert_eq!(run(&frames), [], "{fps} fps, open {open}");
        }
    }
}

#[test]
fn a_single_dark_frame_at_30_fps_is_not_a_blink() {
    let mut frames = Script::new(30).still(2_000).frames();
    frames[40].left_eye = 0.05;
    frames[40].right_eye = 0.05;
    assert_eq!(run(&frames), []);
}

#[test]
fn lids_lowered_by_looking_down_or_a_tilted_photo_are_not_a_blink() {
    // The head (or a printed photo tilted backwards) pitches 20° while the eyes narrow
    // to a third of their opening, then comes back.
    let frames = Script::new(15)
        .still(1_000)
        .then(1_500, |t, s| {
            let k = super::gen::bump(t, 1_500);
            s.pitch_deg = -20.0 * k;
            close_eyes(s, (2.0 * k - 1.0).max(0.0), 0.05);
        })
        .still(500)
        .frames();
    assert!(!run(&frames).contains(&Action::Blink));
}

#[test]
fn a_blink_before_the_baseline_exists_does_not_count() {
    let frames = Script::new(15).blink(150, 0.03).frames();
    assert_eq!(run(&frames), []);
}

#[test]
fn blink_progress_follows_the_lids() {
    let mut live = ActiveLiveness::new(LivenessParams::default());
    let frames = Script::new(30)
        .still(1_000)
        .then(400, |t, s| close_eyes(s, lid(t, 300), 0.03));
    let mut seen = Vec::new();
    for f in frames.frames() {
        live.push(&f);
        seen.push(live.progress(Action::Blink));
    }
    assert!(seen.iter().all(|p| (0.0..=1.0).contains(p)));
    assert_eq!(seen.iter().cloned().fold(0.0, f32::max), 1.0);
    assert!(*seen.last().unwrap() < 0.2);
}
