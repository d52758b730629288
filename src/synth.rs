//! Synthetic replays from one real photo, for tests, demos and benchmarks — never for
//! certifying anyone. A frame sequence is made by warping the photo: a head turn moves
//! the nose and mouth sideways against the eyes, a look up moves them up, a blink
//! stretches the skin above each eye down over it. The warps are crude but they move
//! the landmarks the way a real movement does, which is what the liveness detectors
//! measure; they are documented as synthetic wherever they are used.

pub mod sheet;

use std::path::Path;

use anyhow::{bail, Context};
use image::{Rgb, RgbImage};

use certpoint_protocol::Action;

use crate::vision::{Vision, Wants};

/// Frames per second of the generated replays.
pub const FPS: u32 = 15;

/// Where the face is in the base frame.
#[derive(Debug, Clone, Copy)]
struct FaceGeometry {
    nose: (f32, f32),
    eyes: [(f32, f32); 2],
    /// Inter-ocular distance in pixels.
    iod: f32,
}

/// A base frame (640×480, face centred, ~30 % of the width) and its face geometry.
pub struct Synth {
    base: RgbImage,
    face: FaceGeometry,
}

impl Synth {
    /// Frames `photo`'s single (largest) face in a 640×480 picture, edges replicated so
    /// no black border appears (borders read as a screen bezel to anti-spoofing).
    pub fn from_photo(vision: &mut Vision, photo: &RgbImage) -> anyhow::Result<Synth> {
        let a = vision.analyze(photo, false, Wants::default())?;
        let Some(f) = a.faces.first() else {
            bail!("the photo shows no face")
        };
        let (cx, cy) = f.bbox.centre();
        // Window of 4:3 around the face so it is 30 % of the width, centred slightly
        // above the box centre, as a person standing at the kiosk appears.
        let win_w = f.bbox.width() / 0.30;
        let win_h = win_w * 0.75;
        let (x0, y0) = (cx - win_w / 2.0, cy - win_h / 2.0 + f.bbox.height() * 0.05);
        let k = win_w / 640.0;
        let base = RgbImage::from_fn(640, 480, |x, y| {
            sample_clamped(
                photo,
                x0 + (x as f32 + 0.5) * k - 0.5,
                y0 + (y as f32 + 0.5) * k - 0.5,
            )
        });
        let to_base = |p: (f32, f32)| ((p.0 - x0) / k, (p.1 - y0) / k);
        let eyes = [
            to_base(f.landmarks.left_eye),
            to_base(f.landmarks.right_eye),
        ];
        let iod = (eyes[1].0 - eyes[0].0).hypot(eyes[1].1 - eyes[0].1);
        Ok(Synth {
            base,
            face: FaceGeometry {
                nose: to_base(f.landmarks.nose),
                eyes,
                iod,
            },
        })
    }

    pub fn base(&self) -> &RgbImage {
        &self.base
    }

    /// The frame at pose `(turn, up, closed)`: `turn` in −1..1 (positive = the person's
    /// left), `up` in 0..1, `closed` in 0..1 (eyelids).
    pub fn frame(&self, turn: f32, up: f32, closed: f32) -> RgbImage {
        self.frame_eyes(turn, up, [closed, closed])
    }

    /// [`Synth::frame`] with each eyelid on its own (image-left eye first): a wink.
    pub fn frame_eyes(&self, turn: f32, up: f32, closed: [f32; 2]) -> RgbImage {
        let g = self.face;
        // Displacement peaks at the nose tip and falls off before the eyes, so the nose
        // moves against the eye line as in a real turn. An unmirrored camera sees the
        // person's left on the image's right.
        let (sx, sy) = (0.9 * g.iod, 0.4 * g.iod);
        let (ax, ay) = (0.6 * g.iod * turn, -0.5 * g.iod * up);
        let mut out = RgbImage::new(640, 480);
        for (x, y, px) in out.enumerate_pixels_mut() {
            let (fx, fy) = (x as f32, y as f32);
            let (dx, dy) = (fx - g.nose.0, fy - g.nose.1);
            let w = (-(dx * dx) / (2.0 * sx * sx) - (dy * dy) / (2.0 * sy * sy)).exp();
            *px = sample_clamped(&self.base, fx - ax * w, fy - ay * w);
        }
        for (eye, closed) in g.eyes.into_iter().zip(closed) {
            if closed > 0.0 {
                close_eye(&mut out, &self.base, eye, g.iod, closed);
            }
        }
        out
    }

