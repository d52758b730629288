//! One labelled clip of the liveness corpus: `<corpus>/<clip-id>/clip.toml` beside
//! `<corpus>/<clip-id>/frames/000000.jpg …` (the format `corpus/README.md` describes).
//!
//! Event labels name movements by IMAGE side, because that is what a labeller sees in
//! the frames; the kiosk's [`Action`]s are in the PERSON's frame (the analysis sees
//! unmirrored frames, see `crate::camera`). [`EventKind::action`] converts, and is the
//! only place that does.

use std::path::{Path, PathBuf};

use certpoint_protocol::Action;
use serde::Deserialize;

/// `kind = "real" | "attack"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipKind {
    Real,
    Attack,
}

/// `attack = …`, for attack clips only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttackKind {
    Print,
    PrintCutout,
    ScreenReplay,
    PhoneReplay,
    Mask,
    Other,
}

/// `capture = "webcam" | "phone_selfie" | "unknown"`: decides the placement rules the
/// clip is judged with (see [`super::profile`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capture {
    Webcam,
    PhoneSelfie,
    #[default]
    Unknown,
}

/// What a labelled stretch of frames shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Blink,
    /// The face turns towards the IMAGE's left edge.
    TurnLeft,
    /// The face turns towards the IMAGE's right edge.
    TurnRight,
    LookUp,
    OpenMouth,
    Nod,
    Wink,
    EyesClosedLong,
    Still,
    Occlusion,
}

impl EventKind {
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::Blink => "blink",
            EventKind::TurnLeft => "turn_left",
            EventKind::TurnRight => "turn_right",
            EventKind::LookUp => "look_up",
            EventKind::OpenMouth => "open_mouth",
            EventKind::Nod => "nod",
            EventKind::Wink => "wink",
            EventKind::EyesClosedLong => "eyes_closed_long",
            EventKind::Still => "still",
            EventKind::Occlusion => "occlusion",
        }
    }

    /// The kiosk action this event performs, `None` for the negatives (still, wink,
    /// eyes closed for long, occlusion), on which no action may complete.
    ///
    /// The frames are analysed as an unmirrored camera delivers them, so the image's
    /// left is the PERSON's right: a face turning towards the image's left edge is the
    /// person turning to their right, [`Action::TurnRight`] (yaw < 0 in
    /// `certpoint_face::Pose`). A clip recorded from a mirrored preview would need the
    /// opposite; the corpus stores frames as the camera saw them.
    pub fn action(self) -> Option<Action> {
        match self {
            EventKind::Blink => Some(Action::Blink),
            EventKind::TurnLeft => Some(Action::TurnRight),
            EventKind::TurnRight => Some(Action::TurnLeft),
            EventKind::LookUp => Some(Action::LookUp),
            EventKind::OpenMouth => Some(Action::OpenMouth),
            EventKind::Nod => Some(Action::Nod),
            EventKind::Wink
            | EventKind::EyesClosedLong
            | EventKind::Still
            | EventKind::Occlusion => None,
        }
    }
}

/// `[[events]]`: frame indices, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Event {
    pub kind: EventKind,
    pub start: usize,
    pub end: usize,
}

/// `clip.toml`. Fields the evaluation does not use (`source`, `licence`, `notes`, …)
/// are read for the report or ignored, so the corpus may add more.
#[derive(Debug, Clone, Deserialize)]
pub struct ClipMeta {
    pub id: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub licence: String,
    #[serde(default)]
    pub redistributable: bool,
    pub fps: f64,
    pub kind: ClipKind,
    #[serde(default)]
    pub attack: Option<AttackKind>,
    #[serde(default)]
    pub capture: Capture,
    #[serde(default)]
    pub holdout: bool,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// A clip ready to play: its labels and its frame files in order.
#[derive(Debug, Clone)]
pub struct Clip {
    pub dir: PathBuf,
    pub meta: ClipMeta,
    pub frames: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {detail}; see the clip format in README.md, \"Liveness on real footage\"")]
    Invalid { path: PathBuf, detail: String },
}

