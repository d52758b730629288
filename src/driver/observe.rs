//! From one [`FrameAnalysis`] to what the flow and the liveness detectors need: the
//! placement verdict (with the hint the retiree hears), the quality figures, and the
//! per-frame face signals.

use certpoint_protocol::Quality;

use crate::config::Thresholds;
use crate::flow::{FrameObservation, Placement};
use crate::liveness::{ActiveLiveness, FaceSignals};
use crate::vision::{FaceAnalysis, FrameAnalysis};

/// A second face smaller than this fraction of the subject's width is someone walking
/// past in the background, not a second person at the kiosk.
pub const SECOND_FACE_MIN_RATIO: f32 = 0.5;

/// How far (fraction of the frame) the face centre may sit from the frame centre.
pub const MAX_CENTRE_OFFSET: f32 = 0.2;

/// Faces that count: the subject and anyone close enough to be at the kiosk with them.
pub fn relevant_faces(a: &FrameAnalysis) -> usize {
    let Some(subject) = a.faces.first() else {
        return 0;
    };
    let w = subject.bbox.width();
    1 + a.faces[1..]
        .iter()
        .filter(|f| f.bbox.width() >= SECOND_FACE_MIN_RATIO * w)
        .count()
}

/// The most important placement problem of the subject, or `Good`. Order matters: the
/// retiree hears one hint at a time, and distance comes before light because stepping
/// closer often fixes the light too.
pub fn placement(a: &FrameAnalysis, t: &Thresholds) -> Placement {
    placement_within(a, t, MAX_CENTRE_OFFSET)
}

/// [`placement`] with another centring tolerance: `liveness eval` and `trace` judge
/// phone selfies by their own framing (`crate::footage::Profile`); the kiosk always uses
/// [`placement`].
pub fn placement_within(a: &FrameAnalysis, t: &Thresholds, max_centre_offset: f32) -> Placement {
    let Some(f) = a.faces.first() else {
        return Placement::NoFace;
    };
    if relevant_faces(a) > 1 {
        return Placement::MultipleFaces;
    }
    let q = &f.quality;
    let (cx, cy) = f.bbox.centre();
    let (dx, dy) = (cx / a.width as f32 - 0.5, cy / a.height as f32 - 0.5);
    if q.face_size < t.face_size_min {
        Placement::TooFar
    } else if q.face_size > t.face_size_max {
        Placement::TooClose
    } else if dx.abs() > max_centre_offset || dy.abs() > max_centre_offset {
        Placement::OffCenter
    } else if q.brightness < t.min_brightness {
        Placement::TooDark
    } else if q.brightness > t.max_brightness {
        Placement::TooBright
    } else if q.sharpness < t.min_sharpness {
        Placement::Blurry
    } else if f.pose.yaw.abs() > t.max_yaw_deg {
        Placement::NotFrontal
    } else {
        Placement::Good
    }
}

/// What one analysed frame tells the flow, the liveness detectors fed on the way: the
/// window, `certify` (through [`Driver::frame`](super::Driver::frame)) and `liveness
/// eval`/`trace` all come through here, so the evaluation measures the kiosk's own path.
pub fn observation(
    a: &FrameAnalysis,
    placement: Placement,
    liveness: &mut ActiveLiveness,
    at_ms: u64,
) -> FrameObservation {
    let faces = relevant_faces(a);
    let mut obs = FrameObservation {
        faces,
        placement,
        passive_liveness: None,
        quality: None,
        completed: Vec::new(),
        depth: None,
    };
    if let Some(face) = a.faces.first() {
        obs.passive_liveness = face.passive_liveness;
        obs.quality = Some(quality(face));
        // Movements seen while a second person is in view belong to nobody.
        if faces == 1 {
            obs.completed = liveness.push(&signals(face, a.width, a.height, at_ms));
        }
    }
    obs
}

pub fn quality(f: &FaceAnalysis) -> Quality {
    Quality {
        brightness: f.quality.brightness,
        sharpness: f.quality.sharpness,
        face_size: f.quality.face_size,
    }
}

/// The liveness detectors' view of the subject at `at_ms`. Eye openness is given in the
/// person's frame: the image-left eye is the person's right eye.
pub fn signals(f: &FaceAnalysis, width: u32, height: u32, at_ms: u64) -> FaceSignals {
    let (cx, cy) = f.bbox.centre();
    FaceSignals {
        at_ms,
        yaw_deg: f.pose.yaw,
        pitch_deg: f.pose.pitch,
        roll_deg: f.pose.roll,
        left_eye: f.eye_openness[1],
        right_eye: f.eye_openness[0],
        mouth: f.mouth_openness,
        face_cx: cx / width as f32,
        face_cy: cy / height as f32,
        face_w: f.bbox.width() / width as f32,
    }
}
