//! Is this frame's face the same moving head as the last one's?
//!
//! A head cannot rotate or shift faster than a limit, and it speeds up and slows down
//! over several frames; a frame that breaks either rule is a one-frame detector glitch
//! or a different picture (a swapped photo). The frame after tells them apart: a
//! glitch is followed by a frame near the old track, a swap by a frame near the new
//! picture (and, for a step within the speed limit, by a face that stopped dead).

use super::params::LivenessParams;
use super::signals::FaceSignals;

/// What to do with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Same track: feed it to the detectors.
    Continue,
    /// Jumped away from the track: leave it out until the next frame says why.
    Hold,
    /// The track broke before this frame (a confirmed jump or a long gap): movements in
    /// progress are void; this frame starts the new track.
    Break,
}

/// The shortest and longest frame interval the jump limit scales with. Below the
/// minimum, timestamp jitter would make ordinary noise look like a jump; above the
/// maximum the limit stops growing, so a gap cannot hide an arbitrarily large change.
const MIN_SCALE_MS: u64 = 33;
const MAX_SCALE_MS: u64 = 100;

/// An interval counts as still, next to a step, when it moves less than this share of
/// the step. A head's movement of 10° or more spreads over at least three frame
/// intervals at 15 fps and above, and a smooth movement sampled that coarsely still
/// puts over a third of its largest interval on a neighbour; a photo's pose only
/// jitters.
const STILL_SHARE: f32 = 0.25;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Suspicion {
    /// Faster than a head moves.
    Speed,
    /// Within the speed limit, but from a still face in a single frame.
    Step,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Continuity {
    /// The frame before `last` on the track, for the size of the previous interval.
    before: Option<FaceSignals>,
    /// The last frame fed to the detectors.
    last: Option<FaceSignals>,
    /// A frame that left the track, awaiting the next frame's verdict.
    suspect: Option<(FaceSignals, Suspicion)>,
}

impl Continuity {
    pub fn last_at_ms(&self) -> Option<u64> {
        self.last.map(|f| f.at_ms)
    }

    /// Judges `f`, which has a measured pose and is later than every frame seen before.
    pub fn check(&mut self, f: &FaceSignals, p: &LivenessParams) -> Verdict {
        let Some(mut last) = self.last else {
            self.last = Some(*f);
            return Verdict::Continue;
        };
        if f.at_ms.saturating_sub(last.at_ms) > p.max_gap_ms {
            return self.restart(f);
        }
        if let Some((suspect, why)) = self.suspect.take() {
            if distance(f, &suspect, p) < distance(f, &last, p) {
                let moving_on = turn(&suspect, f) > STILL_SHARE * turn(&last, &suspect);
                if why == Suspicion::Speed || !moving_on {
                    return self.restart(f);
                }
                // A step that keeps going is a fast real movement: take the suspect into
                // the track after all and judge this frame from it.
                self.before = Some(last);
                self.last = Some(suspect);
                last = suspect;
            }
            // Otherwise the suspect was a glitch: judge this frame against the track.
        }
        let dt = f.at_ms.saturating_sub(last.at_ms);
        let allowed = dt.clamp(MIN_SCALE_MS, MAX_SCALE_MS) as f32 / 100.0;
        let step = turn(&last, f);
        let from_still = self
            .before
            .is_some_and(|b| turn(&b, &last) <= STILL_SHARE * step);
        if distance(f, &last, p) > allowed {
            self.suspect = Some((*f, Suspicion::Speed));
            Verdict::Hold
        } else if step >= p.swap_step_deg && from_still {
            self.suspect = Some((*f, Suspicion::Step));
            Verdict::Hold
        } else {
            self.before = Some(last);
            self.last = Some(*f);
            Verdict::Continue
        }
    }

    fn restart(&mut self, f: &FaceSignals) -> Verdict {
        *self = Continuity {
            last: Some(*f),
            ..Continuity::default()
        };
        Verdict::Break
    }
}

/// The largest change of yaw, pitch or roll between two frames, in degrees.
fn turn(a: &FaceSignals, b: &FaceSignals) -> f32 {
    [
        a.yaw_deg - b.yaw_deg,
        a.pitch_deg - b.pitch_deg,
        a.roll_deg - b.roll_deg,
    ]
    .iter()
    .fold(0.0f32, |m, d| m.max(d.abs()))
}

/// How far apart two frames are, in units of the per-100 ms jump limits; the largest
/// of pose, position and size, each only when measured in both frames.
fn distance(a: &FaceSignals, b: &FaceSignals, p: &LivenessParams) -> f32 {
    let pose = turn(a, b) / p.max_jump_deg;
    let shift = match (a.centre(), b.centre()) {
        (Some((ax, ay)), Some((bx, by))) => (ax - bx).hypot(ay - by) / p.max_jump_shift,
        _ => 0.0,
    };
    let scale = match (a.width(), b.width()) {
        (Some(aw), Some(bw)) => (aw / bw).ln().abs() / p.max_jump_scale.ln_1p(),
        _ => 0.0,
    };
    // `max` drops a NaN operand, so an overflowing figure cannot hide a jump.
    pose.max(shift).max(scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_ms: u64, yaw: f32) -> FaceSignals {
        FaceSignals {
            at_ms,
            yaw_deg: yaw,
            pitch_deg: 0.0,
            roll_deg: 0.0,
            left_eye: 0.3,
            right_eye: 0.3,
            mouth: 0.0,
            face_cx: 0.5,
            face_cy: 0.5,
            face_w: 0.3,
        }
    }

    fn verdicts(frames: &[FaceSignals]) -> Vec<Verdict> {
        let p = LivenessParams::default();
        let mut c = Continuity::default();
        frames.iter().map(|f| c.check(f, &p)).collect()
    }

    #[test]
    fn one_frame_glitch_is_dropped_and_the_track_goes_on() {
        let v = verdicts(&[
            at(0, 0.0),
            at(67, 2.0),
            at(133, 60.0),
            at(200, 4.0),
            at(267, 5.0),
        ]);
        use Verdict::*;
        assert_eq!(v, [Continue, Continue, Hold, Continue, Continue]);
    }

    #[test]
    fn a_jump_that_stays_breaks_the_track() {
        let v = verdicts(&[
            at(0, 0.0),
            at(67, 0.0),
            at(133, 40.0),
            at(200, 40.0),
            at(267, 40.0),
        ]);
        use Verdict::*;
        assert_eq!(v, [Continue, Continue, Hold, Break, Continue]);
    }

    #[test]
    fn a_fast_but_possible_turn_is_continuous() {
        // 20° per 67 ms is 300°/s: a brisk turn, not a swap.
        let frames: Vec<_> = (0..6).map(|i| at(i * 67, i as f32 * 20.0 - 50.0)).collect();
        assert!(verdicts(&frames).iter().all(|v| *v == Verdict::Continue));
    }

    #[test]
    fn a_step_from_still_to_still_is_a_swap_even_within_the_speed_limit() {
        // 25° in 67 ms is under 450°/s, but nothing moved before or after.
        let v = verdicts(&[
            at(0, 0.0),
            at(67, 0.0),
            at(133, 25.0),
            at(200, 25.5),
            at(267, 25.0),
        ]);
        use Verdict::*;
        assert_eq!(v, [Continue, Continue, Hold, Break, Continue]);
    }

    #[test]
    fn a_quick_real_movement_that_starts_abruptly_is_kept() {
        let yaws = [0.0, 0.0, 3.0, 15.0, 27.0, 30.0, 30.0];
        let frames: Vec<_> = yaws
            .iter()
            .enumerate()
            .map(|(i, y)| at(i as u64 * 67, *y))
            .collect();
        use Verdict::*;
        assert_eq!(
            verdicts(&frames),
            [Continue, Continue, Continue, Hold, Continue, Continue, Continue]
        );
    }

    #[test]
    fn a_long_gap_breaks_the_track() {
        use Verdict::*;
        assert_eq!(verdicts(&[at(0, 0.0), at(600, 0.0)]), [Continue, Break]);
    }

    #[test]
    fn the_face_moving_across_the_frame_in_one_frame_is_a_jump() {
        let mut far = at(67, 0.0);
        far.face_cx = 0.9;
        let mut small = at(67, 0.0);
        small.face_w = 0.15;
        use Verdict::*;
        assert_eq!(verdicts(&[at(0, 0.0), far]), [Continue, Hold]);
        assert_eq!(verdicts(&[at(0, 0.0), small]), [Continue, Hold]);
    }
}
