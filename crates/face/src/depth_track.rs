//! The 3-D check on the image's texture rather than on landmark models' answers.
//!
//! Measured (README, "3-D check"): on a folded photo turned in front of the camera, both
//! landmark models (the face mesh and the 68 points) place the nose tip several pixels
//! away from where the painted nose actually is, because to them a folded face looks like
//! a turned head and they put the nose where a head's would be. Their points carry the
//! models' idea of a face, not only the image. So here each point of a ruler and the
//! nose tip are *found again by their own texture*: the patch around the point in the
//! frontal frame is searched for (normalised cross-correlation) around the landmark
//! model's guess in the turned frame. A painted nose is found where the paint is.

use image::RgbImage;

type P = (f32, f32);

/// Grey level of a pixel, clamped to the frame.
fn grey(img: &RgbImage, x: i64, y: i64) -> f32 {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let p = img.get_pixel(x.clamp(0, w - 1) as u32, y.clamp(0, h - 1) as u32);
    0.299 * p[0] as f32 + 0.587 * p[1] as f32 + 0.114 * p[2] as f32
}

/// Where the `2·half+1` square patch around `p0` in `f0` is found in `f1`, searching
/// `radius` pixels around `guess`: the best normalised cross-correlation, with its value.
/// `None` for a textureless patch (nothing to find).
pub fn find_patch(
    f0: &RgbImage,
    p0: P,
    f1: &RgbImage,
    guess: P,
    half: i64,
    radius: i64,
) -> Option<(P, f32)> {
    let (cx, cy) = (p0.0.round() as i64, p0.1.round() as i64);
    let n = ((2 * half + 1) * (2 * half + 1)) as f32;
    let tpl: Vec<f32> = (-half..=half)
        .flat_map(|dy| (-half..=half).map(move |dx| (dx, dy)))
        .map(|(dx, dy)| grey(f0, cx + dx, cy + dy))
        .collect();
    let mt = tpl.iter().sum::<f32>() / n;
    let st = (tpl.iter().map(|v| (v - mt) * (v - mt)).sum::<f32>()).sqrt();
    if st < 1e-3 * n.sqrt() * 4.0 {
        return None;
    }
    let (gx, gy) = (guess.0.round() as i64, guess.1.round() as i64);
    let mut best: Option<((i64, i64), f32)> = None;
    let mut win = vec![0.0f32; tpl.len()];
    for oy in -radius..=radius {
        for ox in -radius..=radius {
            let (x, y) = (gx + ox, gy + oy);
            let mut k = 0;
            for dy in -half..=half {
                for dx in -half..=half {
                    win[k] = grey(f1, x + dx, y + dy);
                    k += 1;
                }
            }
            let mw = win.iter().sum::<f32>() / n;
            let (mut num, mut sw) = (0.0, 0.0);
            for (a, b) in tpl.iter().zip(&win) {
                num += (a - mt) * (b - mw);
                sw += (b - mw) * (b - mw);
            }
            let ncc = num / (st * sw.sqrt()).max(1e-6);
            if best.is_none_or(|b| ncc > b.1) {
                best = Some(((x, y), ncc));
            }
        }
    }
    // Integer position plus the offset of p0 from its own pixel.
    best.map(|((x, y), v)| {
        (
            (x as f32 + p0.0 - cx as f32, y as f32 + p0.1 - cy as f32),
            v,
        )
    })
}

/// [`crate::depth::parallax`] with the turned frame's points found by texture: the
/// rulers' ends and the nose tip are the mesh points of the frontal frame `f0`, looked
/// for in `f1` around the mesh's guesses `m1`. A ruler whose ends or nose cannot be
/// found (textureless, correlation under 0.6) is left out; `None` if all are.
pub fn parallax_tracked(f0: &RgbImage, m0: &[P], f1: &RgbImage, m1: &[P]) -> Option<f32> {
    use crate::depth::points;
    if m0.len() != m1.len() || m0.len() <= 425 {
        return None;
    }
    let [a, b] = points::EYE_OUTER;
    let w = (m0[a].0 - m0[b].0).hypot(m0[a].1 - m0[b].1);
    if !(w.is_finite() && w > 10.0) {
        return None;
    }
    let half = ((0.06 * w).round() as i64).max(4);
    let radius = ((0.08 * w).round() as i64).max(4);
    let find = |i: usize| {
        find_patch(f0, m0[i], f1, m1[i], half, radius)
            .filter(|(_, ncc)| *ncc >= 0.6)
            .map(|(p, _)| p)
    };
    let nose = find(points::NOSE_TIP)?;
    points::RULERS
        .iter()
        .filter_map(|&(p, q)| {
            let (p1, q1) = (find(p)?, find(q)?);
            let pred = crate::depth::along_ruler(m0[p], m0[q], m0[points::NOSE_TIP], p1, q1)?;
            let v = (pred.0 - nose.0).hypot(pred.1 - nose.1) / w;
            v.is_finite().then_some(v)
        })
        .min_by(f32::total_cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(seed: u32) -> RgbImage {
        let mut s = seed;
        RgbImage::from_fn(120, 120, |_, _| {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let v = (s >> 16) as u8;
            image::Rgb([v, v, v])
        })
    }

    #[test]
    fn a_patch_is_found_where_its_texture_went_and_a_blank_one_not_at_all() {
        let f0 = noise(7);
        // The whole picture moved 5 px right and 3 px down.
        let f1 = RgbImage::from_fn(120, 120, |x, y| {
            *f0.get_pixel(x.saturating_sub(5), y.saturating_sub(3))
        });
        let (p, ncc) = find_patch(&f0, (60.4, 50.0), &f1, (60.0, 50.0), 6, 8).unwrap();
        assert!(
            (p.0 - 65.4).abs() < 1e-3 && (p.1 - 53.0).abs() < 1e-3,
            "{p:?}"
        );
        assert!(ncc > 0.99);
        let blank = RgbImage::from_pixel(120, 120, image::Rgb([90, 90, 90]));
        assert!(find_patch(&blank, (60.0, 60.0), &f1, (60.0, 60.0), 6, 8).is_none());
    }
}
