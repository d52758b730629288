//! The sections that describe this installation: which kiosk it is, where its files
//! are, how it reaches the server, its camera, voice, screen language and logs.
//!
//! Defaults here are the documented ones in the repository's `kiosk-config.toml`; a
//! test in `tests/` keeps the two in step.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::types::{CameraSource, Secret};

/// `[kiosk]`: identity and local storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KioskSection {
    /// Unique per kiosk; goes into every record so the server can tell kiosks apart.
    /// Empty by default because there is no sensible default: the check demands one.
    pub id: String,
    /// Six-digit administrative region code of the office (GB/T 2260).
    pub site_code: String,
    /// Records, audit log, keys and logs live here; created at start if missing.
    pub data_dir: PathBuf,
    /// The key that seals ID numbers and face crops in the record store; `None` means
    /// `<data_dir>/store.key`, made on first start. Moving it off the data disk means
    /// a copied data directory alone does not reveal the records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_key_file: Option<PathBuf>,
}

impl Default for KioskSection {
    fn default() -> Self {
        KioskSection {
            id: String::new(),
            site_code: String::new(),
            data_dir: "data".into(),
            store_key_file: None,
        }
    }
}

/// `[server]`: the central agency server. An empty `url` is offline mode: records
/// queue locally and face matching is left to the server once they sync.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSection {
    pub url: String,
    /// Never serialised, so a dump of the configuration cannot carry it.
    #[serde(skip_serializing)]
    pub token: Secret,
    /// Alternative to `token` that keeps the secret out of a file admins pass around.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// Extra CA certificates (PEM) for a server with a private CA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<PathBuf>,
    pub request_timeout_secs: u64,
    /// The kiosk's record-signing key; `None` means `<data_dir>/kiosk.key`, which
    /// `certpoint keys init` creates — so it is not required to exist at check time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signing_key: Option<PathBuf>,
}

impl Default for ServerSection {
    fn default() -> Self {
        ServerSection {
            url: String::new(),
            token: Secret::default(),
            token_file: None,
            ca_bundle: None,
            request_timeout_secs: 15,
            signing_key: None,
        }
    }
}

impl ServerSection {
    /// Offline mode: no server configured.
    pub fn is_offline(&self) -> bool {
        self.url.is_empty()
    }
}

/// `[camera]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CameraSection {
    pub source: CameraSource,
    /// Requested capture size; the camera may pick the nearest mode it has.
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    /// Show the preview mirrored: people expect to see themselves as in a mirror.
    pub mirror: bool,
    /// Frame rate of a `file:` replay.
    pub replay_fps: u32,
    /// Start a `file:` replay over when it ends (demos); tests turn it off.
    pub replay_loop: bool,
}

impl Default for CameraSection {
    fn default() -> Self {
        CameraSection {
            source: CameraSource::Auto,
            width: 1280,
            height: 720,
            fps: 30,
            mirror: true,
            replay_fps: 15,
            replay_loop: true,
        }
    }
}

/// `[models]`: the ONNX models. The file names and their sha256s are fixed in the
/// binary (the preprocessing is written for exactly those weights); only the folder
/// and the runtime library are the administrator's to choose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelsSection {
    pub dir: PathBuf,
    /// Threads per model; kiosks are small machines that also draw the UI.
    pub intra_threads: usize,
    /// The ONNX Runtime shared library; `None` searches the usual places
    /// (`$CERTPOINT_ORT_LIB`, `~/.cache/certpoint/onnxruntime/`, `/usr/lib/certpoint/`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime_library: Option<PathBuf>,
}

impl Default for ModelsSection {
    fn default() -> Self {
        ModelsSection {
            dir: "models".into(),
            intra_threads: 1,
            runtime_library: None,
        }
    }
}

/// Screen languages the UI has text for.
pub const SUPPORTED_LANGUAGES: [&str; 3] = ["zh-CN", "en", "mn"];

/// `[ui]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiSection {
    /// The language a session starts in.
    pub language: String,
    /// The languages a retiree may switch to.
    pub languages: Vec<String>,
    /// Run in a window instead of full screen (development).
    pub windowed: bool,
}

impl Default for UiSection {
    fn default() -> Self {
        UiSection {
            language: "zh-CN".into(),
            languages: SUPPORTED_LANGUAGES.iter().map(|l| l.to_string()).collect(),
            windowed: false,
        }
    }
}

/// The speakers a voice pack can be for (`[voice] speaker`). Here rather than in
/// `voice_pack` so the config (also built alone by the fuzz crate) validates it.
pub const VOICE_SPEAKERS: [&str; 2] = ["female", "male"];

/// `[voice]`: spoken prompts, for retirees who cannot read the screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VoiceSection {
    pub enabled: bool,
    pub dir: PathBuf,
    /// `female` or `male`: which pack of `<dir>/<lang>/` speaks (the other when a
    /// language has only one).
    pub speaker: String,
    pub volume: f32,
}

impl Default for VoiceSection {
    fn default() -> Self {
        VoiceSection {
            enabled: true,
            dir: "assets/voice".into(),
            speaker: "female".into(),
            volume: 0.8,
        }
    }
}

/// `[retention]`: how long ended records and face crops stay on the kiosk after the
/// server has acknowledged them. Unsynced records are never deleted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetentionSection {
    pub days: u32,
}

impl Default for RetentionSection {
    fn default() -> Self {
        RetentionSection { days: 30 }
    }
}

/// Log levels `logging.level` accepts.
pub const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];

/// `[logging]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoggingSection {
    /// One of [`LOG_LEVELS`]; `RUST_LOG` overrides it for a debugging session.
    pub level: String,
    /// Daily log files kept in `<data_dir>/logs`.
    pub file_max_files: usize,
}

impl Default for LoggingSection {
    fn default() -> Self {
        LoggingSection {
            level: "info".into(),
            file_max_files: 14,
        }
    }
}
