//! `certpoint voice check DIR`: is this folder a voice pack the kiosk can play? Every
//! prompt key has a clip, every clip is the file the manifest names (sha256), decodes
//! with the kiosk's own decoder at the manifest's rate, and is as loud as the manifest
//! says. Every problem is reported, each naming the file or key and the fix.

use std::collections::BTreeSet;
use std::io::Cursor;
use std::path::{Path, PathBuf};

use rodio::Source;
use serde::Serialize;

use super::{loudness, sha256_hex, Pack, FORMAT, MANIFEST, SPEAKERS};

/// How far a clip's loudness may be from the manifest's (LU). Vorbis encoding moves it by
/// under 0.1 LU; a clip recorded apart from the rest is typically off by 3 LU or more,
/// which an elderly listener hears as "this one is quieter".
pub const LOUDNESS_TOLERANCE_LU: f64 = 1.5;
/// The manifest's loudness must be a level people can hear at the kiosk's volume.
pub const LOUDNESS_RANGE_LUFS: (f64, f64) = (-30.0, -10.0);
/// A prompt is one short sentence; a longer file is the wrong file.
pub const MAX_CLIP_SECS: f64 = 15.0;

/// One clip as measured.
#[derive(Debug, Clone, Serialize)]
pub struct ClipReport {
    pub key: String,
    pub file: String,
    pub seconds: f64,
    pub loudness_lufs: Option<f64>,
}

/// Something wrong (`problems`: the pack must not be installed) or worth a look
/// (`warnings`: the kiosk works, but the pack is untidy).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The file or key at fault.
    pub at: String,
    pub message: String,
    pub fix: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub dir: PathBuf,
    pub language: Option<String>,
    pub speaker: Option<String>,
    pub clips: Vec<ClipReport>,
    pub problems: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn problem(&mut self, at: impl Into<String>, message: impl Into<String>, fix: &str) {
        self.problems.push(Finding {
            at: at.into(),
            message: message.into(),
            fix: fix.into(),
        });
    }
}

/// Checks the pack in `dir` against the prompt keys the kiosk speaks.
pub fn check(dir: &Path, keys: &[String]) -> Report {
    let mut r = Report {
        dir: dir.to_path_buf(),
        language: None,
        speaker: None,
        clips: Vec::new(),
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let pack = match Pack::open(dir) {
        Ok(p) => p,
        Err(e) => {
            r.problem(
                MANIFEST,
                e.to_string(),
                "write manifest.toml as docs/voice-pack.md describes",
            );
            return r;
        }
    };
    let m = &pack.manifest;
    r.language = Some(m.language.clone());
    r.speaker = Some(m.speaker.clone());
    manifest_fields(&pack, &mut r);

    for key in keys {
        if !m.clips.contains_key(key) {
            r.problem(
                key.as_str(),
                "no clip for this prompt: the kiosk would show it without a voice",
                "record the prompt's text from assets/i18n/<language>.toml and add it under [clips]",
            );
        }
    }
    let known: BTreeSet<&str> = keys.iter().map(String::as_str).collect();
    for (key, clip) in &m.clips {
        if !known.contains(key.as_str()) {
            r.warnings.push(Finding {
                at: key.clone(),
                message: "not a prompt key of this kiosk; it is never played".into(),
                fix: "remove it from [clips], or check the key's spelling".into(),
            });
        }
        clip_file(&pack, key, clip, &mut r);
    }

    let listed: BTreeSet<&str> = m.clips.values().map(|c| c.file.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut extra: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != MANIFEST && !listed.contains(n.as_str()))
            .collect();
        extra.sort();
        for name in extra {
            r.warnings.push(Finding {
                at: name,
                message: "in the folder but not in the manifest; the kiosk ignores it".into(),
                fix: "list it under [clips] or delete it".into(),
            });
        }
    }
    r
}

fn manifest_fields(pack: &Pack, r: &mut Report) {
    let m = &pack.manifest;
    if m.format != FORMAT {
        r.problem(
            "format",
            format!("format {} is not one this kiosk reads", m.format),
            "set format = 1 (docs/voice-pack.md)",
        );
    }
    if !SPEAKERS.contains(&m.speaker.as_str()) {
        r.problem(
            "speaker",
            format!("\"{}\" is not a speaker", m.speaker),
            "use \"female\" or \"male\" ([voice] speaker chooses between them)",
        );
    }
    for (field, value) in [
        ("language", &m.language),
        ("voice", &m.voice),
        ("source", &m.source),
        ("licence", &m.licence),
    ] {
        if value.trim().is_empty() {
            r.problem(
                field,
                "is empty",
                "say who spoke, how it was made and under which licence (docs/voice-pack.md)",
            );
        }
    }
    let (lo, hi) = LOUDNESS_RANGE_LUFS;
    if !(lo..=hi).contains(&m.loudness_lufs) {
        r.problem(
            "loudness_lufs",
            format!("{} LUFS is outside {lo} to {hi}", m.loudness_lufs),
            "normalise the clips to about -18 LUFS (EBU R128) and write that value",
        );
    }
    if m.sample_rate < 16_000 {
        r.problem(
            "sample_rate",
            format!("{} Hz is too low for speech", m.sample_rate),
            "record at 16 kHz or more (24 or 48 kHz is usual)",
        );
    }
}

