//! Face analysis on one frame: detection, landmarks, eyes, head pose, image quality,
//! passive liveness, and the face embedding for matching.
//!
//! [`Vision`] loads every model once (after checking each file's sha256 and the
//! runtime) and reuses sessions and buffers frame after frame. [`Vision::analyze`] gives
//! one [`FrameAnalysis`] with all figures and per-stage timings; the `analyze` and
//! `compare` commands print exactly these.

mod geometry;
mod models;
pub mod runtime;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

pub use geometry::BoxF;
pub use models::{cosine, ARCFACE_112, DETECTION_THRESHOLD};
use models::{AntiSpoof, Detector, Embedder, Iris, Landmarks};

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("{0}")]
    Runtime(String),
    #[error("model file {path} cannot be read ({detail}); expected a file with sha256 {expected}. Reinstall the certpoint package or restore the models/ folder from the repository (models/build-models.sh rebuilds it), and check models.dir in the config")]
    ModelMissing {
        path: PathBuf,
        expected: &'static str,
        detail: String,
    },
    #[error("model file {path} is not the one this certpoint was built for: sha256 {found} ({bytes} bytes), expected {expected}. It is truncated, corrupt or a different version; restore it from the package or rebuild it with models/build-models.sh")]
    ModelMismatch {
        path: PathBuf,
        expected: &'static str,
        found: String,
        bytes: usize,
    },
    #[error("cannot load model {path}: {detail}")]
    ModelLoad { path: PathBuf, detail: String },
    #[error("the {model} model failed: {detail}")]
    Inference { model: &'static str, detail: String },
}

/// Landmark summary: the points a reader can check against the photo.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FacePoints {
    /// Centre of the eye on the image's left (the person's right eye).
    pub left_eye: (f32, f32),
    pub right_eye: (f32, f32),
    pub nose: (f32, f32),
    pub mouth_left: (f32, f32),
    pub mouth_right: (f32, f32),
}

impl FacePoints {
    pub fn five(&self) -> [(f32, f32); 5] {
        [
            self.left_eye,
            self.right_eye,
            self.nose,
            self.mouth_left,
            self.mouth_right,
        ]
    }
}

/// Head pose, approximate degrees in the person's frame: yaw > 0 = turned to their left,
/// pitch > 0 = looking up, roll > 0 = head tilted towards their left shoulder. A
/// geometric proxy from the 68 points (no 3-D model): good for relative movement, which
/// is what the challenges measure; not an absolute angle.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Pose {
    pub yaw: f32,
    pub pitch: f32,
    pub roll: f32,
}

/// Image quality of the face region.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FaceQuality {
    /// Mean luma 0–255 of the face box.
    pub brightness: f32,
    /// Variance of the Laplacian of the 64×64 grey face crop (8-bit levels).
    pub sharpness: f32,
    /// Face width as a fraction of the frame width (≈ distance to the camera).
    pub face_size: f32,
}

/// Everything measured about one face.
#[derive(Debug, Clone, Serialize)]
pub struct FaceAnalysis {
    #[serde(rename = "box")]
    pub bbox: BoxF,
    pub score: f32,
    pub landmarks: FacePoints,
    pub pose: Pose,
    /// Eye openness (lid gap / eye width) of the image-left and image-right eye.
    pub eye_openness: [f32; 2],
    /// Mouth openness: inner-lip gap over mouth width (68-point landmarks).
    pub mouth_openness: f32,
    pub quality: FaceQuality,
    /// Passive anti-spoofing: probability 0–1 that this is a live face (None when not run).
    pub passive_liveness: Option<f32>,
    /// Norm of the raw embedding (None when not computed).
    pub embedding_norm: Option<f32>,
    #[serde(skip)]
    pub embedding: Option<Vec<f32>>,
    /// 68 landmark points (image coordinates), for the liveness detectors.
    #[serde(skip)]
    pub points68: Vec<(f32, f32)>,
}

/// Milliseconds spent per stage.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timings {
    pub detect_ms: f32,
    pub landmarks_ms: f32,
    pub eyes_ms: f32,
    pub liveness_ms: f32,
    pub embedding_ms: f32,
    pub total_ms: f32,
}

/// One analysed frame. `faces` is empty when no face was found; the subject (largest
/// face) comes first and is the only one analysed beyond detection.
#[derive(Debug, Clone, Serialize)]
pub struct FrameAnalysis {
    pub width: u32,
    pub height: u32,
    pub faces: Vec<FaceAnalysis>,
    /// Number of faces the detector found (others beyond the subject get box + score only).
    pub face_count: usize,
    pub timings: Timings,
}

/// What to compute beyond detection, landmarks, eyes, pose and quality.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wants {
    pub liveness: bool,
    pub embedding: bool,
}

/// The loaded models.
pub struct Vision {
    detector: Detector,
    landmarks: Landmarks,
    iris: Iris,
    antispoof: AntiSpoof,
    embedder: Embedder,
    /// Model name → sha256, for the records.
    pub model_hashes: BTreeMap<String, String>,
}

