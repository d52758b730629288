//! ONNX Runtime and the model files: found, checked, loaded once.
//!
//! The runtime is the PyPI `onnxruntime` wheel's shared library, loaded at run time
//! (`scripts/fetch-onnxruntime` installs it). The model files are checked against the
//! sha256 values compiled into this binary, because the preprocessing code is written
//! for exactly those weights: a different file, even a "better" one, would be silently
//! wrong. Every failure names the file, the expected value and the fix.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ort::environment::Environment;
use ort::session::builder::GraphOptimizationLevel;
use ort::session::Session;
use sha2::{Digest, Sha256};

use super::VisionError;

/// The ONNX Runtime release this build is pinned to (see models/README.md, "Runtime").
pub const ORT_VERSION: &str = "1.23.2";

/// One model file the pipeline needs.
#[derive(Debug, Clone, Copy)]
pub struct ModelSpec {
    /// Key used in records (`models` map) and errors.
    pub name: &'static str,
    pub file: &'static str,
    pub sha256: &'static str,
}

pub const DETECTOR: ModelSpec = ModelSpec {
    name: "detector",
    file: "face_detect_rfb320.onnx",
    sha256: "6c0256ccd3164f844736a401faf936ec2930764a87ae39442180887d0c5c8854",
};
pub const LANDMARKS: ModelSpec = ModelSpec {
    name: "landmarks68",
    file: "face_landmark68.onnx",
    sha256: "f10b0ba1d2a8a099adefede1ebf3733e44fe370715e7303dbeb7f59c02142258",
};
pub const IRIS: ModelSpec = ModelSpec {
    name: "iris",
    file: "iris_landmark.onnx",
    sha256: "d330c936d10d2f655de13f18216ae72baecbad8077f49bd7d155f370936a46ba",
};
pub const EMBEDDER: ModelSpec = ModelSpec {
    name: "embedder",
    file: "face_embed_mobilefacenet.onnx",
    sha256: "87aacdfe57510db2af90c0251df680e8eec88f122ee94712121d09bcaaaf3581",
};
pub const ANTISPOOF_V2: ModelSpec = ModelSpec {
    name: "antispoof_v2",
    file: "minifasnet_v2_2.7_80x80.onnx",
    sha256: "1f0fa56dad894005f31cec13d11844de527bb05c8d4160dd3c5bf21d04c1f9a0",
};
pub const ANTISPOOF_V1SE: ModelSpec = ModelSpec {
    name: "antispoof_v1se",
    file: "minifasnet_v1se_4.0_80x80.onnx",
    sha256: "1d88aa37a820636876157ff4443def3470efc360cab15053c679703d13d0e48c",
};

/// MediaPipe's 468-point face mesh: run only during head turns, for the 3-D check
/// ([`crate::depth`]).
pub const MESH: ModelSpec = ModelSpec {
    name: "mesh468",
    file: "face_mesh468.onnx",
    sha256: "bb88a08bc2919b6fc2e9e808ba1627942694b29cde9ce688d85b8fb0fcf46623",
};

pub const ALL_MODELS: [ModelSpec; 7] = [
    DETECTOR,
    LANDMARKS,
    IRIS,
    EMBEDDER,
    ANTISPOOF_V2,
    ANTISPOOF_V1SE,
    MESH,
];

/// The models a match needs (the agency's [`Engine`](crate::Engine) loads only these):
/// a reference photo goes through all three, a stored face crop through the embedder.
pub const MATCH_MODELS: [ModelSpec; 3] = [DETECTOR, LANDMARKS, EMBEDDER];

/// Checks every model file in `dir`; returns name → sha256 for the records.
pub fn verify_models(dir: &Path) -> Result<BTreeMap<String, String>, VisionError> {
    verify(dir, &ALL_MODELS)
}

