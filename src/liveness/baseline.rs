//! The person's resting face: what every threshold is measured from.

use serde::Serialize;

use super::params::LivenessParams;
use super::signals::FaceSignals;

/// The resting pose and openness of this person's face in this attempt.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Baseline {
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    pub roll_deg: f32,
    /// Resting eye aspect ratio per eye; `None` when that eye was never measured.
    pub left_eye: Option<f32>,
    pub right_eye: Option<f32>,
    /// Resting mouth ratio; `None` when the mouth was never measured (no open-mouth
    /// challenge can complete then).
    pub mouth: Option<f32>,
    /// Time of the frame that completed the baseline.
    pub established_at_ms: u64,
}

impl Baseline {
    /// Whether at least one eye is open wide enough to see it close.
    pub fn can_blink(&self, p: &LivenessParams) -> bool {
        usable(self.left_eye, p).is_some() || usable(self.right_eye, p).is_some()
    }

    /// The eyes' openness relative to this baseline, averaged over the eyes measured in
    /// both: relative per eye, so an unmeasured eye in one frame does not shift the value
    /// when the two eyes open differently (a drooping lid, one lens reflecting).
    pub(super) fn eye_ratio(&self, f: &FaceSignals, p: &LivenessParams) -> Option<f32> {
        let ratios = [
            ratio(f.left_eye(), usable(self.left_eye, p)),
            ratio(f.right_eye(), usable(self.right_eye, p)),
        ];
        let (sum, n) = ratios
            .iter()
            .flatten()
            .fold((0.0, 0u32), |(s, n), r| (s + r, n + 1));
        (n > 0).then(|| sum / n as f32)
    }

    pub(super) fn mouth_delta(&self, f: &FaceSignals) -> Option<f32> {
        Some(f.mouth()? - self.mouth?)
    }

    /// Moves the baseline a step toward a resting frame `dt_ms` after the previous one.
    /// The caller decides the face is resting; the eyes and mouth follow only while they
    /// are open / closed, so a closure in progress cannot drag the baseline with it.
    pub(super) fn adapt(&mut self, f: &FaceSignals, dt_ms: u64, p: &LivenessParams) {
        let tau_ms = p.baseline_adapt_tau_ms.max(1) as f32;
        let alpha = 1.0 - (-(dt_ms as f32) / tau_ms).exp();
        let step = |base: &mut f32, v: f32| *base += alpha * (v - *base);
        step(&mut self.yaw_deg, f.yaw_deg);
        step(&mut self.pitch_deg, f.pitch_deg);
        step(&mut self.roll_deg, f.roll_deg);
        for (base, v) in [
            (&mut self.left_eye, f.left_eye()),
            (&mut self.right_eye, f.right_eye()),
        ] {
            if let (Some(b), Some(v)) = (base.as_mut(), v) {
                if v >= p.blink_reopen_ratio * *b {
                    step(b, v);
                }
            }
        }
        if let (Some(b), Some(v)) = (self.mouth.as_mut(), f.mouth()) {
            if v - *b <= p.mouth_close_delta {
                step(b, v);
            }
        }
    }
}

fn usable(eye: Option<f32>, p: &LivenessParams) -> Option<f32> {
    eye.filter(|e| *e >= p.min_baseline_eye)
}

fn ratio(v: Option<f32>, base: Option<f32>) -> Option<f32> {
    Some(v? / base?)
}

/// Upper bound on the frames kept while waiting for a baseline; far more than
/// `baseline_min_ms` holds at any real frame rate, it only bounds memory.
const MAX_SAMPLES: usize = 256;

/// Gathers frames facing the camera until the latest ones make a baseline.
#[derive(Debug, Clone, Default)]
pub(super) struct Collector {
    samples: Vec<FaceSignals>,
}

impl Collector {
    pub fn clear(&mut self) {
        self.samples.clear();
    }

