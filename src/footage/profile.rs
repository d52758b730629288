//! Placement rules for recorded footage that was not filmed by a kiosk.
//!
//! The kiosk's face-size band (`thresholds.face_size_min/max`, 0.18–0.38 of the frame
//! width by default) and its centring rule describe a person standing about 1 m from a
//! landscape webcam. A phone selfie is held at arm's length in portrait: the face fills
//! half the width or more and often sits high. Judged by the kiosk's rules every such
//! frame would be "too close", and an evaluation would learn nothing about the person.
//!
//! So `liveness eval` and `trace` pick a [`Profile`] per clip. The kiosk never does: it
//! always calls `driver::observe::placement` with its configured thresholds, which
//! [`Profile::Kiosk`] passes through unchanged (a test holds both to that).

use serde::Serialize;

use super::clip::Capture;
use crate::config::Thresholds;
use crate::driver::observe;
use crate::flow::Placement;
use crate::vision::FrameAnalysis;

/// Which placement rules a clip is judged by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// The kiosk's own rules, as configured: webcam footage.
    Kiosk,
    /// A phone held at arm's length: any face size up to nearly the whole width, and
    /// a wider centring tolerance.
    PhoneSelfie,
}

/// Phone selfies: the face may fill up to this share of the frame width...
const PHONE_FACE_SIZE_MAX: f32 = 0.95;
/// ...and be as small as this (a phone held far out in landscape).
const PHONE_FACE_SIZE_MIN: f32 = 0.12;
/// ...and sit this far from the centre (selfies put the face in the upper half).
const PHONE_MAX_CENTRE_OFFSET: f32 = 0.3;

impl Profile {
    /// `phone_selfie` clips, and clips of unknown capture whose frames are portrait
    /// (taller than wide: no kiosk or laptop webcam delivers that), get the phone rules.
    pub fn for_clip(capture: Capture, width: u32, height: u32) -> Profile {
        match capture {
            Capture::PhoneSelfie => Profile::PhoneSelfie,
            Capture::Unknown if height > width => Profile::PhoneSelfie,
            Capture::Webcam | Capture::Unknown => Profile::Kiosk,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Kiosk => "kiosk",
            Profile::PhoneSelfie => "phone_selfie",
        }
    }

    /// The thresholds this profile judges placement by, from the kiosk's configured ones:
    /// only the face-size band changes; light, sharpness and pose rules stay.
    pub fn thresholds(self, kiosk: &Thresholds) -> Thresholds {
        match self {
            Profile::Kiosk => kiosk.clone(),
            Profile::PhoneSelfie => Thresholds {
                face_size_min: PHONE_FACE_SIZE_MIN.min(kiosk.face_size_min),
                face_size_max: PHONE_FACE_SIZE_MAX.max(kiosk.face_size_max),
                ..kiosk.clone()
            },
        }
    }

    pub fn max_centre_offset(self) -> f32 {
        match self {
            Profile::Kiosk => observe::MAX_CENTRE_OFFSET,
            Profile::PhoneSelfie => PHONE_MAX_CENTRE_OFFSET,
        }
    }

    pub fn placement(self, a: &FrameAnalysis, kiosk: &Thresholds) -> Placement {
        observe::placement_within(a, &self.thresholds(kiosk), self.max_centre_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vision::{BoxF, FaceAnalysis, FacePoints, FaceQuality, Pose, Timings};

    /// A frontal, well-lit, sharp face `size` of the frame width wide, centred at
    /// (`cx`, `cy`) of a `w`×`h` frame.
    fn frame(w: u32, h: u32, size: f32, cx: f32, cy: f32) -> FrameAnalysis {
        let half = size * w as f32 / 2.0;
        let (x, y) = (cx * w as f32, cy * h as f32);
        let bbox = BoxF {
            x1: x - half,
            y1: y - half,
            x2: x + half,
            y2: y + half,
        };
        let p = (x, y);
        FrameAnalysis {
            width: w,
            height: h,
            faces: vec![FaceAnalysis {
                bbox,
                score: 0.99,
                landmarks: FacePoints {
                    left_eye: p,
                    right_eye: p,
                    nose: p,
                    mouth_left: p,
                    mouth_right: p,
                },
                pose: Pose {
                    yaw: 0.0,
                    pitch: 0.0,
                    roll: 0.0,
                },
                eye_openness: [0.3, 0.3],
                mouth_openness: 0.0,
                quality: FaceQuality {
                    brightness: 120.0,
                    sharpness: 200.0,
                    face_size: size,
                },
                passive_liveness: Some(0.9),
                embedding_norm: None,
                embedding: None,
                points68: Vec::new(),
            }],
            face_count: 1,
            timings: Timings::default(),
        }
    }

    #[test]
    fn the_kiosk_rules_are_unchanged() {
        let t = Thresholds::default();
        // The 1 m framing the kiosk ships with.
        assert_eq!((t.face_size_min, t.face_size_max), (0.18, 0.38));
        assert_eq!(observe::MAX_CENTRE_OFFSET, 0.2);
        assert_eq!(Profile::Kiosk.thresholds(&t), t);
        for (size, cy) in [(0.3, 0.5), (0.5, 0.5), (0.1, 0.5), (0.3, 0.25)] {
            let a = frame(640, 480, size, 0.5, cy);
            assert_eq!(
                Profile::Kiosk.placement(&a, &t),
                observe::placement(&a, &t),
                "size {size}, cy {cy}"
            );
        }
        assert_eq!(
            observe::placement(&frame(640, 480, 0.5, 0.5, 0.5), &t),
            Placement::TooClose
        );
    }

    #[test]
    fn a_phone_selfie_is_not_too_close() {
        let t = Thresholds::default();
        let selfie = frame(720, 1280, 0.7, 0.5, 0.35);
        assert_eq!(observe::placement(&selfie, &t), Placement::TooClose);
        let p = Profile::for_clip(Capture::PhoneSelfie, 720, 1280);
        assert_eq!(p, Profile::PhoneSelfie);
        assert_eq!(p.placement(&selfie, &t), Placement::Good);
        // Still not anything goes: a face cut by the frame edge is not placed.
        assert_eq!(
            p.placement(&frame(720, 1280, 0.99, 0.5, 0.5), &t),
            Placement::TooClose
        );
        assert_eq!(
            p.placement(&frame(720, 1280, 0.5, 0.5, 0.1), &t),
            Placement::OffCenter
        );
    }

    #[test]
    fn unknown_capture_goes_by_the_frame_shape() {
        assert_eq!(
            Profile::for_clip(Capture::Unknown, 480, 640),
            Profile::PhoneSelfie
        );
        assert_eq!(
            Profile::for_clip(Capture::Unknown, 640, 480),
            Profile::Kiosk
        );
        assert_eq!(Profile::for_clip(Capture::Webcam, 480, 640), Profile::Kiosk);
    }
}
