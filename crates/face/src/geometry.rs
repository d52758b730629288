//! Image geometry shared by every model: affine resampling, box arithmetic, NMS and the
//! similarity transform used for face alignment.
//!
//! Every crop in the pipeline is one affine resampling, so the preprocessing of each
//! model is a single matrix and matches `bench/python_reference.py` (Pillow's
//! `Image.transform(AFFINE, BILINEAR)`) pixel for pixel up to rounding.

use image::RgbImage;

/// Maps an output pixel centre `(x + 0.5, y + 0.5)` to an input position `(u, v)`:
/// `u = a·x + b·y + c`, `v = d·x + e·y + f`. Input pixel centres sit at `+0.5` too.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Affine(pub [f32; 6]);

impl Affine {
    /// Output `size×size` ← the axis-aligned input rectangle at `(x0, y0)` of `w×h`.
    pub fn rect(x0: f32, y0: f32, w: f32, h: f32, out_w: u32, out_h: u32) -> Affine {
        Affine([w / out_w as f32, 0.0, x0, 0.0, h / out_h as f32, y0])
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let m = &self.0;
        (m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5])
    }
}

/// Resamples `img` through `m` into `out` (RGB, `w×h×3`), bilinear, outside = black.
pub fn affine_crop(img: &RgbImage, m: &Affine, w: u32, h: u32, out: &mut Vec<u8>) {
    let (iw, ih) = (img.width() as i64, img.height() as i64);
    let src = img.as_raw();
    out.clear();
    out.resize((w * h * 3) as usize, 0);
    let px = |x: i64, y: i64, c: usize| -> f32 {
        if x < 0 || y < 0 || x >= iw || y >= ih {
            0.0
        } else {
            src[((y * iw + x) * 3) as usize + c] as f32
        }
    };
    for oy in 0..h {
        for ox in 0..w {
            let (u, v) = m.apply(ox as f32 + 0.5, oy as f32 + 0.5);
            let (fx, fy) = (u - 0.5, v - 0.5);
            let (x0, y0) = (fx.floor(), fy.floor());
            let (ax, ay) = (fx - x0, fy - y0);
            let (x0, y0) = (x0 as i64, y0 as i64);
            let base = ((oy * w + ox) * 3) as usize;
            if x0 < -1 || y0 < -1 || x0 >= iw || y0 >= ih {
                continue;
            }
            for c in 0..3 {
                let top = px(x0, y0, c) * (1.0 - ax) + px(x0 + 1, y0, c) * ax;
                let bottom = px(x0, y0 + 1, c) * (1.0 - ax) + px(x0 + 1, y0 + 1, c) * ax;
                out[base + c] = (top * (1.0 - ay) + bottom * ay).round().clamp(0.0, 255.0) as u8;
            }
        }
    }
}

/// Axis-aligned box in frame pixels.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct BoxF {
    pub x1: f32,
    pub y1: f32,
    pub x2: f32,
    pub y2: f32,
}

impl BoxF {
    pub fn width(&self) -> f32 {
        (self.x2 - self.x1).max(0.0)
    }
    pub fn height(&self) -> f32 {
        (self.y2 - self.y1).max(0.0)
    }
    pub fn area(&self) -> f32 {
        self.width() * self.height()
    }
    pub fn centre(&self) -> (f32, f32) {
        ((self.x1 + self.x2) / 2.0, (self.y1 + self.y2) / 2.0)
    }
    pub fn iou(&self, o: &BoxF) -> f32 {
        let w = (self.x2.min(o.x2) - self.x1.max(o.x1)).max(0.0);
        let h = (self.y2.min(o.y2) - self.y1.max(o.y1)).max(0.0);
        let inter = w * h;
        inter / (self.area() + o.area() - inter + 1e-9)
    }
}

/// Greedy non-maximum suppression; `cands` sorted by score, best first.
pub fn nms(cands: &[(BoxF, f32)], iou: f32) -> Vec<(BoxF, f32)> {
    let mut keep: Vec<(BoxF, f32)> = Vec::new();
    for c in cands {
        if keep.iter().all(|k| k.0.iou(&c.0) <= iou) {
            keep.push(*c);
        }
    }
    keep
}

/// Silent-Face-Anti-Spoofing's `CropImage._get_new_box`: the detector box scaled about
/// its centre (the scale capped so the box fits the frame), shifted back inside, corners
/// truncated to integers. Returns `(x0, y0, x1, y1)`, inclusive.
pub fn fas_box(fw: u32, fh: u32, b: &BoxF, scale: f32) -> (i64, i64, i64, i64) {
    let (fw, fh) = (fw as f32, fh as f32);
    let (x, y, w, h) = (b.x1, b.y1, b.width().max(1.0), b.height().max(1.0));
    let scale = scale.min((fw - 1.0) / w).min((fh - 1.0) / h);
    let (nw, nh) = (w * scale, h * scale);
    let (cx, cy) = (x + w / 2.0, y + h / 2.0);
    let (mut x0, mut y0, mut x1, mut y1) =
        (cx - nw / 2.0, cy - nh / 2.0, cx + nw / 2.0, cy + nh / 2.0);
    if x0 < 0.0 {
        x1 -= x0;
        x0 = 0.0;
    }
    if y0 < 0.0 {
        y1 -= y0;
        y0 = 0.0;
    }
    if x1 > fw - 1.0 {
        x0 -= x1 - fw + 1.0;
        x1 = fw - 1.0;
    }
    if y1 > fh - 1.0 {
        y0 -= y1 - fh + 1.0;
        y1 = fh - 1.0;
    }
    (x0 as i64, y0 as i64, x1 as i64, y1 as i64)
}

