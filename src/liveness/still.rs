//! Did anything about the face change at all?

use super::params::LivenessParams;
use super::signals::FaceSignals;

/// Whether `signals` (frames in capture order) span at least `static_min_ms` and vary
/// less than measurement noise in everything: pose, eyes, mouth, position and size.
///
/// That is what a still photo on a stand looks like, and also a live person holding
/// very still without blinking, so it is evidence for the record and a cue for the UI
/// ("please blink"), not a verdict. A photo held in a hand moves and is not static
/// here; the active challenges are what catch it. A signal that was never measured
/// does not count either way; without a measured pose in at least three frames the
/// answer is `false` (no evidence of stillness).
pub fn is_static(signals: &[FaceSignals], p: &LivenessParams) -> bool {
    let frames: Vec<&FaceSignals> = signals.iter().filter(|f| f.pose_ok()).collect();
    let (Some(first), Some(last)) = (frames.first(), frames.last()) else {
        return false;
    };
    if frames.len() < 3 || last.at_ms.saturating_sub(first.at_ms) < p.static_min_ms {
        return false;
    }
    let within = |values: Vec<f32>, limit: f32, relative: bool| match spread(values) {
        None => true,
        Some((range, median)) if relative => range <= limit * median.abs(),
        Some((range, _)) => range <= limit,
    };
    let of = |get: fn(&FaceSignals) -> Option<f32>| frames.iter().filter_map(|f| get(f)).collect();
    within(of(|f| Some(f.yaw_deg)), p.static_pose_deg, false)
        && within(of(|f| Some(f.pitch_deg)), p.static_pose_deg, false)
        && within(of(|f| Some(f.roll_deg)), p.static_pose_deg, false)
        && within(of(FaceSignals::left_eye), p.static_eye_rel, true)
        && within(of(FaceSignals::right_eye), p.static_eye_rel, true)
        && within(of(FaceSignals::mouth), p.static_mouth, false)
        && within(of(|f| f.centre().map(|c| c.0)), p.static_shift, false)
        && within(of(|f| f.centre().map(|c| c.1)), p.static_shift, false)
        && within(of(FaceSignals::width), p.static_scale, true)
}

/// Range and median of the values, with the single most extreme value at each end left
/// out once there are enough of them: one glitched frame should not make a photo look
/// alive, while a blink spans several frames and still shows. `None` for fewer than
/// three values.
fn spread(mut v: Vec<f32>) -> Option<(f32, f32)> {
    v.retain(|x| x.is_finite());
    if v.len() < 3 {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let median = v[v.len() / 2];
    let kept = if v.len() >= 5 {
        &v[1..v.len() - 1]
    } else {
        &v[..]
    };
    Some((kept[kept.len() - 1] - kept[0], median))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::tests::gen::{noise, Script};

    #[test]
    fn a_photo_on_a_stand_is_static() {
        let frames = Script::new(15)
            .then(3_000, |t, s| {
                s.yaw_deg = 4.0 + 0.4 * noise(t, 1);
                s.left_eye = 0.3 + 0.005 * noise(t, 2);
            })
            .frames();
        assert!(is_static(&frames, &LivenessParams::default()));
    }

    #[test]
    fn one_glitched_frame_does_not_make_a_photo_alive() {
        let mut frames = Script::new(15).still(3_000).frames();
        frames[20].yaw_deg = 30.0;
        frames[21].left_eye = 0.05;
        assert!(is_static(&frames, &LivenessParams::default()));
    }

    #[test]
    fn a_blink_or_a_sway_is_not_static() {
        let blink = Script::new(30)
            .still(1_000)
            .blink(150, 0.03)
            .still(1_500)
            .frames();
        assert!(!is_static(&blink, &LivenessParams::default()));
        let sway = Script::new(15)
            .then(3_000, |t, s| s.yaw_deg = 2.0 * (t as f32 / 800.0).sin())
            .frames();
        assert!(!is_static(&sway, &LivenessParams::default()));
    }

    #[test]
    fn too_short_or_unmeasured_is_not_evidence() {
        let p = LivenessParams::default();
        assert!(!is_static(&Script::new(15).still(1_500).frames(), &p));
        let blind = Script::new(15)
            .then(3_000, |_, s| s.yaw_deg = f32::NAN)
            .frames();
        assert!(!is_static(&blind, &p));
        assert!(!is_static(&[], &p));
    }
}
