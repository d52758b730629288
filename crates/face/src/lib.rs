//! certpoint-face: the face pipeline of the certpoint kiosk and its agency server.
//!
//! Checked ONNX models (each file's sha256 is compiled in), the ONNX Runtime
//! environment, face detection, 68-point landmarks, five-point alignment, the 512-d
//! embedding, passive anti-spoofing and the kiosk's per-frame analysis.
//!
//! Two entry points, one pipeline:
//! - [`Vision`] (the kiosk, `certpoint::vision`): all six models, one
//!   [`FrameAnalysis`] per camera frame with every figure the liveness checks and the
//!   positioning hints need; [`Track`] decides which models run on which frame.
//! - [`Engine`] (the agency server): only detector, landmarks and embedder, loaded on
//!   first use, shareable between threads; embeds reference photos (exactly one face)
//!   and the aligned face crops kiosks store with their records.
//!
//! Both embed through the same code ([`matching`]), so a server-side score is the
//! score the kiosk would compute. Record [`EMBEDDING_MODEL_SHA256`] beside every score
//! and embedding; [`DEFAULT_MATCH_THRESHOLD`] is calibrated for that model.
//!
//! Why the whole pipeline lives here and not only the matching part: the kiosk-only
//! pieces (iris/eye openness, pose, image quality, passive anti-spoofing, tracking) load
//! through the same checked runtime, share the geometry and the per-frame scheduling in
//! [`Vision::analyze_tracked`], and add no dependency the agency would not build anyway
//! (ONNX Runtime and `image`); splitting them off would leave a second crate whose only
//! content reaches into this one's private models. What stays in the kiosk is what
//! judges a *session* rather than a face: active liveness over a sequence of frames,
//! the certification flow, the camera.
//!
//! Files: [`runtime`] finds ONNX Runtime (the kiosk's `models.runtime_library`, the
//! agency's flag, `$CERTPOINT_ORT_LIB`, then where `scripts/fetch-onnxruntime` and the
//! package put it) and checks the model files; the model directory is the caller's
//! setting (`models.dir` in the kiosk's config, [`runtime::INSTALLED_MODELS_DIR`] once
//! packaged). Failures name the file, the expected value and the fix.

pub mod depth;
pub mod depth_track;
mod engine;
mod face;
mod geometry;
pub mod matching;
mod mesh;
mod models;
pub mod runtime;
mod track;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use image::RgbImage;
use serde::Serialize;

pub use engine::{Engine, EngineSettings};
pub use geometry::BoxF;
/// The `image` crate this API speaks (`RgbImage`), so callers need no second copy.
pub use image;
use matching::Core;
pub use matching::{
    cosine, score, CropError, PhotoError, ScoreError, CROP_SIZE, DEFAULT_MATCH_THRESHOLD,
    EMBEDDING_DIM, EMBEDDING_MODEL_SHA256,
};
use mesh::Mesh;
pub use mesh::{FaceMesh, MESH_POINTS};
use models::{AntiSpoof, Iris};
pub use models::{ARCFACE_112, DETECTION_THRESHOLD};
pub use track::Track;

#[derive(Debug, thiserror::Error)]
pub enum VisionError {
    #[error("{0}")]
    Runtime(String),
    #[error("model file {path} cannot be read ({detail}); expected a file with sha256 {expected}. Reinstall the certpoint package or restore the models/ folder from the repository (models/build-models.sh rebuilds it), and check the models directory (models.dir in the kiosk's config, --models for certpoint-agency)")]
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
    /// Detector, landmarks, embedder: what the agency's [`Engine`] runs too.
    core: Core,
    iris: Iris,
    /// A second session of the iris model so both eyes run at once on the two cores.
    iris_b: Iris,
    antispoof: AntiSpoof,
    /// The 468-point face mesh: not part of the per-frame analysis; the kiosk asks for
    /// it ([`Vision::face_mesh`]) only while a head turn is being checked.
    mesh: Mesh,
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
            core: Core::open(&env, dir, threads)?,
            iris: Iris::new(open(runtime::IRIS)?),
            iris_b: Iris::new(open(runtime::IRIS)?),
            antispoof: AntiSpoof::new(open(runtime::ANTISPOOF_V2)?, open(runtime::ANTISPOOF_V1SE)?),
            mesh: Mesh::new(open(runtime::MESH)?),
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
        let found = self.core.detector.detect(img)?;
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
            None => (self.core.detector.detect(img)?, true),
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
                    landmarks: &mut self.core.landmarks,
                    iris: &mut self.iris,
                    iris_b: &mut self.iris_b,
                    antispoof: &mut self.antispoof,
                    embedder: &mut self.core.embedder,
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

    /// The 468-point mesh of an analysed face (its region comes from the face's 68
    /// landmarks, as MediaPipe's tracking takes it from the previous landmarks); `None`
    /// for a detection-only face or when the model sees no face there. About 2 ms, so
    /// the kiosk runs it only during head turns (the 3-D check, [`depth`]).
    pub fn face_mesh(
        &mut self,
        img: &RgbImage,
        face: &FaceAnalysis,
    ) -> Result<Option<FaceMesh>, VisionError> {
        if face.points68.len() != 68 {
            return Ok(None);
        }
        self.mesh.mesh(img, &face.points68)
    }

    /// Embeds the face in `bbox` (landmarks → alignment → embedding): the live face of
    /// the best frame. Returns the unit embedding and the raw output's norm.
    pub fn embed_face(
        &mut self,
        img: &RgbImage,
        bbox: &BoxF,
    ) -> Result<(Vec<f32>, f32), VisionError> {
        self.core.embed_face(img, bbox)
    }

    /// Embeds a photo that must show exactly one face (a reference photo; `compare`).
    /// The same rule and code as the agency's [`Engine::embed_reference`].
    pub fn embed_reference(&mut self, photo: &RgbImage) -> Result<Vec<f32>, PhotoError> {
        self.core.embed_reference(photo)
    }

    /// The aligned 112×112 RGB crop of the last embedding (for the record's face crop).
    pub fn last_aligned_crop(&self) -> RgbImage {
        RgbImage::from_raw(
            CROP_SIZE,
            CROP_SIZE,
            self.core.embedder.last_crop().to_vec(),
        )
        .unwrap_or_else(|| RgbImage::new(CROP_SIZE, CROP_SIZE))
    }

    /// [`Vision::last_aligned_crop`] as the JPEG a record carries, which the agency
    /// embeds with [`Engine::embed_crop_jpeg`].
    pub fn last_crop_jpeg(&self) -> Result<Vec<u8>, CropError> {
        matching::encode_crop_jpeg(&self.last_aligned_crop())
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
