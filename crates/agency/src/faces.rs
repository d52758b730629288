//! Server-side faces: the agency's handle on the kiosk's own face pipeline
//! (`certpoint-face`), for embedding reference photos at import and scoring the face
//! crops of `pending_match` records.
//!
//! [`FaceArgs`] are the settings (flags with environment fallbacks, accepted by every
//! command and used by those that embed faces: `serve`, `reference import`); [`Faces`] holds one lazily loaded
//! [`Engine`](certpoint_face::Engine) and the threshold. Every embedding is kept with
//! the sha256 of the model that made it, and a score is refused against a reference
//! embedded by another model: such a number would look like a score and mean nothing,
//! which is how a stranger could be certified.
//!
//! Calls block (one engine, one call at a time: ~7 ms per crop, ~15 ms per reference
//! photo); from the HTTP server, run them on a blocking thread.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use certpoint_face::{
    runtime, CropError, Engine, EngineSettings, PhotoError, ScoreError, DEFAULT_MATCH_THRESHOLD,
    EMBEDDING_MODEL_SHA256,
};

/// Where the agency finds the face models and ONNX Runtime, and its match threshold.
#[derive(Debug, Clone, clap::Args)]
pub struct FaceArgs {
    /// Directory with the face models: the same files (names and sha256s) as the
    /// kiosk's `models.dir`; the certpoint package installs them here.
    #[arg(long = "models", global = true, env = "CERTPOINT_AGENCY_MODELS", default_value = runtime::INSTALLED_MODELS_DIR)]
    pub models: PathBuf,
    /// The ONNX Runtime 1.23.2 library (libonnxruntime.so.1.23.2). Unset: looked for
    /// as the kiosk does (~/.cache/certpoint/onnxruntime/, where
    /// scripts/fetch-onnxruntime installs it, then /usr/lib/certpoint/).
    #[arg(long = "onnxruntime", global = true, env = "CERTPOINT_ORT_LIB")]
    pub onnxruntime: Option<PathBuf>,
    /// Minimum cosine similarity for a server-side match; the kiosks' default
    /// (`[thresholds] face_match`), calibrated for the embedding model.
    #[arg(long = "match-threshold", global = true, env = "CERTPOINT_AGENCY_MATCH_THRESHOLD", default_value_t = DEFAULT_MATCH_THRESHOLD)]
    pub match_threshold: f32,
    /// ONNX Runtime threads per model.
    #[arg(
        long = "face-threads",
        global = true,
        env = "CERTPOINT_AGENCY_FACE_THREADS",
        default_value_t = 1
    )]
    pub face_threads: usize,
}

/// Why a face could not be embedded or scored on the server. `Photo`/`Crop` errors of
/// the `Engine` kind are the server's to fix (models, runtime) and worth retrying; the
/// others belong to the photo, the crop or the stored reference.
#[derive(Debug, thiserror::Error)]
pub enum FacesError {
    #[error("--match-threshold {0} is outside 0 to 1; use a cosine similarity such as {DEFAULT_MATCH_THRESHOLD}")]
    Threshold(f32),
    #[error("--face-threads must be 1 to 8, not {0}")]
    Threads(usize),
    #[error("cannot read the photo {path}: {detail}")]
    Read { path: String, detail: String },
    #[error("reference photo {path}: {source}")]
    Photo {
        path: String,
        #[source]
        source: PhotoError,
    },
    #[error("the record's face crop: {0}")]
    Crop(#[from] CropError),
    #[error("the reference was embedded by model {found}, this server runs {EMBEDDING_MODEL_SHA256}; scores across models mean nothing. Re-import the reference photo (certpoint-agency reference import) to embed it again")]
    OtherModel { found: String },
    #[error("the stored reference embedding: {0}")]
    Stored(#[from] ScoreError),
}

impl FacesError {
    /// Whether the server, not the data, failed (missing model, no runtime): the record
    /// stays pending and is scored again later, it is never judged on this error.
    pub fn is_server_fault(&self) -> bool {
        matches!(
            self,
            FacesError::Photo {
                source: PhotoError::Engine(_),
                ..
            } | FacesError::Crop(CropError::Engine(_))
        )
    }
}

/// A reference embedding with the identity of the model that made it: store both.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceEmbedding {
    pub values: Vec<f32>,
    /// sha256 of the embedding model file (`certpoint_face::EMBEDDING_MODEL_SHA256`).
    pub model_sha256: String,
}

impl ReferenceEmbedding {
    /// As stored: 512 little-endian f32 values.
    pub fn to_bytes(&self) -> Vec<u8> {
        certpoint_face::matching::embedding_to_bytes(&self.values)
    }

    /// Back from storage, with the model sha256 stored beside it.
    pub fn from_bytes(bytes: &[u8], model_sha256: &str) -> Result<Self, FacesError> {
        Ok(ReferenceEmbedding {
            values: certpoint_face::matching::embedding_from_bytes(bytes)?,
            model_sha256: model_sha256.to_owned(),
        })
    }
}

/// One server-side comparison of a record's face crop with a reference: what is stored
/// beside the record.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerScore {
    pub score: f32,
    pub threshold: f32,
    /// `score >= threshold`. Below it the person goes to review, never to certified.
    pub matched: bool,
    /// Model name → sha256 of the models behind the two embeddings (detector,
    /// landmarks68, embedder).
    pub models: BTreeMap<String, String>,
}

/// The agency's face engine and match threshold.
pub struct Faces {
    engine: Engine,
    threshold: f32,
}

