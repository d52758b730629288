//! Is the face that turned a solid head or a flat (or bent) picture? Pure 2-D geometry on
//! the face-mesh points of a frontal frame and a turned frame.
//!
//! A printed photo or a screen can be tilted, curved or folded, but paper and glass only
//! bend into *developable* surfaces (planes, cylinders, cones, folds): through every point
//! runs a straight line that stays on the surface. So whichever way a picture is bent,
//! some straight line through the painted nose tip carries the points on both sides of
//! it, and when the picture turns, the nose tip stays where that line predicts. A nose
//! sticks out of the face in every direction: no such line exists, and the tip leaves
//! every prediction once the head turns.
//!
//! [`parallax`] therefore predicts the nose tip of the turned frame from four "rulers"
//! through it — nasion to upper lip (vertical), cheek to cheek at nostril height
//! (horizontal), and each inner eye corner to the opposite mouth corner (diagonals) —
//! keeping its position relative to each ruler as it was in the frontal frame, and
//! reports the *smallest* miss over the four, in face widths (outer eye corner to outer
//! eye corner in the frontal frame). A flat picture misses on every ruler by landmark
//! noise only; a plane is predicted on all four, a cylinder or fold at least on the ruler
//! along its straight direction. A head misses on all four.
//!
//! Why not the mesh's z: the model outputs a z for every point of anything that looks
//! like a face, a photo included; it is the model's learned idea of a face's shape, not a
//! measurement, so a photo would "have depth" too. Only how the image points move
//! between two real frames is evidence. Why not one homography over the rigid points
//! (the plane fit [`homography_residual`] also computes, for comparison): it catches a
//! flat, tilted picture, but a bent or folded one is not a plane, so the homography
//! misses its nose too and the picture passes as a head.

/// Mesh indices (MediaPipe face mesh topology).
pub mod points {
    /// Nose tip.
    pub const NOSE_TIP: usize = 1;
    /// Outer eye corners (image left, image right in a frontal unmirrored frame):
    /// their distance in the frontal frame is the unit of the result.
    pub const EYE_OUTER: [usize; 2] = [33, 263];
    /// The rulers through the nose tip: nasion–upper lip, cheek–cheek at nostril
    /// height, inner eye corner–opposite mouth corner (twice).
    pub const RULERS: [(usize, usize); 4] = [(168, 0), (205, 425), (133, 291), (362, 61)];
    /// Points used for the plane (homography) fit: eye corners, brows, forehead, mouth
    /// corners, lip centres, chin; none on the nose, none on the face outline (which
    /// slides over the skin as the head turns).
    pub const PLANE: [usize; 16] = [
        33, 133, 362, 263, 70, 105, 334, 300, 10, 151, 61, 291, 0, 17, 152, 199,
    ];
}

type P = (f32, f32);

fn sub(a: P, b: P) -> P {
    (a.0 - b.0, a.1 - b.1)
}

fn dist(a: P, b: P) -> f32 {
    (a.0 - b.0).hypot(a.1 - b.1)
}

/// Where `n` lands in the turned frame if it keeps its place relative to the ruler
/// `p`–`q` (along it and across it, in ruler lengths).
pub(crate) fn along_ruler(p0: P, q0: P, n0: P, p1: P, q1: P) -> Option<P> {
    let d0 = sub(q0, p0);
    let len2 = d0.0 * d0.0 + d0.1 * d0.1;
    if len2 < 1e-6 {
        return None;
    }
    let u = sub(n0, p0);
    let t = (u.0 * d0.0 + u.1 * d0.1) / len2;
    let s = (d0.0 * u.1 - d0.1 * u.0) / len2;
    let d1 = sub(q1, p1);
    Some((p1.0 + t * d1.0 - s * d1.1, p1.1 + t * d1.1 + s * d1.0))
}

/// The face width unit: outer eye corner to outer eye corner in `frontal`.
fn face_width(frontal: &[P]) -> Option<f32> {
    let [a, b] = points::EYE_OUTER;
    let w = dist(*frontal.get(a)?, *frontal.get(b)?);
    (w.is_finite() && w > 1.0).then_some(w)
}

/// The nose tip's smallest miss over the four rulers (see the module doc), in face
/// widths; `None` when the point sets are not two meshes or degenerate.
pub fn parallax(frontal: &[P], turned: &[P]) -> Option<f32> {
    ruler_misses(frontal, turned)?
        .into_iter()
        .flatten()
        .min_by(f32::total_cmp)
}

/// The same rulers on the 68 iBUG points: nose tip 30; nasion 27 – upper lip 51,
/// nostril wing 31 – 35, inner eye corner 39 – mouth corner 54, 42 – 48; width 36 – 45.
pub fn parallax68(frontal: &[P], turned: &[P]) -> Option<f32> {
    ruler_misses_with(
        frontal,
        turned,
        30,
        [36, 45],
        [(27, 51), (31, 35), (39, 54), (42, 48)],
    )?
    .into_iter()
    .flatten()
    .min_by(f32::total_cmp)
}

/// The nose tip's miss on each of [`points::RULERS`], in face widths.
pub fn ruler_misses(frontal: &[P], turned: &[P]) -> Option<[Option<f32>; 4]> {
    if frontal.len() <= 425 {
        return None;
    }
    ruler_misses_with(
        frontal,
        turned,
        points::NOSE_TIP,
        points::EYE_OUTER,
        points::RULERS,
    )
}

