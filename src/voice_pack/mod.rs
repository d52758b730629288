//! Voice packs: one folder per language and speaker, `<voice.dir>/<lang>/<speaker>/`, with
//! one clip per prompt key and a `manifest.toml` (format in docs/voice-pack.md). The kiosk
//! plays clips through [`Pack::clip`]; `certpoint voice check DIR` runs [`check::check`]
//! so an office can drop in a native speaker's recordings and know they will work.

pub mod check;
pub mod loudness;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The manifest format this build reads.
pub const FORMAT: u32 = 1;
/// The manifest's file name inside a pack folder.
pub const MANIFEST: &str = "manifest.toml";
/// The speakers a pack can be for (`[voice] speaker`).
pub use crate::config::VOICE_SPEAKERS as SPEAKERS;

/// `manifest.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// The catalogue language the clips speak (`zh-CN`, `en`, ...).
    pub language: String,
    /// `female` or `male`.
    pub speaker: String,
    /// Who or what speaks: a recording's speaker and studio, or a synthetic voice.
    pub voice: String,
    /// How the clips were made (the script, or the recording session).
    pub source: String,
    /// SPDX licence of the clips, e.g. `Apache-2.0`, `CC-BY-4.0`.
    pub licence: String,
    /// Hz; every clip has this rate.
    pub sample_rate: u32,
    /// Integrated loudness (EBU R128 / BS.1770) every clip is normalised to.
    pub loudness_lufs: f64,
    /// Prompt key → clip.
    pub clips: BTreeMap<String, Clip>,
}

/// One clip of a pack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clip {
    /// File name inside the pack folder (`.ogg` Ogg Vorbis or `.wav` PCM).
    pub file: String,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("{path}: cannot read the manifest ({source}); a voice pack folder needs manifest.toml (docs/voice-pack.md)")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// A pack folder with its manifest read.
#[derive(Debug, Clone)]
pub struct Pack {
    pub dir: PathBuf,
    pub manifest: Manifest,
}

impl Pack {
    pub fn open(dir: &Path) -> Result<Pack, PackError> {
        let path = dir.join(MANIFEST);
        let text = std::fs::read_to_string(&path).map_err(|source| PackError::Read {
            path: path.clone(),
            source,
        })?;
        let manifest = toml::from_str(&text).map_err(|e: toml::de::Error| {
            let (line, column) = e
                .span()
                .map(|s| crate::config::line_col(&text, s.start))
                .unwrap_or((1, 1));
            PackError::Parse {
                path: path.clone(),
                line,
                column,
                message: e.message().to_string(),
            }
        })?;
        Ok(Pack {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The file of a prompt's clip, if the pack has one.
    pub fn clip(&self, key: &str) -> Option<PathBuf> {
        self.manifest.clips.get(key).map(|c| self.dir.join(&c.file))
    }
}

/// Finds the pack for a language: the configured speaker's if installed, else the other
/// speaker's (a male voice is better than silence). `None` when the language has no pack.
pub fn find(root: &Path, lang: &str, speaker: &str) -> Option<PathBuf> {
    std::iter::once(speaker)
        .chain(SPEAKERS.iter().copied().filter(|s| *s != speaker))
        .map(|s| root.join(lang).join(s))
        .find(|d| d.join(MANIFEST).is_file())
}

/// Lower-case hex SHA-256 of a file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/voice")
    }

    #[test]
    fn the_configured_speaker_is_found_first() {
        let d = find(&shipped(), "zh-CN", "male").unwrap();
        assert!(d.ends_with("zh-CN/male"), "{}", d.display());
        let d = find(&shipped(), "zh-CN", "female").unwrap();
        assert!(d.ends_with("zh-CN/female"), "{}", d.display());
    }

    /// A language recorded by one speaker only: a kiosk set to the other still speaks it.
    #[test]
    fn a_missing_speaker_falls_back_to_the_other() {
        let root = tempfile::tempdir().unwrap();
        let male = root.path().join("mn/male");
        std::fs::create_dir_all(&male).unwrap();
        std::fs::write(male.join(MANIFEST), "").unwrap();
        assert_eq!(find(root.path(), "mn", "female"), Some(male));
        assert_eq!(find(root.path(), "kk", "female"), None);
    }

    #[test]
    fn a_broken_manifest_names_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(MANIFEST),
            "format = 1\nlanguage = \"zh-CN\"\nspeeker = \"female\"\n",
        )
        .unwrap();
        let e = Pack::open(dir.path()).unwrap_err().to_string();
        assert!(e.contains("manifest.toml:3:1"), "{e}");
        assert!(e.contains("speeker"), "{e}");
    }
}
