//! The per-frame input: what the vision module measured on the one face in a frame.

use serde::{Deserialize, Serialize};

/// Figures of one analysed frame showing one face. The vision module produces one per
/// frame with a face; frames without a face produce none (the gap is what counts).
///
/// Any figure may be NaN or infinite when it could not be measured; the detectors treat
/// such a figure, or one outside its physical range, as missing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FaceSignals {
    /// Monotonic capture time of the frame. Frames not later than the previous one are
    /// ignored.
    pub at_ms: u64,
    /// Head pose in degrees, in the PERSON's frame (already corrected for a mirrored
    /// camera): yaw > 0 = the person turned to THEIR left; pitch > 0 = looking up;
    /// roll > 0 = head tilted to their left.
    pub yaw_deg: f32,
    pub pitch_deg: f32,
    pub roll_deg: f32,
    /// Eye aspect ratio (eyelid gap / eye width) per eye, ~0.25–0.35 open, < ~0.15
    /// closed; NaN when not measurable.
    pub left_eye: f32,
    pub right_eye: f32,
    /// Mouth aspect ratio (lip gap / mouth width), ~0 closed, > 0.5 wide open.
    pub mouth: f32,
    /// Face centre x/y normalised to the frame (0..1), and face width as a fraction of the
    /// frame width; used to check that the face moves like a head.
    pub face_cx: f32,
    pub face_cy: f32,
    pub face_w: f32,
}

impl FaceSignals {
    /// Whether the head pose was measured. Without it a frame says nothing reliable:
    /// the pose is what ties one frame's face to the next.
    pub(super) fn pose_ok(&self) -> bool {
        angle_ok(self.yaw_deg, 90.0)
            && angle_ok(self.pitch_deg, 90.0)
            && angle_ok(self.roll_deg, 180.0)
    }

    pub(super) fn left_eye(&self) -> Option<f32> {
        eye_ok(self.left_eye)
    }

    pub(super) fn right_eye(&self) -> Option<f32> {
        eye_ok(self.right_eye)
    }

    pub(super) fn mouth(&self) -> Option<f32> {
        // A mouth taller than five times its width is a landmark failure.
        (0.0..=5.0).contains(&self.mouth).then_some(self.mouth)
    }

    pub(super) fn centre(&self) -> Option<(f32, f32)> {
        (self.face_cx.is_finite() && self.face_cy.is_finite())
            .then_some((self.face_cx, self.face_cy))
    }

    pub(super) fn width(&self) -> Option<f32> {
        (self.face_w.is_finite() && self.face_w > 0.0).then_some(self.face_w)
    }
}

fn angle_ok(deg: f32, limit: f32) -> bool {
    // `contains` is false for NaN, so this also rejects unmeasured angles.
    (-limit..=limit).contains(&deg)
}

fn eye_ok(ear: f32) -> Option<f32> {
    // An eyelid gap wider than the eye is a landmark failure, not a wide-open eye.
    (0.0..=1.0).contains(&ear).then_some(ear)
}
