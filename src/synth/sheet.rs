//! A photo as a sheet in front of the camera — flat, curved or folded — turned about
//! the vertical axis and seen through a pinhole camera: the attacks the 3-D check
//! (issue 15 §2) must catch, rendered from a real photo. Synthetic, for tests and the
//! calibration bench only.
//!
//! Rendering is a piecewise-affine warp: the sheet is cut into a grid of small
//! triangles, each corner is bent, turned and projected, and every output pixel inside a
//! projected triangle samples the photo through that triangle's inverse affine map (the
//! nearest triangle wins where the sheet overlaps itself). With 96 cells across the
//! picture, the warp differs from the exact projection by well under a pixel.

use image::{Rgb, RgbImage};

use crate::synth::Synth;
use crate::vision::{Vision, Wants};

/// The printed picture for the attacks: `photo` framed as the kiosk would see the
/// person (640×480, face ~30 % of the width, [`Synth::from_photo`]) and shifted so the
/// nose tip sits on the vertical centre line, where [`Shape`] folds and bends it: as
/// someone faking a head would fold a photo.
pub fn picture_of(vision: &mut Vision, photo: &RgbImage) -> anyhow::Result<RgbImage> {
    let base = Synth::from_photo(vision, photo)?.base().clone();
    let nose_x = vision
        .analyze(&base, false, Wants::default())?
        .faces
        .first()
        .map_or(base.width() as f32 / 2.0, |f| f.landmarks.nose.0);
    let dx = base.width() as f32 / 2.0 - nose_x;
    Ok(RgbImage::from_fn(base.width(), base.height(), |x, y| {
        let sx = (x as f32 - dx)
            .round()
            .clamp(0.0, base.width() as f32 - 1.0) as u32;
        *base.get_pixel(sx, y)
    }))
}

/// How the sheet is shaped before it is turned.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    Flat,
    /// Curved round a vertical axis (a photo held bowed towards the camera), radius in
    /// picture widths.
    CylinderVertical(f32),
    /// Curved round a horizontal axis through the picture's centre.
    CylinderHorizontal(f32),
    /// Folded down the vertical centre line, each half set back by this angle (degrees).
    Fold(f32),
}

impl Shape {
    pub fn name(&self) -> String {
        match self {
            Shape::Flat => "flat".into(),
            Shape::CylinderVertical(r) => format!("cylinder_v_r{r}"),
            Shape::CylinderHorizontal(r) => format!("cylinder_h_r{r}"),
            Shape::Fold(a) => format!("fold_{a}deg"),
        }
    }

    /// Sheet point (u, v) (picture widths, centred, y down) → 3-D (x, y, z), z towards
    /// the camera.
    fn bend(&self, u: f32, v: f32) -> [f32; 3] {
        match *self {
            Shape::Flat => [u, v, 0.0],
            Shape::CylinderVertical(r) => [r * (u / r).sin(), v, r * (u / r).cos() - r],
            Shape::CylinderHorizontal(r) => [u, r * (v / r).sin(), r * (v / r).cos() - r],
            Shape::Fold(deg) => {
                let (s, c) = deg.to_radians().sin_cos();
                [u * c, v, -u.abs() * s]
            }
        }
    }
}

/// Renders `photo` as a sheet of `shape`, turned by `yaw_deg`, into a `w×h` frame on a
/// grey background. The picture spans `width_frac` of the frame width, centred, seen
/// from 3 picture widths away.
pub fn render(
    photo: &RgbImage,
    shape: Shape,
    yaw_deg: f32,
    w: u32,
    h: u32,
    width_frac: f32,
) -> RgbImage {
    let (pw, ph) = (photo.width() as f32, photo.height() as f32);
    let aspect = ph / pw;
    let dist = 3.0;
    // Focal length so that a flat, frontal sheet spans width_frac of the frame.
    let f = width_frac * w as f32 * dist;
    let (sy, cy) = yaw_deg.to_radians().sin_cos();
    let project = |u: f32, v: f32| -> (f32, f32, f32) {
        let [x, y, z] = shape.bend(u, v);
        let (xr, zr) = (cy * x + sy * z, -sy * x + cy * z);
        let depth = dist - zr;
        (
            w as f32 / 2.0 + f * xr / depth,
            h as f32 / 2.0 + f * y / depth,
            depth,
        )
    };
    let n = 96usize;
    let m = ((n as f32) * aspect).round().max(1.0) as usize;
    let grid: Vec<(f32, f32, f32)> = (0..=m)
        .flat_map(|j| (0..=n).map(move |i| (i, j)))
        .map(|(i, j)| {
            project(
                i as f32 / n as f32 - 0.5,
                (j as f32 / m as f32 - 0.5) * aspect,
            )
        })
        .collect();
    let mut out = RgbImage::from_pixel(w, h, Rgb([128, 128, 128]));
    let mut zbuf = vec![f32::INFINITY; (w * h) as usize];
    let src = |i: usize, j: usize| (i as f32 / n as f32 * pw, j as f32 / m as f32 * ph);
    for j in 0..m {
        for i in 0..n {
            let at = |i: usize, j: usize| grid[j * (n + 1) + i];
            for tri in [
                [(i, j), (i + 1, j), (i, j + 1)],
                [(i + 1, j), (i + 1, j + 1), (i, j + 1)],
            ] {
                let d = tri.map(|(a, b)| at(a, b));
                let s = tri.map(|(a, b)| src(a, b));
                fill(&mut out, &mut zbuf, photo, d, s);
            }
        }
    }
    out
}

