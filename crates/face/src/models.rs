//! One wrapper per ONNX model: preprocessing into a reused buffer, the run, and the
//! decoding of its outputs. The recipes follow the repository's
//! `bench/python_reference.py`, which is the executable specification (and the speed
//! peer) for this file.

use image::RgbImage;
use ort::session::Session;
use ort::value::TensorRef;

use super::geometry::{affine_crop, fas_box, invert, nms, umeyama, Affine, BoxF};
use super::VisionError;

fn ort_err(model: &'static str) -> impl Fn(ort::Error) -> VisionError {
    move |e| VisionError::Inference {
        model,
        detail: e.to_string(),
    }
}

/// Runs `session` on one float input and hands the named outputs to `read`.
pub(super) fn run<R>(
    session: &mut Session,
    model: &'static str,
    input_name: &'static str,
    shape: [usize; 4],
    data: &[f32],
    read: impl FnOnce(&ort::session::SessionOutputs<'_>) -> Result<R, ort::Error>,
) -> Result<R, VisionError> {
    let tensor = TensorRef::from_array_view((shape, data)).map_err(ort_err(model))?;
    let outputs = session
        .run(ort::inputs![input_name => tensor])
        .map_err(ort_err(model))?;
    read(&outputs).map_err(ort_err(model))
}

/// Interleaved RGB bytes → planar (NCHW) floats through `norm`.
pub(super) fn to_planar(rgb: &[u8], out: &mut [f32], norm: impl Fn(u8) -> f32) {
    let plane = rgb.len() / 3;
    for (i, px) in rgb.chunks_exact(3).enumerate() {
        for (ch, &v) in px.iter().enumerate() {
            out[ch * plane + i] = norm(v);
        }
    }
}

pub(super) fn output<'a>(
    outs: &'a ort::session::SessionOutputs<'_>,
    name: &str,
) -> Result<&'a [f32], ort::Error> {
    let value = outs
        .get(name)
        .ok_or_else(|| ort::Error::new(format!("the model has no output `{name}`")))?;
    Ok(value.try_extract_tensor::<f32>()?.1)
}

/// Ultra-Light RFB-320 face detector.
pub struct Detector {
    pub(super) session: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

/// Detector score below which a candidate is not a face (models/README.md: no misses and
/// no false faces at 0.9 on the test set; a painting scored 0.80).
pub const DETECTION_THRESHOLD: f32 = 0.9;

impl Detector {
    pub fn new(session: Session) -> Self {
        Detector {
            session,
            input: vec![0.0; 3 * 240 * 320],
            crop: Vec::new(),
        }
    }

    /// Faces in `img`, best first, after NMS.
    pub fn detect(&mut self, img: &RgbImage) -> Result<Vec<(BoxF, f32)>, VisionError> {
        let (w, h) = img.dimensions();
        let plane = 240 * 320;
        let scale = if (w, h) == (640, 480) {
            // Exactly 2× the model input: a 2×2 box mean is both exact and cheapest.
            let src = img.as_raw();
            for y in 0..240usize {
                for x in 0..320usize {
                    for c in 0..3 {
                        let at = |dx: usize, dy: usize| {
                            src[((2 * y + dy) * 640 + 2 * x + dx) * 3 + c] as u32
                        };
                        let v = (at(0, 0) + at(1, 0) + at(0, 1) + at(1, 1) + 2) >> 2;
                        self.input[c * plane + y * 320 + x] = (v as f32 - 127.0) / 128.0;
                    }
                }
            }
            2.0
        } else {
            // Any other size: fit into a 4:3 canvas anchored top-left.
            let s = (w as f32 / 320.0).max(h as f32 / 240.0);
            affine_crop(
                img,
                &Affine([s, 0.0, 0.0, 0.0, s, 0.0]),
                320,
                240,
                &mut self.crop,
            );
            to_planar(&self.crop, &mut self.input, |v| (v as f32 - 127.0) / 128.0);
            s
        };
        let mut cands = run(
            &mut self.session,
            "detector",
            "input",
            [1, 3, 240, 320],
            &self.input,
            |o| {
                let scores = output(o, "scores")?;
                let boxes = output(o, "boxes")?;
                let (sx, sy) = (320.0 * scale, 240.0 * scale);
                Ok(scores
                    .chunks_exact(2)
                    .zip(boxes.chunks_exact(4))
                    .filter(|(s, _)| s[1] >= DETECTION_THRESHOLD)
                    .map(|(s, b)| {
                        let clamp = |v: f32, max: f32| v.clamp(0.0, max);
                        let bx = BoxF {
                            x1: clamp(b[0] * sx, w as f32),
                            y1: clamp(b[1] * sy, h as f32),
                            x2: clamp(b[2] * sx, w as f32),
                            y2: clamp(b[3] * sy, h as f32),
                        };
                        (bx, s[1])
                    })
                    .collect::<Vec<_>>())
            },
        )?;
        cands.sort_by(|a, b| b.1.total_cmp(&a.1));
        cands.truncate(50);
        Ok(nms(&cands, 0.4))
    }
}

/// 68-point landmarks (iBUG-300W order) from a 64×64 grey crop.
pub struct Landmarks {
    pub(super) session: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

impl Landmarks {
    pub fn new(session: Session) -> Self {
        Landmarks {
            session,
            input: vec![0.0; 64 * 64],
            crop: Vec::new(),
        }
    }