    /// A replay performing `actions` in order: ~2 s neutral (positioning and the
    /// per-person baseline), then each action followed by a rest.
    pub fn replay(&self, actions: &[Action]) -> Vec<RgbImage> {
        let mut frames = Vec::new();
        let secs = |s: f32| (s * FPS as f32).round() as usize;
        let hold = |frames: &mut Vec<RgbImage>, n: usize| {
            frames.extend(std::iter::repeat_n(self.base.clone(), n))
        };
        hold(&mut frames, secs(2.5));
        for &a in actions {
            let ramp = |t: f32| -> Vec<f32> {
                // out over `t` s, hold, back over `t` s
                let n = secs(t).max(2);
                let mut v: Vec<f32> = (1..=n).map(|i| i as f32 / n as f32).collect();
                v.extend(std::iter::repeat_n(1.0, secs(0.3)));
                v.extend((0..n).rev().map(|i| i as f32 / n as f32));
                v
            };
            match a {
                Action::Blink => {
                    for c in [0.5, 1.0, 1.0, 1.0, 0.5] {
                        frames.push(self.frame(0.0, 0.0, c));
                    }
                }
                Action::TurnLeft | Action::TurnRight => {
                    let sign = if a == Action::TurnLeft { 1.0 } else { -1.0 };
                    frames.extend(
                        ramp(0.6)
                            .into_iter()
                            .map(|t| self.frame(sign * t, 0.0, 0.0)),
                    );
                }
                Action::LookUp => {
                    frames.extend(ramp(0.6).into_iter().map(|t| self.frame(0.0, t, 0.0)))
                }
                // Not synthesised: a still face, so the challenge times out.
                Action::OpenMouth | Action::Nod => {}
            }
            hold(&mut frames, secs(1.0));
        }
        frames
    }
}

/// Writes `frames` as numbered JPEGs into `dir` (created if needed).
pub fn write_replay(frames: &[RgbImage], dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for (i, f) in frames.iter().enumerate() {
        let path = dir.join(format!("frame_{i:05}.jpg"));
        let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut file, 92).encode_image(f)?;
    }
    Ok(())
}

/// Pulls the skin above the eye down over it by `amount` of the eye's height, as a
/// closing upper lid does.
fn close_eye(out: &mut RgbImage, base: &RgbImage, eye: (f32, f32), iod: f32, amount: f32) {
    let (half_w, half_h) = (0.28 * iod, 0.12 * iod);
    let top = eye.1 - half_h;
    let lid = top + amount * 2.0 * half_h;
    let skin = 0.25 * iod; // height of the skin band above the eye that is stretched
    for y in top.floor() as i64..=lid.ceil() as i64 {
        for x in (eye.0 - half_w).floor() as i64..=(eye.0 + half_w).ceil() as i64 {
            if x < 0 || y < 0 || x >= 640 || y >= 480 {
                continue;
            }
            // Feather the sides so no hard edge forms a new contour.
            let edge = 1.0 - ((x as f32 - eye.0).abs() / half_w).powi(4);
            if edge <= 0.0 {
                continue;
            }
            let t = (y as f32 - top) / (lid - top).max(1.0);
            let src_y = top - skin + t * skin;
            let s = sample_clamped(base, x as f32, src_y);
            let o = out.get_pixel(x as u32, y as u32);
            let mix = |a: u8, b: u8| (a as f32 * edge + b as f32 * (1.0 - edge)).round() as u8;
            out.put_pixel(
                x as u32,
                y as u32,
                Rgb([mix(s[0], o[0]), mix(s[1], o[1]), mix(s[2], o[2])]),
            );
        }
    }
}

/// Bilinear sample with coordinates clamped to the image (edge replication).
fn sample_clamped(img: &RgbImage, x: f32, y: f32) -> Rgb<u8> {
    let (w, h) = (img.width() as f32 - 1.0, img.height() as f32 - 1.0);
    let (x, y) = (x.clamp(0.0, w), y.clamp(0.0, h));
    let (x0, y0) = (x.floor(), y.floor());
    let (ax, ay) = (x - x0, y - y0);
    let (x0, y0) = (x0 as u32, y0 as u32);
    let (x1, y1) = ((x0 + 1).min(w as u32), (y0 + 1).min(h as u32));
    let p = |x, y| img.get_pixel(x, y);
    let mut out = [0u8; 3];
    for (c, o) in out.iter_mut().enumerate() {
        let top = p(x0, y0)[c] as f32 * (1.0 - ax) + p(x1, y0)[c] as f32 * ax;
        let bottom = p(x0, y1)[c] as f32 * (1.0 - ax) + p(x1, y1)[c] as f32 * ax;
        *o = (top * (1.0 - ay) + bottom * ay).round() as u8;
    }
    Rgb(out)
}
