//! The 3-D check over a head turn (issue 15 §2): which frames need the face mesh, which
//! frame is the frontal reference, and the attempt's figure. Pure: the driver runs the
//! mesh model when [`DepthTracker::wants_mesh`] says so and hands the points in; the
//! flow compares the figure with the threshold.
//!
//! The per-frame figure is [`crate::vision::depth_track::parallax_tracked`]: how far the
//! nose tip of a turned frame left every position a flat, tilted, curved or folded
//! picture could give it, in face widths, with the points found again by their texture
//! in the turned frame (see `crate::vision::depth` for why a measurement and not the
//! mesh's own z, and `depth_track` for why not the mesh's own 2-D points either: on a
//! folded photo they move the nose where a head's would be). A frame counts once the
//! yaw differs from the frontal reference by at least
//! `min_yaw_deg`; the attempt's figure is the median over those frames, so one bad mesh
//! neither sinks a person nor carries a picture.

use std::sync::Arc;

use image::RgbImage;

use crate::vision::depth_track::parallax_tracked;

type P = (f32, f32);

/// A frame nearer the resting yaw than this is a candidate frontal reference.
const FRONTAL_BAND_DEG: f32 = 4.0;

/// What an attempt's turns showed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DepthSummary {
    /// Median parallax over the turned frames, in face widths.
    pub residual: f32,
    /// Largest yaw change from the frontal reference among them (pose proxy, degrees).
    pub yaw_span_deg: f32,
    /// Number of turned frames measured.
    pub frames: u32,
}

/// Depth evidence of one attempt.
#[derive(Debug, Clone, Default)]
pub struct DepthTracker {
    min_yaw_deg: f32,
    /// Yaw, mesh (x, y) and image of the frontal reference.
    frontal: Option<(f32, Vec<P>, Arc<RgbImage>)>,
    /// (parallax, yaw change) of each turned frame.
    samples: Vec<(f32, f32)>,
}

impl DepthTracker {
    /// `min_yaw_deg`: yaw change from the frontal frame before a frame counts (12°).
    pub fn new(min_yaw_deg: f32) -> DepthTracker {
        DepthTracker {
            min_yaw_deg,
            ..DepthTracker::default()
        }
    }

    pub fn reset(&mut self) {
        *self = DepthTracker::new(self.min_yaw_deg);
    }

    /// Whether a frame at `yaw_deg` is worth a mesh, given the person's resting yaw:
    /// near rest (a fresher frontal reference) or turned far enough from the reference.
    /// Frames in between are skipped, which is most frames of a turn's way out and back.
    pub fn wants_mesh(&self, yaw_deg: f32, rest_yaw_deg: f32) -> bool {
        if !yaw_deg.is_finite() || !rest_yaw_deg.is_finite() {
            return false;
        }
        if (yaw_deg - rest_yaw_deg).abs() <= FRONTAL_BAND_DEG {
            return true;
        }
        self.frontal
            .as_ref()
            .is_some_and(|(y0, ..)| (yaw_deg - y0).abs() >= self.min_yaw_deg)
    }

    /// Takes the frame and its mesh, when [`wants_mesh`](Self::wants_mesh) asked for it.
    pub fn push(&mut self, yaw_deg: f32, rest_yaw_deg: f32, image: &Arc<RgbImage>, mesh: Vec<P>) {
        if !self.wants_mesh(yaw_deg, rest_yaw_deg) {
            return;
        }
        if (yaw_deg - rest_yaw_deg).abs() <= FRONTAL_BAND_DEG {
            // The latest frontal frame: the least posture drift before the next turn.
            self.frontal = Some((yaw_deg, mesh, Arc::clone(image)));
            return;
        }
        if let Some((y0, front, front_img)) = &self.frontal {
            if let Some(v) = parallax_tracked(front_img, front, image, &mesh) {
                self.samples.push((v, (yaw_deg - y0).abs()));
            }
        }
    }

    pub fn summary(&self) -> Option<DepthSummary> {
        if self.samples.is_empty() {
            return None;
        }
        let mut v: Vec<f32> = self.samples.iter().map(|s| s.0).collect();
        v.sort_by(f32::total_cmp);
        let mid = v.len() / 2;
        let residual = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some(DepthSummary {
            residual,
            yaw_span_deg: self.samples.iter().map(|s| s.1).fold(0.0, f32::max),
            frames: self.samples.len() as u32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Mesh points laid out like a frontal face (face width 100 px), offset into a
    /// 300×300 frame.
    fn mesh() -> Vec<P> {
        let mut p = vec![(150.0, 150.0); 468];
        let set: &[(usize, P)] = &[
            (33, (-50.0, 0.0)),
            (263, (50.0, 0.0)),
            (133, (-18.0, 0.0)),
            (362, (18.0, 0.0)),
            (168, (0.0, -2.0)),
            (0, (0.0, 68.0)),
            (205, (-33.0, 45.0)),
            (425, (33.0, 45.0)),
            (61, (-27.0, 75.0)),
            (291, (27.0, 75.0)),
            (1, (0.0, 45.0)),
        ];
        for &(i, q) in set {
            p[i] = (150.0 + q.0, 100.0 + q.1);
        }
        p
    }

    /// Random texture; `nose_dx` moves the texture around the nose tip sideways (a
    /// nose that moved against the rest of the face).
    fn frame(nose_dx: i64) -> Arc<RgbImage> {
        let mut seed = 12345u32;
        let mut img = RgbImage::from_fn(300, 300, |_, _| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let v = (seed >> 16) as u8;
            image::Rgb([v, v, v])
        });
        let src = img.clone();
        for y in 137..=153i64 {
            for x in 142..=158i64 {
                let p = *src.get_pixel(x as u32, y as u32);
                img.put_pixel((x + nose_dx) as u32, y as u32, p);
            }
        }
        Arc::new(img)
    }

    #[test]
    fn turned_frames_are_measured_against_the_latest_frontal_frame() {
        let mut t = DepthTracker::new(12.0);
        assert!(!t.wants_mesh(20.0, 0.0), "no reference yet");
        assert!(t.wants_mesh(2.0, 0.0));
        t.push(2.0, 0.0, &frame(0), mesh());
        assert!(!t.wants_mesh(10.0, 0.0), "not turned far enough");
        assert!(t.wants_mesh(14.5, 0.0));
        t.push(14.5, 0.0, &frame(4), mesh());
        t.push(20.0, 0.0, &frame(6), mesh());
        t.push(22.0, 0.0, &frame(8), mesh());
        let s = t.summary().unwrap();
        assert_eq!(s.frames, 3);
        assert!((s.residual - 0.06).abs() < 0.011, "{s:?}");
        assert!((s.yaw_span_deg - 20.0).abs() < 1e-4);
        t.reset();
        assert!(t.summary().is_none());
        assert!(!t.wants_mesh(f32::NAN, 0.0));
    }

    #[test]
    fn a_texture_that_did_not_move_is_flat_whatever_the_mesh_says() {
        // The mesh model moves its nose point (as it does on a folded photo); the
        // image did not change: the figure follows the image.
        let mut t = DepthTracker::new(12.0);
        t.push(0.0, 0.0, &frame(0), mesh());
        let mut moved = mesh();
        moved[1].0 += 8.0;
        t.push(20.0, 0.0, &frame(0), moved);
        assert!(t.summary().unwrap().residual < 0.011);
    }
}