/// Least-squares similarity transform (Umeyama, 2-D) taking `src` points onto `dst`.
/// Returns the 2×3 matrix `[s·R | t]` as `[a, b, c, d, e, f]` (src → dst).
pub fn umeyama(src: &[(f32, f32)], dst: &[(f32, f32)]) -> [f32; 6] {
    let n = src.len() as f64;
    let mean = |p: &[(f32, f32)]| {
        let (sx, sy) = p
            .iter()
            .fold((0.0, 0.0), |a, q| (a.0 + q.0 as f64, a.1 + q.1 as f64));
        (sx / n, sy / n)
    };
    let (ms, md) = (mean(src), mean(dst));
    // Covariance dst^T·src / n and the variance of src.
    let (mut a, mut b, mut c, mut d, mut var) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (s, t) in src.iter().zip(dst) {
        let (sx, sy) = (s.0 as f64 - ms.0, s.1 as f64 - ms.1);
        let (tx, ty) = (t.0 as f64 - md.0, t.1 as f64 - md.1);
        a += tx * sx;
        b += tx * sy;
        c += ty * sx;
        d += ty * sy;
        var += sx * sx + sy * sy;
    }
    let (a, b, c, d, var) = (a / n, b / n, c / n, d / n, var / n);
    // For 2-D the optimal rotation has a closed form: angle of (a + d, c − b); the scale
    // is the sum of the singular values (sign-corrected) over the source variance.
    let theta = (c - b).atan2(a + d);
    let (cos, sin) = (theta.cos(), theta.sin());
    let trace = (a + d) * cos + (c - b) * sin;
    let s = if var > 0.0 { trace / var } else { 1.0 };
    let tx = md.0 - s * (cos * ms.0 - sin * ms.1);
    let ty = md.1 - s * (sin * ms.0 + cos * ms.1);
    [
        (s * cos) as f32,
        (-s * sin) as f32,
        tx as f32,
        (s * sin) as f32,
        (s * cos) as f32,
        ty as f32,
    ]
}

/// Inverse of a similarity/affine 2×3 matrix.
pub fn invert(m: [f32; 6]) -> Affine {
    let [a, b, c, d, e, f] = m.map(|v| v as f64);
    let det = a * e - b * d;
    let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
    Affine([ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)].map(|v| v as f32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn umeyama_recovers_a_known_similarity() {
        let (s, th, tx, ty) = (1.7f32, 0.3f32, 12.0, -4.0);
        let src = [
            (0.0, 0.0),
            (10.0, 0.0),
            (5.0, 8.0),
            (1.0, 14.0),
            (9.0, 13.0),
        ];
        let dst: Vec<(f32, f32)> = src
            .iter()
            .map(|&(x, y)| {
                (
                    s * (th.cos() * x - th.sin() * y) + tx,
                    s * (th.sin() * x + th.cos() * y) + ty,
                )
            })
            .collect();
        let m = umeyama(&src, &dst);
        for (p, q) in src.iter().zip(&dst) {
            let (u, v) = Affine(m).apply(p.0, p.1);
            assert!((u - q.0).abs() < 1e-3 && (v - q.1).abs() < 1e-3, "{m:?}");
        }
        let back = invert(m).apply(dst[2].0, dst[2].1);
        assert!((back.0 - 5.0).abs() < 1e-3 && (back.1 - 8.0).abs() < 1e-3);
    }

    #[test]
    fn identity_crop_copies_pixels_and_outside_is_black() {
        let img = RgbImage::from_fn(4, 3, |x, y| image::Rgb([x as u8 * 10, y as u8 * 10, 7]));
        let mut out = Vec::new();
        affine_crop(
            &img,
            &Affine::rect(0.0, 0.0, 4.0, 3.0, 4, 3),
            4,
            3,
            &mut out,
        );
        assert_eq!(&out, img.as_raw());
        affine_crop(
            &img,
            &Affine::rect(100.0, 100.0, 4.0, 3.0, 4, 3),
            4,
            3,
            &mut out,
        );
        assert!(out.iter().all(|&v| v == 0));
    }

    #[test]
    fn fas_box_stays_inside_the_frame() {
        let b = BoxF {
            x1: 600.0,
            y1: 10.0,
            x2: 639.0,
            y2: 60.0,
        };
        let (x0, y0, x1, y1) = fas_box(640, 480, &b, 4.0);
        assert!(
            x0 >= 0 && y0 >= 0 && x1 <= 639 && y1 <= 479,
            "{x0} {y0} {x1} {y1}"
        );
        assert_eq!(x1, 639);
    }

    #[test]
    fn nms_drops_overlaps() {
        let a = BoxF {
            x1: 0.0,
            y1: 0.0,
            x2: 10.0,
            y2: 10.0,
        };
        let b = BoxF {
            x1: 1.0,
            y1: 1.0,
            x2: 11.0,
            y2: 11.0,
        };
        let c = BoxF {
            x1: 50.0,
            y1: 50.0,
            x2: 60.0,
            y2: 60.0,
        };
        let kept = nms(&[(a, 0.99), (b, 0.95), (c, 0.9)], 0.4);
        assert_eq!(kept.len(), 2);
    }
}
