//! The agency's face engine: the three models a match needs, loaded on first use and
//! shared by every thread of a server.
//!
//! One `Core` behind a [`Mutex`], not a pool: the agency embeds rarely (a reference
//! photo at import, a face crop when a `pending_match` record arrives), each call is
//! short (measured on a 2-core machine, release build: 6.5 ms for a stored crop,
//! 14.5 ms for a 512×640 reference photo, 0.1 s to load), and a server PC has few
//! cores. A pool would multiply the sessions' memory for throughput nobody waits for;
//! if a bulk import ever needs it, several engines can be opened side by side. Calls block: from async code,
//! run them on a blocking thread (`tokio::task::spawn_blocking`).
//!
//! Lazy, because most agency commands (roster import, status, the HTTP API without
//! pending records) never embed a face and should neither pay for the models nor fail
//! when they are absent. A server that wants to fail at start calls [`Engine::load`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use image::RgbImage;

use crate::matching::{decode_crop_jpeg, decode_photo, Core, CropError, PhotoError};
use crate::{runtime, VisionError};

/// Where the engine finds its files.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineSettings {
    /// Directory with the model files (their names and sha256s are compiled in).
    pub models_dir: PathBuf,
    /// `libonnxruntime.so.1.23.2`; `None` tries [`runtime::runtime_candidates`].
    pub runtime_library: Option<PathBuf>,
    /// Threads per model (ONNX Runtime intra-op threads); 1 was fastest for these small
    /// models on a 2-core machine (models/README.md).
    pub intra_threads: usize,
}

impl EngineSettings {
    /// `models_dir` with the runtime found as the kiosk finds it and one thread.
    pub fn new(models_dir: impl Into<PathBuf>) -> EngineSettings {
        EngineSettings {
            models_dir: models_dir.into(),
            runtime_library: None,
            intra_threads: 1,
        }
    }
}

/// Detector, landmarks and embedder, loaded on first use; `Send + Sync`, so one engine
/// (in an `Arc`) serves a whole server.
pub struct Engine {
    settings: EngineSettings,
    core: Mutex<Option<Core>>,
}

impl Engine {
    /// An engine that loads nothing until it is first used (or [`Engine::load`]ed).
    pub fn new(settings: EngineSettings) -> Engine {
        Engine {
            settings,
            core: Mutex::new(None),
        }
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// Checks the three model files (sha256) and ONNX Runtime and opens the sessions,
    /// unless that was done already. A failure names the file and the fix; the next
    /// call tries again, so a restored file needs no restart.
    pub fn load(&self) -> Result<(), VisionError> {
        self.with_core(|_| Ok::<_, VisionError>(()))
    }

    /// Whether the models are loaded.
    pub fn is_loaded(&self) -> bool {
        self.lock().is_some()
    }

    /// Model name → sha256 of the models this engine runs (`detector`, `landmarks68`,
    /// `embedder`), to be stored beside every score and embedding it produces. The
    /// files are refused unless they have exactly these hashes, so this needs no load.
    pub fn model_hashes() -> BTreeMap<String, String> {
        runtime::MATCH_MODELS
            .iter()
            .map(|m| (m.name.to_owned(), m.sha256.to_owned()))
            .collect()
    }

    /// Embeds a reference photo, which must show exactly one face.
    pub fn embed_reference(&self, photo: &RgbImage) -> Result<Vec<f32>, PhotoError> {
        self.with_core(|core| core.embed_reference(photo))
    }

    /// [`Engine::embed_reference`] for the bytes of a JPEG or PNG file.
    pub fn embed_reference_bytes(&self, bytes: &[u8]) -> Result<Vec<f32>, PhotoError> {
        let photo = decode_photo(bytes)?;
        self.embed_reference(&photo)
    }

    /// Embeds the aligned 112×112 face crop a kiosk stored with a record, directly (no
    /// detection): the embedding the kiosk computes for that crop.
    pub fn embed_crop(&self, crop: &RgbImage) -> Result<Vec<f32>, CropError> {
        self.with_core(|core| core.embed_crop(crop))
    }

    /// [`Engine::embed_crop`] for the record's JPEG.
    pub fn embed_crop_jpeg(&self, jpeg: &[u8]) -> Result<Vec<f32>, CropError> {
        let crop = decode_crop_jpeg(jpeg)?;
        self.embed_crop(&crop)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Core>> {
        // A panic while embedding leaves only scratch buffers behind, which every call
        // overwrites; dropping the sessions makes the next call start clean anyway.
        self.core.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            *guard = None;
            guard
        })
    }

    fn with_core<R, E: From<VisionError>>(
        &self,
        f: impl FnOnce(&mut Core) -> Result<R, E>,
    ) -> Result<R, E> {
        let mut guard = self.lock();
        if guard.is_none() {
            let s = &self.settings;
            runtime::verify(&s.models_dir, &runtime::MATCH_MODELS)?;
            let env = runtime::environment(s.runtime_library.as_deref())?;
            *guard = Some(Core::open(&env, &s.models_dir, s.intra_threads.max(1))?);
        }
        let core = guard.as_mut().expect("loaded just above");
        f(core)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<Engine>();
    }

    #[test]
    fn nothing_is_loaded_until_used_and_a_missing_model_names_the_file() {
        let dir = std::env::temp_dir().join("certpoint-face-engine-no-models");
        let engine = Engine::new(EngineSettings::new(&dir));
        assert!(!engine.is_loaded());
        let err = engine.load().unwrap_err().to_string();
        assert!(
            err.contains("face_detect_rfb320.onnx") && err.contains("cannot be read"),
            "{err}"
        );
        assert!(!engine.is_loaded());
        let err = engine.embed_crop(&RgbImage::new(112, 112)).unwrap_err();
        assert!(matches!(err, CropError::Engine(_)), "{err}");
    }

    #[test]
    fn the_recorded_model_ids_are_the_three_checked_files() {
        let h = Engine::model_hashes();
        assert_eq!(
            h.keys().map(String::as_str).collect::<Vec<_>>(),
            ["detector", "embedder", "landmarks68"]
        );
        assert_eq!(h["embedder"], crate::EMBEDDING_MODEL_SHA256);
    }
}