fn clip_file(pack: &Pack, key: &str, clip: &super::Clip, r: &mut Report) {
    let m = &pack.manifest;
    let at = format!("{key} ({})", clip.file);
    if clip.file.contains(['/', '\\']) || clip.file.starts_with('.') {
        r.problem(
            at,
            "the file must be directly in the pack folder",
            "use a plain file name like <key>.ogg",
        );
        return;
    }
    let path = pack.dir.join(&clip.file);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            r.problem(
                at,
                format!("cannot read {} ({e})", path.display()),
                "add the file, or correct its name under [clips]",
            );
            return;
        }
    };
    let sha = sha256_hex(&bytes);
    if sha != clip.sha256.to_ascii_lowercase() {
        r.problem(
            at.clone(),
            format!("sha256 is {sha}, the manifest says {}", clip.sha256),
            "the file was changed or replaced: write its new sha256 (sha256sum FILE) if the change is intended",
        );
    }
    let decoder = match rodio::Decoder::new(Cursor::new(bytes)) {
        Ok(d) => d,
        Err(e) => {
            r.problem(
                at,
                format!("does not decode ({e})"),
                "save it as Ogg Vorbis (.ogg) or 16-bit PCM WAV (.wav)",
            );
            return;
        }
    };
    let (channels, rate) = (decoder.channels(), decoder.sample_rate());
    let samples: Vec<f32> = decoder.collect();
    let seconds = samples.len() as f64 / f64::from(channels.max(1)) / f64::from(rate.max(1));
    if rate != m.sample_rate {
        r.problem(
            at.clone(),
            format!(
                "sample rate {rate} Hz, the manifest says {} Hz",
                m.sample_rate
            ),
            "resample every clip to the manifest's rate",
        );
    }
    if !(0.2..=MAX_CLIP_SECS).contains(&seconds) {
        r.problem(
            at.clone(),
            format!("{seconds:.2} s long; a prompt takes 0.2 to {MAX_CLIP_SECS} s"),
            "check that this is the right recording, trimmed of silence",
        );
    }
    let lufs = loudness::integrated_lufs(&samples, channels, rate);
    match lufs {
        None => r.problem(at.clone(), "is silent", "record the prompt again"),
        Some(l) if (l - m.loudness_lufs).abs() > LOUDNESS_TOLERANCE_LU => r.problem(
            at.clone(),
            format!(
                "loudness {l:.1} LUFS, the manifest says {:.1} (tolerance ±{LOUDNESS_TOLERANCE_LU} LU)",
                m.loudness_lufs
            ),
            "normalise every clip to the manifest's level (e.g. ffmpeg -af loudnorm=I=-18, two passes)",
        ),
        Some(_) => {}
    }
    r.clips.push(ClipReport {
        key: key.to_string(),
        file: clip.file.clone(),
        seconds,
        loudness_lufs: lufs,
    });
}

/// The prompt keys the kiosk speaks: every [`crate::flow::Prompt`] the flow can produce.
pub fn prompt_keys() -> Vec<String> {
    let mut keys: Vec<String> = crate::ui::i18n::every_prompt()
        .iter()
        .map(|p| p.key().to_string())
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scripts/make-voice generates a clip for every catalogue key that is not
    /// screen-only (its SCREEN_ONLY list, repeated here); that must be exactly the keys
    /// the kiosk speaks, so a prompt added later is generated by rerunning the script.
    #[test]
    fn the_script_generates_exactly_the_spoken_keys() {
        const SCREEN_ONLY: [&str; 11] = [
            "detail.",
            "button.",
            "clerk.",
            "state.",
            "notice.",
            "language.",
            "sync.",
            "channel.",
            "assist.",
            "paper.",
            "receipt.",
        ];
        let script = include_str!("../../scripts/voice/make_voice.py");
        for p in SCREEN_ONLY {
            assert!(
                script.contains(&format!("\"{p}\"")),
                "{p} not in make_voice.py's SCREEN_ONLY"
            );
        }
        for lang in crate::ui::i18n::LANGUAGES {
            let mut spoken: Vec<String> = crate::ui::i18n::Catalogue::get(lang)
                .keys()
                .filter(|k| !SCREEN_ONLY.iter().any(|p| k.starts_with(p)))
                .map(str::to_string)
                .collect();
            spoken.sort();
            assert_eq!(spoken, prompt_keys(), "{lang}");
        }
    }
}