fn invalid(path: &Path, detail: impl Into<String>) -> ClipError {
    ClipError::Invalid {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

impl Clip {
    /// Reads `<dir>/clip.toml` and lists `<dir>/frames/`; checks the labels against the
    /// frames so a typo cannot silently drop an event.
    pub fn open(dir: &Path) -> Result<Clip, ClipError> {
        let path = dir.join("clip.toml");
        let meta = read_meta(&path)?;
        let frames = list_frames(&dir.join("frames"))?;
        let clip = Clip {
            dir: dir.to_owned(),
            meta,
            frames,
        };
        clip.check().map_err(|d| invalid(&path, d))?;
        Ok(clip)
    }

    fn check(&self) -> Result<(), String> {
        let m = &self.meta;
        if !(m.fps.is_finite() && (1.0..=240.0).contains(&m.fps)) {
            return Err(format!("fps = {} is not a frame rate (1 to 240)", m.fps));
        }
        match (m.kind, m.attack) {
            (ClipKind::Real, Some(a)) => {
                return Err(format!("attack = {a:?} on a real clip: drop it or set kind = \"attack\""))
            }
            (ClipKind::Attack, None) => {
                return Err("kind = \"attack\" needs attack = print|print_cutout|screen_replay|phone_replay|mask|other".into())
            }
            _ => {}
        }
        if self.frames.is_empty() {
            return Err("frames/ holds no .jpg or .png".into());
        }
        for e in &m.events {
            if e.start > e.end || e.end >= self.frames.len() {
                return Err(format!(
                    "event {} {}..={} is outside the {} frames (indices are 0-based, both ends inclusive)",
                    e.kind.as_str(),
                    e.start,
                    e.end,
                    self.frames.len()
                ));
            }
        }
        Ok(())
    }

    /// Nominal capture time of frame `i`: the clip's own clock (i / fps), never the
    /// wall clock, so a slow machine gives the same verdicts as a fast one.
    pub fn at_ms(&self, i: usize) -> u64 {
        frame_ms(i, self.meta.fps)
    }
}

/// Reads a `clip.toml` on its own (`trace` takes the fps and capture from it).
pub fn read_meta(path: &Path) -> Result<ClipMeta, ClipError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClipError::Io {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| invalid(path, e.to_string()))
}

/// Time of frame `i` at `fps`, rounded to the millisecond.
pub fn frame_ms(i: usize, fps: f64) -> u64 {
    (i as f64 * 1000.0 / fps).round() as u64
}

/// The `.jpg`/`.jpeg`/`.png` files of `dir` in name order.
pub fn list_frames(dir: &Path) -> Result<Vec<PathBuf>, ClipError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ClipError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut frames: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    frames.sort();
    Ok(frames)
}

/// Every clip under `corpus` (a directory per clip, each with a clip.toml), by id.
pub fn open_corpus(corpus: &Path) -> Result<Vec<Clip>, ClipError> {
    let entries = std::fs::read_dir(corpus).map_err(|source| ClipError::Io {
        path: corpus.to_owned(),
        source,
    })?;
    let mut dirs: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("clip.toml").is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Clip::open(d)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_side_turns_become_the_persons_opposite_side() {
        assert_eq!(EventKind::TurnLeft.action(), Some(Action::TurnRight));
        assert_eq!(EventKind::TurnRight.action(), Some(Action::TurnLeft));
        assert_eq!(EventKind::Blink.action(), Some(Action::Blink));
        assert_eq!(EventKind::Wink.action(), None);
        assert_eq!(EventKind::Still.action(), None);
    }

    #[test]
    fn clip_toml_parses_with_events_and_unknown_fields() {
        let m: ClipMeta = toml::from_str(
            r#"
            id = "x"
            source = "s"
            licence = "CC-BY-4.0"
            redistributable = true
            fps = 29.97
            kind = "attack"
            attack = "phone_replay"
            capture = "phone_selfie"
            holdout = true
            notes = "n"
            labeller = "someone"
            [[events]]
            kind = "turn_left"
            start = 3
            end = 10
            "#,
        )
        .unwrap();
        assert_eq!(m.attack, Some(AttackKind::PhoneReplay));
        assert_eq!(m.capture, Capture::PhoneSelfie);
        assert_eq!(m.events[0].kind, EventKind::TurnLeft);
        assert_eq!(frame_ms(30, m.fps), 1001);
    }

    #[test]
    fn labels_outside_the_frames_are_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("frames")).unwrap();
        for i in 0..3 {
            std::fs::write(dir.path().join(format!("frames/{i:06}.jpg")), b"x").unwrap();
        }
        let toml = "id = \"c\"\nfps = 15\nkind = \"real\"\n[[events]]\nkind = \"blink\"\nstart = 1\nend = 3\n";
        std::fs::write(dir.path().join("clip.toml"), toml).unwrap();
        let err = Clip::open(dir.path()).unwrap_err().to_string();
        assert!(err.contains("blink 1..=3 is outside the 3 frames"), "{err}");
    }
}
