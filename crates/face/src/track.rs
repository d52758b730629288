//! Doing less per frame: between detections, the subject's box is carried over.
//!
//! A person standing at the kiosk moves little between two frames (66 ms at 15 fps),
//! and the landmark model tolerates a box a few pixels off, so the detector (the most
//! expensive model per frame) runs only every few frames, or at once when the
//! landmarks show the face drifting away from its box. A second person stepping in is
//! therefore seen within `redetect_every` frames. Passive liveness is aggregated over
//! the session by the flow (median), so computing it on every third frame loses
//! nothing but time.

use super::geometry::BoxF;
use super::FrameAnalysis;

#[derive(Debug, Clone)]
pub struct Track {
    /// Run the detector at least every this many frames.
    pub redetect_every: u32,
    /// Compute passive liveness on every this many frames.
    pub liveness_every: u32,
    /// Re-detect when the landmarks' centre has moved more than this fraction of the
    /// box height from where it was at detection.
    pub max_drift: f32,
    last: Option<Carried>,
    since_liveness: u32,
}

#[derive(Debug, Clone)]
struct Carried {
    found: Vec<(BoxF, f32)>,
    /// Landmark centre of the subject when the box was detected.
    anchor: (f32, f32),
    since_detect: u32,
    drifted: bool,
    size: (u32, u32),
}

impl Default for Track {
    fn default() -> Self {
        Track {
            redetect_every: 4,
            liveness_every: 3,
            max_drift: 0.08,
            last: None,
            since_liveness: 0,
        }
    }
}

impl Track {
    /// Starts over (new session, camera reconnected).
    pub fn reset(&mut self) {
        self.last = None;
        self.since_liveness = 0;
    }

    /// The boxes to reuse for this frame, or `None` when the detector must run.
    pub(super) fn reuse(&mut self, width: u32, height: u32) -> Option<Vec<(BoxF, f32)>> {
        let c = self.last.as_mut()?;
        if c.drifted
            || c.since_detect + 1 >= self.redetect_every
            || c.size != (width, height)
            || c.found.is_empty()
        {
            return None;
        }
        c.since_detect += 1;
        Some(c.found.clone())
    }

    /// Whether passive liveness runs on this frame. Never on a frame that also runs the
    /// detector (unless liveness is overdue by a whole period): the two are the most
    /// expensive steps, and keeping them apart keeps the slowest frames fast.
    pub(super) fn liveness_due(&mut self, detected: bool) -> bool {
        let every = self.liveness_every.max(1);
        let waited = self.since_liveness.saturating_add(1);
        let due = waited >= every && (!detected || waited >= 2 * every);
        self.since_liveness = if due { 0 } else { waited };
        due
    }

    /// Learns from the analysed frame: a fresh detection becomes the carried box; on a
    /// carried frame, a drifting face asks for a detection next time.
    pub(super) fn observe(&mut self, a: &FrameAnalysis, detected: bool) {
        let centre = a.faces.first().filter(|f| !f.points68.is_empty()).map(|f| {
            let n = f.points68.len() as f32;
            let (x, y) = f
                .points68
                .iter()
                .fold((0.0, 0.0), |s, p| (s.0 + p.0, s.1 + p.1));
            (x / n, y / n)
        });
        if detected {
            self.last = Some(Carried {
                found: a.faces.iter().map(|f| (f.bbox, f.score)).collect(),
                anchor: centre.unwrap_or_default(),
                since_detect: 0,
                drifted: centre.is_none(),
                size: (a.width, a.height),
            });
            return;
        }
        if let (Some(c), Some(now)) = (self.last.as_mut(), centre) {
            let h = c
                .found
                .first()
                .map(|f| f.0.height())
                .unwrap_or(1.0)
                .max(1.0);
            let d = (now.0 - c.anchor.0).hypot(now.1 - c.anchor.1) / h;
            c.drifted = d > self.max_drift;
        } else {
            self.last = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FaceAnalysis, Timings};

    fn frame(centre: (f32, f32)) -> FrameAnalysis {
        let b = BoxF {
            x1: 200.0,
            y1: 100.0,
            x2: 400.0,
            y2: 350.0,
        };
        let mut f = FaceAnalysis::detection_only(b, 0.99);
        f.points68 = vec![centre; 68];
        FrameAnalysis {
            width: 640,
            height: 480,
            faces: vec![f],
            face_count: 1,
            timings: Timings::default(),
        }
    }

    /// Runs `n` frames with the face centre given per frame; returns (detected, liveness)
    /// per frame.
    fn run(t: &mut Track, centres: impl Iterator<Item = (f32, f32)>) -> Vec<(bool, bool)> {
        centres
            .map(|c| {
                let detected = t.reuse(640, 480).is_none();
                let live = t.liveness_due(detected);
                t.observe(&frame(c), detected);
                (detected, live)
            })
            .collect()
    }

    #[test]
    fn detects_every_fourth_frame_and_never_runs_liveness_with_detection() {
        let mut t = Track::default();
        let got = run(&mut t, std::iter::repeat_n((300.0, 220.0), 24));
        let detections: Vec<usize> = got
            .iter()
            .enumerate()
            .filter(|(_, g)| g.0)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(detections, vec![0, 4, 8, 12, 16, 20]);
        let live = got.iter().filter(|g| g.1).count();
        // Every third frame, postponed past detection frames: at least one frame in four.
        assert!(live >= 24 / 4, "liveness ran on {live} of 24 frames");
        assert!(got.iter().all(|&(d, l)| !(d && l)), "{got:?}");
    }

    #[test]
    fn a_drifting_face_is_detected_again_at_once() {
        let mut t = Track::default();
        // Still, then the landmarks move 30 px (12 % of the 250 px box) on frame 2.
        let centres = [
            (300.0, 220.0),
            (300.0, 220.0),
            (330.0, 220.0),
            (330.0, 220.0),
        ];
        let got = run(&mut t, centres.into_iter());
        assert_eq!(
            got.iter().map(|g| g.0).collect::<Vec<_>>(),
            vec![true, false, false, true]
        );
    }

    #[test]
    fn no_face_means_detect_on_the_next_frame() {
        let mut t = Track::default();
        assert!(t.reuse(640, 480).is_none());
        t.observe(
            &FrameAnalysis {
                width: 640,
                height: 480,
                faces: vec![],
                face_count: 0,
                timings: Timings::default(),
            },
            true,
        );
        assert!(t.reuse(640, 480).is_none(), "nothing to carry");
    }
}
