//! Face analysis on one frame: detection, landmarks, eyes, head pose, image quality,
//! passive liveness, and the face embedding for matching.
//!
//! [`Vision`] loads every model once (after checking each file's sha256 and the
//! runtime) and reuses sessions and buffers frame after frame. [`Vision::analyze`] gives
//! one [`FrameAnalysis`] with all figures and per-stage timings; the `analyze` and
//! `compare` commands print exactly these.

mod face;
mod geometry;
mod models;
pub mod runtime;
mod track;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

pub use geometry::BoxF;
pub use models::{cosine, ARCFACE_112, DETECTION_THRESHOLD};
use models::{AntiSpoof, Detector, Embedder, Iris, Landmarks};
pub use track::Track;

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
    /// A second session of the iris model so both eyes run at once on the two cores.
    iris_b: Iris,
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
            iris_b: Iris::new(open(runtime::IRIS)?),
            antispoof: AntiSpoof::new(open(runtime::ANTISPOOF_V2)?, open(runtime::ANTISPOOF_V1SE)?),
            embedder: Embedder::new(open(runtime::EMBEDDER)?),
            model_hashes,
        })
    }

    /// Analyses `img` from scratch (detection included): for photos and the first frame.
    /// `img` is in unmirrored camera orientation; pass `mirrored` when it is not.
    pub fn analyze(
        &mut self,
        img: &RgbImage,
        mirrored: bool,
        wants: Wants,
    ) -> Result<FrameAnalysis, VisionError> {
        let t0 = Instant::now();
        let found = self.detector.detect(img)?;
        let detect_ms = t0.elapsed().as_secs_f32() * 1000.0;
        let mut a = self.analyze_boxes(img, found, mirrored, wants)?;
        a.timings.detect_ms = detect_ms;
        a.timings.total_ms = t0.elapsed().as_secs_f32() * 1000.0;
        Ok(a)
    }

    /// Analyses the next frame of a sequence, doing less where a kiosk can afford to:
    /// the detector runs only when `track` says so (see [`Track`]), and passive liveness
    /// on every `track.liveness_every`-th frame (`passive_liveness` is `None` on the
    /// others). This is the per-frame path of the kiosk and `certify`.
    pub fn analyze_tracked(
        &mut self,
        img: &RgbImage,
        mirrored: bool,
        wants: Wants,
        track: &mut Track,
    ) -> Result<FrameAnalysis, VisionError> {
        let t0 = Instant::now();
        let (found, detected) = match track.reuse(img.width(), img.height()) {
            Some(found) => (found, false),
            None => (self.detector.detect(img)?, true),
        };
        let detect_ms = t0.elapsed().as_secs_f32() * 1000.0;
        let wants = Wants {
            liveness: wants.liveness && track.liveness_due(detected),
            ..wants
        };
        let mut a = self.analyze_boxes(img, found, mirrored, wants)?;
        track.observe(&a, detected);
        a.timings.detect_ms = if detected { detect_ms } else { 0.0 };
        a.timings.total_ms = t0.elapsed().as_secs_f32() * 1000.0;
        Ok(a)
    }

    fn analyze_boxes(
        &mut self,
        img: &RgbImage,
        mut found: Vec<(BoxF, f32)>,
        mirrored: bool,
        wants: Wants,
    ) -> Result<FrameAnalysis, VisionError> {
        let mut timings = Timings::default();
        // The subject is the largest face: the person standing at the kiosk.
        found.sort_by(|a, b| b.0.area().total_cmp(&a.0.area()));
        let mut faces = Vec::with_capacity(found.len());
        for (i, (bbox, score)) in found.iter().enumerate() {
            if i == 0 {
                let models = face::Models {
                    landmarks: &mut self.landmarks,
                    iris: &mut self.iris,
                    iris_b: &mut self.iris_b,
                    antispoof: &mut self.antispoof,
                    embedder: &mut self.embedder,
                };
                faces.push(face::analyze(
                    models,
                    img,
                    *bbox,
                    *score,
                    mirrored,
                    wants,
                    &mut timings,
                )?);
            } else {
                faces.push(FaceAnalysis::detection_only(*bbox, *score));
            }
        }
        Ok(FrameAnalysis {
            width: img.width(),
            height: img.height(),
            face_count: found.len(),
            faces,
            timings,
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
        self.embedder.embed(img, &face::five_points(&p).five())
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