    pub fn landmarks(
        &mut self,
        img: &RgbImage,
        face: &BoxF,
    ) -> Result<[(f32, f32); 68], VisionError> {
        // faceplugin's convention: a square of side = box height, centred on the box.
        let side = face.height().max(1.0);
        let (cx, cy) = face.centre();
        let (x0, y0) = (cx - side / 2.0, cy - side / 2.0);
        affine_crop(
            img,
            &Affine::rect(x0, y0, side, side, 64, 64),
            64,
            64,
            &mut self.crop,
        );
        for (i, px) in self.crop.chunks_exact(3).enumerate() {
            self.input[i] =
                (0.299 * px[0] as f32 + 0.587 * px[1] as f32 + 0.114 * px[2] as f32) / 256.0;
        }
        run(
            &mut self.session,
            "landmarks68",
            "input",
            [1, 1, 64, 64],
            &self.input,
            |o| {
                // (the grey crop stays in self.input for the sharpness measure)
                let out = output(o, "output")?;
                let mut pts = [(0.0, 0.0); 68];
                for (i, p) in pts.iter_mut().enumerate() {
                    *p = (x0 + out[2 * i] * side, y0 + out[2 * i + 1] * side);
                }
                Ok(pts)
            },
        )
    }

    /// The 64×64 grey face crop of the last call, 0–1 (×256 for 8-bit levels).
    pub fn last_grey(&self) -> &[f32] {
        &self.input
    }
}

/// MediaPipe iris landmark model, used for the eyelid contour (eye openness).
pub struct Iris {
    pub(super) session: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

impl Iris {
    pub fn new(session: Session) -> Self {
        Iris {
            session,
            input: vec![0.0; 3 * 64 * 64],
            crop: Vec::new(),
        }
    }

    /// Openness (upper–lower lid gap over eye width) of the eye between corners `a`, `b`.
    /// `mirror` for the image-right eye: the model was trained on one eye side.
    pub fn openness(
        &mut self,
        img: &RgbImage,
        a: (f32, f32),
        b: (f32, f32),
        mirror: bool,
    ) -> Result<f32, VisionError> {
        let (cx, cy) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        let side = ((b.0 - a.0).hypot(b.1 - a.1) * 2.3).max(1.0);
        let ang = (b.1 - a.1).atan2(b.0 - a.0);
        let (c, s) = (ang.cos(), ang.sin());
        let k = side / 64.0;
        let f = if mirror { -1.0 } else { 1.0 };
        let m = Affine([
            f * k * c,
            -k * s,
            cx - f * k * c * 32.0 + k * s * 32.0,
            f * k * s,
            k * c,
            cy - f * k * s * 32.0 - k * c * 32.0,
        ]);
        affine_crop(img, &m, 64, 64, &mut self.crop);
        to_planar(&self.crop, &mut self.input, |v| v as f32 / 255.0);
        run(
            &mut self.session,
            "iris",
            "input_1",
            [1, 3, 64, 64],
            &self.input,
            |o| {
                let q = output(o, "output_eyes_contours_and_brows")?;
                let p = |i: usize| (q[3 * i], q[3 * i + 1]);
                let dist = |u: (f32, f32), v: (f32, f32)| (u.0 - v.0).hypot(u.1 - v.1);
                Ok(dist(p(12), p(4)) / dist(p(8), p(0)).max(1e-6))
            },
        )
    }
}

/// MiniFASNet V2 (2.7× crop) + V1SE (4.0× crop): passive anti-spoofing.
pub struct AntiSpoof {
    pub(super) v2: Session,
    pub(super) v1se: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

impl AntiSpoof {
    pub fn new(v2: Session, v1se: Session) -> Self {
        AntiSpoof {
            v2,
            v1se,
            input: vec![0.0; 3 * 80 * 80],
            crop: Vec::new(),
        }
    }

