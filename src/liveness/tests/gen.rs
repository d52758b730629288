//! Synthetic face-signal sequences: a resting face at a fixed frame rate, with
//! movements laid on top by small shape functions.

use std::f32::consts::PI;

use certpoint_protocol::Action;

use crate::liveness::{ActiveLiveness, FaceSignals, LivenessParams};

/// A resting, frontal face with open eyes and a closed mouth.
pub fn resting(at_ms: u64) -> FaceSignals {
    FaceSignals {
        at_ms,
        yaw_deg: 0.0,
        pitch_deg: 0.0,
        roll_deg: 0.0,
        left_eye: 0.30,
        right_eye: 0.30,
        mouth: 0.02,
        face_cx: 0.5,
        face_cy: 0.45,
        face_w: 0.3,
    }
}

/// Builds a sequence segment by segment; frames sit on the grid `n * 1000 / fps`.
pub struct Script {
    fps: u64,
    next: u64,
    base: FaceSignals,
    frames: Vec<FaceSignals>,
}

impl Script {
    pub fn new(fps: u64) -> Script {
        Script {
            fps,
            next: 0,
            base: resting(0),
            frames: Vec::new(),
        }
    }

    /// Changes the resting face for the segments that follow.
    pub fn base(mut self, change: impl FnOnce(&mut FaceSignals)) -> Script {
        change(&mut self.base);
        self
    }

    /// `dur_ms` of frames, each the resting face changed by `shape(ms into segment, ..)`.
    pub fn then(mut self, dur_ms: u64, shape: impl Fn(u64, &mut FaceSignals)) -> Script {
        let start = self.time(self.next);
        while self.time(self.next) < start + dur_ms {
            let at = self.time(self.next);
            let mut s = self.base;
            s.at_ms = at;
            shape(at - start, &mut s);
            self.frames.push(s);
            self.next += 1;
        }
        self
    }

    pub fn still(self, dur_ms: u64) -> Script {
        self.then(dur_ms, |_, _| {})
    }

    /// A blink lasting `total_ms` from the lids starting to fall until fully open again,
    /// down to an aspect ratio of `closed`, then a short rest.
    pub fn blink(self, total_ms: u64, closed: f32) -> Script {
        self.then(total_ms + 300, move |t, s| {
            close_eyes(s, lid(t, total_ms), closed)
        })
    }

    /// Yaw out to `deg` and back along a raised cosine over `dur_ms`.
    pub fn turn(self, dur_ms: u64, deg: f32) -> Script {
        self.then(dur_ms, move |t, s| s.yaw_deg += deg * bump(t, dur_ms))
    }

    /// Pitch out to `deg` and back over `dur_ms`.
    pub fn pitch(self, dur_ms: u64, deg: f32) -> Script {
        self.then(dur_ms, move |t, s| s.pitch_deg += deg * bump(t, dur_ms))
    }

    pub fn frames(self) -> Vec<FaceSignals> {
        self.frames
    }

    fn time(&self, n: u64) -> u64 {
        n * 1000 / self.fps
    }
}

/// 0 → 1 → 0 along a raised cosine over `len_ms`; 0 outside.
pub fn bump(t: u64, len_ms: u64) -> f32 {
    if t >= len_ms {
        return 0.0;
    }
    0.5 * (1.0 - (2.0 * PI * t as f32 / len_ms as f32).cos())
}

/// 0 → 1 smoothly over `len_ms`, then 1.
pub fn rise(t: u64, len_ms: u64) -> f32 {
    let x = (t as f32 / len_ms as f32).min(1.0);
    0.5 * (1.0 - (PI * x).cos())
}

/// Lid closure 0 (open) … 1 (closed) of a blink lasting `total_ms`: lids fall and rise
/// over a third of it each (at most 150 ms: slow blinks are slow mostly while shut).
pub fn lid(t: u64, total_ms: u64) -> f32 {
    let ramp = (total_ms / 3).min(150) as f32;
    let (t, total) = (t as f32, total_ms as f32);
    if t >= total {
        0.0
    } else if t < ramp {
        t / ramp
    } else if t > total - ramp {
        (total - t) / ramp
    } else {
        1.0
    }
}

/// Both eyes `closure` (0..1) of the way from their resting ratio to `closed`.
pub fn close_eyes(s: &mut FaceSignals, closure: f32, closed: f32) {
    s.left_eye += (closed - s.left_eye) * closure;
    s.right_eye += (closed - s.right_eye) * closure;
}

/// Head tremor: `amp_deg` at 6 Hz.
pub fn tremor(t: u64, amp_deg: f32) -> f32 {
    amp_deg * (2.0 * PI * 6.0 * t as f32 / 1000.0).sin()
}

/// Deterministic noise in -1..1 for time `t` and a stream `seed`.
pub fn noise(t: u64, seed: u64) -> f32 {
    let mut z = t.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 40) as f32 / (1u64 << 23) as f32 - 1.0
}

/// Every completion of a fresh tracker over `frames`, with its time.
pub fn completions_with(p: LivenessParams, frames: &[FaceSignals]) -> Vec<(u64, Action)> {
    let mut live = ActiveLiveness::new(p);
    frames
        .iter()
        .flat_map(|f| live.push(f).into_iter().map(move |a| (f.at_ms, a)))
        .collect()
}

/// The actions a fresh tracker with default thresholds completes over `frames`.
pub fn run(frames: &[FaceSignals]) -> Vec<Action> {
    completions_with(LivenessParams::default(), frames)
        .into_iter()
        .map(|(_, a)| a)
        .collect()
}
