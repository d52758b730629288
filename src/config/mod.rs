//! The administrator's `kiosk-config.toml`: one serde tree, every key defaulted so a
//! minimal file works, validated completely at load.
//!
//! Administrators edit this file by hand on a kiosk in an office, often over a remote
//! session, and a round trip per mistake is expensive. So loading reports **every**
//! problem at once, each with file, line, column, key, what is wrong and what to write
//! instead (see [`Problem`]). `certpoint check-config` prints exactly that list.
//!
//! Loading runs in two passes: the `load` module collects the structural problems
//! (syntax, unknown keys, wrong types, unparseable values) by retrying serde with each
//! bad key removed; then `validate` checks ranges, cross-field rules and paths on the
//! typed result. Relative paths in the file resolve against the file's directory
//! ([`LoadedConfig::path_of`]), so the kiosk behaves the same from any working directory.

mod card_reader;
mod depth;
pub(crate) mod flash;
mod install;
mod load;
mod locate;
mod paper;
// For voice_pack's manifest errors; the fuzz crate builds config without voice_pack.
#[allow(unused_imports)]
pub(crate) use locate::line_col;
pub mod permissions;
mod policy;
mod reference_cache;
mod rules;
mod types;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use card_reader::{parse_decoder, CardReaderSection, DecoderCommand, CARD_READER_BAUDS};
pub use depth::{DepthCheckSection, DEFAULT_DEPTH_THRESHOLD};
pub use flash::FlashSection;
pub use install::{
    CameraSection, KioskSection, LoggingSection, ModelsSection, RetentionSection, ServerSection,
    UiSection, VoiceSection, LOG_LEVELS, SUPPORTED_LANGUAGES, VOICE_SPEAKERS,
};
pub use paper::{is_printer_name, PaperSection, OFFICE_NAME_MAX, RECEIPT_SIZES};
pub use policy::{ChallengeSection, ClerkSection, FlowSection, Thresholds, WindowSection};
pub use reference_cache::ReferenceCacheSection;
pub use types::{CameraSource, MonthDay, Secret, ValueError};

/// File name of the record store's key when `kiosk.store_key_file` is unset, inside the
/// data directory. (Here, not in `store`, so the configuration stands on its own.)
pub const STORE_KEY_FILE: &str = "store.key";

/// The whole configuration. Paths in it are as written; resolve them with
/// [`LoadedConfig::path_of`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub kiosk: KioskSection,
    pub server: ServerSection,
    pub camera: CameraSection,
    pub models: ModelsSection,
    pub thresholds: Thresholds,
    pub challenges: ChallengeSection,
    pub flow: FlowSection,
    pub clerk: ClerkSection,
    pub ui: UiSection,
    pub voice: VoiceSection,
    pub certification_window: WindowSection,
    pub retention: RetentionSection,
    pub logging: LoggingSection,
    /// The offline reference cache (signed agency bundle of reference embeddings).
    pub reference_cache: ReferenceCacheSection,
    /// Active-liveness detector thresholds (see `crate::liveness::LivenessParams`).
    pub liveness: crate::liveness::LivenessParams,
    /// The ID card reader (`crate::card_reader`).
    pub card_reader: CardReaderSection,
    /// Printed papers: certificates of assistance, receipt slips (`crate::paper`).
    pub paper: PaperSection,
    /// The 3-D check during head turns (`crate::liveness::DepthTracker`).
    pub depth_check: DepthCheckSection,
    /// The screen-flash challenge (`crate::flash`); off by default.
    pub flash: FlashSection,
}

/// A validated configuration and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    pub config: Config,
    /// The file, absolute.
    pub path: PathBuf,
    /// The file's directory; relative paths in the file resolve against it.
    pub base_dir: PathBuf,
}

impl LoadedConfig {
    /// `p` resolved against the configuration file's directory (absolute paths stay).
    pub fn path_of(&self, p: &Path) -> PathBuf {
        self.base_dir.join(p)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.path_of(&self.config.kiosk.data_dir)
    }

    /// `models.runtime_library` resolved, when set.
    pub fn runtime_library(&self) -> Option<PathBuf> {
        self.config
            .models
            .runtime_library
            .as_deref()
            .map(|p| self.path_of(p))
    }

    pub fn models_dir(&self) -> PathBuf {
        self.path_of(&self.config.models.dir)
    }

    /// `paper.output_dir`, or `<data_dir>/paper` when unset.
    pub fn paper_dir(&self) -> PathBuf {
        if self.config.paper.output_dir.as_os_str().is_empty() {
            self.data_dir().join("paper")
        } else {
            self.path_of(&self.config.paper.output_dir)
        }
    }