    /// Adds a frame with a measured pose; returns the baseline once the latest
    /// `baseline_frames` frames over `baseline_min_ms` are facing the camera.
    pub fn push(&mut self, f: &FaceSignals, p: &LivenessParams) -> Option<Baseline> {
        if f.yaw_deg.abs() >= p.baseline_max_yaw_deg
            || f.pitch_deg.abs() >= p.baseline_max_pitch_deg
        {
            return None;
        }
        if self.samples.len() == MAX_SAMPLES {
            self.samples.remove(0);
        }
        self.samples.push(*f);
        // The shortest run of latest frames that is long enough in count and in time:
        // the resting face is what the person shows now, not what they showed while
        // stepping up to the kiosk.
        let mut start = self.samples.len().checked_sub(p.baseline_frames.max(1))?;
        while f.at_ms.saturating_sub(self.samples[start].at_ms) < p.baseline_min_ms {
            start = start.checked_sub(1)?;
        }
        let s = &self.samples[start..];
        Some(Baseline {
            yaw_deg: median(s.iter().map(|f| f.yaw_deg))?,
            pitch_deg: median(s.iter().map(|f| f.pitch_deg))?,
            roll_deg: median(s.iter().map(|f| f.roll_deg))?,
            left_eye: median(s.iter().filter_map(FaceSignals::left_eye)),
            right_eye: median(s.iter().filter_map(FaceSignals::right_eye)),
            mouth: median(s.iter().filter_map(FaceSignals::mouth)),
            established_at_ms: f.at_ms,
        })
    }
}

/// Median of the finite values; `None` when there are none.
fn median(values: impl Iterator<Item = f32>) -> Option<f32> {
    let mut v: Vec<f32> = values.filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let mid = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[mid]
    } else {
        (v[mid - 1] + v[mid]) / 2.0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liveness::tests::gen::resting;

    /// Frames every 100 ms with the pose `at(i)`; the baseline the collector gives, and
    /// the frame index it came at.
    fn collect(n: usize, at: impl Fn(usize) -> (f32, f32)) -> Option<(usize, Baseline)> {
        let p = LivenessParams::default();
        let mut c = Collector::default();
        (0..n).find_map(|i| {
            let mut f = resting(i as u64 * 100);
            (f.yaw_deg, f.pitch_deg) = at(i);
            c.push(&f, &p).map(|b| (i, b))
        })
    }

    #[test]
    fn a_face_seen_from_below_gets_a_baseline_at_its_own_pitch() {
        // Looking straight at a camera below the face: the proxy reads ~28° up.
        let (i, b) = collect(30, |i| (1.0, 28.0 + (i % 3) as f32)).expect("a baseline");
        assert_eq!(i, 9, "ten frames over 900 ms are enough");
        assert_eq!(b.pitch_deg, 29.0);
    }

    #[test]
    fn a_turned_face_gets_none() {
        assert!(collect(50, |_| (25.0, 0.0)).is_none());
        assert!(collect(50, |_| (0.0, -40.0)).is_none());
    }

    #[test]
    fn the_baseline_is_the_median_of_the_latest_frames_and_shrugs_off_a_glitch() {
        // Turned away first (not counted), then at rest around 2° with one wild frame.
        let pose = |i: usize| match i {
            0..=9 => (30.0, 0.0),
            15 => (15.0, -25.0),
            _ => (2.0, 1.0),
        };
        let (i, b) = collect(40, pose).expect("a baseline");
        assert_eq!(i, 19, "ten frames facing the camera, from frame 10");
        assert_eq!((b.yaw_deg, b.pitch_deg), (2.0, 1.0));
    }

    #[test]
    fn median_ignores_non_finite_values() {
        assert_eq!(median([3.0, f32::NAN, 1.0, 2.0].into_iter()), Some(2.0));
        assert_eq!(
            median([4.0, 1.0, f32::INFINITY, 2.0, 3.0].into_iter()),
            Some(2.5)
        );
        assert_eq!(median([f32::NAN].into_iter()), None);
    }
}