fn ruler_misses_with(
    frontal: &[P],
    turned: &[P],
    n: usize,
    width: [usize; 2],
    rulers: [(usize, usize); 4],
) -> Option<[Option<f32>; 4]> {
    if frontal.len() != turned.len() || rulers.iter().any(|r| r.0.max(r.1) >= frontal.len()) {
        return None;
    }
    let w = dist(*frontal.get(width[0])?, *frontal.get(width[1])?);
    if !(w.is_finite() && w > 1.0) {
        return None;
    }
    Some(rulers.map(|(p, q)| {
        let pred = along_ruler(frontal[p], frontal[q], frontal[n], turned[p], turned[q])?;
        Some(dist(pred, turned[n]) / w).filter(|v| v.is_finite())
    }))
}

/// The plane fit the check does *not* rely on (module doc): a homography from the
/// frontal to the turned frame over [`points::PLANE`], and the nose tip's miss, in face
/// widths. Kept for calibration reports.
pub fn homography_residual(frontal: &[P], turned: &[P]) -> Option<f32> {
    if frontal.len() != turned.len() || frontal.len() <= 300 {
        return None;
    }
    let w = face_width(frontal)?;
    let src: Vec<P> = points::PLANE.iter().map(|&i| frontal[i]).collect();
    let dst: Vec<P> = points::PLANE.iter().map(|&i| turned[i]).collect();
    let h = homography(&src, &dst)?;
    let n = points::NOSE_TIP;
    let v = dist(apply_h(&h, frontal[n]), turned[n]) / w;
    v.is_finite().then_some(v)
}

/// Least-squares homography `src → dst` (DLT with h33 = 1, on points normalised to
/// mean 0 and mean distance √2, Hartley's conditioning). `None` for fewer than four
/// points or a singular system.
pub fn homography(src: &[P], dst: &[P]) -> Option<[f64; 9]> {
    if src.len() < 4 || src.len() != dst.len() {
        return None;
    }
    let norm = |pts: &[P]| -> [f64; 3] {
        let n = pts.len() as f64;
        let (mx, my) = pts.iter().fold((0.0, 0.0), |a, p| {
            (a.0 + p.0 as f64 / n, a.1 + p.1 as f64 / n)
        });
        let md = pts
            .iter()
            .map(|p| (p.0 as f64 - mx).hypot(p.1 as f64 - my))
            .sum::<f64>()
            / n;
        let s = if md > 0.0 { 2f64.sqrt() / md } else { 1.0 };
        [s, mx, my]
    };
    let (ns, nd) = (norm(src), norm(dst));
    // Normal equations AᵀA h = Aᵀb of the 2n × 8 system.
    let mut ata = [[0.0f64; 8]; 8];
    let mut atb = [0.0f64; 8];
    for (s, d) in src.iter().zip(dst) {
        let (x, y) = ((s.0 as f64 - ns[1]) * ns[0], (s.1 as f64 - ns[2]) * ns[0]);
        let (u, v) = ((d.0 as f64 - nd[1]) * nd[0], (d.1 as f64 - nd[2]) * nd[0]);
        let rows = [
            ([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u),
            ([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v),
        ];
        for (r, b) in rows {
            for i in 0..8 {
                atb[i] += r[i] * b;
                for j in 0..8 {
                    ata[i][j] += r[i] * r[j];
                }
            }
        }
    }
    let h = solve8(ata, atb)?;
    let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
    // Undo the conditioning: H = Td⁻¹ · Hn · Ts.
    let ts = [
        ns[0],
        0.0,
        -ns[0] * ns[1],
        0.0,
        ns[0],
        -ns[0] * ns[2],
        0.0,
        0.0,
        1.0,
    ];
    let td_inv = [
        1.0 / nd[0],
        0.0,
        nd[1],
        0.0,
        1.0 / nd[0],
        nd[2],
        0.0,
        0.0,
        1.0,
    ];
    Some(mul3(&td_inv, &mul3(&hn, &ts)))
}

fn mul3(a: &[f64; 9], b: &[f64; 9]) -> [f64; 9] {
    let mut m = [0.0; 9];
    for r in 0..3 {
        for c in 0..3 {
            m[r * 3 + c] = (0..3).map(|k| a[r * 3 + k] * b[k * 3 + c]).sum();
        }
    }
    m
}

pub fn apply_h(h: &[f64; 9], p: P) -> P {
    let (x, y) = (p.0 as f64, p.1 as f64);
    let w = h[6] * x + h[7] * y + h[8];
    (
        ((h[0] * x + h[1] * y + h[2]) / w) as f32,
        ((h[3] * x + h[4] * y + h[5]) / w) as f32,
    )
}

/// Gaussian elimination with partial pivoting.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let piv = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[piv][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, piv);
        b.swap(col, piv);
        let pivot_row = a[col];
        for r in col + 1..8 {
            let f = a[r][col] / pivot_row[col];
            for (v, p) in a[r][col..].iter_mut().zip(&pivot_row[col..]) {
                *v -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = [0.0; 8];
    for r in (0..8).rev() {
        let s: f64 = (r + 1..8).map(|c| a[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / a[r][r];
    }
    Some(x)
}

#[cfg(test)]
#[path = "depth_tests.rs"]
mod tests;