impl Vision {
    /// Checks and loads every model in `dir`. `runtime_lib` overrides where ONNX
    /// Runtime is looked for.
    pub fn load(
        dir: &Path,
        runtime_lib: Option<&Path>,
        threads: usize,
    ) -> Result<Vision, VisionError> {
        let model_hashes = runtime::verify_models(dir)?;
        let env = runtime::environment(runtime_lib)?;
        let open = |spec| runtime::session(&env, dir, spec, threads);
        Ok(Vision {
            detector: Detector::new(open(runtime::DETECTOR)?),
            landmarks: Landmarks::new(open(runtime::LANDMARKS)?),
            iris: Iris::new(open(runtime::IRIS)?),
            antispoof: AntiSpoof::new(open(runtime::ANTISPOOF_V2)?, open(runtime::ANTISPOOF_V1SE)?),
            embedder: Embedder::new(open(runtime::EMBEDDER)?),
            model_hashes,
        })
    }

    /// Analyses `img` (unmirrored camera orientation; pass `mirrored` when it is not).
    pub fn analyze(
        &mut self,
        img: &RgbImage,
        mirrored: bool,
        wants: Wants,
    ) -> Result<FrameAnalysis, VisionError> {
        let t0 = Instant::now();
        let mut timings = Timings::default();
        let ms = |t: Instant| t.elapsed().as_secs_f32() * 1000.0;
        let mut found = self.detector.detect(img)?;
        timings.detect_ms = ms(t0);
        // The subject is the largest face: the person standing at the kiosk.
        found.sort_by(|a, b| b.0.area().total_cmp(&a.0.area()));
        let mut faces = Vec::with_capacity(found.len());
        for (i, (bbox, score)) in found.iter().enumerate() {
            if i == 0 {
                faces.push(self.analyze_face(img, *bbox, *score, mirrored, wants, &mut timings)?);
            } else {
                faces.push(FaceAnalysis::detection_only(*bbox, *score));
            }
        }
        timings.total_ms = ms(t0);
        Ok(FrameAnalysis {
            width: img.width(),
            height: img.height(),
            face_count: found.len(),
            faces,
            timings,
        })
    }

    fn analyze_face(
        &mut self,
        img: &RgbImage,
        bbox: BoxF,
        score: f32,
        mirrored: bool,
        wants: Wants,
        timings: &mut Timings,
    ) -> Result<FaceAnalysis, VisionError> {
        let t = Instant::now();
        let p = self.landmarks.landmarks(img, &bbox)?;
        timings.landmarks_ms = t.elapsed().as_secs_f32() * 1000.0;
        let sharpness = laplacian_variance(self.landmarks.last_grey(), 64);

        let t = Instant::now();
        let left = self.iris.openness(img, p[36], p[39], false)?;
        let right = self.iris.openness(img, p[42], p[45], true)?;
        timings.eyes_ms = t.elapsed().as_secs_f32() * 1000.0;

        let landmarks = five_points(&p);
        let mut pose = pose(&p);
        if mirrored {
            pose.yaw = -pose.yaw;
            pose.roll = -pose.roll;
        }
        let quality = FaceQuality {
            brightness: mean_luma(img, &bbox),
            sharpness,
            face_size: bbox.width() / img.width() as f32,
        };
        let passive_liveness = if wants.liveness {
            let t = Instant::now();
            let v = self.antispoof.real_probability(img, &bbox)?;
            timings.liveness_ms = t.elapsed().as_secs_f32() * 1000.0;
            Some(v)
        } else {
            None
        };
        let (embedding, embedding_norm) = if wants.embedding {
            let t = Instant::now();
            let (e, n) = self.embedder.embed(img, &landmarks.five())?;
            timings.embedding_ms = t.elapsed().as_secs_f32() * 1000.0;
            (Some(e), Some(n))
        } else {
            (None, None)
        };
        Ok(FaceAnalysis {
            bbox,
            score,
            landmarks,
            pose,
            eye_openness: [left, right],
            mouth_openness: mouth_openness(&p),
            quality,
            passive_liveness,
            embedding_norm,
            embedding,
            points68: p.to_vec(),
        })
    }

    /// Embeds the face in `bbox` (landmarks → alignment → embedding), for reference photos
    /// and for faces other than the subject.
    pub fn embed_face(
        &mut self,
        img: &RgbImage,
        bbox: &BoxF,
    ) -> Result<(Vec<f32>, f32), VisionError> {
        let p = self.landmarks.landmarks(img, bbox)?;
        self.embedder.embed(img, &five_points(&p).five())
    }

    /// The aligned 112×112 RGB crop of the last embedding (for the record's face crop).
    pub fn last_aligned_crop(&self) -> RgbImage {
        RgbImage::from_raw(112, 112, self.embedder.last_crop().to_vec())
            .unwrap_or_else(|| RgbImage::new(112, 112))
    }
}

