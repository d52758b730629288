use certpoint_protocol::Action;
use proptest::prelude::*;

use super::gen::noise;
use crate::liveness::{is_static, ActiveLiveness, FaceSignals, LivenessParams};

/// A fixed pose with independent noise on every figure. Each amplitude is a fraction
/// `k` < 1 of half of the threshold it could cross.
#[derive(Debug, Clone)]
struct Jitter {
    fps: u64,
    frames: u64,
    yaw: f32,
    pitch: f32,
    eye: f32,
    mouth: f32,
    k: f32,
    seed: u64,
    /// Chance per frame that an eye is unmeasured or the frame is lost.
    dropout: f32,
}

fn jitter() -> impl Strategy<Value = Jitter> {
    (
        (10u64..=30, 30u64..400),
        (-15.0f32..15.0, -15.0f32..15.0, 0.12f32..0.4, 0.0f32..0.15),
        (0.0f32..0.99, any::<u64>(), 0.0f32..0.3),
    )
        .prop_map(
            |((fps, frames), (yaw, pitch, eye, mouth), (k, seed, dropout))| Jitter {
                fps,
                frames,
                yaw,
                pitch,
                eye,
                mouth,
                k,
                seed,
                dropout,
            },
        )
}

impl Jitter {
    fn frames(&self) -> Vec<FaceSignals> {
        let p = LivenessParams::default();
        let half = |threshold: f32| self.k * threshold / 2.0;
        let pitch_threshold = p.look_up_deg.min(p.nod_deg);
        // Relative eye noise must keep eye / baseline above the closing ratio even when
        // the baseline sits at the top of the noise and the eye at the bottom.
        let eye_rel = half(1.0 - p.blink_close_ratio);
        let n = |t: u64, stream: u64| noise(t, self.seed.wrapping_add(stream));
        (0..self.frames)
            .map(|i| i * 1000 / self.fps)
            .filter(|t| (n(*t, 7) + 1.0) / 2.0 >= self.dropout)
            .map(|t| {
                let unmeasured = |stream| (n(t, stream) + 1.0) / 2.0 < self.dropout;
                let eye = |stream| {
                    if unmeasured(stream + 10) {
                        f32::NAN
                    } else {
                        self.eye * (1.0 + eye_rel * n(t, stream))
                    }
                };
                FaceSignals {
                    at_ms: t,
                    yaw_deg: self.yaw + half(p.turn_deg) * n(t, 1),
                    pitch_deg: self.pitch + half(pitch_threshold) * n(t, 2),
                    roll_deg: 3.0 * n(t, 3),
                    left_eye: eye(4),
                    right_eye: eye(5),
                    mouth: self.mouth + half(p.mouth_open_delta) * n(t, 6),
                    face_cx: 0.5 + 0.02 * n(t, 8),
                    face_cy: 0.45 + 0.02 * n(t, 9),
                    face_w: 0.3 * (1.0 + 0.05 * n(t, 10)),
                }
            })
            .collect()
    }
}

/// Any f32 at all, with the troublesome ones often.
fn wild() -> impl Strategy<Value = f32> {
    prop_oneof![
        Just(f32::NAN),
        Just(f32::INFINITY),
        Just(f32::NEG_INFINITY),
        Just(0.0f32),
        Just(-0.0f32),
        Just(f32::MAX),
        Just(f32::MIN_POSITIVE),
        -100.0f32..100.0,
        -1.0f32..1.0,
        any::<f32>(),
    ]
}

fn wild_frame() -> impl Strategy<Value = FaceSignals> {
    (
        prop_oneof![0u64..5_000, Just(u64::MAX), Just(0u64), any::<u64>()],
        proptest::array::uniform9(wild()),
    )
        .prop_map(|(at_ms, v)| FaceSignals {
            at_ms,
            yaw_deg: v[0],
            pitch_deg: v[1],
            roll_deg: v[2],
            left_eye: v[3],
            right_eye: v[4],
            mouth: v[5],
            face_cx: v[6],
            face_cy: v[7],
            face_w: v[8],
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn noise_around_a_fixed_pose_never_completes_anything(j in jitter()) {
        let frames = j.frames();
        let mut live = ActiveLiveness::default();
        for f in &frames {
            prop_assert_eq!(live.push(f), Vec::<Action>::new(), "at {} ms", f.at_ms);
        }
    }

    #[test]
    fn push_never_panics_and_progress_stays_in_range(
        frames in proptest::collection::vec(wild_frame(), 0..200),
        sorted in any::<bool>(),
    ) {
        let mut frames = frames;
        if sorted {
            frames.sort_by_key(|f| f.at_ms);
        }
        let mut live = ActiveLiveness::default();
        for f in &frames {
            live.push(f);
            for a in Action::ALL {
                let p = live.progress(a);
                prop_assert!((0.0..=1.0).contains(&p), "{:?} progress {}", a, p);
            }
            if let Some(b) = live.baseline() {
                prop_assert!(b.yaw_deg.is_finite() && b.pitch_deg.is_finite());
            }
        }
        is_static(&frames, &LivenessParams::default());
    }

    #[test]
    fn wild_frames_mixed_into_a_real_sequence_never_panic(
        wild in proptest::collection::vec((0usize..300, wild_frame()), 0..40),
    ) {
        let mut frames = super::gen::Script::new(30)
            .still(1_000)
            .turn(2_000, 30.0)
            .blink(200, 0.03)
            .frames();
        for (i, mut f) in wild {
            let i = i.min(frames.len());
            f.at_ms = frames.get(i).map_or(u64::MAX, |g| g.at_ms);
            frames.insert(i, f);
        }
        let mut live = ActiveLiveness::default();
        for f in &frames {
            live.push(f);
        }
    }
}
