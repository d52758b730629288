//! Replays recorded frames as if a camera were delivering them.
//!
//! A replay is a directory of JPEG/PNG frames played in file-name order (so number them
//! with leading zeros: `0001.jpg`, `0002.jpg`, ...), or a single photo, which plays as a
//! photo held still in front of the camera: the attack a liveness check must refuse.
//! Used by tests, benchmarks, the headless `certify` and audits, so it must behave like
//! a camera: one frame at a time at the configured rate, stamped with nominal times.
//!
//! Frames are decoded when they are due, not at open: a recording of a few minutes is
//! thousands of frames and would not fit in memory decoded. Small sets (a handful of
//! frames, a still photo) are kept decoded once read, since a looping demo would
//! otherwise decode the same files forever. The first frame is decoded at open, so a
//! replay that cannot work fails at start, not in the middle of a session.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use image::{ImageReader, RgbImage};

use super::pace::Pacer;
use super::{CameraError, Frame, FrameSource};
use crate::config::CameraSection;

/// Sets of at most this many frames stay decoded in memory (8 × 1280×720 RGB ≈ 22 MB).
const KEEP_DECODED_MAX: usize = 8;

/// How long a single photo lasts when played once. It must outlast positioning and a
/// challenge's timeout, so the flow fails the photo on liveness rather than seeing the
/// "camera" end first.
pub const DEFAULT_STILL_DURATION: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayOptions {
    /// Frames per second (below 1 is taken as 1).
    pub fps: u32,
    /// Start over at the end instead of finishing.
    pub looping: bool,
    /// Sleep to each frame's time. Off for tests and benchmarks, which want the frames
    /// as fast as they can be decoded; the frames' timestamps are the same either way.
    pub paced: bool,
    /// How long a single photo plays when not looping.
    pub still_duration: Duration,
}

impl Default for ReplayOptions {
    fn default() -> Self {
        ReplayOptions {
            fps: 15,
            looping: false,
            paced: true,
            still_duration: DEFAULT_STILL_DURATION,
        }
    }
}

impl ReplayOptions {
    /// `camera.replay_fps` and `camera.replay_loop`, paced.
    pub fn from_section(section: &CameraSection) -> Self {
        ReplayOptions {
            fps: section.replay_fps,
            looping: section.replay_loop,
            ..ReplayOptions::default()
        }
    }
}

pub struct ReplaySource {
    /// As opened: the directory, or the single photo.
    path: PathBuf,
    files: Vec<PathBuf>,
    /// A single photo rather than a directory.
    still: bool,
    /// Frames in one pass: the file count, or the still photo's duration in frames.
    pass_len: u64,
    looping: bool,
    pacer: Pacer,
    /// seq of the next frame.
    next: u64,
    /// One entry per file when the set is small, else empty.
    kept: Vec<Option<Arc<RgbImage>>>,
    /// The last decoded frame, so the one decoded at open is not decoded twice.
    last: Option<(usize, Arc<RgbImage>)>,
}

impl ReplaySource {
    /// Opens a directory of frames or a single photo and decodes the first frame.
    pub fn open(path: &Path, options: ReplayOptions) -> Result<ReplaySource, CameraError> {
        let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => CameraError::ReplayMissing {
                path: path.to_owned(),
            },
            _ => unreadable(path, &e),
        })?;
        let fps = options.fps.max(1);
        let still = !meta.is_dir();
        let (files, pass_len) = if !still {
            let files = list_frames(path)?;
            let n = files.len() as u64;
            (files, n)
        } else {
            // The still plays at least one frame, however short its duration.
            let frames = (options.still_duration.as_millis() * u128::from(fps)).div_ceil(1000);
            (
                vec![path.to_owned()],
                u64::try_from(frames).unwrap_or(u64::MAX).max(1),
            )
        };
        let kept = if files.len() <= KEEP_DECODED_MAX {
            vec![None; files.len()]
        } else {
            Vec::new()
        };
        let mut source = ReplaySource {
            path: path.to_owned(),
            files,
            still,
            pass_len,
            looping: options.looping,
            pacer: Pacer::new(fps, options.paced),
            next: 0,
            kept,
            last: None,
        };
        source.image(0)?;
        Ok(source)
    }

    /// The frame files, in play order.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    fn image(&mut self, i: usize) -> Result<Arc<RgbImage>, CameraError> {
        if let Some(Some(img)) = self.kept.get(i) {
            return Ok(Arc::clone(img));
        }
        if let Some((j, img)) = &self.last {
            if *j == i {
                return Ok(Arc::clone(img));
            }
        }
        let img = Arc::new(decode(&self.files[i])?);
        if let Some(slot) = self.kept.get_mut(i) {
            *slot = Some(Arc::clone(&img));
        }
        self.last = Some((i, Arc::clone(&img)));
        Ok(img)
    }
}

impl FrameSource for ReplaySource {
    fn next_frame(&mut self) -> Result<Option<Frame>, CameraError> {
        if !self.looping && self.next >= self.pass_len {
            return Ok(None);
        }
        // A still has one file whatever the pass length; a directory cycles its files.
        let file = (self.next % self.files.len() as u64) as usize;
        // Decode first, then wait: the decoding time is absorbed by the frame interval.
        let image = self.image(file)?;
        let seq = self.next;
        let captured_ms = self.pacer.wait(seq);
        self.next += 1;
        Ok(Some(Frame {
            seq,
            captured_ms,
            image,
            mirrored: false,
        }))
    }

    fn describe(&self) -> String {
        let repeat = if self.looping { ", looping" } else { "" };
        if self.still {
            format!("still photo {}{repeat}", self.path.display())
        } else {
            format!(
                "replay {} ({} frames{repeat})",
                self.path.display(),
                self.files.len()
            )
        }
    }
}

fn unreadable(path: &Path, e: &std::io::Error) -> CameraError {
    CameraError::ReplayUnreadable {
        path: path.to_owned(),
        reason: e.to_string(),
    }
}

/// The directory's JPEG and PNG files, sorted by name. Other files (a README, the
/// recorder's metadata) are skipped, as are hidden ones: `._0001.jpg` files that macOS
/// leaves on USB sticks carry the image extension but are not images.
fn list_frames(dir: &Path) -> Result<Vec<PathBuf>, CameraError> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| unreadable(dir, &e))? {
        let path = entry.map_err(|e| unreadable(dir, &e))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let ext = Path::new(name)
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        let is_frame = matches!(ext.as_deref(), Some("jpg" | "jpeg" | "png"));
        // `is_file` follows links, so a directory of links to frames works too.
        if is_frame && !name.starts_with('.') && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(CameraError::ReplayEmpty {
            dir: dir.to_owned(),
        });
    }
    files.sort_by(|a, b| a.file_name().cmp(&b.file_name()));
    Ok(files)
}

/// Decodes by content, not extension: a PNG saved as `.jpg` still plays.
fn decode(path: &Path) -> Result<RgbImage, CameraError> {
    let bad = |reason: String| CameraError::BadFrame {
        path: path.to_owned(),
        reason,
    };
    let reader = ImageReader::open(path)
        .and_then(ImageReader::with_guessed_format)
        .map_err(|e| bad(e.to_string()))?;
    let image = reader.decode().map_err(|e| bad(e.to_string()))?;
    Ok(image.into_rgb8())
}
