use certpoint_protocol::Action;

use super::gen::{bump, noise, rise, run, tremor, Script};
use crate::liveness::{ActiveLiveness, LivenessParams};

const FPS: [u64; 2] = [15, 30];

#[test]
fn a_slow_turn_left_out_and_back_passes() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .turn(3_000, 30.0)
            .still(500)
            .frames();
        assert_eq!(run(&frames), [Action::TurnLeft], "{fps} fps");
    }
}

#[test]
fn a_turn_right_passes() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .turn(2_000, -28.0)
            .still(500)
            .frames();
        assert_eq!(run(&frames), [Action::TurnRight], "{fps} fps");
    }
}

#[test]
fn turning_the_wrong_way_does_not_complete_turn_left() {
    let frames = Script::new(15)
        .still(1_000)
        .turn(3_000, -35.0)
        .still(500)
        .frames();
    assert!(!run(&frames).contains(&Action::TurnLeft));
}

#[test]
fn a_turn_with_head_tremor_passes_once() {
    for fps in FPS {
        let frames = Script::new(fps)
            .then(1_000, |t, s| s.yaw_deg += tremor(t, 3.0))
            .then(3_000, |t, s| {
                s.yaw_deg += 25.0 * bump(t, 3_000) + tremor(t, 3.0)
            })
            .then(3_000, |t, s| s.yaw_deg += tremor(t, 3.0))
            .frames();
        assert_eq!(run(&frames), [Action::TurnLeft], "{fps} fps");
    }
}

#[test]
fn tremor_alone_completes_nothing() {
    for fps in FPS {
        let frames = Script::new(fps)
            .then(20_000, |t, s| {
                s.yaw_deg += tremor(t, 3.0);
                s.pitch_deg += tremor(t + 40, 3.0);
            })
            .frames();
        assert_eq!(run(&frames), [], "{fps} fps");
    }
}

#[test]
fn a_turn_without_the_return_does_not_pass() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .then(10_000, |t, s| s.yaw_deg += 30.0 * rise(t, 1_500))
            .frames();
        assert_eq!(run(&frames), [], "{fps} fps");
    }
}

#[test]
fn look_up_passes() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .pitch(2_000, 20.0)
            .still(500)
            .frames();
        assert_eq!(run(&frames), [Action::LookUp], "{fps} fps");
    }
}

#[test]
fn a_nod_passes() {
    for fps in FPS {
        let frames = Script::new(fps)
            .still(1_000)
            .pitch(1_000, -15.0)
            .still(500)
            .frames();
        assert_eq!(run(&frames), [Action::Nod], "{fps} fps");
    }
}

#[test]
fn open_mouth_passes_when_held() {
    for fps in FPS {
        let open = |hold: u64| {
            Script::new(fps)
                .still(1_000)
                .then(hold + 400, move |t, s| {
                    s.mouth += 0.6 * (rise(t, 100) - rise(t.saturating_sub(hold + 100), 100))
                })
                .still(300)
                .frames()
        };
        assert_eq!(run(&open(500)), [Action::OpenMouth], "{fps} fps");
        // Shorter than 150 ms is speech, not an answer.
        assert_eq!(run(&open(30)), [], "{fps} fps");
    }
}

#[test]
fn posture_drifting_ten_degrees_over_a_minute_is_not_a_turn() {
    for fps in FPS {
        let frames = Script::new(fps)
            .then(60_000, |t, s| {
                s.yaw_deg += 10.0 * t as f32 / 60_000.0 + tremor(t, 1.0);
                s.pitch_deg -= 6.0 * t as f32 / 60_000.0;
            })
            .frames();
        let mut live = ActiveLiveness::default();
        let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
        assert_eq!(done, [], "{fps} fps");
        let base = live.baseline().unwrap();
        assert!(
            (base.yaw_deg - 10.0).abs() < 2.0,
            "baseline followed: {base:?}"
        );
        // ...so a real turn from the drifted posture still works.
        let last = frames.last().unwrap().at_ms;
        let turn = Script::new(fps)
            .base(|s| {
                s.yaw_deg = 10.0;
                s.pitch_deg = -6.0;
            })
            .turn(2_000, -25.0)
            .frames();
        let done: Vec<_> = turn
            .iter()
            .flat_map(|f| {
                let mut f = *f;
                f.at_ms += last + 1_000 / fps;
                live.push(&f)
            })
            .collect();
        assert_eq!(done, [Action::TurnRight], "{fps} fps");
    }
}