/// Rasterises one triangle: destination corners `d` (x, y, depth), source corners `s`.
fn fill(
    out: &mut RgbImage,
    zbuf: &mut [f32],
    photo: &RgbImage,
    d: [(f32, f32, f32); 3],
    s: [(f32, f32); 3],
) {
    let (w, h) = (out.width() as i64, out.height() as i64);
    let det = (d[1].0 - d[0].0) * (d[2].1 - d[0].1) - (d[2].0 - d[0].0) * (d[1].1 - d[0].1);
    if det.abs() < 1e-6 {
        return;
    }
    let x0 = d
        .iter()
        .map(|p| p.0)
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as i64;
    let x1 = d
        .iter()
        .map(|p| p.0)
        .fold(f32::MIN, f32::max)
        .ceil()
        .min(w as f32 - 1.0) as i64;
    let y0 = d
        .iter()
        .map(|p| p.1)
        .fold(f32::MAX, f32::min)
        .floor()
        .max(0.0) as i64;
    let y1 = d
        .iter()
        .map(|p| p.1)
        .fold(f32::MIN, f32::max)
        .ceil()
        .min(h as f32 - 1.0) as i64;
    let depth = (d[0].2 + d[1].2 + d[2].2) / 3.0;
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            // Barycentric coordinates of the pixel centre.
            let b1 = ((px - d[0].0) * (d[2].1 - d[0].1) - (d[2].0 - d[0].0) * (py - d[0].1)) / det;
            let b2 = ((d[1].0 - d[0].0) * (py - d[0].1) - (px - d[0].0) * (d[1].1 - d[0].1)) / det;
            let b0 = 1.0 - b1 - b2;
            if b0 < -1e-4 || b1 < -1e-4 || b2 < -1e-4 {
                continue;
            }
            let k = (y * w + x) as usize;
            if depth >= zbuf[k] {
                continue;
            }
            zbuf[k] = depth;
            let u = b0 * s[0].0 + b1 * s[1].0 + b2 * s[2].0;
            let v = b0 * s[0].1 + b1 * s[1].1 + b2 * s[2].1;
            out.put_pixel(x as u32, y as u32, bilinear(photo, u - 0.5, v - 0.5));
        }
    }
}

fn bilinear(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (fx, fy) = (x.floor(), y.floor());
    let (ax, ay) = (x - fx, y - fy);
    let at =
        |xx: i64, yy: i64| *img.get_pixel(xx.clamp(0, w - 1) as u32, yy.clamp(0, h - 1) as u32);
    let (x0, y0) = (fx as i64, fy as i64);
    let (p00, p10, p01, p11) = (
        at(x0, y0),
        at(x0 + 1, y0),
        at(x0, y0 + 1),
        at(x0 + 1, y0 + 1),
    );
    Rgb(std::array::from_fn(|c| {
        let top = p00[c] as f32 * (1.0 - ax) + p10[c] as f32 * ax;
        let bottom = p01[c] as f32 * (1.0 - ax) + p11[c] as f32 * ax;
        (top * (1.0 - ay) + bottom * ay).round().clamp(0.0, 255.0) as u8
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frontal_flat_sheet_is_the_photo_scaled() {
        let photo = RgbImage::from_fn(40, 30, |x, _| Rgb([(x * 6) as u8, 0, 0]));
        let out = render(&photo, Shape::Flat, 0.0, 200, 150, 0.5);
        // Spans 100 px centred: x 50..150; left of it is background.
        assert_eq!(*out.get_pixel(20, 75), Rgb([128, 128, 128]));
        let left = out.get_pixel(55, 75)[0];
        let right = out.get_pixel(145, 75)[0];
        assert!(left < 30 && right > 200, "{left} {right}");
        // Turned, the sheet is narrower.
        let turned = render(&photo, Shape::Flat, 40.0, 200, 150, 0.5);
        let covered = |img: &RgbImage| (0..200).filter(|&x| img.get_pixel(x, 75)[1] == 0).count();
        assert!(covered(&turned) < covered(&out) * 9 / 10);
    }
}