    /// Probability (0–1) that the face is a live person, the mean of both models.
    pub fn real_probability(&mut self, img: &RgbImage, face: &BoxF) -> Result<f32, VisionError> {
        let (w, h) = img.dimensions();
        let mut real = 0.0;
        for (scale, which) in [(2.7, 0), (4.0, 1)] {
            let (x0, y0, x1, y1) = fas_box(w, h, face, scale);
            let (sx, sy) = ((x1 + 1 - x0) as f32 / 80.0, (y1 + 1 - y0) as f32 / 80.0);
            affine_crop(
                img,
                &Affine([sx, 0.0, x0 as f32, 0.0, sy, y0 as f32]),
                80,
                80,
                &mut self.crop,
            );
            let plane = 80 * 80;
            for (i, px) in self.crop.chunks_exact(3).enumerate() {
                // BGR, raw 0–255: the training pipeline used OpenCV images unnormalised.
                self.input[i] = px[2] as f32;
                self.input[plane + i] = px[1] as f32;
                self.input[2 * plane + i] = px[0] as f32;
            }
            let (session, name) = if which == 0 {
                (&mut self.v2, "antispoof_v2")
            } else {
                (&mut self.v1se, "antispoof_v1se")
            };
            let logits = run(session, name, "input", [1, 3, 80, 80], &self.input, |o| {
                let l = output(o, "logits")?;
                Ok([l[0], l[1], l[2]])
            })?;
            let max = logits.iter().cloned().fold(f32::MIN, f32::max);
            let e = logits.map(|v| (v - max).exp());
            real += e[1] / (e[0] + e[1] + e[2]);
        }
        Ok(real / 2.0)
    }
}

/// The ArcFace 112×112 five-point template (eyes, nose tip, mouth corners).
pub const ARCFACE_112: [(f32, f32); 5] = [
    (38.2946, 51.6963),
    (73.5318, 51.5014),
    (56.0252, 71.7366),
    (41.5493, 92.3655),
    (70.7299, 92.2041),
];

/// MobileFaceNet-like 512-d face embedding on the aligned 112×112 crop.
pub struct Embedder {
    pub(super) session: Session,
    input: Vec<f32>,
    crop: Vec<u8>,
}

impl Embedder {
    pub fn new(session: Session) -> Self {
        Embedder {
            session,
            input: vec![0.0; 3 * 112 * 112],
            crop: Vec::new(),
        }
    }

    /// Unit-length embedding of the face whose five points are given (image
    /// coordinates), and the raw output's norm (a near-zero norm means a degenerate crop).
    pub fn embed(
        &mut self,
        img: &RgbImage,
        five: &[(f32, f32); 5],
    ) -> Result<(Vec<f32>, f32), VisionError> {
        let to_template = umeyama(five, &ARCFACE_112);
        affine_crop(img, &invert(to_template), 112, 112, &mut self.crop);
        self.embed_crop()
    }

    /// As [`Embedder::embed`] for a face already aligned to the template: the 112×112
    /// crop a kiosk stored with its record. No detection, no landmarks: the crop goes
    /// into the model exactly as the kiosk's own crop did, so the embedding is the one
    /// the kiosk computed for it. The caller checks the size.
    pub fn embed_aligned(&mut self, crop: &RgbImage) -> Result<(Vec<f32>, f32), VisionError> {
        debug_assert_eq!(crop.dimensions(), (112, 112));
        self.crop.clear();
        self.crop.extend_from_slice(crop.as_raw());
        self.embed_crop()
    }

    /// Runs the model on `self.crop` (112×112 RGB) and normalises its output.
    fn embed_crop(&mut self) -> Result<(Vec<f32>, f32), VisionError> {
        to_planar(&self.crop, &mut self.input, |v| (v as f32 - 127.0) / 128.0);
        let mut e = run(
            &mut self.session,
            "embedder",
            "input",
            [1, 3, 112, 112],
            &self.input,
            |o| Ok(output(o, "output")?.to_vec()),
        )?;
        let norm = e.iter().map(|v| v * v).sum::<f32>().sqrt();
        if !norm.is_finite() || norm <= 0.0 {
            return Err(VisionError::Inference {
                model: "embedder",
                detail: format!("embedding norm {norm}"),
            });
        }
        e.iter_mut().for_each(|v| *v /= norm);
        Ok((e, norm))
    }

    /// The 112×112 aligned crop of the last [`Embedder::embed`] call (RGB).
    pub fn last_crop(&self) -> &[u8] {
        &self.crop
    }
}
