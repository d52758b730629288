//! What one camera frame says about reflected light: the mean colour of the face's
//! skin and of the background, as log-chroma.
//!
//! Log-chroma (`ln(r/g)`, `ln(b/g)`) because a camera's white balance and exposure act
//! as per-channel gains: a gain adds the same constant to the log-chroma of *every*
//! pixel, so subtracting the background's log-chroma from the face's cancels any global
//! auto-white-balance or exposure change exactly, while light that reaches the face
//! and not the wall behind (the kiosk screen, ~50 cm away, versus a wall metres away)
//! survives the subtraction.

use image::RgbImage;

use crate::vision::{BoxF, FaceAnalysis};

/// One frame's measurement, stamped with its capture time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChromaSample {
    /// Capture time, monotonic ms (the flow's clock).
    pub captured_ms: u64,
    /// Face skin minus background, `[ln(r/g), ln(b/g)]`.
    pub face_minus_background: [f32; 2],
}

/// Mean linear RGB of the pixels in a set of discs and boxes; `None` when too few
/// pixels were usable (clipped or black pixels carry no colour).
#[derive(Debug, Default, Clone, Copy)]
struct Mean {
    sum: [f64; 3],
    n: u32,
}

impl Mean {
    fn add(&mut self, px: [u8; 3]) {
        // Clipped or near-black pixels have lost their colour; skip them.
        if px.iter().any(|&c| c >= 250 || c <= 6) {
            return;
        }
        for (s, c) in self.sum.iter_mut().zip(px) {
            *s += f64::from(super::sequence::linear(c));
        }
        self.n += 1;
    }

    fn log_chroma(&self, min: u32) -> Option<[f32; 2]> {
        if self.n < min {
            return None;
        }
        let [r, g, b] = self.sum;
        Some([(r / g).ln() as f32, (b / g).ln() as f32])
    }
}

fn disc(image: &RgbImage, centre: (f32, f32), radius: f32, acc: &mut Mean) {
    let (w, h) = (image.width() as i64, image.height() as i64);
    let r = radius.max(1.0);
    let (x0, x1) = ((centre.0 - r) as i64, (centre.0 + r) as i64);
    let (y0, y1) = ((centre.1 - r) as i64, (centre.1 + r) as i64);
    // Every other pixel: the mean of a few hundred pixels is as good as of all.
    for y in (y0.max(0)..=y1.min(h - 1)).step_by(2) {
        for x in (x0.max(0)..=x1.min(w - 1)).step_by(2) {
            let (dx, dy) = (x as f32 - centre.0, y as f32 - centre.1);
            if dx * dx + dy * dy <= r * r {
                acc.add(image.get_pixel(x as u32, y as u32).0);
            }
        }
    }
}

/// The skin patches: both cheeks and the forehead, placed from the five landmarks so
/// they avoid the eyes, brows, nostrils and mouth (whose colour changes with blinking
/// and speaking, not with the light).
pub fn skin_discs(face: &FaceAnalysis) -> [((f32, f32), f32); 3] {
    let p = &face.landmarks;
    let iod = ((p.right_eye.0 - p.left_eye.0).powi(2) + (p.right_eye.1 - p.left_eye.1).powi(2))
        .sqrt()
        .max(4.0);
    let cheek = |eye: (f32, f32), mouth: (f32, f32)| {
        // Below the eye, beside the nose: halfway from eye to mouth corner, pushed out.
        let x = eye.0 + (eye.0 - p.nose.0) * 0.15;
        let y = (eye.1 + mouth.1) / 2.0;
        ((x, y), 0.16 * iod)
    };
    let mid_eyes = (
        (p.left_eye.0 + p.right_eye.0) / 2.0,
        (p.left_eye.1 + p.right_eye.1) / 2.0,
    );
    [
        cheek(p.left_eye, p.mouth_left),
        cheek(p.right_eye, p.mouth_right),
        ((mid_eyes.0, mid_eyes.1 - 0.55 * iod), 0.18 * iod),
    ]
}

/// The background: the two upper corners of the frame, minus anything inside the
/// (enlarged) face box. Upper corners because a standing or seated person's shoulders
/// fill the lower ones.
fn background(image: &RgbImage, face: &BoxF, acc: &mut Mean) {
    let (w, h) = (image.width(), image.height());
    let pad = face.width() * 0.3;
    let (fx1, fx2, fy2) = (face.x1 - pad, face.x2 + pad, face.y2 + pad);
    let band_w = w / 5;
    let band_h = h / 3;
    for y in (0..band_h).step_by(3) {
        for x in (0..band_w).chain(w - band_w..w).step_by(3) {
            let inside = (x as f32) >= fx1 && (x as f32) <= fx2 && (y as f32) <= fy2;
            if !inside {
                acc.add(image.get_pixel(x, y).0);
            }
        }
    }
}

/// Measures one frame; `None` when the skin patches or the background have too few
/// usable pixels (the face is tiny, or the frame is blown out).
pub fn measure(image: &RgbImage, face: &FaceAnalysis, captured_ms: u64) -> Option<ChromaSample> {
    let mut skin = Mean::default();
    for (c, r) in skin_discs(face) {
        disc(image, c, r, &mut skin);
    }
    let mut bg = Mean::default();
    background(image, &face.bbox, &mut bg);
    let s = skin.log_chroma(20)?;
    let b = bg.log_chroma(50)?;
    Some(ChromaSample {
        captured_ms,
        face_minus_background: [s[0] - b[0], s[1] - b[1]],
    })
}