impl Faces {
    /// Checks the settings; loads nothing (see [`Faces::load`]).
    pub fn open(args: &FaceArgs) -> Result<Faces, FacesError> {
        if !(1..=8).contains(&args.face_threads) {
            return Err(FacesError::Threads(args.face_threads));
        }
        let settings = EngineSettings {
            models_dir: args.models.clone(),
            runtime_library: args.onnxruntime.clone(),
            intra_threads: args.face_threads,
        };
        Faces::new(Engine::new(settings), args.match_threshold)
    }

    pub fn new(engine: Engine, threshold: f32) -> Result<Faces, FacesError> {
        if !(0.0..=1.0).contains(&threshold) {
            return Err(FacesError::Threshold(threshold));
        }
        Ok(Faces { engine, threshold })
    }

    /// Loads the models now (sha256 checks, ONNX Runtime), for a server that should
    /// refuse to start without them rather than leave records pending.
    pub fn load(&self) -> Result<(), certpoint_face::VisionError> {
        self.engine.load()
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    pub fn threshold(&self) -> f32 {
        self.threshold
    }

    /// Embeds a reference photo (JPEG or PNG bytes); exactly one face or an error
    /// saying which ("no face", "N faces") and how to fix the photo.
    pub fn reference_photo(&self, bytes: &[u8]) -> Result<ReferenceEmbedding, PhotoError> {
        Ok(ReferenceEmbedding {
            values: self.engine.embed_reference_bytes(bytes)?,
            model_sha256: EMBEDDING_MODEL_SHA256.to_owned(),
        })
    }

    /// [`Faces::reference_photo`] for a file named `<id_number>.jpg|.png`; errors name
    /// the file with the ID number masked (they end up in logs and reports).
    pub fn reference_file(&self, path: &Path) -> Result<ReferenceEmbedding, FacesError> {
        let shown = masked_path(path);
        let bytes = std::fs::read(path).map_err(|e| FacesError::Read {
            path: shown.clone(),
            detail: e.to_string(),
        })?;
        self.reference_photo(&bytes)
            .map_err(|source| FacesError::Photo {
                path: shown,
                source,
            })
    }

    /// Scores a record's face crop (the kiosk's 112×112 JPEG) against a reference.
    pub fn score_crop(
        &self,
        crop_jpeg: &[u8],
        reference: &ReferenceEmbedding,
    ) -> Result<ServerScore, FacesError> {
        if reference.model_sha256 != EMBEDDING_MODEL_SHA256 {
            return Err(FacesError::OtherModel {
                found: reference.model_sha256.clone(),
            });
        }
        let live = self.engine.embed_crop_jpeg(crop_jpeg)?;
        let score = certpoint_face::score(&live, &reference.values)?;
        Ok(ServerScore {
            score,
            threshold: self.threshold,
            matched: score >= self.threshold,
            models: Engine::model_hashes(),
        })
    }
}

/// `path` for messages, its file stem masked as an ID number is.
fn masked_path(path: &Path) -> String {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
    let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
    let name = match (stem, ext) {
        (Some(s), Some(e)) => format!("{}.{e}", certpoint_protocol::mask_id_number(&s)),
        (Some(s), None) => certpoint_protocol::mask_id_number(&s),
        _ => return path.display().to_string(),
    };
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => dir.join(name).display().to_string(),
        None => name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> FaceArgs {
        FaceArgs {
            models: PathBuf::from("/nonexistent/models"),
            onnxruntime: None,
            match_threshold: DEFAULT_MATCH_THRESHOLD,
            face_threads: 1,
        }
    }

    #[test]
    fn settings_out_of_range_are_refused_by_name() {
        let bad = FaceArgs {
            match_threshold: 1.5,
            ..args()
        };
        let err = Faces::open(&bad).err().unwrap().to_string();
        assert!(err.contains("--match-threshold 1.5"), "{err}");
        let bad = FaceArgs {
            face_threads: 0,
            ..args()
        };
        assert!(matches!(Faces::open(&bad), Err(FacesError::Threads(0))));
    }

    #[test]
    fn a_reference_from_another_model_is_never_scored() {
        let faces = Faces::open(&args()).unwrap();
        let old = ReferenceEmbedding {
            values: vec![0.0; certpoint_face::EMBEDDING_DIM],
            model_sha256: "0".repeat(64),
        };
        let err = faces.score_crop(b"", &old).unwrap_err();
        assert!(matches!(err, FacesError::OtherModel { .. }), "{err}");
        assert!(err.to_string().contains("reference import"), "{err}");
        assert!(!err.is_server_fault());
    }

    #[test]
    fn missing_models_are_the_servers_fault_and_leave_the_record_pending() {
        let faces = Faces::open(&args()).unwrap();
        let reference = ReferenceEmbedding {
            values: vec![0.0; certpoint_face::EMBEDDING_DIM],
            model_sha256: EMBEDDING_MODEL_SHA256.to_owned(),
        };
        let crop = certpoint_face::matching::encode_crop_jpeg(
            &certpoint_face::image::RgbImage::new(112, 112),
        )
        .unwrap();
        let err = faces.score_crop(&crop, &reference).unwrap_err();
        assert!(err.is_server_fault(), "{err}");
        assert!(err.to_string().contains("/nonexistent/models"), "{err}");
    }

    #[test]
    fn file_names_in_errors_mask_the_id_number() {
        assert_eq!(
            masked_path(Path::new("refs/11010519491231002X.jpg")),
            "refs/1101**********002X.jpg"
        );
        assert_eq!(
            masked_path(Path::new("11010519491231002X.png")),
            "1101**********002X.png"
        );
    }
}
