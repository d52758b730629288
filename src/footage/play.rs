//! Plays a sequence of recorded frames through the kiosk's per-frame path and keeps what
//! each frame showed: the rows of `liveness trace` and the input of `liveness eval`.
//!
//! The path is the kiosk's: `Vision::analyze_tracked` with a fresh [`Track`] (detector
//! every few frames, passive anti-spoofing every third), then
//! `driver::observe::observation`, which feeds [`ActiveLiveness`] exactly as the driver
//! does. Frames are stamped i / fps (the clip's clock), and analysed unmirrored.

use std::path::PathBuf;

use anyhow::Context;
use certpoint_protocol::Action;
use serde::Serialize;

use super::clip::frame_ms;
use super::profile::Profile;
use crate::config::Thresholds;
use crate::driver::observe;
use crate::flow::Placement;
use crate::liveness::{ActiveLiveness, LivenessParams};
use crate::vision::{Track, Vision, Wants};

/// One frame as `trace` prints it. Every figure is `None` when it was not measured
/// (no face, or not computed on this frame).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FrameTrace {
    pub frame: usize,
    pub at_ms: u64,
    /// Faces that count (the subject and anyone close enough to be with them).
    pub faces: usize,
    /// The placement verdict under the clip's profile (`good`, `too_close`, …).
    pub placement: &'static str,
    /// The subject's box in pixels: x1, y1, x2, y2.
    #[serde(rename = "box")]
    pub face_box: Option<[f32; 4]>,
    pub yaw_deg: Option<f32>,
    pub pitch_deg: Option<f32>,
    pub roll_deg: Option<f32>,
    /// Eye openness (aspect ratio) of the PERSON's left and right eye.
    pub eye_left: Option<f32>,
    pub eye_right: Option<f32>,
    pub mouth: Option<f32>,
    /// Passive anti-spoofing score (probability of a live face), on the frames it ran.
    pub passive: Option<f32>,
    /// `collecting` until the person's resting face is known, then `set`.
    pub baseline: &'static str,
    /// Face-track breaks so far (jumps, gaps: see `crate::liveness`).
    pub track_breaks: u32,
    /// Actions whose movement completed in this frame.
    pub completed: Vec<Action>,
}

impl FrameTrace {
    /// A frame with nothing measured, for tests of the scoring.
    pub fn empty(frame: usize, at_ms: u64) -> FrameTrace {
        FrameTrace {
            frame,
            at_ms,
            faces: 0,
            placement: Placement::NoFace.as_str(),
            face_box: None,
            yaw_deg: None,
            pitch_deg: None,
            roll_deg: None,
            eye_left: None,
            eye_right: None,
            mouth: None,
            passive: None,
            baseline: "collecting",
            track_breaks: 0,
            completed: Vec::new(),
        }
    }
}

fn finite(v: f32) -> Option<f32> {
    v.is_finite().then_some(v)
}

/// What a play needs besides the frames.
pub struct Setup<'a> {
    pub thresholds: &'a Thresholds,
    pub liveness: &'a LivenessParams,
    pub capture: super::clip::Capture,
    pub fps: f64,
}

/// Analyses `frames` in order; calls `each` with every frame's row as it is made (so
/// `trace` can print while it runs) and returns them all with the profile used.
pub fn play(
    vision: &mut Vision,
    frames: &[PathBuf],
    setup: &Setup<'_>,
    mut each: impl FnMut(&FrameTrace) -> anyhow::Result<()>,
) -> anyhow::Result<(Profile, Vec<FrameTrace>)> {
    let mut track = Track::default();
    let mut liveness = ActiveLiveness::new(setup.liveness.clone());
    let mut profile = None;
    let mut rows = Vec::with_capacity(frames.len());
    let wants = Wants {
        liveness: true,
        embedding: false,
    };
    for (i, path) in frames.iter().enumerate() {
        let img = image::open(path)
            .with_context(|| format!("cannot decode the frame {}", path.display()))?
            .to_rgb8();
        let profile = *profile
            .get_or_insert_with(|| Profile::for_clip(setup.capture, img.width(), img.height()));
        let at_ms = frame_ms(i, setup.fps);
        let a = vision.analyze_tracked(&img, false, wants, &mut track)?;
        let placement = profile.placement(&a, setup.thresholds);
        let obs = observe::observation(&a, placement, &mut liveness, at_ms);
        let mut row = FrameTrace::empty(i, at_ms);
        row.faces = obs.faces;
        row.placement = placement.as_str();
        if let Some(f) = a.faces.first() {
            let s = observe::signals(f, a.width, a.height, at_ms);
            row.face_box = Some([f.bbox.x1, f.bbox.y1, f.bbox.x2, f.bbox.y2]);
            row.yaw_deg = finite(s.yaw_deg);
            row.pitch_deg = finite(s.pitch_deg);
            row.roll_deg = finite(s.roll_deg);
            row.eye_left = finite(s.left_eye);
            row.eye_right = finite(s.right_eye);
            row.mouth = finite(s.mouth);
            row.passive = obs.passive_liveness.and_then(finite);
        }
        row.baseline = if liveness.baseline().is_some() {
            "set"
        } else {
            "collecting"
        };
        row.track_breaks = liveness.track_breaks();
        row.completed = obs.completed;
        each(&row)?;
        rows.push(row);
    }
    Ok((profile.unwrap_or(Profile::Kiosk), rows))
}