impl FaceAnalysis {
    fn detection_only(bbox: BoxF, score: f32) -> FaceAnalysis {
        let (cx, cy) = bbox.centre();
        FaceAnalysis {
            bbox,
            score,
            landmarks: FacePoints {
                left_eye: (cx, cy),
                right_eye: (cx, cy),
                nose: (cx, cy),
                mouth_left: (cx, cy),
                mouth_right: (cx, cy),
            },
            pose: Pose {
                yaw: f32::NAN,
                pitch: f32::NAN,
                roll: f32::NAN,
            },
            eye_openness: [f32::NAN; 2],
            mouth_openness: f32::NAN,
            quality: FaceQuality {
                brightness: f32::NAN,
                sharpness: f32::NAN,
                face_size: f32::NAN,
            },
            passive_liveness: None,
            embedding_norm: None,
            embedding: None,
            points68: Vec::new(),
        }
    }
}

fn mean(points: &[(f32, f32)]) -> (f32, f32) {
    let n = points.len() as f32;
    let (x, y) = points
        .iter()
        .fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
    (x / n, y / n)
}

fn five_points(p: &[(f32, f32); 68]) -> FacePoints {
    FacePoints {
        left_eye: mean(&p[36..42]),
        right_eye: mean(&p[42..48]),
        nose: p[30],
        mouth_left: p[48],
        mouth_right: p[54],
    }
}

/// Pose proxy (see [`Pose`]): roll from the eye line; in the roll-corrected frame, yaw
/// from the nose tip's offset from the eye midpoint and pitch from the nose tip's height
/// between the eye line and the mouth, both as ratios turned into approximate degrees
/// (a nose tip sits about half an inter-eye distance in front of the eyes).
fn pose(p: &[(f32, f32); 68]) -> Pose {
    let (el, er) = (mean(&p[36..42]), mean(&p[42..48]));
    let (dx, dy) = (er.0 - el.0, er.1 - el.1);
    let iod = dx.hypot(dy).max(1e-3);
    let (c, s) = (dx / iod, dy / iod);
    let local = |q: (f32, f32)| {
        let (x, y) = (q.0 - el.0, q.1 - el.1);
        (c * x + s * y, -s * x + c * y)
    };
    let nose = local(p[30]);
    let mouth_y = (local(p[48]).1 + local(p[54]).1) / 2.0;
    let yaw_ratio = (nose.0 - iod / 2.0) / iod;
    let pitch_ratio = nose.1 / mouth_y.max(1e-3);
    // Frontal faces put the nose tip ~0.6 of the way from the eye line to the mouth
    // (0.64 on the astronaut photo); looking up moves it towards the eyes.
    Pose {
        yaw: (yaw_ratio / 0.5).atan().to_degrees(),
        pitch: ((0.6 - pitch_ratio) / 0.5).atan().to_degrees(),
        roll: dy.atan2(dx).to_degrees(),
    }
}

/// Inner-lip gap (62–66) over mouth width (60–64).
fn mouth_openness(p: &[(f32, f32); 68]) -> f32 {
    let d = |a: (f32, f32), b: (f32, f32)| (a.0 - b.0).hypot(a.1 - b.1);
    d(p[62], p[66]) / d(p[60], p[64]).max(1e-3)
}

fn mean_luma(img: &RgbImage, b: &BoxF) -> f32 {
    let (w, h) = img.dimensions();
    let (x0, y0) = (b.x1.max(0.0) as u32, b.y1.max(0.0) as u32);
    let (x1, y1) = ((b.x2 as u32).min(w), (b.y2 as u32).min(h));
    let (mut sum, mut n) = (0.0f64, 0u32);
    // Every second pixel is plenty for a mean and halves the cost.
    for y in (y0..y1).step_by(2) {
        for x in (x0..x1).step_by(2) {
            let p = img.get_pixel(x, y);
            sum += 0.299 * p[0] as f64 + 0.587 * p[1] as f64 + 0.114 * p[2] as f64;
            n += 1;
        }
    }
    if n == 0 {
        0.0
    } else {
        (sum / n as f64) as f32
    }
}

/// Variance of the 4-neighbour Laplacian over a `side×side` grey image in 0–1 (scaled
/// to 8-bit levels so thresholds read like the usual OpenCV figure).
fn laplacian_variance(grey: &[f32], side: usize) -> f32 {
    let (mut sum, mut sq, mut n) = (0.0f64, 0.0f64, 0.0f64);
    for y in 1..side - 1 {
        for x in 1..side - 1 {
            let at = |x: usize, y: usize| grey[y * side + x] as f64 * 256.0;
            let l = at(x - 1, y) + at(x + 1, y) + at(x, y - 1) + at(x, y + 1) - 4.0 * at(x, y);
            sum += l;
            sq += l * l;
            n += 1.0;
        }
    }
    let m = sum / n;
    (sq / n - m * m) as f32
}