    pub fn voice_dir(&self) -> PathBuf {
        self.path_of(&self.config.voice.dir)
    }

    /// `kiosk.store_key_file`, or `<data_dir>/store.key` when unset.
    pub fn store_key_path(&self) -> PathBuf {
        match &self.config.kiosk.store_key_file {
            Some(p) => self.path_of(p),
            None => self.data_dir().join(STORE_KEY_FILE),
        }
    }

    /// `server.signing_key`, or `<data_dir>/kiosk.key` when unset.
    pub fn signing_key_path(&self) -> PathBuf {
        match &self.config.server.signing_key {
            Some(p) => self.path_of(p),
            None => self.data_dir().join("kiosk.key"),
        }
    }

    /// The server token from `server.token`, or read from `server.token_file`
    /// (surrounding whitespace trimmed); empty when neither is set.
    pub fn server_token(&self) -> io::Result<Secret> {
        let server = &self.config.server;
        match &server.token_file {
            Some(file) if server.token.is_empty() => {
                let text = std::fs::read_to_string(self.path_of(file))?;
                Ok(Secret::new(text.trim()))
            }
            _ => Ok(server.token.clone()),
        }
    }
}

/// One thing wrong with a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file as the caller named it.
    pub file: PathBuf,
    /// 1-based; 0 when the problem is with the file as a whole (unreadable).
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// Dotted key, e.g. `challenges.count`; empty for a syntax error.
    pub key: String,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if self.line > 0 {
            write!(f, ":{}:{}", self.line, self.column)?;
        }
        f.write_str(": ")?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        write!(f, "{} — {}", self.message, self.fix)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The cause is the `source`, so error chains (`{:#}`) show it once.
    #[error("cannot read the configuration file {}", path.display())]
    Read { path: PathBuf, source: io::Error },
    #[error("{}", list(.0))]
    Invalid(Vec<Problem>),
}

fn list(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads, parses and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<LoadedConfig, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_owned(),
        source,
    })?;
    match String::from_utf8(bytes) {
        Ok(text) => parse_str(&text, path),
        Err(e) => {
            // Report where the bad byte is: usually one character typed in a legacy
            // encoding (GBK) in a comment.
            let valid = std::str::from_utf8(&e.as_bytes()[..e.utf8_error().valid_up_to()])
                .unwrap_or_default();
            let (line, column) = locate::line_col(valid, valid.len());
            Err(ConfigError::Invalid(vec![Problem {
                file: path.to_owned(),
                line,
                column,
                key: String::new(),
                message: "the file is not UTF-8 text".to_owned(),
                fix: "save it as UTF-8 (editors offer the encoding under \"Save as\")".to_owned(),
            }]))
        }
    }
}

/// Like [`load`], with an unreadable file reported as a [`Problem`] too, so a caller
/// that only prints problems needs no second error path.
pub fn check(path: &Path) -> Result<LoadedConfig, Vec<Problem>> {
    load(path).map_err(|e| match e {
        ConfigError::Invalid(problems) => problems,
        ConfigError::Read { path, source } => vec![Problem {
            file: path,
            line: 0,
            column: 0,
            key: String::new(),
            message: format!("cannot read the file: {source}"),
            fix: "check the path and that the kiosk user may read the file".to_owned(),
        }],
    })
}

/// Parses and validates configuration text as if read from `origin`, which names the
/// file in problems and whose directory resolves relative paths.
pub fn parse_str(text: &str, origin: &Path) -> Result<LoadedConfig, ConfigError> {
    let path = std::path::absolute(origin).unwrap_or_else(|_| origin.to_owned());
    let base_dir = path.parent().map(Path::to_owned).unwrap_or_default();
    let parsed = load::parse(text, origin);
    let Some(config) = parsed.config else {
        return Err(ConfigError::Invalid(parsed.problems));
    };
    let mut problems = parsed.problems;
    for finding in validate::validate(&config, &base_dir) {
        let key: Vec<String> = finding.key.split('.').map(str::to_owned).collect();
        if parsed.replaced.contains(&key) {
            continue;
        }
        let (line, column) = locate::line_col(text, parsed.index.point_at(&key, finding.index));
        problems.push(Problem {
            file: origin.to_owned(),
            line,
            column,
            key: finding.key.to_string(),
            message: finding.message,
            fix: finding.fix,
        });
    }
    if problems.is_empty() {
        return Ok(LoadedConfig {
            config,
            path,
            base_dir,
        });
    }
    // File order reads best when fixing top to bottom; sort is stable, so problems on
    // one spot keep the order they were found in.
    problems.sort_by_key(|p| (p.line, p.column));
    Err(ConfigError::Invalid(problems))
}