/// Checks the files of `specs` in `dir` against their compiled-in sha256s; returns
/// name → sha256.
pub fn verify(dir: &Path, specs: &[ModelSpec]) -> Result<BTreeMap<String, String>, VisionError> {
    let mut out = BTreeMap::new();
    for &spec in specs {
        let path = dir.join(spec.file);
        let bytes = std::fs::read(&path).map_err(|e| VisionError::ModelMissing {
            path: path.clone(),
            expected: spec.sha256,
            detail: e.to_string(),
        })?;
        let found: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if found != spec.sha256 {
            return Err(VisionError::ModelMismatch {
                path,
                expected: spec.sha256,
                found,
                bytes: bytes.len(),
            });
        }
        out.insert(spec.name.to_owned(), found);
    }
    Ok(out)
}

/// Where the models are installed by the certpoint package (packaging/build-deb).
pub const INSTALLED_MODELS_DIR: &str = "/usr/share/certpoint/models";

/// Where the runtime library is looked for, in order, when the config names none:
/// `$CERTPOINT_ORT_LIB`, `$CERTPOINT_RUNTIME_DIR/`, `~/.cache/certpoint/onnxruntime/`
/// (where scripts/fetch-onnxruntime puts it) and `/usr/lib/certpoint/` (the package).
pub fn runtime_candidates() -> Vec<PathBuf> {
    let lib = format!("libonnxruntime.so.{ORT_VERSION}");
    let mut v = Vec::new();
    if let Some(p) = std::env::var_os("CERTPOINT_ORT_LIB") {
        v.push(PathBuf::from(p));
    }
    if let Some(dir) = std::env::var_os("CERTPOINT_RUNTIME_DIR") {
        v.push(PathBuf::from(dir).join(&lib));
    }
    if let Some(home) = std::env::var_os("HOME") {
        v.push(
            PathBuf::from(home)
                .join(".cache/certpoint/onnxruntime")
                .join(&lib),
        );
    }
    v.push(PathBuf::from("/usr/lib/certpoint").join(&lib));
    v
}

static ENV: OnceLock<Result<Environment, String>> = OnceLock::new();

/// Loads ONNX Runtime once per process (it allows one environment per process).
/// `configured` is the kiosk's `models.runtime_library` or the agency's flag, when set;
/// otherwise [`runtime_candidates`] are tried. The first call decides for the process.
pub fn environment(configured: Option<&Path>) -> Result<Environment, VisionError> {
    let candidates = match configured {
        Some(p) => vec![p.to_owned()],
        None => runtime_candidates(),
    };
    let result = ENV.get_or_init(|| {
        let Some(path) = candidates.iter().find(|p| p.is_file()) else {
            return Err(format!(
                "ONNX Runtime {ORT_VERSION} was not found (looked for {}). Install it with scripts/fetch-onnxruntime, or name the libonnxruntime.so.{ORT_VERSION} file: models.runtime_library in the kiosk's config, --onnxruntime for certpoint-agency, or CERTPOINT_ORT_LIB",
                candidates.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
        };
        let builder = ort::init_from(path).map_err(|e| {
            format!("cannot load ONNX Runtime from {}: {e}. It must be ONNX Runtime {ORT_VERSION} for x86_64 Linux; reinstall it with scripts/fetch-onnxruntime", path.display())
        })?;
        builder
            .with_name("certpoint")
            .build()
            .map_err(|e| format!("cannot start ONNX Runtime from {}: {e}", path.display()))
    });
    result.clone().map_err(VisionError::Runtime)
}

/// Opens one model with the pipeline's session options (the same on kiosk and agency,
/// so both compute the same numbers).
pub fn session(
    env: &Environment,
    dir: &Path,
    spec: ModelSpec,
    threads: usize,
) -> Result<Session, VisionError> {
    let path = dir.join(spec.file);
    let err = |e: ort::Error| VisionError::ModelLoad {
        path: path.clone(),
        detail: e.to_string(),
    };
    Session::builder(env)
        .map_err(err)?
        .with_optimization_level(GraphOptimizationLevel::Level3)
        .map_err(|e| err(e.into()))?
        .with_intra_threads(threads)
        .map_err(|e| err(e.into()))?
        .with_inter_threads(1)
        .map_err(|e| err(e.into()))?
        .commit_from_file(&path)
        .map_err(err)
}