/// Every action once, in a row, with rests between.
fn every_action(fps: u64) -> Vec<crate::liveness::FaceSignals> {
    Script::new(fps)
        .still(1_000)
        .blink(200, 0.03)
        .turn(2_000, 30.0)
        .still(300)
        .turn(2_000, -30.0)
        .still(300)
        .pitch(2_000, 20.0)
        .still(300)
        .then(800, |t, s| s.mouth += 0.6 * bump(t, 800))
        .still(300)
        .pitch(1_200, -15.0)
        .still(500)
        .frames()
}

#[test]
fn each_action_completes_once_per_reset() {
    for fps in FPS {
        let frames = every_action(fps);
        let mut live = ActiveLiveness::default();
        for _ in 0..2 {
            let done: Vec<_> = frames.iter().flat_map(|f| live.push(f)).collect();
            assert_eq!(done, Action::ALL, "{fps} fps");
            live.reset();
            assert_eq!(live.baseline(), None);
        }
    }
}

#[test]
fn every_action_passes_through_detector_noise_and_tremor() {
    // A real pipeline's figures: ±1.5° pose jitter per frame, ±2° tremor, ±0.015 on the
    // eyes and mouth, a frame lost now and then.
    for fps in FPS {
        let frames: Vec<_> = every_action(fps)
            .into_iter()
            .filter(|f| noise(f.at_ms, 20) > -0.9)
            .map(|mut f| {
                let t = f.at_ms;
                f.yaw_deg += 1.5 * noise(t, 21) + tremor(t, 2.0);
                f.pitch_deg += 1.5 * noise(t, 22) + tremor(t + 30, 2.0);
                f.roll_deg += 1.5 * noise(t, 23);
                f.left_eye += 0.015 * noise(t, 24);
                f.right_eye += 0.015 * noise(t, 25);
                f.mouth = (f.mouth + 0.015 * noise(t, 26)).max(0.0);
                f
            })
            .collect();
        assert_eq!(run(&frames), Action::ALL, "{fps} fps");
    }
}

#[test]
fn a_detector_re_arms_after_the_face_is_back_at_rest() {
    let frames = Script::new(15)
        .still(1_000)
        .turn(2_000, 30.0)
        .still(200)
        .turn(2_000, 30.0)
        .blink(200, 0.03)
        .blink(200, 0.03)
        .frames();
    let done = run(&frames);
    assert_eq!(
        done,
        [
            Action::TurnLeft,
            Action::TurnLeft,
            Action::Blink,
            Action::Blink
        ]
    );
}

#[test]
fn a_movement_under_way_when_the_baseline_forms_does_not_count() {
    // The turn starts while the baseline frames are being gathered and is 12° out when
    // the baseline forms: the detector must see the face at rest before it can count a
    // movement, or half a turn would do.
    for fps in FPS {
        let frames = Script::new(fps)
            .then(3_500, |t, s| {
                s.yaw_deg = match t {
                    0..300 => 0.0,
                    300..600 => 15.0 * rise(t - 300, 300),
                    600..2_000 => 15.0 + 15.0 * rise(t - 600, 700),
                    _ => 30.0 * (1.0 - rise(t - 2_000, 1_000)),
                }
            })
            .frames();
        assert_eq!(run(&frames), [], "{fps} fps");
    }
}

#[test]
fn turn_progress_rises_to_one_at_the_threshold() {
    let mut live = ActiveLiveness::new(LivenessParams::default());
    assert_eq!(live.progress(Action::TurnLeft), 0.0);
    let frames = Script::new(15).still(1_000).turn(3_000, 30.0).frames();
    let mut rising = Vec::new();
    for f in &frames {
        live.push(f);
        if f.at_ms >= 1_000 && f.at_ms < 2_500 {
            rising.push(live.progress(Action::TurnLeft));
        }
        for a in Action::ALL {
            assert!((0.0..=1.0).contains(&live.progress(a)));
        }
    }
    assert!(rising.windows(2).all(|w| w[1] >= w[0]), "{rising:?}");
    assert_eq!(*rising.last().unwrap(), 1.0);
    assert!(rising[3] > 0.0 && rising[3] < 1.0);
    assert!(live.progress(Action::TurnRight) < 0.05);
}
